"""Training step of a one-layer LSTM and GRU classifier (sequence 28, input 28, hidden 128,
batch 128, batch_first, a Linear(128, 10) head on the last step's output, cross-entropy, Adam):
chainrule vs PyTorch eager in one run, the same modules with the same initial weights.

    python -m benchmarks.rnn [--repeats 20] [--batch 128] [--seq 28] [--hidden 128]

Prints milliseconds per step and the ratio chainrule/torch (issue target: <= 1.5).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from ._harness import (adam_classifier_step, reexec_with_allocator_settings, setup_torch,
                       median_time, machine, print_table)

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
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seq", type=int, default=28)
    ap.add_argument("--hidden", type=int, default=128)
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    import chainrule as cr

    x_np, y_np = _data(args.batch, args.seq)
    states, mine = {}, {}
    for kind in KINDS:                  # all NumPy-side timings first (see setup_torch)
        cr.manual_seed(0)
        model = _model(cr, kind, args.hidden)
        states[kind] = {k: v.numpy().copy() for k, v in model.state_dict().items()}
        mine[kind] = median_time(adam_classifier_step(cr, model, cr.from_numpy(x_np),
                                                      cr.from_numpy(y_np)),
                                 args.repeats, warmup=3)
    time.sleep(0.2)
    torch = setup_torch()
    rows = []
    for kind in KINDS:
        tmodel = _model(torch, kind, args.hidden)
        tmodel.load_state_dict({k: torch.from_numpy(v) for k, v in states[kind].items()})
        t_th = median_time(adam_classifier_step(torch, tmodel, torch.from_numpy(x_np),
                                            torch.from_numpy(y_np)),
                           args.repeats, warmup=3)
        rows.append([kind, f"{mine[kind] * 1e3:.1f}", f"{t_th * 1e3:.1f}",
                     f"{mine[kind] / t_th:.2f}"])
    print(f"machine: {machine()}, torch {torch.__version__}")
    print_table(f"{'/'.join(KINDS)} training step (seq {args.seq}, input {INPUT}, hidden "
                f"{args.hidden}, batch {args.batch}, batch_first, Linear head, Adam)",
                ["model", "chainrule ms", "torch ms", "chainrule/torch"], rows)


if __name__ == "__main__":
    main()
