#!/usr/bin/env bash
# Quill's char-rnn against its PyTorch peer (Benchmarks/peers/char_rnn.py), in one run, at 1 and
# 2 threads: training tokens/s, sampling chars/s at batch 1, peak RSS, and Quill/peer ratios.
#
# Reference configuration (issue #4): embedding 64, 2x256 LSTM, sequence 128, batch 32, Adam,
# gradient clipping at 5, on tiny Shakespeare (65 characters; Quill's vocabulary adds its 4
# specials).
#
# Both sides take the same statistic over the same steps. Training: WARMUP untimed steps (default
# 10), then STEPS timed ones (default 40) in 10-step windows; the rate is a window's tokens over
# the median window time. Quill's windows are the records of `quill train`'s metrics log (one
# per 10 steps, each with its window's rate); the peer times the same windows itself. Sampling:
# SAMPLE_WARMUP characters (1,000), then SAMPLE_CHARS (10,000) over their total time; Quill's
# is SAMPLE_CHARS over the difference of two `quill sample` runs, of SAMPLE_WARMUP and of
# SAMPLE_WARMUP + SAMPLE_CHARS characters, so start-up and the first characters cancel out.
#
# Usage: Benchmarks/char-rnn-side-by-side.sh [STEPS]   (env: CORPUS, SCRATCH, THREADS="1 2",
# WARMUP, SAMPLE_CHARS, SAMPLE_WARMUP,
# QUILL_OPENBLAS_CORETYPE: an OpenBLAS kernel set for Quill's runs only, e.g. SkylakeX on an
# AVX-512 machine whose environment pins OPENBLAS_CORETYPE=Haswell; PyTorch uses MKL regardless;
# QUILL: a quill executable already built, to skip the release build.)
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-40}
WARMUP=${WARMUP:-10}
SAMPLE_CHARS=${SAMPLE_CHARS:-10000}
SAMPLE_WARMUP=${SAMPLE_WARMUP:-1000}
if (( STEPS < 10 || STEPS % 10 || WARMUP < 10 || WARMUP % 10 )); then
    echo "STEPS ($STEPS) and WARMUP ($WARMUP) must be multiples of 10: quill train logs its rate every 10 steps." >&2
    exit 2
fi
CORPUS=${CORPUS:-../shared/corpora/tinyshakespeare/input.txt}
SCRATCH=${SCRATCH:-.build-bench}
THREADS=${THREADS:-"1 2"}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ -z "${QUILL:-}" ]]; then
    swift build -c release --scratch-path "$SCRATCH" --product quill >&2
    QUILL="$SCRATCH/release/quill"
fi
QUILL_CORE=${QUILL_OPENBLAS_CORETYPE:-${OPENBLAS_CORETYPE:-}}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), Quill's OpenBLAS kernels ${QUILL_CORE:-auto}" >&2
QUILL_CMD=("$QUILL")
[[ -n "$QUILL_CORE" ]] && QUILL_CMD=(env "OPENBLAS_CORETYPE=$QUILL_CORE" "$QUILL")

# Seconds of wall time and peak RSS (MiB) of a command, as "seconds rss".
measure() {
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > /dev/null 2> "$WORK/stderr" || { cat "$WORK/stderr" >&2; exit 1; }
    awk '{ printf "%s %.1f\n", $1, $2 / 1024 }' "$WORK/time"
}

for T in $THREADS; do
    peer=$(python3 Benchmarks/peers/char_rnn.py --threads "$T" --steps "$STEPS" --warmup "$WARMUP" --window 10 \
        --corpus "$CORPUS" --sample-chars "$SAMPLE_CHARS" --sample-warmup "$SAMPLE_WARMUP")

    model="$WORK/bench-$T.safetensors"
    read -r _ train_rss < <(measure "${QUILL_CMD[@]}" train char-rnn --corpus "$CORPUS" --output "$model" \
        --cell lstm --layers 2 --hidden-size 256 --embedding-size 64 --seq-len 128 --batch-size 32 \
        --learning-rate 2e-3 --schedule constant --grad-clip 5 --steps $((WARMUP + STEPS)) \
        --eval-interval $((WARMUP + STEPS)) --threads "$T")
    kernel=$(grep -o 'BLAS [A-Za-z0-9_]*' "$WORK/stderr" | head -1 | cut -d' ' -f2)
    read -r short _ < <(measure "${QUILL_CMD[@]}" sample "$model" --max-tokens "$SAMPLE_WARMUP" --seed 1 --threads "$T")
    read -r long sample_rss < <(measure "${QUILL_CMD[@]}" sample "$model" --max-tokens $((SAMPLE_WARMUP + SAMPLE_CHARS)) \
        --seed 1 --threads "$T")

    python3 - "$T" "$model" "$train_rss" "$short" "$long" "$sample_rss" "$peer" "$WARMUP" "$STEPS" "$SAMPLE_CHARS" \
        "$SAMPLE_WARMUP" "${kernel:-unknown} (OPENBLAS_CORETYPE=${QUILL_CORE:-unset})" <<'EOF'
import json, statistics, sys
threads, model, train_rss, short, long, sample_rss, peer, warmup, steps, chars, chars_warmup, kernel = sys.argv[1:]
warmup, steps, chars = int(warmup), int(steps), int(chars)
records = [json.loads(line) for line in open(model.replace(".safetensors", ".metrics.jsonl"))]
# Each record past the warm-up closes a 10-step window of 32 x 128 tokens a step, with its rate.
window_tokens = 10 * 32 * 128
windows = [window_tokens / r["tokens_per_s"] for r in records if "tokens_per_s" in r and r["step"] > warmup]
assert len(windows) == steps // 10, f"{len(windows)} windows logged, {steps // 10} expected"
quill_train = window_tokens / statistics.median(windows)
quill_sample = chars / max(float(long) - float(short), 1e-9)
peer = {r["name"]: r for r in map(json.loads, peer.splitlines())}
train, sample = peer["peer.char_rnn.train"], peer["peer.char_rnn.sample"]
assert (train["warmup"], train["steps"], train["window"], sample["chars"]) == (warmup, steps, 10, chars)
rows = [
    ("train tokens/s", quill_train, train["value"],
     f"{train['statistic']}, {steps} steps after {warmup} warm-up, both sides"),
    ("sample chars/s", quill_sample, sample["value"],
     f"{chars} chars after {chars_warmup} warm-up chars over their time, both sides"),
    ("peak RSS MiB (train)", float(train_rss), peer["peer.char_rnn.peak_rss"]["value"], "whole process"),
]
print(f"threads {threads} (torch threads {train['threads']}; Quill's OpenBLAS kernel {kernel})")
for name, quill, torch, how in rows:
    print(f"  {name:22s} quill {quill:10.1f}   peer {torch:10.1f}   ratio {quill / torch:5.2f}   {how}")
print(f"  {'peak RSS MiB (sample)':22s} quill {float(sample_rss):10.1f}")
EOF
done
