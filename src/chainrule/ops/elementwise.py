"""Elementwise ops: arithmetic, unary math and activations. Binary ops broadcast like NumPy and
un-broadcast their gradients with ``unbroadcast``; their backward rules are Tensor ops."""
from __future__ import annotations

import math

from ..autograd import grad_mode
from ..autograd.function import Function
from .._threads import map_flat
from ..backend import np
from ._util import (Tensor, binary_operands, tensor_method, unbroadcast, op_error, select)

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "pow", "neg", "negative", "abs", "absolute", "sign", "exp", "exp2", "log",
    "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos",
    "tan", "tanh", "sigmoid", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "softplus",
    "silu", "hardtanh", "clamp", "clip", "maximum", "minimum", "where", "floor", "ceil", "round",
    "trunc", "frac", "lerp", "atan", "asin", "acos", "sinh", "cosh", "erf", "logit", "mish",
    "hardsigmoid", "hardswish", "logsigmoid", "xlogy",
]


# ======================================================================== binary arithmetic
class Add(Function):
    """z = a + b;  dz/da = 1, dz/db = 1 (gradients summed over broadcast dims)."""

    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a + b

    def backward(ctx, grad):
        sa, sb = ctx.shapes
        return unbroadcast(grad, sa), unbroadcast(grad, sb)


class Sub(Function):
    """z = a - b;  dz/da = 1, dz/db = -1."""

    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a - b

    def backward(ctx, grad):
        sa, sb = ctx.shapes
        gb = unbroadcast(-grad, sb) if ctx.needs_input_grad[1] else None
        return unbroadcast(grad, sa), gb


class Mul(Function):
    """z = a * b;  dz/da = b, dz/db = a."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(grad * b, a._data.shape) if na else None
        gb = unbroadcast(grad * a, b._data.shape) if nb else None
        return ga, gb


class Div(Function):
    """z = a / b;  dz/da = 1 / b, dz/db = -a / b**2."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(grad / b, a._data.shape) if na else None
        gb = unbroadcast(-grad * a / (b * b), b._data.shape) if nb else None
        return ga, gb


class Pow(Function):
    """z = a ** b;  dz/da = b a**(b-1), dz/db = a**b log(a) (taken as 0 where a == 0)."""

    def name(ctx) -> str:
        return "PowBackward1"          # torch's node name for tensor ** tensor

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a ** b

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            ga = unbroadcast(grad * b * a ** (b - 1), a._data.shape)
        if nb:
            safe_log = where(a == 0, 0.0, log(where(a == 0, 1.0, a)))
            gb = unbroadcast(grad * a ** b * safe_log, b._data.shape)
        return ga, gb


