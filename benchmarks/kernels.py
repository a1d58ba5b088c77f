"""The internal choices that docs/performance.md quotes, each timed against its alternative on
arrays, chainrule alone, one thread (minimum of repeated runs, interleaved):

1. ``ops._util.select`` against ``np.where`` (1M float32, a random and a sorted mask);
2. the convolution's row-phased wide grid against the dense grid for the DCGAN's stride-2
   4x4 convolution 32 -> 64, 14x14 -> 7x7 (forward, the three gradients, conv_transpose);
3. the input gradient of the CNN's second convolution (32 -> 64, 3x3, 14x14) as a convolution
   with the flipped kernel against GEMM + col2im.

    python -m benchmarks.kernels [--repeats 8]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from ._harness import machine, print_table, reexec_with_allocator_settings


def _best_ms(fns: dict, repeats: int, rounds: int = 4) -> dict:
    """Minimum milliseconds of each function, the functions interleaved round by round."""
    best = {k: float("inf") for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            f()
            for _ in range(repeats):
                t0 = time.perf_counter()
                f()
                best[k] = min(best[k], (time.perf_counter() - t0) * 1e3)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=8)
    args = ap.parse_args(argv)
    reexec_with_allocator_settings()
    import chainrule as cr
    from chainrule.ops import conv as C
    from chainrule.ops._util import select

    cr.set_num_threads(1)
    rng = np.random.default_rng(0)
    rows = []
    a, b = (rng.random(1_000_000).astype(np.float32) for _ in range(2))
    for name, mask in (("random", a > 0.5), ("sorted", np.sort(a > 0.5))):
        t = _best_ms({"select": lambda m=mask: select(m, a, b),
                      "where": lambda m=mask: np.where(m, a, b)}, args.repeats)
        rows.append([f"select vs np.where, {name} mask", f"{t['select']:.2f}",
                     f"{t['where']:.2f}", f"{t['select'] / t['where']:.2f}"])

    x = rng.standard_normal((128, 32, 14, 14)).astype(np.float32)
    w = rng.standard_normal((64, 32, 4, 4)).astype(np.float32)
    g = rng.standard_normal((128, 64, 7, 7)).astype(np.float32)
    chosen = C._geometry((14, 14), (7, 7), (4, 4), (2, 2), (1, 1), (1, 1), 1, w)
    assert chosen.wide and chosen.phases == 2
    dense = C._Geometry((14, 14), (7, 7), (4, 4), (2, 2), (1, 1), (1, 1), 1, False)
    for name, fn in (("forward", lambda geo: C._conv(x, w, None, geo)),
                     ("gradients", lambda geo: C._conv_grads(x, w, g, geo, (True, True, False))),
                     ("conv_transpose", lambda geo: C._conv_transpose(g, w, None, geo))):
        t = _best_ms({"chosen": lambda fn=fn: fn(chosen), "dense": lambda fn=fn: fn(dense)},
                     args.repeats)
        rows.append([f"stride-2 4x4 conv {name}: row-phased wide vs dense grid",
                     f"{t['chosen']:.2f}", f"{t['dense']:.2f}", f"{t['chosen'] / t['dense']:.2f}"])

    w3 = rng.standard_normal((64, 32, 3, 3)).astype(np.float32)
    g3 = rng.standard_normal((128, 64, 14, 14)).astype(np.float32)
    geo = C._Geometry((14, 14), (14, 14), (3, 3), (1, 1), (1, 1), (1, 1), 1, True)
    wf = C._flipped_weight(w3, 1)
    fgeo = geo.flipped(C._wide(wf, 1))

    def col2im():
        out = np.empty((128, 32, 14, 14), np.float32)
        for n0, n1 in geo.chunks(128, 32, 4):
            C._conv_transpose_chunk(C._grid(g3[n0:n1], geo), w3, geo, out[n0:n1])
    t = _best_ms({"flip": lambda: C._conv(g3, wf, None, fgeo), "col2im": col2im},
                 args.repeats)
    rows.append(["3x3 conv input gradient: flipped conv vs col2im", f"{t['flip']:.2f}",
                 f"{t['col2im']:.2f}", f"{t['flip'] / t['col2im']:.2f}"])
    print(f"machine: {machine()}, chainrule on one thread")
    print_table("internal kernels: the chosen form against its alternative (minimum ms)",
                ["case", "chosen ms", "alternative ms", "ratio"], rows)


if __name__ == "__main__":
    main()
