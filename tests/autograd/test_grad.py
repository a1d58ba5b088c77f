"""chainrule.autograd.grad: grad_outputs, allow_unused, materialize_grads, create_graph,
retain_graph, non-leaf inputs, and that it never touches ``.grad``."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")

FREED = "Trying to backward through the graph a second time"


def leaf(values, dtype=cr.float64):
    return cr.tensor(values, dtype=dtype, requires_grad=True)


def tleaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def npg(t):
    return None if t is None else np.asarray(t.detach().numpy())


def test_grad_returns_tuple_and_leaves_dot_grad_alone():
    x = leaf([1.0, 2.0, 3.0])
    y = (x * x).sum()
    res = autograd.grad(y, x)
    assert isinstance(res, tuple) and len(res) == 1
    np.testing.assert_allclose(npg(res[0]), [2.0, 4.0, 6.0])
    assert x.grad is None
    assert not res[0].requires_grad


def test_grad_several_inputs_and_order():
    a = leaf([1.0, 2.0])
    b = leaf([3.0, -1.0])
    y = (a * a * b).sum()
    gb, ga = autograd.grad(y, [b, a])
    np.testing.assert_allclose(npg(ga), 2 * np.array([1.0, 2.0]) * [3.0, -1.0])
    np.testing.assert_allclose(npg(gb), [1.0, 4.0])


def test_grad_same_input_twice():
    a = leaf([1.0, 2.0])
    g1, g2 = autograd.grad((a * 3).sum(), [a, a])
    np.testing.assert_allclose(npg(g1), [3.0, 3.0])
    np.testing.assert_allclose(npg(g2), [3.0, 3.0])


def test_grad_outputs():
    x = leaf([1.0, 2.0])
    y = x * x * x
    (g,) = autograd.grad(y, x, grad_outputs=cr.tensor([2.0, -1.0], dtype=cr.float64))
    np.testing.assert_allclose(npg(g), 3 * np.array([1.0, 4.0]) * [2.0, -1.0])


def test_grad_several_outputs_with_grad_outputs():
    x = leaf([1.0, 2.0])
    y1 = x * 2
    y2 = (x * x).sum()
    (g,) = autograd.grad([y1, y2], [x], grad_outputs=[cr.tensor([1.0, 3.0], dtype=cr.float64),
                                                      None])
    np.testing.assert_allclose(npg(g), [2.0 + 2.0, 6.0 + 4.0])


def test_grad_implicit_for_non_scalar_raises():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"implicitly created only for scalar outputs "
                                           r"\(got shape \(3,\)\)"):
        autograd.grad(x * 2, x)


def test_grad_unused_input_raises_unless_allowed():
    x = leaf([1.0, 2.0])
    w = leaf([5.0])
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        autograd.grad(y, [x, w], retain_graph=True)
    gx, gw = autograd.grad(y, [x, w], allow_unused=True, retain_graph=True)
    np.testing.assert_allclose(npg(gx), [2.0, 2.0])
    assert gw is None
    gx, gw = autograd.grad(y, [x, w], materialize_grads=True)
    np.testing.assert_allclose(npg(gw), [0.0])
    assert gw.shape == (1,)


def test_grad_input_not_requiring_grad_raises():
    x = leaf([1.0])
    c = cr.tensor([1.0], dtype=cr.float64)
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * c).sum(), [x, c])


def test_grad_output_without_grad_raises():
    x = leaf([1.0])
    c = cr.tensor([1.0], dtype=cr.float64)
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        autograd.grad((c * 2).sum(), [x])


def test_grad_frees_graph_unless_retained():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    autograd.grad(y, x, retain_graph=True)
    autograd.grad(y, x)
    with pytest.raises(RuntimeError, match=FREED):
        autograd.grad(y, x)


def test_grad_non_leaf_input():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = autograd.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(npg(gh), 2 * np.array([3.0, 6.0]))
    gh, gx = autograd.grad(y, [h, x])
    np.testing.assert_allclose(npg(gh), 2 * np.array([3.0, 6.0]))
    np.testing.assert_allclose(npg(gx), 18 * np.array([1.0, 2.0]))
    assert x.grad is None and h.grad is None


def test_grad_non_leaf_input_that_is_the_output():
    x = leaf([1.0, 2.0])
    y = x * 3
    (g,) = autograd.grad(y, y, grad_outputs=cr.tensor([5.0, 7.0], dtype=cr.float64))
    np.testing.assert_allclose(npg(g), [5.0, 7.0])


def test_grad_leaf_input_that_is_the_output():
    x = leaf(2.0)
    (g,) = autograd.grad(x, x)
    np.testing.assert_allclose(npg(g), 1.0)


def test_grad_create_graph_second_derivative():
    x = leaf([0.5, 1.5])
    y = (x.sin() * x).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    assert g.requires_grad
    xv = np.array([0.5, 1.5])
    np.testing.assert_allclose(npg(g), np.cos(xv) * xv + np.sin(xv), rtol=1e-12)
    (h,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(npg(h), -np.sin(xv) * xv + 2 * np.cos(xv), rtol=1e-12)


def test_grad_without_create_graph_is_constant():
    x = leaf([1.0])
    (g,) = autograd.grad((x * x * x).sum(), x)
    assert not g.requires_grad and g.grad_fn is None


def test_grad_mixed_with_backward_accumulation():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    (g * g).sum().backward()                 # d/dx sum((2x)^2) = 8x
    np.testing.assert_allclose(npg(x.grad), [8.0, 16.0])


def test_third_derivative_of_x4():
    x = leaf(1.5)
    y = x ** 4
    (d1,) = autograd.grad(y, x, create_graph=True)
    (d2,) = autograd.grad(d1, x, create_graph=True)
    (d3,) = autograd.grad(d2, x, create_graph=True)
    (d4,) = autograd.grad(d3, x, create_graph=True)
    np.testing.assert_allclose(npg(d1), 4 * 1.5 ** 3)
    np.testing.assert_allclose(npg(d2), 12 * 1.5 ** 2)
    np.testing.assert_allclose(npg(d3), 24 * 1.5)
    np.testing.assert_allclose(npg(d4), 24.0)
    if d4.requires_grad:                     # torch keeps a (zero-derivative) graph here
        (d5,) = autograd.grad(d4, x, allow_unused=True)
        assert d5 is None or float(d5) == 0.0


def test_third_derivative_vector_mixed_ops():
    x = leaf([0.3, -0.7, 1.1])
    y = (x.exp() * x * x).sum()              # f = x^2 e^x
    g = x
    out = y
    for _ in range(3):
        (g,) = autograd.grad(out, x, create_graph=True)
        out = g.sum()
    xv = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(npg(g), np.exp(xv) * (xv ** 2 + 6 * xv + 6), rtol=1e-12)


@needs_torch
def test_grad_matches_torch_with_create_graph_and_non_leaf():
    rng = np.random.default_rng(3)
    xv, wv = rng.standard_normal(4), rng.standard_normal(4)

    def run(lib, mk):
        x, w = mk(xv), mk(wv)
        h = (x * w).tanh()
        y = (h * h.exp() + x.sigmoid() * w).sum()
        gh, gx = lib.autograd.grad(y, [h, x], create_graph=True)
        z = (gx * gx).sum() + (gh * x).sum()
        dz = lib.autograd.grad(z, [x, w])
        return (gh, gx) + tuple(dz)

    for o, t in zip(run(cr, leaf), run(torch, tleaf)):
        np.testing.assert_allclose(npg(o), npg(t), rtol=1e-10, atol=1e-12)


@needs_torch
def test_allow_unused_matches_torch():
    def run(lib, mk):
        x, w = mk([1.0, 2.0]), mk([3.0])
        return lib.autograd.grad((x * 2).sum(), [x, w], allow_unused=True)
    ours, theirs = run(cr, leaf), run(torch, tleaf)
    assert ours[1] is None and theirs[1] is None
    np.testing.assert_allclose(npg(ours[0]), npg(theirs[0]))
