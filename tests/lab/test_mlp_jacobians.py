"""The mlp-jacobians experiment: the hand-derived Jacobians, their checks, the quick variant."""
import json

import numpy as np
import pytest

from chainrule.lab import mlp_jacobians as M

TINY = [6, 5, 4, 3]


@pytest.fixture(scope="module")
def tiny():
    params = M.make_mlp(TINY, seed=1)
    x = np.linspace(-1.0, 1.0, TINY[0])
    return params, x, 2


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("mlp-jacobians")
    return out, M.run(quick=True, out=out)


def test_hand_gradients_match_finite_differences(tiny):
    params, x, y = tiny
    g = M.gradients_by_hand(params, x, y)
    h = 1e-6
    for k in range(TINY[0]):
        e = np.zeros(TINY[0])
        e[k] = h
        fd = (M.loss(params, x + e, y) - M.loss(params, x - e, y)) / (2 * h)
        assert g["dL/dx"][k] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    for j, k in [(0, 0), (3, 5), (4, 2)]:
        plus, minus = dict(params), dict(params)
        plus["W1"], minus["W1"] = params["W1"].copy(), params["W1"].copy()
        plus["W1"][j, k] += h
        minus["W1"][j, k] -= h
        fd = (M.loss(plus, x, y) - M.loss(minus, x, y)) / (2 * h)
        assert g["dL/dW1"][j, k] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    assert np.array_equal(g["dL/db1"], g["dL/da1"])


def test_jacobian_formulas_shapes_and_products(tiny):
    params, x, y = tiny
    jac = M.jacobians_by_hand(params, x, y)
    expected = M.expected_shapes(TINY)
    assert {k: list(v.shape) for k, v in jac.items()} == {k: expected[k] for k in jac}
    # softmax then -log p_y: (-e_y / p_y) (diag(p) - p p^T) = p - e_y
    np.testing.assert_allclose(jac["dL/dp"] @ jac["dp/dz3"], jac["dL/dz3"], atol=1e-15)
    t = jac["da1/dW1"]
    assert t[2, 2, 4] == x[4] and t[1, 2, 4] == 0.0 and t[3, 3, 0] == x[0]
    by_product = M.gradients_by_jacobian_product(jac)
    by_vjp = M.gradients_by_hand(params, x, y)
    for g in M.GRADS:
        np.testing.assert_allclose(by_product[g], by_vjp[g], rtol=1e-13, atol=1e-15)


def test_chainrule_jacobians_equal_the_formulas(tiny):
    params, x, y = tiny
    auto = M.chainrule_jacobians(params, x, y)
    hand = M.jacobians_by_hand(params, x, y)
    assert {k: list(v.shape) for k, v in auto.items()} == M.expected_shapes(TINY)
    for name in hand:
        np.testing.assert_allclose(auto[name], hand[name], rtol=1e-12, atol=1e-15, err_msg=name)
    grads = M.chainrule_gradients(params, x, y)
    assert grads["loss"] == pytest.approx(M.loss(params, x, y), rel=1e-14)


def test_default_init_bounds():
    params = M.make_mlp([20, 8, 8, 3], seed=0)
    assert params["W1"].shape == (8, 20) and params["W1"].dtype == np.float64
    assert np.abs(params["W1"]).max() <= 1 / np.sqrt(20)
    assert np.abs(params["W3"]).max() <= 1 / np.sqrt(8)


def test_checks_pass_on_measured_and_fail_on_made_up_numbers(quick_run):
    out, found = quick_run
    assert all(c.passed for c in found), [str(c) for c in found]
    r = json.loads((out / "mlp_jacobians.json").read_text())
    assert [c.name for c in M.checks(r)] == [c.name for c in found]
    bad = json.loads(json.dumps(r))
    bad["shapes"]["da1/dW1"] = [64, 50176]                 # the tensor flattened
    bad["jacobian_errors"]["dp/dz3"] = 1e-3                 # softmax Jacobian wrong
    bad["tanh_off_diagonal"]["dh1/da1"] = 1e-20             # not exactly diagonal
    bad["agreement"]["chainrule backward"]["dL/dW1"] = 1e-8
    bad["dLdW1_rank_ratio"] = 1e-6
    outcome = {c.name: c.passed for c in M.checks(bad)}
    assert [name for name, ok in outcome.items() if not ok] == [
        "every Jacobian of the chain has its expected shape",
        "functional.jacobian of every link = its hand-derived matrix",
        "tanh Jacobians dh/da are diagonal",
        "dL/dx, dL/db1, dL/dW1 agree: chainrule backward vs hand-derived VJPs (outer product)",
        "dL/dW1 = (dL/da1)^T x^T has rank one",
    ]


def test_quick_run_writes_json_and_plot(quick_run):
    out, found = quick_run
    data = json.loads((out / "mlp_jacobians.json").read_text())
    assert data["sizes"] == M.QUICK["sizes"]
    assert data["tensor_shape"] == [64, 64, 784]
    assert data["loss_chainrule"] == pytest.approx(data["loss"], rel=1e-13)
    assert data["shapes"]["dL/dW1"] == [64, 784] and data["shapes"]["dz3/dh2"] == [10, 64]
    assert [c["name"] for c in data["checks"]] == [c.name for c in found]
    pytest.importorskip("matplotlib")
    assert (out / "mlp_jacobians.png").stat().st_size > 1000


def test_torch_agrees_when_installed(tiny):
    pytest.importorskip("torch")
    params, x, y = tiny
    ref = M.torch_gradients(params, x, y)
    mine = M.chainrule_gradients(params, x, y)
    for g in M.GRADS:
        np.testing.assert_allclose(mine[g], ref[g], rtol=1e-12, atol=1e-15)
