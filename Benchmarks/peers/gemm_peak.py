#!/usr/bin/env python3
"""Peak single-precision GEMM on this machine: the system OpenBLAS (through ctypes, with the
kernel set OPENBLAS_CORETYPE selects) and PyTorch's torch.mm, at one thread, n x n x n.

The ceiling every speed target of the model issues runs into: a training step that is mostly
GEMM cannot run faster than this rate times its GEMM share. Usage:
    python3 Benchmarks/peers/gemm_peak.py [--n 1024] [--threads 1]
    OPENBLAS_CORETYPE=SkylakeX python3 Benchmarks/peers/gemm_peak.py   # a labelled run
"""
import argparse
import ctypes
import os
import statistics
import time

import numpy as np


def rate(run, n, repeats):
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    n = args.n

    blas = ctypes.CDLL("libopenblas.so.0")
    blas.openblas_get_corename.restype = ctypes.c_char_p
    blas.openblas_set_num_threads(args.threads)
    a, b = (np.random.rand(n, n).astype(np.float32) for _ in range(2))
    c = np.zeros((n, n), np.float32)
    pointer = ctypes.POINTER(ctypes.c_float)
    pa, pb, pc = (m.ctypes.data_as(pointer) for m in (a, b, c))
    one, zero = ctypes.c_float(1), ctypes.c_float(0)
    sgemm = lambda: blas.cblas_sgemm(101, 111, 111, n, n, n, one, pa, n, pb, n, zero, pc, n)
    core = blas.openblas_get_corename().decode()
    coretype = os.environ.get("OPENBLAS_CORETYPE", "unset")
    print(f"openblas sgemm ({core} kernels, OPENBLAS_CORETYPE={coretype}), {args.threads} thread(s), "
          f"n={n}: {rate(sgemm, n, args.repeats):.1f} GFLOP/s")

    import torch
    torch.set_num_threads(args.threads)
    ta, tb = torch.rand(n, n), torch.rand(n, n)
    print(f"torch {torch.__version__} mm, {args.threads} thread(s), n={n}: "
          f"{rate(lambda: torch.mm(ta, tb), n, args.repeats):.1f} GFLOP/s")


if __name__ == "__main__":
    main()
