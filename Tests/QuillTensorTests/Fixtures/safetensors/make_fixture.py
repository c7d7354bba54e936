"""Writes safetensors files with Python's `safetensors` package for Quill's reader and writer tests.

- float32.safetensors: float32 tensors and metadata (escapes, non-ASCII). Quill writes the same
  contents and its bytes must equal this file's, which proves Quill's files load in Python.
- mixed.safetensors: F16, BF16, F64 and F32 tensors that Quill converts to Float on read.
- expected.json: each file's tensors (name, dtype, shape, values as float32) and metadata.

Python's writer emits metadata in hash-map order; Quill sorts keys, so this script saves until
Python's order is the sorted one. With `--check FILE` it instead loads a Quill-written FILE with
`safetensors` and prints its tensors and metadata.

    python3 Tests/QuillTensorTests/Fixtures/safetensors/make_fixture.py [--check FILE]
"""
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save

HERE = os.path.dirname(os.path.abspath(__file__))

METADATA = {
    "format": "pt",
    "quill.kind": "gpt",
    "note": "quote \" backslash \\ newline \n tab \t bell \x07 slash / é 🎉",
}


def float32_tensors():
    rng = np.random.default_rng(7)
    return {
        "b.weight": rng.standard_normal((3, 5)).astype(np.float32),
        "b.bias": rng.standard_normal(5).astype(np.float32),
        "B": np.arange(-4, 4, dtype=np.float32) / 3,  # uppercase sorts before lowercase by byte
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "z.é": np.array([1e-30, -3.4e38, 1.17549435e-38, 0.1], dtype=np.float32),
    }


def mixed_tensors():
    return {
        # Half: subnormals, -0, the largest finite half, and values that need rounding.
        "half": np.array([0.0, -0.0, 2**-24, 6.1e-5, 65504.0, -1.5, 0.1, 3.14159], dtype=np.float16),
        "brain": np.array([[1.0, -2.5], [1e30, 3.0e-39], [0.1, 7.0]], dtype=np.float32),  # BF16, see below
        "double": np.array([0.1, -1e-40, 1e20, np.pi], dtype=np.float64),
        "single": np.array([1.0, 2.0, 3.0], dtype=np.float32),
    }


def entries(tensors, dtypes):
    out = []
    for name in sorted(tensors, key=lambda n: n.encode()):
        values = tensors[name]
        if dtypes.get(name) == "BF16":
            values = bfloat16_values(values)
        out.append(dict(name=name, dtype=dtypes.get(name, "F32"), shape=list(tensors[name].shape),
                        values=[float(v) for v in np.asarray(values, dtype=np.float32).flatten()]))
    return out


def bfloat16_bits(values):
    """Rounds float32 to bfloat16 (nearest even), returning the 16-bit patterns."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bfloat16_values(values):
    return (bfloat16_bits(values).astype(np.uint32) << 16).view(np.float32)


def save_with_sorted_metadata(tensors):
    """safetensors.numpy.save, repeated until the metadata comes out in sorted order."""
    wanted = sorted(METADATA, key=lambda k: k.encode())
    for _ in range(1000):
        data = save(tensors, metadata=METADATA)
        length = int.from_bytes(data[:8], "little")
        if list(json.loads(data[8:8 + length])["__metadata__"]) == wanted:
            return data
    raise SystemExit("Python never wrote the metadata in sorted order")


def write_mixed(path):
    """Writes mixed.safetensors by hand: numpy has no bfloat16, so BF16 bytes are built here."""
    tensors = mixed_tensors()
    dtypes = {"half": "F16", "brain": "BF16", "double": "F64"}
    payloads = {
        "half": tensors["half"].tobytes(),
        "brain": bfloat16_bits(tensors["brain"]).astype("<u2").tobytes(),
        "double": tensors["double"].astype("<f8").tobytes(),
        "single": tensors["single"].astype("<f4").tobytes(),
    }
    # Lay out as the reference writer does: larger dtypes first, then by name.
    order = ["double", "single", "brain", "half"]
    header, offset = {}, 0
    for name in order:
        header[name] = dict(dtype=dtypes.get(name, "F32"), shape=list(tensors[name].shape),
                            data_offsets=[offset, offset + len(payloads[name])])
        offset += len(payloads[name])
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + b"".join(payloads[n] for n in order))
    with safe_open(path, framework="np") as f:  # the reference reader must accept it
        for name in order:
            f.get_slice(name)
    return entries(tensors, dtypes)


def check(path):
    with safe_open(path, framework="pt") as f:
        print("metadata:", f.metadata())
        for name in f.keys():
            t = f.get_tensor(name)
            print(name, t.dtype, list(t.shape), t.float().flatten().tolist())


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
        return
    tensors = float32_tensors()
    with open(os.path.join(HERE, "float32.safetensors"), "wb") as f:
        f.write(save_with_sorted_metadata(tensors))
    expected = {
        "float32": dict(metadata=METADATA, tensors=entries(tensors, {})),
        "mixed": dict(metadata={}, tensors=write_mixed(os.path.join(HERE, "mixed.safetensors"))),
    }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
