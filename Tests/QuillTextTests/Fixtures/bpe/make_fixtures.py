#!/usr/bin/env python3
"""Fixtures for Quill's byte-level BPE tests, made with Hugging Face `tokenizers` (0.23).

Usage (from this folder):

    python3 make_fixtures.py hf
        Writes corpus.txt (a small generated multilingual corpus), sample.txt (the test text),
        presplit.json (how tokenizers' regexes cut sample.txt and random strings), and
        hf_trained.tokenizer.json / hf_trained_legacy.tokenizer.json (a BPE trained here, with
        merges as [a, b] pairs and as "a b" strings) with hf_trained.ids.json (its ids of sample.txt).

    python3 make_fixtures.py quill PATH
        Copies the Quill-trained tokenizer.json at PATH (BPEHuggingFaceTests writes a fresh one to
        $TMPDIR/quill_trained.tokenizer.json when it differs from the committed one) to
        quill_trained.tokenizer.json and writes quill_trained.ids.json: the ids this package gives.

Ids are computed with `encode_special_tokens = True`, so special-token text in the input is
encoded as ordinary text, as Quill always does.
"""
import json
import os
import random
import shutil
import sys

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]
VOCAB_SIZE = 600

# The test text: English with contractions, digits, Chinese, Japanese, Arabic, emoji ZWJ
# sequences and skin tones, combining marks, CRLF, tabs, runs of spaces, other white space,
# special-token look-alikes, and a long unsegmented Chinese run.
SAMPLE = (
    "Hello, world! It's 2024 — we'll see; they're 3.14159 times 42.\r\n"
    "Don't  panic:\tthe   answer is\u00a042. I'M fine, you'VE won.\n"
    "中文分词很难，因为句子之间没有空格。我们今天去北京大学。\n"
    "日本語のテキスト：東京は大きい都市です。カタカナとひらがな、漢字。\n"
    "مرحبا بالعالم! هذا نص عربي ١٢٣٤٥.\n"
    "Emoji: 👨\u200d👩\u200d👧\u200d👦 family, 👍🏽 thumbs, ❤\ufe0f heart, 🏳\ufe0f\u200d🌈 flag.\n"
    "Combining: e\u0301te\u0301, n\u0303o, a\u0308\u0304, 1\u0301x, \u0301lead, Z\u0335\u0321a\u0336lgo.\r\n"
    "Raw specials stay text: <eos> <pad><bos>\u3000ideographic space, tabs\t\tand   \n\n\n"
    "Digits ０１２ ⅧⅨ ½ and x²; URLs https://example.com/a_b?c=1&d=2 'quoted' ''s\n"
    + "漢字" * 40 + "。\n"
)

WORDS = {
    "en": "the of and to in is was that for it with as his on be at by had are but from not this have they which "
          "one you were all we when there can an been has more if will would who so no said what up its about "
          "into than them only other new some could time these two may first then do any like my now over such "
          "our man me even most made after also did many before must through back years where much your way well "
          "don't it's we'll they're I'm you've she'd".split(),
    "zh": list("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府研质"),
    "ja": "これ それ あれ です ます した する ある いる なる こと もの ため よう から まで より テキスト カタカナ ひらがな 東京 大阪 日本 今日 明日 世界".split(),
    "ar": "مرحبا بالعالم هذا نص عربي في من على إلى أن كان هو هي الذي التي".split(),
    "misc": ["👍", "👍🏽", "👨\u200d👩\u200d👧", "❤\ufe0f", "🏳\ufe0f\u200d🌈", "e\u0301", "n\u0303", "a\u0308",
             "2024", "3.14", "42", "١٢٣", "<eos>", "<unk>"],
}


