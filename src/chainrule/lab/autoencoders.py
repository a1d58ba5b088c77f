"""Autoencoders: the linear one finds PCA, the IWAE bound closes on log p(x), beta trades
reconstruction for KL, and Gumbel-softmax samples harden as the temperature falls.

Claim a, linear autoencoder = PCA. For centred data X (n x D) the reconstruction error
||X - X W_e^T W_d^T||_F^2 of a rank-p linear map is at least the sum of the D - p smallest
eigenvalues of X^T X (Eckart-Young), and that minimum is reached exactly when the decoder's
columns span the top-p principal subspace U_p (the first p right singular vectors of X); every
other critical point is a saddle (Baldi & Hornik, 1989). So a ``LinearAutoencoder`` trained on
the mean squared error should end with its decoder W_d (D x p) spanning U_p: the largest
principal angle between span(W_d) and span(U_p) (scipy.linalg.subspace_angles) goes to 0, and
its error to the Eckart-Young minimum sum_{i>p} lambda_i / (n D) (per entry).

Claim b, the IWAE bound. For z_1..z_k ~ q(z|x) iid and weights w_i = p(x, z_i) / q(z_i|x),
L_k(x) = E[log (1/k) sum_i w_i] <= log E[(1/k) sum_i w_i] = log p(x) (Jensen), L_1 is the ELBO,
L_k <= L_{k+1} (Burda et al., 2016), and L_k -> log p(x). On a linear-Gaussian model,
p(z) = N(0, I_d), p(x|z) = N(W z + b, s^2 I_D), everything is closed form:
log p(x) = log N(x; b, W W^T + s^2 I), the posterior is p(z|x) = N(S W^T (x - b) / s^2, S) with
S = (I + W^T W / s^2)^-1. The encoder is deliberately wrong: q(z|x) = N(m(x) + delta,
diag(c^2 diag S)), its mean shrunk (m(x) -> 0.95 m(x)) and shifted by delta = 0.5 sqrt(diag S)
(alternating signs), its covariance diagonal and widened by c = 1.3. Then the gap of the ELBO is
log p(x) - L_1 = KL(q(z|x) || p(z|x)) (closed form), and with v = w / p(x) (E_q v = 1) a second
order expansion gives log p(x) - L_k ~ Var_q(v) / (2k) = (rho(x) - 1) / (2k) for large k, where
rho(x) = E_q[v^2] = integral p(z|x)^2 / q(z|x) dz is a Gaussian integral (finite because
c^2 diag S > S / 2 here). The bounds are estimated with chainrule's ``VAE.log_weights`` (a
``VAE`` subclass with these Gaussians, float64 tensors) for k = 1, 2, 5, 10, 50, 500, 5000,
averaged over many x and repeats. Besides the plain estimate log p(x) - L^_k, the gap is also
measured with a control variate: with m = (1/k) sum_i v_i, E[m] = 1 exactly, so
gap_k = E[m - 1 - log m], and m - 1 - log m >= 0 for every draw -- far less noisy at large k.

Claim c, beta-VAE. The beta-VAE loss -E_q[log p(x|z)] + beta KL(q(z|x) || p(z)) prices the
information the code carries at beta nats per nat: a larger beta buys a smaller KL (rate) with a
larger reconstruction error (distortion) (Higgins et al., 2017; Alemi et al., 2018). ``BetaVAE``
(MLP 784-h-z, Bernoulli decoder) is trained with beta = 0.5, 1, 4, 16 on the binarised embedded
MNIST sample, same seed, same steps; on the 1,000 held-out digits the KL must fall and the
reconstruction error rise with beta (both strictly monotone), and beta = 1, which trains the
ELBO itself, must end with a lower test -ELBO than beta = 4 and 16.

Claim d, Gumbel-softmax. y = softmax((log pi + g) / tau), g_k ~ Gumbel(0, 1) iid
(``RelaxedOneHotCategorical``). argmax_k y_k = argmax_k (log pi_k + g_k) does not depend on tau
and is an exact Categorical(pi) draw (the Gumbel-max trick), so the argmax frequencies match pi at
every temperature (chi-square test); as tau -> 0 the softmax becomes the hard argmax, so
samples approach one-hot vertices (mean of max_k y_k -> 1) and E[y] -> pi; as tau grows the
logits are divided away and y -> (1/K, ..., 1/K), so the entropy -sum_k y_k log y_k of the
sample vector rises toward log K.

Measured here (quick variant in brackets):
a) ``LinearAutoencoder(784, 16)`` on the 4,000 centred embedded MNIST digits, full-batch Adam
   (lr 0.01, cosine decay, 1,000 steps) [``LinearAutoencoder(40, 4)`` on a synthetic rank-4 +
   noise set, 600 x 40, lr 0.1, 600 steps]; checked: largest principal angle < 0.01 rad, error
   within 0.1 % of the Eckart-Young minimum.
b) d = 4, D = 12, s = 1.5; 200 x drawn from the model, 8 repeats [100 x, 2 repeats]; checked:
   every mean L^_k <= log p(x) + 3 SE; the gap falls with k (plain estimate: up to 3 SE;
   control variate: strictly); the k = 1 gap equals KL(q || p(z|x)) within 4 SE; at k = 5000
   the gap is (rho - 1) / (2k) within 20 %.
c) hidden 256, latent 16, 2,500 Adam steps (lr 1e-3) on batches of 100 of the 4,000 training
   digits [hidden 64, latent 8, 1,000 digits, 100 steps, lr 2e-3]; KL and reconstruction on the
   1,000 test digits with 5 posterior samples each; checked as stated above.
d) pi = (0.6, 0.3, 0.1), 20,000 samples per tau [4,000]; checked: chi-square p-value >= 0.001
   at every tau, mean max entry >= 0.95 at tau = 0.1 and falling with tau, entropy rising with
   tau and >= 0.9 log K at tau = 5.
Budget on one core: full about 2.5 minutes of CPU (measured 129 s; 7.6 min wall on the shared,
busy 2-core machine; under the 8 minutes allowed), quick about 8 s of CPU. Files:
``autoencoders_linear.png``, ``autoencoders_iwae.png``, ``autoencoders_beta.png``,
``autoencoders_gumbel.png`` and ``autoencoders.json``.

    python -m chainrule.lab.autoencoders [--quick] [--out DIR]
"""
from __future__ import annotations

