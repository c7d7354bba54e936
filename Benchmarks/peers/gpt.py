#!/usr/bin/env python3
"""PyTorch CPU peer of `quill train gpt`: nanoGPT's model, training step and generate, timed.

Model (karpathy/nanoGPT model.py): token + learned position embeddings, pre-LayerNorm blocks of
causal self-attention (F.scaled_dot_product_attention, as nanoGPT uses when available) and an
exact-GELU MLP, final LayerNorm, head tied to the token embedding, nanoGPT's init. Step
(nanoGPT train.py): random-offset batches, mean cross-entropy, backward, clip_grad_norm_ 1.0,
AdamW (betas 0.9/0.99, weight decay 0.1 on 2-D parameters only), warmup + cosine learning rate.
Generate: nanoGPT's `generate`, which crops the context to block_size and re-runs the whole
context for every new token (no key-value cache); with `--cache`, a loop that keeps every
layer's keys and values and runs one position per token, sliding as Quill's `GPT.generate` does
(when the cache is full, the last three quarters of block_size are run again from position 0).
Both pick greedily, as quill-bench's `gpt.large.generate` does.

Timing, as quill-bench's GPT cases: the median of per-step times after `--warmup` untimed steps,
over `--steps` timed ones; a generation step is one run (a block_size prompt, then `--tokens`
new tokens), reported per token.

Modes, each printing one JSON object per line as `quill-bench` does:
  train     {"name": "peer.gpt.train", "value": tokens/s, "unit": "tokens/s", "threads": T, ...}
  generate  {"name": "peer.gpt.generate", "value": ms/token, "unit": "ms/token", "cache": false, ...}
  recipe    nanoGPT's shakespeare_char CPU run (4x4x128, block 64, batch 12, 2000 iters,
            lr 1e-3 -> 1e-4, warmup 100, eval every 250 iters on 20 batches); prints each
            evaluation and {"name": "peer.gpt.recipe", "val_loss": ..., "wall_s": ...,
            "val_loss_full": ...}, the last over the whole validation split as `quill eval` does

Usage:
  python3 Benchmarks/peers/gpt.py train --threads 1 --size small
  python3 Benchmarks/peers/gpt.py generate --threads 1 --size large [--cache]
  python3 Benchmarks/peers/gpt.py recipe --threads 2 --corpus ../shared/corpora/tinyshakespeare/input.txt
"""
import argparse
import resource
import json
import math
import statistics
import time

import torch
import torch.nn as nn
from torch.nn import functional as F

