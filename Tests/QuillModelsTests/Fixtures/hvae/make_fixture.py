"""Writes hvae.json: loss terms and gradients of a PyTorch hierarchical VAE for
VAEHierarchyFixtureTests.swift, the reference for Sources/QuillModels/HierarchicalVAE.swift.

The embedding, encoder, decoder and output layer are those of the flat VAE's PyTorch peer
(Benchmarks/peers/vae.py); the ladder between them is restated here, term for term with the
Swift model (Sønderby et al. 2016): a bottom-up pass d_l = tanh(up_l(d_{l-1})) from the
encoder's summary gives each level an estimate [mean; log-variance] = estimate_l(d_l); a
top-down pass takes the top level's posterior from its estimate (prior N(0, I)) and each lower
level's from the precision-weighted combination of its estimate with the learned prior
p(z_l | z_{l+1}) = prior_l(tanh(prior_hidden_l(z_{l+1}))). Each z_l = mean + exp(logvar / 2) * noise_l
with the noise passed in. The decoder reads z_1 ("lowest") or every level side by side ("all").
The objective is

    reconstruction / B + beta * kl_weight * sum_levels sum_d max(free_bits, mean_b KL_lbd)

Everything runs in float64 from float32 parameters and noise (rounded to 6 decimals, as the
JSON holds them), so the stored results are exact to float64 and the Swift float32 model is
compared with the truth, not with another float32 computation. The file stores each case's
sentences, decoder input (word dropout fixed), noise per level, parameters by name (flattened
row-major), the reconstruction sum, the batch-mean KL per dimension of each level, the
objective and every parameter's gradient. Running the script again writes the same bytes.

Run from this directory:  python3 make_fixture.py
"""
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "Benchmarks", "peers"))
from vae import SentenceVAE, make_batch  # noqa: E402

UNK = 1
CASES = [
    # H = 9 runs the Swift kernels' full 8-lane chunks and a 1-lane tail.
    dict(name="lstm 2 levels lowest initial-state", cell="lstm", vocabulary=11, embedding=4, hidden=9, latent=3,
         levels=2, bidirectional=False, conditioning="initial-state", decoder_latents="lowest",
         kl_weight=0.7, beta=1.0, free_bits=0.0),
    dict(name="gru 3 levels all concat bidirectional", cell="gru", vocabulary=11, embedding=4, hidden=6, latent=2,
         levels=3, bidirectional=True, conditioning="concat", decoder_latents="all",
         kl_weight=1.0, beta=0.5, free_bits=0.0),
    dict(name="lstm 2 levels all free bits", cell="lstm", vocabulary=11, embedding=4, hidden=5, latent=3,
         levels=2, bidirectional=False, conditioning="initial-state", decoder_latents="all",
         kl_weight=1.0, beta=1.0, free_bits=0.1),
]
SENTENCES = [[4, 7, 5, 10], [9], [6, 4, 8]]


