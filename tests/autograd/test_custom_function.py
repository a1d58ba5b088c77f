"""User-written Function subclasses (forward on arrays, backward in Tensor ops) and the public
gradcheck / gradgradcheck: they pass on correct functions and catch wrong ones."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd
from chainrule.autograd import Function, gradcheck, gradgradcheck

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def leaf(values):
    return cr.tensor(values, dtype=cr.float64, requires_grad=True)


def npv(t):
    return np.asarray(t.detach().numpy())


# ------------------------------------------------------------------ user Functions
class Cube(Function):
    """y = x^3;  dy/dx = 3 x^2 (differentiable backward: second order works)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class ScaledMul(Function):
    """z = a * b * scale (scale a plain parameter);  dz/da = b scale, dz/db = a scale."""

    calls = []

    def forward(ctx, a, b, scale=1.0):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ScaledMul.calls.append(ctx.needs_input_grad)
        ga = grad * b * ctx.scale if ctx.needs_input_grad[0] else None
        gb = grad * a * ctx.scale if ctx.needs_input_grad[1] else None
        return ga, gb


class WrongGrad(Function):
    """y = sin x, with a deliberately wrong backward (cos x + 0.1)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x.cos() + 0.1)


class DetachedBackward(Function):
    """y = x^2 with a first-order-correct backward that is a constant (wrong second order)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (2 * x).detach()


class Clip01(Function):
    """Saves a non-differentiable mask (a constant, not an input)."""

    def forward(ctx, x):
        mask = (x > 0) & (x < 1)
        ctx.save_for_backward(mask)
        return np.clip(x, 0, 1)

    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        assert not mask.requires_grad
        return grad * mask.to(grad.dtype)