import math
from pathlib import Path

from ..backend import np
from ..models.autoencoders import VAE, BetaVAE, LinearAutoencoder, binarize
from ._checks import (Check, at_least, at_most, experiment_main, output_dir, pyplot, save_figure,
                      write_numbers)

NAME = "autoencoders"
SEED = 0
KS = (1, 2, 5, 10, 50, 500, 5000)
BETAS = (0.5, 1.0, 4.0, 16.0)
TAUS = (0.1, 0.5, 1.0, 5.0)
GUMBEL_PROBS = (0.6, 0.3, 0.1)
LINEAR_DATA = ("mnist-sample", "synthetic")

FULL = {
    "linear": {"data": "mnist-sample", "p": 16, "steps": 1000, "lr": 0.01, "every": 20},
    "iwae": {"n_x": 200, "repeats": 8, "ks": KS},
    "beta": {"train": 4000, "hidden": 256, "latent": 16, "steps": 2500, "batch": 100,
             "lr": 1e-3, "betas": BETAS},
    "gumbel": {"samples": 20000, "taus": TAUS},
}
QUICK = {
    "linear": {"data": "synthetic", "p": 4, "steps": 600, "lr": 0.1, "every": 10},
    "iwae": {"n_x": 100, "repeats": 2, "ks": KS},
    "beta": {"train": 1000, "hidden": 64, "latent": 8, "steps": 100, "batch": 100,
             "lr": 2e-3, "betas": BETAS},
    "gumbel": {"samples": 4000, "taus": TAUS},
}

ANGLE_TOL = 0.01         # rad, largest principal angle
EXCESS_TOL = 1e-3        # relative excess of the linear AE's error over Eckart-Young
Z_TOL = 3.0              # standard errors allowed for Monte Carlo noise
KL_Z_TOL = 4.0
ASYMPTOTE_TOL = 0.2      # relative, k * gap vs (rho - 1) / 2 at the largest k
CHI2_ALPHA = 1e-3
ONE_HOT = 0.95           # mean max entry at the smallest tau
UNIFORM = 0.9            # entropy / log K at the largest tau


# ============================================================================ data
def mnist_sample(train: bool = True):
    """The embedded MNIST sample as float32 (n, 784) in [0, 1]."""
    from ..data import MNISTSample

    images = MNISTSample(train=train).data.numpy()
    return (images.reshape(len(images), -1).astype(np.float32) / np.float32(255))


