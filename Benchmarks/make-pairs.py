#!/usr/bin/env python3
"""Draws random sentence pairs from a sentence-per-line file, for `quill eval --pairs`.

    Benchmarks/make-pairs.py ../shared/corpora/ptb/ptb.test.txt > runs/ptb-pairs.tsv
    Benchmarks/make-pairs.py CORPUS [--count 200] [--seed 0] [--output PAIRS.tsv]

Each output line holds two different lines of CORPUS (blank lines and lines with a tab are
skipped), stripped of surrounding white space and separated by a tab. The same corpus, count
and seed give the same pairs.
"""
import argparse
import random
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", help="a UTF-8 text file, one sentence a line")
    parser.add_argument("--count", type=int, default=200, help="pairs to draw (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draw (default 0)")
    parser.add_argument("--output", help="where to write the pairs (default: stdout)")
    args = parser.parse_args()
    with open(args.corpus, encoding="utf-8") as file:
        sentences = [line.strip() for line in file if line.strip() and "\t" not in line]
    if len(sentences) < 2:
        sys.exit(f"make-pairs.py: {args.corpus} has {len(sentences)} usable sentences; pairs need at least 2.")
    rng = random.Random(args.seed)
    lines = []
    for _ in range(args.count):
        first, second = rng.sample(range(len(sentences)), 2)
        lines.append(f"{sentences[first]}\t{sentences[second]}\n")
    output = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    output.writelines(lines)
    if args.output:
        output.close()


if __name__ == "__main__":
    main()
