"""Vanishing gradients: a product of n factors below 1 shrinks geometrically in n; residual
connections put an identity into every factor.

Claim 1, a scalar chain. h_i = sigmoid(w_i h_{i-1}), i = 1..n. By the chain rule

    dh_n/dh_0 = prod_i dh_i/dh_{i-1} = prod_i w_i sigmoid'(w_i h_{i-1}),

and sigmoid'(a) = sigmoid(a) (1 - sigmoid(a)) <= 1/4 (at a = 0), so

    |dh_n/dh_0| <= prod_i |w_i| / 4 <= (max_i |w_i| / 4)^n,

which vanishes geometrically whenever max |w_i| < 4. With ReLU, h_i = relu(w_i h_{i-1}) has
dh_i/dh_{i-1} = w_i where the unit is active (w_i h_{i-1} > 0) and 0 where not: the chain's
derivative is the plain product prod_i w_i over an all-active path (no factor 1/4), and exactly
0 once a unit is dead.

Claim 2, a deep MLP. With h_l = phi(a_l), a_l = W_l h_{l-1} + b_l, the gradient entering
layer l is dL/dh_{l-1} = dL/dh_l diag(phi'(a_l)) W_l, a product of one diag(phi') W factor per
layer above. Under torch's default init (W entries U(-1/sqrt(n), 1/sqrt(n)), variance 1/(3n))
one factor W shrinks a vector by about sqrt(1/3) ~ 0.58; sigmoid' <= 1/4 adds another 1/4,
tanh' <= 1 and ReLU's 0/1 mask (about half the units) less. So in a 20-layer plain MLP the
gradient reaching the input is orders of magnitude below the one entering the top layer -- for
sigmoid about (0.58/4)^19 ~ 1e-16 of it. A residual block h_l = h_{l-1} + phi(W_l h_{l-1} + b_l)
has Jacobian I + diag(phi') W_l: the identity carries the gradient through every block, and a
random diag(phi') W adds only E||(I + diag(phi') W)^T g||^2 ~ (1 + E[phi'^2]/3) ||g||^2, a
slow growth (largest for ReLU, E[phi'^2] = 1/2), instead of a geometric decay.
The weight gradient dL/dW_l = sum over the batch of (dL/da_l)^T h_{l-1}^T also carries the
activations h_{l-1}: in a plain net they shrink with depth (so ||dL/dW_1|| / ||dL/dW_20|| is
less extreme than the gradient ratio), along a residual stream they accumulate (sigmoid adds
about 1/2 per unit and layer), so a residual net's top weight gradient is larger than its
first, by a factor that has nothing to do with vanishing.

Measured here: claim 1 on a chain of n = 60 (quick: 30) units with w_i ~ U(0.5, 2) (seeded),
h_0 = 0.5, |dh_n/dh_0| by chainrule's autograd for every n, next to the closed-form product and
the bound; the same w's with ReLU (all units active since h_0 > 0 and w_i > 0). Claim 2: MLPs of
20 layers Linear(64, 64) (chainrule.nn.Linear default init, float64) with sigmoid, tanh and
ReLU, plain and residual, each followed by a Linear(64, 10) readout and cross-entropy on a
random batch of 128 standard-normal inputs with random labels; ||dL/dh_{l-1}||_F (the gradient
entering layer l, h_0 = x) and ||dL/dW_l||_F for l = 1..20 by ``backward``, over 10 seeds
(quick: 3). Thresholds were set after looking at seeds 0-9, first layer / last layer, min..max:

    gradient entering the layer        plain                 residual
      sigmoid                          4.8e-17 .. 8.2e-17    1.07 .. 1.13
      tanh                             1.4e-5  .. 2.4e-5     3.45 .. 3.78
      ReLU                             2.1e-8  .. 7.2e-8     8.1  .. 17.9
    weight gradient
      sigmoid                          4.4e-17 .. 1.8e-16    0.029 .. 0.058
      tanh                             1.2e-4  .. 3.2e-4     1.30  .. 1.62
      ReLU                             2.9e-7  .. 1.2e-6     0.023 .. 0.098

(seeds 10-39, not used to set them, stay inside too: e.g. residual ReLU 7.7 .. 24.5, plain tanh
weight ratio 1.0e-4 .. 4.0e-4.)
Checked: autograd equals the closed-form product for both chains (1e-12 relative); the bound
(max|w|/4)^n and the tighter prod |w_i|/4 hold at every n; the sigmoid chain is below 1e-12 at
n = 30; the plain MLPs' ||dL/dW_1|| / ||dL/dW_20|| is at most 1e-12 (sigmoid), 1e-2 (tanh),
1e-4 (ReLU) in every seed; the residual MLPs' ||dL/dh_0|| / ||dL/dh_19|| lies in [0.5, 50] in
every seed; and the residual weight ratio is at least 100x the plain one (same seed) for each
activation. ``vanishing_gradients.png`` plots the chain and, for the 6 variants, both per-layer
norms (log scale); ``vanishing_gradients.json`` holds the numbers.

    python -m chainrule.lab.vanishing_gradients [--quick] [--out DIR]
"""
from __future__ import annotations