def synthetic_low_rank(n: int = 600, dim: int = 40, rank: int = 4, noise: float = 0.1,
                       seed: int = SEED):
    """float32 (n, dim): rank-``rank`` Gaussian data (component scales 4, 3, 2, 1.5, ...) plus
    isotropic noise of std ``noise``, not centred."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((dim, rank)))[0]
    scales = np.linspace(4.0, 1.5, rank)
    x = (rng.standard_normal((n, rank)) * scales) @ basis.T + noise * rng.standard_normal(
        (n, dim)) + rng.standard_normal(dim)
    return x.astype(np.float32)


# ============================================================================ a: linear AE
def principal_subspace(x, p: int):
    """(D, p): the top-p right singular vectors of ``x`` (already centred), and the
    eigenvalues of x^T x / n, largest first (float64)."""
    x = np.asarray(x, dtype=np.float64)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    return vt[:p].T, s ** 2 / len(x)


def largest_angle(a, b) -> float:
    """The largest principal angle (rad) between the column spaces of ``a`` and ``b``."""
    from scipy.linalg import subspace_angles
    return float(np.max(subspace_angles(np.asarray(a, np.float64), np.asarray(b, np.float64))))


def measure_linear(data: str, p: int, steps: int, lr: float, every: int,
                   seed: int = SEED) -> dict:
    """Train ``LinearAutoencoder(D, p)`` on centred ``data`` with full-batch Adam (cosine lr);
    return the largest principal angle to the PCA subspace along the way and the errors."""
    import chainrule as cr
    from scipy.linalg import subspace_angles

    if data not in LINEAR_DATA:
        raise ValueError(f"autoencoders.measure_linear: unknown data {data!r}; expected one of "
                         f"{LINEAR_DATA}")
    x = mnist_sample(True) if data == "mnist-sample" else synthetic_low_rank(seed=seed)
    x = x - x.mean(axis=0)
    n, dim = x.shape
    u, eig = principal_subspace(x, p)
    optimum = float(eig[p:].sum() / dim)     # Eckart-Young, per entry of the MSE
    cr.manual_seed(seed)
    model = LinearAutoencoder(dim, p)
    xt = cr.from_numpy(np.ascontiguousarray(x))
    opt = cr.optim.Adam(model.parameters(), lr=lr)
    sched = cr.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    curve_steps, angles, losses = [], [], []
    for t in range(steps + 1):
        loss = model.loss(xt)
        if t % every == 0 or t == steps:
            curve_steps.append(t)
            angles.append(largest_angle(model.decoder.weight.detach().numpy(), u))
            losses.append(float(loss))
        if t == steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    final = subspace_angles(model.decoder.weight.detach().numpy().astype(np.float64), u)
    return {"data": data, "n": n, "dim": dim, "p": p, "steps": steps,
            "curve_steps": curve_steps, "max_angle": angles, "mse": losses,
            "final_angles": sorted(float(a) for a in final),
            "final_max_angle": angles[-1], "final_mse": losses[-1], "optimum_mse": optimum,
            "excess": losses[-1] / optimum - 1,
            "eigenvalues": [float(e) for e in eig[:min(len(eig), 2 * p + 8)]]}


# ============================================================================ b: IWAE bound
class LinearGaussianVAE(VAE):
    """The VAE family's bounds (``log_weights``, ``iwae_bound``, ``elbo``) on a fixed
    linear-Gaussian model: p(z) = N(0, I), p(x|z) = N(W z + b, s^2 I), and a Gaussian encoder
    q(z|x) = N(A x + c, diag(scale^2)). All arrays become float64 tensors (no parameters)."""

    def __init__(self, weight, bias, noise: float, enc_weight, enc_bias, enc_scale) -> None:
        from ..creation import from_numpy
        from .. import nn

        nn.Module.__init__(self)
        t = {k: from_numpy(np.ascontiguousarray(v, dtype=np.float64)) for k, v in
             {"W": weight, "b": bias, "A": enc_weight, "c": enc_bias,
              "scale": enc_scale}.items()}
        self.W, self.b, self.A, self.c, self.scale = (t[k] for k in ("W", "b", "A", "c",
                                                                     "scale"))
        self.noise = float(noise)
        self.in_features, self.latent_dim = self.W.shape

    def posterior(self, x):
        from ..distributions import Independent, Normal
        loc = x @ self.A.T + self.c
        return Independent(Normal(loc, self.scale.expand(*loc.shape)), 1)

    def decode(self, z):
        """The mean W z + b of p(x|z), for z of shape (..., d)."""
        return z @ self.W.T + self.b

    def likelihood(self, z):
        from ..distributions import Independent, Normal
        from ..creation import full_like
        loc = self.decode(z)
        return Independent(Normal(loc, full_like(loc, self.noise)), 1)


def gaussian_logpdf(x, mean, cov):
    """log N(x; mean, cov) for rows of x (n, D), float64."""
    x = np.atleast_2d(np.asarray(x, np.float64)) - mean
    sign, logdet = np.linalg.slogdet(cov)
    sol = np.linalg.solve(cov, x.T).T
    return -0.5 * (np.sum(x * sol, axis=1) + logdet + x.shape[1] * math.log(2 * math.pi))


def gaussian_kl(mu_q, cov_q, mu_p, cov_p):
    """KL(N(mu_q, cov_q) || N(mu_p, cov_p)) for rows of the means (n, d), float64."""
    d = cov_q.shape[0]
    inv_p = np.linalg.inv(cov_p)
    diff = np.atleast_2d(mu_p - mu_q)
    return 0.5 * (np.trace(inv_p @ cov_q) - d + np.sum(diff @ inv_p * diff, axis=1)
                  + np.linalg.slogdet(cov_p)[1] - np.linalg.slogdet(cov_q)[1])


def second_moment(mu_p, cov_p, mu_q, cov_q):
    """rho = integral N(z; mu_p, cov_p)^2 / N(z; mu_q, cov_q) dz for rows of the means, i.e.
    E_q[(p/q)^2]; inf where 2 cov_p^-1 - cov_q^-1 is not positive definite.

    log rho = -log|P| + 1/2 log|Q| - 1/2 log|A| + 1/2 h^T A^-1 h - m^T P^-1 m + 1/2 mu^T Q^-1 mu
    with P = cov_p, Q = cov_q, m = mu_p, mu = mu_q, A = 2 P^-1 - Q^-1, h = 2 P^-1 m - Q^-1 mu."""
    ip, iq = np.linalg.inv(cov_p), np.linalg.inv(cov_q)
    a = 2 * ip - iq
    if np.min(np.linalg.eigvalsh(a)) <= 0:
        return np.full(len(np.atleast_2d(mu_p)), np.inf)
    m, mu = np.atleast_2d(mu_p), np.atleast_2d(mu_q)
    h = m @ (2 * ip) - mu @ iq
    quad = np.sum(h @ np.linalg.inv(a) * h, axis=1)
    log_rho = (-np.linalg.slogdet(cov_p)[1] + 0.5 * np.linalg.slogdet(cov_q)[1]
               - 0.5 * np.linalg.slogdet(a)[1] + 0.5 * quad - np.sum(m @ ip * m, axis=1)
               + 0.5 * np.sum(mu @ iq * mu, axis=1))
    return np.exp(log_rho)


def linear_gaussian_problem(latent: int = 4, dim: int = 12, noise: float = 1.5,
                            shift: float = 0.5, shrink: float = 0.95, widen: float = 1.3,
                            seed: int = SEED) -> dict:
    """The model and the deliberately imperfect encoder of claim b, as float64 arrays, with the
    exact posterior (S, and the map x -> posterior mean = G (x - b))."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((dim, latent))
    b = rng.standard_normal(dim)
    cov_post = np.linalg.inv(np.eye(latent) + w.T @ w / noise ** 2)
    gain = cov_post @ w.T / noise ** 2                       # posterior mean = gain (x - b)
    sd = np.sqrt(np.diag(cov_post))
    signs = np.where(np.arange(latent) % 2 == 0, 1.0, -1.0)
    return {"W": w, "b": b, "noise": noise, "S": cov_post, "gain": gain,
            "enc_weight": shrink * gain, "enc_bias": -shrink * gain @ b + shift * signs * sd,
            "enc_scale": widen * sd}


