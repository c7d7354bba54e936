#!/usr/bin/env bash
# Quill's byte-level BPE beside Hugging Face tokenizers, sentencepiece and tiktoken
# (Benchmarks/tokenizers/peers.py), in one run per corpus, at 1 and 2 threads: training time and
# peak memory (one run each side) and encoding MB/s (the median of REPEATS runs after WARMUP,
# both sides), under Quill's pre-split and GPT-2's on both sides, with Quill/peer ratios.
#
#   Benchmarks/tokenizers-side-by-side.sh [CORPUS...]   # default: PTB train and the Tang poems
#   SCRATCH=.build-x THREADS=1,2 REPEATS=5 SPLITS=quill,gpt2 Benchmarks/tokenizers-side-by-side.sh
#
# Needs `pip install tokenizers sentencepiece tiktoken`.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build-release}
THREADS=${THREADS:-1,2}
REPEATS=${REPEATS:-3}
WARMUP=${WARMUP:-1}
SPLITS=${SPLITS:-quill,gpt2}
if [ $# -eq 0 ]; then
    set -- ../shared/corpora/ptb/ptb.train.txt ../shared/corpora/tang/tang.train.txt
fi
swift build -c release --scratch-path "$SCRATCH" --product quill-bench >&2
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
for corpus in "$@"; do
    echo "corpus: $corpus ($(wc -c <"$corpus") bytes)"
    python3 Benchmarks/tokenizers/peers.py "$corpus" --quill-bench "$SCRATCH/release/quill-bench" \
        --threads "$THREADS" --repeats "$REPEATS" --warmup "$WARMUP" --splits "$SPLITS"
done
