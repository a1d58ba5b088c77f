"""chainrule.analysis.divergences against SciPy and against closed forms."""
import math

import numpy as np
import pytest

from chainrule.analysis import (js_discrete, kl_discrete, transport_plan, wasserstein1_1d,
                                wasserstein1_from_cdfs)

stats = pytest.importorskip("scipy.stats")
distance = pytest.importorskip("scipy.spatial.distance")

RNG = np.random.default_rng(0)
PAIRS = [(RNG.random(7), RNG.random(7)) for _ in range(5)] + [
    ([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]), ([3, 1], [1, 3])]


@pytest.mark.parametrize("p, q", PAIRS)
def test_kl_equals_scipy_entropy(p, q):
    assert kl_discrete(p, q) == pytest.approx(stats.entropy(p, q), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("p, q", PAIRS)
def test_js_is_scipy_jensenshannon_squared(p, q):
    assert js_discrete(p, q) == pytest.approx(distance.jensenshannon(p, q) ** 2, rel=1e-9)


def test_kl_by_hand_zero_terms_and_infinity():
    assert kl_discrete([0.5, 0.5], [0.25, 0.75]) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(2 / 3), rel=1e-14)
    assert kl_discrete([1, 0], [0.5, 0.5]) == pytest.approx(math.log(2), rel=1e-14)
    assert kl_discrete([0.5, 0.5], [1, 0]) == math.inf
    assert kl_discrete([2, 6], [1, 3]) == 0.0                  # counts are normalised


def test_kl_is_asymmetric_and_js_symmetric():
    p, q = [0.9, 0.1], [0.5, 0.5]
    assert abs(kl_discrete(p, q) - kl_discrete(q, p)) > 0.05
    assert js_discrete(p, q) == pytest.approx(js_discrete(q, p), rel=1e-14)


def test_js_reaches_log2_on_disjoint_supports_only():
    assert js_discrete([0.3, 0.7, 0, 0], [0, 0, 0.1, 0.9]) == pytest.approx(math.log(2), 1e-14)
    assert js_discrete([0.3, 0.7, 0.1, 0], [0, 0, 0.1, 0.9]) < math.log(2) - 1e-3
    assert js_discrete([1, 2, 3], [1, 2, 3]) == 0.0


@pytest.mark.parametrize("n, m, weighted", [(5, 5, False), (7, 3, False), (6, 9, True)])
def test_w1_equals_scipy_wasserstein_distance(n, m, weighted):
    u, v = RNG.normal(size=n), RNG.normal(1.0, 2.0, size=m)
    uw, vw = (RNG.random(n), RNG.random(m)) if weighted else (None, None)
    assert wasserstein1_1d(u, v, uw, vw) == pytest.approx(
        stats.wasserstein_distance(u, v, uw, vw), rel=1e-12)


def test_w1_of_a_shift_is_the_shift_and_sorted_formula():
    x = RNG.exponential(size=200)
    assert wasserstein1_1d(x, x + 1.75) == pytest.approx(1.75, rel=1e-12)
    y = RNG.normal(size=200)
    assert wasserstein1_1d(x, y) == pytest.approx(np.mean(np.abs(np.sort(x) - np.sort(y))),
                                                  rel=1e-12)
    assert wasserstein1_1d([0.0], [-3.0]) == 3.0


def test_w1_from_cdfs_of_shifted_gaussians():
    from math import erf
    x = np.linspace(-10, 12, 4001)
    cdf = np.vectorize(lambda t, mu: 0.5 * (1 + erf((t - mu) / math.sqrt(2))))
    assert wasserstein1_from_cdfs(x, cdf(x, 0.0), cdf(x, 1.3)) == pytest.approx(1.3, rel=1e-5)


def test_transport_plan_marginals_and_cost_equal_w1():
    pytest.importorskip("scipy.optimize")
    x, y = np.array([0.0, 1.0, 3.0, 4.5]), np.array([0.5, 2.0, 5.0])
    a, b = np.array([0.1, 0.4, 0.3, 0.2]), np.array([0.5, 0.25, 0.25])
    plan, cost = transport_plan(a, b, np.abs(x[:, None] - y[None, :]))
    assert plan.sum(axis=1) == pytest.approx(a, abs=1e-12)
    assert plan.sum(axis=0) == pytest.approx(b, abs=1e-12)
    assert np.all(plan >= 0)
    assert cost == pytest.approx(wasserstein1_1d(x, y, a, b), rel=1e-9)
    assert cost == pytest.approx(stats.wasserstein_distance(x, y, a, b), rel=1e-9)


def test_transport_plan_identity_for_equal_marginals():
    pytest.importorskip("scipy.optimize")
    a = np.array([0.2, 0.3, 0.5])
    plan, cost = transport_plan(a, a, 1 - np.eye(3))
    assert cost == pytest.approx(0.0, abs=1e-12)
    assert plan == pytest.approx(np.diag(a), abs=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: kl_discrete([0.5, 0.5], [1, 0, 0]), "kl_discrete: p and q must have the same"),
    (lambda: kl_discrete([[0.5, 0.5]], [[1, 0]]), "kl_discrete: p must be a non-empty 1-D"),
    (lambda: js_discrete([-1, 2], [1, 1]), "js_discrete: p must be finite and non-negative"),
    (lambda: js_discrete([1, 1], [0, 0]), "js_discrete: q sums to 0"),
    (lambda: wasserstein1_1d([], [1.0]), "wasserstein1_1d: u must be a non-empty"),
    (lambda: wasserstein1_1d([1.0, 2.0], [1.0], [1.0], None), "u_weights has 1 entries"),
    (lambda: wasserstein1_from_cdfs([0, 1], [0, 1], [0, 1, 1]), "wasserstein1_from_cdfs: x,"),
    (lambda: wasserstein1_from_cdfs([1, 0], [0, 1], [0, 1]), "strictly increasing"),
    (lambda: transport_plan([1, 1], [1, 1, 1], np.zeros((3, 2))),
     r"transport_plan: cost must have shape \(len\(a\), len\(b\)\) = \(2, 3\)"),
])
def test_errors_name_the_function_and_the_problem(call, match):
    if "transport_plan" in match:
        pytest.importorskip("scipy.optimize")
    with pytest.raises(ValueError, match=match):
        call()
