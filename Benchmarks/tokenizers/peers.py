#!/usr/bin/env python3
"""Quill's byte-level BPE beside its peers: training time and memory, encoding speed, and ratios.

Measures Hugging Face `tokenizers` (BPE after a byte-level pre-split), `sentencepiece`
(model_type=bpe, its own pre-split) and `tiktoken` on one corpus and, given `--quill-bench BIN`,
runs quill-bench's `bpe_train` and `bpe_encode` cases on the same corpus in the same run. Prints
one JSON object per measurement, then a table of Quill's figure, each peer's and their ratio:

    {"engine": "tokenizers", "task": "train", "pre_split": "quill", "threads": 2, "vocab_size": 8000,
     "seconds": 5.1, "peak_rss_mb": 690.2, ...}
    {"engine": "tiktoken", "task": "encode", "pre_split": "gpt2", "threads": 1, "mb_per_s": 11.9, ...}

Pre-split (`--splits`): `quill` is Quill's default rule (runs capped at 32 scalars, combining
marks kept in letter runs), given to `tokenizers` as a Split pre-tokenizer with the regex Quill
writes into its tokenizer.json and to tiktoken as its pattern; `gpt2` is GPT-2's uncapped regex
(the peers' usual setting), given to Quill as `QUILL_BENCH_PRESPLIT=gpt2`. On unspaced text such
as the Tang poems the two rules do different work, so each ratio compares one rule on both sides.
sentencepiece splits text its own way under either.

Training: an 8,000-token vocabulary (four special tokens included) from the whole file, one
timed run in a fresh process whose peak resident memory (ru_maxrss) is reported, at each thread
count; `baseline_rss_mb` is that process's memory before training (the interpreter and the
library). tiktoken cannot train, so it encodes with the ranks of the `tokenizers` model of the
same pre-split (same vocabulary, same regex).

Encoding: the corpus cut into ~1 MB (of UTF-8) chunks at line ends, as quill-bench cuts it
(`--unit line`: one piece per line instead, for the peers only), encoded as a batch by the
engine's own threads (RAYON_NUM_THREADS for tokenizers, num_threads for sentencepiece and
tiktoken). Each side reports the median of `--repeats` timed runs after `--warmup` untimed ones,
in MB of UTF-8 per second.

Usage:
    pip install tokenizers sentencepiece tiktoken
    python3 peers.py CORPUS [--quill-bench .build-release/release/quill-bench] [--vocab-size 8000]
                     [--threads 1,2] [--engines tokenizers,sentencepiece,tiktoken] [--splits quill,gpt2]
                     [--unit chunk|line] [--repeats 3] [--warmup 1] [--tasks train,encode]
    Benchmarks/tokenizers-side-by-side.sh CORPUS   # builds quill-bench, then runs this
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
# Quill's default pre-split (ByteLevelPreSplit.quillDefault in Sources/QuillText/ByteLevelPreSplit.swift).
QUILL_PATTERN = (r"""'s|'t|'re|'ve|'m|'ll|'d| ?[\p{L}\p{M}]{1,32}| ?\p{N}{1,32}| ?[^\s\p{L}\p{N}]{1,32}"""
                 r"""|\s{1,32}(?!\S)|\s{1,32}""")
PATTERNS = {"gpt2": GPT2_PATTERN, "quill": QUILL_PATTERN}


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def chunks_of(path, unit, size=1 << 20):
    """The file's text cut into lines, or pieces of about `size` bytes each ending at a line end
    (quill-bench's megabyteChunks)."""
    data = open(path, "rb").read()
    if unit == "line":
        return data.decode("utf-8").splitlines(keepends=True), len(data)
    pieces, start = [], 0
    while start < len(data):
        end = data.find(b"\n", min(start + size, len(data)) - 1)
        end = len(data) if end < 0 else end + 1
        pieces.append(data[start:end].decode("utf-8"))
        start = end
    return pieces, len(data)


def train_tokenizers(corpus, vocab_size, workdir, split):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    if split == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QUILL_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    baseline = rss_mb()
    start = time.perf_counter()
    tok.train([corpus], trainer)
    seconds = time.perf_counter() - start
    tok.save(os.path.join(workdir, f"tokenizers-{split}.json"))
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