class Remainder(Function):
    """z = a - floor(a / b) * b (sign of b);  dz/da = 1, dz/db = -floor(a / b)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(np.floor_divide(a, b))
        ctx.shapes = (a.shape, b.shape)
        return np.remainder(a, b)

    def backward(ctx, grad):
        (q,) = ctx.saved_tensors
        sa, sb = ctx.shapes
        gb = unbroadcast(-grad * q, sb) if ctx.needs_input_grad[1] else None
        return unbroadcast(grad, sa), gb


class Fmod(Function):
    """z = a - trunc(a / b) * b (sign of a);  dz/da = 1, dz/db = -trunc(a / b)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(np.trunc(a / b) if a.dtype.kind == "f" else a // b)
        ctx.shapes = (a.shape, b.shape)
        return np.fmod(a, b)

    def backward(ctx, grad):
        (q,) = ctx.saved_tensors
        sa, sb = ctx.shapes
        gb = unbroadcast(-grad * q, sb) if ctx.needs_input_grad[1] else None
        return unbroadcast(grad, sa), gb


class Maximum(Function):
    """z = max(a, b);  the gradient goes to the larger input (split evenly on ties, as torch)."""

    def forward(ctx, a, b):
        ctx.save_for_backward((a > b).astype(a.dtype) + 0.5 * (a == b))
        ctx.shapes = (a.shape, b.shape)
        return np.maximum(a, b)

    def backward(ctx, grad):
        (wa,) = ctx.saved_tensors
        sa, sb = ctx.shapes
        return unbroadcast(grad * wa, sa), unbroadcast(grad * (1 - wa), sb)


class Minimum(Function):
    """z = min(a, b);  the gradient goes to the smaller input (split evenly on ties)."""

    def forward(ctx, a, b):
        ctx.save_for_backward((a < b).astype(a.dtype) + 0.5 * (a == b))
        ctx.shapes = (a.shape, b.shape)
        return np.minimum(a, b)

    def backward(ctx, grad):
        (wa,) = ctx.saved_tensors
        sa, sb = ctx.shapes
        return unbroadcast(grad * wa, sa), unbroadcast(grad * (1 - wa), sb)


class Where(Function):
    """z = cond ? a : b;  dz/da = cond, dz/db = not cond."""

    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.shapes = (a.shape, b.shape)
        return select(cond, a, b)

    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        sa, sb = ctx.shapes
        _, na, nb = ctx.needs_input_grad
        zero = grad.new_zeros(())
        ga = unbroadcast(where(cond, grad, zero), sa) if na else None
        gb = unbroadcast(where(cond, zero, grad), sb) if nb else None
        return None, ga, gb


class Lerp(Function):
    """z = a + w (b - a);  dz/da = 1 - w, dz/db = w, dz/dw = b - a."""

    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        return a + w * (b - a)

    def backward(ctx, grad):
        a, b, w = ctx.saved_tensors
        na, nb, nw = ctx.needs_input_grad
        sa, sb, sw = a._data.shape, b._data.shape, w._data.shape
        return (unbroadcast(grad * (1 - w), sa) if na else None,
                unbroadcast(grad * w, sb) if nb else None,
                unbroadcast(grad * (b - a), sw) if nw else None)


class Xlogy(Function):
    """z = x log(y) (0 where x == 0);  dz/dx = log(y) (0 where x == 0 and y <= 0, as torch),
    dz/dy = x / y."""

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return select(x == 0, np.zeros((), x.dtype), x * np.log(y))

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        nx, ny = ctx.needs_input_grad
        gx = None
        if nx:
            undefined = (x._data == 0) & (y._data <= 0)
            gx = unbroadcast(where(undefined, grad.new_zeros(()), xlogy(grad, y)),
                             x._data.shape)
        gy = unbroadcast(grad * x / y, y._data.shape) if ny else None
        return gx, gy


@tensor_method
def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting and torch's type promotion."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = binary_operands(input, other, "add")
    return Add.apply(a, b)


def _is_bool(x) -> bool:
    if isinstance(x, Tensor):
        return x._data.dtype.kind == "b"
    return isinstance(x, (bool, np.bool_)) or getattr(x, "dtype", None) == np.bool_


@tensor_method
def sub(input, other, *, alpha=1):
    """``input - alpha * other``."""
    bools = (_is_bool(input), _is_bool(other))
    if all(bools) and isinstance(input, Tensor) and isinstance(other, Tensor):
        raise op_error(RuntimeError, "sub: subtraction, the `-` operator, with two bool tensors "
                                     "is not supported. Use the `^` or `logical_xor()` operator "
                                     "instead.")
    if any(bools):
        raise op_error(RuntimeError, "sub: subtraction, the `-` operator, with a bool tensor is "
                                     "not supported. If you are trying to invert a mask, use the "
                                     "`~` or `logical_not()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    a, b = binary_operands(input, other, "sub")
    return Sub.apply(a, b)


@tensor_method
def mul(input, other):
    """``input * other``."""
    a, b = binary_operands(input, other, "mul")
    return Mul.apply(a, b)


@tensor_method
def div(input, other, *, rounding_mode=None):
    """``input / other`` (true division: integers give the default float dtype);
    ``rounding_mode`` 'floor' or 'trunc' rounds the quotient (no gradient)."""
    if rounding_mode is None:
        a, b = binary_operands(input, other, "div", floating=True)
        return Div.apply(a, b)
    if rounding_mode not in ("floor", "trunc"):
        raise op_error(ValueError, f"div: expected rounding_mode to be one of None, 'trunc', or "
                                   f"'floor' but found '{rounding_mode}'")
    a, b = binary_operands(input, other, "div")
    ad = a._data if isinstance(a, Tensor) else a
    bd = b._data if isinstance(b, Tensor) else b
    if rounding_mode == "floor":
        out = np.floor_divide(ad, bd) if ad.dtype.kind != "f" else np.floor(ad / bd)
    else:
        out = np.trunc(ad / bd).astype(ad.dtype) if ad.dtype.kind != "f" else np.trunc(ad / bd)
    return Tensor._make(np.asarray(out))


@tensor_method
def floor_divide(input, other):
    """``input // other`` rounded toward minus infinity (no gradient)."""
    return div(input, other, rounding_mode="floor")


@tensor_method
def remainder(input, other):
    """Python's ``%``: the result has the sign of the divisor."""
    a, b = binary_operands(input, other, "remainder")
    return Remainder.apply(a, b)


@tensor_method
def fmod(input, other):
    """C's fmod: the result has the sign of the dividend."""
    a, b = binary_operands(input, other, "fmod")
    return Fmod.apply(a, b)


@tensor_method
def pow(input, exponent):
    """``input ** exponent`` (tensor or number on either side)."""
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor) and \
            np.ndim(exponent) == 0:
        from ._util import result_dtype
        dt = result_dtype(input, exponent)     # int ** 0.5 is float, as torch
        if dt != input._data.dtype:
            input = input.to(Tensor._dtype_of(dt))
        if dt == np.bool_:                     # bool ** bool: x ** True = x, x ** False = 1
            return Tensor._make(input._data.copy() if exponent else
                                np.ones_like(input._data))
        if exponent == 2:
            return square(input)
        if exponent == 1:
            return input * 1
        if input._data.dtype.kind in "iu" and isinstance(exponent, (int, np.integer)) and \
                exponent < 0:
            raise op_error(RuntimeError, "pow: Integers to negative integer powers are not "
                                         "allowed.")
        return PowScalar.apply(input, exponent=exponent)
    a, b = binary_operands(input, exponent, "pow")
    if np.result_type(a._data if isinstance(a, Tensor) else a) == np.bool_:
        raise op_error(NotImplementedError, "pow: not implemented for 'Bool' (two bool "
                                            "operands)")
    return Pow.apply(a, b)


class PowScalar(Function):
    """z = x ** p for a number p;  dz/dx = p x**(p-1)."""

    op_name = "pow"

    def name(ctx) -> str:
        return "PowBackward0"          # torch's node name for tensor ** number

    def forward(ctx, x, exponent):
        ctx.p = exponent
        ctx.save_for_backward(x)
        out = x ** exponent
        return out.astype(x.dtype, copy=False) if x.dtype.kind == "f" else out

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        p = ctx.p
        return grad * p * pow(x, p - 1)


@tensor_method
def maximum(input, other):
    """Elementwise maximum of two tensors."""
    a, b = binary_operands(input, other, "maximum")
    return Maximum.apply(a, b)


@tensor_method
def minimum(input, other):
    """Elementwise minimum of two tensors."""
    a, b = binary_operands(input, other, "minimum")
    return Minimum.apply(a, b)


@tensor_method
def where(condition, input=None, other=None):
    """``condition ? input : other`` elementwise; ``where(cond)`` alone is ``nonzero(as_tuple)``."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise op_error(RuntimeError, f"where: expected condition to be a bool tensor, got "
                                     f"{cond.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        from ._util import result_type
        dt = result_type(input, other).np_dtype
        input, other = Tensor._make(np.asarray(input, dt)), Tensor._make(np.asarray(other, dt))
    a, b = binary_operands(input, other, "where")
    a = a if isinstance(a, Tensor) else Tensor._make(a)
    b = b if isinstance(b, Tensor) else Tensor._make(b)
    return Where.apply(cond, a, b)


@tensor_method
def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    a, b = binary_operands(input, end, "lerp")
    w = weight if isinstance(weight, Tensor) else np.asarray(weight, dtype=a._data.dtype)
    return Lerp.apply(a, b, w)


@tensor_method
def xlogy(input, other):
    """``input * log(other)``, defined as 0 where input is 0."""
    a, b = binary_operands(input, other, "xlogy", floating=True)
    return Xlogy.apply(a, b)


subtract, multiply, divide, true_divide = sub, mul, div, div
tensor_method(sub, name="subtract")
tensor_method(mul, name="multiply")
tensor_method(div, name="divide")
tensor_method(div, name="true_divide")


# ======================================================================== unary math
def _unary_float(x: Tensor, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise op_error(TypeError, f"{op}(): argument 'input' must be Tensor, not "
                                  f"{type(x).__name__}")
    if x._data.dtype.kind not in "fc":
        from ..backend import get_default_dtype
        return x.to(get_default_dtype())
    return x


class Neg(Function):
    """y = -x;  dy/dx = -1."""

    def forward(ctx, x):
        return -x

    def backward(ctx, grad):
        return -grad


class Abs(Function):
    """y = |x|;  dy/dx = sign(x) (0 at 0)."""

    def forward(ctx, x):
        ctx.save_for_backward(np.sign(x))
        return np.abs(x)

    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return grad * s


class Exp(Function):
    """y = e**x;  dy/dx = y."""

    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Exp2(Function):
    """y = 2**x;  dy/dx = y ln 2."""

    def forward(ctx, x):
        y = np.exp2(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * math.log(2.0)


class Log(Function):
    """y = ln x;  dy/dx = 1 / x."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Log2(Function):
    """y = log2 x;  dy/dx = 1 / (x ln 2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log2(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * math.log(2.0))


class Log10(Function):
    """y = log10 x;  dy/dx = 1 / (x ln 10)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log10(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * math.log(10.0))


class Log1p(Function):
    """y = ln(1 + x);  dy/dx = 1 / (1 + x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x + 1)


class Expm1(Function):
    """y = e**x - 1;  dy/dx = y + 1."""

    def forward(ctx, x):
        y = np.expm1(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y + 1)


class Sqrt(Function):
    """y = sqrt(x);  dy/dx = 1 / (2 y)."""

    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad / (y * 2)


class Rsqrt(Function):
    """y = 1 / sqrt(x);  dy/dx = -y**3 / 2."""

    def forward(ctx, x):
        y = 1 / np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * y * y * -0.5


class Square(Function):
    """y = x**2;  dy/dx = 2 x."""

    def name(ctx) -> str:
        return "PowBackward0"          # torch computes square as pow(x, 2)

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x * 2


class Reciprocal(Function):
    """y = 1 / x;  dy/dx = -y**2."""

    def forward(ctx, x):
        y = 1 / x
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return -grad * y * y


class Sin(Function):
    """y = sin x;  dy/dx = cos x."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * cos(x)


class Cos(Function):
    """y = cos x;  dy/dx = -sin x."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * sin(x)


class Tan(Function):
    """y = tan x;  dy/dx = 1 + y**2."""

    def forward(ctx, x):
        y = np.tan(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y * y + 1)


class Atan(Function):
    """y = atan x;  dy/dx = 1 / (1 + x**2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * x + 1)


class Asin(Function):
    """y = asin x;  dy/dx = 1 / sqrt(1 - x**2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * rsqrt(1 - x * x)


class Acos(Function):
    """y = acos x;  dy/dx = -1 / sqrt(1 - x**2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * rsqrt(1 - x * x)


class Sinh(Function):
    """y = sinh x;  dy/dx = cosh x."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinh(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * cosh(x)


class Cosh(Function):
    """y = cosh x;  dy/dx = sinh x."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cosh(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * sinh(x)


class Tanh(Function):
    """y = tanh x;  dy/dx = 1 - y**2."""

    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return TanhBackward.apply(grad, y)


class TanhBackward(Function):
    """The gradient of tanh as one op (it runs in every tanh network's backward):
    z = g (1 - y**2);  dz/dg = 1 - y**2, dz/dy = -2 g y."""

    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return g * (1 - y * y)

    def backward(ctx, grad):
        g, y = ctx.saved_tensors
        ng, ny = ctx.needs_input_grad
        return (grad * (1 - y * y) if ng else None), (grad * g * y * -2 if ny else None)


class Sigmoid(Function):
    """y = 1 / (1 + e**-x);  dy/dx = y (1 - y)."""

    def forward(ctx, x):
        # 1 / (1 + e**-x), as torch computes it: accurate on both sides; where e**-x overflows
        # (y below the smallest normal float) it gives 0, as torch does. Three passes: a
        # np.where between two stable branches is many times slower than all of them.
        with np.errstate(over="ignore"):
            y = np.asarray(np.exp(-x))          # (a 0-d input gives a NumPy scalar)
        y += 1
        np.reciprocal(y, out=y)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * (1 - y)


class Erf(Function):
    """y = erf x;  dy/dx = 2 / sqrt(pi) e**(-x**2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * exp(-x * x) * (2 / math.sqrt(math.pi))


def _erf(x):
    """erf on an array: SciPy's when it is installed, else math.erf per element (NumPy has no
    erf). Exact to float64 rounding either way."""
    try:
        from scipy.special import erf as _scipy_erf  # optional
    except ImportError:
        return np.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x.copy()
    return _scipy_erf(x).astype(x.dtype, copy=False)


class Relu(Function):
    """y = max(x, 0);  dy/dx = 1 where x > 0 else 0."""

    def forward(ctx, x):
        if x.dtype.kind == "f":         # large arrays: in chunks on several threads
            y = map_flat(lambda o, a: np.maximum(a, 0, out=o), np.empty_like(x), x)
        else:
            y = np.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return ReluBackward.apply(grad, y)


class ReluBackward(Function):
    """The gradient of relu as one op (it runs in every relu network's backward), from the
    output y = relu(x):  z = g where y > 0 else 0;  dz/dg = the same mask, dz/dy = 0 (a zero
    gradient, as torch's, so x stays in the graph of the gradient). The mask is written as
    floats into z, then multiplied by g in place: np.multiply by a bool mask casts in buffered
    chunks (~1.2x slower)."""

    def forward(ctx, g, y):
        ctx.save_for_backward(y)
        return map_flat(_relu_grad, np.empty(y.shape, g.dtype), y, g)

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        ng, ny = ctx.needs_input_grad
        return (ReluBackward.apply(grad, y) if ng else None,
                Tensor._make(np.zeros_like(y._data)) if ny else None)


def _relu_grad(z, y, g):
    np.greater(y, 0, out=z)
    z *= g


class LeakyRelu(Function):
    """y = x if x > 0 else s x;  dy/dx = 1 or s."""

    def forward(ctx, x, negative_slope):
        ctx.slope = negative_slope
        ctx.save_for_backward(x)
        # max(x, s x) for s <= 1, min(x, s x) for s > 1: two passes (np.where takes ~15x longer)
        y = np.asarray(x * negative_slope)      # (a 0-d input gives a NumPy scalar)
        (np.maximum if negative_slope <= 1 else np.minimum)(y, x, out=y)
        return y

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return LeakyReluBackward.apply(grad, x, negative_slope=ctx.slope)


class LeakyReluBackward(Function):
    """The gradient of leaky_relu as one op: z = g if x > 0 else s g;  dz/dg = 1 or s,
    dz/dx = 0 (a zero gradient, as torch's, so x stays in the graph of the gradient: a
    gradient penalty through a leaky-relu net gives every bias a zero, not a missing,
    gradient)."""

    def forward(ctx, g, x, negative_slope):
        ctx.slope = negative_slope
        ctx.save_for_backward(x)
        z = np.asarray(x > 0).astype(g.dtype)   # g (s + (1 - s) [x > 0])
        z *= 1 - negative_slope
        z += negative_slope
        z *= g
        return z

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        ng, nx = ctx.needs_input_grad
        return (LeakyReluBackward.apply(grad, x, negative_slope=ctx.slope) if ng else None,
                Tensor._make(np.zeros_like(x._data)) if nx else None)


class Elu(Function):
    """y = x if x > 0 else a (e**x - 1);  dy/dx = 1 or a e**x = y + a."""

    def forward(ctx, x, alpha, scale=1.0):
        ctx.alpha, ctx.scale = alpha, scale
        ctx.save_for_backward(x)
        return scale * select(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        pos = x._data > 0
        return grad * where(pos, grad.new_ones(()), exp(x) * ctx.alpha) * ctx.scale


class Gelu(Function):
    """y = x Phi(x) with Phi the normal CDF ('none') or its tanh approximation ('tanh');
    dy/dx = Phi(x) + x phi(x)."""

    def forward(ctx, x, approximate="none"):
        ctx.approximate = approximate
        ctx.save_for_backward(x)
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            return 0.5 * x * (1 + np.tanh(k * (x + 0.044715 * x ** 3)))
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            inner = (x + x * x * x * 0.044715) * k
            t = tanh(inner)
            d_inner = (x * x * (3 * 0.044715) + 1) * k
            return grad * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * d_inner)
        cdf = (erf(x * (1 / math.sqrt(2))) + 1) * 0.5
        pdf = exp(x * x * -0.5) * (1 / math.sqrt(2 * math.pi))
        return grad * (cdf + x * pdf)


class Softplus(Function):
    """y = log(1 + e**(b x)) / b (linear above the threshold);  dy/dx = sigmoid(b x)."""

    def forward(ctx, x, beta=1.0, threshold=20.0):
        ctx.beta, ctx.threshold = beta, threshold
        ctx.save_for_backward(x)
        bx = x * beta
        # log(1 + e**z) = max(z, 0) + log1p(e**-|z|): elementwise passes only (np.logaddexp
        # and np.where are many times slower)
        y = np.asarray(np.abs(bx))              # (a 0-d input gives a NumPy scalar)
        np.negative(y, out=y)
        np.exp(y, out=y)
        np.log1p(y, out=y)
        y += np.maximum(bx, 0)
        if beta != 1:
            y /= beta
        linear = bx > threshold
        if linear.any():
            y[linear] = x[linear]
        return y.astype(x.dtype, copy=False)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        bx = x * ctx.beta
        return grad * where(bx._data > ctx.threshold, grad.new_ones(()), sigmoid(bx))


class Clamp(Function):
    """y = min(max(x, lo), hi);  dy/dx = 1 inside [lo, hi], 0 outside."""

    def forward(ctx, x, lo, hi):
        inside = np.ones(x.shape, dtype=bool)
        out = x
        if lo is not None:
            inside &= x >= lo
            out = np.maximum(out, lo)
        if hi is not None:
            inside &= x <= hi
            out = np.minimum(out, hi)
        ctx.save_for_backward(inside)
        return out.astype(x.dtype, copy=False) if out is not x else x.copy()

    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return Mul.apply(grad, inside._data)


class Sign(Function):
    """y = sign(x);  dy/dx = 0."""

    def forward(ctx, x):
        ctx.shape = x.shape
        return np.sign(x)

    def backward(ctx, grad):
        return grad * 0


class _Rounding(Function):
    """A step function: zero gradient everywhere (floor, ceil, round, trunc)."""

    fn = None

    def forward(ctx, x, **kw):
        return type(ctx).fn(x, **kw)

    def backward(ctx, grad):
        return grad * 0


class Floor(_Rounding):
    """y = floor x;  dy/dx = 0."""
    fn = staticmethod(np.floor)


class Ceil(_Rounding):
    """y = ceil x;  dy/dx = 0."""
    fn = staticmethod(np.ceil)


class Round(_Rounding):
    """y = round half to even;  dy/dx = 0."""
    fn = staticmethod(np.round)


class Trunc(_Rounding):
    """y = trunc x;  dy/dx = 0."""
    fn = staticmethod(np.trunc)


def _unary(cls, doc: str, name: str, floating: bool = True):
    def op(input):
        x = _unary_float(input, name) if floating else input
        return cls.apply(x)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    tensor_method(op)
    return op


neg = _unary(Neg, "-input.", "neg", floating=False)
exp = _unary(Exp, "e ** input.", "exp")
exp2 = _unary(Exp2, "2 ** input.", "exp2")
log = _unary(Log, "Natural logarithm.", "log")
log2 = _unary(Log2, "Base-2 logarithm.", "log2")
log10 = _unary(Log10, "Base-10 logarithm.", "log10")
log1p = _unary(Log1p, "log(1 + input), accurate near 0.", "log1p")
expm1 = _unary(Expm1, "exp(input) - 1, accurate near 0.", "expm1")
sqrt = _unary(Sqrt, "Square root.", "sqrt")
rsqrt = _unary(Rsqrt, "1 / sqrt(input).", "rsqrt")
reciprocal = _unary(Reciprocal, "1 / input.", "reciprocal")
sin = _unary(Sin, "Sine.", "sin")
cos = _unary(Cos, "Cosine.", "cos")
tan = _unary(Tan, "Tangent.", "tan")
atan = _unary(Atan, "Arc tangent.", "atan")
asin = _unary(Asin, "Arc sine.", "asin")
acos = _unary(Acos, "Arc cosine.", "acos")
sinh = _unary(Sinh, "Hyperbolic sine.", "sinh")
cosh = _unary(Cosh, "Hyperbolic cosine.", "cosh")
tanh = _unary(Tanh, "Hyperbolic tangent.", "tanh")
sigmoid = _unary(Sigmoid, "Logistic sigmoid 1 / (1 + exp(-input)).", "sigmoid")
erf = _unary(Erf, "Error function.", "erf")
relu = _unary(Relu, "max(input, 0).", "relu", floating=False)
negative = neg
tensor_method(neg, name="negative")


@tensor_method
def square(input):
    """input ** 2."""
    return Square.apply(input)


@tensor_method
def abs(input):
    """|input|."""
    return Abs.apply(input)


absolute = abs
tensor_method(abs, name="absolute")


@tensor_method
def sign(input):
    """-1, 0 or 1 by the sign of input (zero gradient)."""
    return Sign.apply(input)


def _rounding(cls, name):
    def op(input, **kw):
        if input._data.dtype.kind in "iub":
            return input.clone()
        return cls.apply(input, **kw)
    op.__name__ = name
    op.__doc__ = f"{name} (zero gradient)."
    tensor_method(op)
    return op


floor = _rounding(Floor, "floor")
ceil = _rounding(Ceil, "ceil")
trunc = _rounding(Trunc, "trunc")


@tensor_method
def round(input, *, decimals: int = 0):
    """Round half to even, to ``decimals`` places (zero gradient)."""
    if input._data.dtype.kind in "iub":
        return input.clone()
    return Round.apply(input, decimals=decimals)


@tensor_method
def frac(input):
    """input - trunc(input)."""
    return input - trunc(input)


@tensor_method
def leaky_relu(input, negative_slope: float = 0.01):
    """input if input > 0 else negative_slope * input."""
    return LeakyRelu.apply(input, negative_slope)


@tensor_method
def elu(input, alpha: float = 1.0):
    """input if input > 0 else alpha * (exp(input) - 1)."""
    return Elu.apply(input, alpha)


@tensor_method
def selu(input):
    """scale * elu(input, alpha) with the self-normalising constants."""
    return Elu.apply(input, 1.6732632423543772848170429916717, 1.0507009873554804934193349852946)


@tensor_method
def gelu(input, approximate: str = "none"):
    """input * Phi(input); ``approximate='tanh'`` uses the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise op_error(RuntimeError, f"gelu: approximate argument must be either none or tanh "
                                     f"(got {approximate!r})")
    return Gelu.apply(input, approximate)


@tensor_method
def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """log(1 + exp(beta * input)) / beta, linear where beta * input > threshold."""
    return Softplus.apply(input, beta, threshold)


@tensor_method
def silu(input):
    """input * sigmoid(input) (swish)."""
    return input * sigmoid(input)


@tensor_method
def mish(input):
    """input * tanh(softplus(input))."""
    return input * tanh(softplus(input))


@tensor_method
def logsigmoid(input):
    """log(sigmoid(input)) = -softplus(-input), stable."""
    return -softplus(-input)


@tensor_method
def hardsigmoid(input):
    """clamp(input / 6 + 1/2, 0, 1)."""
    return clamp(input / 6 + 0.5, 0, 1)


@tensor_method
def hardswish(input):
    """input * hardsigmoid(input)."""
    return input * hardsigmoid(input)


@tensor_method
def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0):
    """clamp(input, min_val, max_val)."""
    return clamp(input, min_val, max_val)


@tensor_method
def relu6(input):
    """clamp(input, 0, 6)."""
    return clamp(input, 0, 6)


@tensor_method
def logit(input, eps=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    if eps is not None:
        input = clamp(input, eps, 1 - eps)
    return log(input / (1 - input))


@tensor_method
def clamp(input, min=None, max=None):
    """Limit values to [min, max]; min and max may be numbers or tensors."""
    if min is None and max is None:
        raise op_error(RuntimeError, "clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    if input._data.dtype.kind in "biu":       # int.clamp(0.5, 1.5) is float, as torch
        from ._util import result_dtype
        dt = input._data.dtype
        for bound in (min, max):
            if bound is not None:
                dt = result_dtype(Tensor._make(np.empty(0, dt)), bound)
        if dt != input._data.dtype:
            input = input.to(Tensor._dtype_of(dt))
    return Clamp.apply(input, min, max)


clip = clamp
tensor_method(clamp, name="clip")


@tensor_method
def clamp_min(input, min):
    return clamp(input, min=min)


@tensor_method
def clamp_max(input, max):
    return clamp(input, max=max)


# ======================================================================== dtype casts
class Cast(Function):
    """y = x as another dtype;  dy/dx = 1 (the gradient is cast back)."""

    op_name = "to"

    def name(ctx) -> str:
        return "ToCopyBackward0"

    def forward(ctx, x, np_dtype):
        ctx.in_dtype = x.dtype
        return x.astype(np_dtype)

    def backward(ctx, grad):
        return grad.to(Tensor._dtype_of(ctx.in_dtype))


# ======================================================================== in-place variants
_ALPHA = frozenset(["alpha"])
_UFUNCS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide}


def _ufunc_inplace(self, ufunc, name, other, alpha):
    """x.add_(y) etc. with nothing to record: one NumPy ufunc writing into x's own array."""
    a = self._data
    o = other._data if isinstance(other, Tensor) else other
    # the common case (optimizer updates) skips the checks: same dtype and shape, or a float
    # tensor with a Python number
    plain = (type(o) is np.ndarray and o.dtype == a.dtype and o.shape == a.shape) or (
        (type(o) is float or type(o) is int) and a.dtype.kind == "f")
    if alpha != 1:
        o = o * alpha
    if not plain:
        _check_inplace(self, ufunc, name, other, o)
    try:
        ufunc(a, o, out=a, casting="unsafe")
    except (TypeError, ValueError) as e:
        raise op_error(RuntimeError, f"{name}_: {e}") from None
    self._version += 1
    return self


def _check_inplace(self, ufunc, name, other, o):
    """torch's rules for ``x.op_(y)``: y broadcasts to x's shape; no float into an int tensor."""
    shape = self._data.shape
    if getattr(o, "ndim", 0) and np.broadcast_shapes(shape, o.shape) != shape:
        raise op_error(RuntimeError, f"{name}_: output with shape {list(shape)} doesn't match "
                                     f"the broadcast shape "
                                     f"{list(np.broadcast_shapes(shape, o.shape))}")
    from ._util import result_dtype
    from ..backend import get_default_dtype, scalar_type_name
    from ..tensor import _can_cast_inplace
    res = result_dtype(self, other if isinstance(other, Tensor) else
                       (Tensor._make(np.asarray(o)) if np.ndim(o) else o))
    if ufunc is np.true_divide and res.kind != "f":
        res = get_default_dtype().np_dtype
    if not _can_cast_inplace(res, self._data.dtype):     # torch: no float into an int tensor
        raise op_error(RuntimeError, f"{name}_: result type {scalar_type_name(res)} can't be "
                                     f"cast to the desired output type "
                                     f"{scalar_type_name(self.dtype)}")


def _make_inplace(name, fn):
    ufunc = _UFUNCS.get(name)

    def method(self, *args, **kwargs):
        if ufunc is not None and len(args) == 1 and kwargs.keys() <= _ALPHA and (
                not grad_mode._state[0] or not (self.requires_grad or getattr(
                    args[0], "requires_grad", False))):
            return _ufunc_inplace(self, ufunc, name, args[0], kwargs.get("alpha", 1))
        return self._inplace(fn(self._snapshot(name + "_"), *args, **kwargs), name + "_")
    method.__name__ = name + "_"
    method.__doc__ = f"In-place {name}."
    setattr(Tensor, name + "_", method)


for _name, _fn in [("add", add), ("sub", sub), ("mul", mul), ("div", div), ("pow", pow),
                   ("neg", neg), ("abs", abs), ("exp", exp), ("log", log), ("sqrt", sqrt),
                   ("clamp", clamp), ("clip", clamp), ("sigmoid", sigmoid), ("tanh", tanh),
                   ("relu", relu), ("square", square), ("floor", floor), ("ceil", ceil),
                   ("round", round), ("trunc", trunc), ("sign", sign), ("reciprocal", reciprocal),
                   ("remainder", remainder), ("lerp", lerp), ("sin", sin), ("cos", cos),
                   ("leaky_relu", leaky_relu), ("elu", elu), ("clamp_min", clamp_min),
                   ("clamp_max", clamp_max), ("fmod", fmod), ("subtract", sub),
                   ("multiply", mul), ("divide", div), ("rsqrt", rsqrt), ("log1p", log1p),
                   ("expm1", expm1), ("floor_divide", floor_divide)]:
    _make_inplace(_name, _fn)


def _addcmul_(self, tensor1, tensor2, *, value=1):
    return self._inplace(self._snapshot("addcmul_") + tensor1 * tensor2 * value)


def _addcdiv_(self, tensor1, tensor2, *, value=1):
    return self._inplace(self._snapshot("addcdiv_") + tensor1 / tensor2 * value)


Tensor.addcmul_ = _addcmul_
Tensor.addcdiv_ = _addcdiv_
