"""The computational graph of the Rosenbrock function: reverse mode is the chain rule on a DAG.

Claim. f(x1, x2) = (1 - x1)^2 + 100 (x2 - x1^2)^2 is a composition of +, -, * and **, i.e. a
directed acyclic graph of 7 ops over the leaves x1, x2 (x1 feeds two ops: 1 - x1 and x1^2):

    u = 1 - x1,  a = u^2,  s = x1^2,  r = x2 - s,  q = r^2,  b = 100 q,  f = a + b.

Each edge v -> w carries the local derivative dw/dv (du/dx1 = -1, da/du = 2u, ds/dx1 = 2 x1,
dr/dx2 = 1, dr/ds = -1, dq/dr = 2r, db/dq = 100, df/da = df/db = 1). By the chain rule the
derivative of f with respect to a leaf is the sum over all paths from the leaf to f of the
product of the edge labels on the path:

    df/dx1 = 1 * 2u * (-1) + 1 * 100 * 2r * (-1) * 2 x1 = -2 (1 - x1) - 400 x1 (x2 - x1^2),
    df/dx2 = 1 * 100 * 2r * 1                          = 200 (x2 - x1^2).

Reverse mode (``backward``) computes this sum with one sweep from f to the leaves, multiplying
each node's upstream gradient by its local derivatives and adding where paths meet (at x1).
Differentiating the gradient once more gives the Hessian

    H = [[2 - 400 x2 + 1200 x1^2, -400 x1], [-400 x1, 200]].

Finite differences approximate the same numbers: the central difference
(f(x + h e_i) - f(x - h e_i)) / 2h has truncation error h^2 f'''/6 and round-off error about
eps |f| / h, so its error is smallest near h ~ eps^(1/3) ~ 1e-5 and never reaches the accuracy of
the chain rule, which is exact up to the rounding of its few products (float64: ~1e-16 relative).

Measured here: the graph is built at (x1, x2) = (-1.5, 2.0) (float64), ``backward`` is run,
``chainrule.viz.draw_graph`` writes it with every value, gradient and local derivative as
``rosenbrock.dot`` (and ``.svg``/``.png`` when Graphviz ``dot`` is installed; the experiment
does not need it); the path sum over the graph's own local derivatives is compared with
``backward``'s gradient. At several points (quick: 4 fixed, full: 4 fixed + 50 random in
[-2, 2] x [-1, 3]) the reverse-mode gradient and ``autograd.functional.hessian`` are compared
with the closed forms above, and the central differences of f (h = 1e-5) and of the autodiff
gradient (h = 1e-5) with the closed forms; errors are max |a - b| / max(max |b|, 1) (the floor 1
because the gradient vanishes at the minimum (1, 1)). Checked: the graph has 7 ops and 2 leaves
and x1 feeds 2 of them; the path sum equals the gradient to 1e-12; autodiff equals the closed
forms to 1e-12 (gradient and Hessian); finite differences to 1e-6; and the central-difference
error against h (1e-1 ... 1e-12) is smallest at some h in [1e-8, 1e-3] and at least 100x larger
at h = 1e-12 than there (round-off). ``computational_graph.png`` plots the points with their
gradients on the contours of f, the errors per point, and the finite-difference error against h;
``computational_graph.json`` holds the numbers.

    python -m chainrule.lab.computational_graph [--quick] [--out DIR]
"""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from ..backend import np
from ._checks import (Check, at_least, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "computational-graph"
ROSENBROCK_POINT = (-1.5, 2.0)
FIXED_POINTS = [ROSENBROCK_POINT, (1.0, 1.0), (0.0, 0.0), (0.5, -0.7)]
FULL = {"random_points": 50, "seed": 0, "fd_step": 1e-5, "hessian_fd_step": 1e-5,
        "sweep_steps": [10.0 ** -k for k in range(1, 13)]}
QUICK = {"random_points": 0, "seed": 0, "fd_step": 1e-5, "hessian_fd_step": 1e-5,
         "sweep_steps": [10.0 ** -k for k in range(1, 13)]}
AUTODIFF_TOL = 1e-12      # relative, float64
FD_TOL = 1e-6             # relative
N_OPS, N_LEAVES = 7, 2


# ====================================================================== the function
def rosenbrock(x1, x2):
    """f(x1, x2) = (1 - x1)**2 + 100 (x2 - x1**2)**2, built from +, -, * and **."""
    return (1 - x1) ** 2 + 100 * (x2 - x1 ** 2) ** 2


def rosenbrock_closed_form(x1: float, x2: float) -> dict:
    """f, its gradient and its Hessian at (x1, x2), by hand:

    df/dx1 = -2 (1 - x1) - 400 x1 (x2 - x1**2),   df/dx2 = 200 (x2 - x1**2),
    d2f/dx1**2 = 2 - 400 x2 + 1200 x1**2,  d2f/dx1dx2 = -400 x1,  d2f/dx2**2 = 200.
    """
    r = x2 - x1 ** 2
    return {
        "f": (1 - x1) ** 2 + 100 * r ** 2,
        "gradient": [-2 * (1 - x1) - 400 * x1 * r, 200 * r],
        "hessian": [[2 - 400 * x2 + 1200 * x1 ** 2, -400 * x1], [-400 * x1, 200.0]],
    }


def rosenbrock_graph(point=ROSENBROCK_POINT):
    """Build f at ``point`` (float64 leaves x1, x2), keeping every value for drawing, and run
    ``backward(retain_graph=True)`` so the graph still knows its local derivatives.

    Returns ``(f, {"x1": x1, "x2": x2})``.
    """
    import chainrule
    from chainrule.viz import keep_values

    x1 = chainrule.tensor(point[0], dtype=chainrule.float64, requires_grad=True)
    x2 = chainrule.tensor(point[1], dtype=chainrule.float64, requires_grad=True)
    with keep_values():
        f = rosenbrock(x1, x2)
    f.backward(retain_graph=True)
    return f, {"x1": x1, "x2": x2}


# ====================================================================== derivatives
def autodiff_gradient(point) -> list[float]:
    """(df/dx1, df/dx2) at ``point`` by reverse mode (``backward``) in float64."""
    import chainrule

    x1 = chainrule.tensor(float(point[0]), dtype=chainrule.float64, requires_grad=True)
    x2 = chainrule.tensor(float(point[1]), dtype=chainrule.float64, requires_grad=True)
    rosenbrock(x1, x2).backward()
    return [x1.grad.item(), x2.grad.item()]


def autodiff_hessian(point) -> list[list[float]]:
    """The 2x2 Hessian at ``point`` by ``chainrule.autograd.functional.hessian`` (float64)."""
    import chainrule
    from chainrule.autograd.functional import hessian

    h = hessian(rosenbrock, (chainrule.tensor(float(point[0]), dtype=chainrule.float64),
                             chainrule.tensor(float(point[1]), dtype=chainrule.float64)))
    return [[h[i][j].item() for j in range(2)] for i in range(2)]


def central_difference(fun, point, h: float):
    """(fun(x + h e_i) - fun(x - h e_i)) / 2h for i = 1, 2; ``fun`` returns a number or a
    list, so this is the gradient of f or, for the gradient, the Hessian's columns."""
    cols = []
    for i in range(2):
        plus, minus = list(map(float, point)), list(map(float, point))
        plus[i] += h
        minus[i] -= h
        cols.append((np.asarray(fun(plus), dtype=np.float64)
                     - np.asarray(fun(minus), dtype=np.float64)) / (2 * h))
    return np.stack(cols, axis=-1)      # d fun / d x_i in the last axis


def relative_error(a, b) -> float:
    """max |a - b| / max(max |b|, 1)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1.0))


# ====================================================================== the graph
def graph_edges(f) -> tuple[list, list]:
    """The DAG behind ``f`` as (nodes, edges): nodes are (id, title) with the leaves' ids their
    names' ids; edges are (from_id, to_id, local derivative d to / d from). ``f`` must still hold
    its saved tensors (built by ``rosenbrock_graph``)."""
    from chainrule.autograd.function import Function
    from chainrule.viz.graph import _local_derivatives, _op_title, _topological

    order = _topological([f.grad_fn])
    nodes = [(id(n), _op_title(n) if isinstance(n, Function) else "leaf") for n in order]
    edges = []
    for n in order:
        if not isinstance(n, Function):
            continue
        partials = _local_derivatives(n)
        for i, e in enumerate(n.next):
            if e is not None:
                edges.append((id(e), id(n), None if partials is None else partials[i]))
    return nodes, edges


def path_sum(edges, source: int, target: int) -> float:
    """The sum over all directed paths source -> target of the product of the edge labels:
    the chain rule written out on the graph (the graph is tiny, so paths are enumerated)."""
    out = {}
    for a, b, d in edges:
        out.setdefault(a, []).append((b, d))
    total, stack = 0.0, [(source, 1.0)]
    while stack:
        node, product = stack.pop()
        if node == target:
            total += product
            continue
        for nxt, d in out.get(node, ()):
            stack.append((nxt, product * d))
    return total


def draw(out: Path, point=ROSENBROCK_POINT) -> tuple[dict, list[str]]:
    """Write the graph at ``point`` as DOT text (and SVG/PNG when Graphviz is installed);
    return the numbers read off the graph and the files written."""
    from chainrule.viz import draw_graph, save_graph

    f, leaves = rosenbrock_graph(point)
    dot = draw_graph(f, leaves)
    files = [str(save_graph(dot, out / "rosenbrock.dot"))]
    if shutil.which("dot"):
        for suffix in ("svg", "png"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                written = save_graph(dot, out / f"rosenbrock.{suffix}")
            if written.suffix == f".{suffix}":
                files.append(str(written))
    nodes, edges = graph_edges(f)
    leaf_ids = {name: id(t) for name, t in leaves.items()}
    root = id(f.grad_fn)
    gradient = [leaves["x1"].grad.item(), leaves["x2"].grad.item()]
    paths = [path_sum(edges, leaf_ids[k], root) for k in ("x1", "x2")]
    info = {
        "point": list(point), "f": f.item(), "gradient": gradient, "path_sum": paths,
        "ops": sum(1 for _, t in nodes if t != "leaf"),
        "leaves": sum(1 for _, t in nodes if t == "leaf"),
        "x1_fan_out": sum(1 for a, _, _ in edges if a == leaf_ids["x1"]),
        "unlabelled_edges": sum(1 for e in edges if e[2] is None),
        "edges": [list(e) for e in _titled(nodes, edges, leaf_ids)],
        "dot_lines": dot.count("\n"),
    }
    return info, files


def _titled(nodes, edges, leaf_ids):
    """Edges with readable names: leaves by name, ops as 'Title#k' in topological order."""
    names = {v: k for k, v in leaf_ids.items()}
    k = 0
    for nid, title in nodes:
        if nid not in names:
            names[nid] = f"{title}#{k}"
            k += 1
    return [(names[a], names[b], d) for a, b, d in edges]


# ====================================================================== measure
def points_for(budget: dict) -> list[tuple[float, float]]:
    """The fixed points and ``budget['random_points']`` uniform ones in [-2, 2] x [-1, 3]."""
    rng = np.random.default_rng(budget["seed"])
    extra = [(float(rng.uniform(-2, 2)), float(rng.uniform(-1, 3)))
             for _ in range(budget["random_points"])]
    return list(FIXED_POINTS) + extra


def measure(budget: dict, out: Path | None = None) -> dict:
    """Everything the checks compare (see the module docstring); draws the graph into ``out``."""
    graph, files = draw(out) if out is not None else draw_in_memory()
    rows = []
    for p in points_for(budget):
        exact = rosenbrock_closed_form(*p)
        g = autodiff_gradient(p)
        hess = autodiff_hessian(p)
        fd_g = central_difference(lambda q: rosenbrock(*q), p, budget["fd_step"])
        fd_h = central_difference(autodiff_gradient, p, budget["hessian_fd_step"])
        rows.append({
            "point": list(p), "f": exact["f"], "gradient": g, "hessian": hess,
            "closed_gradient": exact["gradient"], "closed_hessian": exact["hessian"],
            "fd_gradient": fd_g.tolist(), "fd_hessian": fd_h.tolist(),
            "err_autodiff_gradient": relative_error(g, exact["gradient"]),
            "err_autodiff_hessian": relative_error(hess, exact["hessian"]),
            "err_fd_gradient": relative_error(fd_g, exact["gradient"]),
            "err_fd_hessian": relative_error(fd_h, exact["hessian"]),
        })
    exact = rosenbrock_closed_form(*ROSENBROCK_POINT)
    sweep = [{"h": h, "error": relative_error(
        central_difference(lambda q: rosenbrock(*q), ROSENBROCK_POINT, h), exact["gradient"])}
        for h in budget["sweep_steps"]]
    best = min(sweep, key=lambda s: s["error"])
    return {
        "graph": graph, "graph_files": files, "points": rows,
        "max_err_autodiff_gradient": max(r["err_autodiff_gradient"] for r in rows),
        "max_err_autodiff_hessian": max(r["err_autodiff_hessian"] for r in rows),
        "max_err_fd_gradient": max(r["err_fd_gradient"] for r in rows),
        "max_err_fd_hessian": max(r["err_fd_hessian"] for r in rows),
        "path_sum_error": relative_error(graph["path_sum"], graph["gradient"]),
        "graph_gradient_error": relative_error(graph["gradient"], exact["gradient"]),
        "fd_sweep": sweep, "fd_best_step": best["h"], "fd_best_error": best["error"],
        "fd_smallest_step_error": sweep[-1]["error"] if sweep[-1]["h"] <= 1e-12 else None,
    }


def draw_in_memory() -> tuple[dict, list[str]]:
    """``draw`` into a temporary folder (for ``measure`` without an output folder)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        info, _ = draw(Path(tmp))
    return info, []


def _equal(name: str, measured: int, expected: int, detail: str = "") -> Check:
    return Check(name, measured == expected, measured, f"== {expected}", detail)


def checks(r: dict) -> list[Check]:
    """The claims of the docstring, from the numbers of ``measure`` (or made-up ones)."""
    g = r["graph"]
    n = len(r["points"])
    smallest = r["fd_smallest_step_error"]
    return [
        _equal("graph: f is 7 ops (+, -, *, **) over 2 leaves", g["ops"] * 10 + g["leaves"],
               N_OPS * 10 + N_LEAVES, f"10 x ops + leaves; ops {g['ops']}, leaves {g['leaves']}"),
        _equal("graph: x1 feeds two ops (its gradient sums two paths)", g["x1_fan_out"], 2,
               "edges leaving x1"),
        _equal("graph: every edge carries its local derivative", g["unlabelled_edges"], 0,
               "edges without a number"),
        at_most("chain rule on the DAG: sum over paths of products of edge derivatives = "
                "backward's gradient", r["path_sum_error"], AUTODIFF_TOL,
                f"relative, at {tuple(g['point'])}"),
        at_most("reverse mode = closed-form gradient", r["max_err_autodiff_gradient"],
                AUTODIFF_TOL, f"max relative error over {n} points, float64"),
        at_most("functional.hessian = closed-form Hessian", r["max_err_autodiff_hessian"],
                AUTODIFF_TOL, f"max relative error over {n} points, float64"),
        at_most("central differences of f = closed-form gradient", r["max_err_fd_gradient"],
                FD_TOL, f"max relative error over {n} points, h = 1e-5"),
        at_most("central differences of the autodiff gradient = closed-form Hessian",
                r["max_err_fd_hessian"], FD_TOL, f"max relative error over {n} points, h = 1e-5"),
        Check("finite differences: best step between 1e-8 and 1e-3 (truncation vs round-off)",
              1e-8 <= r["fd_best_step"] <= 1e-3, r["fd_best_step"], "in [1e-8, 1e-3]",
              f"error {r['fd_best_error']:.3g} there, h swept 1e-1 ... 1e-12"),
        at_least("finite differences: round-off wins at h = 1e-12",
                 (smallest if smallest is not None else float("nan"))
                 / max(r["fd_best_error"], 1e-300), 100.0,
                 "error at h = 1e-12 / error at the best h"),
    ]


# ====================================================================== plot, run
def plot(r: dict, path: Path) -> Path | None:
    """Contours of f with the gradients, errors per point, finite-difference error against h."""
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    ax = axes[0]
    xs, ys = np.meshgrid(np.linspace(-2.2, 2.2, 300), np.linspace(-1.2, 3.4, 300))
    ax.contour(xs, ys, np.log10(1 + rosenbrock(xs, ys)), levels=20, cmap="viridis",
               linewidths=0.7)
    for row in r["points"]:
        (px, py), (gx, gy) = row["point"], row["gradient"]
        norm = float(np.hypot(gx, gy))
        ax.plot(px, py, "ko", ms=3)
        if norm > 0:
            ax.annotate("", (px - 0.35 * gx / norm, py - 0.35 * gy / norm), (px, py),
                        arrowprops={"arrowstyle": "->", "color": "tab:red", "lw": 1.2})
    ax.plot(1, 1, "r*", ms=10)
    ax.set_title("Rosenbrock: log10(1 + f), -gradient direction (autodiff)")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")

    ax = axes[1]
    floor = 1e-18
    idx = np.arange(len(r["points"]))
    for key, label, marker in (("err_autodiff_gradient", "reverse mode gradient", "o"),
                               ("err_autodiff_hessian", "functional.hessian", "s"),
                               ("err_fd_gradient", "central diff. gradient", "^"),
                               ("err_fd_hessian", "central diff. of gradient", "v")):
        vals = [max(row[key], floor) for row in r["points"]]
        ax.plot(idx, vals, marker, label=label, ms=5)
    ax.axhline(AUTODIFF_TOL, color="gray", ls="--", lw=0.8)
    ax.axhline(FD_TOL, color="gray", ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("point")
    ax.set_ylabel(f"relative error vs closed form (0 drawn at {floor:g})")
    ax.set_title("errors per point (dashed/dotted: tolerances)")
    ax.legend(fontsize=8)

    ax = axes[2]
    hs = [s["h"] for s in r["fd_sweep"]]
    ax.loglog(hs, [max(s["error"], floor) for s in r["fd_sweep"]], "o-",
              label="central difference")
    ax.axhline(max(r["graph_gradient_error"], floor), color="tab:green",
               label="reverse mode (backward; 0 drawn at 1e-18)")
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error of the gradient")
    ax.set_title(f"gradient at {tuple(ROSENBROCK_POINT)}: truncation vs round-off")
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=110)


def run(quick: bool = False, out: Path | str = "runs/lab/computational-graph") -> list[Check]:
    """Measure; write ``computational_graph.json``, ``computational_graph.png`` and the graph
    (``rosenbrock.dot``, plus ``.svg``/``.png`` with Graphviz) into ``out``."""
    out = output_dir(out)
    budget = QUICK if quick else FULL
    r = measure(budget, out)
    found = checks(r)
    write_numbers(out / "computational_graph.json", quick, budget, r, found)
    plot(r, out / "computational_graph.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
