"""The autoencoders experiment: its closed forms, the linear-Gaussian VAE, its checks on
made-up numbers, the quick variant."""
import copy
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import lab
from chainrule.lab import autoencoders as A


# ------------------------------------------------------------------ closed forms
def _grid(half=25.0, n=601):
    g = np.linspace(-half, half, n)
    return np.stack(np.meshgrid(g, g), -1).reshape(-1, 2), (g[1] - g[0]) ** 2


def test_gaussian_closed_forms_match_numerical_integration():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    low = rng.standard_normal((2, 2))
    cov_p = low @ low.T + 0.3 * np.eye(2)
    cov_q = np.diag(np.diag(cov_p)) * 1.3
    mu_p, mu_q = np.array([[0.3, -0.2]]), np.array([[0.5, 0.1]])
    z, dz = _grid()
    lp = A.gaussian_logpdf(z, mu_p[0], cov_p)
    lq = A.gaussian_logpdf(z, mu_q[0], cov_q)
    assert lp[:5] == pytest.approx(scipy_stats.multivariate_normal(mu_p[0], cov_p).logpdf(z[:5]))
    assert A.second_moment(mu_p, cov_p, mu_q, cov_q)[0] == pytest.approx(
        np.sum(np.exp(2 * lp - lq)) * dz, rel=1e-6)
    assert A.gaussian_kl(mu_q, cov_q, mu_p, cov_p)[0] == pytest.approx(
        np.sum(np.exp(lq) * (lq - lp)) * dz, rel=1e-6)
    # q = p: no gap, rho = 1
    assert A.gaussian_kl(mu_p, cov_p, mu_p, cov_p)[0] == pytest.approx(0, abs=1e-12)
    assert A.second_moment(mu_p, cov_p, mu_p, cov_p)[0] == pytest.approx(1, rel=1e-12)


def test_second_moment_is_infinite_for_a_too_narrow_proposal():
    cov_p = np.eye(2)
    assert np.isinf(A.second_moment(np.zeros((1, 2)), cov_p, np.zeros((1, 2)), 0.4 * cov_p)[0])
    assert np.isfinite(A.second_moment(np.zeros((1, 2)), cov_p, np.zeros((1, 2)),
                                       0.6 * cov_p)[0])


def test_largest_angle_between_subspaces():
    pytest.importorskip("scipy")
    theta = 0.3
    a = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    b = np.array([[1.0, 0.0], [0.0, math.cos(theta)], [0.0, math.sin(theta)]])
    assert A.largest_angle(a, b) == pytest.approx(theta, abs=1e-12)
    assert A.largest_angle(a, a @ np.array([[2.0, 1.0], [0.5, -1.0]])) == pytest.approx(
        0, abs=1e-7)


def test_principal_subspace_of_synthetic_data_is_its_signal():
    x = A.synthetic_low_rank(n=2000, dim=20, rank=3, noise=0.01)
    x = x - x.mean(axis=0)
    u, eig = A.principal_subspace(x, 3)
    assert u.shape == (20, 3)
    assert eig[2] > 100 * eig[3]                    # a clear gap after the signal's rank
    assert np.allclose(u.T @ u, np.eye(3), atol=1e-10)


def test_linear_part_rejects_unknown_data():
    with pytest.raises(ValueError, match="unknown data 'cifar'"):
        A.measure_linear("cifar", p=2, steps=1, lr=0.1, every=1)


# ------------------------------------------------------------------ the linear-Gaussian VAE
def _exact_encoder_model(noise=0.8):
    """A linear-Gaussian model with orthogonal columns of W (diagonal posterior), and q set to
    the exact posterior."""
    rng = np.random.default_rng(1)
    basis = np.linalg.qr(rng.standard_normal((6, 2)))[0]
    w = basis * np.array([1.5, 0.7])
    b = rng.standard_normal(6)
    cov_post = np.linalg.inv(np.eye(2) + w.T @ w / noise ** 2)
    gain = cov_post @ w.T / noise ** 2
    model = A.LinearGaussianVAE(w, b, noise, gain, -gain @ b, np.sqrt(np.diag(cov_post)))
    x = rng.standard_normal((7, 6))
    log_px = A.gaussian_logpdf(x, b, w @ w.T + noise ** 2 * np.eye(6))
    return model, x, log_px


def test_log_weights_equal_log_px_when_q_is_the_exact_posterior():
    model, x, log_px = _exact_encoder_model()
    cr.manual_seed(0)
    lw = model.log_weights(cr.from_numpy(x), 5)
    assert lw.dtype == cr.float64 and tuple(lw.shape) == (5, 7)
    assert np.allclose(lw.numpy(), log_px[None], atol=1e-10)
    for k in (1, 3):
        assert float(model.iwae_bound(cr.from_numpy(x), k)) == pytest.approx(log_px.mean(),
                                                                            abs=1e-10)


def test_elbo_gap_is_the_kl_to_the_posterior():
    prob = A.linear_gaussian_problem()
    model = A.LinearGaussianVAE(prob["W"], prob["b"], prob["noise"], prob["enc_weight"],
                                prob["enc_bias"], prob["enc_scale"])
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, prob["W"].shape[0])) * 2 + prob["b"]
    log_px = A.gaussian_logpdf(x, prob["b"], prob["W"] @ prob["W"].T
                               + prob["noise"] ** 2 * np.eye(len(prob["b"])))
    mu_q = x @ prob["enc_weight"].T + prob["enc_bias"]
    kl = A.gaussian_kl(mu_q, np.diag(prob["enc_scale"] ** 2), (x - prob["b"]) @ prob["gain"].T,
                       prob["S"])
    cr.manual_seed(0)
    with cr.no_grad():
        elbo = float(model.elbo(cr.from_numpy(x), k=20000))     # analytic KL to the prior
    assert elbo == pytest.approx(float(np.mean(log_px - kl)), abs=0.02)


