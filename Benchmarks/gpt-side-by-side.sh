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
#   Benchmarks/gpt-side-by-side.sh recipe     # nanoGPT's Shakespeare CPU recipe, both sides
#   SEEDS="1 2 3" THREADS=1 Benchmarks/gpt-side-by-side.sh recipe
#
# `recipe` trains nanoGPT's shakespeare_char CPU run (4 layers, 4 heads, 128 wide, block 64,
# batch 12, 2,000 steps, learning rate 1e-3 warming up over 100 steps and decaying to 1e-4,
# weight decay 0.1, beta2 0.99, clip 1, dropout 0) with `quill train gpt` (whose defaults are
# that recipe) and with the peer, once per seed, and prints per run the validation loss as
# nanoGPT reports it (the mean of 20 random batches at step 2,000), the loss over the whole
# validation split (`quill eval`; the last 10% of the characters) and the wall time. The
# 20-batch figure has a standard deviation of about 0.017 for one model, and the whole-split loss
# varies by about 0.01 from seed to seed, so compare several seeds, not one run.
#
# Prints one line per case with both figures and Quill's advantage (for ms/token, peer / Quill),
# then Quill's model FLOPs utilization against the sgemm rate measured in the same run. OpenBLAS
# 0.3.21 does not know AMD Zen 4/5 and falls back to its AVX2 (Haswell) kernels; the script
# reports the kernel in use (set OPENBLAS_CORETYPE=SkylakeX to use AVX-512). Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build-release}

if [ "${1:-}" = recipe ]; then
    CORPUS=${CORPUS:-../shared/corpora/tinyshakespeare/input.txt}
    THREADS=${THREADS:-1}
    swift build -c release --scratch-path "$SCRATCH" --product quill >&2
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    python3 -c 'import sys; t = open(sys.argv[1], encoding="utf-8").read(); open(sys.argv[2], "w", encoding="utf-8").write(t[int(len(t) * 0.9):])' \
        "$CORPUS" "$work/valid.txt"
    printf "%-8s %5s %14s %12s %8s\n" side seed "val (20 batch)" "val (whole)" wall
    for seed in ${SEEDS:-1337}; do
        start=$(date +%s.%N)
        "$SCRATCH/release/quill" train gpt --corpus "$CORPUS" --output "$work/gpt-$seed.safetensors" --steps 2000 \
            --seed "$seed" --threads "$THREADS" 2>/dev/null
        wall=$(echo "$(date +%s.%N) - $start" | bc)
        estimate=$(grep val_loss "$work/gpt-$seed.metrics.jsonl" | tail -1 | python3 -c 'import json, sys; print(round(json.load(sys.stdin)["val_loss"], 4))')
        whole=$("$SCRATCH/release/quill" eval "$work/gpt-$seed.last.safetensors" --corpus "$work/valid.txt" --threads "$THREADS" --json \
            | python3 -c 'import json, sys; print(round(json.load(sys.stdin)["nats_per_token"], 4))')
        printf "%-8s %5s %14s %12s %7.1fs\n" quill "$seed" "$estimate" "$whole" "$wall"
        python3 Benchmarks/peers/gpt.py recipe --threads "$THREADS" --seed "$seed" --corpus "$CORPUS" | tail -1 \
            | python3 -c 'import json, sys; r = json.load(sys.stdin); print("%-8s %5s %14s %12s %7.1fs" % ("pytorch", r["seed"], r["val_loss"], r["val_loss_full"], r["wall_s"]))'
    done
    exit 0
fi
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
