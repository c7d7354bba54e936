#!/usr/bin/env python3
"""Writes lstm.json and gru.json: a tiny char-rnn in PyTorch (the peer model of
Benchmarks/peers/char_rnn.py) with its weights, one batch started from a non-zero carried
state, and the logits, loss, final state and every parameter's gradient.

CharRNNFixtureTests loads the weights by name into Quill's CharRNN and checks that the same
batch gives the same logits, loss, state and gradients within 1e-4.
Run from the repository root: python3 Tests/QuillModelsTests/Fixtures/charrnn/make_fixture.py
"""
import json
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "../../../../Benchmarks/peers"))
from char_rnn import CharRNN  # noqa: E402

VOCAB, EMBEDDING, HIDDEN, LAYERS, BATCH, STEPS = 9, 5, 6, 2, 2, 4


def flat(t):
    return [round(float(v), 8) for v in t.detach().reshape(-1).tolist()]


def write(cell):
    torch.manual_seed(7 if cell == "lstm" else 11)
    model = CharRNN(VOCAB, EMBEDDING, HIDDEN, LAYERS, cell, 0.0).double()
    tokens = torch.randint(0, VOCAB, (BATCH, STEPS))
    targets = torch.randint(0, VOCAB, (BATCH, STEPS))
    hidden = torch.randn(LAYERS, BATCH, HIDDEN, dtype=torch.float64) * 0.5
    state = (hidden, torch.randn(LAYERS, BATCH, HIDDEN, dtype=torch.float64) * 0.5) if cell == "lstm" else hidden
    logits, final = model(tokens, state)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
    loss.backward()
    final_hidden, final_cell = final if cell == "lstm" else (final, None)
    fixture = {
        "config": {"cell": cell, "vocab_size": VOCAB, "embedding_size": EMBEDDING, "hidden_size": HIDDEN,
                   "layers": LAYERS, "dropout": 0.0},
        "tokens": tokens.tolist(), "targets": targets.tolist(),
        "initial_hidden": flat(hidden), "initial_cell": flat(state[1]) if cell == "lstm" else None,
        "weights": {name: {"shape": list(p.shape), "values": flat(p)} for name, p in model.named_parameters()},
        "logits": flat(logits), "loss": float(loss.detach()),
        "final_hidden": flat(final_hidden), "final_cell": flat(final_cell) if final_cell is not None else None,
        "gradients": {name: flat(p.grad) for name, p in model.named_parameters()},
    }
    with open(os.path.join(here, f"{cell}.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))


for cell in ("lstm", "gru"):
    write(cell)
