"""The gan-theory experiment: its maths, its checks on made-up numbers, the quick variant."""
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.analysis import js_discrete
from chainrule.lab import gan_theory as G


def test_mixtures_are_normalised_and_sampled_with_their_moments():
    x = np.linspace(-10, 10, 8001)
    h = x[1] - x[0]
    for mix in (G.DATA, G.GEN):
        assert h * np.exp(G.mixture_logpdf(x, mix)).sum() == pytest.approx(1.0, abs=1e-9)
    sample = G.mixture_sample(G.DATA, 200_000, np.random.default_rng(1))
    assert sample.shape == (200_000, 1)
    assert sample.mean() == pytest.approx(0.6 * -1.0 + 0.4 * 1.5, abs=0.01)


def test_value_at_the_optimal_discriminator_is_minus_log4_plus_2js():
    p, q = np.array([0.1, 0.4, 0.5, 0.0]), np.array([0.3, 0.3, 0.0, 0.4])
    d_star = p / (p + q)
    v = G.value(d_star, p, q, 1.0)
    assert v == pytest.approx(-math.log(4) + 2 * js_discrete(p, q), abs=1e-12)
    # any other D is worse, pointwise
    for d in (np.full(4, 0.5), np.clip(d_star + 0.05, 0, 1)):
        assert G.value(d, p, q, 1.0) < v
    assert G.value(np.full(4, 0.5), p, q, 1.0) == pytest.approx(-math.log(4))


def test_js_gaussians_matches_js_discrete_and_its_gradient_finite_differences():
    grid = np.linspace(-8, 9, 3401)
    X = cr.tensor(grid, dtype=cr.float64)
    W = cr.tensor(np.full(grid.shape, grid[1] - grid[0]), dtype=cr.float64)
    theta = cr.tensor(0.7, dtype=cr.float64, requires_grad=True)
    js = G.js_gaussians(theta, 0.8, X, W)
    p = np.exp(-0.5 * (grid / 0.8) ** 2)
    q = np.exp(-0.5 * ((grid - 0.7) / 0.8) ** 2)
    assert float(js) == pytest.approx(js_discrete(p, q), rel=1e-9)
    (g,) = cr.autograd.grad(js, (theta,))
    eps = 1e-5
    plus = float(G.js_gaussians(cr.tensor(0.7 + eps, dtype=cr.float64), 0.8, X, W))
    minus = float(G.js_gaussians(cr.tensor(0.7 - eps, dtype=cr.float64), 0.8, X, W))
    assert float(g) == pytest.approx((plus - minus) / (2 * eps), rel=1e-6)
    assert float(g) > 0                                      # separating increases JS


def test_saturation_gradients_are_the_chain_rule_values():
    s = G.saturation(0, samples=2000)
    logits = np.array(s["logits"])
    d = 1 / (1 + np.exp(-logits))
    assert np.allclose(s["grad_saturating"], -d, atol=1e-14)
    assert np.allclose(s["grad_nonsaturating"], -(1 - d), atol=1e-14)
    # through the confident D: theta E[D] and theta E[1 - D]
    assert s["dtheta_saturating"] == pytest.approx(s["theta"] * s["mean_d_on_fakes"], rel=1e-9)
    assert s["dtheta_nonsaturating"] == pytest.approx(
        s["theta"] * (1 - s["mean_d_on_fakes"]), rel=1e-9)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gan-theory")
    found = G.run(quick=True, out=out)
    return out, found, json.loads((out / "gan_theory.json").read_text())


def test_quick_run_writes_json_and_plots(quick_run):
    out, found, data = quick_run
    assert [c["name"] for c in data["checks"]] == [c.name for c in found]
    assert all(c.passed for c in found), [str(c) for c in found]
    d = data["discriminator"]
    assert d["v_trained"] <= d["v_star"]
    assert data["wgan"]["distances"] == G.QUICK["distances"]
    assert data["disjoint"]["js_point_masses"] == pytest.approx(
        [math.log(2)] * len(data["disjoint"]["thetas"]), abs=1e-12)
    pytest.importorskip("matplotlib")
    for name in ("discriminator", "gradients", "wgan"):
        assert (out / f"gan_theory_{name}.png").stat().st_size > 1000


def test_checks_pass_on_measured_and_fail_on_made_up_numbers(quick_run):
    _, found, data = quick_run
    assert [c.passed for c in G.checks(data)] == [c.passed for c in found]
    bad = json.loads(json.dumps(data))
    d, s, j, w = bad["discriminator"], bad["saturation"], bad["disjoint"], bad["wgan"]
    d["max_error"], d["mean_error"] = 0.2, 0.05               # D far from D*
    d["v_formula"] = d["v_star"] + 1e-3
    d["v_gap"] = 0.05                                       # a bad discriminator
    s["formula_error"] = 1e-6
    s["sat_at"], s["ns_at"] = -0.3, -0.3                      # no saturation
    s["dtheta_saturating"] = 0.5 * s["dtheta_nonsaturating"]
    s["dtheta_nonsaturating"] = -1.0                        # wrong direction
    j["js_point_max_error"] = 0.1
    j["js_point_max_slope"] = 0.5
    j["w1_point_max_error"] = 0.1
    j["tiny_noise_max_grad"] = 0.01
    j["noise_min_signed_grad"] = {k: -0.01 for k in j["noise_min_signed_grad"]}
    w["min_increment"] = -0.2                               # not monotone
    w["correlation"] = 0.8
    w["ratio_min"], w["ratio_max"] = 0.3, 2.5
    w["max_gp_prediction_error"] = 0.5
    outcome = {c.name: c.passed for c in G.checks(bad)}
    expected = {c.name: False for c in found}
    expected["trained D's value does not exceed V(D*, G)"] = True     # gap 0.05 >= 0
    assert outcome == expected
    d["v_gap"] = -1e-3                                      # above the optimum: impossible
    assert not {c.name: c.passed for c in G.checks(bad)}[
        "trained D's value does not exceed V(D*, G)"]
