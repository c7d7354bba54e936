#!/usr/bin/env bash
# Quill's GPT beside its PyTorch peer (Benchmarks/peers/gpt.py, nanoGPT's model and step), at
# one and two threads:
#   train small   4 layers, 4 heads, 128 wide, block 64, batch 12 (nanoGPT's Shakespeare CPU run)
#   train large   6 layers, 6 heads, 384 wide, block 256, batch 8 (its baby GPT)
#   generate      batch 1, large size, a full-context prompt then 64 greedy tokens, two rows:
#                 "cache vs no cache" sets Quill with its key-value cache against nanoGPT's
#                 generate (the whole context re-run for every token); "cache vs cache" against
#                 the peer's cached loop, which slides its cache as Quill does
#
# Both sides take the same statistic over the same counts: the median of per-step times after
# WARMUP untimed steps (default 3), over SMALL_STEPS (30) or LARGE_STEPS (10) timed steps; a
# generation step is one run of GENERATE_TOKENS (64) tokens, GENERATE_RUNS (5) timed runs after
# GENERATE_WARMUP (1), reported per token. STEPS sets both training step counts at once.
#
#   Benchmarks/gpt-side-by-side.sh            # builds quill-bench in release, then measures
#   SCRATCH=.build-x THREADS=1 Benchmarks/gpt-side-by-side.sh
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
# Prints one line per case with both figures, Quill's advantage (for ms/token, peer / Quill), each
# side's peak RSS in MiB (one case per process on both sides; "RSS" is Quill's over the peer's), the
# statistic and counts, the OpenBLAS kernel and torch threads, and for training Quill's model
# FLOPs utilization against the sgemm rate measured in the same run. OpenBLAS
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
THREADS=${THREADS:-1 2}
WARMUP=${WARMUP:-3}
SMALL_STEPS=${SMALL_STEPS:-${STEPS:-30}}
LARGE_STEPS=${LARGE_STEPS:-${STEPS:-10}}
GENERATE_TOKENS=${GENERATE_TOKENS:-64}
GENERATE_RUNS=${GENERATE_RUNS:-5}
GENERATE_WARMUP=${GENERATE_WARMUP:-1}
swift build -c release --scratch-path "$SCRATCH" --product quill-bench >&2
BENCH="$SCRATCH/release/quill-bench"

# One table row from Quill's last JSON line and the peer's: both figures, Quill's advantage
# (for ms/token, peer / Quill), the statistic and counts both sides report, Quill's kernel.
row() {
    QUILL="$1" PEER="$2" CASE="$3" python3 - <<'PY'
import json, os
ours = json.loads(os.environ["QUILL"].splitlines()[-1])
peer = json.loads(os.environ["PEER"].splitlines()[-1])
counts = lambda r: (r["statistic"], int(r["steps"]), int(r["warmup"]))
assert counts(ours) == counts(peer), f"the sides measured differently: {counts(ours)} vs {counts(peer)}"
statistic, steps, warmup = counts(ours)
if ours["unit"] == "tokens/s":
    figures = f'{ours["value"]:>10.0f} t/s {peer["value"]:>10.0f} t/s {ours["value"] / peer["value"]:>7.2f}x'
    extra = f', MFU {float(ours["mfu"]):.2f} ({ours["model_gflops"]} of {ours["sgemm_gflops"]} GFLOP/s sgemm)'
else:
    figures = f'{ours["value"]:>9.2f} ms/t {peer["value"]:>9.2f} ms/t {peer["value"] / ours["value"]:>7.2f}x'
    extra = f', {ours["tokens"]} tokens per run'
memory = f'{float(ours["peak_rss_mb"]):>8.0f} {float(peer["peak_rss_mb"]):>8.0f} {float(ours["peak_rss_mb"]) / float(peer["peak_rss_mb"]):>5.2f}x'
print(f'{os.environ["CASE"]:<30} {ours["threads"]:>7} {figures} {memory}  {statistic}, {steps} timed after {warmup} '
      f'warm-up; {ours["kernel"]} (OPENBLAS_CORETYPE={ours["openblas_coretype"]}), torch threads {peer["threads"]}{extra}')
PY
}

printf "%-30s %7s %14s %14s %8s %8s %8s %6s  %s\n" case threads quill pytorch ratio "quill MB" "torch MB" RSS \
    "statistic; quill kernel, torch threads"
for threads in $THREADS; do
    for size in small large; do
        steps=$([ "$size" = small ] && echo "$SMALL_STEPS" || echo "$LARGE_STEPS")
        quill=$("$BENCH" "gpt.$size.train" --threads "$threads" --steps "$steps" --warmup "$WARMUP")
        peer=$(python3 Benchmarks/peers/gpt.py train --size "$size" --threads "$threads" --steps "$steps" --warmup "$WARMUP")
        row "$quill" "$peer" "train $size"
    done
    counts=(--steps "$GENERATE_RUNS" --warmup "$GENERATE_WARMUP" --tokens "$GENERATE_TOKENS")
    quill=$("$BENCH" "gpt.large.generate" --threads "$threads" "${counts[@]}")
    peer=$(python3 Benchmarks/peers/gpt.py generate --size large --threads "$threads" "${counts[@]}")
    row "$quill" "$peer" "generate large, cache vs none"
    peer=$(python3 Benchmarks/peers/gpt.py generate --size large --threads "$threads" "${counts[@]}" --cache)
    row "$quill" "$peer" "generate large, cache vs cache"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
