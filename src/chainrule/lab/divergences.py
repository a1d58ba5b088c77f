"""KL is not a metric; forward KL fits the mean; JS saturates at log 2; W1 is the transport cost.

Claim 1, KL from histograms. KL(p || q) = sum_i p_i log(p_i / q_i) >= 0. For the bin
probabilities of two densities it approaches the continuous KL(p || q) = int p log(p / q) dx as
the bins shrink (binning can only lose information: KL_binned <= KL). Measured on N(0, 1) and
N(1, 1.5^2), whose KL is log 1.5 + (1 + 1) / (2 * 1.5^2) - 1/2.

Claim 2, KL is not a metric. It is asymmetric: for a bimodal p (two bumps at -2 and +2) and
q = N(0, 1), KL(p || q) and KL(q || p) differ (q puts mass between the bumps, where p is tiny,
and KL(q || p) pays log(q / p) for it). And it breaks the triangle inequality: searching over
triples of Bernoulli distributions finds KL(p || r) > KL(p || q) + KL(q || r), by a large
factor (e.g. p = 0.5, q = 0.1, r = 0.01). sqrt(JS), a metric, satisfies the triangle inequality
on every triple of the same search.

Claim 3, Gaussian KL. KL(N(mu, diag sigma^2) || N(0, I)) = 1/2 sum_j (sigma_j^2 + mu_j^2 - 1 -
log sigma_j^2) (the VAE's KL term). chainrule.distributions' kl_divergence gives it exactly; a
Monte Carlo estimate mean_n [log q(x_n) - log p(x_n)], x_n ~ q, agrees within its standard error.

Claim 4, forward KL fits moments. KL(p || N(mu, s^2)) = -H(p) + log(s sqrt(2 pi)) +
E_p[(x - mu)^2] / (2 s^2), whose derivative in mu is -(E_p[x] - mu) / s^2: for any p (here a
skewed two-Gaussian mixture whose mean lies far from its mode) the minimiser over mu is E_p[x],
whatever s; minimising over s too gives s^2 = Var_p[x]. Found by gradient descent with
chainrule's autograd on the grid-integrated KL, and compared with the mean. The reverse KL,
KL(N(mu, s^2) || p), is minimised near a mode instead (mode seeking).

Claim 5, Jensen-Shannon. JS(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2
lies in [0, log 2] (p / m <= 2), with log 2 exactly when the supports are disjoint.

Claim 6, Wasserstein-1. In one dimension W1(mu, nu) = int |F(x) - G(x)| dx = int_0^1 |F^-1(t) -
G^-1(t)| dt, so a shift by s has W1 = |s| exactly (from sorted samples, and from CDFs on a grid
for N(0, 1) vs N(s, 1)). On a small discrete problem the optimal transport plan of the linear
program min sum_ij |x_i - y_j| P_ij (marginals a, b; scipy's linprog) costs exactly W1.

Plots: ``divergences_kl_asymmetry.png`` (p, q and the two KL integrands), ``divergences_kl_fit
.png`` (forward and reverse KL against mu, the mean and the gradient-descent iterates marked),
``divergences_transport.png`` (the optimal plan with its marginals, and the CDF area).
``divergences.json`` holds the numbers.

    python -m chainrule.lab.divergences [--quick] [--out DIR]
"""
from __future__ import annotations

import math
from pathlib import Path

from ..analysis.divergences import (js_discrete, kl_discrete, transport_plan, wasserstein1_1d,
                                    wasserstein1_from_cdfs)
