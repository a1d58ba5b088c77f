"""The vanishing-gradients experiment: the chain, its bound, its checks, the quick run."""
import json
import math

import pytest

from chainrule.lab import vanishing_gradients as V


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("vanishing-gradients")
    return out, V.run(quick=True, out=out)


def test_sigmoid_chain_by_hand():
    # h_1 = s(2 * 0.5) = s(1); dh_1/dh_0 = 2 s(1)(1 - s(1))
    s1 = 1 / (1 + math.exp(-1))
    (d1,) = V.chain_derivatives([2.0], "sigmoid", h0=0.5)
    assert d1 == pytest.approx(2 * s1 * (1 - s1), rel=1e-15)
    # h_2 = s(-3 h_1): dh_2/dh_0 = (-3) s'(-3 h_1) * 2 s'(1)
    a2 = -3 * s1
    s2 = 1 / (1 + math.exp(-a2))
    d = V.chain_derivatives([2.0, -3.0], "sigmoid", h0=0.5)
    assert d[1] == pytest.approx(-3 * s2 * (1 - s2) * 2 * s1 * (1 - s1), rel=1e-14)
    assert d == pytest.approx(V.chain_closed_form([2.0, -3.0], "sigmoid", h0=0.5), rel=1e-14)


def test_sigmoid_chain_obeys_the_bound_and_relu_chain_is_the_product_of_weights():
    w = V.chain_weights(40, seed=3)
    assert min(w) >= 0.5 and max(w) <= 2.0
    d = V.chain_derivatives(w, "sigmoid")
    for n, dn in enumerate(d, start=1):
        assert abs(dn) <= (max(w) / 4) ** n
    relu = V.chain_derivatives(w, "relu")
    assert relu == pytest.approx([math.prod(w[:n]) for n in range(1, 41)], rel=1e-13)


def test_relu_chain_is_zero_after_a_dead_unit():
    d = V.chain_derivatives([1.5, -2.0, 3.0], "relu", h0=0.5)
    assert d == [1.5, 0.0, 0.0]
    assert V.chain_closed_form([1.5, -2.0, 3.0], "relu", h0=0.5) == [1.5, -0.0, -0.0]


def test_unknown_activation_is_an_error():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        V.chain_derivatives([1.0], "gelu")
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        V.chain_closed_form([1.0], "gelu")
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        V.grad_norms("gelu", False, 2, 4, 3, 2, 0)


def test_grad_norms_per_layer_and_seeded():
    a = V.grad_norms("tanh", False, 5, 8, 16, 3, seed=7)
    b = V.grad_norms("tanh", False, 5, 8, 16, 3, seed=7)
    assert a == b and len(a["signal"]) == len(a["weight"]) == 5
    assert all(v > 0 for v in a["signal"] + a["weight"])
    # a plain sigmoid net loses more than a factor 2 per layer (sigmoid' <= 1/4, ||W|| ~ 0.6)
    s = V.grad_norms("sigmoid", False, 6, 32, 64, 3, seed=0)["signal"]
    assert all(lower < upper / 2 for lower, upper in zip(s, s[1:]))
    # a residual one keeps the gradient of the same order
    r = V.grad_norms("sigmoid", True, 6, 32, 64, 3, seed=0)["signal"]
    assert 0.5 < r[0] / r[-1] < 2


def test_checks_pass_on_measured_and_fail_on_made_up_numbers(quick_run):
    out, found = quick_run
    assert all(c.passed for c in found), [str(c) for c in found]
    r = json.loads((out / "vanishing_gradients.json").read_text())
    assert [c.name for c in V.checks(r)] == [c.name for c in found]
    bad = json.loads(json.dumps(r))
    bad["chain"]["sigmoid_exact_error"] = 1e-9               # autograd off
    bad["chain"]["max_ratio_to_bound"] = 1.5                 # bound broken
    bad["nets"]["tanh plain"]["weight_ratios"][0] = 0.5      # no vanishing
    bad["nets"]["relu residual"]["signal_ratios"][-1] = 100.0   # explodes
    bad["nets"]["sigmoid residual"]["signal_ratios"][0] = 1e-3  # vanishes
    bad["nets"]["relu residual"]["weight_gain_over_plain"][0] = 3.0
    failed = [c.name for c in V.checks(bad) if not c.passed]
    assert failed == [
        "sigmoid chain: autograd = prod w_i sigmoid'(w_i h_{i-1})",
        "sigmoid chain: |dh_n/dh_0| <= (max|w|/4)^n at every n",
        "plain 20-layer tanh MLP: weight gradient vanishes toward the input",
        "residual 20-layer sigmoid MLP: backpropagated gradient neither vanishes nor explodes",
        "residual 20-layer relu MLP: backpropagated gradient neither vanishes nor explodes",
        "residual relu MLP keeps more first-layer weight gradient than plain",
    ]
    bad = json.loads(json.dumps(r))
    bad["chain"]["relu_vs_product_error"] = 1e-6
    bad["chain"]["max_ratio_to_product_bound"] = 1.01
    bad["chain"]["sigmoid_at_30"] = 1e-9
    bad["nets"]["sigmoid plain"]["weight_ratios"][-1] = 1e-9
    bad["nets"]["relu plain"]["weight_ratios"][0] = 1e-3
    assert sum(not c.passed for c in V.checks(bad)) == 5


def test_quick_run_writes_json_and_plot(quick_run):
    out, found = quick_run
    data = json.loads((out / "vanishing_gradients.json").read_text())
    assert data["seeds"] == V.QUICK["seeds"] and data["chain"]["n"] == V.QUICK["chain"]
    assert set(data["nets"]) == {f"{a} {k}" for a in V.ACTIVATIONS for k in ("plain", "residual")}
    for v in data["nets"].values():
        assert [len(n) for n in v["signal_norms"]] == [20] * len(V.QUICK["seeds"])
    assert [c["name"] for c in data["checks"]] == [c.name for c in found]
    pytest.importorskip("matplotlib")
    assert (out / "vanishing_gradients.png").stat().st_size > 1000