class HierarchicalVAE(nn.Module):
    """The peer's embedding, encoder and decoder around a Ladder VAE's latent hierarchy."""

    def __init__(self, spec):
        super().__init__()
        levels, hidden, latent = spec["levels"], spec["hidden"], spec["latent"]
        decoder_latent = latent * (levels if spec["decoder_latents"] == "all" else 1)
        peer = SentenceVAE(spec["cell"], spec["vocabulary"], spec["embedding"], hidden, decoder_latent,
                           bidirectional=spec["bidirectional"], conditioning=spec["conditioning"])
        self.cell, self.conditioning, self.levels = peer.cell, peer.conditioning, levels
        self.decoder_latents = spec["decoder_latents"]
        self.embedding, self.encoder = peer.embedding, peer.encoder
        summary = hidden * (2 if spec["bidirectional"] else 1)
        self.ladder = nn.Module()
        self.ladder.up = nn.ModuleList(nn.Linear(summary if level == 0 else hidden, hidden) for level in range(levels))
        self.ladder.estimate = nn.ModuleList(nn.Linear(hidden, 2 * latent) for _ in range(levels))
        self.ladder.prior_hidden = nn.ModuleList(nn.Linear(latent, hidden) for _ in range(levels - 1))
        self.ladder.prior = nn.ModuleList(nn.Linear(hidden, 2 * latent) for _ in range(levels - 1))
        if self.conditioning == "initial-state":
            self.latent_to_state = peer.latent_to_state
        self.decoder, self.output = peer.decoder, peer.output

    def summary(self, encoder_input, lengths):
        """The encoder's final hidden state, both directions side by side when bidirectional [B, D·H]."""
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(encoder_input), lengths.cpu(),
                                                   batch_first=True, enforce_sorted=False)
        _, state = self.encoder(packed)
        h = state[0] if self.cell == "lstm" else state
        return torch.cat([h[-2], h[-1]], dim=1) if h.shape[0] == 2 else h[-1]

    def loss_terms(self, encoder_input, decoder_input, targets, lengths, noise):
        """Returns (reconstruction summed over the batch's tokens, [KL [B, Z] per level, bottom first])."""
        d, estimates = self.summary(encoder_input, lengths), []
        for level in range(self.levels):
            d = torch.tanh(self.ladder.up[level](d))
            estimates.append(self.ladder.estimate[level](d).chunk(2, dim=1))
        latents, kls, above = [None] * self.levels, [None] * self.levels, None
        for level in reversed(range(self.levels)):
            mean, log_variance = estimates[level]
            if above is None:
                kls[level] = 0.5 * (mean.pow(2) + log_variance.exp() - 1 - log_variance)
            else:
                hidden = torch.tanh(self.ladder.prior_hidden[level](above))
                prior_mean, prior_log_variance = self.ladder.prior[level](hidden).chunk(2, dim=1)
                precision, prior_precision = torch.exp(-log_variance), torch.exp(-prior_log_variance)
                total = precision + prior_precision
                mean = (mean * precision + prior_mean * prior_precision) / total
                log_variance = -torch.log(total)
                kls[level] = 0.5 * (prior_log_variance - log_variance
                                    + (log_variance.exp() + (mean - prior_mean).pow(2)) / prior_log_variance.exp() - 1)
            latents[level] = mean + torch.exp(0.5 * log_variance) * noise[level]
            above = latents[level]
        z = torch.cat(latents, dim=1) if self.decoder_latents == "all" else latents[0]
        logits = SentenceVAE.decoder_logits(self, decoder_input, z)
        reconstruction = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                                     ignore_index=0, reduction="sum")
        return reconstruction, kls


def objective(reconstruction, kls, batch_size, kl_weight, beta, free_bits):
    """The training loss: reconstruction per sentence plus every level's weighted, free-bits-clamped KL."""
    loss = reconstruction / batch_size
    for kl in kls:
        per_dimension = kl.mean(dim=0)
        clamped = torch.clamp(per_dimension, min=free_bits) if free_bits > 0 else per_dimension
        loss = loss + beta * kl_weight * clamped.sum()
    return loss


def as_float32(t):
    """`t` rounded to 6 decimals, then to float32, held in float64."""
    return (torch.round(t * 1e6) / 1e6).float().double()


def parameter_values(t):
    """The 6-decimal values of a parameter or noise tensor, which read back as the same float32."""
    return [float(f"{v:.6f}") for v in t.detach().reshape(-1).tolist()]


def result_values(t):
    return [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]


def make_case(index, spec):
    torch.manual_seed(3000 + index)
    model = HierarchicalVAE(spec).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(as_float32(p))
    encoder_input, decoder_input, targets, lengths = make_batch(SENTENCES)
    decoder_input[0, 2] = UNK  # word dropout, fixed
    decoder_input[2, 1] = UNK
    noise = [as_float32(torch.randn(len(SENTENCES), spec["latent"], dtype=torch.float64)) for _ in range(spec["levels"])]
    reconstruction, kls = model.loss_terms(encoder_input, decoder_input, targets, lengths, noise)
    loss = objective(reconstruction, kls, len(SENTENCES), spec["kl_weight"], spec["beta"], spec["free_bits"])
    model.zero_grad()
    loss.backward()
    named = dict(model.named_parameters())
    return dict(
        spec,
        sentences=SENTENCES,
        decoder_input=decoder_input.reshape(-1).tolist(),
        steps=decoder_input.shape[1],
        noise=[parameter_values(n) for n in noise],
        parameter_names=list(named),
        parameters={name: parameter_values(p) for name, p in named.items()},
        reconstruction=float(f"{reconstruction.item():.9g}"),
        kl_per_dimension=[result_values(kl.mean(dim=0)) for kl in kls],
        objective=float(f"{loss.item():.9g}"),
        gradients={name: result_values(p.grad) for name, p in named.items()},
    )


if __name__ == "__main__":
    cases = [make_case(i, spec) for i, spec in enumerate(CASES)]
    with open("hvae.json", "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"))
