#!/usr/bin/env python3
"""Peer figures for Quill's byte-level BPE: training time and memory, encoding speed.

Measures Hugging Face `tokenizers` (BPE with the ByteLevel pre-tokenizer), `sentencepiece`
(model_type=bpe) and `tiktoken` on one corpus, and prints one JSON object per line:

    {"engine": "tokenizers", "task": "train", "threads": 2, "vocab_size": 8000,
     "seconds": 5.1, "peak_rss_mb": 690.2, ...}
    {"engine": "tiktoken", "task": "encode", "threads": 1, "mb_per_s": 11.9, "tokens": ...}

Training: an 8,000-token vocabulary (four special tokens included) from the whole file, timed
inside a fresh process whose peak resident memory (ru_maxrss) is reported; `baseline_rss_mb`
is that process's memory before training (the interpreter and the library). tiktoken cannot
train, so it encodes with the ranks of the `tokenizers` model (same vocabulary, GPT-2 regex).

Encoding: the corpus cut into ~1 MB chunks at line ends (`--unit line`: one piece per line, the
faster unit for tokenizers and sentencepiece, which slow down on megabyte inputs), encoded as a
batch by the engine's own threads (RAYON_NUM_THREADS for tokenizers, num_threads for
sentencepiece and tiktoken); the best of `--repeats` runs, in MB of UTF-8 per second.

Usage:
    pip install tokenizers sentencepiece tiktoken
    python3 peers.py CORPUS [--vocab-size 8000] [--threads 1,2] [--engines tokenizers,sentencepiece,tiktoken]
                     [--unit chunk|line] [--repeats 3] [--tasks train,encode]

Quill's side: build with `swift build -c release`, then time
`ByteLevelBPE.train(files: [CORPUS], vocabularySize: 8000, specialTokens: ["<pad>", "<unk>", "<bos>", "<eos>"],
threads: 2)` and `tokenizer.encode(bytes: corpusBytes, threads: N)` (see Sources/QuillText/ByteLevelBPE*.swift).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def chunks_of(path, unit, size=1 << 20):
    """The file's text cut into lines, or pieces of about `size` bytes each ending at a line end."""
    text = open(path, encoding="utf-8").read()
    if unit == "line":
        return text.splitlines(keepends=True), len(text.encode("utf-8"))
    pieces, start = [], 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        pieces.append(text[start:end])
        start = end
    return pieces, len(text.encode("utf-8"))


def train_tokenizers(corpus, vocab_size, workdir):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    baseline = rss_mb()
    start = time.perf_counter()
    tok.train([corpus], trainer)
    seconds = time.perf_counter() - start
    tok.save(os.path.join(workdir, "tokenizers.json"))
    return seconds, baseline, tok.get_vocab_size()


def train_sentencepiece(corpus, vocab_size, workdir, threads):
    import sentencepiece as spm
    baseline = rss_mb()
    start = time.perf_counter()
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=os.path.join(workdir, "sentencepiece"), model_type="bpe",
        vocab_size=vocab_size, user_defined_symbols=[], control_symbols=["<pad>"], num_threads=threads,
        input_sentence_size=0, minloglevel=2)
    seconds = time.perf_counter() - start
    return seconds, baseline, vocab_size


def tiktoken_encoding(workdir):
    """A tiktoken Encoding with the ranks of the tokenizers model (ids in merge order)."""
    import tiktoken
    model = json.load(open(os.path.join(workdir, "tokenizers.json"), encoding="utf-8"))["model"]
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    decode = {chr(c): b for b, c in zip(bs, cs)}
    ranks = {bytes(decode[ch] for ch in token): rank
             for token, rank in model["vocab"].items() if token not in SPECIALS}
    return tiktoken.Encoding(name="peer8k", pat_str=GPT2_PATTERN, mergeable_ranks=ranks, special_tokens={})


def encode(engine, corpus, workdir, threads, unit, repeats):
    pieces, size = chunks_of(corpus, unit)
    if engine == "tokenizers":
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(os.path.join(workdir, "tokenizers.json"))
        batch = getattr(tok, "encode_batch_fast", tok.encode_batch)
        run = lambda: sum(len(e.ids) for e in batch(pieces, add_special_tokens=False))
    elif engine == "sentencepiece":
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=os.path.join(workdir, "sentencepiece.model"))
        run = lambda: sum(len(ids) for ids in sp.encode(pieces, num_threads=threads))
    else:
        enc = tiktoken_encoding(workdir)
        run = lambda: sum(len(ids) for ids in enc.encode_ordinary_batch(pieces, num_threads=threads))
    best, tokens = float("inf"), 0
    for _ in range(repeats):
        start = time.perf_counter()
        tokens = run()
        best = min(best, time.perf_counter() - start)
    return {"unit": unit, "mb_per_s": size / 1e6 / best, "seconds": best, "tokens": tokens, "bytes": size}


def worker(args):
    """Runs one measurement in this (fresh) process and prints its JSON line."""
    record = {"engine": args.engine, "task": args.task, "threads": args.worker_threads,
              "corpus": os.path.abspath(args.corpus)}
    if args.task == "train":
        if args.engine == "tokenizers":
            seconds, baseline, vocab = train_tokenizers(args.corpus, args.vocab_size, args.workdir)
        else:
            seconds, baseline, vocab = train_sentencepiece(args.corpus, args.vocab_size, args.workdir,
                                                           args.worker_threads)
        record.update(vocab_size=vocab, seconds=seconds, peak_rss_mb=rss_mb(), baseline_rss_mb=baseline)
    else:
        record.update(encode(args.engine, args.corpus, args.workdir, args.worker_threads, args.unit, args.repeats))
    print(json.dumps(record), flush=True)


def run(args, engine, task, threads, workdir):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    command = [sys.executable, os.path.abspath(__file__), args.corpus, "--worker", "--engine", engine,
               "--task", task, "--worker-threads", str(threads), "--workdir", workdir,
               "--vocab-size", str(args.vocab_size), "--unit", args.unit, "--repeats", str(args.repeats)]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    print(out.strip().splitlines()[-1], flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus")
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--engines", default="tokenizers,sentencepiece,tiktoken")
    parser.add_argument("--unit", choices=["chunk", "line"], default="chunk")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tasks", default="train,encode")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--worker-threads", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    engines = args.engines.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    tasks = args.tasks.split(",")
    with tempfile.TemporaryDirectory() as workdir:
        # Encoding needs the trained models; tiktoken uses the tokenizers one.
        for engine in ["tokenizers", "sentencepiece"]:
            needed = engine in engines or (engine == "tokenizers" and "tiktoken" in engines)
            if needed and ("train" in tasks or "encode" in tasks):
                run(args, engine, "train", max(threads), workdir)
        if "encode" in tasks:
            for engine in engines:
                for n in threads:
                    run(args, engine, "encode", n, workdir)


if __name__ == "__main__":
    main()
