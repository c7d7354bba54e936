#!/usr/bin/env bash
# Memory of a real training run beside its PyTorch peer, and whether it stays flat.
#
#   Benchmarks/memory.sh train        # the PTB sentence VAE for STEPS (150) steps, at THREADS ("1 2")
#   Benchmarks/memory.sh flat LOG     # a run's metrics log: its peak RSS from step FROM (1000) on
#
# `train` runs `quill train vae` on PTB (LSTM, embedding 256, hidden 512, z 32, batch 32,
# whitespace tokens: the side-by-side configuration, on the whole corpus with its batches of
# every length, and one evaluation of the validation split at the end) three ways: with the
# tensor pool (the default), with the pool off (QUILL_POOL_MB=0), and, where BASELINE names an
# older quill executable, with that one's pool. The peer is Benchmarks/peers/vae.py for the same
# steps (its 8 batches of the first 256 training sentences, cut to 24 words, cycled: less work
# and less shape variety than Quill's run, so its figure is a floor for what PyTorch needs). Each
# run is one process; the table gives its wall time, its CPU time (user + system, the fairer
# figure on a busy machine), its peak RSS and that over the peer's. REPEATS (1) runs each
# configuration again, interleaved, and prints every run.
#
# A 10,000-step run for `flat` (about 80 minutes at one thread):
#   quill train vae --corpus ptb.train.txt --valid ptb.valid.txt --tokenizer whitespace --cell lstm \
#       --embedding-size 256 --hidden-size 512 --latent-size 32 --batch-size 32 --steps 10000 \
#       --eval-interval 1000 --threads 1 --seed 1 --output runs/vae10k.safetensors
#   Benchmarks/memory.sh flat runs/vae10k.metrics.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?"give a mode: train or flat LOG"}

if [[ "$mode" == flat ]]; then
    LOG=${2:?"flat needs a metrics log"} FROM=${FROM:-1000} python3 - <<'PY'
import json, os
records = [json.loads(line) for line in open(os.environ["LOG"]) if line.strip()]
rows = [(int(r["step"]), r["rss_mb"], r["peak_rss_mb"], r["pool_mb"]) for r in records if "rss_mb" in r]
start = int(os.environ["FROM"])
after = [row for row in rows if row[0] >= start]
if not after:
    raise SystemExit(f"no logged step at or after {start}")
first, last = after[0], after[-1]
# The resident memory at one logged step swings with the batch in flight; the peak so far does not.
print(f"steps {first[0]}..{last[0]}: peak RSS {first[2]:.0f} -> {last[2]:.0f} MiB ({(last[2] / first[2] - 1) * 100:+.1f}%); "
      f"resident at those steps {first[1]:.0f} -> {last[1]:.0f} MiB, the most at a logged step after {start} "
      f"{max(r[1] for r in after):.0f} MiB; pool {first[3]:.0f} -> {last[3]:.0f} MiB")
for row in rows[:: max(1, len(rows) // 12)]:
    print(f"  step {row[0]:>6}  rss {row[1]:7.1f}  peak {row[2]:7.1f}  pool {row[3]:7.1f} MiB")
PY
    exit 0
fi

[[ "$mode" == train ]] || { echo "unknown mode $mode: train or flat LOG" >&2; exit 64; }
STEPS=${STEPS:-150}
THREADS=${THREADS:-1 2}
REPEATS=${REPEATS:-1}
PTB=${PTB:-../shared/corpora/ptb}
if [[ -z "${QUILL:-}" ]]; then
    swift build -c release --product quill >&2
    QUILL=.build/release/quill
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}" >&2

# Runs a command, appending "label threads wall cpu rss" to the results.
measure() {
    local label=$1 threads=$2; shift 2
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" || { cat "$WORK/stderr" >&2; exit 1; }
    read -r wall user system rss <"$WORK/time"
    echo "$label $threads $wall $(echo "$user + $system" | bc) $((rss / 1024))" >>"$WORK/results"
}
train() {  # LABEL THREADS QUILL [ENV...]
    local label=$1 threads=$2 quill=$3; shift 3
    measure "$label" "$threads" env "$@" "$quill" train vae --corpus "$PTB/ptb.train.txt" --valid "$PTB/ptb.valid.txt" \
        --tokenizer whitespace --cell lstm --embedding-size 256 --hidden-size 512 --latent-size 32 --batch-size 32 \
        --steps "$STEPS" --eval-interval "$STEPS" --threads "$threads" --seed 1 --output "$WORK/$label.safetensors"
}

for threads in $THREADS; do
    for _ in $(seq "$REPEATS"); do
        train "quill" "$threads" "$QUILL"
        train "quill-pool-off" "$threads" "$QUILL" QUILL_POOL_MB=0
        [[ -n "${BASELINE:-}" ]] && train "baseline" "$threads" "$BASELINE"
        measure "pytorch" "$threads" python3 Benchmarks/peers/vae.py --config lstm --data "$PTB/ptb.train.txt" \
            --threads "$threads" --steps "$STEPS" --warmup 0
    done
done

STEPS="$STEPS" python3 - "$WORK/results" <<'PY'
import os, statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
print(f'{os.environ["STEPS"]} steps of the PTB VAE; one process per run; RSS ratio = peak RSS / the peer\'s median at that thread count')
print(f'{"run":<16} {"threads":>7} {"wall s":>8} {"cpu s":>8} {"peak RSS MiB":>13} {"/ pytorch":>10}')
for label, threads, wall, cpu, rss in rows:
    peer = statistics.median(int(r[4]) for r in rows if r[0] == "pytorch" and r[1] == threads)
    print(f'{label:<16} {threads:>7} {float(wall):>8.1f} {float(cpu):>8.1f} {int(rss):>13} {int(rss) / peer:>9.2f}x')
PY
