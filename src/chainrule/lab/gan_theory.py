"""GAN theory on known 1-D densities: the optimal discriminator, the value V(D*, G) = -log 4 +
2 JS, saturating generator gradients, JS's flat landscape on disjoint supports, and a WGAN critic
that measures W1.

Claim 1, the optimal discriminator. For a fixed generator distribution p_g, the discriminator's
objective V(D, G) = E_{p_data}[log D(x)] + E_{p_g}[log(1 - D(x))] = int p_data log D +
p_g log(1 - D) dx is maximised pointwise: a log D + b log(1 - D) peaks at D = a / (a + b), so
D*(x) = p_data(x) / (p_data(x) + p_g(x)). A small chainrule MLP (``MLPDiscriminator``, 1-64-64-1
ReLU in the full variant) trained with binary cross-entropy and Adam on fresh samples of a
two-Gaussian mixture p_data and a wide Gaussian p_g approaches D*: measured as the largest and
the mass-weighted mean |D - D*| on a grid where (p_data + p_g) / 2 > 0.02.

Claim 2, the value at the optimum. Substituting D*: V(D*, G) = KL(p_data || m) + KL(p_g || m) -
2 log 2 with m = (p_data + p_g) / 2, i.e. V(D*, G) = -log 4 + 2 JS(p_data || p_g). Both sides
are integrated on the grid (the JS by ``analysis.js_discrete``); the trained D's value lies below
V(D*, G) by a small gap (on the grid this is exact: D* is the pointwise maximiser).

Claim 3, saturation. With D = sigmoid(l) for the logit l, the minimax generator loss log(1 - D)
has d/dl log(1 - sigmoid(l)) = -sigmoid(l) = -D, which vanishes when the discriminator confidently
rejects the fakes (D -> 0, l -> -inf), while the non-saturating loss -log D has d/dl = -(1 - D) ->
-1. Measured by chainrule's autograd over l in [-12, 4], and through a confident discriminator:
p_data = N(0, 1), G_theta(z) = z + theta at theta = 6 and the optimal D of that pair, whose logit
l(x) = theta^2 / 2 - theta x is about -18 on the fakes. By the chain rule (dl/dtheta = -theta)
d/dtheta E_z log(1 - D(G_theta(z))) = theta E[D] is tiny, while d/dtheta E_z[-log D(G_theta(z))] =
theta E[1 - D] is about theta (descent moves theta back towards the data).

Claim 4, disjoint supports. For point masses p = delta_0, q_theta = delta_theta, JS(p || q_theta) =
log 2 for every theta != 0: constant, so its gradient in theta is 0 and tells the generator
nothing, while W1(p, q_theta) = |theta| shrinks as theta -> 0 (gradient sign(theta)). Instance
noise (adding N(0, s^2) to both samples) turns them into N(0, s^2) and N(theta, s^2): their JS
(integrated on a grid as a chainrule function of theta) now grows smoothly with |theta|, and
autograd's dJS/dtheta is non-zero with the sign of theta (descent moves theta towards 0). With
tiny noise (s = 0.01) the gradient at |theta| >= 0.5 is still 0 (below 1e-9; the exact value is
about exp(-theta^2 / (8 s^2)) < 1e-130, what is left is rounding in the grid sum).

Claim 5, the WGAN critic. By Kantorovich-Rubinstein duality W1(p, q) = sup over 1-Lipschitz f of
E_p[f] - E_q[f]. A small MLP critic (``MLPDiscriminator``, 1-32-32-1) trained with a gradient
penalty lambda E max(0, ||grad f(x_hat)|| - 1)^2 on random interpolates x_hat (lambda = 10)
between p = N(0, 1) and q = N(d, 1), whose W1 is d, gives an estimate E_p f - E_q f (on fresh
samples) that grows with d, correlates with d (> 0.95) and stays within a factor of it. For a
linear critic f = -k x the penalised objective k d - lambda (k - 1)^2 is maximised at
k = 1 + d / (2 lambda): the penalty is soft, so the estimate is d (1 + d / (2 lambda)), a little
above W1 for large d, which the measurement reproduces. The penalty is the one-sided variant
(``gradient_penalty(..., one_sided=True)``): WGAN-GP's two-sided (||grad f|| - 1)^2 (the
default of ``models.gan.gradient_penalty``) also rewards the mirror critic f = +x
(|f'| = 1, estimate -d), and in one dimension a critic whose initial slope is negative is
pushed there (seen while building this experiment on some seeds, estimates near -d);
max(0, .)^2 exerts no pull below slope 1, so the linear term alone sets the sign.

Plots: ``gan_theory_discriminator.png`` (the densities, D* and the trained D, and |D - D*|),
``gan_theory_gradients.png`` (saturating vs non-saturating gradients over the logit; JS and W1
against theta; dJS/dtheta with and without instance noise), ``gan_theory_wgan.png`` (critic
estimates against W1, the critics). ``gan_theory.json`` holds the numbers.

    python -m chainrule.lab.gan_theory [--quick] [--out DIR]
"""
from __future__ import annotations

