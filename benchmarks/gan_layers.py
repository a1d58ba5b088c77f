"""Forward and backward milliseconds of every layer of the DCGAN nets (32 base channels,
batch 128) that ``chainrule train nsgan --dataset fashion-mnist --model-arg channels=32``
trains: chainrule alone, each layer on its own input in a hot loop (medians).

    python -m benchmarks.gan_layers [--repeats 10] [--batch 128]
"""
from __future__ import annotations

import argparse

from ._harness import machine, median_time, reexec_with_allocator_settings


def _layer_times(cr, net, x, repeats: int) -> list[tuple[str, tuple, float, float]]:
    """(layer, output shape, forward ms, backward ms) of each layer of ``net.net``, the
    backward as the median of forward + backward minus the forward's."""
    rows = []
    for layer in net.net:
        x = x.detach().requires_grad_(True)
        y = layer(x)
        g = cr.randn(*y.shape)
        forward = median_time(lambda f=layer, x=x: f(x), repeats, warmup=1)
        both = median_time(lambda f=layer, x=x, g=g: f(x).backward(g), repeats, warmup=1)
        rows.append((type(layer).__name__, tuple(y.shape), forward * 1e3,
                     (both - forward) * 1e3))
        x = y
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    import chainrule as cr
    from chainrule.models.gan import DCGANDiscriminator, DCGANGenerator

    cr.manual_seed(0)
    nets = {"generator": (DCGANGenerator(100, 32), cr.randn(args.batch, 100, 1, 1)),
            "discriminator": (DCGANDiscriminator(1, 32, batchnorm=True),
                              cr.rand(args.batch, 1, 28, 28) * 2 - 1)}
    print(f"machine: {machine()}")
    for name, (net, x) in nets.items():
        print(f"\nDCGAN {name}, batch {args.batch}")
        print(f"{'layer':>16} {'output':>20} {'forward ms':>11} {'backward ms':>12}")
        for layer, shape, fwd, bwd in _layer_times(cr, net, x, args.repeats):
            print(f"{layer:>16} {str(shape):>20} {fwd:11.2f} {bwd:12.2f}")


if __name__ == "__main__":
    main()
