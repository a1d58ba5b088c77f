"""Receptive fields and output shapes of convolution / pooling stacks: the formulas against
backward passes and forward passes.

Claim 1 (output size). Per spatial dim, a convolution or pooling with kernel k, stride s,
padding p and dilation d maps an input of size n to

    n_out = floor((n + 2p - d (k - 1) - 1) / s) + 1,

so a whole stack's output shape follows layer by layer without running it. Checked against the
real shapes of forward passes through chainrule's ``nn.Conv2d`` / ``nn.MaxPool2d`` /
``nn.AvgPool2d`` for a table of single layers and for three stacks on a 3 x 224 x 224 input
(AlexNet's ``features``, VGG's first two blocks, ResNet's stem), each layer's shape by three
routes: the formula above (``out_size``), ``chainrule.analysis.output_shape`` and the forward.

Claim 2 (receptive field). With k_eff = d (k - 1) + 1, the field size r, the jump j (input
pixels between neighbouring outputs) and the centre ``start`` of output 0's field follow

    r_out = r + (k_eff - 1) j,    j_out = j s,    start_out = start + ((k_eff - 1) / 2 - p) j,

from r = j = 1, start = 0 at the input (``chainrule.analysis.receptive_field``). Output
position o then sees input indices [start + o j - (r - 1) / 2, start + o j + (r - 1) / 2]:
for 7x7, 5x5, 3x3 convolutions and a 2x2 max-pool of stride 2, r = 1 + 6 + 4 + 2 + 1 = 14.
Measured: the support of d out[centre] / d input, the input pixels whose gradient is nonzero,
from one backward pass of the central output unit. Each stack has one channel, all weights
positive and no bias or nonlinearity, so every path from an input pixel to the output adds a
positive product of weights and no two paths can cancel: the gradient is nonzero exactly where
some path exists. That support's rows and columns are compared with the analytic box (clipped
to the input), for stacks with strides, padding and dilation, and AlexNet's first four layers.

Max-pooling routes its gradient to the one argmax of each window (``convolution`` experiment),
so one backward pass through a max-pool lights up only the field of the winning positions: a
subset of the box that depends on the input. The support is therefore measured twice: with each
max-pool replaced by an average pool of the same geometry (which spreads 1/k^2 to every element
of the window, so every path counts: the support is then the box exactly), and with the real
max-pool, where one random input's support is checked to lie inside the box and the union over
``max_pool_inputs`` random inputs to cover it (all of it for a single 2x2 pool, whose four
choices per window are soon all drawn; at least 80% for AlexNet's two 3x3 pools, whose box
corners need every pool to pick an extreme position at once).

The box is a bounding box, not a promise that every pixel in it is seen: two 3x3 convolutions
of dilation 2 have r = 9, but their offsets {-2, 0, 2} + {-2, 0, 2} reach only every other
pixel (5 of the 9 rows): the gridding artefact of dilated stacks. That stack is checked for its
extent (9) and for its holes (5 rows, 5 columns).

Checks: every layer's shape agrees across the three routes (mismatches = 0); every dense
stack's support equals its analytic box (rows and columns, position included); the gridding
stack's extent is r with holes; max-pool supports stay inside the box and their union covers
it. ``receptive_field.png`` draws each stack's input-gradient support (log10 |gradient|) with
the analytic box on it; ``receptive_field.json`` holds the numbers and the shape table.

    python -m chainrule.lab.receptive_field [--quick] [--out DIR]
"""
from __future__ import annotations

from pathlib import Path

