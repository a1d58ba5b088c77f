"""Divergences and distances between probability distributions, on plain NumPy arrays.

* ``kl_discrete(p, q)``: KL(p || q) = sum_i p_i log(p_i / q_i) of two histograms;
* ``js_discrete(p, q)``: JS(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2;
* ``wasserstein1_1d(u, v)``: W1 of two 1-D (weighted) samples, the area between their CDFs;
* ``wasserstein1_from_cdfs(x, F, G)``: the same area for CDFs tabulated on a grid;
* ``transport_plan(a, b, cost)``: an optimal discrete transport plan (a linear program).

All results are in nats (natural logarithms) and returned as Python floats. Histograms may be
unnormalised counts: they are divided by their sums first, as ``scipy.stats.entropy`` does.
These are numbers for looking at distributions, not differentiable ops: for gradients write the
same sums with chainrule tensors (the lab's divergences and gan-theory experiments do).
"""
from __future__ import annotations

from ..backend import np

__all__ = ["kl_discrete", "js_discrete", "wasserstein1_1d", "wasserstein1_from_cdfs",
           "transport_plan"]


def _histogram(name: str, which: str, p) -> np.ndarray:
    """``p`` as a float64 probability vector (non-negative, finite, positive sum, 1-D)."""
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: {which} must be a non-empty 1-D histogram, got shape "
                         f"{arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name}: {which} must be finite and non-negative, got {arr}")
    total = arr.sum()
    if not total > 0:
        raise ValueError(f"{name}: {which} sums to {total}; a histogram needs positive mass")
    return arr / total


def _pair(name: str, p, q) -> tuple[np.ndarray, np.ndarray]:
    p, q = _histogram(name, "p", p), _histogram(name, "q", q)
    if p.shape != q.shape:
        raise ValueError(f"{name}: p and q must have the same number of bins, got "
                         f"{p.shape[0]} and {q.shape[0]}")
    return p, q


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    support = p > 0
    if np.any(q[support] == 0):
        return float("inf")
    return float(np.sum(p[support] * (np.log(p[support]) - np.log(q[support]))))


def kl_discrete(p, q) -> float:
    """Kullback-Leibler divergence KL(p || q) = sum_i p_i log(p_i / q_i) of two histograms.

    Terms with p_i = 0 contribute 0 (the limit of t log t); a bin with p_i > 0 and q_i = 0 makes
    it +inf (q does not cover p). KL >= 0 with equality iff p = q (Gibbs' inequality), but it is
    not symmetric and does not satisfy the triangle inequality: it is not a metric.
    Equals ``scipy.stats.entropy(p, q)``.
    """
    p, q = _pair("kl_discrete", p, q)
    return _kl(p, q)


def js_discrete(p, q) -> float:
    """Jensen-Shannon divergence JS(p || q) = KL(p || m) / 2 + KL(q || m) / 2, m = (p + q) / 2.

    Symmetric, always finite (m covers both), 0 <= JS <= log 2 with JS = log 2 exactly when the
    supports are disjoint (then p / m = 2 wherever p > 0). sqrt(JS) is a metric: it is what
    ``scipy.spatial.distance.jensenshannon(p, q)`` returns, so JS = jensenshannon(p, q) ** 2.
    """
    p, q = _pair("js_discrete", p, q)
    m = 0.5 * (p + q)
    return 0.5 * _kl(p, m) + 0.5 * _kl(q, m)


def _samples(name: str, which: str, values, weights) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: {which} must be a non-empty array of finite numbers")
    if weights is None:
        w = np.full(x.shape, 1.0 / x.size)
    else:
        w = _histogram(name, f"{which}_weights", np.asarray(weights, np.float64).reshape(-1))
        if w.shape != x.shape:
            raise ValueError(f"{name}: {which}_weights has {w.size} entries for {x.size} "
                             f"values")
    return x, w


