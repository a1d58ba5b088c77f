"""Every registered op passes float64 gradcheck and gradgradcheck (central differences)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from op_registry import all_cases, make_inputs, to_lib

CASES = all_cases()


def _fn(case):
    return lambda *ts: case.fn(cr, *ts)


@pytest.mark.parametrize("case", [c for c in CASES if c.gradcheck], ids=lambda c: c.name)
def test_gradcheck(case):
    inputs = to_lib(cr, case, make_inputs(case, np.float64))
    assert gradcheck(_fn(case), inputs, atol=case.atol, rtol=case.rtol)


@pytest.mark.parametrize("case", [c for c in CASES if c.gradgradcheck], ids=lambda c: c.name)
def test_gradgradcheck(case):
    inputs = to_lib(cr, case, make_inputs(case, np.float64))
    assert gradgradcheck(_fn(case), inputs, atol=case.atol, rtol=case.rtol)


def test_gradcheck_catches_a_wrong_backward():
    class WrongSquare(cr.autograd.Function):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x * 3            # should be 2x

    x = cr.randn(4, dtype=cr.float64, requires_grad=True)
    assert not gradcheck(WrongSquare.apply, (x,), raise_exception=False)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(WrongSquare.apply, (x,))


def test_gradgradcheck_catches_a_constant_saved_intermediate():
    class FrozenTanh(cr.autograd.Function):
        """First derivative right, but 1 - y^2 saved as a constant: second order wrong."""
        def forward(ctx, x):
            y = np.tanh(x)
            ctx.save_for_backward(1 - y * y)
            return y

        def backward(ctx, grad):
            (d,) = ctx.saved_tensors
            return grad * d

    x = cr.randn(4, dtype=cr.float64, requires_grad=True)
    assert gradcheck(FrozenTanh.apply, (x,))
    assert not gradgradcheck(FrozenTanh.apply, (x,), raise_exception=False)
