"""Writes composite.json: a PyTorch reference for CompositeFixtureTests.swift (issue #2).

The graph is the core of a small language model:

    embedding -> linear (matmul + bias) -> layer norm -> GELU (tanh form) -> linear
    -> softmax cross-entropy with padding (ignore_index), mean over the counted tokens

Parameters are drawn in float32, so they are exact in the file; the forward and backward passes
run in float64, so the stored loss, logits and gradients are the true values the float32 Swift
graph should approach. Weights are [in, out] (x @ W + b), as Quill's matmul expects.

Run from this directory with PyTorch installed:  python3 make_fixture.py
"""
import json
import os

import torch
import torch.nn.functional as F

VOCABULARY_SIZE = 11
EMBEDDING_SIZE = 8
HIDDEN_SIZE = 12  # one 8-wide vector plus a 4-wide tail in the layer-norm kernels
BATCH_SIZE = 2
SEQUENCE_LENGTH = 6
PAD = 0
IGNORE_INDEX = -100
EPSILON = 1e-5


def main():
    generator = torch.Generator().manual_seed(2)

    def draw(*shape, scale=1.0, shift=0.0):
        return (torch.randn(*shape, generator=generator, dtype=torch.float32) * scale + shift).double()

    parameters = {
        "embedding": draw(VOCABULARY_SIZE, EMBEDDING_SIZE),
        "linear1.weight": draw(EMBEDDING_SIZE, HIDDEN_SIZE, scale=EMBEDDING_SIZE ** -0.5),
        "linear1.bias": draw(HIDDEN_SIZE, scale=0.1),
        "norm.weight": draw(HIDDEN_SIZE, scale=0.1, shift=1.0),
        "norm.bias": draw(HIDDEN_SIZE, scale=0.1),
        "linear2.weight": draw(HIDDEN_SIZE, VOCABULARY_SIZE, scale=HIDDEN_SIZE ** -0.5),
        "linear2.bias": draw(VOCABULARY_SIZE, scale=0.1),
    }
    for tensor in parameters.values():
        tensor.requires_grad_(True)

    # Two sequences; the second is padded after four tokens. Targets are the next token, and
    # padded positions (and the last position of the padded sequence) are ignored.
    tokens = torch.tensor([[3, 7, 1, 9, 4, 10],
                           [5, 2, 8, 6, PAD, PAD]])
    targets = torch.tensor([[7, 1, 9, 4, 10, 2],
                            [2, 8, 6, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]])

    p = parameters
    x = F.embedding(tokens, p["embedding"])
    h = x @ p["linear1.weight"] + p["linear1.bias"]
    h = F.layer_norm(h, (HIDDEN_SIZE,), p["norm.weight"], p["norm.bias"], eps=EPSILON)
    h = F.gelu(h, approximate="tanh")
    logits = h @ p["linear2.weight"] + p["linear2.bias"]
    loss = F.cross_entropy(logits.reshape(-1, VOCABULARY_SIZE), targets.reshape(-1),
                           ignore_index=IGNORE_INDEX, reduction="mean")
    loss.backward()

    def entry(tensor):
        return {"shape": list(tensor.shape), "values": [float(v) for v in tensor.detach().reshape(-1)]}

    fixture = {
        "description": "embedding -> linear -> layer norm -> gelu(tanh) -> linear -> cross-entropy "
                       "(ignore_index, mean); written by make_fixture.py with PyTorch "
                       + torch.__version__ + " in float64",
        "layerNormEpsilon": EPSILON,
        "ignoreIndex": IGNORE_INDEX,
        "tokens": {"shape": list(tokens.shape), "values": tokens.reshape(-1).tolist()},
        "targets": {"shape": list(targets.shape), "values": targets.reshape(-1).tolist()},
        "parameters": {name: entry(t) for name, t in parameters.items()},
        "logits": entry(logits),
        "loss": loss.item(),
        "gradients": {name: entry(t.grad) for name, t in parameters.items()},
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "composite.json")
    # One line per entry keeps the file small and its diffs readable.
    lines = []
    for key, value in fixture.items():
        if isinstance(value, dict) and key in ("parameters", "gradients"):
            inner = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in value.items())
            lines.append(f" {json.dumps(key)}: {{\n{inner}\n }}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}")
    with open(path, "w") as file:
        file.write("{\n" + ",\n".join(lines) + "\n}\n")
    print(f"wrote {path}: loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