def wasserstein1_1d(u_values, v_values, u_weights=None, v_weights=None) -> float:
    """Wasserstein-1 (earth mover's) distance between two 1-D distributions given by samples
    (optionally weighted): W1(mu, nu) = inf over couplings gamma of E_gamma |x - y|.

    In one dimension the optimal coupling is the monotone one (quantile to quantile), so
    W1 = integral_0^1 |F^-1(t) - G^-1(t)| dt = integral |F(x) - G(x)| dx: the area between the
    two CDFs. Both empirical CDFs are step functions that only change at the sample points, so
    the integral is a finite sum over the merged sorted points. For two unweighted samples of
    equal size n this is (1/n) sum_i |x_(i) - y_(i)| over the sorted samples; shifting a
    distribution by s moves every quantile by s, so W1(mu, mu(. - s)) = |s|.
    Equals ``scipy.stats.wasserstein_distance``.
    """
    x, wx = _samples("wasserstein1_1d", "u", u_values, u_weights)
    y, wy = _samples("wasserstein1_1d", "v", v_values, v_weights)
    ox, oy = np.argsort(x, kind="stable"), np.argsort(y, kind="stable")
    x, wx, y, wy = x[ox], wx[ox], y[oy], wy[oy]
    points = np.sort(np.concatenate([x, y]), kind="stable")
    widths = np.diff(points)
    cx = np.concatenate([[0.0], np.cumsum(wx)])[np.searchsorted(x, points[:-1], side="right")]
    cy = np.concatenate([[0.0], np.cumsum(wy)])[np.searchsorted(y, points[:-1], side="right")]
    return float(np.sum(np.abs(cx - cy) * widths))


def wasserstein1_from_cdfs(x, cdf_p, cdf_q) -> float:
    """W1 = integral |F(x) - G(x)| dx for two CDFs tabulated on the increasing grid ``x``
    (trapezoidal rule). The grid must reach where both CDFs are 0 and 1; between grid points
    the CDFs are taken as linear, so for smooth CDFs the error is O(h^2)."""
    x = np.asarray(x, dtype=np.float64)
    f, g = np.asarray(cdf_p, dtype=np.float64), np.asarray(cdf_q, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or f.shape != x.shape or g.shape != x.shape:
        raise ValueError(f"wasserstein1_from_cdfs: x, cdf_p, cdf_q must be 1-D of one length "
                         f">= 2, got shapes {x.shape}, {f.shape}, {g.shape}")
    if np.any(np.diff(x) <= 0):
        raise ValueError("wasserstein1_from_cdfs: x must be strictly increasing")
    d = np.abs(f - g)
    return float(np.sum(0.5 * (d[1:] + d[:-1]) * np.diff(x)))


def transport_plan(a, b, cost) -> tuple[np.ndarray, float]:
    """An optimal transport plan between histograms ``a`` (n bins) and ``b`` (m bins) for the
    cost matrix ``cost`` (n, m): the linear program

        minimise  sum_ij C_ij P_ij   subject to   sum_j P_ij = a_i,  sum_i P_ij = b_j,  P >= 0,

    solved with ``scipy.optimize.linprog`` (HiGHS). Returns ``(P, total cost)``. With points
    x_i, y_j on the line and C_ij = |x_i - y_j| the total cost is W1 of the two distributions
    (the Kantorovich formulation), which ``wasserstein1_1d(x, y, a, b)`` gives in closed form.
    ``a`` and ``b`` are normalised to sum 1.
    """
    from scipy.optimize import linprog

    a = _histogram("transport_plan", "a", a)
    b = _histogram("transport_plan", "b", b)
    c = np.asarray(cost, dtype=np.float64)
    n, m = a.size, b.size
    if c.shape != (n, m):
        raise ValueError(f"transport_plan: cost must have shape (len(a), len(b)) = ({n}, {m}), "
                         f"got {c.shape}")
    rows = np.kron(np.eye(n), np.ones((1, m)))          # sum_j P_ij, P flattened row-major
    cols = np.kron(np.ones((1, n)), np.eye(m))          # sum_i P_ij
    # one equality is redundant (both marginals sum to 1); HiGHS handles that
    res = linprog(c.reshape(-1), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([a, b]),
                  bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"transport_plan: linprog failed: {res.message}")
    plan = np.clip(res.x.reshape(n, m), 0.0, None)
    return plan, float(res.fun)
