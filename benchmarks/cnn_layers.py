"""Where the CNN training step's time goes: forward and backward of each layer of
``chainrule.models.CNN`` at batch 128, chainrule alone (no torch in the process).

    python -m benchmarks.cnn_layers [--repeats 15] [--threads N]

Each layer runs on the previous layer's output (detached), its backward from a fixed random
output gradient; backward time = median(forward + backward) - median(forward).
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from ._harness import reexec_with_allocator_settings, machine, print_table


def _median_ms(fn, repeats: int) -> float:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None,
                    help="chainrule.set_num_threads (default: chainrule's default)")
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    import chainrule as cr
    from chainrule.models import CNN

    if args.threads is not None:
        cr.set_num_threads(args.threads)

    cr.manual_seed(0)
    model = CNN()
    rng = np.random.default_rng(0)
    h = cr.from_numpy(rng.standard_normal((args.batch, 1, 28, 28)).astype(np.float32))
    layers = [*model.features[0], *model.features[1], *model.classifier]
    rows = []
    for i, layer in enumerate(layers):
        x = h.detach().requires_grad_(i > 0)
        out = layer(x)
        g = cr.from_numpy(rng.standard_normal(out.shape).astype(np.float32))
        t_f = _median_ms(lambda f=layer, x=x: f(x), args.repeats)
        t_fb = _median_ms(lambda f=layer, x=x, g=g: f(x).backward(g), args.repeats)
        rows.append([type(layer).__name__, str(tuple(out.shape)), f"{t_f:.2f}",
                     f"{t_fb - t_f:.2f}"])
        h = out.detach()
    print(f"machine: {machine()}, chainrule threads={cr.get_num_threads()}")
    print_table(f"CNN layers, batch {args.batch}", ["layer", "output", "forward ms",
                                                    "backward ms"], rows)


if __name__ == "__main__":
    main()
