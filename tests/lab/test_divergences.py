"""The divergences experiment: its maths, its checks on made-up numbers, the quick variant."""
import json
import math

import numpy as np
import pytest

from chainrule.lab import divergences as D


def test_binned_gaussian_sums_to_one_and_keeps_both_tails():
    edges = np.linspace(-12, 12, 241)
    p = D.binned(edges, 2.0, 0.5)
    assert p.sum() == pytest.approx(1.0, abs=1e-15)
    assert p[-1] > 0 and p[0] > 0                   # no 1 - 1 cancellation in the far tails
    assert np.sum(p * 0.5 * (edges[1:] + edges[:-1])) == pytest.approx(2.0, abs=1e-6)


def test_mixture_moments_match_numerical_integration():
    x = np.linspace(-10, 12, 20001)
    w = np.exp(D.mixture_logpdf(x)) * (x[1] - x[0])
    mean, std = D.mixture_moments()
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.sum(w * x) == pytest.approx(mean, abs=1e-9)
    assert math.sqrt(np.sum(w * (x - mean) ** 2)) == pytest.approx(std, abs=1e-9)


def test_gaussian_kl_closed_form_and_bernoulli_kl():
    assert D.gaussian_kl(0, 1, 0, 1) == 0.0
    assert D.gaussian_kl(1.0, 1.0, 0.0, 1.0) == pytest.approx(0.5)
    assert D.kl_bernoulli(np.array(0.5), np.array(0.25)) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(2 / 3))


def test_kl_objective_gradient_in_mu_is_mean_gap_over_s2():
    """d/dmu KL(p || N(mu, s^2)) = -(E_p[x] - mu) / s^2, by chainrule's autograd."""
    import chainrule as cr
    x = np.linspace(-8, 10, 3001)
    w = np.full_like(x, x[1] - x[0])
    logp = D.mixture_logpdf(x)
    X, W, LP = (cr.tensor(a, dtype=cr.float64) for a in (x, w, logp))
    mu = cr.tensor(1.3, dtype=cr.float64, requires_grad=True)
    log_s = cr.tensor(math.log(0.8), dtype=cr.float64)
    (g,) = cr.autograd.grad(D.kl_objective(mu, log_s, X, W, LP), (mu,))
    mean, _ = D.mixture_moments()
    assert float(g) == pytest.approx(-(mean - 1.3) / 0.64, rel=1e-6)


def test_triangle_search_finds_the_known_counterexample():
    t = D.triangle(12)
    e = t["example"]
    assert e["kl_pr"] > 2 * (e["kl_pq"] + e["kl_qr"])
    assert t["kl_worst_ratio"] > 1.5
    assert 0 < t["kl_violations_fraction"] < 1
    assert t["sqrt_js_max_violation"] <= 1e-12


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("divergences")
    found = D.run(quick=True, out=out)
    return out, found, json.loads((out / "divergences.json").read_text())


def test_quick_run_writes_json_and_plots(quick_run):
    out, checks, data = quick_run
    assert data["fit"]["mu_gd"] == pytest.approx(D.mixture_moments()[0], abs=1e-6)
    assert data["js"]["log2"] == pytest.approx(math.log(2))
    assert data["w1"]["transport"]["cost"] == pytest.approx(
        data["w1"]["transport"]["w1_closed_form"], rel=1e-9)
    assert [c["name"] for c in data["checks"]] == [c.name for c in checks]
    assert all(c.passed for c in checks), [str(c) for c in checks]
    pytest.importorskip("matplotlib")
    for name in ("kl_asymmetry", "kl_fit", "transport"):
        assert (out / f"divergences_{name}.png").stat().st_size > 1000


def test_checks_pass_on_measured_and_fail_on_made_up_numbers(quick_run):
    _, found, r = quick_run
    assert [c.passed for c in D.checks(r)] == [c.passed for c in found]
    bad = json.loads(json.dumps(r))
    bad["histogram"]["kl_binned"] += 0.01                     # binning far from the limit
    bad["asymmetry"]["kl_qp"] = bad["asymmetry"]["kl_pq"] * 1.1   # almost symmetric
    bad["triangle"]["kl_worst_ratio"] = 0.9                   # triangle inequality held
    bad["triangle"]["sqrt_js_max_violation"] = 1e-3
    bad["gaussian"]["kl_divergence"] += 1e-6
    bad["gaussian"]["z_score"] = 6.0
    bad["fit"]["mu_gd"] = bad["fit"]["mode"]                  # GD found the mode, not the mean
    bad["fit"]["joint_sigma"] += 0.01
    bad["fit"]["mu_reverse_argmin"] = bad["fit"]["mean"]
    bad["js"]["max_js_random"] = 0.7
    bad["js"]["max_disjoint_error"] = 1e-3
    bad["w1"]["max_shift_error_exact"] = 1e-3
    bad["w1"]["max_shift_error_independent"] = 0.2
    bad["w1"]["transport"]["cost"] += 1e-3
    outcome = {c.name: c.passed for c in D.checks(bad)}
    assert outcome == {c.name: False for c in found}
