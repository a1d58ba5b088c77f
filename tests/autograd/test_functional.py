"""autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp): closed forms, identities between
them, and shapes/tuple structure/values against torch.autograd.functional."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd
from chainrule.autograd import functional as F

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def t64(values):
    return cr.tensor(values, dtype=cr.float64)


def npv(t):
    return np.asarray(t.detach().numpy())


def rosenbrock(x):
    x0, x1 = x[0], x[1]
    return (1 - x0) ** 2 + 100 * (x1 - x0 * x0) ** 2


def rosenbrock_hessian(x0, x1):
    return np.array([[2 - 400 * x1 + 1200 * x0 ** 2, -400 * x0],
                     [-400 * x0, 200.0]])


def rosenbrock_grad(x0, x1):
    return np.array([-2 * (1 - x0) - 400 * x0 * (x1 - x0 ** 2), 200 * (x1 - x0 ** 2)])


@pytest.mark.parametrize("point", [(-1.2, 1.0), (1.0, 1.0), (0.3, -0.7)])
def test_rosenbrock_hessian_closed_form(point):
    x = t64(list(point))
    h = F.hessian(rosenbrock, x)
    assert h.shape == (2, 2) and h.dtype == cr.float64
    assert not h.requires_grad
    np.testing.assert_allclose(npv(h), rosenbrock_hessian(*point), rtol=1e-12, atol=1e-12)


def test_rosenbrock_gradient_and_hvp():
    p = (-1.2, 1.0)
    x = t64(list(p))
    v = t64([0.3, -2.0])
    out, g = F.vjp(rosenbrock, x)
    np.testing.assert_allclose(float(out), (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2)
    np.testing.assert_allclose(npv(g), rosenbrock_grad(*p), rtol=1e-12)
    out, hv = F.hvp(rosenbrock, x, v)
    np.testing.assert_allclose(npv(hv), rosenbrock_hessian(*p) @ npv(v), rtol=1e-12)
    out, vh = F.vhp(rosenbrock, x, v)
    np.testing.assert_allclose(npv(vh), npv(v) @ rosenbrock_hessian(*p), rtol=1e-12)


def test_hvp_and_vhp_equal_jacobian_of_gradient():
    def f(x):
        return (x.exp() * x.sin()).sum() + (x[0] * x[1] * x[2])
    x = t64([0.2, -0.5, 1.3])
    v = t64([1.0, 2.0, -0.5])

    def grad_f(x):
        with cr.enable_grad():
            x = x if x.requires_grad else x.detach().requires_grad_()
            (g,) = autograd.grad(f(x), x, create_graph=True)
        return g

    jg = npv(F.jacobian(grad_f, x))          # the Hessian, by differentiating the gradient
    np.testing.assert_allclose(jg, jg.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(npv(F.hessian(f, x)), jg, rtol=1e-12, atol=1e-12)
    _, hv = F.hvp(f, x, v)
    _, vh = F.vhp(f, x, v)
    np.testing.assert_allclose(npv(hv), jg @ npv(v), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(npv(vh), npv(v) @ jg, rtol=1e-12, atol=1e-12)


def test_jvp_equals_jacobian_times_v_and_vjp_equals_v_times_jacobian():
    def f(x):
        return (x * x.sum()).tanh() * 2 + x.exp()       # a dense Jacobian
    x = t64([0.1, -0.4, 0.9, 1.5])
    v = t64([1.0, -1.0, 0.5, 2.0])
    u = t64([0.3, 0.2, -0.7, 1.1])
    jac = npv(F.jacobian(f, x))
    assert jac.shape == (4, 4)
    out, jv = F.jvp(f, x, v)
    np.testing.assert_allclose(npv(out), npv(f(x)), rtol=1e-12)
    np.testing.assert_allclose(npv(jv), jac @ npv(v), rtol=1e-12, atol=1e-12)
    out, uj = F.vjp(f, x, u)
    np.testing.assert_allclose(npv(uj), npv(u) @ jac, rtol=1e-12, atol=1e-12)


def test_jacobian_closed_form():
    def f(x):
        return x * x * x                     # diagonal Jacobian 3 x^2
    x = t64([1.0, -2.0, 0.5])
    np.testing.assert_allclose(npv(F.jacobian(f, x)), np.diag(3 * npv(x) ** 2))


def test_jacobian_of_function_ignoring_input_is_zero():
    x = t64([1.0, 2.0])
    j = F.jacobian(lambda x: t64([3.0, 4.0, 5.0]), x)
    assert j.shape == (3, 2)
    np.testing.assert_array_equal(npv(j), np.zeros((3, 2)))


def test_functional_does_not_touch_inputs():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    F.hessian(lambda x: (x ** 3).sum(), x)
    F.jacobian(lambda x: x * 2, x)
    F.vjp(lambda x: (x * 2).sum(), x)
    assert x.grad is None and x.is_leaf


def test_create_graph_allows_differentiating_the_result():
    x = cr.tensor([0.5, 1.5], dtype=cr.float64, requires_grad=True)
    _, hv = F.hvp(lambda x: (x ** 4).sum(), x, t64([1.0, 1.0]), create_graph=True)
    assert hv.requires_grad                  # hv = 12 x^2
    np.testing.assert_allclose(npv(hv), 12 * npv(x) ** 2)
    (g,) = autograd.grad(hv.sum(), x)
    np.testing.assert_allclose(npv(g), 24 * npv(x))
    j = F.jacobian(lambda x: x ** 3, x, create_graph=True)
    assert j.requires_grad
    (g,) = autograd.grad(j.sum(), x)        # d/dx sum diag(3x^2) = 6x
    np.testing.assert_allclose(npv(g), 6 * npv(x))


def test_third_derivative_via_repeated_grad():
    x = cr.tensor(0.7, dtype=cr.float64, requires_grad=True)
    y = x ** 4
    d = y
    for _ in range(3):
        (d,) = autograd.grad(d, x, create_graph=True)
    np.testing.assert_allclose(float(d), 24 * 0.7)


# ------------------------------------------------------------------ against torch
def _fns(lib):
    def single(x):
        return (x.sin() * x).exp()

    def two_in_one_out(x, y):
        return x * y.sum() + (x * x).sum()

    def one_in_two_out(x):
        return x * 2, (x * x).sum()

    def two_in_two_out(x, y):
        return x * y, (x + y.exp()).tanh()

    def scalar2(x, y):
        return (x * x * y).sum() + (y.sin() * x).sum()

    return single, two_in_one_out, one_in_two_out, two_in_two_out, scalar2


def _inputs(lib, arity):
    rng = np.random.default_rng(7)
    vals = [rng.standard_normal(3), rng.standard_normal(3)]
    ts = tuple(lib.tensor(v, dtype=lib.float64) for v in vals[:arity])
    return ts


def _structure(x):
    if isinstance(x, tuple):
        return tuple(_structure(e) for e in x)
    return tuple(x.shape)


def _flat(x):
    if isinstance(x, tuple):
        return [e for v in x for e in _flat(v)]
    return [np.asarray(x.detach().numpy())]


def _assert_same(ours, theirs):
    assert _structure(ours) == _structure(theirs)
    for o, t in zip(_flat(ours), _flat(theirs)):
        np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("idx,arity,as_tuple", [
    (0, 1, False), (0, 1, True), (1, 2, True), (2, 1, False), (2, 1, True), (3, 2, True),
])
def test_jacobian_matches_torch(idx, arity, as_tuple):
    f_c, f_t = _fns(cr)[idx], _fns(torch)[idx]
    ic, it = _inputs(cr, arity), _inputs(torch, arity)
    if not as_tuple:
        ic, it = ic[0], it[0]
    _assert_same(F.jacobian(f_c, ic), torch.autograd.functional.jacobian(f_t, it))


@needs_torch
@pytest.mark.parametrize("as_tuple", [False, True])
def test_hessian_matches_torch(as_tuple):
    if as_tuple:
        f_c, f_t = _fns(cr)[4], _fns(torch)[4]
        ic, it = _inputs(cr, 2), _inputs(torch, 2)
    else:
        def f_c(x):
            return rosenbrock(x) + (x * x.exp()).sum()
        f_t = f_c
        ic, it = _inputs(cr, 1)[0], _inputs(torch, 1)[0]
    ours = F.hessian(f_c, ic)
    theirs = torch.autograd.functional.hessian(f_t, it)
    _assert_same(ours, theirs)
    if as_tuple:
        assert isinstance(ours, tuple) and all(isinstance(r, tuple) for r in ours)


@needs_torch
@pytest.mark.parametrize("name", ["vjp", "jvp", "hvp", "vhp"])
def test_products_match_torch(name):
    rng = np.random.default_rng(11)
    vx, vy = rng.standard_normal(3), rng.standard_normal(3)
    u, w = rng.standard_normal(3), rng.standard_normal(3)
    if name in ("hvp", "vhp"):
        fc, ft = _fns(cr)[4], _fns(torch)[4]
        vc, vt = (t64(u), t64(w)), (torch.tensor(u), torch.tensor(w))
    elif name == "jvp":
        fc, ft = _fns(cr)[3], _fns(torch)[3]
        vc, vt = (t64(u), t64(w)), (torch.tensor(u), torch.tensor(w))
    else:
        fc, ft = _fns(cr)[3], _fns(torch)[3]
        vc, vt = (t64(u), t64(w)), (torch.tensor(u), torch.tensor(w))
    ours = getattr(F, name)(fc, (t64(vx), t64(vy)), vc)
    theirs = getattr(torch.autograd.functional, name)(ft, (torch.tensor(vx), torch.tensor(vy)),
                                                      vt)
    _assert_same(ours, theirs)


@needs_torch
def test_single_tensor_products_match_torch():
    x = np.array([0.3, -1.1, 0.8])
    v = np.array([1.0, 0.5, -2.0])
    fc, ft = _fns(cr)[0], _fns(torch)[0]
    for name in ("vjp", "jvp"):
        ours = getattr(F, name)(fc, t64(x), t64(v))
        theirs = getattr(torch.autograd.functional, name)(ft, torch.tensor(x), torch.tensor(v))
        _assert_same(ours, theirs)
        assert isinstance(ours[1], cr.Tensor)
    def scal(x):
        return (x * x.exp()).sum()
    for name in ("hvp", "vhp"):
        ours = getattr(F, name)(scal, t64(x), t64(v))
        theirs = getattr(torch.autograd.functional, name)(scal, torch.tensor(x),
                                                          torch.tensor(v))
        _assert_same(ours, theirs)
