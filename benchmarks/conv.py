"""conv2d forward and forward+backward at the shapes of a small MNIST CNN: chainrule vs PyTorch
eager (oneDNN) in one run.

    python -m benchmarks.conv [--rounds 10] [--block 5] [--batch 128]

Layers (kernel 3, padding 1, bias): 1->32 channels at 28x28 (the input needs no gradient) and
32->64 at 14x14 (the input needs one, as inside a network). "forward" records the graph as a
training step does; "fwd+bwd" adds ``y.backward(g)`` for a fixed ``g``. The two libraries run in
alternating blocks (``_harness.paired_times``). Prints the median milliseconds per call, the
median of the per-round ratios chainrule/torch (lower is better) and their quartiles.

The harness drops this workplace's OpenBLAS pin to Haswell (AVX2) kernels before timing, so
NumPy runs the kernels it detects (AVX-512 here); the header line names them.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from ._harness import (reexec_with_allocator_settings, setup_torch, paired_times, machine,
                       print_table)

# (name, in channels, out channels, image size, input requires grad)
LAYERS = [("conv1 1->32 28x28", 1, 32, 28, False), ("conv2 32->64 14x14", 32, 64, 14, True)]


def arrays(batch: int, c_in: int, c_out: int, size: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(c_in * 9)
    return (rng.standard_normal((batch, c_in, size, size)).astype(np.float32),
            rng.uniform(-bound, bound, (c_out, c_in, 3, 3)).astype(np.float32),
            rng.uniform(-bound, bound, (c_out,)).astype(np.float32),
            rng.standard_normal((batch, c_out, size, size)).astype(np.float32))


def steps(lib, F, x_np, w_np, b_np, g_np, x_grad: bool):
    """(forward, forward+backward) closures for ``lib`` (chainrule or torch)."""
    x = lib.from_numpy(x_np.copy()).requires_grad_(x_grad)
    w = lib.from_numpy(w_np.copy()).requires_grad_()
    b = lib.from_numpy(b_np.copy()).requires_grad_()
    g = lib.from_numpy(g_np.copy())

    def forward():
        return F.conv2d(x, w, b, padding=1)

    def forward_backward():
        for t in (x, w, b):
            t.grad = None
        F.conv2d(x, w, b, padding=1).backward(g)
    return forward, forward_backward


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=10,
                    help="alternating blocks of chainrule and torch calls")
    ap.add_argument("--block", type=int, default=5, help="calls per block")
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    import chainrule as cr
    import chainrule.nn.functional as crF
    torch = setup_torch()
    rows = []
    for name, c_in, c_out, size, x_grad in LAYERS:
        data = arrays(args.batch, c_in, c_out, size)
        mine = steps(cr, crF, *data, x_grad)
        theirs = steps(torch, torch.nn.functional, *data, x_grad)
        for what, step_cr, step_th in zip(("forward", "fwd+bwd"), mine, theirs):
            t = paired_times(step_cr, step_th, rounds=args.rounds, block=args.block)
            rows.append([name, what, f"{t['a'] * 1e3:.2f}", f"{t['b'] * 1e3:.2f}",
                         f"{t['ratio']:.2f}", f"{t['q1']:.2f}-{t['q3']:.2f}"])
    print(f"machine: {machine()}, torch {torch.__version__}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(detected)')}")
    print_table(f"conv2d, kernel 3, padding 1, batch {args.batch}, float32 ({args.rounds} "
                f"alternating rounds)",
                ["layer", "pass", "chainrule ms", "torch ms", "chainrule/torch", "quartiles"],
                rows)

if __name__ == "__main__":
    main()