import math
from pathlib import Path

from ..analysis.divergences import js_discrete, wasserstein1_1d
from ..backend import np
from ._checks import (Check, at_least, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "gan-theory"
FULL = {"d_steps": 6000, "d_hidden": 64, "d_lr": 3e-3, "batch": 512,
        "w_steps": 600, "w_hidden": 32, "distances": [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0],
        "seed": 0}
QUICK = {"d_steps": 800, "d_hidden": 32, "d_lr": 1e-2, "batch": 256,
         "w_steps": 200, "w_hidden": 32, "distances": [0.5, 1.5, 3.0], "seed": 0}
# p_data and p_g of claims 1-2: (weight, mean, standard deviation) per component
DATA = ((0.6, -1.0, 0.5), (0.4, 1.5, 0.6))
GEN = ((1.0, 0.0, 1.5),)
REGION = 0.02            # |D - D*| is measured where (p_data + p_g) / 2 > REGION
GP_WEIGHT = 10.0         # WGAN-GP's lambda
THETA_CONFIDENT = 6.0    # claim 3's generator offset
NOISE = (0.01, 0.5, 1.0)  # claim 4's instance-noise levels (0.01: effectively none)
LOG2 = math.log(2)


# ------------------------------------------------------------------------------ densities
def mixture_logpdf(x, mixture):
    """log sum_k w_k N(x; m_k, s_k^2), stably, for a NumPy array x."""
    x = np.asarray(x, dtype=np.float64)
    terms = np.stack([math.log(w) - 0.5 * ((x - m) / s) ** 2 - math.log(s * math.sqrt(2 * math.pi))
                      for w, m, s in mixture])
    top = terms.max(axis=0)
    return top + np.log(np.exp(terms - top).sum(axis=0))


def mixture_sample(mixture, n: int, rng) -> np.ndarray:
    """n samples of the mixture, shape (n, 1)."""
    weights = np.array([c[0] for c in mixture])
    k = rng.choice(len(mixture), size=n, p=weights / weights.sum())
    means, stds = np.array([c[1] for c in mixture]), np.array([c[2] for c in mixture])
    return (means[k] + stds[k] * rng.normal(size=n))[:, None]


def value(d, p, q, h: float) -> float:
    """V(D, G) = int p log D + q log(1 - D) dx on a uniform grid of spacing h."""
    d = np.clip(np.asarray(d, dtype=np.float64), 1e-300, 1 - 1e-16)
    return float(h * np.sum(p * np.log(d) + q * np.log1p(-d)))


# ------------------------------------------------------------------------------ claims 1-2
def optimal_discriminator(steps: int, hidden: int, lr: float, batch: int, seed: int) -> dict:
    """Train ``MLPDiscriminator`` (BCE, Adam) on p_data vs p_g; compare with D* on a grid."""
    import chainrule as cr
    from ..models.gan import MLPDiscriminator, discriminator_loss
    from ..optim.lr_scheduler import CosineAnnealingLR

    cr.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = MLPDiscriminator(1, (hidden, hidden))
    opt = cr.optim.Adam(net.parameters(), lr=lr)
    sched = CosineAnnealingLR(opt, steps)
    losses = []
    for _ in range(steps):
        real = cr.tensor(mixture_sample(DATA, batch, rng), dtype=cr.float32)
        fake = cr.tensor(mixture_sample(GEN, batch, rng), dtype=cr.float32)
        loss = discriminator_loss(net(real), net(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss))
    x = np.linspace(-10.0, 10.0, 4001)    # holds all but ~1e-11 of both masses
    h = float(x[1] - x[0])
    p, q = np.exp(mixture_logpdf(x, DATA)), np.exp(mixture_logpdf(x, GEN))
    d_star = p / (p + q)
    with cr.no_grad():
        d = cr.sigmoid(net(cr.tensor(x[:, None], dtype=cr.float32))).numpy().astype(np.float64)
    m = 0.5 * (p + q)
    region = m > REGION
    err = np.abs(d - d_star)
    js = js_discrete(p, q)
    v_star, v_trained = value(d_star, p, q, h), value(d, p, q, h)
    shown = (x >= -4.0) & (x <= 4.5)                   # what the plot draws and the JSON keeps
    return {"steps": steps, "hidden": hidden, "lr": lr, "batch": batch,
            **{k: v[shown].tolist() for k, v in (("x", x), ("p_data", p), ("p_g", q),
                                                 ("d_star", d_star), ("d_trained", d))},
            "region": [float(x[region].min()), float(x[region].max())],
            "max_error": float(err[region].max()),
            "mean_error": float(np.sum(m * err) / np.sum(m)),
            "final_loss": float(np.mean(losses[-50:])), "loss_at_optimum": -v_star,
            "js": js, "v_star": v_star, "v_formula": -math.log(4) + 2 * js,
            "v_trained": v_trained, "v_gap": v_star - v_trained,
            "mass_on_grid": [float(h * p.sum()), float(h * q.sum())]}


# ------------------------------------------------------------------------------ claim 3
def saturation(seed: int, samples: int = 20_000) -> dict:
    """Autograd of both generator losses over the logit, and through a confident D*."""
    import chainrule as cr
    import chainrule.nn.functional as F

    logits = np.linspace(-12.0, 4.0, 161)
    lt = cr.tensor(logits, dtype=cr.float64, requires_grad=True)
    (g_sat,) = cr.autograd.grad(F.logsigmoid(-lt).sum(), (lt,))       # log(1 - sigmoid(l))
    (g_ns,) = cr.autograd.grad((-F.logsigmoid(lt)).sum(), (lt,))      # -log sigmoid(l)
    g_sat, g_ns = g_sat.numpy(), g_ns.numpy()
    dval = 1 / (1 + np.exp(-logits))
    formula_error = max(float(np.max(np.abs(g_sat + dval))),
                        float(np.max(np.abs(g_ns + (1 - dval)))))
    at = int(np.argmin(np.abs(logits + 10.0)))

    # a confident discriminator: D* of p_data = N(0, 1) vs G_theta0(z) = z + theta0
    rng = np.random.default_rng(seed)
    theta0 = THETA_CONFIDENT
    z = cr.tensor(rng.normal(size=samples), dtype=cr.float64)
    theta = cr.tensor(theta0, dtype=cr.float64, requires_grad=True)
    fake = z + theta
    logit = theta0 ** 2 / 2 - theta0 * fake           # log N(x; 0, 1) - log N(x; theta0, 1)
    (grad_sat,) = cr.autograd.grad(F.logsigmoid(-logit).mean(), (theta,), retain_graph=True)
    (grad_ns,) = cr.autograd.grad((-F.logsigmoid(logit)).mean(), (theta,))
    with cr.no_grad():
        mean_d = float(cr.sigmoid(logit).mean())
    return {"logits": logits.tolist(), "grad_saturating": g_sat.tolist(),
            "grad_nonsaturating": g_ns.tolist(), "formula_error": formula_error,
            "at_logit": float(logits[at]), "sat_at": float(g_sat[at]), "ns_at": float(g_ns[at]),
            "theta": theta0, "mean_d_on_fakes": mean_d,
            "mean_logit_on_fakes": float(logit.detach().mean()),
            "dtheta_saturating": float(grad_sat), "dtheta_nonsaturating": float(grad_ns)}


# ------------------------------------------------------------------------------ claim 4
def js_gaussians(theta, s: float, x, w):
    """JS(N(0, s^2) || N(theta, s^2)) integrated on the grid x (weights w), a chainrule
    expression of the tensor ``theta``."""
    import chainrule as cr
    const = -math.log(s * math.sqrt(2 * math.pi))
    logp = -0.5 * (x / s) ** 2 + const
    logq = -0.5 * ((x - theta) / s) ** 2 + const
    logm = cr.logsumexp(cr.stack([logp, logq]), 0) - LOG2
    return (0.5 * (w * logp.exp() * (logp - logm)).sum()
            + 0.5 * (w * logq.exp() * (logq - logm)).sum())


def disjoint_supports() -> dict:
    """JS and W1 of delta_0 vs delta_theta over theta; JS with instance noise and its gradient."""
    import chainrule as cr

    thetas = np.round(np.linspace(-3.0, 3.0, 61), 10)
    thetas = thetas[thetas != 0]
    edges = np.linspace(-3.505, 3.505, 702)             # bins of width 0.01, one per theta
    mass = [np.histogram([v], edges)[0] for v in (0.0, *thetas)]
    js_point = [js_discrete(mass[0], m) for m in mass[1:]]
    w1_point = [wasserstein1_1d([0.0], [t]) for t in thetas]
    fd = np.diff(js_point) / np.diff(thetas)
    same_side = np.sign(thetas[1:]) == np.sign(thetas[:-1])
    noisy = {}
    for s in NOISE:
        lo, hi = -3.0 - 8 * s, 3.0 + 8 * s
        n = int(min(40_000, max(2001, (hi - lo) / (s / 8))))
        grid = np.linspace(lo, hi, n)
        wts = np.full(n, grid[1] - grid[0])
        X, W = cr.tensor(grid, dtype=cr.float64), cr.tensor(wts, dtype=cr.float64)
        values, grads = [], []
        for t in thetas:
            th = cr.tensor(float(t), dtype=cr.float64, requires_grad=True)
            js = js_gaussians(th, s, X, W)
            (g,) = cr.autograd.grad(js, (th,))
            values.append(float(js))
            grads.append(float(g))
        noisy[str(s)] = {"js": values, "grad": grads}
    far = np.abs(thetas) >= 0.5
    signed = {s: np.sign(thetas) * np.array(noisy[str(s)]["grad"]) for s in NOISE}
    useful = [s for s in NOISE if s >= 0.1]
    return {"thetas": thetas.tolist(), "js_point_masses": js_point, "w1_point_masses": w1_point,
            "js_point_max_error": max(abs(v - LOG2) for v in js_point),
            "js_point_max_slope": float(np.max(np.abs(fd[same_side]))),
            "w1_point_max_error": max(abs(v - abs(t)) for v, t in zip(w1_point, thetas)),
            "noise": list(NOISE), "noisy": noisy,
            "tiny_noise_max_grad": float(np.max(np.abs(noisy[str(NOISE[0])]["grad"])[far])),
            "noise_min_signed_grad": {str(s): float(np.min(signed[s])) for s in useful},
            "noise_max_signed_grad": {str(s): float(np.max(signed[s])) for s in useful}}


# ------------------------------------------------------------------------------ claim 5
def wgan_critic(distances, steps: int, hidden: int, batch: int, seed: int,
                eval_samples: int = 50_000) -> dict:
    """Train a critic with the one-sided gradient penalty between N(0, 1) and N(d, 1) for
    each d; estimate W1 as E_p f - E_q f on fresh samples."""
    import chainrule as cr
    from ..models.gan import MLPDiscriminator, gradient_penalty

    rng = np.random.default_rng(seed)
    cr.manual_seed(seed)
    estimates, critics = [], []
    xs = np.linspace(-4.0, 8.0, 121)
    for d in distances:
        f = MLPDiscriminator(1, (hidden, hidden))
        opt = cr.optim.Adam(f.parameters(), lr=5e-3, betas=(0.5, 0.9))
        for _ in range(steps):
            real = cr.tensor(rng.normal(size=(batch, 1)), dtype=cr.float32)
            fake = cr.tensor(rng.normal(d, 1.0, size=(batch, 1)), dtype=cr.float32)
            alpha = cr.tensor(rng.random(size=(batch, 1)), dtype=cr.float32)
            loss = (f(fake).mean() - f(real).mean()
                    + GP_WEIGHT * gradient_penalty(f, real, fake, alpha=alpha, one_sided=True))
            opt.zero_grad()
            loss.backward()
            opt.step()
        with cr.no_grad():
            real = cr.tensor(rng.normal(size=(eval_samples, 1)), dtype=cr.float32)
            fake = cr.tensor(rng.normal(d, 1.0, size=(eval_samples, 1)), dtype=cr.float32)
            estimates.append(float(f(real).mean() - f(fake).mean()))
            curve = f(cr.tensor(xs[:, None], dtype=cr.float32)).numpy().astype(np.float64)
        critics.append((curve - curve[np.argmin(np.abs(xs))]).tolist())
    true = np.array(distances, dtype=np.float64)
    est = np.array(estimates)
    predicted = true * (1 + true / (2 * GP_WEIGHT))
    return {"distances": list(map(float, distances)), "w1_true": true.tolist(),
            "estimates": estimates, "gp_prediction": predicted.tolist(),
            "steps": steps, "hidden": hidden, "batch": batch, "gp_weight": GP_WEIGHT,
            "correlation": float(np.corrcoef(true, est)[0, 1]),
            "monotone": bool(np.all(np.diff(est) > 0)),
            "min_increment": float(np.min(np.diff(est))) if len(est) > 1 else 0.0,
            "ratio_min": float(np.min(est / true)), "ratio_max": float(np.max(est / true)),
            "max_gp_prediction_error": float(np.max(np.abs(est - predicted) / true)),
            "critic_x": xs.tolist(), "critics": critics}


def measure(d_steps: int, d_hidden: int, d_lr: float, batch: int, w_steps: int, w_hidden: int,
            distances, seed: int = 0) -> dict:
    """All five claims' numbers (see the module docstring)."""
    return {"discriminator": optimal_discriminator(d_steps, d_hidden, d_lr, batch, seed),
            "saturation": saturation(seed), "disjoint": disjoint_supports(),
            "wgan": wgan_critic(distances, w_steps, w_hidden, batch, seed)}


def checks(r: dict) -> list[Check]:
    """The claims of the docstring, from the numbers of ``measure`` (or made-up ones)."""
    d, s, j, w = r["discriminator"], r["saturation"], r["disjoint"], r["wgan"]
    lo, hi = d["region"]
    useful = list(j["noise_min_signed_grad"])
    return [
        at_most("trained D approaches D* = p_data / (p_data + p_g) (max error)", d["max_error"],
                0.05, f"max |D - D*| on [{lo:.2f}, {hi:.2f}] where (p_data + p_g)/2 > {REGION}, "
                      f"{d['steps']} Adam steps"),
        at_most("trained D approaches D* (mass-weighted mean error)", d["mean_error"], 0.015,
                "int m |D - D*| / int m, m = (p_data + p_g) / 2"),
        at_most("V(D*, G) = -log 4 + 2 JS(p_data || p_g)", abs(d["v_star"] - d["v_formula"]),
                1e-9, f"V(D*) = {d['v_star']:.6f}, JS = {d['js']:.6f} (grid integrals)"),
        at_most("trained D's value is just below V(D*, G)", d["v_gap"], 2e-3,
                f"V(D*) - V(D_trained) = {d['v_gap']:.2e}; must be >= 0"),
        at_least("trained D's value does not exceed V(D*, G)", d["v_gap"], -1e-12,
                 "D* is the pointwise maximiser"),
        at_most("saturating gradient is -D, non-saturating -(1 - D) (autograd)",
                s["formula_error"], 1e-12, "max over logits in [-12, 4]"),
        at_most("saturating loss: gradient vanishes for a confident D", abs(s["sat_at"]), 1e-4,
                f"|d/dl log(1 - sigmoid(l))| at l = {s['at_logit']:g}; "
                f"non-saturating: {s['ns_at']:.6f}"),
        at_least("non-saturating loss: gradient stays ~1", abs(s["ns_at"]), 0.99,
                 f"|d/dl -log sigmoid(l)| at l = {s['at_logit']:g}"),
        at_most("through a confident D: saturating / non-saturating generator gradient",
                abs(s["dtheta_saturating"]) / abs(s["dtheta_nonsaturating"]), 1e-2,
                f"d/dtheta at theta = {s['theta']:g}: {s['dtheta_saturating']:.2e} vs "
                f"{s['dtheta_nonsaturating']:.4f}, mean D(G(z)) = {s['mean_d_on_fakes']:.1e}"),
        at_least("non-saturating gradient points theta back to the data",
                 s["dtheta_nonsaturating"], 0.5 * s["theta"],
                 "d/dtheta E[-log D(z + theta)] (descent lowers theta)"),
        at_most("disjoint supports: JS = log 2 for every theta != 0", j["js_point_max_error"],
                1e-12, "delta_0 vs delta_theta, theta in [-3, 3]"),
        at_most("disjoint supports: JS is flat (zero gradient)", j["js_point_max_slope"], 1e-12,
                "max |finite difference of JS| between neighbouring thetas"),
        at_most("disjoint supports: W1 = |theta|", j["w1_point_max_error"], 1e-12,
                "max |W1 - |theta||"),
        at_most("tiny instance noise: JS gradient still vanishes", j["tiny_noise_max_grad"], 1e-9,
                f"max |dJS/dtheta| at |theta| >= 0.5 with s = {j['noise'][0]}"),
        at_least("instance noise: JS gradient non-zero, pointing to theta = 0",
                 min(j["noise_min_signed_grad"].values()), 1e-3,
                 "min over theta != 0 of sign(theta) dJS/dtheta, s = " + ", ".join(useful)),
        at_least("WGAN critic estimate grows with W1", w["min_increment"], 0.0,
                 f"min increment of E_p f - E_q f between distances {w['distances']}"),
        at_least("WGAN critic estimate correlates with W1", w["correlation"], 0.95,
                 "Pearson correlation of estimates with d"),
        at_least("WGAN critic estimate within a factor of W1 (below)", w["ratio_min"], 0.7,
                 "min estimate / d"),
        at_most("WGAN critic estimate within a factor of W1 (above)", w["ratio_max"], 1.4,
                f"max estimate / d; GP bias d (1 + d / (2 lambda)) predicts up to "
                f"{max(p / t for p, t in zip(w['gp_prediction'], w['w1_true'])):.2f}"),
        at_most("WGAN-GP estimate follows d (1 + d / (2 lambda))", w["max_gp_prediction_error"],
                0.2, f"max |estimate - d (1 + d / (2 lambda))| / d, lambda = {w['gp_weight']:g}"),
    ]


# ------------------------------------------------------------------------------ plots
def plot_discriminator(r: dict, path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    d = r["discriminator"]
    x = np.array(d["x"])
    keep = np.ones(x.shape, dtype=bool)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    axes[0].plot(x[keep], np.array(d["p_data"])[keep], color="k", label="p_data")
    axes[0].plot(x[keep], np.array(d["p_g"])[keep], color="tab:orange", label="p_g")
    axes[0].plot(x[keep], np.array(d["d_star"])[keep], color="tab:red", lw=2.5, alpha=0.6,
                 label="D* = p_data / (p_data + p_g)")
    axes[0].plot(x[keep], np.array(d["d_trained"])[keep], color="tab:blue", ls="--",
                 label=f"trained D ({d['steps']} steps)")
    axes[0].axvspan(*d["region"], color="gray", alpha=0.08, label="measured region")
    axes[0].set_title(f"V(D*) = {d['v_star']:.4f} = -log 4 + 2 JS;  V(D) = {d['v_trained']:.4f}",
                      fontsize=10)
    axes[0].set_xlabel("x")
    axes[0].legend(fontsize=8)
    err = np.abs(np.array(d["d_trained"]) - np.array(d["d_star"]))
    axes[1].plot(x[keep], err[keep], color="tab:blue")
    axes[1].axvspan(*d["region"], color="gray", alpha=0.08)
    axes[1].set_xlabel("x")
    axes[1].set_title(f"|D - D*|: max {d['max_error']:.3f} in the region, "
                      f"weighted mean {d['mean_error']:.4f}", fontsize=10)
    return save_figure(fig, path, dpi=110)


def plot_gradients(r: dict, path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    s, j = r["saturation"], r["disjoint"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    ax = axes[0]
    ax.semilogy(s["logits"], np.abs(s["grad_saturating"]), color="tab:red",
                label="|d/dl log(1 - D)| = D  (saturating)")
    ax.semilogy(s["logits"], np.abs(s["grad_nonsaturating"]), color="tab:blue",
                label="|d/dl -log D| = 1 - D  (non-saturating)")
    ax.set_xlabel("discriminator logit l on a fake (D = sigmoid(l))")
    ax.set_title("generator gradients when D rejects the fakes")
    ax.legend(fontsize=8)
    thetas = np.array(j["thetas"])
    ax = axes[1]
    ax.plot(thetas, j["js_point_masses"], "o", ms=3, color="k", label="JS(delta_0, delta_theta)")
    ax.plot(thetas, j["w1_point_masses"], color="tab:green", label="W1 = |theta|")
    for noise, color in zip(j["noise"][1:], ("tab:purple", "tab:orange")):
        ax.plot(thetas, j["noisy"][str(noise)]["js"], color=color,
                label=f"JS with instance noise s = {noise}")
    ax.axhline(LOG2, color="gray", ls=":", lw=0.8)
    ax.set_xlabel("theta")
    ax.set_title("disjoint supports: JS is flat at log 2, W1 is not")
    ax.legend(fontsize=8)
    ax = axes[2]
    for noise, color in zip(j["noise"], ("k", "tab:purple", "tab:orange")):
        ax.plot(thetas, j["noisy"][str(noise)]["grad"], color=color, label=f"s = {noise}")
    ax.axhline(0, color="gray", lw=0.5)
    ax.set_xlabel("theta")
    ax.set_title("dJS/dtheta (autograd): zero without noise")
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=110)


def plot_wgan(r: dict, path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    w = r["wgan"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    top = max(w["distances"]) * 1.1
    axes[0].plot([0, top], [0, top], "k:", lw=0.8, label="W1 = d")
    grid = np.linspace(0, top, 100)
    axes[0].plot(grid, grid * (1 + grid / (2 * w["gp_weight"])), color="gray", ls="--", lw=0.8,
                 label="linear critic with the penalty: d (1 + d / 2 lambda)")
    axes[0].plot(w["distances"], w["estimates"], "o-", color="tab:blue",
                 label="critic estimate E_p f - E_q f")
    axes[0].set_xlabel("d (p = N(0, 1), q = N(d, 1): W1 = d)")
    axes[0].set_title(f"critic with one-sided GP (lambda = {w['gp_weight']:g}), {w['steps']} "
                      f"steps: corr {w['correlation']:.4f}", fontsize=10)
    axes[0].legend(fontsize=8)
    cmap = plt.get_cmap("viridis")
    for k, (dist, curve) in enumerate(zip(w["distances"], w["critics"])):
        axes[1].plot(w["critic_x"], curve, color=cmap(k / max(1, len(w["distances"]) - 1)),
                     label=f"d = {dist:g}")
    axes[1].set_xlabel("x")
    axes[1].set_title("trained critics f(x) - f(0) (slope ~ -1 where the data is)")
    axes[1].legend(fontsize=8)
    return save_figure(fig, path, dpi=110)


def run(quick: bool = False, out: Path | str = "runs/lab/gan-theory") -> list[Check]:
    """Measure the five claims; write ``gan_theory.json`` and three PNGs into ``out``."""
    out = output_dir(out)
    budget = QUICK if quick else FULL
    r = measure(**budget)
    found = checks(r)
    write_numbers(out / "gan_theory.json", quick, budget, r, found, indent=None)
    plot_discriminator(r, out / "gan_theory_discriminator.png")
    plot_gradients(r, out / "gan_theory_gradients.png")
    plot_wgan(r, out / "gan_theory_wgan.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
