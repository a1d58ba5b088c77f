"""The bilinear game min_x max_y x y: gradient descent-ascent spirals out, alternating updates
circle, extragradient converges.

Claim. f(x, y) = x y has its only equilibrium (saddle point) at (0, 0), with gradient
(df/dx, df/dy) = (y, x). Start at v_0 = (1, 1), step size eta.

* Simultaneous gradient descent-ascent (GDA), x' = x - eta y, y' = y + eta x, is the linear map
  v' = A v with A = [[1, -eta], [eta, 1]] = sqrt(1 + eta^2) R(theta), a rotation by
  theta = atan(eta) scaled by sqrt(1 + eta^2). So ||v_{k+1}|| = sqrt(1 + eta^2) ||v_k|| exactly,
  for every step and every start: the iterates spiral outward, ||v_k|| = sqrt(2) (1 + eta^2)^(k/2).
* Alternating updates, x' = x - eta y, then y' = y + eta x' (the new x), are
  v' = B v with B = [[1, -eta], [eta, 1 - eta^2]]: det B = 1, trace B = 2 - eta^2, so for
  0 < eta < 2 the eigenvalues are a complex pair of modulus 1 (lambda lambda* = det = 1 and
  |trace| < 2). Nothing grows or shrinks: B preserves the quadratic form
  Q(x, y) = x^2 + y^2 - eta x y (B^T M B = M with M = [[1, -eta/2], [-eta/2, 1]]), whose
  level sets are ellipses. Since (1 - eta/2) ||v||^2 <= Q(v) <= (1 + eta/2) ||v||^2, every iterate
  stays in the annulus  sqrt(Q_0 / (1 + eta/2)) <= ||v_k|| <= sqrt(Q_0 / (1 - eta/2)),  with
  Q_0 = Q(1, 1) = 2 - eta: from (1, 1) the upper bound is exactly sqrt(2) = ||v_0||. Bounded,
  but it never converges either.
* Extragradient takes a look-ahead step and updates with the gradient found there:
  (x~, y~) = (x - eta y, y + eta x), then x' = x - eta y~, y' = y + eta x~. That is
  v' = C v with C = [[1 - eta^2, -eta], [eta, 1 - eta^2]], a rotation scaled by
  sqrt((1 - eta^2)^2 + eta^2) = sqrt(1 - eta^2 + eta^4) < 1 for 0 < eta < 1: the iterates
  spiral in, ||v_k|| = sqrt(2) (1 - eta^2 + eta^4)^(k/2) -> 0.

Measured here: the three methods run from (1, 1) with eta = 0.1 for 2,000 steps (quick: 0.2 and
400), each gradient taken by chainrule's autograd of f = x * y on float64 tensors (not the
closed form above). Checked: every GDA step multiplies the norm by sqrt(1 + eta^2) to 1e-9
(relative); the alternating iterates conserve Q to 1e-9 (relative) and stay inside the annulus;
extragradient ends below 1e-3 and follows its predicted rate. ``xy_game.png`` draws the three
trajectories in the (x, y) plane, ``xy_game.json`` holds the numbers.

    python -m chainrule.lab.xy_game [--quick] [--out DIR]
"""
from __future__ import annotations

import math
from pathlib import Path

