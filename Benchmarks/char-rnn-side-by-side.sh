#!/usr/bin/env bash
# Quill's char-rnn against its PyTorch peer (Benchmarks/peers/char_rnn.py), in one run, at 1 and
# 2 threads: training tokens/s, sampling chars/s at batch 1, peak RSS, and Quill/peer ratios.
#
# Reference configuration (issue #4): embedding 64, 2x256 LSTM, sequence 128, batch 32, Adam,
# gradient clipping at 5, on tiny Shakespeare (65 characters; Quill's vocabulary adds its 4
# specials). Quill's rate comes from its metrics log, skipping the first 10 steps (warm-up);
# its sampling rate from two `quill sample` runs of different lengths, so start-up cancels out.
#
# Usage: Benchmarks/char-rnn-side-by-side.sh [STEPS]   (env: CORPUS, SCRATCH, THREADS="1 2",
# QUILL_OPENBLAS_CORETYPE: an OpenBLAS kernel set for Quill's runs only, e.g. SkylakeX on an
# AVX-512 machine whose environment pins OPENBLAS_CORETYPE=Haswell; PyTorch uses MKL regardless;
# QUILL: a quill executable already built, to skip the release build.)
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-40}
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
    peer=$(python3 Benchmarks/peers/char_rnn.py --threads "$T" --steps "$STEPS" --corpus "$CORPUS" --sample-chars 3000)

    model="$WORK/bench-$T.safetensors"
    read -r _ train_rss < <(measure "${QUILL_CMD[@]}" train char-rnn --corpus "$CORPUS" --output "$model" \
        --cell lstm --layers 2 --hidden-size 256 --embedding-size 64 --seq-len 128 --batch-size 32 \
        --learning-rate 2e-3 --schedule constant --grad-clip 5 --steps $((STEPS + 10)) \
        --eval-interval $((STEPS + 10)) --threads "$T")
    read -r short _ < <(measure "${QUILL_CMD[@]}" sample "$model" --max-tokens 1000 --seed 1 --threads "$T")
    read -r long sample_rss < <(measure "${QUILL_CMD[@]}" sample "$model" --max-tokens 11000 --seed 1 --threads "$T")

    python3 - "$T" "$model" "$train_rss" "$short" "$long" "$sample_rss" "$peer" <<'EOF'
import json, sys
threads, model, train_rss, short, long, sample_rss, peer = sys.argv[1:]
records = [json.loads(line) for line in open(model.replace(".safetensors", ".metrics.jsonl"))]
rates = [r["tokens_per_s"] for r in records if "tokens_per_s" in r and r["step"] > 10]
quill_train = sum(rates) / len(rates)
quill_sample = 10000 / max(float(long) - float(short), 1e-9)
peer = {r["name"]: r["value"] for r in map(json.loads, peer.splitlines())}
rows = [
    ("train tokens/s", quill_train, peer["peer.char_rnn.train"]),
    ("sample chars/s", quill_sample, peer["peer.char_rnn.sample"]),
    ("peak RSS MiB (train)", float(train_rss), peer["peer.char_rnn.peak_rss"]),
]
print(f"threads {threads}")
for name, quill, torch in rows:
    print(f"  {name:22s} quill {quill:10.1f}   peer {torch:10.1f}   ratio {quill / torch:5.2f}")
print(f"  {'peak RSS MiB (sample)':22s} quill {float(sample_rss):10.1f}")
EOF
done
