"""Where the CNN training step's time goes: forward and backward of each layer of
``chainrule.models.CNN`` at batch 128, chainrule alone (no torch in the process), or with
``--torch`` the same layers in torch (no chainrule timing in the process).

    python -m benchmarks.cnn_layers [--repeats 15] [--threads N] [--torch]

Each layer runs on the previous layer's output (detached), its backward from a fixed random
output gradient; backward time = median(forward + backward) - median(forward).
"""
from __future__ import annotations

import argparse

import numpy as np

from ._harness import (machine, median_time, print_table, reexec_with_allocator_settings,
                       setup_torch)


def _median_ms(fn, repeats: int) -> float:
    return median_time(fn, repeats, warmup=3) * 1e3


def _layer_rows(lib, layers, x0, repeats: int) -> list:
    """Forward and backward milliseconds of each layer on the previous one's output."""
    rng = np.random.default_rng(0)
    h, rows = x0, []
    for i, layer in enumerate(layers):
        x = h.detach().requires_grad_(i > 0)
        out = layer(x)
        g = lib.from_numpy(rng.standard_normal(tuple(out.shape)).astype(np.float32))
        t_f = _median_ms(lambda f=layer, x=x: f(x), repeats)
        t_fb = _median_ms(lambda f=layer, x=x, g=g: f(x).backward(g), repeats)
        rows.append([type(layer).__name__, str(tuple(out.shape)), f"{t_f:.2f}",
                     f"{t_fb - t_f:.2f}"])
        h = out.detach()
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None,
                    help="chainrule.set_num_threads (default: chainrule's default)")
    ap.add_argument("--torch", action="store_true",
                    help="time torch's layers instead (the same architecture, torch eager)")
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    x_np = np.random.default_rng(0).standard_normal((args.batch, 1, 28, 28)).astype(np.float32)
    if args.torch:
        from .cnn import torch_cnn
        torch = setup_torch()
        model = torch_cnn(torch, None)
        layers = [*model.features[0], *model.features[1], *model.classifier]
        rows = _layer_rows(torch, layers, torch.from_numpy(x_np), args.repeats)
        label = f"torch {torch.__version__}, threads={torch.get_num_threads()}"
    else:
        import chainrule as cr
        from chainrule.models import CNN
        if args.threads is not None:
            cr.set_num_threads(args.threads)
        cr.manual_seed(0)
        model = CNN()
        layers = [*model.features[0], *model.features[1], *model.classifier]
        rows = _layer_rows(cr, layers, cr.from_numpy(x_np), args.repeats)
        label = f"chainrule threads={cr.get_num_threads()}"
    print(f"machine: {machine()}, {label}")
    print_table(f"CNN layers, batch {args.batch}", ["layer", "output", "forward ms",
                                                    "backward ms"], rows)

if __name__ == "__main__":
    main()