SIZES = {
    # nanoGPT's Shakespeare CPU setting, and its "baby GPT" (config/train_shakespeare_char.py).
    "small": dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch=12),
    "large": dict(n_layer=6, n_head=6, n_embd=384, block_size=256, batch=8),
}


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = nn.Linear(c["n_embd"], 3 * c["n_embd"], bias=c["bias"])
        self.c_proj = nn.Linear(c["n_embd"], c["n_embd"], bias=c["bias"])
        self.resid_dropout = nn.Dropout(c["dropout"])
        self.n_head, self.dropout = c["n_head"], c["dropout"]

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0, is_causal=True)
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C)))

    def forward_cached(self, x, keys, values, start):
        """Attention for x [1, T, C] at positions start..start+T: stores their keys and values in
        rows start..start+T of keys and values [1, n_head, block_size, C / n_head], then attends
        to every row filled so far."""
        B, T, C = x.size()
        assert start == 0 or T == 1, "a prompt fills an empty cache; later calls add one token"
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        keys[:, :, start:start + T] = k
        values[:, :, start:start + T] = v
        y = F.scaled_dot_product_attention(q, keys[:, :, :start + T], values[:, :, :start + T], is_causal=T > 1)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c["n_embd"], bias=c["bias"])
        self.attn = CausalSelfAttention(c)
        self.ln_2 = nn.LayerNorm(c["n_embd"], bias=c["bias"])
        self.mlp = nn.Sequential(nn.Linear(c["n_embd"], 4 * c["n_embd"], bias=c["bias"]), nn.GELU(),
                                 nn.Linear(4 * c["n_embd"], c["n_embd"], bias=c["bias"]), nn.Dropout(c["dropout"]))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.block_size = c["block_size"]
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["block_size"], c["n_embd"])
        self.drop = nn.Dropout(c["dropout"])
        self.h = nn.ModuleList([Block(c) for _ in range(c["n_layer"])])
        self.ln_f = nn.LayerNorm(c["n_embd"], bias=c["bias"])
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("attn.c_proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * c["n_layer"]))

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if getattr(module, "bias", None) is not None:
                nn.init.zeros_(module.bias)

    def forward(self, idx, targets=None):
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(idx.size(1))))
        for block in self.h:
            x = block(x)
        x = self.ln_f(x)
        if targets is None:
            return self.lm_head(x[:, [-1], :]), None  # nanoGPT's inference-time shortcut
        logits = self.lm_head(x)
        return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)

    @torch.no_grad()
    def generate(self, idx, max_new_tokens):
        """nanoGPT's generate, greedy: crop to block_size, full forward, pick from the last position."""
        for _ in range(max_new_tokens):
            idx_cond = idx if idx.size(1) <= self.block_size else idx[:, -self.block_size:]
            logits, _ = self(idx_cond)
            idx = torch.cat((idx, logits[:, -1, :].argmax(dim=-1, keepdim=True)), dim=1)
        return idx

    @torch.no_grad()
    def logits_appending(self, tokens, cache):
        """Runs tokens [1, T] at the positions after the cache's, adds their keys and values to
        it, and returns the next-token logits [1, V] after the last of them."""
        start, n = cache.count, tokens.size(1)
        x = self.wte(tokens) + self.wpe(torch.arange(start, start + n))
        for block, keys, values in zip(self.h, cache.keys, cache.values):
            x = x + block.attn.forward_cached(block.ln_1(x), keys, values, start)
            x = x + block.mlp(block.ln_2(x))
        cache.count += n
        return self.lm_head(self.ln_f(x[:, -1, :]))

    @torch.no_grad()
    def generate_cached(self, idx, max_new_tokens):
        """Greedy generation with a key-value cache, sliding as Quill's GPT.generate does."""
        cache = KeyValueCache(self)
        keep = max(1, self.block_size - self.block_size // 4)
        tokens = idx[0].tolist()
        logits = self.logits_appending(idx[:, -self.block_size:], cache)
        for _ in range(max_new_tokens):
            tokens.append(int(logits.argmax()))
            if cache.count == self.block_size:
                cache.count = 0
                logits = self.logits_appending(torch.tensor([tokens[-keep:]]), cache)
            else:
                logits = self.logits_appending(torch.tensor([tokens[-1:]]), cache)
        return tokens


class KeyValueCache:
    """Every layer's keys and values [1, n_head, block_size, C / n_head], the first `count` rows filled."""

    def __init__(self, model):
        head = model.h[0].attn
        shape = (1, head.n_head, model.block_size, model.wte.weight.size(1) // head.n_head)
        self.keys = [torch.empty(shape) for _ in model.h]
        self.values = [torch.empty(shape) for _ in model.h]
        self.count = 0


def configure_optimizer(model, learning_rate, weight_decay):
    """nanoGPT's configure_optimizers: decay 2-D parameters, not biases or LayerNorm gains."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=learning_rate, betas=(0.9, 0.99))


def get_lr(it, learning_rate, min_lr, warmup, decay_iters):
    """nanoGPT's get_lr: linear warmup, cosine decay to min_lr."""
    if it < warmup:
        return learning_rate * (it + 1) / (warmup + 1)
    if it > decay_iters:
        return min_lr
    ratio = (it - warmup) / (decay_iters - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (learning_rate - min_lr)


def load_corpus(path):
    text = open(path, encoding="utf-8").read()
    chars = sorted(set(text))
    index = {ch: i for i, ch in enumerate(chars)}
    data = torch.tensor([index[ch] for ch in text], dtype=torch.long)
    n = int(0.9 * len(data))
    return data[:n], data[n:], len(chars)


def get_batch(data, batch, block):
    ix = torch.randint(len(data) - block, (batch,))
    x = torch.stack([data[i:i + block] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + block] for i in ix])
    return x, y


def train_step(model, optimizer, x, y, grad_clip=1.0):
    _, loss = model(x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss


def model_config(args, vocab):
    size = SIZES[args.size]
    return dict(n_layer=size["n_layer"], n_head=size["n_head"], n_embd=size["n_embd"],
                block_size=size["block_size"], bias=args.bias, dropout=0.0, vocab_size=vocab), size["batch"]


def peak_rss_mb():
    """This process's peak resident memory so far, in MiB (ru_maxrss), as quill-bench reports its own."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_train(args):
    if args.corpus:
        data, _, vocab = load_corpus(args.corpus)
    else:
        vocab = 65
        data = torch.randint(0, vocab, (1_000_000,))
    config, batch = model_config(args, vocab)
    model = GPT(config)
    optimizer = configure_optimizer(model, 1e-3, 0.1)
    block = config["block_size"]
    step = lambda: train_step(model, optimizer, *get_batch(data, batch, block))
    median = statistics.median(step_times(step, args.steps, args.warmup))
    tokens_per_s = batch * block / median
    n_params = sum(p.numel() for p in model.parameters()) - model.wpe.weight.numel()
    flops_per_token = 6 * n_params + 12 * config["n_layer"] * config["n_embd"] * block
    print(json.dumps(dict(name="peer.gpt.train", value=round(tokens_per_s, 1), unit="tokens/s",
                          threads=args.threads, size=args.size, batch=batch, block_size=block,
                          median_step_ms=round(median * 1e3, 2), statistic="median of per-step times",
                          steps=args.steps, warmup=args.warmup,
                          gflops=round(tokens_per_s * flops_per_token / 1e9, 2), peak_rss_mb=peak_rss_mb(),
                          torch=torch.__version__)))


def run_generate(args):
    config, _ = model_config(args, 65)
    model = GPT(config).eval()
    block = config["block_size"]
    idx = torch.randint(0, 65, (1, block))  # a full context, as quill-bench's case has
    generate = model.generate_cached if args.cache else model.generate
    median = statistics.median(step_times(lambda: generate(idx, args.tokens), args.steps, args.warmup))
    print(json.dumps(dict(name="peer.gpt.generate", value=round(median / args.tokens * 1000, 3), unit="ms/token",
                          threads=args.threads, size=args.size, context=block, tokens=args.tokens, cache=args.cache,
                          statistic="median of per-run times / tokens", steps=args.steps, warmup=args.warmup,
                          peak_rss_mb=peak_rss_mb(), torch=torch.__version__)))


def step_times(step, steps, warmup):
    """The wall times of `steps` calls of `step`, in seconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def run_recipe(args):
    train, val, vocab = load_corpus(args.corpus)
    torch.manual_seed(args.seed)
    config, batch = model_config(args, vocab)
    model = GPT(config)
    optimizer = configure_optimizer(model, 1e-3, 0.1)
    block, max_iters, eval_interval, eval_iters = config["block_size"], 2000, 250, 20

    @torch.no_grad()
    def estimate_loss():
        model.eval()
        out = {}
        for name, split in (("train", train), ("val", val)):
            losses = torch.zeros(eval_iters)
            for k in range(eval_iters):
                losses[k] = model(*get_batch(split, batch, block))[1].item()
            out[name] = losses.mean().item()
        model.train()
        return out

    start = time.perf_counter()
    for it in range(max_iters + 1):
        for group in optimizer.param_groups:
            group["lr"] = get_lr(it, 1e-3, 1e-4, 100, max_iters)
        if it % eval_interval == 0:
            losses = estimate_loss()
            print(json.dumps(dict(step=it, train_loss=round(losses["train"], 4), val_loss=round(losses["val"], 4),
                                  elapsed_s=round(time.perf_counter() - start, 2))), flush=True)
        if it == max_iters:
            break
        train_step(model, optimizer, *get_batch(train, batch, block))
    wall = time.perf_counter() - start
    print(json.dumps(dict(name="peer.gpt.recipe", val_loss=round(losses["val"], 4), wall_s=round(wall, 1),
                          val_loss_full=round(full_validation_loss(model, val, block), 4),
                          seed=args.seed, threads=args.threads, torch=torch.__version__)))


@torch.no_grad()
def full_validation_loss(model, val, block, batch=16):
    """The mean loss over the whole validation split in consecutive windows of block + 1 tokens,
    every position counted: what `quill eval` reports as nats_per_token."""
    model.eval()
    windows = (len(val) - 1) // block
    total = 0.0
    for first in range(0, windows, batch):
        rows = range(first, min(first + batch, windows))
        x = torch.stack([val[w * block:(w + 1) * block] for w in rows])
        y = torch.stack([val[w * block + 1:(w + 1) * block + 1] for w in rows])
        total += model(x, y)[1].item() * x.numel()
    return total / (windows * block)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["train", "generate", "recipe"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--bias", action="store_true", help="biases in Linear and LayerNorm (nanoGPT's default is off)")
    parser.add_argument("--corpus", help="a text file; train mode uses random ids without it")
    parser.add_argument("--steps", type=int, default=30, help="timed steps (generate: timed runs)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps (generate: runs) before them")
    parser.add_argument("--tokens", type=int, default=64, help="new tokens per generation run")
    parser.add_argument("--cache", action="store_true", help="generate with a key-value cache")
    parser.add_argument("--seed", type=int, default=1337, help="torch.manual_seed, as nanoGPT's train.py sets it")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    {"train": run_train, "generate": run_generate, "recipe": run_recipe}[args.mode](args)


if __name__ == "__main__":
    main()
