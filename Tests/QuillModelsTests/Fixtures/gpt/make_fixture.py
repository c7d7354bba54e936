"""Writes the GPT fixture Quill's GPTModelTests compare against.

The model is nanoGPT's (karpathy/nanoGPT model.py), restated here so the fixture needs only
PyTorch: token + learned position embeddings, pre-LayerNorm blocks of causal self-attention and
an exact-GELU MLP, final LayerNorm, head tied to the token embedding, nanoGPT's initialization.

Outputs, beside this script:
  tiny.safetensors  weights under nanoGPT state-dict names (lm_head.weight included, as a copy),
                    `grad.<name>` for every gradient of the loss, and `logits` [B, T, V]
  tiny.json         configuration, input ids, targets, loss, and the losses of 10 AdamW steps

Run: python3 make_fixture.py
"""
import json
import math
import os

import torch
import torch.nn as nn
from torch.nn import functional as F
from safetensors.torch import save_file

CONFIG = dict(n_layer=2, n_head=2, n_embd=16, block_size=8, bias=True, dropout=0.0, vocab_size=13)
BATCH = 2
LEARNING_RATE = 1e-2
WEIGHT_DECAY = 0.1
BETAS = (0.9, 0.99)
GRAD_CLIP = 1.0
STEPS = 10


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = nn.Linear(c["n_embd"], 3 * c["n_embd"], bias=c["bias"])
        self.c_proj = nn.Linear(c["n_embd"], c["n_embd"], bias=c["bias"])
        self.n_head = c["n_head"]

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c["n_embd"], 4 * c["n_embd"], bias=c["bias"])
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * c["n_embd"], c["n_embd"], bias=c["bias"])

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c["n_embd"], bias=c["bias"])
        self.attn = CausalSelfAttention(c)
        self.ln_2 = nn.LayerNorm(c["n_embd"], bias=c["bias"])
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c["vocab_size"], c["n_embd"]),
            wpe=nn.Embedding(c["block_size"], c["n_embd"]),
            h=nn.ModuleList([Block(c) for _ in range(c["n_layer"])]),
            ln_f=nn.LayerNorm(c["n_embd"], bias=c["bias"]),
        ))
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * c["n_layer"]))

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if getattr(module, "bias", None) is not None:
                nn.init.zeros_(module.bias)

    def forward(self, idx, targets):
        pos = torch.arange(idx.size(1))
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


def main():
    torch.manual_seed(1234)
    model = GPT(CONFIG)
    # Init std 0.02 makes every logit nearly equal; larger weights make the comparison sharper.
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.add_(torch.randn_like(p) * (0.3 if p.dim() >= 2 else 0.1))
    idx = torch.randint(0, CONFIG["vocab_size"], (BATCH, CONFIG["block_size"]))
    targets = torch.randint(0, CONFIG["vocab_size"], (BATCH, CONFIG["block_size"]))
    targets[0, 3] = -1  # an ignored position, as nanoGPT's ignore_index

    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    logits, loss = model(idx, targets)
    loss.backward()
    tensors = dict(weights)
    for name, p in model.named_parameters():
        tensors["grad." + name] = p.grad.detach().clone()
    tensors["logits"] = logits.detach().clone()

    # nanoGPT's configure_optimizers: decay every parameter of 2 or more dimensions.
    params = [p for p in model.parameters()]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    optimizer = torch.optim.AdamW([
        {"params": decay, "weight_decay": WEIGHT_DECAY},
        {"params": no_decay, "weight_decay": 0.0},
    ], lr=LEARNING_RATE, betas=BETAS)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad(set_to_none=True)
        _, step_loss = model(idx, targets)
        losses.append(step_loss.item())
        step_loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        optimizer.step()

    here = os.path.dirname(os.path.abspath(__file__))
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(here, "tiny.safetensors"))
    with open(os.path.join(here, "tiny.json"), "w") as f:
        json.dump(dict(config=CONFIG, idx=idx.tolist(), targets=targets.tolist(), loss=loss.item(),
                       learning_rate=LEARNING_RATE, weight_decay=WEIGHT_DECAY, betas=list(BETAS),
                       grad_clip=GRAD_CLIP, adamw_losses=losses), f, indent=1)


if __name__ == "__main__":
    main()
