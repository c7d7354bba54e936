#!/usr/bin/env bash
# Quill's sentence-VAE training step beside its PyTorch peer (Benchmarks/peers/vae.py), at one
# and two threads, on both benchmark models (GRU: vocabulary 10k, embedding 300, hidden 256,
# z 16; LSTM: embedding 256, hidden 512, z 32), batch 32, 25 decoder steps. "random" batches
# are 24 random words plus <eos> (no padding); "ptb" batches are the first 256 PTB training
# sentences cut to 24 words, in order, so they carry real padding.
#
#   Benchmarks/vae-side-by-side.sh            # builds quill-bench in release, then measures
#   SCRATCH=.build-x Benchmarks/vae-side-by-side.sh
#
# Prints one line per case: sentences/s for Quill and PyTorch, their ratio, and each side's CPU
# milliseconds per step (a fairer figure on a busy machine). Run it on a quiet machine; both sides
# take the median of 15 timed steps. The environment may pin OpenBLAS to its AVX2 kernels
# (OPENBLAS_CORETYPE=Haswell); export OPENBLAS_CORETYPE=SkylakeX to use AVX-512 where the CPU has it.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build-release}
PTB=${QUILL_BENCH_PTB:-../shared/corpora/ptb/ptb.train.txt}
export QUILL_BENCH_PTB=$PTB
swift build -c release --scratch-path "$SCRATCH" --product quill-bench >&2
BENCH="$SCRATCH/release/quill-bench"

printf "%-6s %-7s %7s %12s %12s %7s %14s %14s\n" model data threads "quill s/s" "pytorch s/s" ratio "quill cpu ms" "torch cpu ms"
for threads in 1 2; do
    for config in gru lstm; do
        quill=$("$BENCH" "vae.$config.train_step" --threads "$threads")
        for data in random ptb; do
            source=$data
            [ "$data" = ptb ] && source=$PTB
            [ "$data" = ptb ] && [ ! -f "$PTB" ] && continue
            peer=$(python3 Benchmarks/peers/vae.py --config "$config" --threads "$threads" --data "$source")
            QUILL="$quill" PEER="$peer" DATA="$data" CONFIG="$config" THREADS="$threads" python3 - <<'PY'
import json, os
quill = [json.loads(l) for l in os.environ["QUILL"].splitlines() if l.startswith("{")]
ours = next(r for r in quill if r.get("data") == os.environ["DATA"])
peer = json.loads(os.environ["PEER"])
print(f'{os.environ["CONFIG"]:<6} {os.environ["DATA"]:<7} {os.environ["THREADS"]:>7} {ours["value"]:>12.1f} {peer["value"]:>12.1f} '
      f'{ours["value"] / peer["value"]:>6.2f}x {ours["cpu_ms_per_step"]:>14} {peer["cpu_ms_per_step"]:>14}')
PY
        done
    done
done