def measure_iwae(n_x: int, repeats: int, ks=KS, seed: int = SEED,
                 chunk: int = 250_000) -> dict:
    """The IWAE bounds L_k of the imperfect encoder on ``n_x`` data points drawn from the model,
    ``repeats`` independent estimates each, against the exact log p(x) (see the docstring)."""
    import chainrule as cr
    from ..autograd import no_grad

    prob = linear_gaussian_problem(seed=seed)
    w, b, noise = prob["W"], prob["b"], prob["noise"]
    dim, latent = w.shape
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((n_x, latent)) @ w.T + b + noise * rng.standard_normal((n_x, dim))
    log_px = gaussian_logpdf(x, b, w @ w.T + noise ** 2 * np.eye(dim))
    mu_post = (x - b) @ prob["gain"].T
    mu_q = x @ prob["enc_weight"].T + prob["enc_bias"]
    cov_q = np.diag(prob["enc_scale"] ** 2)
    kl = gaussian_kl(mu_q, cov_q, mu_post, prob["S"])
    rho = second_moment(mu_post, prob["S"], mu_q, cov_q)
    model = LinearGaussianVAE(w, b, noise, prob["enc_weight"], prob["enc_bias"],
                              prob["enc_scale"])
    xt = cr.from_numpy(np.ascontiguousarray(x))
    cr.manual_seed(seed)
    rows = []
    for k in ks:
        per = max(1, chunk // k)             # data points per call: k * per samples
        est = np.empty((repeats, n_x))
        with no_grad():
            for r in range(repeats):
                for i in range(0, n_x, per):
                    lw = model.log_weights(xt[i:i + per], k)           # (k, chunk)
                    est[r, i:i + per] = (lw.logsumexp(0) - math.log(k)).numpy()
        gap = log_px - est                                   # per (repeat, x)
        log_m = -gap
        cv = np.expm1(log_m) - log_m                         # m - 1 - log m >= 0
        total = repeats * n_x
        rows.append({
            "k": k, "bound": float(est.mean()), "log_px": float(log_px.mean()),
            "gap": float(gap.mean()), "gap_se": float(gap.std(ddof=1) / math.sqrt(total)),
            "gap_cv": float(cv.mean()), "gap_cv_se": float(cv.std(ddof=1) / math.sqrt(total)),
            "predicted_large_k": float(np.mean(rho - 1) / (2 * k))})
    return {"latent": latent, "dim": dim, "noise": noise, "n_x": n_x, "repeats": repeats,
            "kl": float(kl.mean()), "kl_range": [float(kl.min()), float(kl.max())],
            "rho": float(rho.mean()), "rho_range": [float(rho.min()), float(rho.max())],
            "log_px": float(log_px.mean()), "rows": rows}


# ============================================================================ c: beta-VAE
def measure_beta(train: int, hidden: int, latent: int, steps: int, batch: int, lr: float,
                 betas=BETAS, seed: int = SEED, eval_samples: int = 5,
                 show: int = 8) -> dict:
    """Train one ``BetaVAE`` per beta on the binarised embedded MNIST sample (same seed, data
    order and steps); the held-out reconstruction error and KL (nats per image)."""
    import chainrule as cr
    from ..autograd import no_grad

    x_train = binarize(cr.from_numpy(mnist_sample(True)[:train]))
    x_test = binarize(cr.from_numpy(mnist_sample(False)))
    rows = []
    for beta in betas:
        cr.manual_seed(seed)
        model = BetaVAE(784, (hidden,), latent, beta=beta)
        opt = cr.optim.Adam(model.parameters(), lr=lr)
        order = np.random.default_rng(seed)
        last = []
        for t in range(steps):
            idx = order.integers(0, len(x_train), batch)
            loss = model.loss(x_train[cr.from_numpy(idx)])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if t >= steps - 50:
                last.append(float(loss))
        model.eval()
        with no_grad():
            cr.manual_seed(seed + 1)
            terms = model.loss_terms(x_test, k=eval_samples)
            recon = model.decode(model.encode(x_test[:show])[0]).sigmoid().numpy()
        rows.append({"beta": beta, "reconstruction": float(terms.reconstruction),
                     "kl": float(terms.kl),
                     "neg_elbo": float(terms.reconstruction) + float(terms.kl),
                     "train_loss_last50": float(np.mean(last)),
                     "reconstructions": recon.reshape(-1, 28, 28).round(3).tolist()})
    return {"train": len(x_train), "test": len(x_test), "hidden": hidden, "latent": latent,
            "steps": steps, "batch": batch, "rows": rows,
            "originals": x_test[:show].numpy().reshape(-1, 28, 28).tolist()}


# ============================================================================ d: Gumbel-softmax
def measure_gumbel(samples: int, taus=TAUS, probs=GUMBEL_PROBS, seed: int = SEED,
                   keep: int = 1500) -> dict:
    """``samples`` draws of RelaxedOneHotCategorical(tau, probs) per tau: one-hotness, the
    argmax frequencies against ``probs`` (chi-square), the entropy of the sample vectors."""
    import chainrule as cr
    from scipy.stats import chi2
    from ..distributions import RelaxedOneHotCategorical

    pi = np.asarray(probs, dtype=np.float64)
    kk = len(pi)
    rows = []
    cr.manual_seed(seed)
    for tau in taus:
        dist = RelaxedOneHotCategorical(tau, probs=cr.from_numpy(pi))
        y = dist.sample((samples,)).numpy()
        counts = np.bincount(y.argmax(-1), minlength=kk)
        expected = samples * pi
        stat = float(np.sum((counts - expected) ** 2 / expected))
        yc = np.clip(y, 1e-300, 1.0)
        rows.append({
            "tau": tau, "mean_max": float(y.max(-1).mean()),
            "argmax_freq": (counts / samples).tolist(),
            "argmax_max_abs_error": float(np.max(np.abs(counts / samples - pi))),
            "chi2": stat, "chi2_p": float(chi2.sf(stat, kk - 1)),
            "entropy": float(np.mean(-np.sum(y * np.log(yc), axis=-1))),
            "mean_sample": y.mean(0).tolist(),
            "mean_sample_max_abs_error": float(np.max(np.abs(y.mean(0) - pi))),
            "kept": y[:keep].round(4).tolist()})
    return {"probs": pi.tolist(), "samples": samples, "log_k": math.log(kk), "rows": rows}


# ============================================================================ measure / checks
def measure(budget: dict, seed: int = SEED) -> dict:
    """All four parts with the parameters of ``budget`` (``FULL`` or ``QUICK``)."""
    return {"linear": measure_linear(**budget["linear"], seed=seed),
            "iwae": measure_iwae(**budget["iwae"], seed=seed),
            "beta": measure_beta(**budget["beta"], seed=seed),
            "gumbel": measure_gumbel(**budget["gumbel"], seed=seed)}


def _strictly(values, direction: int) -> float:
    """The smallest step of ``values`` in ``direction`` (+1 rising, -1 falling): > 0 iff
    strictly monotone."""
    return min(direction * (b - a) for a, b in zip(values, values[1:]))


def checks(r: dict) -> list[Check]:
    """The claims of the docstring, from the numbers of ``measure`` (or made-up ones)."""
    lin, iw, bv, gs = r["linear"], r["iwae"], r["beta"], r["gumbel"]
    rows = iw["rows"]
    bound_z = max((row["bound"] - row["log_px"]) / row["gap_se"] for row in rows)
    plain_rise = max((b["gap"] - a["gap"]) / math.hypot(a["gap_se"], b["gap_se"])
                     for a, b in zip(rows, rows[1:]))
    first, last = rows[0], rows[-1]
    kl_z = abs(first["gap_cv"] - iw["kl"]) / first["gap_cv_se"]
    asymptote = last["gap_cv"] / last["predicted_large_k"]
    betas = bv["rows"]
    by_beta = {row["beta"]: row for row in betas}
    elbo_margin = (min(by_beta[b]["neg_elbo"] for b in (4.0, 16.0)) - by_beta[1.0]["neg_elbo"]
                   if all(b in by_beta for b in (1.0, 4.0, 16.0)) else float("nan"))
    g = gs["rows"]
    return [
        at_most("a. linear AE: decoder spans the top-p principal subspace",
                lin["final_max_angle"], ANGLE_TOL,
                f"largest principal angle (rad) to the top-{lin['p']} right singular vectors, "
                f"{lin['data']} {lin['n']} x {lin['dim']}, {lin['steps']} steps"),
        at_most("a. linear AE: error reaches the Eckart-Young minimum", lin["excess"],
                EXCESS_TOL,
                f"MSE / (sum of the {lin['dim'] - lin['p']} smallest eigenvalues / D) - 1"),
        at_most("b. IWAE: L_k <= log p(x) for every k", bound_z, Z_TOL,
                "max over k of (mean L^_k - mean log p(x)) / SE"),
        at_most("b. IWAE: the gap log p(x) - L_k falls with k (plain estimate)", plain_rise,
                Z_TOL, f"max over consecutive k in {[row['k'] for row in rows]} of the gap's "
                "rise in SE"),
        at_least("b. IWAE: the gap falls strictly with k (control variate)",
                 _strictly([row["gap_cv"] for row in rows], -1), 0.0,
                 "smallest drop of E[m - 1 - log m] between consecutive k (nats)"),
        at_most("b. IWAE: the k = 1 gap is KL(q(z|x) || p(z|x))", kl_z, KL_Z_TOL,
                f"|gap_1 - KL| / SE, KL = {iw['kl']:.4g} nats (closed form)"),
        at_most("b. IWAE: large-k gap = (rho - 1) / (2k)", abs(asymptote - 1), ASYMPTOTE_TOL,
                f"|gap / predicted - 1| at k = {last['k']}, mean rho = {iw['rho']:.4g}"),
        at_least("c. beta-VAE: KL falls with beta", _strictly([row["kl"] for row in betas], -1),
                 0.0, f"smallest drop of the test KL (nats) over beta = "
                 f"{[row['beta'] for row in betas]}"),
        at_least("c. beta-VAE: reconstruction error rises with beta",
                 _strictly([row["reconstruction"] for row in betas], 1), 0.0,
                 "smallest rise of the test -E_q log p(x|z) (nats)"),
        at_least("c. beta-VAE: beta = 1 has the best ELBO of beta = 1, 4, 16", elbo_margin, 0.0,
                 "min(-ELBO at beta 4, 16) - (-ELBO at beta 1), test nats"),
        at_least("d. Gumbel-softmax: argmax frequencies match pi at every tau",
                 min(row["chi2_p"] for row in g), CHI2_ALPHA,
                 f"smallest chi-square p-value over tau = {[row['tau'] for row in g]}"),
        at_least("d. Gumbel-softmax: near one-hot at the smallest tau", g[0]["mean_max"],
                 ONE_HOT, f"mean of max_k y_k at tau = {g[0]['tau']}"),
        at_least("d. Gumbel-softmax: one-hotness falls with tau",
                 _strictly([row["mean_max"] for row in g], -1), 0.0,
                 "smallest drop of the mean max entry"),
        at_least("d. Gumbel-softmax: entropy rises with tau",
                 _strictly([row["entropy"] for row in g], 1), 0.0,
                 "smallest rise of E[-sum y log y] (nats)"),
        at_least("d. Gumbel-softmax: near uniform at the largest tau",
                 g[-1]["entropy"] / gs["log_k"], UNIFORM,
                 f"E[-sum y log y] / log K at tau = {g[-1]['tau']}"),
    ]


# ============================================================================ plots
def plot_linear(lin: dict, path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    axes[0].semilogy(lin["curve_steps"], lin["max_angle"], color="tab:blue")
    axes[0].axhline(ANGLE_TOL, color="gray", ls="--", lw=0.8, label=f"{ANGLE_TOL} rad")
    axes[0].set_xlabel("Adam step (full batch)")
    axes[0].set_ylabel("largest principal angle (rad)")
    axes[0].set_title(f"span(decoder) vs top-{lin['p']} PCA subspace ({lin['data']})")
    axes[0].legend(fontsize=8)
    excess = [max(m / lin["optimum_mse"] - 1, 1e-9) for m in lin["mse"]]
    axes[1].semilogy(lin["curve_steps"], excess, color="tab:red")
    axes[1].axhline(EXCESS_TOL, color="gray", ls="--", lw=0.8)
    axes[1].set_xlabel("Adam step (full batch)")
    axes[1].set_ylabel("MSE / Eckart-Young minimum - 1")
    axes[1].set_title("reconstruction error above the rank-p optimum")
    return save_figure(fig, path, dpi=110)


def plot_iwae(iw: dict, path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    rows = iw["rows"]
    ks = np.array([row["k"] for row in rows], dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    axes[0].errorbar(ks, [row["bound"] for row in rows],
                     yerr=[3 * row["gap_se"] for row in rows], marker="o", capsize=3,
                     label="IWAE bound L_k (mean over x, +-3 SE)")
    axes[0].axhline(iw["log_px"], color="k", ls="--", lw=1, label="log p(x) (exact)")
    axes[0].axhline(iw["log_px"] - iw["kl"], color="gray", ls=":", lw=1,
                    label="log p(x) - KL(q || p(z|x)) (ELBO)")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("k (importance samples)")
    axes[0].set_ylabel("nats (mean over x)")
    axes[0].set_title(f"linear-Gaussian model, d = {iw['latent']}, D = {iw['dim']}")
    axes[0].legend(fontsize=8)
    axes[1].loglog(ks, [row["gap_cv"] for row in rows], "o-", label="log p(x) - L_k "
                   "(control variate)")
    shown = [i for i, row in enumerate(rows) if row["gap"] > 0]     # a log axis: gap > 0 only
    axes[1].errorbar(ks[shown], [rows[i]["gap"] for i in shown],
                     yerr=[rows[i]["gap_se"] for i in shown], fmt="s", mfc="none", capsize=3,
                     color="tab:orange", label="log p(x) - L_k (plain, +-SE; > 0 only)")
    axes[1].loglog(ks, (iw["rho"] - 1) / (2 * ks), "k:", label="(rho - 1) / (2k)")
    axes[1].axhline(iw["kl"], color="gray", ls=":", lw=1, label="KL(q || p(z|x))")
    cv = [row["gap_cv"] for row in rows]
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_ylim(min(cv) / 5, max(max(cv), iw["kl"]) * 3)
    axes[1].set_xlabel("k")
    axes[1].set_ylabel("gap (nats)")
    axes[1].set_title("the bound closes like 1/k")
    axes[1].legend(fontsize=8)
    return save_figure(fig, path, dpi=110)


def plot_beta(bv: dict, path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    rows = bv["rows"]
    betas = [row["beta"] for row in rows]
    fig = plt.figure(figsize=(12, 7.5))
    grid = fig.add_gridspec(2, 3, height_ratios=[1.0, 1.0])
    ax = fig.add_subplot(grid[0, 0])
    ax.semilogx(betas, [row["reconstruction"] for row in rows], "o-", color="tab:red")
    ax.set_xlabel("beta")
    ax.set_ylabel("-E_q log p(x|z) (nats)")
    ax.set_title("reconstruction error (test)")
    ax = fig.add_subplot(grid[0, 1])
    ax.semilogx(betas, [row["kl"] for row in rows], "o-", color="tab:blue")
    ax.set_xlabel("beta")
    ax.set_ylabel("KL(q(z|x) || p(z)) (nats)")
    ax.set_title("KL / rate (test)")
    ax = fig.add_subplot(grid[0, 2])
    ax.plot([row["kl"] for row in rows], [row["reconstruction"] for row in rows], "o-",
            color="tab:purple")
    for row in rows:
        ax.annotate(f"beta={row['beta']:g}", (row["kl"], row["reconstruction"]), fontsize=8,
                    xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("rate: KL (nats)")
    ax.set_ylabel("distortion: reconstruction (nats)")
    ax.set_title("rate-distortion")
    sub = grid[1, :].subgridspec(len(rows) + 1, len(bv["originals"]), hspace=0.05, wspace=0.05)
    pictures = [("data", bv["originals"])] + [(f"beta={row['beta']:g}", row["reconstructions"])
                                              for row in rows]
    for i, (label, images) in enumerate(pictures):
        for j, image in enumerate(images):
            a = fig.add_subplot(sub[i, j])
            a.imshow(np.asarray(image), cmap="gray", vmin=0, vmax=1)
            a.set_xticks([])
            a.set_yticks([])
            if j == 0:
                a.set_ylabel(label, fontsize=7)
    fig.suptitle(f"beta-VAE on the binarised MNIST sample ({bv['train']} train / {bv['test']} "
                 f"test, MLP 784-{bv['hidden']}-{bv['latent']}, {bv['steps']} steps); bottom: "
                 "test digits and their reconstructions (posterior mean)", fontsize=9)
    return save_figure(fig, path, dpi=110)


def plot_gumbel(gs: dict, path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    rows = gs["rows"]
    fig, axes = plt.subplots(1, len(rows) + 1, figsize=(4 * (len(rows) + 1), 4))
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, math.sqrt(3) / 2]])
    pi = np.asarray(gs["probs"])
    for ax, row in zip(axes, rows):
        y = np.asarray(row["kept"])
        xy = y[:, :3] @ corners if y.shape[1] == 3 else y[:, :2]
        ax.plot(*np.vstack([corners, corners[:1]]).T, color="k", lw=0.8)
        ax.scatter(xy[:, 0], xy[:, 1], s=3, alpha=0.3, c=y.argmax(-1), cmap="viridis")
        ax.plot(*(pi @ corners), "r*", ms=10, label="pi")
        ax.set_title(f"tau = {row['tau']:g}: mean max {row['mean_max']:.3f}", fontsize=9)
        ax.set_aspect("equal")
        ax.axis("off")
        for c, name in zip(corners, ("1", "2", "3")):
            ax.annotate(f"e{name} (pi={pi[int(name) - 1]:g})", c, fontsize=7,
                        ha="center", va="top" if c[1] == 0 else "bottom")
    ax = axes[-1]
    taus = [row["tau"] for row in rows]
    ax.semilogx(taus, [row["mean_max"] for row in rows], "o-", label="mean max_k y_k")
    ax.semilogx(taus, [row["entropy"] / gs["log_k"] for row in rows], "s-",
                label="entropy / log K")
    ax.semilogx(taus, [row["argmax_max_abs_error"] for row in rows], "^-",
                label="max |argmax freq - pi|")
    ax.set_xlabel("temperature tau")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"{gs['samples']} samples per tau, pi = {tuple(gs['probs'])}", fontsize=9)
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=110)


# ============================================================================ run
def _numbers(r: dict) -> dict:
    """``r`` without the bulky arrays kept only for the plots."""
    beta = {**r["beta"], "rows": [{k: v for k, v in row.items() if k != "reconstructions"}
                                  for row in r["beta"]["rows"]]}
    beta.pop("originals", None)
    gumbel = {**r["gumbel"], "rows": [{k: v for k, v in row.items() if k != "kept"}
                                      for row in r["gumbel"]["rows"]]}
    return {**r, "beta": beta, "gumbel": gumbel}


def run(quick: bool = False, out: Path | str = "runs/lab/autoencoders") -> list[Check]:
    """Measure the four claims; write ``autoencoders.json`` and the four PNGs into ``out``."""
    out = output_dir(out)
    budget = QUICK if quick else FULL
    r = measure(budget)
    found = checks(r)
    write_numbers(out / "autoencoders.json", quick, budget, _numbers(r), found)
    plot_linear(r["linear"], out / "autoencoders_linear.png")
    plot_iwae(r["iwae"], out / "autoencoders_iwae.png")
    plot_beta(r["beta"], out / "autoencoders_beta.png")
    plot_gumbel(r["gumbel"], out / "autoencoders_gumbel.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
