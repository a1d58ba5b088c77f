"""Convolution by hand: what conv2d computes, the algebra of true convolution, and where the
gradients of a convolution and of pooling go.

Claim 1 (what a convolution layer computes). ``conv2d`` is a cross-correlation: with the input
zero-padded by p and stride s,

    y[i, j] = sum_{u, v} x_pad[s i + u, s j + v] w[u, v],      size floor((n + 2p - k) / s) + 1.

Worked here on a 7x7 input with a 3x3 kernel by explicit loops in NumPy (``by_hand``), with
stride 1 (5x5 output) and with stride 2, padding 1 (4x4), against
``chainrule.nn.functional.conv2d``: the integers must agree exactly.

Claim 2 (true convolution is an algebra, cross-correlation is not). True convolution flips the
kernel, (a * b)[n] = sum_m a[m] b[n - m] (full mode: every overlap, length len a + len b - 1);
cross-correlation does not, (a (x) b)[n] = sum_m a[m + n] b[m]. Both are linear in each argument.
Convolution is commutative, a * b = b * a, and associative, (a * b) * c = a * (b * c) (its
Fourier transform is a product); cross-correlation is neither: a (x) b is b (x) a reversed, and
regrouping three of them changes the result. Measured on random 1-D and 2-D arrays with the
full-mode loops of this module, checked against ``scipy.signal.convolve`` / ``correlate``, and
true convolution is ``conv2d`` with the kernel flipped and padding k - 1.

Claim 3 (the weight gradient is a cross-correlation). For y = conv2d(x, w) (stride 1) and a
loss L with upstream gradient g = dL/dy,

    dL/dw[o, c, u, v] = sum_{n, i, j} x[n, c, i + u, j + v] g[n, o, i, j],

the cross-correlation of the input with the output gradient, which is itself a conv2d with the
batch as the channel axis: dL/dw = conv2d(x^T, g^T)^T, with ^T swapping the first two axes;
with stride s, g's taps are s apart: conv2d(x^T, g^T, dilation=s)^T. The input gradient is the
full convolution of g with w: dL/dx = conv_transpose2d(g, w). Measured on an MSE loss with
autograd's ``weight.grad`` and ``input.grad`` against these conv2d arrangements.

Claim 4 (where pooling sends its gradient). Max-pooling's output is one element of each window,
so its gradient goes to that argmax alone (and an element that is the max of several
overlapping windows gets the sum); average pooling spreads each upstream gradient as 1/k^2 over
its window. Measured on a random 8x8 input: the nonzero entries of the max-pool input gradient
are exactly the argmaxes found by loops, and every avg-pool input gradient entry is g / 4.

``convolution_worked.png`` shows the worked example (input, kernel, both outputs, the numbers
in the cells); ``convolution_pooling.png`` the max-pool and avg-pool input gradients over the
pooling windows. ``convolution.json`` holds the numbers.

    python -m chainrule.lab.convolution [--quick] [--out DIR]
"""
from __future__ import annotations

from pathlib import Path

