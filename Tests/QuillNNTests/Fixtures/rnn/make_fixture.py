"""Writes rnn.json: PyTorch nn.LSTM / nn.GRU references for RecurrentFixtureTests.swift.

Each case builds a layer stack with fixed seeds, runs it batch-first on fixed inputs from a
given initial state (optionally packed with per-sequence lengths), and back-propagates

    loss = sum(output * outputWeights) + sum(h_n * hiddenWeights) [+ sum(c_n * cellWeights)]

The file stores the inputs, parameters (by PyTorch name), outputs, final states and the
gradients of the input, initial state and every parameter, all flattened row-major.
Inputs and parameters are rounded to 6 decimals before the run, so the JSON holds them exactly.

Run from this directory:  python3 make_fixture.py
"""
import json

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CASES = [
    # H = 9 runs the Swift kernels' full 8-lane chunks and a 1-lane tail.
    dict(name="lstm 2 layers", cell="lstm", input_size=4, hidden_size=9, layers=2, bidirectional=False, lengths=None),
    dict(name="gru 2 layers", cell="gru", input_size=4, hidden_size=9, layers=2, bidirectional=False, lengths=None),
    dict(name="lstm bidirectional", cell="lstm", input_size=4, hidden_size=9, layers=1, bidirectional=True, lengths=None),
    dict(name="gru bidirectional", cell="gru", input_size=4, hidden_size=9, layers=1, bidirectional=True, lengths=None),
    dict(name="lstm packed bidirectional 2 layers", cell="lstm", input_size=3, hidden_size=5, layers=2,
         bidirectional=True, lengths=[4, 2, 3]),
    dict(name="gru packed bidirectional 2 layers", cell="gru", input_size=3, hidden_size=5, layers=2,
         bidirectional=True, lengths=[4, 1, 3]),
]
BATCH, STEPS = 3, 4


def rounded(t):
    return torch.round(t * 1e6) / 1e6


def flat(t, digits=7):
    return [float(f"{v:.{digits}g}") for v in t.detach().reshape(-1).tolist()]


def make_case(index, spec):
    torch.manual_seed(1000 + index)
    module_type = torch.nn.LSTM if spec["cell"] == "lstm" else torch.nn.GRU
    rnn = module_type(spec["input_size"], spec["hidden_size"], num_layers=spec["layers"],
                      bidirectional=spec["bidirectional"], batch_first=True)
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(rounded(p))
    rows = spec["layers"] * (2 if spec["bidirectional"] else 1)
    state_shape = (rows, BATCH, spec["hidden_size"])
    x = rounded(torch.randn(BATCH, STEPS, spec["input_size"])).requires_grad_()
    h0 = rounded(0.5 * torch.randn(state_shape)).requires_grad_()
    c0 = rounded(0.5 * torch.randn(state_shape)).requires_grad_() if spec["cell"] == "lstm" else None

    state = (h0, c0) if c0 is not None else h0
    lengths = spec["lengths"]
    if lengths is None:
        output, final = rnn(x, state)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        packed_output, final = rnn(packed, state)
        output, _ = pad_packed_sequence(packed_output, batch_first=True, total_length=STEPS)
    h_n, c_n = final if c0 is not None else (final, None)

    output_weights = rounded(torch.randn(output.shape))
    hidden_weights = rounded(torch.randn(h_n.shape))
    loss = (output * output_weights).sum() + (h_n * hidden_weights).sum()
    cell_weights = None
    if c_n is not None:
        cell_weights = rounded(torch.randn(c_n.shape))
        loss = loss + (c_n * cell_weights).sum()
    loss.backward()

    names = [name for name, _ in rnn.named_parameters()]
    case = dict(
        name=spec["name"], cell=spec["cell"], inputSize=spec["input_size"], hiddenSize=spec["hidden_size"],
        layerCount=spec["layers"], bidirectional=spec["bidirectional"], batchSize=BATCH, steps=STEPS,
        lengths=lengths, parameterNames=names,
        input=flat(x, 9), initialHidden=flat(h0, 9), initialCell=flat(c0, 9) if c0 is not None else None,
        parameters={name: flat(p, 9) for name, p in rnn.named_parameters()},
        outputWeights=flat(output_weights, 9), hiddenWeights=flat(hidden_weights, 9),
        cellWeights=flat(cell_weights, 9) if cell_weights is not None else None,
        output=flat(output), finalHidden=flat(h_n), finalCell=flat(c_n) if c_n is not None else None,
        gradients=dict(input=flat(x.grad), initialHidden=flat(h0.grad),
                       initialCell=flat(c0.grad) if c0 is not None else None,
                       parameters={name: flat(p.grad) for name, p in rnn.named_parameters()}),
    )
    return case


def main():
    cases = [make_case(i, spec) for i, spec in enumerate(CASES)]
    with open("rnn.json", "w") as f:
        json.dump(dict(torch=torch.__version__, cases=cases), f, separators=(",", ":"))


if __name__ == "__main__":
    main()