def tiktoken_encoding(workdir, split):
    """A tiktoken Encoding with the ranks of the tokenizers model (ids in merge order) and its regex."""
    import tiktoken
    model = json.load(open(os.path.join(workdir, f"tokenizers-{split}.json"), encoding="utf-8"))["model"]
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
    return tiktoken.Encoding(name="peer8k", pat_str=PATTERNS[split], mergeable_ranks=ranks, special_tokens={})


def encode(engine, corpus, workdir, threads, unit, repeats, warmup, split):
    pieces, size = chunks_of(corpus, unit)
    if engine == "tokenizers":
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(os.path.join(workdir, f"tokenizers-{split}.json"))
        # "<unk>" in PTB's text is text, as Quill and tiktoken read it, not the special token.
        tok.encode_special_tokens = True
        batch = getattr(tok, "encode_batch_fast", tok.encode_batch)
        run = lambda: sum(len(e.ids) for e in batch(pieces, add_special_tokens=False))
    elif engine == "sentencepiece":
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=os.path.join(workdir, "sentencepiece.model"))
        run = lambda: sum(len(ids) for ids in sp.encode(pieces, num_threads=threads))
    else:
        enc = tiktoken_encoding(workdir, split)
        run = lambda: sum(len(ids) for ids in enc.encode_ordinary_batch(pieces, num_threads=threads))
    for _ in range(warmup):
        run()
    times, tokens = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        tokens = run()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return {"unit": unit, "mb_per_s": size / 1e6 / seconds, "seconds": seconds, "tokens": tokens, "bytes": size,
            "statistic": "median of per-run times", "steps": repeats, "warmup": warmup}


def worker(args):
    """Runs one measurement in this (fresh) process and prints its JSON line."""
    split = "own" if args.engine == "sentencepiece" else args.split
    record = {"engine": args.engine, "task": args.task, "pre_split": split, "threads": args.worker_threads,
              "corpus": os.path.abspath(args.corpus)}
    if args.task == "train":
        if args.engine == "tokenizers":
            seconds, baseline, vocab = train_tokenizers(args.corpus, args.vocab_size, args.workdir, args.split)
        else:
            seconds, baseline, vocab = train_sentencepiece(args.corpus, args.vocab_size, args.workdir,
                                                           args.worker_threads)
        record.update(vocab_size=vocab, seconds=seconds, peak_rss_mb=rss_mb(), baseline_rss_mb=baseline,
                      statistic="one run", steps=1, warmup=0)
    else:
        record.update(encode(args.engine, args.corpus, args.workdir, args.worker_threads, args.unit,
                             args.repeats, args.warmup, args.split))
        record.update(peak_rss_mb=rss_mb())
    print(json.dumps(record), flush=True)


def run(args, engine, task, threads, workdir, split):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    command = [sys.executable, os.path.abspath(__file__), args.corpus, "--worker", "--engine", engine,
               "--task", task, "--worker-threads", str(threads), "--workdir", workdir, "--split", split,
               "--vocab-size", str(args.vocab_size), "--unit", args.unit, "--repeats", str(args.repeats),
               "--warmup", str(args.warmup)]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    record = json.loads(out.strip().splitlines()[-1])
    print(json.dumps(record), flush=True)
    return record


def run_quill(args, task, threads, split):
    """quill-bench's `bpe_TASK` case on the corpus under `split`, in a fresh process, as peer records."""
    env = dict(os.environ, QUILL_BENCH_CORPORA=os.path.abspath(args.corpus), QUILL_BENCH_PRESPLIT=split)
    command = [args.quill_bench, f"bpe_{task}", "--threads", str(threads)]
    if task == "encode":
        command += ["--steps", str(args.repeats), "--warmup", str(args.warmup)]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    line = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    record = {"engine": "quill", "task": task, "pre_split": split, "threads": threads, "kernel": line["kernel"],
              "statistic": line["statistic"], "steps": int(line["steps"]), "warmup": int(line["warmup"])}
    if task == "train":
        record.update(seconds=line["value"], peak_rss_mb=line["peak_rss_mb"])
    else:
        record.update(mb_per_s=line["value"], tokens=line["tokens"], bytes=line["bytes"], peak_rss_mb=line["peak_rss_mb"])
    print(json.dumps(record), flush=True)
    return record


