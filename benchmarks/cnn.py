"""Training step of the CNN of ``chainrule.models.CNN`` (two Conv3x3+BatchNorm+ReLU+MaxPool2
blocks, 1->32->64 channels, Linear head) at batch 128 with Adam: chainrule vs PyTorch eager in
one run, the same architecture written in torch.nn with the same initial weights.

    python -m benchmarks.cnn [--rounds 12] [--block 5] [--batch 128]

The two libraries run in alternating blocks of steps (``_harness.paired_times``), so that both
see the same moments of a noisy machine. Prints the median milliseconds per step, the median of
the per-round ratios chainrule/torch (issue target: <= 1.5) and their quartiles.
"""
from __future__ import annotations

import argparse

import numpy as np

from ._harness import (adam_classifier_step, reexec_with_allocator_settings, setup_torch,
                       paired_times, machine, print_table)


def _data(batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((batch, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, batch).astype(np.int64))


def torch_cnn(torch, state):
    nn = torch.nn

    def block(i, o):
        return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o),
                             nn.ReLU(), nn.MaxPool2d(2))

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(block(1, 32), block(32, 64))
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, 10))

        def forward(self, x):
            return self.classifier(self.features(x))

    model = CNN()
    if state is not None:       # (None: torch's own initialisation)
        model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=12,
                    help="alternating blocks of chainrule and torch steps")
    ap.add_argument("--block", type=int, default=5, help="steps per block")
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    import chainrule as cr
    from chainrule.models import CNN

    x_np, y_np = _data(args.batch)
    cr.manual_seed(0)
    model = CNN()
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    step_cr = adam_classifier_step(cr, model, cr.from_numpy(x_np), cr.from_numpy(y_np))
    torch = setup_torch()
    step_th = adam_classifier_step(torch, torch_cnn(torch, state), torch.from_numpy(x_np),
                                   torch.from_numpy(y_np))
    t = paired_times(step_cr, step_th, rounds=args.rounds, block=args.block)
    print(f"machine: {machine()}, torch {torch.__version__}")
    print_table(f"CNN training step (batch {args.batch}, BatchNorm, Adam; {args.rounds} "
                f"alternating rounds of {args.block} steps each)",
                ["chainrule ms", "torch ms", "chainrule/torch", "ratio quartiles"],
                [[f"{t['a'] * 1e3:.1f}", f"{t['b'] * 1e3:.1f}", f"{t['ratio']:.2f}",
                  f"{t['q1']:.2f}-{t['q3']:.2f}"]])


if __name__ == "__main__":
    main()