from ..backend import np
from ._checks import (Check, at_least, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "xy-game"
METHODS = ("simultaneous", "alternating", "extragradient")
START = (1.0, 1.0)
FULL = {"eta": 0.1, "steps": 2000}
QUICK = {"eta": 0.2, "steps": 400}
FACTOR_TOL = 1e-9      # relative, per step
CONVERGED = 1e-3       # extragradient's final norm


def gradient(x: float, y: float) -> tuple[float, float]:
    """(df/dx, df/dy) of f(x, y) = x y at (x, y), by chainrule's autograd in float64."""
    import chainrule as cr

    tx = cr.tensor(x, dtype=cr.float64, requires_grad=True)
    ty = cr.tensor(y, dtype=cr.float64, requires_grad=True)
    gx, gy = cr.autograd.grad(tx * ty, (tx, ty))
    return float(gx), float(gy)


def step(method: str, x: float, y: float, eta: float) -> tuple[float, float]:
    """One update of ``method`` (x descends, y ascends)."""
    if method == "simultaneous":
        gx, gy = gradient(x, y)
        return x - eta * gx, y + eta * gy
    if method == "alternating":
        gx, _ = gradient(x, y)
        x = x - eta * gx
        _, gy = gradient(x, y)
        return x, y + eta * gy
    if method == "extragradient":
        gx, gy = gradient(x, y)
        gx, gy = gradient(x - eta * gx, y + eta * gy)
        return x - eta * gx, y + eta * gy
    raise ValueError(f"xy_game.step: unknown method {method!r}; expected one of {METHODS}")


def trajectory(method: str, eta: float, steps: int, start=START) -> list[tuple[float, float]]:
    """The ``steps + 1`` iterates of ``method`` from ``start``."""
    points = [tuple(map(float, start))]
    for _ in range(steps):
        points.append(step(method, *points[-1], eta))
    return points


def measure(eta: float, steps: int) -> dict:
    """Run the three methods; return their trajectories and the numbers the checks compare."""
    paths = {m: trajectory(m, eta, steps) for m in METHODS}
    norms = {m: [math.hypot(x, y) for x, y in p] for m, p in paths.items()}

    factors = [b / a for a, b in zip(norms["simultaneous"], norms["simultaneous"][1:])]
    gda_factor = math.sqrt(1 + eta ** 2)

    q = [x * x + y * y - eta * x * y for x, y in paths["alternating"]]
    q0 = q[0]
    eg_factor = math.sqrt(1 - eta ** 2 + eta ** 4)
    eg_final = norms["extragradient"][-1]
    eg_predicted = norms["extragradient"][0] * eg_factor ** steps
    return {
        "eta": eta, "steps": steps, "start": list(START), "paths": paths,
        "simultaneous": {
            "predicted_factor": gda_factor,
            "max_factor_error": max(abs(f / gda_factor - 1) for f in factors),
            "mean_factor": float(np.mean(factors)),
            "final_norm": norms["simultaneous"][-1],
            "predicted_final_norm": norms["simultaneous"][0] * gda_factor ** steps},
        "alternating": {
            "q0": q0, "max_q_error": max(abs(v / q0 - 1) for v in q),
            "max_norm": max(norms["alternating"]), "min_norm": min(norms["alternating"]),
            "upper_bound": math.sqrt(q0 / (1 - eta / 2)),
            "lower_bound": math.sqrt(q0 / (1 + eta / 2)),
            "final_norm": norms["alternating"][-1]},
        "extragradient": {
            "predicted_factor": eg_factor, "final_norm": eg_final,
            "predicted_final_norm": eg_predicted,
            "final_norm_relative_error": abs(eg_final / eg_predicted - 1)},
    }


def checks(r: dict) -> list[Check]:
    """The claims of the docstring, from the numbers of ``measure`` (or made-up ones)."""
    s, a, e = r["simultaneous"], r["alternating"], r["extragradient"]
    eta = r["eta"]
    return [
        at_most("simultaneous GDA: norm grows by sqrt(1 + eta^2) per step",
                s["max_factor_error"], FACTOR_TOL,
                f"max over steps of |factor / {s['predicted_factor']:.12g} - 1|, eta = {eta}"),
        at_least("simultaneous GDA: spirals outward", s["final_norm"],
                 math.sqrt(2) * 10, f"norm after {r['steps']} steps from sqrt(2)"),
        at_most("alternating: conserves Q = x^2 + y^2 - eta x y", a["max_q_error"], FACTOR_TOL,
                "max over steps of |Q_k / Q_0 - 1|"),
        at_most("alternating: stays bounded", a["max_norm"], a["upper_bound"] * (1 + FACTOR_TOL),
                "max norm over all steps vs sqrt(Q_0 / (1 - eta/2))"),
        at_least("alternating: does not converge", a["min_norm"],
                 a["lower_bound"] * (1 - FACTOR_TOL),
                 "min norm over all steps vs sqrt(Q_0 / (1 + eta/2))"),
        at_most("extragradient: converges to (0, 0)", e["final_norm"], CONVERGED,
                f"norm after {r['steps']} steps"),
        at_most("extragradient: contracts by sqrt(1 - eta^2 + eta^4) per step",
                abs(e["final_norm"] / e["predicted_final_norm"] - 1), 1e-6,
                "|final norm / sqrt(2) (1 - eta^2 + eta^4)^(N/2) - 1|"),
    ]


def plot(r: dict, path: Path) -> Path | None:
    """The three trajectories in the (x, y) plane, and their norms against the step."""
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    colors = {"simultaneous": "tab:red", "alternating": "tab:blue", "extragradient": "tab:green"}
    # left: the first steps of all three at the scale of the start; right: GDA's whole spiral
    shown = min(r["steps"], int(2 * math.pi / math.atan(r["eta"])) * 2)
    for method in METHODS:
        points = r["paths"][method]
        xs, ys = zip(*(points[:shown + 1] if method == "simultaneous" else points))
        axes[0].plot(xs, ys, lw=0.9, color=colors[method], label=method)
    axes[0].plot(*START, "ko", ms=4)
    axes[0].plot(0, 0, "k+", ms=10)
    axes[0].set_aspect("equal")
    axes[0].set_xlim(-3, 3)
    axes[0].set_ylim(-3, 3)
    axes[0].set_title(f"f(x, y) = x y, eta = {r['eta']} (GDA: first {shown} steps)")
    axes[0].legend(fontsize=8, loc="lower left")
    steps = np.arange(r["steps"] + 1)
    predicted = {"simultaneous": r["simultaneous"]["predicted_factor"],
                 "alternating": None, "extragradient": r["extragradient"]["predicted_factor"]}
    for method in METHODS:
        norms = [math.hypot(x, y) for x, y in r["paths"][method]]
        axes[1].plot(steps, norms, color=colors[method], label=method)
        if predicted[method] is not None:
            axes[1].plot(steps, math.sqrt(2) * predicted[method] ** steps.astype(float), "k:",
                         lw=0.8)
    axes[1].axhline(r["alternating"]["upper_bound"], color="gray", ls="--", lw=0.8,
                    label="alternating bound")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("step k")
    axes[1].set_ylabel("||(x_k, y_k)||  (dotted: predicted)")
    axes[1].set_title("distance from the equilibrium (0, 0)")
    axes[1].legend(fontsize=8)
    axes[0].set_xlabel("x (minimiser)")
    axes[0].set_ylabel("y (maximiser)")
    return save_figure(fig, path, dpi=120)


def run(quick: bool = False, out: Path | str = "runs/lab/xy-game") -> list[Check]:
    """Run the three methods; write ``xy_game.json`` and ``xy_game.png`` into ``out``."""
    out = output_dir(out)
    budget = QUICK if quick else FULL
    r = measure(budget["eta"], budget["steps"])
    found = checks(r)
    numbers = {k: v for k, v in r.items() if k != "paths"}
    write_numbers(out / "xy_game.json", quick, budget, numbers, found)
    plot(r, out / "xy_game.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