def print_table(records):
    """Quill's figure beside each peer's at the same task, pre-split (sentencepiece: its own) and threads."""
    quill = {(r["task"], r["pre_split"], r["threads"]): r for r in records if r["engine"] == "quill"}
    print(f'\n{"task":<7} {"pre-split":<16} {"threads":>7} {"peer":<14} {"quill":>11} {"peer":>11} {"ratio":>7}  '
          f'statistic (both sides); ratio > 1: Quill faster; threads: Quill\'s and the engine\'s own')
    for r in records:
        if r["engine"] == "quill":
            continue
        split = "quill" if r["pre_split"] == "own" else r["pre_split"]
        ours = quill.get((r["task"], split, r["threads"]))
        if ours is None:
            continue
        if r["task"] == "train":
            figures = f'{ours["seconds"]:>9.2f} s {r["seconds"]:>9.2f} s {r["seconds"] / ours["seconds"]:>6.2f}x'
            extra = f'; peak RSS {float(ours["peak_rss_mb"]):.0f} vs {r["peak_rss_mb"]:.0f} MB'
        else:
            figures = f'{ours["mb_per_s"]:>6.2f} MB/s {r["mb_per_s"]:>6.2f} MB/s {ours["mb_per_s"] / r["mb_per_s"]:>6.2f}x'
            extra = f'; {ours["tokens"]} vs {r["tokens"]} tokens; peak RSS {float(ours["peak_rss_mb"]):.0f} vs {r["peak_rss_mb"]:.0f} MB'
        split_label = f'{split} (sp: own)' if r["pre_split"] == "own" else split
        counts = f'{r["statistic"]}, {r["steps"]} after {r["warmup"]} warm-up'
        if (ours["statistic"], ours["steps"], ours["warmup"]) != (r["statistic"], r["steps"], r["warmup"]):
            counts += f' (quill: {ours["statistic"]}, {ours["steps"]} after {ours["warmup"]})'
        print(f'{r["task"]:<7} {split_label:<16} {r["threads"]:>7} {r["engine"]:<14} {figures}  {counts}; '
              f'quill kernel {ours["kernel"]}{extra}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus")
    parser.add_argument("--quill-bench", help="a quill-bench executable: also run Quill's cases and print ratios")
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--engines", default="tokenizers,sentencepiece,tiktoken")
    parser.add_argument("--splits", default="quill,gpt2", help="pre-split rules for Quill, tokenizers and tiktoken")
    parser.add_argument("--unit", choices=["chunk", "line"], default="chunk")
    parser.add_argument("--repeats", type=int, default=3, help="timed encoding runs per measurement")
    parser.add_argument("--warmup", type=int, default=1, help="untimed encoding runs before them")
    parser.add_argument("--tasks", default="train,encode")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--split", default="quill", help=argparse.SUPPRESS)
    parser.add_argument("--worker-threads", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if args.quill_bench and args.vocab_size != 8000:
        parser.error("quill-bench's cases train 8,000-token vocabularies: leave --vocab-size at 8000 with --quill-bench")
    engines = args.engines.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    tasks = args.tasks.split(",")
    splits = args.splits.split(",")
    records = []
    with tempfile.TemporaryDirectory() as workdir:
        # Encoding needs the trained models; tiktoken uses the tokenizers one. Each thread count
        # trains (and is timed) when training is a task; otherwise the largest trains once.
        train_threads = threads if "train" in tasks else [max(threads)]
        for n in train_threads:
            if "tokenizers" in engines or "tiktoken" in engines:
                for split in splits:
                    records.append(run(args, "tokenizers", "train", n, workdir, split))
            if "sentencepiece" in engines:
                records.append(run(args, "sentencepiece", "train", n, workdir, "own"))
            if args.quill_bench and "train" in tasks:
                for split in splits:
                    records.append(run_quill(args, "train", n, split))
        if "encode" in tasks:
            for split in splits:
                for n in threads:
                    if args.quill_bench:
                        records.append(run_quill(args, "encode", n, split))
                    for engine in engines:
                        if engine != "sentencepiece" or split == splits[0]:
                            records.append(run(args, engine, "encode", n, workdir, split))
    if "train" not in tasks:
        records = [r for r in records if r["task"] != "train"]
    if args.quill_bench:
        print_table(records)


if __name__ == "__main__":
    main()
