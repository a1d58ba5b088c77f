"""Training step of a one-layer LSTM and GRU classifier (sequence 28, input 28, hidden 128,
batch 128, batch_first, a Linear(128, 10) head on the last step's output, cross-entropy, Adam):
chainrule vs PyTorch eager in one run, the same modules with the same initial weights.

    python -m benchmarks.rnn [--rounds 12] [--block 5] [--batch 128] [--seq 28] [--hidden 128]

The two libraries run in alternating blocks of steps (``_harness.paired_times``). Prints the
median milliseconds per step, the median of the per-round ratios chainrule/torch (issue
target: <= 1.5) and their quartiles.
"""
from __future__ import annotations

import argparse

import numpy as np

from ._harness import (adam_classifier_step, reexec_with_allocator_settings, setup_torch,
                       paired_times, machine, print_table)

INPUT, CLASSES = 28, 10
KINDS = ("LSTM", "GRU")


def _data(batch: int, seq: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((batch, seq, INPUT)).astype(np.float32),
            rng.integers(0, CLASSES, batch).astype(np.int64))


def _model(lib, kind: str, hidden: int):
    nn = lib.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(nn, kind)(INPUT, hidden, batch_first=True)
            self.head = nn.Linear(hidden, CLASSES)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    return Classifier()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=12,
                    help="alternating blocks of chainrule and torch steps")
    ap.add_argument("--block", type=int, default=5, help="steps per block")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seq", type=int, default=28)
    ap.add_argument("--hidden", type=int, default=128)
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    import chainrule as cr

    x_np, y_np = _data(args.batch, args.seq)
    torch = setup_torch()
    rows = []
    for kind in KINDS:
        cr.manual_seed(0)
        model = _model(cr, kind, args.hidden)
        state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
        tmodel = _model(torch, kind, args.hidden)
        tmodel.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        t = paired_times(adam_classifier_step(cr, model, cr.from_numpy(x_np),
                                              cr.from_numpy(y_np)),
                         adam_classifier_step(torch, tmodel, torch.from_numpy(x_np),
                                              torch.from_numpy(y_np)),
                         rounds=args.rounds, block=args.block)
        rows.append([kind, f"{t['a'] * 1e3:.1f}", f"{t['b'] * 1e3:.1f}", f"{t['ratio']:.2f}",
                     f"{t['q1']:.2f}-{t['q3']:.2f}"])
    print(f"machine: {machine()}, torch {torch.__version__}")
    print_table(f"{'/'.join(KINDS)} training step (seq {args.seq}, input {INPUT}, hidden "
                f"{args.hidden}, batch {args.batch}, batch_first, Linear head, Adam; "
                f"{args.rounds} alternating rounds of {args.block} steps)",
                ["model", "chainrule ms", "torch ms", "chainrule/torch", "ratio quartiles"],
                rows)

if __name__ == "__main__":
    main()