class TorchStyle(Function):
    """Written as in torch, with @staticmethod (ctx passed explicitly)."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        ctx.save_for_backward(x)
        return np.exp(k * x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ctx.k * (x * ctx.k).exp(), None


def test_user_function_forward_backward():
    x = leaf([1.0, -2.0, 0.5])
    y = Cube.apply(x)
    assert isinstance(y, cr.Tensor) and y.requires_grad
    assert y.grad_fn.name() == "CubeBackward0"
    np.testing.assert_allclose(npv(y), npv(x) ** 3)
    y.sum().backward()
    np.testing.assert_allclose(npv(x.grad), 3 * npv(x) ** 2)


def test_user_function_second_order():
    x = leaf([1.0, -2.0])
    (g,) = autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(npv(h), 6 * npv(x))


def test_user_function_needs_input_grad_and_params():
    ScaledMul.calls.clear()
    a = leaf([1.0, 2.0])
    b = cr.tensor([3.0, 4.0], dtype=cr.float64)
    z = ScaledMul.apply(a, b, scale=0.5)
    np.testing.assert_allclose(npv(z), [1.5, 4.0])
    assert z.grad_fn.needs_input_grad == (True, False)
    z.sum().backward()
    assert ScaledMul.calls == [(True, False)]
    np.testing.assert_allclose(npv(a.grad), [1.5, 2.0])
    assert b.grad is None
    b2 = leaf([3.0, 4.0])
    # a positional number is an input too: one needs_input_grad entry per input, as torch
    ScaledMul.apply(cr.tensor([1.0, 2.0], dtype=cr.float64), b2, 2.0).sum().backward()
    assert ScaledMul.calls[-1] == (False, True, False)
    np.testing.assert_allclose(npv(b2.grad), [2.0, 4.0])


def test_user_function_without_grad_records_nothing():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64)
    y = Cube.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    with cr.no_grad():
        y = Cube.apply(leaf([1.0]))
    assert not y.requires_grad and y.grad_fn is None


def test_user_function_saved_constant_and_freed():
    x = leaf([-0.5, 0.5, 1.5])
    y = Clip01.apply(x)
    y.sum().backward()
    np.testing.assert_allclose(npv(x.grad), [0.0, 1.0, 0.0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_user_function_saved_input_modified_raises():
    x = leaf([1.0, 2.0])
    h = x * 1
    y = Cube.apply(h)
    with cr.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_user_function_with_python_number_input():
    x = leaf([1.0, 2.0])
    y = ScaledMul.apply(x, 3.0)              # a number is a constant input
    y.sum().backward()
    np.testing.assert_allclose(npv(x.grad), [3.0, 3.0])


def test_backward_with_wrong_shape_raises():
    class BadShape(Function):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, grad):
            return grad.sum()

    with pytest.raises(RuntimeError, match="shape"):
        BadShape.apply(leaf([1.0, 2.0])).sum().backward()


def test_backward_with_too_few_gradients_raises():
    class TooFew(Function):
        def forward(ctx, a, b):
            return a * b

        def backward(ctx, grad):
            return grad

    with pytest.raises(RuntimeError, match="gradients"):
        TooFew.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_torch_style_staticmethod_function():
    x = leaf([0.1, 0.2])
    y = TorchStyle.apply(x, 3.0)
    np.testing.assert_allclose(npv(y), np.exp(3 * npv(x)))
    y.sum().backward()
    np.testing.assert_allclose(npv(x.grad), 3 * np.exp(3 * npv(x)))


@needs_torch
def test_user_function_matches_torch_function():
    class TCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    xv = np.array([0.3, -1.2, 2.0])
    xc, xt = leaf(xv), torch.tensor(xv, requires_grad=True)
    (gc,) = autograd.grad((Cube.apply(xc) * xc.sin()).sum(), xc, create_graph=True)
    (gt,) = torch.autograd.grad((TCube.apply(xt) * xt.sin()).sum(), xt, create_graph=True)
    np.testing.assert_allclose(npv(gc), gt.detach().numpy(), rtol=1e-12)
    (hc,) = autograd.grad(gc.sum(), xc)
    (ht,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(npv(hc), ht.numpy(), rtol=1e-12)


# ------------------------------------------------------------------ gradcheck
def test_gradcheck_passes_on_correct_functions():
    x = leaf([0.3, -0.8, 1.7])
    w = leaf([1.1, 0.4, -0.6])
    assert gradcheck(lambda a: Cube.apply(a), (x,))
    assert gradcheck(lambda a, b: (a * b).tanh() + a.exp() / (1 + b * b), (x, w))
    assert gradcheck(lambda a, b: ScaledMul.apply(a, b, scale=-2.0), (x, w))
    assert gradcheck(lambda a: TorchStyle.apply(a, 0.5), (x,))
    assert autograd.gradcheck(lambda a: (a * a).sum(), x)    # a single tensor is fine


def test_gradcheck_multiple_outputs():
    x = leaf([0.3, -0.8])
    assert gradcheck(lambda a: (a.sin(), (a * a).sum()), (x,))


def test_gradcheck_detects_wrong_backward():
    x = leaf([0.3, -0.8, 1.7])
    assert gradcheck(lambda a: WrongGrad.apply(a), (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(lambda a: WrongGrad.apply(a), (x,))


def test_gradcheck_detects_wrong_grad_of_second_input():
    class WrongSecond(Function):
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return grad * b, grad * a * 1.01

    a, b = leaf([0.5, 1.0]), leaf([2.0, -1.0])
    assert not gradcheck(lambda a, b: WrongSecond.apply(a, b), (a, b), raise_exception=False)
    # only a differentiated: the wrong rule for b is never used
    assert gradcheck(lambda a, b: WrongSecond.apply(a, b),
                     (a, b.detach()), raise_exception=False)


def test_gradcheck_does_not_change_inputs_or_grads():
    x = leaf([0.3, -0.8])
    before = npv(x).copy()
    gradcheck(lambda a: a.exp(), (x,))
    np.testing.assert_array_equal(npv(x), before)
    assert x.grad is None


def test_gradgradcheck_passes_on_correct_functions():
    x = leaf([0.3, -0.8, 1.2])
    w = leaf([0.5, 0.9, -1.4])
    assert gradgradcheck(lambda a: Cube.apply(a), (x,))
    assert gradgradcheck(lambda a, b: (a * b).sin() * a, (x, w))
    assert gradgradcheck(lambda a: TorchStyle.apply(a, 0.5), (x,))


def test_gradgradcheck_detects_wrong_second_derivative():
    x = leaf([0.3, -0.8, 1.2])
    assert gradcheck(lambda a: DetachedBackward.apply(a), (x,))       # first order is right
    assert gradgradcheck(lambda a: DetachedBackward.apply(a), (x,),
                         raise_exception=False) is False
    with pytest.raises(RuntimeError):
        gradgradcheck(lambda a: DetachedBackward.apply(a), (x,))


@needs_torch
def test_gradcheck_agrees_with_torch_verdicts():
    xv = np.array([0.3, -0.8, 1.7])

    class TWrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (x.cos() + 0.1)

    xt = torch.tensor(xv, requires_grad=True)
    assert torch.autograd.gradcheck(TWrong.apply, (xt,), raise_exception=False) is False
    assert gradcheck(WrongGrad.apply, (leaf(xv),), raise_exception=False) is False
    assert torch.autograd.gradcheck(torch.sin, (xt,)) and gradcheck(cr.sin, (leaf(xv),))


def test_engine_casts_backward_results_to_input_dtype():
    class Upcast(Function):
        """y = float64(x); the backward returns float64 and leaves the cast to the engine."""

        def forward(ctx, x):
            return x.astype(np.float64)

        def backward(ctx, grad):
            return grad * 2

    x = cr.tensor([1.0, 2.0], dtype=cr.float32, requires_grad=True)
    y = Upcast.apply(x)
    assert y.dtype == cr.float64
    y.sum().backward()
    assert x.grad.dtype == cr.float32
    np.testing.assert_allclose(npv(x.grad), [2.0, 2.0])
    h = x * 3                                # a float32 non-leaf before the op
    (g,) = autograd.grad(Upcast.apply(h).sum(), h, retain_graph=True)
    assert g.dtype == cr.float32
    Upcast.apply(h).sum().backward()
    assert x.grad.dtype == cr.float32
    np.testing.assert_allclose(npv(x.grad), [8.0, 8.0])


def test_backward_returning_none_stops_the_branch():
    class StopGrad(Function):
        def forward(ctx, x):
            return x.copy()

        def backward(ctx, grad):
            return None

    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    h = x * w                                # gets no gradient through StopGrad
    y = (StopGrad.apply(h) + x * 5).sum()
    y.backward()
    np.testing.assert_allclose(npv(x.grad), [5.0, 5.0])
    assert w.grad is None
    z = leaf([1.0])
    StopGrad.apply(z * 2).sum().backward()
    assert z.grad is None
