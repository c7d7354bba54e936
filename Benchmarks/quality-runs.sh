#!/usr/bin/env bash
# The long quality runs the model issues report (#4, #5, #6), as recipes, so each figure in a
# note can be reproduced. Each writes its model, metrics log (NAME.metrics.jsonl) and stderr log
# under $OUT (default runs/quality). They need ../shared/corpora and take 30 minutes to 2 hours.
#
# Usage: Benchmarks/quality-runs.sh RECIPE     (env: QUILL, a quill binary; OUT; THREADS)
#   char-rnn-shakespeare   2×256 LSTM on tiny Shakespeare, 30 minutes (target: val ≤ 1.50)
#   char-rnn-tang          2×256 LSTM on the Tang poems, 30 minutes
#   gpt-30m                a 4×256 GPT on tiny Shakespeare, 30 minutes (target: val ≤ 1.60)
#   gpt-tang [FLAGS...]    a character GPT on the Tang poems, 100 minutes (env TIME), then the format check
#                          (target ≥ 0.90; env POEMS sets how many poems, default 100)
#   ptb-vae | ptb-hvae | ptb-lm [FLAGS...]   (env TIME: the training budget, default 2h; FLAGS go to
#                          `quill train`, e.g. --aggressive-encoder)
#                          PTB sentence models, 2 hours (targets: IW-NLL ≤ 101.0, KL ≥ 3, ≥ 8 AU); the
#                          HVAE's top level is batch-normalized (BN-VAE), without which its latent
#                          stayed collapsed in 4 of the 6 PTB HVAE runs before it. The KL fills the
#                          free-bits budget, so the HVAE's 64 dimensions get half the flat VAE's
#                          λ per dimension: 4 nats in all for both. (λ 0.045 = γ²/2, below which
#                          BN alone holds the top level, gave a better validation ELBO, 102.64
#                          against 102.93, but a worse test IW-NLL, 100.30 against 100.24.)
#   ptb-rate FREE_BITS [FLAGS...]   one point of the rate–distortion curve (issue 21): the PTB VAE
#                          with `--preset interpolate` (bidirectional encoder, z 128 read at every
#                          decoder step, best checkpoint by reconstruction) and free bits FREE_BITS per
#                          dimension, a KL budget of 128 × FREE_BITS nats (0.03125 → 4, 0.25 → 32,
#                          0.5 → 64, 1.5 → 192, the preset's); writes ptb-rate-FREE_BITS. Then ptb-eval ptb-rate-FREE_BITS
#                          (with --decode greedy and --pairs for the interpolation figures).
#   ptb-eval NAME          PTB test figures of a PTB model, K = 500 (at 2 threads about 45 minutes for
#                          the 512-wide VAE, 57 to 60 for the HVAE, 100 on a slower machine; env
#                          SAMPLES sets K)
# The nanoGPT CPU recipe itself is `Benchmarks/gpt-side-by-side.sh recipe`.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/corpora}
OUT=${OUT:-runs/quality}
THREADS=${THREADS:-1}
if [[ -z "${QUILL:-}" ]]; then
    swift build -c release --product quill >&2
    QUILL=.build/release/quill
fi
mkdir -p "$OUT"
recipe=${1:?"give a recipe; see the comment at the top of $0"}

run() {  # NAME ARGS...: train, logging stderr beside the model (a --resume adds to the log)
    local name=$1; shift
    local append=()
    for arg in "$@"; do [[ $arg == --resume ]] && append=(-a); done
    "$QUILL" "$@" --output "$OUT/$name.safetensors" --threads "$THREADS" 2> >(tee "${append[@]}" "$OUT/$name.log" >&2)
}

PTB="--corpus $SHARED/ptb/ptb.train.txt --valid $SHARED/ptb/ptb.valid.txt --tokenizer whitespace --cell lstm
     --embedding-size 512 --hidden-size 512 --tie-embeddings --dropout 0.5 --batch-size 64
     --learning-rate 2e-3 --min-learning-rate 2e-4 --time ${TIME:-2h} --eval-interval 330 --seed 1"
LATENT="--latent-size 32 --kl-anneal linear --kl-anneal-steps 700"

case "$recipe" in
char-rnn-shakespeare)
    run char-rnn-shakespeare train char-rnn --corpus "$SHARED/tinyshakespeare/input.txt" --cell lstm --layers 2 \
        --hidden-size 256 --embedding-size 64 --seq-len 64 --batch-size 32 --dropout 0.1 \
        --learning-rate 2e-3 --schedule cosine --time 30m --eval-interval 300 --seed 1 ;;
char-rnn-tang)
    run char-rnn-tang train char-rnn --corpus "$SHARED/tang/tang.train.txt" --valid "$SHARED/tang/tang.valid.txt" \
        --cell lstm --layers 2 --hidden-size 256 --embedding-size 128 --seq-len 64 --batch-size 32 \
        --learning-rate 2e-3 --schedule cosine --time 30m --eval-interval 300 --seed 1 ;;
gpt-30m)
    run gpt-30m train gpt --corpus "$SHARED/tinyshakespeare/input.txt" --n-layer 4 --n-head 4 --n-embd 256 \
        --block-size 128 --batch-size 32 --dropout 0.2 --learning-rate 1e-3 --min-learning-rate 1e-4 \
        --warmup-steps 100 --beta2 0.99 --time 30m --eval-interval 250 --eval-batches 50 --seed 1 ;;
gpt-tang)
    run gpt-tang train gpt --corpus "$SHARED/tang/tang.train.txt" --valid "$SHARED/tang/tang.valid.txt" \
        --n-layer 4 --n-head 4 --n-embd 256 --block-size 128 --batch-size 32 --dropout 0.1 --learning-rate 1e-3 \
        --min-learning-rate 1e-4 --warmup-steps 100 --beta2 0.99 --time "${TIME:-100m}" --eval-interval 300 --seed 1 \
        "${@:2}"
    "$QUILL" eval "$OUT/gpt-tang.safetensors" --corpus "$SHARED/tang/tang.valid.txt" --json --threads "$THREADS" \
        ${POEMS:+--samples "$POEMS"} ;;
ptb-vae)  run ptb-vae  train vae  $PTB $LATENT --free-bits 0.125 "${@:2}" ;;
ptb-hvae) run ptb-hvae train hvae $PTB $LATENT --free-bits 0.0625 --levels 2 --decoder-latents all \
              --posterior-batch-norm 0.3 "${@:2}" ;;
ptb-lm)   run ptb-lm   train lm   $PTB "${@:2}" ;;
ptb-rate)
    rate=${2:?"ptb-rate needs the free bits per dimension, e.g. 1.5"}
    run "ptb-rate-$rate" train vae $PTB --preset interpolate --free-bits "$rate" "${@:3}" ;;
ptb-eval)
    name=${2:?"ptb-eval needs the run's name, e.g. ptb-vae"}
    "$QUILL" eval "$OUT/$name.safetensors" --corpus "$SHARED/ptb/ptb.test.txt" --json --threads "$THREADS" \
        ${SAMPLES:+--samples "$SAMPLES"} "${@:3}" ;;
*)
    echo "unknown recipe $recipe; see the comment at the top of $0" >&2; exit 64 ;;
esac
