"""PyTorch CPU peer of Quill's sentence VAE (Sources/QuillModels/SentenceVAE.swift).

The same model, term for term: a shared embedding; an LSTM or GRU encoder (optionally
bidirectional) whose final hidden state gives the Gaussian posterior's mean and log-variance
through one Linear; a reparameterized sample z; an LSTM or GRU decoder conditioned on z
through its initial state (h0 and, for the LSTM, c0 from one Linear) or by concatenating z to
every input; and an output Linear over the vocabulary. The loss of a batch of B sentences is

    sum of token cross-entropies / B  +  beta * kl_weight * sum_d max(free_bits, mean_b KL_bd)

with padding ignored. Token conventions: the encoder reads w1..wL <eos>, the decoder reads
<bos> w1..wL and predicts w1..wL <eos>; ids 0-3 are <pad> <unk> <bos> <eos>.

Benchmark (what Benchmarks/vae-side-by-side.sh runs):

    python3 Benchmarks/peers/vae.py --config gru --threads 1

times full training steps (forward, backward, Adam) at batch 32, length 25 and prints one JSON
object per line, as quill-bench does: the median of per-step times over --steps timed steps
after --warmup untimed ones, batches cycling on from the warm-up as quill-bench's do, and the
mean CPU time of the timed steps. `--data random` uses sentences of exactly 24 random words
(25 decoder steps, no padding); `--data FILE` uses the file's first lines cut to 24 words, in
order, so batches carry the padding of real text.
"""
import argparse
import resource
import json
import math
import statistics
import time

import torch
from torch import nn

CONFIGS = {
    # name: (cell, vocabulary, embedding, hidden, latent)
    "gru": ("gru", 10_000, 300, 256, 16),
    "lstm": ("lstm", 10_000, 256, 512, 32),
}
PAD, UNK, BOS, EOS = 0, 1, 2, 3


class SentenceVAE(nn.Module):
    def __init__(self, cell, vocabulary, embedding, hidden, latent, bidirectional=False,
                 conditioning="initial-state"):
        super().__init__()
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.cell, self.hidden_size, self.conditioning = cell, hidden, conditioning
        directions = 2 if bidirectional else 1
        self.embedding = nn.Embedding(vocabulary, embedding)
        self.encoder = rnn(embedding, hidden, batch_first=True, bidirectional=bidirectional)
        self.posterior = nn.Linear(directions * hidden, 2 * latent)
        decoder_input = embedding + (latent if conditioning == "concat" else 0)
        if conditioning == "initial-state":
            self.latent_to_state = nn.Linear(latent, hidden * (2 if cell == "lstm" else 1))
        self.decoder = rnn(decoder_input, hidden, batch_first=True)
        self.output = nn.Linear(hidden, vocabulary)

    def posterior_parameters(self, encoder_input, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(encoder_input), lengths.cpu(),
                                                   batch_first=True, enforce_sorted=False)
        _, state = self.encoder(packed)
        h = state[0] if self.cell == "lstm" else state
        # Top layer: forward and, when bidirectional, reverse final states side by side.
        final = torch.cat([h[-2], h[-1]], dim=1) if h.shape[0] == 2 else h[-1]
        mean, log_variance = self.posterior(final).chunk(2, dim=1)
        return mean, log_variance

    def decoder_logits(self, decoder_input, z):
        x = self.embedding(decoder_input)
        state = None
        if self.conditioning == "concat":
            x = torch.cat([x, z.unsqueeze(1).expand(-1, x.shape[1], -1)], dim=2)
        else:
            s = self.latent_to_state(z).unsqueeze(0)
            state = tuple(s.chunk(2, dim=2)) if self.cell == "lstm" else s
            state = tuple(t.contiguous() for t in state) if self.cell == "lstm" else state.contiguous()
        output, _ = self.decoder(x, state)
        return self.output(output)

    def loss_terms(self, encoder_input, decoder_input, targets, lengths, noise):
        """Returns (reconstruction summed over the batch's tokens, KL [B, Z], mean, log-variance)."""
        mean, log_variance = self.posterior_parameters(encoder_input, lengths)
        z = mean + torch.exp(0.5 * log_variance) * noise
        logits = self.decoder_logits(decoder_input, z)
        reconstruction = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                                     ignore_index=PAD, reduction="sum")
        kl = 0.5 * (mean.pow(2) + log_variance.exp() - 1 - log_variance)
        return reconstruction, kl, mean, log_variance


