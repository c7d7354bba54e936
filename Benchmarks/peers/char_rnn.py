#!/usr/bin/env python3
"""PyTorch CPU peer of `quill train char-rnn`: the same model and training step, timed.

Model: token embedding [V, E] -> nn.LSTM/nn.GRU (L layers of H, dropout between layers)
-> dropout -> Linear [V, H]. Step: truncated BPTT over `batch` parallel streams whose hidden
state carries across batches (detached), mean cross-entropy, backward, global gradient-norm
clipping, Adam. Sampling: batch 1, one character per forward step, softmax with temperature.

Timing, as Benchmarks/char-rnn-side-by-side.sh reads `quill train`'s metrics log (a record per
10 steps): training runs --warmup untimed steps, then --steps timed ones in windows of --window
steps, and reports tokens per window over the median window time; sampling runs
--sample-warmup untimed characters, then reports --sample-chars over their total time.

Prints one JSON object per line, as `quill-bench` does:
  {"name": "peer.char_rnn.train", "value": tokens/s, "unit": "tokens/s", "threads": T, ...}
  {"name": "peer.char_rnn.sample", "value": chars/s, "unit": "chars/s", "threads": T, ...}
  {"name": "peer.char_rnn.peak_rss", "value": MiB, "unit": "MiB", "threads": T}

Reference configuration (issue #4): vocabulary 65, embedding 64, 2x256 LSTM, sequence 128,
batch 32, Adam. Usage: python3 Benchmarks/peers/char_rnn.py --threads 1 [--corpus FILE]
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn


class CharRNN(nn.Module):
    def __init__(self, vocab, embedding, hidden, layers, cell, dropout):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(embedding, hidden, layers, dropout=dropout if layers > 1 else 0.0, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens, state=None):
        output, state = self.rnn(self.embedding(tokens), state)
        return self.head(self.dropout(output)), state


def detach(state):
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def token_streams(args, generator):
    """The corpus's ids (or random ids), cut into `batch` contiguous streams [batch, length]."""
    if args.corpus:
        text = open(args.corpus, encoding="utf-8").read()
        alphabet = sorted(set(text))
        index = {c: i for i, c in enumerate(alphabet)}
        ids = torch.tensor([index[c] for c in text], dtype=torch.long)
        vocab = len(alphabet)
    else:
        vocab = args.vocab
        ids = torch.randint(0, vocab, (args.batch * (args.seq_len * (args.steps + args.warmup) + 1),),
                            generator=generator)
    length = len(ids) // args.batch
    return ids[: length * args.batch].view(args.batch, length), vocab


def train_rate(args, model, streams):
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    criterion = nn.CrossEntropyLoss()
    model.train()
    state, position = None, 0
    length = streams.shape[1]

    def step():
        nonlocal state, position
        if position + args.seq_len + 1 > length:
            state, position = None, 0
        x = streams[:, position : position + args.seq_len]
        y = streams[:, position + 1 : position + args.seq_len + 1]
        position += args.seq_len
        logits, state = model(x, state)
        state = detach(state)
        loss = criterion(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if args.grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    windows = []
    for _ in range(args.steps // args.window):
        start = time.perf_counter()
        for _ in range(args.window):
            loss = step()
        windows.append(time.perf_counter() - start)
    return args.window * args.batch * args.seq_len / statistics.median(windows), loss


@torch.no_grad()
def sample_rate(args, model, vocab, generator):
    model.eval()
    token = torch.zeros((1, 1), dtype=torch.long)
    state = None

    def step():
        nonlocal token, state
        logits, state = model(token, state)
        probabilities = torch.softmax(logits[0, -1] / args.temperature, dim=-1)
        token = torch.multinomial(probabilities, 1, generator=generator).view(1, 1)

    for _ in range(args.sample_warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.sample_chars):
        step()
    return args.sample_chars / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--corpus", help="train on this text file instead of random ids")
    parser.add_argument("--vocab", type=int, default=65)
    parser.add_argument("--embedding-size", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--grad-clip", type=float, default=5.0)
    parser.add_argument("--steps", type=int, default=40, help="timed training steps, a multiple of --window")
    parser.add_argument("--warmup", type=int, default=10, help="untimed training steps before them")
    parser.add_argument("--window", type=int, default=10, help="steps per timed window")
    parser.add_argument("--sample-chars", type=int, default=10000, help="timed sampled characters")
    parser.add_argument("--sample-warmup", type=int, default=1000, help="untimed sampled characters before them")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args()
    if args.steps < args.window or args.steps % args.window:
        parser.error(f"--steps {args.steps} is not a positive multiple of --window {args.window}")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    streams, vocab = token_streams(args, generator)
    model = CharRNN(vocab, args.embedding_size, args.hidden_size, args.layers, args.cell, args.dropout)
    config = {"vocab": vocab, "embedding": args.embedding_size, "hidden": args.hidden_size,
              "layers": args.layers, "cell": args.cell, "seq_len": args.seq_len, "batch": args.batch}

    tokens_per_s, loss = train_rate(args, model, streams)
    print(json.dumps({"name": "peer.char_rnn.train", "value": round(tokens_per_s, 1), "unit": "tokens/s",
                      "threads": args.threads, "steps": args.steps, "warmup": args.warmup, "window": args.window,
                      "statistic": f"tokens per {args.window}-step window / median window time",
                      "loss": round(loss, 4),
                      "torch": torch.__version__, **config}), flush=True)
    chars_per_s = sample_rate(args, model, vocab, generator)
    print(json.dumps({"name": "peer.char_rnn.sample", "value": round(chars_per_s, 1), "unit": "chars/s",
                      "threads": args.threads, "batch": 1, "chars": args.sample_chars,
                      "warmup_chars": args.sample_warmup, "statistic": "timed chars / their total time"}), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"name": "peer.char_rnn.peak_rss", "value": round(peak, 1), "unit": "MiB",
                      "threads": args.threads}), flush=True)


if __name__ == "__main__":
    main()