import math
from pathlib import Path

from ..backend import np
from ._checks import (Check, at_least, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "vanishing-gradients"
ACTIVATIONS = ("sigmoid", "tanh", "relu")
FULL = {"chain": 60, "depth": 20, "width": 64, "batch": 128, "classes": 10,
        "seeds": list(range(10))}
QUICK = {"chain": 30, "depth": 20, "width": 64, "batch": 128, "classes": 10, "seeds": [0, 1, 2]}
W_RANGE = (0.5, 2.0)
H0 = 0.5
EXACT_TOL = 1e-12             # autograd vs closed-form product, relative
CHAIN_AT_30 = 1e-12           # sigmoid |dh_30/dh_0|
PLAIN_MAX = {"sigmoid": 1e-12, "tanh": 1e-2, "relu": 1e-4}    # ||dL/dW_1|| / ||dL/dW_20||
RESIDUAL_RANGE = (0.5, 50.0)  # ||dL/dh_0|| / ||dL/dh_19||
RESIDUAL_GAIN = 100.0         # residual weight ratio / plain weight ratio


# ====================================================================== claim 1: scalar chain
def chain_weights(n: int, seed: int = 0) -> list[float]:
    """w_1..w_n ~ U(0.5, 2), seeded."""
    rng = np.random.default_rng(seed)
    return rng.uniform(*W_RANGE, size=n).tolist()


def chain_derivatives(weights, activation: str = "sigmoid", h0: float = H0) -> list[float]:
    """dh_n/dh_0 for n = 1..len(weights) of h_i = act(w_i h_{i-1}), by chainrule's autograd
    (float64): one graph, one ``autograd.grad`` per n."""
    import chainrule

    act = {"sigmoid": chainrule.sigmoid, "relu": chainrule.relu, "tanh": chainrule.tanh}
    if activation not in act:
        raise ValueError(f"vanishing_gradients.chain_derivatives: unknown activation "
                         f"{activation!r}; expected one of {tuple(act)}")
    x = chainrule.tensor(h0, dtype=chainrule.float64, requires_grad=True)
    hs, h = [], x
    for w in weights:
        h = act[activation](w * h)
        hs.append(h)
    return [chainrule.autograd.grad(hn, x, retain_graph=True)[0].item() for hn in hs]


def chain_closed_form(weights, activation: str = "sigmoid", h0: float = H0) -> list[float]:
    """prod_{i <= n} w_i act'(w_i h_{i-1}) for every n (sigmoid' = s (1 - s), relu' = 1[a > 0])."""
    out, h, product = [], h0, 1.0
    for w in weights:
        a = w * h
        if activation == "sigmoid":
            h = 1 / (1 + math.exp(-a))
            product *= w * h * (1 - h)
        elif activation == "relu":
            h = max(a, 0.0)
            product *= w * (1.0 if a > 0 else 0.0)
        else:
            raise ValueError(f"vanishing_gradients.chain_closed_form: unknown activation "
                             f"{activation!r}")
        out.append(product)
    return out


def measure_chain(n: int, seed: int = 0) -> dict:
    w = chain_weights(n, seed)
    sig, sig_exact = chain_derivatives(w, "sigmoid"), chain_closed_form(w, "sigmoid")
    relu, relu_exact = chain_derivatives(w, "relu"), chain_closed_form(w, "relu")
    w_max = max(abs(v) for v in w)
    bound = [(w_max / 4) ** k for k in range(1, n + 1)]
    product_bound = np.cumprod(np.abs(w) / 4).tolist()
    products = np.cumprod(w).tolist()
    return {
        "n": n, "weights": w, "h0": H0, "w_max": w_max,
        "sigmoid": sig, "sigmoid_closed_form": sig_exact, "bound": bound,
        "product_bound": product_bound, "relu": relu, "relu_closed_form": relu_exact,
        "w_products": products,
        "sigmoid_exact_error": _rel(sig, sig_exact),
        "relu_exact_error": _rel(relu, relu_exact),
        "relu_vs_product_error": _rel(relu, products),
        "max_ratio_to_bound": max(abs(d) / b for d, b in zip(sig, bound)),
        "max_ratio_to_product_bound": max(abs(d) / b for d, b in zip(sig, product_bound)),
        "sigmoid_at_30": abs(sig[29]) if n >= 30 else None,
    }


def _rel(a, b) -> float:
    """max_n |a_n - b_n| / |b_n| (0/0 counts as 0)."""
    errs = [abs(x - y) / abs(y) if y != 0 else (0.0 if x == 0 else math.inf)
            for x, y in zip(a, b)]
    return max(errs)


# ====================================================================== claim 2: deep MLPs
def grad_norms(activation: str, residual: bool, depth: int, width: int, batch: int,
               classes: int, seed: int) -> dict:
    """Per-layer gradient norms of a ``depth``-layer MLP of ``width`` (chainrule.nn.Linear,
    default init after ``manual_seed(seed)``, float64), h_l = [h_{l-1} +] act(W_l h_{l-1} + b_l),
    with a Linear(width, classes) readout and cross-entropy on a random batch:
    ``{"signal": [||dL/dh_{l-1}||_F], "weight": [||dL/dW_l||_F]}`` for l = 1..depth (the
    gradient entering layer l from above, i.e. after the Jacobians of layers l..depth, and
    the gradient of layer l's weight matrix)."""
    import chainrule
    import chainrule.nn.functional as F
    from chainrule import nn

    act = {"sigmoid": chainrule.sigmoid, "tanh": chainrule.tanh, "relu": chainrule.relu}
    if activation not in act:
        raise ValueError(f"vanishing_gradients.grad_norms: unknown activation {activation!r}; "
                         f"expected one of {tuple(act)}")
    chainrule.manual_seed(seed)
    layers = [nn.Linear(width, width).double() for _ in range(depth)]
    readout = nn.Linear(width, classes).double()
    x = chainrule.randn(batch, width, dtype=chainrule.float64, requires_grad=True)
    y = chainrule.randint(0, classes, (batch,))
    h, inputs = x, []
    for layer in layers:
        if h is not x:
            h.retain_grad()
        inputs.append(h)
        a = act[activation](layer(h))
        h = h + a if residual else a
    F.cross_entropy(readout(h), y).backward()
    return {"signal": [float(np.linalg.norm(t.grad.numpy())) for t in inputs],
            "weight": [float(np.linalg.norm(layer.weight.grad.numpy())) for layer in layers]}


def variant_name(activation: str, residual: bool) -> str:
    return f"{activation} {'residual' if residual else 'plain'}"


def measure(budget: dict) -> dict:
    """The chain (claim 1) and the per-layer gradient norms of the 6 MLPs per seed (claim 2)."""
    chain = measure_chain(budget["chain"])
    nets = {}
    for activation in ACTIVATIONS:
        for residual in (False, True):
            per_seed = [grad_norms(activation, residual, budget["depth"], budget["width"],
                                   budget["batch"], budget["classes"], s)
                        for s in budget["seeds"]]
            signal = [g["signal"][0] / g["signal"][-1] for g in per_seed]
            weight = [g["weight"][0] / g["weight"][-1] for g in per_seed]
            nets[variant_name(activation, residual)] = {
                "activation": activation, "residual": residual,
                "signal_norms": [g["signal"] for g in per_seed],
                "weight_norms": [g["weight"] for g in per_seed],
                "signal_ratios": signal, "weight_ratios": weight}
    for activation in ACTIVATIONS:
        plain = nets[variant_name(activation, False)]["weight_ratios"]
        res = nets[variant_name(activation, True)]
        res["weight_gain_over_plain"] = [a / b for a, b in zip(res["weight_ratios"], plain)]
    return {"chain": chain, "nets": nets, "depth": budget["depth"], "width": budget["width"],
            "seeds": budget["seeds"]}


def checks(r: dict) -> list[Check]:
    """The claims of the docstring, from the numbers of ``measure`` (or made-up ones)."""
    c, nets = r["chain"], r["nets"]
    seeds = f"{len(r['seeds'])} seed(s)"
    d = r["depth"]
    found = [
        at_most("sigmoid chain: autograd = prod w_i sigmoid'(w_i h_{i-1})",
                c["sigmoid_exact_error"], EXACT_TOL, f"max relative error over n = 1..{c['n']}"),
        at_most("ReLU chain: autograd = prod w_i (all units active)",
                max(c["relu_exact_error"], c["relu_vs_product_error"]), EXACT_TOL,
                f"max relative error over n = 1..{c['n']}"),
        at_most("sigmoid chain: |dh_n/dh_0| <= (max|w|/4)^n at every n",
                c["max_ratio_to_bound"], 1.0,
                f"max over n of |dh_n/dh_0| / (max|w|/4)^n, max|w| = {c['w_max']:.3f}"),
        at_most("sigmoid chain: |dh_n/dh_0| <= prod |w_i|/4 at every n",
                c["max_ratio_to_product_bound"], 1.0, "max over n of the ratio"),
        at_most("sigmoid chain vanishes: |dh_30/dh_0|",
                c["sigmoid_at_30"] if c["sigmoid_at_30"] is not None else float("nan"),
                CHAIN_AT_30, f"w_i ~ U{W_RANGE}, h_0 = {H0}"),
    ]
    for activation in ACTIVATIONS:
        v = nets[variant_name(activation, False)]
        found.append(at_most(f"plain {d}-layer {activation} MLP: weight gradient vanishes toward "
                             "the input", max(v["weight_ratios"]), PLAIN_MAX[activation],
                             f"||dL/dW_1|| / ||dL/dW_{d}||, max over {seeds}"))
    lo, hi = RESIDUAL_RANGE
    for activation in ACTIVATIONS:
        v = nets[variant_name(activation, True)]
        ratios = v["signal_ratios"]
        found.append(Check(
            f"residual {d}-layer {activation} MLP: backpropagated gradient neither vanishes "
            "nor explodes", bool(lo <= min(ratios) and max(ratios) <= hi),
            [float(f"{min(ratios):.4g}"), float(f"{max(ratios):.4g}")], f"within [{lo:g}, {hi:g}]",
            f"||dL/dh_0|| / ||dL/dh_{d - 1}||, min and max over {seeds}"))
    for activation in ACTIVATIONS:
        v = nets[variant_name(activation, True)]
        found.append(at_least(f"residual {activation} MLP keeps more first-layer weight gradient "
                              "than plain", min(v["weight_gain_over_plain"]), RESIDUAL_GAIN,
                              "(ratio residual) / (ratio plain), same seed, min over "
                              f"{seeds}"))
    return found


# ====================================================================== plot, run
def plot(r: dict, path: Path) -> Path | None:
    """The scalar chain against n with its bounds; ||dL/dh_{l-1}|| and ||dL/dW_l|| against l."""
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(18, 5.2))
    c = r["chain"]
    n = np.arange(1, c["n"] + 1)
    ax = axes[0]
    ax.semilogy(n, np.abs(c["sigmoid"]), "o-", ms=3, color="tab:blue",
                label="sigmoid: |dh_n/dh_0| (autograd)")
    ax.semilogy(n, c["product_bound"], "--", color="tab:blue", lw=1, label="prod |w_i| / 4")
    ax.semilogy(n, c["bound"], ":", color="k", lw=1.2,
                label=f"(max|w|/4)^n, max|w| = {c['w_max']:.2f}")
    ax.semilogy(n, np.abs(c["relu"]), "s-", ms=3, color="tab:orange",
                label="ReLU: |dh_n/dh_0| = prod w_i")
    ax.set_xlabel("n (chain length)")
    ax.set_ylabel("|dh_n / dh_0|")
    ax.set_title(f"h_i = act(w_i h_(i-1)), w_i ~ U{W_RANGE}, h_0 = {H0}")
    ax.legend(fontsize=8)
    colors = {"sigmoid": "tab:blue", "tanh": "tab:green", "relu": "tab:orange"}
    layers = np.arange(1, r["depth"] + 1)
    seeds = len(r["seeds"])
    for ax, key, ylabel in ((axes[1], "signal", "||dL/dh_(l-1)||_F  (gradient entering layer l)"),
                            (axes[2], "weight", "||dL/dW_l||_F")):
        for name, v in r["nets"].items():
            norms = np.asarray(v[f"{key}_norms"])
            med = np.median(norms, axis=0)
            style = "-" if v["residual"] else "--"
            ax.semilogy(layers, med, style, marker="o", ms=3, color=colors[v["activation"]],
                        label=f"{name} (first/last {np.median(v[f'{key}_ratios']):.1e})")
            if len(norms) > 1:
                ax.fill_between(layers, norms.min(axis=0), norms.max(axis=0),
                                color=colors[v["activation"]], alpha=0.15)
        ax.set_xlabel("layer l (1 = next to the input)")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{r['depth']} x Linear({r['width']}, {r['width']}), default init"
                     + (f"; median, range over {seeds} seeds" if seeds > 1 else ""),
                     fontsize=10)
        ax.legend(fontsize=7)
    return save_figure(fig, path, dpi=110)


def run(quick: bool = False, out: Path | str = "runs/lab/vanishing-gradients") -> list[Check]:
    """Measure; write ``vanishing_gradients.json`` and ``vanishing_gradients.png`` into ``out``."""
    out = output_dir(out)
    budget = QUICK if quick else FULL
    r = measure(budget)
    found = checks(r)
    write_numbers(out / "vanishing_gradients.json", quick, budget, r, found)
    plot(r, out / "vanishing_gradients.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