def test_the_encoder_is_imperfect_but_has_finite_weight_variance():
    r = A.measure_iwae(n_x=20, repeats=1, ks=(1, 10))
    assert 1.0 < r["kl"] < 4.0
    assert 1.5 < r["rho"] < 10.0
    assert r["rows"][0]["bound"] < r["log_px"] - 0.5            # the ELBO is visibly loose
    assert r["rows"][1]["gap_cv"] < r["rows"][0]["gap_cv"]


# ------------------------------------------------------------------ Gumbel-softmax
def test_gumbel_argmax_is_categorical_and_low_tau_is_one_hot():
    r = A.measure_gumbel(samples=3000, taus=(0.02, 3.0), keep=10)
    cold, hot = r["rows"]
    assert cold["mean_max"] > 0.99 and cold["mean_sample_max_abs_error"] < 0.03
    for row in r["rows"]:
        assert row["argmax_max_abs_error"] < 0.03
        assert len(row["kept"]) == 10
    assert hot["entropy"] > cold["entropy"] + 0.5
    assert hot["entropy"] <= math.log(3) + 1e-12


# ------------------------------------------------------------------ checks and the quick run
@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("autoencoders")
    found = A.run(quick=True, out=out)
    return out, found, json.loads((out / "autoencoders.json").read_text())


def test_quick_run_writes_json_and_plots(quick_run):
    out, found, data = quick_run
    assert data["quick"] is True
    assert [c["name"] for c in data["checks"]] == [c.name for c in found]
    assert all(c.passed for c in found), [str(c) for c in found]
    assert data["linear"]["final_max_angle"] < A.ANGLE_TOL
    assert [row["k"] for row in data["iwae"]["rows"]] == list(A.KS)
    assert [row["beta"] for row in data["beta"]["rows"]] == list(A.BETAS)
    assert "reconstructions" not in data["beta"]["rows"][0]      # bulky arrays stay out
    pytest.importorskip("matplotlib")
    for part in ("linear", "iwae", "beta", "gumbel"):
        assert (out / f"autoencoders_{part}.png").stat().st_size > 1000


def test_checks_pass_on_measured_and_fail_on_made_up_numbers(quick_run):
    _, _, data = quick_run
    assert all(c.passed for c in A.checks(data))
    bad = copy.deepcopy(data)
    bad["linear"]["final_max_angle"] = 0.05                     # missed the PCA subspace
    rows = bad["iwae"]["rows"]
    rows[-1]["bound"] = rows[-1]["log_px"] + 10 * rows[-1]["gap_se"]    # above log p(x)
    rows[2]["gap"] = rows[1]["gap"] + 10 * rows[1]["gap_se"]           # rose with k
    rows[0]["gap_cv"] = bad["iwae"]["kl"] + 10 * rows[0]["gap_cv_se"]  # not the KL
    bad["beta"]["rows"][2]["kl"] = bad["beta"]["rows"][1]["kl"] + 1.0   # KL rose at beta 4
    bad["gumbel"]["rows"][0]["chi2_p"] = 1e-6                          # wrong frequencies
    bad["gumbel"]["rows"][-1]["entropy"] = 0.5 * bad["gumbel"]["log_k"]  # not near uniform
    outcome = {c.name: c.passed for c in A.checks(bad)}
    assert outcome == {
        "a. linear AE: decoder spans the top-p principal subspace": False,
        "a. linear AE: error reaches the Eckart-Young minimum": True,
        "b. IWAE: L_k <= log p(x) for every k": False,
        "b. IWAE: the gap log p(x) - L_k falls with k (plain estimate)": False,
        "b. IWAE: the gap falls strictly with k (control variate)": True,
        "b. IWAE: the k = 1 gap is KL(q(z|x) || p(z|x))": False,
        "b. IWAE: large-k gap = (rho - 1) / (2k)": True,
        "c. beta-VAE: KL falls with beta": False,
        "c. beta-VAE: reconstruction error rises with beta": True,
        "c. beta-VAE: beta = 1 has the best ELBO of beta = 1, 4, 16": True,
        "d. Gumbel-softmax: argmax frequencies match pi at every tau": False,
        "d. Gumbel-softmax: near one-hot at the smallest tau": True,
        "d. Gumbel-softmax: one-hotness falls with tau": True,
        "d. Gumbel-softmax: entropy rises with tau": False,
        "d. Gumbel-softmax: near uniform at the largest tau": False,
    }
    worse = copy.deepcopy(data)
    worse["linear"]["excess"] = 0.01
    worse["iwae"]["rows"][-1]["gap_cv"] *= 2
    worse["iwae"]["rows"][3]["gap_cv"] = 1.01 * worse["iwae"]["rows"][2]["gap_cv"]
    worse["beta"]["rows"][0]["reconstruction"] = 1e4
    worse["beta"]["rows"][1]["neg_elbo"] = 1e4
    worse["gumbel"]["rows"][0]["mean_max"] = 0.5
    failed = {c.name for c in A.checks(worse) if not c.passed}
    assert failed == {
        "a. linear AE: error reaches the Eckart-Young minimum",
        "b. IWAE: the gap falls strictly with k (control variate)",
        "b. IWAE: large-k gap = (rho - 1) / (2k)",
        "c. beta-VAE: reconstruction error rises with beta",
        "c. beta-VAE: beta = 1 has the best ELBO of beta = 1, 4, 16",
        "d. Gumbel-softmax: near one-hot at the smallest tau",
        "d. Gumbel-softmax: one-hotness falls with tau",
    }


def test_registered_in_the_lab():
    assert lab.experiment("autoencoders") is A
    assert A.NAME == "autoencoders"
