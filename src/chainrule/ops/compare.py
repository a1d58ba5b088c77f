"""Comparisons and logical ops: no gradient, boolean results."""
from __future__ import annotations

from ..backend import np
from ._util import Tensor, tensor_method, binary_operands, op_error

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal",
           "not_equal", "isnan", "isinf", "isfinite", "logical_and", "logical_or", "logical_xor",
           "logical_not", "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor",
           "equal", "allclose", "isclose", "signbit", "isposinf",
           "isneginf", "nan_to_num"]


def _arrays(a, b, op):
    a, b = binary_operands(a, b, op)
    return (a._data if isinstance(a, Tensor) else a), (b._data if isinstance(b, Tensor) else b)


def _compare(ufunc, name):
    def op(input, other):
        a, b = _arrays(input, other, name)
        try:
            return Tensor._make(np.asarray(ufunc(a, b)))
        except ValueError as e:
            raise op_error(RuntimeError, f"{name}: shapes {tuple(np.shape(a))} and "
                                         f"{tuple(np.shape(b))} are not broadcastable ({e})"
                           ) from None
    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` (boolean result, no gradient)."
    tensor_method(op)
    return op


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne
for _alias, _fn in [("greater", gt), ("less", lt), ("greater_equal", ge), ("less_equal", le),
                    ("not_equal", ne)]:
    tensor_method(_fn, name=_alias)


def _unary_pred(fn, name, doc):
    def op(input):
        return Tensor._make(np.asarray(fn(input._data)))
    op.__name__ = name
    op.__doc__ = doc
    tensor_method(op)
    return op


isnan = _unary_pred(np.isnan, "isnan", "True where the value is NaN.")
isinf = _unary_pred(np.isinf, "isinf", "True where the value is +-inf.")
isfinite = _unary_pred(np.isfinite, "isfinite", "True where the value is neither inf nor NaN.")
isposinf = _unary_pred(np.isposinf, "isposinf", "True where the value is +inf.")
isneginf = _unary_pred(np.isneginf, "isneginf", "True where the value is -inf.")
signbit = _unary_pred(np.signbit, "signbit", "True where the sign bit is set.")
logical_not = _unary_pred(np.logical_not, "logical_not", "Elementwise not (boolean result).")


@tensor_method
def bitwise_not(input):
    """~input for integer and bool tensors (logical not on bool)."""
    if input._data.dtype.kind not in "iub":
        raise op_error(TypeError, f"bitwise_not: ~ (operator.invert) is only implemented on "
                                  f"integer and Boolean-type tensors (got {input.dtype.name})")
    return Tensor._make(np.invert(input._data))


def _bitwise(ufunc, name, symbol):
    def op(input, other):
        a, b = _arrays(input, other, name)
        dt = np.result_type(a, b) if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) \
            else (a.dtype if isinstance(a, np.ndarray) else b.dtype)
        if dt.kind not in "iub":
            raise op_error(RuntimeError, f"{name}: the `{symbol}` operator is only implemented "
                                         f"for integer and bool tensors (got {dt.name})")
        try:
            return Tensor._make(np.asarray(ufunc(a, b)))
        except ValueError as e:
            raise op_error(RuntimeError, f"{name}: shapes {tuple(np.shape(a))} and "
                                         f"{tuple(np.shape(b))} are not broadcastable ({e})"
                           ) from None
    op.__name__ = name
    op.__doc__ = f"Elementwise ``input {symbol} other`` for integer and bool tensors (no gradient)."
    tensor_method(op)

    def inplace(self, other):
        return self._inplace(op(self._snapshot(name + "_"), other), name + "_")
    inplace.__name__ = name + "_"
    setattr(Tensor, name + "_", inplace)
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and", "&")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or", "|")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor", "^")


@tensor_method
def equal(input, other) -> bool:
    """True when both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data,
                                                                          other._data))


@tensor_method
def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """|input - other| <= atol + rtol * |other| elementwise."""
    a, b = _arrays(input, other, "isclose")
    return Tensor._make(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@tensor_method
def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when ``isclose`` holds everywhere."""
    a, b = _arrays(input, other, "allclose")
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@tensor_method
def nan_to_num(input, nan: float = 0.0, posinf=None, neginf=None):
    """Replace NaN and infinities by finite numbers (no gradient)."""
    return Tensor._make(np.nan_to_num(input._data, nan=nan, posinf=posinf, neginf=neginf))
