#!/usr/bin/env bash
# Quill's GPT beside its PyTorch peer (Benchmarks/peers/gpt.py, nanoGPT's model and step), at
# one and two threads:
#   train small   4 layers, 4 heads, 128 wide, block 64, batch 12 (nanoGPT's Shakespeare CPU run)
#   train large   6 layers, 6 heads, 384 wide, block 256, batch 8 (its baby GPT)
#   generate      batch 1, large size, full context: Quill with its key-value cache, the peer with
#                 nanoGPT's generate (the whole context re-run for every token)
#
#   Benchmarks/gpt-side-by-side.sh            # builds quill-bench in release, then measures
#   SCRATCH=.build-x Benchmarks/gpt-side-by-side.sh
#
# Prints one line per case with both figures and Quill's advantage (for ms/token, peer / Quill),
# then Quill's model FLOPs utilization against the sgemm rate measured in the same run. OpenBLAS
# 0.3.21 does not know AMD Zen 4/5 and falls back to its AVX2 (Haswell) kernels; the script
# reports the kernel in use (set OPENBLAS_CORETYPE=SkylakeX to use AVX-512). Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build-release}
swift build -c release --scratch-path "$SCRATCH" --product quill-bench >&2
BENCH="$SCRATCH/release/quill-bench"

printf "%-14s %7s %14s %14s %8s  %s\n" case threads quill pytorch ratio "quill kernel, MFU"
for threads in 1 2; do
    for size in small large; do
        quill=$("$BENCH" "gpt.$size.train" --threads "$threads")
        peer=$(python3 Benchmarks/peers/gpt.py train --size "$size" --threads "$threads" --steps $([ "$size" = small ] && echo 40 || echo 8))
        QUILL="$quill" PEER="$peer" CASE="train $size" THREADS="$threads" python3 - <<'PY'
import json, os
ours = json.loads(os.environ["QUILL"].splitlines()[-1])
peer = json.loads(os.environ["PEER"])
print(f'{os.environ["CASE"]:<14} {os.environ["THREADS"]:>7} {ours["value"]:>10.0f} t/s {peer["value"]:>10.0f} t/s '
      f'{ours["value"] / peer["value"]:>7.2f}x  {ours["kernel"]}, MFU {float(ours["mfu"]):.2f} '
      f'({ours["model_gflops"]} of {ours["sgemm_gflops"]} GFLOP/s sgemm)')
PY
    done
    quill=$("$BENCH" "gpt.large.generate" --threads "$threads")
    peer=$(python3 Benchmarks/peers/gpt.py generate --size large --threads "$threads" --tokens 20)
    QUILL="$quill" PEER="$peer" THREADS="$threads" python3 - <<'PY'
import json, os
ours = json.loads(os.environ["QUILL"].splitlines()[-1])
peer = json.loads(os.environ["PEER"])
print(f'{"generate large":<14} {os.environ["THREADS"]:>7} {ours["value"]:>9.2f} ms/t {peer["value"]:>9.2f} ms/t '
      f'{peer["value"] / ours["value"]:>7.2f}x  {ours["kernel"]}')
PY
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
