"""Writes vae.json: loss terms and gradients of the PyTorch peer (Benchmarks/peers/vae.py) for
VAEFixtureTests.swift.

Each case builds the peer's SentenceVAE with fixed seeds, rounds every parameter to 6 decimals
(so the JSON holds them exactly), runs one batch of three sentences of different lengths with
a fixed decoder input (word dropout already applied) and fixed posterior noise, and
back-propagates the training objective

    reconstruction / B + beta * kl_weight * sum_d max(free_bits, mean_b KL_bd)

The file stores the sentences, decoder input, noise, parameters (by name, flattened row-major),
the reconstruction sum, the batch-mean KL per dimension, the objective and every parameter's
gradient.

Run from this directory:  python3 make_fixture.py
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "Benchmarks", "peers"))
from vae import SentenceVAE, make_batch, objective  # noqa: E402

UNK = 1
CASES = [
    # H = 9 runs the Swift kernels' full 8-lane chunks and a 1-lane tail.
    dict(name="lstm initial-state", cell="lstm", vocabulary=13, embedding=5, hidden=9, latent=3, bidirectional=False,
         conditioning="initial-state", kl_weight=0.7, beta=1.0, free_bits=0.0),
    dict(name="gru concat bidirectional", cell="gru", vocabulary=13, embedding=5, hidden=9, latent=3, bidirectional=True,
         conditioning="concat", kl_weight=1.0, beta=0.5, free_bits=0.0),
    dict(name="lstm bidirectional free bits", cell="lstm", vocabulary=13, embedding=4, hidden=6, latent=4,
         bidirectional=True, conditioning="initial-state", kl_weight=1.0, beta=1.0, free_bits=0.02),
]
SENTENCES = [[4, 7, 5, 12], [9], [6, 4, 11]]


def rounded(t):
    return torch.round(t * 1e6) / 1e6


def flat(t, digits=8):
    return [float(f"{v:.{digits}g}") for v in t.detach().reshape(-1).tolist()]


def make_case(index, spec):
    torch.manual_seed(2000 + index)
    model = SentenceVAE(spec["cell"], spec["vocabulary"], spec["embedding"], spec["hidden"], spec["latent"],
                        bidirectional=spec["bidirectional"], conditioning=spec["conditioning"])
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(rounded(p))
    encoder_input, decoder_input, targets, lengths = make_batch(SENTENCES)
    decoder_input[0, 2] = UNK  # word dropout, fixed
    decoder_input[2, 1] = UNK
    noise = rounded(torch.randn(len(SENTENCES), spec["latent"]))
    reconstruction, kl, _, _ = model.loss_terms(encoder_input, decoder_input, targets, lengths, noise)
    loss = objective(reconstruction, kl, len(SENTENCES), spec["kl_weight"], spec["beta"], spec["free_bits"])
    model.zero_grad()
    loss.backward()
    named = dict(model.named_parameters())
    return dict(
        spec,
        sentences=SENTENCES,
        decoder_input=decoder_input.reshape(-1).tolist(),
        steps=decoder_input.shape[1],
        noise=flat(noise),
        parameter_names=list(named),
        parameters={name: flat(p) for name, p in named.items()},
        reconstruction=float(reconstruction.detach()),
        kl_per_dimension=flat(kl.mean(dim=0)),
        objective=float(loss.detach()),
        gradients={name: flat(p.grad) for name, p in named.items()},
    )


if __name__ == "__main__":
    cases = [make_case(i, spec) for i, spec in enumerate(CASES)]
    with open("vae.json", "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"))