from ..backend import np
from ._checks import (Check, at_least, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "convolution"
# the variants differ only in how many random trials the algebra and the gradients get
FULL = {"trials": 50}
QUICK = {"trials": 5}
EXACT = 1e-10      # float64 round-off, relative to the size of the numbers
# the worked example: a 7x7 input of small integers and a 3x3 (Sobel-x) kernel
WORKED_X = np.array([[3, 0, 1, 2, 7, 4, 1],
                     [1, 5, 8, 9, 3, 1, 2],
                     [2, 7, 2, 5, 1, 3, 0],
                     [0, 1, 3, 1, 7, 8, 4],
                     [4, 2, 1, 6, 2, 8, 2],
                     [2, 4, 5, 2, 3, 9, 1],
                     [1, 0, 6, 3, 4, 2, 5]], dtype=np.float64)
WORKED_K = np.array([[1, 0, -1],
                     [2, 0, -2],
                     [1, 0, -1]], dtype=np.float64)


# ---------------------------------------------------------------------------- by hand
def by_hand(x, k, stride: int = 1, padding: int = 0):
    """conv2d's cross-correlation of a 2-D ``x`` with a 2-D ``k``, by explicit loops."""
    x = np.pad(np.asarray(x, dtype=np.float64), padding)
    kh, kw = k.shape
    oh, ow = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    y = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            total = 0.0
            for u in range(kh):
                for v in range(kw):
                    total += x[stride * i + u, stride * j + v] * k[u, v]
            y[i, j] = total
    return y


def convolve_full(a, b):
    """True convolution in full mode, 1-D or 2-D: c[n] = sum_m a[m] b[n - m], by loops over a."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    out = np.zeros(tuple(p + q - 1 for p, q in zip(a.shape, b.shape)))
    for m in np.ndindex(*a.shape):
        out[tuple(slice(i, i + s) for i, s in zip(m, b.shape))] += a[m] * b
    return out


def correlate_full(a, b):
    """Cross-correlation in full mode: c[n] = sum_m a[m + n] b[m], n from -(len b - 1), which is
    the true convolution of a with b reversed along every axis."""
    b = np.asarray(b, dtype=np.float64)
    return convolve_full(a, b[(slice(None, None, -1),) * b.ndim])


def _rel(a, b) -> float:
    """max |a - b| / max(1, max |b|)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


# ---------------------------------------------------------------------------- measurements
def worked_example() -> dict:
    """The 7x7 / 3x3 example, stride 1 and stride 2 padding 1, by hand and by conv2d."""
    import chainrule as cr
    from ..nn.functional import conv2d

    x, k = cr.from_numpy(WORKED_X[None, None]), cr.from_numpy(WORKED_K[None, None])
    found = {"x": WORKED_X.tolist(), "k": WORKED_K.tolist()}
    for name, s, p in (("stride1", 1, 0), ("stride2_pad1", 2, 1)):
        hand = by_hand(WORKED_X, WORKED_K, s, p)
        lib = conv2d(x, k, stride=s, padding=p).numpy()[0, 0]
        found[name] = {"stride": s, "padding": p, "by_hand": hand.tolist(),
                       "conv2d": lib.tolist(), "shape": list(lib.shape),
                       "max_abs_diff": float(np.max(np.abs(hand - lib)))
                       if hand.shape == lib.shape else float("inf")}
    return found


def algebra(trials: int, seed: int = 0) -> dict:
    """Worst relative errors of linearity, commutativity and associativity over random 1-D and
    2-D arrays, for true convolution and for cross-correlation; agreement with scipy and with
    conv2d of the flipped kernel."""
    import scipy.signal
    import chainrule as cr
    from ..nn.functional import conv2d

    gen = np.random.default_rng(seed)
    ops = {"convolution": convolve_full, "cross_correlation": correlate_full}
    worst = {op: {"linearity": 0.0, "commutativity": 0.0, "associativity": 0.0}
             for op in ops}
    scipy_err, conv2d_err = 0.0, 0.0
    for t in range(trials):
        nd = 1 + t % 2
        a, b, c = (gen.standard_normal(tuple(gen.integers(3, 7, nd))) for _ in range(3))
        a2 = gen.standard_normal(a.shape)
        alpha, beta = gen.standard_normal(2)
        for name, op in ops.items():
            w = worst[name]
            w["linearity"] = max(w["linearity"], _rel(op(alpha * a + beta * a2, b),
                                                      alpha * op(a, b) + beta * op(a2, b)))
            comm = _rel(op(a, b), op(b, a))     # full mode: both have the same shape
            w["commutativity"] = max(w["commutativity"], comm)
            w["associativity"] = max(w["associativity"], _rel(op(op(a, b), c), op(a, op(b, c))))
        scipy_err = max(scipy_err,
                        _rel(convolve_full(a, b), scipy.signal.convolve(a, b, mode="full")),
                        _rel(correlate_full(a, b), scipy.signal.correlate(a, b, mode="full")))
        if nd == 2:
            kh, kw = b.shape
            flipped = cr.from_numpy(np.ascontiguousarray(b[::-1, ::-1])[None, None])
            lib = conv2d(cr.from_numpy(a[None, None]), flipped, padding=(kh - 1, kw - 1))
            conv2d_err = max(conv2d_err, _rel(lib.numpy()[0, 0], convolve_full(a, b)))
    return {"trials": trials, "worst": worst, "scipy_max_rel_err": scipy_err,
            "conv2d_flipped_max_rel_err": conv2d_err,
            "correlation_reverse_identity_err": _rel(
                correlate_full(np.arange(4.0), np.array([1.0, -2.0, 5.0])),
                correlate_full(np.array([1.0, -2.0, 5.0]), np.arange(4.0))[::-1])}


def weight_gradient(trials: int, seed: int = 1) -> dict:
    """Autograd's weight.grad and input.grad of an MSE loss against the conv2d arrangements of
    the docstring, stride 1 and stride 2, over random shapes."""
    import chainrule as cr
    from ..nn.functional import conv2d, conv_transpose2d, mse_loss

    gen = np.random.default_rng(seed)
    worst = {"weight_stride1": 0.0, "weight_stride2": 0.0, "input_stride1": 0.0}
    for t in range(trials):
        stride = 1 + t % 2
        n, c, o = (int(v) for v in gen.integers(1, 5, 3))
        k, side = int(gen.integers(2, 5)), int(gen.integers(7, 12))
        x = cr.from_numpy(gen.standard_normal((n, c, side, side))).requires_grad_()
        w = cr.from_numpy(gen.standard_normal((o, c, k, k))).requires_grad_()
        y = conv2d(x, w, stride=stride)
        y.retain_grad()
        target = cr.from_numpy(gen.standard_normal(tuple(y.shape)))
        mse_loss(y, target).backward()
        g = y.grad
        xt, gt = x.detach().transpose(0, 1), g.transpose(0, 1)
        dw = conv2d(xt, gt, dilation=stride).transpose(0, 1)
        # the last rows / cols of x that no window reached give extra taps; keep the first k
        dw = dw[:, :, :k, :k]
        key = f"weight_stride{stride}"
        worst[key] = max(worst[key], _rel(w.grad.numpy(), dw.numpy()))
        if stride == 1:
            worst["input_stride1"] = max(worst["input_stride1"], _rel(
                x.grad.numpy(), conv_transpose2d(g, w.detach()).numpy()))
    return {"trials": trials, "max_rel_err": worst}


def pooling_routes(seed: int = 2) -> dict:
    """Input gradients of 2x2/2 max- and avg-pooling of a random 8x8 input (distinct values)
    for a random upstream gradient, against the argmaxes found by loops; and the overlapping
    3x3/1 max-pool, where an element collects from every window it wins."""
    import chainrule as cr
    from ..nn.functional import avg_pool2d, max_pool2d

    gen = np.random.default_rng(seed)
    x_np = gen.permutation(64).reshape(8, 8).astype(np.float64) + gen.uniform(0, 0.5, (8, 8))
    up = gen.uniform(0.5, 1.5, (4, 4))
    found = {"x": x_np.tolist(), "upstream": up.tolist()}
    for kind, fn in (("max", max_pool2d), ("avg", avg_pool2d)):
        x = cr.from_numpy(x_np[None, None]).requires_grad_()
        fn(x, 2, 2).backward(cr.from_numpy(up[None, None]))
        found[f"{kind}_grad"] = x.grad.numpy()[0, 0].tolist()
    expected = np.zeros((8, 8))
    for i in range(4):
        for j in range(4):
            win = x_np[2 * i:2 * i + 2, 2 * j:2 * j + 2]
            u, v = np.unravel_index(np.argmax(win), (2, 2))
            expected[2 * i + u, 2 * j + v] = up[i, j]
    grad_max = np.array(found["max_grad"])
    grad_avg = np.array(found["avg_grad"])
    found["max_nonzero"] = int((grad_max != 0).sum())
    found["max_err_vs_argmax"] = float(np.max(np.abs(grad_max - expected)))
    found["avg_err_vs_quarter"] = float(np.max(np.abs(grad_avg - np.kron(up, np.ones((2, 2)))
                                                      / 4)))
    # overlapping windows: 3x3 stride 1 on 8x8 -> 6x6 windows, upstream ones
    x = cr.from_numpy(x_np[None, None]).requires_grad_()
    max_pool2d(x, 3, 1).sum().backward()
    wins = np.zeros((8, 8))
    for i in range(6):
        for j in range(6):
            u, v = np.unravel_index(np.argmax(x_np[i:i + 3, j:j + 3]), (3, 3))
            wins[i + u, j + v] += 1
    g3 = x.grad.numpy()[0, 0]
    found["overlap_grad"] = g3.tolist()
    found["overlap_err_vs_win_count"] = float(np.max(np.abs(g3 - wins)))
    found["overlap_max_wins"] = int(wins.max())
    return found


def measure(trials: int = 50, seed: int = 0) -> dict:
    """All four parts."""
    return {"worked": worked_example(), "algebra": algebra(trials, seed),
            "weight_gradient": weight_gradient(trials, seed + 1),
            "pooling": pooling_routes(seed + 2), "trials": trials, "seed": seed}


def checks(r: dict) -> list[Check]:
    """The claims of the docstring, from the numbers of ``measure`` (or made-up ones)."""
    w, a, g, p = r["worked"], r["algebra"], r["weight_gradient"], r["pooling"]
    conv, corr = a["worst"]["convolution"], a["worst"]["cross_correlation"]
    return [
        at_most("worked 7x7 * 3x3, stride 1: by hand = conv2d", w["stride1"]["max_abs_diff"], 0,
                f"max |difference|, output {w['stride1']['shape']}"),
        at_most("worked 7x7 * 3x3, stride 2 pad 1: by hand = conv2d",
                w["stride2_pad1"]["max_abs_diff"], 0,
                f"max |difference|, output {w['stride2_pad1']['shape']}"),
        at_most("both are linear", max(conv["linearity"], corr["linearity"]), EXACT,
                "relative error of op(alpha a + beta a', b) vs alpha op(a, b) + beta op(a', b)"),
        at_most("true convolution is commutative", conv["commutativity"], EXACT,
                f"max relative |a * b - b * a| over {a['trials']} random 1-D / 2-D arrays"),
        at_most("true convolution is associative", conv["associativity"], EXACT,
                "max relative |(a * b) * c - a * (b * c)|"),
        at_least("cross-correlation is not commutative", corr["commutativity"], 0.1,
                 "max relative |a (x) b - b (x) a| (it is b (x) a reversed)"),
        at_least("cross-correlation is not associative", corr["associativity"], 0.1,
                 "max relative |(a (x) b) (x) c - a (x) (b (x) c)|"),
        at_most("loops = scipy.signal; conv2d(flipped kernel, pad k-1) = true convolution",
                max(a["scipy_max_rel_err"], a["conv2d_flipped_max_rel_err"]), EXACT,
                "max relative error"),
        at_most("dL/dw = cross-correlation of input and output gradient",
                max(g["max_rel_err"]["weight_stride1"], g["max_rel_err"]["weight_stride2"]),
                EXACT, "autograd weight.grad vs conv2d(x^T, g^T, dilation=stride)^T, relative"),
        at_most("dL/dx = conv_transpose2d(g, w)", g["max_rel_err"]["input_stride1"], EXACT,
                "autograd input.grad, relative"),
        at_most("max-pool sends each gradient to its window's argmax only",
                p["max_err_vs_argmax"] + abs(p["max_nonzero"] - 16), 0,
                f"|grad - loop argmax routing| + |nonzeros - 16|; nonzeros {p['max_nonzero']}"),
        at_most("avg-pool spreads g / 4 over each 2x2 window", p["avg_err_vs_quarter"], EXACT,
                "max |grad - g / 4|"),
        at_most("overlapping max-pool: a winner of several windows gets their sum",
                p["overlap_err_vs_win_count"], 0,
                f"3x3/1 windows, upstream ones; most windows won by one element: "
                f"{p['overlap_max_wins']}"),
    ]


# ---------------------------------------------------------------------------- plots
def _grid(ax, values, title: str, cmap="coolwarm", fmt="{:.0f}", box=None) -> None:
    values = np.asarray(values, dtype=np.float64)
    lim = max(1e-12, float(np.max(np.abs(values))))
    ax.imshow(values, cmap=cmap, vmin=-lim if cmap == "coolwarm" else 0, vmax=lim)
    for (i, j), v in np.ndenumerate(values):
        if fmt:    # white text on dark cells
            dark = abs(v) / lim > 0.6 if cmap == "coolwarm" else v / lim > 0.55
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    if box is not None:
        from matplotlib.patches import Rectangle
        for (r0, c0, size, color) in box:
            ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), size, size, fill=False, ec=color,
                                   lw=1.5))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)


