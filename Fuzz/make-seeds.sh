#!/usr/bin/env bash
# Writes the seed corpora in Fuzz/Seeds from real files: tiny models and vocabularies written by
# `quill` (QUILL, default the debug build) from the first 600 bytes of corpora/kjv.txt, the test
# fixtures, and lines of the corpus. Run from anywhere; commit what changes.
set -euo pipefail
fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
repository="$(dirname "$fuzz_dir")"
quill="${QUILL:-$repository/.build/debug/quill}"
seeds="$fuzz_dir/Seeds"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -c 600 "$repository/corpora/kjv.txt" > "$work/corpus.txt"
tiny=(--corpus "$work/corpus.txt" --steps 1 --threads 1 --batch-size 2)

rm -rf "$seeds"
mkdir -p "$seeds"/{safetensors,tokenizer-file,bpe,text,repl-command,line-reader}

# safetensors: one model of each kind, and the reader's test fixtures (F32, F16, BF16, F64).
"$quill" train char-rnn "${tiny[@]}" --output "$work/lstm.safetensors" --seq-len 4 --hidden-size 2 --embedding-size 2 --layers 1
"$quill" train char-rnn "${tiny[@]}" --output "$work/gru.safetensors" --cell gru --seq-len 4 --hidden-size 2 --embedding-size 2 --layers 2
"$quill" vocab build --tokenizer char --output "$work/chars.json" "$work/corpus.txt"
"$quill" train gpt "${tiny[@]}" --vocab "$work/chars.json" --output "$work/gpt.safetensors" --n-layer 1 --n-head 1 --n-embd 2 --block-size 4
"$quill" train vae "${tiny[@]}" --valid "$work/corpus.txt" --output "$work/vae.safetensors" --hidden-size 2 --embedding-size 2 --latent-size 1
"$quill" train lm "${tiny[@]}" --valid "$work/corpus.txt" --output "$work/lm.safetensors" --hidden-size 2 --embedding-size 2
for model in lstm gru gpt vae lm; do cp "$work/$model.safetensors" "$seeds/safetensors/"; done
cp "$repository"/Tests/QuillTensorTests/Fixtures/safetensors/*.safetensors "$seeds/safetensors/"

# tokenizer-file: a vocabulary of each kind and a byte-level BPE tokenizer.json.
"$quill" vocab build --tokenizer word --size 24 --output "$seeds/tokenizer-file/words.json" "$work/corpus.txt"
"$quill" vocab build --tokenizer whitespace --size 12 --normalize nfkc-casefold --output "$seeds/tokenizer-file/whitespace.json" "$work/corpus.txt"
"$quill" vocab build --tokenizer bpe --size 270 --output "$seeds/tokenizer-file/bpe.json" "$work/corpus.txt"
cp "$work/chars.json" "$seeds/tokenizer-file/chars.json"
cp "$repository/Tests/QuillTextTests/Fixtures/bpe/hf_trained_legacy.tokenizer.json" "$seeds/tokenizer-file/hf-legacy.json"

# bpe and text: corpus lines, text in several scripts, and invalid UTF-8.
head -c 300 "$repository/corpora/kjv.txt" > "$seeds/bpe/kjv.txt"
head -c 300 "$repository/corpora/kjv.txt" > "$seeds/text/kjv.txt"
for target in bpe text; do
  printf 'Ἐν ἀρχῇ ἦν ὁ λόγος\r\n春眠不覺曉，處處聞啼鳥。\n👩‍👩‍👧 ✨ e\xcc\x81\n' > "$seeds/$target/scripts.txt"
  printf 'valid \xe4\xb8\xad then cut \xe4\xb8 and stray \x80 \xed\xa0\x80 \xf4\x90\x80\x80 end\n' > "$seeds/$target/invalid.txt"
done

# repl-command: one line of each command.
i=0
while IFS= read -r line; do
  i=$((i + 1)); printf '%s' "$line" > "$seeds/repl-command/$i.txt"
done <<'LINES'
the lord is my shepherd
:sample 3
:recon "jesus wept"
:interp "in the beginning" | and god said 5
:set temperature 0.8
:set top-p 0.9
:set decode beam
:seed 42
:load models/kjv-interpolate.safetensors
:use 2
:models
:help
:quit
LINES

# line-reader: two control bytes (chunk size 5, reject; chunk size 17, replace, lines up to 40) and
# text with LF, CRLF, a lone CR, an empty line and no final line feed.
printf '\x04\x00In the beginning\r\nGod created\n\nthe heaven\rand the earth.' > "$seeds/line-reader/mixed.txt"
printf '\x50\xa7And God said,\r\nLet there be light: \xff and there was light.\n' > "$seeds/line-reader/replace.txt"
du -sh "$seeds"/*
