#!/usr/bin/env python3
"""The fixture of CorpusBLEUTests: sacreBLEU's corpus BLEU of small corpora, with its defaults.

Usage (from anywhere): python3 make_fixture.py
    Writes corpus_bleu.json beside this script: for each named case, the hypotheses and their
    references (one each), sacreBLEU's `13a` tokens of every line, and `corpus_bleu`'s score,
    n-gram matches and totals, lengths and brevity penalty. Running it again with the same
    sacreBLEU version rewrites the file byte for byte.
"""
import json
import os

import sacrebleu
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = [
    ("identical", ["the cat sat on the mat .", "a dog ran in the park"],
     ["the cat sat on the mat .", "a dog ran in the park"]),
    ("partly matching", ["the cat sat on a mat", "a dog ran into the big park today"],
     ["the cat sat on the mat", "a dog ran in the park"]),
    ("no four-gram match", ["the cat sat on the dog mat"], ["the cat sat the on mat dog"]),
    ("no match at all", ["alpha beta gamma"], ["one two three four"]),
    ("empty hypothesis", ["", "the cat sat"], ["the cat sat on the mat", "the cat sat"]),
    ("every hypothesis empty", ["", ""], ["the cat", "a dog"]),
    ("shorter than four tokens", ["the cat", "a dog"], ["the cat", "a dog"]),
    ("short hypothesis, brevity penalty", ["the cat sat on"], ["the cat sat on the mat today"]),
    ("long hypothesis, no penalty", ["the cat sat on the mat today and yesterday too"], ["the cat sat on the mat"]),
    ("punctuation 13a splits", ["Hello, world! (It's \"fine\"); isn't it? [yes]: {a}/b~c@d#e$f%g^h&i*j+k=l<m>n|o`p\\q"],
     ["Hello , world ! ( It's \" fine \" ) ; isn't it ? [ yes ] : { a } / b ~ c @ d # e $ f % g ^ h & i * j + k = l < m > n | o ` p \\ q"]),
    ("numbers and periods", ["It cost $3.50, or 1,000.5 units. Ends with 5. And .5 too.", "version 2.0.1 ok."],
     ["It cost $ 3.50 , or 1,000.5 units . Ends with 5 . And .5 too .", "version 2.0.1 ok ."]),
    ("hyphens", ["state-of-the-art 1990-2000 well- known -x 3-", "a - b 7 -8"],
     ["state-of-the-art 1990 - 2000 well- known -x 3 -", "a - b 7 - 8"]),
    ("markup and line breaks", ["x &amp; y &lt;z&gt; &quot;q&quot; <skipped>end line-\nbreak\nnext"],
     ["x & y < z > \" q \" end linebreak next"]),
    ("trailing and odd whitespace", ["the  cat\tsat\u00a0on\u3000the mat   \r\n", "\u2003a dog\u0085ran "],
     ["the cat sat on the mat", "a dog ran"]),
    ("non-ASCII", ["Größe ist nicht alles, café « très » bien. 東京は大きい。", "e\u0301 vs \u00e9 — naïve"],
     ["Größe ist alles, café « très » bien. 東京は大きい。", "\u00e9 vs \u00e9 — naive"]),
    ("repeated n-grams clipped", ["the the the the the the the"], ["the cat is on the mat"]),
]


def case(name, hypotheses, references):
    score = sacrebleu.corpus_bleu(hypotheses, [references])
    tokenizer = Tokenizer13a()
    return {
        "name": name,
        "hypotheses": hypotheses,
        "references": references,
        "hypothesis_tokens": [tokenizer(line.rstrip()).split() for line in hypotheses],
        "reference_tokens": [tokenizer(line.rstrip()).split() for line in references],
        "score": score.score,
        "matches": list(score.counts),
        "totals": list(score.totals),
        "hypothesis_length": score.sys_len,
        "reference_length": score.ref_len,
        "brevity_penalty": score.bp,
    }


def main():
    fixture = {"sacrebleu": sacrebleu.__version__, "cases": [case(*c) for c in CASES]}
    with open(os.path.join(HERE, "corpus_bleu.json"), "w", encoding="utf-8") as file:
        file.write(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