def plot_worked(r: dict, path: Path) -> Path | None:
    """Input, kernel, stride-1 output and stride-2 padding-1 output, with their numbers; the
    window of output [0, 0] is outlined in the inputs."""
    plt = pyplot()
    if plt is None:
        return None
    w = r["worked"]
    fig, axes = plt.subplots(1, 4, figsize=(15, 4.2),
                             gridspec_kw={"width_ratios": [7, 3, 5, 4]})
    _grid(axes[0], w["x"], "input x (7x7); green: window of y1[0,0]", cmap="Greys",
          box=[(0, 0, 3, "green")])
    _grid(axes[1], w["k"], "kernel w (3x3)")
    _grid(axes[2], w["stride1"]["conv2d"], "stride 1: 5x5 (by hand = conv2d)")
    _grid(axes[3], w["stride2_pad1"]["conv2d"], "stride 2, padding 1: 4x4")
    fig.suptitle("y[i, j] = sum_{u,v} x_pad[s i + u, s j + v] w[u, v]  (cross-correlation)",
                 fontsize=10)
    return save_figure(fig, path, dpi=120)


def plot_pooling(r: dict, path: Path) -> Path | None:
    """The random input with its 2x2 windows, the max-pool input gradient (only at argmaxes),
    the avg-pool one (g / 4 everywhere) and the overlapping 3x3/1 max-pool's win counts."""
    plt = pyplot()
    if plt is None:
        return None
    p = r["pooling"]
    windows = [(2 * i, 2 * j, 2, "black") for i in range(4) for j in range(4)]
    fig, axes = plt.subplots(1, 4, figsize=(17, 5.2))
    _grid(axes[0], p["x"], "input (8x8), 2x2 windows", cmap="Greys", box=windows)
    _grid(axes[1], p["max_grad"], "max-pool 2x2/2: input gradient\n(upstream g at each argmax)",
          cmap="Reds", fmt="{:.2f}", box=windows)
    _grid(axes[2], p["avg_grad"], "avg-pool 2x2/2: input gradient\n(g / 4 everywhere)",
          cmap="Reds", fmt="{:.2f}", box=windows)
    _grid(axes[3], p["overlap_grad"], "max-pool 3x3/1, upstream ones:\nwindows won per element",
          cmap="Reds", fmt="{:.0f}")
    return save_figure(fig, path, dpi=120)


def run(quick: bool = False, out: Path | str = "runs/lab/convolution") -> list[Check]:
    """Measure the four parts; write ``convolution.json``, ``convolution_worked.png`` and
    ``convolution_pooling.png`` into ``out``."""
    out = output_dir(out)
    budget = QUICK if quick else FULL
    r = measure(budget["trials"])
    found = checks(r)
    write_numbers(out / "convolution.json", quick, budget, r, found)
    plot_worked(r, out / "convolution_worked.png")
    plot_pooling(r, out / "convolution_pooling.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