from ..backend import np
from ._checks import (Check, at_least, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "receptive-field-and-shapes"
# full: the 224 x 224 stacks at their real widths; quick: 4 channels (shapes do not depend on it)
FULL = {"width": None, "max_pool_inputs": 64}
QUICK = {"width": 4, "max_pool_inputs": 16}

# layer specs: ("conv", k, s, p, d) / ("max", k, s, p, d) / ("avg", k, s, p)
STACKS = {
    "7x7, 5x5, 3x3 conv, 2x2 max-pool s2": (32, [("conv", 7, 1, 0, 1), ("conv", 5, 1, 0, 1),
                                                ("conv", 3, 1, 0, 1), ("max", 2, 2, 0, 1)]),
    "3x3 conv s2 p1, 3x3 s2 p1, 3x3 p1": (33, [("conv", 3, 2, 1, 1), ("conv", 3, 2, 1, 1),
                                              ("conv", 3, 1, 1, 1)]),
    "3x3 conv, dilation 1, 2, 4": (33, [("conv", 3, 1, 0, 1), ("conv", 3, 1, 0, 2),
                                       ("conv", 3, 1, 0, 4)]),
    "VGG: (3x3 p1, 3x3 p1, 2x2 max-pool) x 2": (32, [
        ("conv", 3, 1, 1, 1), ("conv", 3, 1, 1, 1), ("max", 2, 2, 0, 1),
        ("conv", 3, 1, 1, 1), ("conv", 3, 1, 1, 1), ("max", 2, 2, 0, 1)]),
    "AlexNet: 11x11 s4 p2, 3x3 max s2, 5x5 p2, 3x3 max s2": (127, [
        ("conv", 11, 4, 2, 1), ("max", 3, 2, 0, 1), ("conv", 5, 1, 2, 1), ("max", 3, 2, 0, 1)]),
    "gridding: 3x3 conv dilation 2, twice": (21, [("conv", 3, 1, 0, 2), ("conv", 3, 1, 0, 2)]),
}
GRIDDING = "gridding: 3x3 conv dilation 2, twice"

# single layers for the shape table: (kind, n, k, s, p, d)
SINGLE_LAYERS = [
    ("conv", 7, 3, 1, 0, 1), ("conv", 7, 3, 2, 1, 1), ("conv", 28, 5, 1, 2, 1),
    ("conv", 32, 3, 2, 0, 1), ("conv", 32, 3, 1, 2, 2), ("conv", 10, 4, 3, 1, 1),
    ("conv", 15, 3, 1, 0, 3), ("conv", 224, 7, 2, 3, 1), ("conv", 227, 11, 4, 0, 1),
    ("max", 28, 2, 2, 0, 1), ("max", 7, 2, 2, 0, 1), ("max", 55, 3, 2, 0, 1),
    ("max", 9, 3, 2, 1, 1), ("max", 16, 3, 1, 0, 2), ("avg", 13, 3, 2, 1, 1),
    ("avg", 8, 2, 2, 0, 1),
]
# stacks on a 3 x 224 x 224 input: (kind, out_channels or None, k, s, p, d)
NETS_224 = {
    "AlexNet features": [("conv", 64, 11, 4, 2, 1), ("relu",), ("max", None, 3, 2, 0, 1),
                         ("conv", 192, 5, 1, 2, 1), ("relu",), ("max", None, 3, 2, 0, 1),
                         ("conv", 384, 3, 1, 1, 1), ("relu",), ("conv", 256, 3, 1, 1, 1),
                         ("relu",), ("conv", 256, 3, 1, 1, 1), ("relu",),
                         ("max", None, 3, 2, 0, 1)],
    "VGG-16 blocks 1-2": [("conv", 64, 3, 1, 1, 1), ("relu",), ("conv", 64, 3, 1, 1, 1),
                          ("relu",), ("max", None, 2, 2, 0, 1), ("conv", 128, 3, 1, 1, 1),
                          ("relu",), ("conv", 128, 3, 1, 1, 1), ("relu",),
                          ("max", None, 2, 2, 0, 1)],
    "ResNet stem": [("conv", 64, 7, 2, 3, 1), ("relu",), ("max", None, 3, 2, 1, 1)],
}


def out_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """floor((n + 2p - d (k - 1) - 1) / s) + 1: the output length of a convolution or pooling."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _layer(spec, in_channels: int, width: int | None = None, avg_for_max: bool = False):
    """A chainrule layer for ``spec`` (see STACKS / NETS_224) and its output channel count."""
    from .. import nn

    kind = spec[0]
    if kind == "relu":
        return nn.ReLU(), in_channels
    if kind == "conv":
        out, k, s, p, d = spec[1:] if len(spec) == 6 else (1,) + tuple(spec[1:])
        out = width or out
        return nn.Conv2d(in_channels, out, k, stride=s, padding=p, dilation=d), out
    k, s, p = spec[-4:-1] if len(spec) == 6 else spec[1:4]
    if kind == "avg" or (kind == "max" and avg_for_max):
        return nn.AvgPool2d(k, stride=s, padding=p), in_channels
    d = spec[-1] if kind == "max" else 1
    return nn.MaxPool2d(k, stride=s, padding=p, dilation=d), in_channels


def positive_stack(specs, avg_for_max: bool, seed: int = 0):
    """One-channel Sequential for ``specs``: weights uniform in [0.5, 1.5], no bias; max-pools
    become average pools of the same geometry when ``avg_for_max``."""
    from .. import nn
    from ..creation import from_numpy

    gen = np.random.default_rng(seed)
    layers = []
    for spec in specs:
        layer, _ = _layer(spec, 1, avg_for_max=avg_for_max)
        if isinstance(layer, nn.Conv2d):
            layer.weight.data = from_numpy(
                gen.uniform(0.5, 1.5, layer.weight.shape).astype(np.float64))
            layer.bias = None
        layers.append(layer)
    return nn.Sequential(*layers).double()


def analytic_box(specs, n: int) -> dict:
    """``chainrule.analysis.receptive_field`` of the stack on an n x n input: r, j, start of
    the last layer, the central output index and its box [lo, hi] clipped to the input."""
    from ..analysis import receptive_field

    rows = receptive_field(positive_stack(specs, avg_for_max=False), (1, 1, n, n))
    last = rows[-1]
    o = (last.output_shape[2] - 1) // 2
    r, j, start = last.r[0], last.j[0], last.start[0]
    centre = start + o * j
    lo, hi = centre - (r - 1) / 2, centre + (r - 1) / 2
    return {"r": r, "j": j, "start": start, "out_size": last.output_shape[2], "centre_out": o,
            "lo": int(max(lo, 0)), "hi": int(min(hi, n - 1)), "clipped": lo < 0 or hi > n - 1}


def input_gradient(model, n: int, o: int, x=None):
    """d model(x)[0, 0, o, o] / d x for an n x n one-channel input (zeros when ``x`` is None;
    the stack is linear apart from max-pool, so only max-pool cares about x)."""
    import chainrule as cr

    data = np.zeros((1, 1, n, n)) if x is None else x
    xt = cr.from_numpy(np.asarray(data, dtype=np.float64)).requires_grad_()
    (g,) = cr.autograd.grad(model(xt)[0, 0, o, o], (xt,))
    return g.numpy()[0, 0]


def support(grad) -> dict:
    """Nonzero rows and columns of a gradient map: their lists, counts and extents."""
    mask = grad != 0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return {"rows": [int(v) for v in rows], "cols": [int(v) for v in cols],
            "n_rows": len(rows), "n_cols": len(cols),
            "row_lo": int(rows.min()), "row_hi": int(rows.max()),
            "col_lo": int(cols.min()), "col_hi": int(cols.max()),
            "extent": int(max(rows.max() - rows.min(), cols.max() - cols.min()) + 1),
            "nonzero": int(mask.sum())}


def measure_fields(max_pool_inputs: int, seed: int = 0) -> dict:
    """For every stack in STACKS: the analytic box and the measured input-gradient supports."""
    gen = np.random.default_rng(seed)
    found = {}
    for name, (n, specs) in STACKS.items():
        box = analytic_box(specs, n)
        o = box["centre_out"]
        grad = input_gradient(positive_stack(specs, avg_for_max=True), n, o)
        entry = {"n": n, "layers": [list(s) for s in specs], **box, "support": support(grad),
                 "grad": grad}
        if any(s[0] == "max" for s in specs):
            model = positive_stack(specs, avg_for_max=False)
            masks = [input_gradient(model, n, o, gen.standard_normal((1, 1, n, n))) != 0
                     for _ in range(max_pool_inputs)]
            inside = np.zeros((n, n), dtype=bool)
            inside[box["lo"]:box["hi"] + 1, box["lo"]:box["hi"] + 1] = True
            union = np.logical_or.reduce(masks)
            entry["max_pool"] = {
                "inputs": max_pool_inputs,
                "single_nonzero": int(masks[0].sum()),
                "single_fraction_of_box": float(masks[0].sum() / inside.sum()),
                "outside_box": int(sum((m & ~inside).sum() for m in masks)),
                "union_fraction_of_box": float((union & inside).sum() / inside.sum()),
                "single_mask": masks[0]}
        found[name] = entry
    return found


def shape_routes(specs, input_shape: tuple, width: int | None = None) -> list[dict]:
    """Each layer's output shape by the formula, by ``analysis.output_shape`` and by a forward
    pass (zeros, no grad) through real layers."""
    import chainrule as cr
    from ..analysis import output_shape

    rows, channels, shape = [], input_shape[1], tuple(input_shape)
    x = cr.zeros(input_shape)
    layers = []
    with cr.no_grad():
        for spec in specs:
            layer, channels = _layer(spec, channels, width)
            layers.append(layer)
            if spec[0] == "relu":
                formula = shape
            else:
                k, s, p, d = spec[-4:]
                side = out_size(shape[2], k, s, p, d if spec[0] != "avg" else 1)
                formula = (shape[0], channels, side, side)
            x = layer(x)
            shape = tuple(x.shape)
            rows.append({"layer": type(layer).__name__, "spec": list(spec),
                         "formula": list(formula),
                         "analysis": list(output_shape(layers, input_shape)),
                         "forward": list(shape)})
    return rows


def measure_shapes(width: int | None) -> dict:
    """The shape table: single layers (one channel, n x n) and the 3 x 224 x 224 stacks."""
    single = []
    for kind, n, k, s, p, d in SINGLE_LAYERS:
        spec = (kind, 1, k, s, p, d) if kind != "avg" else ("avg", None, k, s, p, 1)
        (row,) = shape_routes([spec], (1, 1, n, n))
        single.append({"n": n, "kind": kind, "k": k, "s": s, "p": p, "d": d, **row})
    nets = {name: shape_routes(specs, (1, 3, 224, 224), width) for name, specs in
            NETS_224.items()}
    every = single + [row for rows in nets.values() for row in rows]
    mismatches = sum(not (r["formula"] == r["analysis"] == r["forward"]) for r in every)
    return {"single": single, "nets_224": nets, "layers_compared": len(every),
            "mismatches": mismatches}


def measure(width: int | None = None, max_pool_inputs: int = 64, seed: int = 0) -> dict:
    """Both parts: the receptive fields of STACKS and the shape table."""
    return {"fields": measure_fields(max_pool_inputs, seed), "shapes": measure_shapes(width),
            "width": width, "max_pool_inputs": max_pool_inputs, "seed": seed}


def checks(r: dict) -> list[Check]:
    """The claims of the docstring, from the numbers of ``measure`` (or made-up ones)."""
    shapes = r["shapes"]
    found = [at_most("output size formula = analysis.output_shape = forward shape",
                     shapes["mismatches"], 0,
                     f"layers whose three shapes disagree, of {shapes['layers_compared']} "
                     f"(single layers and AlexNet / VGG / ResNet-stem on 3x224x224)")]
    dense = {k: v for k, v in r["fields"].items() if k != GRIDDING}
    worst = 0
    for f in dense.values():
        s = f["support"]
        worst = max(worst, abs(s["row_lo"] - f["lo"]), abs(s["row_hi"] - f["hi"]),
                    abs(s["col_lo"] - f["lo"]), abs(s["col_hi"] - f["hi"]),
                    abs(s["n_rows"] - (f["hi"] - f["lo"] + 1)),
                    abs(s["n_cols"] - (f["hi"] - f["lo"] + 1)))
    sizes = ", ".join(f"{f['r']}" for f in dense.values())
    found.append(at_most("gradient support = analytic receptive field box", worst, 0,
                         f"largest difference in pixels (box edges, row / column counts) over "
                         f"{len(dense)} stacks with r = {sizes}; max-pool measured as avg-pool"))
    first = r["fields"][next(iter(STACKS))]
    found.append(at_most("7x7, 5x5, 3x3, 2x2/2 max-pool: r = 14",
                         abs(first["support"]["extent"] - 14), 0,
                         f"|measured extent - 14|, extent {first['support']['extent']}"))
    g = r["fields"][GRIDDING]
    found.append(at_most("dilated stack: support extent = r", abs(g["support"]["extent"] -
                                                                  g["r"]), 0,
                         f"|extent - r|, r = {g['r']}"))
    found.append(at_most("dilated stack: holes inside the box (gridding)",
                         g["support"]["n_rows"], (g["r"] + 1) // 2,
                         f"nonzero rows of the r = {g['r']} box"))
    pools = [f["max_pool"] for f in r["fields"].values() if "max_pool" in f]
    found.append(at_most("max-pool: gradient support stays inside the box",
                         sum(p["outside_box"] for p in pools), 0,
                         f"pixels outside the box, over {len(pools)} stacks x "
                         f"{pools[0]['inputs']} random inputs"))
    found.append(at_most("max-pool: one input reaches only part of the box",
                         max(p["single_fraction_of_box"] for p in pools), 0.9,
                         "largest fraction of the box one backward pass reaches"))
    found.append(at_least("max-pool: union over random inputs covers the box (2x2 pool)",
                          first["max_pool"]["union_fraction_of_box"], 0.99,
                          f"covered fraction of the r = 14 box, {pools[0]['inputs']} inputs"))
    found.append(at_least("max-pool: union over random inputs covers most of every box",
                          min(p["union_fraction_of_box"] for p in pools), 0.8,
                          f"smallest covered fraction over {len(pools)} stacks (AlexNet's "
                          f"corners need every 3x3 pool to pick an extreme position)"))
    return found


def plot(r: dict, path: Path) -> Path | None:
    """Each stack's log10 |d out[centre] / d input| with its analytic box; the max-pool
    supports of one input and of the union for the first stack."""
    plt = pyplot()
    if plt is None:
        return None
    from matplotlib.patches import Rectangle
    fields = r["fields"]
    first = fields[next(iter(STACKS))]
    panels = len(fields) + 1
    cols = 4
    rows = -(-panels // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows))
    axes = axes.ravel()
    for ax, (name, f) in zip(axes, fields.items()):
        grad = np.abs(f["grad"])
        shown = np.where(grad > 0, np.log10(np.where(grad > 0, grad, 1)), np.nan)
        im = ax.imshow(shown, cmap="viridis", interpolation="nearest")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
        size = f["hi"] - f["lo"] + 1
        ax.add_patch(Rectangle((f["lo"] - 0.5, f["lo"] - 0.5), size, size, fill=False,
                               ec="red", lw=1.5))
        ax.set_title(f"{name}\nr = {f['r']}, j = {f['j']}, measured extent "
                     f"{f['support']['extent']}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    ax = axes[len(fields)]
    mask = first["max_pool"]["single_mask"].astype(float)
    ax.imshow(mask, cmap="Greys", interpolation="nearest", vmin=0, vmax=1)
    size = first["hi"] - first["lo"] + 1
    ax.add_patch(Rectangle((first["lo"] - 0.5, first["lo"] - 0.5), size, size, fill=False,
                           ec="red", lw=1.5))
    mp = first["max_pool"]
    ax.set_title(f"real max-pool, one random input: {mp['single_fraction_of_box']:.0%} of box\n"
                 f"union of {mp['inputs']} inputs: {mp['union_fraction_of_box']:.0%}",
                 fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    for ax in axes[panels:]:
        ax.axis("off")
    fig.suptitle("support of d out[centre] / d input (log10 |grad|; max-pool as avg-pool) "
                 "and the analytic receptive field (red)", fontsize=10)
    return save_figure(fig, path, dpi=110)


def _jsonable(r: dict) -> dict:
    fields = {}
    for name, f in r["fields"].items():
        f = {k: v for k, v in f.items() if k != "grad"}
        if "max_pool" in f:
            f["max_pool"] = {k: v for k, v in f["max_pool"].items() if k != "single_mask"}
        fields[name] = f
    return {**r, "fields": fields}


def run(quick: bool = False, out: Path | str = "runs/lab/receptive-field-and-shapes"
        ) -> list[Check]:
    """Measure both parts; write ``receptive_field.json`` and ``receptive_field.png``."""
    out = output_dir(out)
    budget = QUICK if quick else FULL
    r = measure(budget["width"], budget["max_pool_inputs"])
    found = checks(r)
    write_numbers(out / "receptive_field.json", quick, budget, _jsonable(r), found)
    plot(r, out / "receptive_field.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
