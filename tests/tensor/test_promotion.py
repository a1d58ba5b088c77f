"""Type promotion follows torch: every pair of dtypes, tensors against Python numbers, 0-d
tensors against dimensioned ones; ``result_type`` and the dtype an op actually returns."""
import itertools

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
SCALARS = [True, 3, 2.5]

OPS = {
    "add": lambda T, a, b: a + b,
    "sub": lambda T, a, b: a - b,
    "mul": lambda T, a, b: a * b,
    "div": lambda T, a, b: a / b,
    "pow": lambda T, a, b: a ** b,
    "maximum": lambda T, a, b: T.maximum(a, b),
    "where": lambda T, a, b: T.where(T.tensor([True, False, True]), a, b),
}


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


def make(T, dtype: str, zero_dim: bool):
    data = 2 if zero_dim else [1, 2, 3]
    if dtype == "bool":
        data = True if zero_dim else [True, False, True]
    return T.tensor(data, dtype=getattr(T, dtype))


def check(fn):
    """fn(T) gives the same dtype and values for chainrule and torch, or the same error type."""
    try:
        theirs = fn(torch)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            fn(cr)
        return None
    ours = fn(cr)
    assert _name(ours.dtype) == _name(theirs.dtype), (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(np.asarray(ours.numpy(), np.float64),
                               np.asarray(theirs.numpy(), np.float64), rtol=1e-6)
    return ours


ARRANGEMENTS = [(False, False), (True, False), (False, True)]


@pytest.mark.parametrize("zero_dims", ARRANGEMENTS, ids=["dim-dim", "0d-dim", "dim-0d"])
@pytest.mark.parametrize("da,db", list(itertools.product(DTYPES, DTYPES)))
def test_tensor_tensor(da, db, zero_dims):
    za, zb = zero_dims
    assert _name(cr.result_type(make(cr, da, za), make(cr, db, zb))) == \
        _name(torch.result_type(make(torch, da, za), make(torch, db, zb)))
    assert _name(cr.promote_types(getattr(cr, da), getattr(cr, db))) == \
        _name(torch.promote_types(getattr(torch, da), getattr(torch, db)))
    for op in OPS.values():
        check(lambda T: op(T, make(T, da, za), make(T, db, zb)))  # noqa: B023


@pytest.mark.parametrize("scalar", SCALARS, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("zero_dim", [False, True], ids=["dim", "0d"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_scalar(dtype, scalar, zero_dim):
    assert _name(cr.result_type(make(cr, dtype, zero_dim), scalar)) == \
        _name(torch.result_type(make(torch, dtype, zero_dim), scalar))
    assert _name(cr.result_type(scalar, make(cr, dtype, zero_dim))) == \
        _name(torch.result_type(scalar, make(torch, dtype, zero_dim)))
    for name, op in OPS.items():
        if name == "maximum":          # torch.maximum takes tensors only
            continue
        check(lambda T: op(T, make(T, dtype, zero_dim), scalar))  # noqa: B023
        if name != "pow" or dtype != "bool":
            check(lambda T: op(T, scalar, make(T, dtype, zero_dim)))  # noqa: B023


@pytest.mark.parametrize("a,b", list(itertools.product(SCALARS, SCALARS)))
def test_scalar_scalar_result_type(a, b):
    assert _name(cr.result_type(a, b)) == _name(torch.result_type(a, b))
    check(lambda T: T.where(T.tensor([True, False]), a, b))


def test_python_float_follows_the_default_dtype(restore_default_dtype):
    cr.set_default_dtype(cr.float64)
    torch.set_default_dtype(torch.float64)
    for dtype in DTYPES:
        check(lambda T: make(T, dtype, False) * 2.5)  # noqa: B023
        check(lambda T: make(T, dtype, False) / 2)  # noqa: B023
    assert cr.result_type(1, 2.0) is cr.float64


def test_scalar_does_not_upcast():
    assert (cr.tensor([1.0], dtype=cr.float32) * 1e300).dtype is cr.float32
    assert (cr.tensor([1], dtype=cr.uint8) + 1000).dtype is cr.uint8
    assert (cr.tensor([1.0], dtype=cr.float16) + 2.5).dtype is cr.float16
    assert (cr.tensor([1], dtype=cr.int32) * np.int64(2)).dtype is cr.int32


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_promotion_keeps_gradients_in_the_input_dtype(dtype):
    x = cr.tensor([1.0, 2.0], dtype=getattr(cr, dtype), requires_grad=True)
    other = cr.tensor([3.0, 4.0], dtype=cr.float64 if dtype == "float32" else cr.float32)
    y = x * other
    assert y.dtype is cr.float64
    y.sum().backward()
    assert x.grad.dtype is x.dtype
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])
    i = cr.tensor([2, 3])
    z = (x * i).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])