def make_corpus(seed=7, lines=1200):
    """A deterministic mixed-language corpus of about 60 KB."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        lang = rng.choice(["en", "en", "en", "zh", "zh", "ja", "ar", "misc"])
        n = rng.randint(3, 14)
        if lang == "zh":
            line = "".join(rng.choice(WORDS["zh"]) for _ in range(n * 2)) + rng.choice(["。", "，", "！"])
        else:
            words = [rng.choice(WORDS[lang]) for _ in range(n)]
            if rng.random() < 0.3:
                words.insert(rng.randint(0, n), rng.choice(WORDS["misc"]))
            line = " ".join(words) + rng.choice([".", ",", "!", "?", ""])
        out.append(line + rng.choice(["\n", "\n", "\n", "\r\n"]))
    return "".join(out)


# A pool of scalars for random pre-split checks: every class, the edge cases of the regex.
POOL = (
    list("abcXYZ") + list("é中語ع") + ["\u0301", "\u0308", "\u093f", "\u20e3", "\ufe0f"]  # letters, marks
    + list("09") + ["٣", "０", "Ⅷ", "½", "²"]  # numbers
    + list("'''.,!?-_/\\\"<>") + ["—", "。", "👍", "🏽", "\u200d", "\x1c", "\x00", "\x7f"]  # other
    + [" ", " ", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x85", "\u00a0", "\u1680", "\u2000", "\u2028",
       "\u2029", "\u202f", "\u205f", "\u3000"]  # white space
    + list("stmdrevl") + ["S", "\U00010400", "\U0001d400", "\U00011de0", "\u1acf"]  # contractions, astral, Unicode 17
)

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


def quill_pattern(k):
    return (r"'s|'t|'re|'ve|'m|'ll|'d| ?[\p{L}\p{M}]{1,%d}| ?\p{N}{1,%d}| ?[^\s\p{L}\p{N}]{1,%d}"
            r"|\s{1,%d}(?!\S)|\s{1,%d}" % (k, k, k, k, k))


def byte_decoder():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


BYTES = byte_decoder()


def piece_lengths(pre_tokenizer, text):
    """The byte length of each pre-token of `text`."""
    return [len(p) for p, _ in pre_tokenizer.pre_tokenize_str(text)]


def presplit_cases():
    rules = {
        "gpt2": pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        "quill32": pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(quill_pattern(32)), behavior="isolated"),
                                            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
        "quill3": pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(quill_pattern(3)), behavior="isolated"),
                                           pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
    }
    rng = random.Random(11)
    texts = [SAMPLE] + ["".join(rng.choice(POOL) for _ in range(rng.randint(1, 24))) for _ in range(300)]
    cases = []
    for i, text in enumerate(texts):
        cases.append({"name": "sample" if i == 0 else "random%d" % i, "text": text,
                      "pieces": {name: piece_lengths(rule, text) for name, rule in rules.items()}})
    # Check that the byte-length view loses nothing: pieces tile the text.
    for case in cases:
        for lengths in case["pieces"].values():
            assert sum(lengths) == len(case["text"].encode("utf-8"))
    return cases


def write_json(name, value):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")


def encode_ids(tokenizer_json_path):
    tok = Tokenizer.from_file(tokenizer_json_path)
    tok.encode_special_tokens = True
    enc = tok.encode(SAMPLE, add_special_tokens=False)
    assert tok.decode(enc.ids, skip_special_tokens=False) == SAMPLE
    return enc.ids


def make_hf():
    corpus = make_corpus()
    with open(os.path.join(HERE, "corpus.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(corpus)
    with open(os.path.join(HERE, "sample.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(SAMPLE)
    write_json("presplit.json", presplit_cases())

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus.splitlines(keepends=True), trainer)
    path = os.path.join(HERE, "hf_trained.tokenizer.json")
    tok.save(path)
    ids = encode_ids(path)
    # The same tokenizer with merges in the older "a b" string form.
    data = json.load(open(path, encoding="utf-8"))
    data["model"]["merges"] = [" ".join(pair) for pair in data["model"]["merges"]]
    legacy = os.path.join(HERE, "hf_trained_legacy.tokenizer.json")
    with open(legacy, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    assert encode_ids(legacy) == ids
    write_json("hf_trained.ids.json", ids)


def make_quill(path):
    target = os.path.join(HERE, "quill_trained.tokenizer.json")
    if os.path.abspath(path) != target:
        shutil.copyfile(path, target)
    write_json("quill_trained.ids.json", encode_ids(target))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "hf":
        make_hf()
    elif len(sys.argv) == 3 and sys.argv[1] == "quill":
        make_quill(sys.argv[2])
    else:
        sys.exit(__doc__)