from ..backend import np
from ._checks import (Check, at_least, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "divergences"
FULL = {"bins": 2000, "mc_samples": 400_000, "fit_steps": 300, "bernoulli_grid": 60,
        "random_pairs": 20_000, "w1_samples": 200_000, "seed": 0}
QUICK = {"bins": 800, "mc_samples": 40_000, "fit_steps": 150, "bernoulli_grid": 30,
         "random_pairs": 2_000, "w1_samples": 20_000, "seed": 0}
# the skewed mixture of claim 4: weights, means, standard deviations
MIXTURE = ((0.7, -1.0, 0.5), (0.3, 2.5, 0.8))
FIT_SCALE = 0.6        # the fixed s of the KL-vs-mu curves
LOG2 = math.log(2)


# ------------------------------------------------------------------------------ helpers
def normal_cdf(x, mu: float = 0.0, sigma: float = 1.0):
    """Phi((x - mu) / sigma), elementwise."""
    from math import erf
    z = (np.asarray(x, dtype=np.float64) - mu) / (sigma * math.sqrt(2))
    return 0.5 * (1 + np.vectorize(erf)(z))


def normal_logpdf(x, mu: float, sigma: float):
    return -0.5 * ((np.asarray(x) - mu) / sigma) ** 2 - math.log(sigma * math.sqrt(2 * math.pi))


def mixture_logpdf(x, mixture=MIXTURE):
    """log sum_k w_k N(x; m_k, s_k^2), stably."""
    terms = np.stack([math.log(w) + normal_logpdf(x, m, s) for w, m, s in mixture])
    top = terms.max(axis=0)
    return top + np.log(np.exp(terms - top).sum(axis=0))


def mixture_moments(mixture=MIXTURE) -> tuple[float, float]:
    """Mean and standard deviation of the mixture."""
    mean = sum(w * m for w, m, _ in mixture)
    second = sum(w * (s * s + m * m) for w, m, s in mixture)
    return mean, math.sqrt(second - mean * mean)


def binned(edges, mu: float, sigma: float):
    """Bin probabilities of N(mu, sigma^2) for the bin ``edges`` (renormalised), as differences
    of the lower tail left of mu and of the upper tail right of it (no 1 - 1 cancellation)."""
    from math import erfc
    z = (np.asarray(edges, dtype=np.float64) - mu) / (sigma * math.sqrt(2))
    lower = 0.5 * np.vectorize(erfc)(-z)                 # P(X < edge)
    upper = 0.5 * np.vectorize(erfc)(z)                  # P(X > edge)
    probs = np.where(z[1:] <= 0, np.diff(lower), -np.diff(upper))
    return np.maximum(probs, 0.0) / probs.sum()


def gaussian_kl(mu_p, s_p, mu_q, s_q) -> float:
    """KL(N(mu_p, s_p^2) || N(mu_q, s_q^2)) in closed form."""
    return math.log(s_q / s_p) + (s_p ** 2 + (mu_p - mu_q) ** 2) / (2 * s_q ** 2) - 0.5


def kl_bernoulli(a, b):
    """KL(Bern(a) || Bern(b)), elementwise on arrays."""
    return a * np.log(a / b) + (1 - a) * np.log((1 - a) / (1 - b))


def js_bernoulli(a, b):
    m = (a + b) / 2
    return 0.5 * kl_bernoulli(a, m) + 0.5 * kl_bernoulli(b, m)


# ------------------------------------------------------------------------------ the claims
def histogram_kl(bins: int) -> dict:
    """Claim 1: binned KL of N(0, 1) and N(1, 1.5^2) against the continuous KL."""
    edges = np.linspace(-12.0, 14.0, bins + 1)
    p, q = binned(edges, 0.0, 1.0), binned(edges, 1.0, 1.5)
    return {"bins": bins, "kl_binned": kl_discrete(p, q),
            "kl_closed_form": gaussian_kl(0.0, 1.0, 1.0, 1.5),
            "kl_binned_coarse": kl_discrete(*(binned(np.linspace(-12.0, 14.0, 14), m, s)
                                              for m, s in ((0, 1), (1, 1.5))))}


def asymmetry(bins: int) -> dict:
    """Claim 2a: a bimodal p against q = N(0, 1), both binned on [-6, 6]."""
    edges = np.linspace(-6.0, 6.0, bins + 1)
    p = 0.5 * binned(edges, -2.0, 0.5) + 0.5 * binned(edges, 2.0, 0.5)
    q = binned(edges, 0.0, 1.0)
    return {"edges": edges.tolist(), "p": p.tolist(), "q": q.tolist(),
            "kl_pq": kl_discrete(p, q), "kl_qp": kl_discrete(q, p)}


def triangle(grid: int) -> dict:
    """Claim 2b: all triples of Bernoulli(a), a on a grid in (0, 1): the worst ratio
    KL(p||r) / (KL(p||q) + KL(q||r)), and the worst triangle violation of sqrt(JS)."""
    a = np.linspace(0.01, 0.99, grid)
    P, Q, R = np.meshgrid(a, a, a, indexing="ij")
    direct, via = kl_bernoulli(P, R), kl_bernoulli(P, Q) + kl_bernoulli(Q, R)
    ratio = np.where(via > 1e-12, direct / np.maximum(via, 1e-300), 0.0)
    i = np.unravel_index(np.argmax(ratio), ratio.shape)
    sj = np.sqrt(np.maximum(js_bernoulli(P, R), 0)), np.sqrt(
        np.maximum(js_bernoulli(P, Q), 0)) + np.sqrt(np.maximum(js_bernoulli(Q, R), 0))
    example = (0.5, 0.1, 0.01)
    pe, qe, re = ([x, 1 - x] for x in example)
    return {"grid": grid, "triples": int(ratio.size),
            "kl_worst_ratio": float(ratio[i]), "kl_worst_triple": [float(a[k]) for k in i],
            "kl_violations_fraction": float(np.mean(direct > via + 1e-12)),
            "sqrt_js_max_violation": float(np.max(sj[0] - sj[1])),
            "example": {"p": example[0], "q": example[1], "r": example[2],
                        "kl_pr": kl_discrete(pe, re), "kl_pq": kl_discrete(pe, qe),
                        "kl_qr": kl_discrete(qe, re)}}


def gaussian_kl_vs_monte_carlo(samples: int, seed: int) -> dict:
    """Claim 3: closed form vs chainrule's kl_divergence vs Monte Carlo, in d = 8."""
    import chainrule as cr
    from ..distributions import Independent, Normal, kl_divergence

    rng = np.random.default_rng(seed)
    mu, sigma = rng.normal(0, 0.8, size=8), rng.uniform(0.3, 1.8, size=8)
    closed = 0.5 * float(np.sum(sigma ** 2 + mu ** 2 - 1 - np.log(sigma ** 2)))
    q = Independent(Normal(cr.tensor(mu, dtype=cr.float64), cr.tensor(sigma, dtype=cr.float64)), 1)
    p = Independent(Normal(cr.zeros(8, dtype=cr.float64), cr.ones(8, dtype=cr.float64)), 1)
    library = float(kl_divergence(q, p))
    cr.manual_seed(seed)
    x = q.sample((samples,))
    terms = (q.log_prob(x) - p.log_prob(x)).numpy()
    mc, stderr = float(terms.mean()), float(terms.std(ddof=1) / math.sqrt(samples))
    return {"d": 8, "closed_form": closed, "kl_divergence": library, "monte_carlo": mc,
            "monte_carlo_stderr": stderr, "samples": samples,
            "z_score": abs(mc - closed) / stderr}


def kl_objective(mu, log_s, x, w, logp, reverse: bool = False):
    """KL(p || N(mu, s^2)) (or KL(N(mu, s^2) || p) when ``reverse``) integrated on the grid x
    with weights w, as a chainrule expression of the tensors ``mu`` and ``log_s``."""
    s = log_s.exp()
    logn = -0.5 * ((x - mu) / s) ** 2 - log_s - 0.5 * math.log(2 * math.pi)
    if reverse:
        return (w * logn.exp() * (logn - logp)).sum()
    return (w * logp.exp() * (logp - logn)).sum()


def fit_gaussian(steps: int, grid_points: int) -> dict:
    """Claim 4: gradient descent on KL(p || N(mu, s^2)) for the skewed mixture p: over mu
    with s fixed, and over (mu, log s) jointly; the forward and reverse KL against mu."""
    import chainrule as cr

    x = np.linspace(-8.0, 10.0, grid_points)
    w = np.full_like(x, x[1] - x[0])
    w[[0, -1]] /= 2                                                   # trapezoid weights
    logp = mixture_logpdf(x)
    X, W, LP = (cr.tensor(a, dtype=cr.float64) for a in (x, w, logp))
    mean, std = mixture_moments()

    def descend(mu0, log_s0, lr, fit_scale):
        mu = cr.tensor(mu0, dtype=cr.float64, requires_grad=True)
        log_s = cr.tensor(log_s0, dtype=cr.float64, requires_grad=fit_scale)
        path = [mu0]
        for _ in range(steps):
            kl = kl_objective(mu, log_s, X, W, LP)
            grads = cr.autograd.grad(kl, (mu, log_s) if fit_scale else (mu,))
            with cr.no_grad():
                mu -= lr * grads[0]
                if fit_scale:
                    log_s -= lr * grads[1]
            path.append(float(mu))
        return path, float(log_s.exp()), float(kl_objective(mu, log_s, X, W, LP))

    path, _, kl_min = descend(3.0, math.log(FIT_SCALE), 0.05, False)
    joint_path, joint_s, _ = descend(3.0, 0.0, 0.5, True)
    mus = np.linspace(-3.0, 4.0, 141)
    log_s = cr.tensor(math.log(FIT_SCALE), dtype=cr.float64)
    curves = {name: [float(kl_objective(cr.tensor(m, dtype=cr.float64), log_s, X, W, LP,
                                        reverse=name == "reverse")) for m in mus]
              for name in ("forward", "reverse")}
    modes = x[np.argmax(logp)]
    return {"mixture": [list(c) for c in MIXTURE], "mean": mean, "std": std,
            "mode": float(modes), "scale": FIT_SCALE, "steps": steps,
            "mu_gd": path[-1], "mu_gd_path": path, "kl_at_mu_gd": kl_min,
            "joint_mu": joint_path[-1], "joint_sigma": joint_s,
            "mu_grid": mus.tolist(), "kl_forward": curves["forward"],
            "kl_reverse": curves["reverse"],
            "mu_reverse_argmin": float(mus[int(np.argmin(curves["reverse"]))]),
            "mu_forward_argmin_grid": float(mus[int(np.argmin(curves["forward"]))])}


def jensen_shannon(pairs: int, seed: int) -> dict:
    """Claim 5: JS of random (sparse) histogram pairs stays <= log 2; disjoint supports reach it."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(pairs):
        k = int(rng.integers(2, 12))
        p, q = rng.dirichlet(np.full(k, 0.2)), rng.dirichlet(np.full(k, 0.2))
        worst = max(worst, js_discrete(p, q))
    disjoint = [js_discrete(np.r_[rng.random(k), np.zeros(k)], np.r_[np.zeros(k), rng.random(k)])
                for k in (1, 3, 10)]
    return {"pairs": pairs, "max_js_random": worst, "js_disjoint": disjoint,
            "max_disjoint_error": max(abs(v - LOG2) for v in disjoint), "log2": LOG2,
            "js_identical": js_discrete([1, 2, 3], [1, 2, 3])}


def wasserstein(samples: int, seed: int) -> dict:
    """Claim 6: W1 of shifts (exact samples, independent samples, CDF grid) and a transport
    plan by linear programming against the closed-form 1-D W1."""
    rng = np.random.default_rng(seed)
    shifts = [0.25, 1.0, 3.0]
    x = rng.exponential(size=samples)
    exact = [wasserstein1_1d(x, x + s) for s in shifts]
    independent = [wasserstein1_1d(rng.normal(size=samples), rng.normal(s, 1.0, size=samples))
                   for s in shifts]
    grid = np.linspace(-10.0, 14.0, 4999)    # trapezoid rule: spectrally accurate here
    cdf = [wasserstein1_from_cdfs(grid, normal_cdf(grid), normal_cdf(grid, s)) for s in shifts]
    xs, ys = np.array([0.0, 0.5, 1.5, 2.0, 3.5, 4.0]), np.array([0.8, 1.2, 2.6, 3.0, 5.0])
    a, b = rng.dirichlet(np.full(6, 4.0)), rng.dirichlet(np.full(5, 4.0))
    plan, cost = transport_plan(a, b, np.abs(xs[:, None] - ys[None, :]))
    marginal_error = max(float(np.max(np.abs(plan.sum(1) - a))),
                         float(np.max(np.abs(plan.sum(0) - b))))
    return {"shifts": shifts, "w1_shifted_samples": exact, "w1_independent_samples": independent,
            "w1_cdf_grid": cdf, "samples": samples,
            "max_shift_error_exact": max(abs(w - s) for w, s in zip(exact, shifts)),
            "max_shift_error_independent": max(abs(w - s) for w, s in zip(independent, shifts)),
            "max_shift_error_cdf": max(abs(w - s) for w, s in zip(cdf, shifts)),
            "transport": {"x": xs.tolist(), "y": ys.tolist(), "a": a.tolist(), "b": b.tolist(),
                          "plan": plan.tolist(), "cost": cost,
                          "w1_closed_form": wasserstein1_1d(xs, ys, a, b),
                          "marginal_error": marginal_error}}


def measure(bins: int, mc_samples: int, fit_steps: int, bernoulli_grid: int, random_pairs: int,
            w1_samples: int, seed: int = 0) -> dict:
    """All six claims' numbers (see the module docstring)."""
    return {"histogram": histogram_kl(bins), "asymmetry": asymmetry(bins // 4),
            "triangle": triangle(bernoulli_grid),
            "gaussian": gaussian_kl_vs_monte_carlo(mc_samples, seed),
            "fit": fit_gaussian(fit_steps, bins), "js": jensen_shannon(random_pairs, seed),
            "w1": wasserstein(w1_samples, seed)}


def checks(r: dict) -> list[Check]:
    """The claims of the docstring, from the numbers of ``measure`` (or made-up ones)."""
    h, a, t, g, f, j, w = (r[k] for k in ("histogram", "asymmetry", "triangle", "gaussian",
                                          "fit", "js", "w1"))
    tp = w["transport"]
    return [
        at_most("histogram KL approaches the continuous KL",
                abs(h["kl_binned"] - h["kl_closed_form"]), 1e-4,
                f"|KL_binned - KL| with {h['bins']} bins, KL(N(0,1)||N(1,1.5^2)) = "
                f"{h['kl_closed_form']:.6f}"),
        at_least("KL is asymmetric", abs(math.log(a["kl_qp"] / a["kl_pq"])), math.log(1.5),
                 f"|log(KL(q||p) / KL(p||q))|, KL(p||q) = {a['kl_pq']:.4f}, "
                 f"KL(q||p) = {a['kl_qp']:.4f} (bimodal p, q = N(0,1))"),
        at_least("KL breaks the triangle inequality", t["kl_worst_ratio"], 2.0,
                 f"max KL(p||r) / (KL(p||q) + KL(q||r)) over {t['triples']} Bernoulli triples, "
                 f"at (p, q, r) = {tuple(round(v, 3) for v in t['kl_worst_triple'])}"),
        at_most("sqrt(JS) keeps the triangle inequality", t["sqrt_js_max_violation"], 1e-12,
                "max sqrt(JS(p,r)) - sqrt(JS(p,q)) - sqrt(JS(q,r)) on the same triples"),
        at_most("Gaussian KL: kl_divergence equals the closed form",
                abs(g["kl_divergence"] - g["closed_form"]), 1e-10,
                f"KL(N(mu, diag s^2)||N(0,I)) = {g['closed_form']:.6f}, d = {g['d']}"),
        at_most("Gaussian KL: Monte Carlo agrees within its standard error", g["z_score"], 4.0,
                f"|MC - closed| / stderr, MC = {g['monte_carlo']:.5f} +- "
                f"{g['monte_carlo_stderr']:.5f} from {g['samples']} samples"),
        at_most("argmin_mu KL(p || N(mu, s^2)) = E_p[x] (gradient descent)",
                abs(f["mu_gd"] - f["mean"]), 1e-6,
                f"mu_GD = {f['mu_gd']:.8f}, E_p[x] = {f['mean']:.8f}, mode {f['mode']:.2f}"),
        at_most("joint fit over (mu, s) matches mean and std",
                max(abs(f["joint_mu"] - f["mean"]), abs(f["joint_sigma"] - f["std"])), 1e-4,
                f"(mu, s) = ({f['joint_mu']:.5f}, {f['joint_sigma']:.5f}) vs "
                f"({f['mean']:.5f}, {f['std']:.5f})"),
        at_least("reverse KL is mode seeking", abs(f["mu_reverse_argmin"] - f["mean"]), 0.5,
                 f"argmin KL(N(mu, s^2)||p) = {f['mu_reverse_argmin']:.2f} vs mean "
                 f"{f['mean']:.2f} (mode {f['mode']:.2f})"),
        at_most("JS <= log 2", j["max_js_random"], j["log2"] * (1 + 1e-12),
                f"max JS over {j['pairs']} random histogram pairs"),
        at_most("JS = log 2 for disjoint supports", j["max_disjoint_error"], 1e-12,
                "max |JS - log 2| over three disjoint pairs"),
        at_most("W1 of a shift is the shift", w["max_shift_error_exact"], 1e-9,
                f"shifts {w['shifts']}, same samples shifted"),
        at_most("W1 of N(0,1) vs N(s,1) is s", max(w["max_shift_error_cdf"],
                                                    w["max_shift_error_independent"]), 0.05,
                f"max error: CDF grid {w['max_shift_error_cdf']:.2g}, independent samples "
                f"{w['max_shift_error_independent']:.2g} ({w['samples']} each)"),
        at_most("optimal transport plan costs W1", abs(tp["cost"] - tp["w1_closed_form"]),
                1e-9, f"linprog cost {tp['cost']:.8f}, 1-D W1 {tp['w1_closed_form']:.8f}, "
                      f"marginals within {tp['marginal_error']:.1g}"),
    ]


# ------------------------------------------------------------------------------ plots
def plot_asymmetry(r: dict, path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    a, t = r["asymmetry"], r["triangle"]
    edges = np.array(a["edges"])
    x = 0.5 * (edges[1:] + edges[:-1])
    width = edges[1] - edges[0]
    p, q = np.array(a["p"]) / width, np.array(a["q"]) / width
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    for ax, (num, den, name, value) in zip(axes[:2], ((p, q, "KL(p || q)", a["kl_pq"]),
                                                      (q, p, "KL(q || p)", a["kl_qp"]))):
        ax.plot(x, p, color="tab:blue", label="p (bimodal)")
        ax.plot(x, q, color="tab:orange", label="q = N(0, 1)")
        integrand = num * np.log(np.maximum(num, 1e-300) / np.maximum(den, 1e-300))
        ax.fill_between(x, 0, integrand, color="tab:red", alpha=0.3,
                        label="integrand " + ("p log p/q" if num is p else "q log q/p"))
        ax.set_ylim(-0.3, 3.3)
        ax.set_title(f"{name} = {value:.3f}")
        ax.set_xlabel("x")
        ax.legend(fontsize=8, loc="upper left")
    e = t["example"]
    labels = ["KL(p||r)", "KL(p||q)", "KL(q||r)", "KL(p||q) + KL(q||r)"]
    values = [e["kl_pr"], e["kl_pq"], e["kl_qr"], e["kl_pq"] + e["kl_qr"]]
    axes[2].bar(labels, values, color=["tab:red", "tab:gray", "tab:gray", "tab:blue"])
    axes[2].set_title(f"triangle inequality fails: Bernoulli p={e['p']}, q={e['q']}, "
                      f"r={e['r']}", fontsize=9)
    axes[2].tick_params(axis="x", labelsize=8)
    return save_figure(fig, path, dpi=110)


def plot_fit(r: dict, path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    f = r["fit"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    mus = np.array(f["mu_grid"])
    axes[0].plot(mus, f["kl_forward"], color="tab:blue", label="KL(p || N(mu, s^2))")
    axes[0].plot(mus, f["kl_reverse"], color="tab:green", label="KL(N(mu, s^2) || p)")
    path_mu = np.array(f["mu_gd_path"])[:: max(1, len(f["mu_gd_path"]) // 25)]
    axes[0].plot(path_mu, np.interp(path_mu, mus, f["kl_forward"]), "o", ms=3, color="navy",
                 label="gradient descent iterates")
    axes[0].axvline(f["mean"], color="tab:red", ls="--", label=f"E_p[x] = {f['mean']:.2f}")
    axes[0].axvline(f["mu_reverse_argmin"], color="tab:green", ls=":",
                    label=f"reverse argmin {f['mu_reverse_argmin']:.2f}")
    axes[0].set_ylim(0, 6)
    axes[0].set_xlabel("mu")
    axes[0].set_title(f"KL against mu (s = {f['scale']})")
    axes[0].legend(fontsize=8)
    x = np.linspace(-4, 6, 500)
    axes[1].plot(x, np.exp(mixture_logpdf(x)), color="k", label="p (mixture)")
    axes[1].plot(x, np.exp(normal_logpdf(x, f["mu_gd"], f["scale"])), color="tab:blue",
                 label=f"forward-KL fit, s = {f['scale']}")
    axes[1].plot(x, np.exp(normal_logpdf(x, f["joint_mu"], f["joint_sigma"])), color="tab:blue",
                 ls="--", label=f"forward-KL fit of (mu, s): s = {f['joint_sigma']:.2f}")
    axes[1].plot(x, np.exp(normal_logpdf(x, f["mu_reverse_argmin"], f["scale"])),
                 color="tab:green", label="reverse-KL fit")
    axes[1].axvline(f["mean"], color="tab:red", ls="--")
    axes[1].set_xlabel("x")
    axes[1].set_title("forward KL covers the mass, reverse KL picks a mode")
    axes[1].legend(fontsize=8)
    return save_figure(fig, path, dpi=110)


def plot_transport(r: dict, path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    tp = r["w1"]["transport"]
    xs, ys, a, b = (np.array(tp[k]) for k in ("x", "y", "a", "b"))
    plan = np.array(tp["plan"])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    im = axes[0].imshow(plan, cmap="Blues", origin="upper")
    axes[0].set_xticks(range(len(ys)), [f"{v:g}\n({w:.2f})" for v, w in zip(ys, b)], fontsize=8)
    axes[0].set_yticks(range(len(xs)), [f"{v:g} ({w:.2f})" for v, w in zip(xs, a)], fontsize=8)
    for i in range(plan.shape[0]):
        for j in range(plan.shape[1]):
            if plan[i, j] > 1e-9:
                axes[0].text(j, i, f"{plan[i, j]:.3f}", ha="center", va="center", fontsize=8,
                             color="white" if plan[i, j] > 0.6 * plan.max() else "black")
    axes[0].set_xlabel("target point y_j (mass b_j)")
    axes[0].set_ylabel("source point x_i (mass a_i)")
    axes[0].set_title(f"optimal plan (linprog): cost {tp['cost']:.4f} = W1 "
                      f"{tp['w1_closed_form']:.4f}", fontsize=10)
    fig.colorbar(im, ax=axes[0], fraction=0.04)
    grid = np.linspace(-0.5, 5.5, 1201)
    fa = np.array([a[xs <= g].sum() for g in grid])
    fb = np.array([b[ys <= g].sum() for g in grid])
    axes[1].step(grid, fa, where="post", color="tab:blue", label="F (source)")
    axes[1].step(grid, fb, where="post", color="tab:orange", label="G (target)")
    axes[1].fill_between(grid, fa, fb, step="post", color="tab:red", alpha=0.25,
                         label="area = W1")
    axes[1].set_xlabel("x")
    axes[1].set_title("W1 = integral |F - G| dx")
    axes[1].legend(fontsize=8)
    return save_figure(fig, path, dpi=110)


def run(quick: bool = False, out: Path | str = "runs/lab/divergences") -> list[Check]:
    """Measure the six claims; write ``divergences.json`` and three PNGs into ``out``."""
    out = output_dir(out)
    budget = QUICK if quick else FULL
    r = measure(**budget)
    found = checks(r)
    write_numbers(out / "divergences.json", quick, budget, r, found)
    plot_asymmetry(r, out / "divergences_kl_asymmetry.png")
    plot_fit(r, out / "divergences_kl_fit.png")
    plot_transport(r, out / "divergences_transport.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