def objective(reconstruction, kl, batch_size, kl_weight=1.0, beta=1.0, free_bits=0.0):
    """The training loss: reconstruction per sentence plus the weighted, free-bits-clamped KL."""
    per_dimension = kl.mean(dim=0)
    clamped = torch.clamp(per_dimension, min=free_bits) if free_bits > 0 else per_dimension
    return reconstruction / batch_size + beta * kl_weight * clamped.sum()


def make_batch(sentences):
    """Pads sentences (lists of ids without specials) into encoder input, decoder input, targets, lengths."""
    steps = max(len(s) for s in sentences) + 1
    encoder_input = torch.full((len(sentences), steps), PAD, dtype=torch.long)
    decoder_input = torch.full_like(encoder_input, PAD)
    for b, s in enumerate(sentences):
        encoder_input[b, :len(s) + 1] = torch.tensor(s + [EOS])
        decoder_input[b, :len(s) + 1] = torch.tensor([BOS] + s)
    lengths = torch.tensor([len(s) + 1 for s in sentences])
    return encoder_input, decoder_input, encoder_input.clone(), lengths


def benchmark_sentences(data, vocabulary, count, words):
    generator = torch.Generator().manual_seed(0)
    if data == "random":
        return [torch.randint(4, vocabulary, (words,), generator=generator).tolist() for _ in range(count)]
    ids, sentences = {}, []
    with open(data, encoding="utf-8") as f:
        for line in f:
            tokens = line.split()[:words]
            if not tokens:
                continue
            sentences.append([min(ids.setdefault(t, 4 + len(ids)), vocabulary - 1) for t in tokens])
            if len(sentences) == count:
                break
    return sentences


def run_benchmark(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cell, vocabulary, embedding, hidden, latent = CONFIGS[args.config]
    model = SentenceVAE(cell, vocabulary, embedding, hidden, latent)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    sentences = benchmark_sentences(args.data, vocabulary, args.batch_size * 8, args.length - 1)
    batches = [make_batch(sentences[i:i + args.batch_size]) for i in range(0, len(sentences), args.batch_size)]

    def step(batch):
        encoder_input, decoder_input, targets, lengths = batch
        noise = torch.randn(len(lengths), latent)
        reconstruction, kl, _, _ = model.loss_terms(encoder_input, decoder_input, targets, lengths, noise)
        loss = objective(reconstruction, kl, len(lengths))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    # Batches cycle on from the warm-up, as quill-bench's steps do.
    for i in range(args.warmup):
        step(batches[i % len(batches)])
    times, cpu_start = [], time.process_time()
    for i in range(args.warmup, args.warmup + args.steps):
        start = time.perf_counter()
        step(batches[i % len(batches)])
        times.append(time.perf_counter() - start)
    cpu = (time.process_time() - cpu_start) / args.steps
    median = statistics.median(times)
    print(json.dumps({"name": f"peer.vae.{args.config}.train_step", "value": round(args.batch_size / median, 2),
                      "unit": "sentences/s", "threads": args.threads, "data": args.data,
                      "median_step_ms": round(median * 1e3, 2), "cpu_ms_per_step": round(cpu * 1e3, 2),
                      "statistic": "median of per-step times", "steps": args.steps, "warmup": args.warmup,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="gru")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--length", type=int, default=25, help="decoder steps per sentence, <eos> included")
    parser.add_argument("--data", default="random", help="'random' or a sentence-per-line file")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=15)
    run_benchmark(parser.parse_args())
