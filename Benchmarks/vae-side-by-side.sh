#!/usr/bin/env bash
# Quill's sentence-VAE training step beside its PyTorch peer (Benchmarks/peers/vae.py), at one
# and two threads, on both benchmark models (GRU: vocabulary 10k, embedding 300, hidden 256,
# z 16; LSTM: embedding 256, hidden 512, z 32), batch 32, 25 decoder steps. "random" batches
# are 24 random words plus <eos> (no padding); "ptb" batches are the first 256 PTB training
# sentences cut to 24 words, in order, so they carry real padding.
#
#   Benchmarks/vae-side-by-side.sh            # builds quill-bench in release, then measures
#   SCRATCH=.build-x REPEATS=5 THREADS="1 2" CONFIGS="gru lstm" Benchmarks/vae-side-by-side.sh
#
# Each repetition runs Quill, then the peer, back to back, so a repetition's ratio compares the
# two under the same machine load. Each side takes the median of per-step times over STEPS
# (default 15) timed steps after WARMUP (3) untimed ones, both cycling through the same 8
# batches from the same one, and the mean CPU time of the timed steps. The table
# gives, per case, the median over REPEATS (default 3) of each side's sentences/s, the median of
# the per-repetition ratios, each side's median CPU milliseconds per step (a fairer figure on a
# busy machine), each side's median peak RSS (every case runs in a process of its own, so the
# figure is that case's; "RSS" is Quill's over the peer's) and the OpenBLAS kernel Quill ran.
# The environment may pin OpenBLAS to its AVX2 kernels (OPENBLAS_CORETYPE=Haswell); export
# OPENBLAS_CORETYPE=SkylakeX to use AVX-512 where the CPU has it. RAW=FILE keeps every
# repetition's JSON lines.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build-release}
REPEATS=${REPEATS:-3}
STEPS=${STEPS:-15}
WARMUP=${WARMUP:-3}
THREADS=${THREADS:-1 2}
CONFIGS=${CONFIGS:-gru lstm}
PTB=${QUILL_BENCH_PTB:-../shared/corpora/ptb/ptb.train.txt}
export QUILL_BENCH_PTB=$PTB
swift build -c release --scratch-path "$SCRATCH" --product quill-bench >&2
BENCH="$SCRATCH/release/quill-bench"
RAW=${RAW:-$(mktemp)}
: >"$RAW"

for threads in $THREADS; do
    for config in $CONFIGS; do
        for repeat in $(seq "$REPEATS"); do
            for data in random ptb; do
                source=$data
                [ "$data" = ptb ] && source=$PTB
                [ "$data" = ptb ] && [ ! -f "$PTB" ] && continue
                "$BENCH" "vae.$config.train_step" --threads "$threads" --steps "$STEPS" --warmup "$WARMUP" --data "$data" |
                    grep '^{' | sed "s/^{/{\"side\": \"quill\", \"repeat\": $repeat, \"config\": \"$config\", /" >>"$RAW"
                python3 Benchmarks/peers/vae.py --config "$config" --threads "$threads" --data "$source" \
                    --steps "$STEPS" --warmup "$WARMUP" |
                    sed "s/^{/{\"side\": \"peer\", \"repeat\": $repeat, \"config\": \"$config\", \"data_name\": \"$data\", /" >>"$RAW"
            done
        done
    done
done

RAW="$RAW" python3 - <<'PY'
import json, os, statistics
rows = [json.loads(l) for l in open(os.environ["RAW"]) if l.startswith("{")]
def key(r):
    data = r.get("data_name", r["data"])
    return (r["threads"], r["config"], data)
cases = sorted({key(r) for r in rows}, key=lambda k: (k[0], k[1] != "gru", k[2] != "random"))
counts = {(r["statistic"], int(r["steps"]), int(r["warmup"])) for r in rows}
assert len(counts) == 1, f"the sides measured differently: {counts}"
statistic, steps, warmup = counts.pop()
print(f"each side: {statistic}, {steps} timed steps after {warmup} warm-up steps; "
      f"ratio = quill / torch sentences/s, the median over repetitions; torch threads = the threads column")
print(f'{"model":<6} {"data":<7} {"threads":>7} {"quill s/s":>10} {"torch s/s":>10} {"ratio":>7} '
      f'{"ratios (each repetition)":<26} {"quill cpu ms":>12} {"torch cpu ms":>12} {"quill MB":>9} {"torch MB":>9} '
      f'{"RSS":>5}  kernel')
for case in cases:
    quill = {r["repeat"]: r for r in rows if r["side"] == "quill" and key(r) == case}
    peer = {r["repeat"]: r for r in rows if r["side"] == "peer" and key(r) == case}
    repeats = sorted(set(quill) & set(peer))
    if not repeats:
        continue
    ratios = [quill[i]["value"] / peer[i]["value"] for i in repeats]
    median = lambda xs: statistics.median(xs)
    q = median([quill[i]["value"] for i in repeats]); p = median([peer[i]["value"] for i in repeats])
    qc = median([float(quill[i]["cpu_ms_per_step"]) for i in repeats])
    pc = median([float(peer[i]["cpu_ms_per_step"]) for i in repeats])
    qm = median([float(quill[i]["peak_rss_mb"]) for i in repeats])
    pm = median([float(peer[i]["peak_rss_mb"]) for i in repeats])
    kernel = f'{quill[repeats[0]]["kernel"]} (OPENBLAS_CORETYPE={quill[repeats[0]]["openblas_coretype"]})'
    each = " ".join(f"{x:.2f}" for x in ratios)
    print(f'{case[1]:<6} {case[2]:<7} {case[0]:>7} {q:>10.1f} {p:>10.1f} {median(ratios):>6.2f}x {each:<26} '
          f'{qc:>12.1f} {pc:>12.1f} {qm:>9.0f} {pm:>9.0f} {qm / pm:>4.2f}x  {kernel}')
PY
