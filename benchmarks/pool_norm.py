"""Forward + backward of max_pool2d(2) and of training-mode batch_norm (with affine parameters and
running statistics): chainrule vs PyTorch eager in one run.

    python -m benchmarks.pool_norm [--rounds 10] [--block 5]

The two libraries run in alternating blocks (``_harness.paired_times``). Prints the median
milliseconds per forward+backward, the median of the per-round ratios chainrule/torch (lower is
better) and their quartiles.
"""
from __future__ import annotations

import argparse

import numpy as np

from ._harness import (reexec_with_allocator_settings, setup_torch, paired_times, machine,
                       print_table)

SHAPES = ((128, 32, 28, 28), (128, 64, 14, 14))


def data(shape, seed: int = 0):
    """Input, the gradient of max_pool2d(2)'s output and the gradient of batch_norm's output."""
    rng = np.random.default_rng(seed)
    n, c, h, w = shape
    return (rng.standard_normal(shape).astype(np.float32),
            rng.standard_normal((n, c, h // 2, w // 2)).astype(np.float32),
            rng.standard_normal(shape).astype(np.float32))


def steps(lib, F, shape):
    """The two timed steps, written once for chainrule and torch (``lib`` is the module)."""
    x_np, g_pool, g_norm = data(shape)
    c = shape[1]
    x = lib.from_numpy(x_np.copy()).requires_grad_()
    weight = lib.ones(c, requires_grad=True)
    bias = lib.zeros(c, requires_grad=True)
    running_mean, running_var = lib.zeros(c), lib.ones(c)
    gp, gn = lib.from_numpy(g_pool), lib.from_numpy(g_norm)

    def max_pool():
        x.grad = None
        F.max_pool2d(x, 2).backward(gp)

    def batch_norm():
        x.grad = weight.grad = bias.grad = None
        F.batch_norm(x, running_mean, running_var, weight, bias, training=True).backward(gn)
    return {"max_pool2d(2)": max_pool, "batch_norm (training)": batch_norm}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=10,
                    help="alternating blocks of chainrule and torch calls")
    ap.add_argument("--block", type=int, default=5, help="calls per block")
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    import chainrule as cr
    import chainrule.nn.functional as cF
    torch = setup_torch()
    rows = []
    for shape in SHAPES:
        mine, theirs = steps(cr, cF, shape), steps(torch, torch.nn.functional, shape)
        for name in mine:
            t = paired_times(mine[name], theirs[name], rounds=args.rounds, block=args.block)
            rows.append([name, "x".join(map(str, shape)), f"{t['a'] * 1e3:.2f}",
                         f"{t['b'] * 1e3:.2f}", f"{t['ratio']:.2f}",
                         f"{t['q1']:.2f}-{t['q3']:.2f}"])
    print(f"machine: {machine()}, torch {torch.__version__}")
    print_table(f"pooling and normalisation: forward + backward, float32 ({args.rounds} "
                f"alternating rounds)",
                ["op", "input", "chainrule ms", "torch ms", "chainrule/torch", "quartiles"],
                rows)

if __name__ == "__main__":
    main()
