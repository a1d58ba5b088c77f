"""Training step of the 784-256-256-10 tanh MLP (softmax cross-entropy, plain SGD): chainrule vs
PyTorch eager in one run, plus a hand-written NumPy step as the floor of what NumPy allows.

    python -m benchmarks.mlp [--rounds 12] [--block 15] [--batches 64,256]

The three run in alternating blocks (``_harness.interleaved_times``). Prints the median
milliseconds per step and the medians of the per-round ratios chainrule/torch (with quartiles)
and numpy/torch (lower is better).
"""
from __future__ import annotations

import argparse

import numpy as np

from ._harness import (reexec_with_allocator_settings, setup_torch, interleaved_times, machine,
                       print_table, ratio_summary)

SIZES = (784, 256, 256, 10)
LR = 0.01


def init_weights(seed: int = 0):
    rng = np.random.default_rng(seed)
    ws = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        ws.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        ws.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    return ws


def data(batch: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((batch, SIZES[0])).astype(np.float32),
            rng.integers(0, SIZES[-1], batch).astype(np.int64))


def chainrule_step(x_np, y_np):
    import chainrule as cr
    import chainrule.nn.functional as F
    params = [cr.from_numpy(w.copy()).requires_grad_() for w in init_weights()]
    x, y = cr.from_numpy(x_np), cr.from_numpy(y_np)

    def step():
        h = x
        for i in range(0, len(params) - 2, 2):
            h = (h @ params[i] + params[i + 1]).tanh()
        loss = F.cross_entropy(h @ params[-2] + params[-1], y)
        for p in params:
            p.grad = None
        loss.backward()
        with cr.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=LR)
        return loss
    return step


def torch_step(torch, x_np, y_np):
    F = torch.nn.functional
    params = [torch.from_numpy(w.copy()).requires_grad_() for w in init_weights()]
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def step():
        h = x
        for i in range(0, len(params) - 2, 2):
            h = (h @ params[i] + params[i + 1]).tanh()
        loss = F.cross_entropy(h @ params[-2] + params[-1], y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=LR)
        return loss
    return step


def numpy_step(x, y):
    """The same step by hand in NumPy: forward, backward and update, no framework."""
    ws = [w.copy() for w in init_weights()]
    n = x.shape[0]
    onehot = np.zeros((n, SIZES[-1]), np.float32)
    onehot[np.arange(n), y] = 1

    def step():
        hs = [x]
        for i in range(0, len(ws) - 2, 2):
            hs.append(np.tanh(hs[-1] @ ws[i] + ws[i + 1]))
        z = hs[-1] @ ws[-2] + ws[-1]
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        g = (p - onehot) / n
        grads = []
        for i in range(len(ws) - 2, -1, -2):
            h = hs[i // 2]
            grads.append((h.T @ g, g.sum(0)))
            if i:
                g = (g @ ws[i].T) * (1 - h * h)
        for (gw, gb), i in zip(grads, range(len(ws) - 2, -1, -2)):
            ws[i] -= LR * gw
            ws[i + 1] -= LR * gb
    return step


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=12,
                    help="alternating blocks of the chainrule, NumPy and torch steps")
    ap.add_argument("--block", type=int, default=15, help="timing samples per block")
    ap.add_argument("--batches", default="64,256")
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    batches = [int(b) for b in args.batches.split(",")]
    torch = setup_torch()
    rows = []
    for batch in batches:
        x, y = data(batch)
        t_cr, t_np, t_th = interleaved_times(
            [chainrule_step(x, y), numpy_step(x, y), torch_step(torch, x, y)],
            rounds=args.rounds, block=args.block, inner=max(1, 2048 // batch))
        mine, floor = ratio_summary(t_cr, t_th), ratio_summary(t_np, t_th)
        rows.append([batch, f"{mine['a'] * 1e3:.3f}", f"{mine['b'] * 1e3:.3f}",
                     f"{floor['a'] * 1e3:.3f}", f"{mine['ratio']:.2f}",
                     f"{mine['q1']:.2f}-{mine['q3']:.2f}", f"{floor['ratio']:.2f}"])
    print(f"machine: {machine()}, torch {torch.__version__}")
    print_table(f"MLP 784-256-256-10 tanh, cross-entropy, SGD: one training step "
                f"({args.rounds} alternating rounds)",
                ["batch", "chainrule ms", "torch ms", "numpy ms", "chainrule/torch",
                 "quartiles", "numpy/torch"], rows)

if __name__ == "__main__":
    main()
