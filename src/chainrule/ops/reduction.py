"""Reductions over dims: sum, mean, var, std, amax/amin, max/min, logsumexp, and the softmax
family. The gradient of a reduction is broadcast back with ``expand``."""
from __future__ import annotations

import builtins
from collections import namedtuple

from ..autograd.function import Function
from ..backend import np, get_default_dtype
from ._util import Tensor, tensor_method, dims_of, wrap_dim, op_error

__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "amax", "amin", "max", "min",
           "logsumexp", "softmax", "log_softmax"]

values_indices = namedtuple("values_indices", ["values", "indices"])


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _expand_back(grad: Tensor, shape, dims, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back to the input's shape."""
    if not keepdim:
        grad = grad.reshape(_kept_shape(shape, dims))
    return grad.expand(shape)


class Sum(Function):
    """y = sum_i x_i over ``dims``;  dy/dx_i = 1."""

    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim)

    def backward(ctx, grad):
        return _expand_back(grad, ctx.shape, ctx.dims, ctx.keepdim)


class Mean(Function):
    """y = (1/n) sum_i x_i over ``dims``;  dy/dx_i = 1/n."""

    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        n = 1
        for d in dims:
            n *= x.shape[d]
        ctx.n = n
        return x.mean(axis=dims, keepdims=keepdim)

    def backward(ctx, grad):
        return _expand_back(grad * (1.0 / ctx.n if ctx.n else float("nan")), ctx.shape,
                            ctx.dims, ctx.keepdim)


class Var(Function):
    """y = sum_i (x_i - mean)**2 / (n - correction);  dy/dx_i = 2 (x_i - mean) / (n - correction).
    """

    def forward(ctx, x, dims, correction, keepdim):
        ctx.dims, ctx.keepdim, ctx.shape = dims, keepdim, x.shape
        n = 1
        for d in dims:
            n *= x.shape[d]
        ctx.denom = builtins.max(n - correction, 0)
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return x.var(axis=dims, ddof=correction, keepdims=keepdim) if n - correction > 0 \
                else np.full(_out_shape(x.shape, dims, keepdim), np.nan, dtype=x.dtype)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        centered = x - x.mean(dim=ctx.dims, keepdim=True)
        g = _expand_back(grad, ctx.shape, ctx.dims, ctx.keepdim)
        return g * centered * (2.0 / ctx.denom if ctx.denom else float("nan"))


def _out_shape(shape, dims, keepdim):
    if keepdim:
        return _kept_shape(shape, dims)
    return tuple(s for i, s in enumerate(shape) if i not in dims)


class Amax(Function):
    """y = max_i x_i over ``dims``;  dy/dx_i = 1/k on the k maximal elements, 0 elsewhere."""

    def forward(ctx, x, dims, keepdim, use_min=False):
        y = (x.min if use_min else x.max)(axis=dims, keepdims=True)
        mask = x == y
        ctx.save_for_backward(mask / mask.sum(axis=dims, keepdims=True))
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return y if keepdim else y.reshape(_out_shape(x.shape, dims, False))

    def backward(ctx, grad):
        (share,) = ctx.saved_tensors
        return _expand_back(grad, ctx.shape, ctx.dims, ctx.keepdim) * share.to(grad.dtype)


class MaxDim(Function):
    """y = x[argmax] along one dim;  dy/dx = 1 at the selected index, 0 elsewhere."""

    op_name = "max"

    def forward(ctx, x, dim, keepdim, use_min=False):
        idx = (x.argmin if use_min else x.argmax)(axis=dim, keepdims=True)
        ctx.indices = idx if keepdim else idx.squeeze(dim)
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        ctx.save_for_backward(idx)
        y = np.take_along_axis(x, idx, axis=dim)
        return y if keepdim else y.squeeze(dim)

    def backward(ctx, grad):
        (idx,) = ctx.saved_tensors
        g = grad if ctx.keepdim else grad.unsqueeze(ctx.dim)
        return g.new_zeros(ctx.shape).scatter_add(ctx.dim, idx, g)


class LogSumExp(Function):
    """y = log sum_i e**x_i (shifted by the max for stability);  dy/dx_i = e**(x_i - y)."""

    def forward(ctx, x, dims, keepdim):
        m = x.max(axis=dims, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):
            y = np.log(np.exp(x - m).sum(axis=dims, keepdims=True)) + m
        out = y if keepdim else y.reshape(_out_shape(x.shape, dims, False))
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        y = _expand_back(y, ctx.shape, ctx.dims, ctx.keepdim)
        return _expand_back(grad, ctx.shape, ctx.dims, ctx.keepdim) * (x - y).exp()


class Softmax(Function):
    """y_i = e**x_i / sum_j e**x_j along ``dim``;  dx = y * (dy - sum_j dy_j y_j)."""

    def forward(ctx, x, dim):
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        gy = grad * y
        return gy - y * gy.sum(dim=ctx.dim, keepdim=True)


class LogSoftmax(Function):
    """y_i = x_i - logsumexp(x) along ``dim``;  dx = dy - softmax(x) * sum_j dy_j."""

    def forward(ctx, x, dim):
        z = x - x.max(axis=dim, keepdims=True)
        y = z - np.log(np.exp(z).sum(axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad - y.exp() * grad.sum(dim=ctx.dim, keepdim=True)


# ------------------------------------------------------------------ functional forms
def _float_input(x: Tensor, dtype, op: str) -> Tensor:
    if dtype is not None:
        return x.to(dtype)
    if x._data.dtype.kind not in "fc":
        raise op_error(RuntimeError, f"{op}: input dtype should be either floating point or "
                                     f"complex dtypes. Got {x.dtype.name} instead.")
    return x


@tensor_method
def sum(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Sum over ``dim`` (an int, a tuple, or all dims). Bool and int inputs sum as int64."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "bui" and input._data.dtype != np.int64:
        input = input.to(Tensor._dtype_of(np.dtype(np.int64)))
    dims = dims_of(dim, input._data.ndim, "sum")
    return Sum.apply(input, dims, keepdim)


@tensor_method
def mean(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Arithmetic mean over ``dim``; floating-point inputs only, as torch."""
    input = _float_input(input, dtype, "mean")
    return Mean.apply(input, dims_of(dim, input._data.ndim, "mean"), keepdim)


def _correction(unbiased, correction, op):
    if unbiased is not None and correction is not None:
        raise op_error(RuntimeError, f"{op}: cannot specify both unbiased and correction")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


@tensor_method
def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance over ``dim`` with ``correction`` (1: Bessel's, the default; 0: population)."""
    if isinstance(dim, bool):          # torch's legacy var(input, unbiased)
        dim, unbiased = None, dim
    input = _float_input(input, None, "var")
    return Var.apply(input, dims_of(dim, input._data.ndim, "var"),
                     _correction(unbiased, correction, "var"), keepdim)


@tensor_method
def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Standard deviation: sqrt(var)."""
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(var, mean) over ``dim``."""
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(std, mean) over ``dim``."""
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def _check_nonempty(input, dims, op):
    for d in dims:
        if input._data.shape[d] == 0:
            raise op_error(IndexError, f"{op}: Expected reduction dim {d} to have non-zero size "
                                       f"(input shape {tuple(input._data.shape)})")
    if input._data.size == 0 and not dims:
        raise op_error(RuntimeError, f"{op}: Expected reduction over a non-empty tensor")


@tensor_method
def amax(input, dim=(), keepdim: bool = False):
    """Maximum over ``dim`` (all dims when empty); the gradient is shared among ties."""
    dims = dims_of(None if dim == () else dim, input._data.ndim, "amax")
    _check_nonempty(input, dims, "amax")
    return Amax.apply(input, dims, keepdim)


@tensor_method
def amin(input, dim=(), keepdim: bool = False):
    """Minimum over ``dim``; the gradient is shared among ties."""
    dims = dims_of(None if dim == () else dim, input._data.ndim, "amin")
    _check_nonempty(input, dims, "amin")
    return Amax.apply(input, dims, keepdim, True)


def _max_min(input, dim, keepdim, other, use_min):
    op = "min" if use_min else "max"
    if isinstance(dim, Tensor):              # torch.max(a, b) is maximum
        other, dim = dim, None
    if other is not None:
        from .elementwise import maximum, minimum
        return (minimum if use_min else maximum)(input, other)
    if dim is None:
        dims = tuple(range(input._data.ndim))
        _check_nonempty(input, dims, op)
        return Amax.apply(input, dims, False, use_min)
    d = wrap_dim(dim, input._data.ndim, op)
    _check_nonempty(input, (d,), op)
    if input._data.ndim == 0:
        return values_indices(input.clone(), Tensor._make(np.zeros((), np.int64)))
    values = MaxDim.apply(input, d, keepdim, use_min) if input._data.dtype.kind in "fc" \
        else None
    if values is None:
        data = input._data
        idx = (data.argmin if use_min else data.argmax)(axis=d, keepdims=keepdim)
        vals = np.take_along_axis(data, idx if keepdim else np.expand_dims(idx, d), axis=d)
        return values_indices(Tensor._make(vals if keepdim else vals.squeeze(d)),
                              Tensor._make(idx.astype(np.int64)))
    idx = values.grad_fn.indices if values.grad_fn is not None else None
    if idx is None:
        data = input._data
        idx = (data.argmin if use_min else data.argmax)(axis=d, keepdims=keepdim)
    return values_indices(values, Tensor._make(idx.astype(np.int64, copy=False)))


@tensor_method
def max(input, dim=None, keepdim: bool = False, *, other=None):
    """``max(input)``: the largest value; ``max(input, dim)``: (values, indices) along ``dim``;
    ``max(input, other)``: elementwise maximum."""
    return _max_min(input, dim, keepdim, other, False)


@tensor_method
def min(input, dim=None, keepdim: bool = False, *, other=None):
    """Like ``max``, for the smallest values."""
    return _max_min(input, dim, keepdim, other, True)


@tensor_method
def logsumexp(input, dim, keepdim: bool = False):
    """log(sum(exp(input))) over ``dim``, computed stably."""
    input = _float_input(input, None, "logsumexp")
    return LogSumExp.apply(input, dims_of(dim, input._data.ndim, "logsumexp"), keepdim)


def _softmax_dim(input, dim, op):
    if dim is None:
        raise op_error(TypeError, f"{op}: dim must be given (implicit dim is deprecated in torch)")
    return wrap_dim(dim, input._data.ndim, op)


@tensor_method
def softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    """exp(x_i) / sum_j exp(x_j) along ``dim``."""
    input = input.to(dtype) if dtype is not None else _float_input(input, None, "softmax")
    return Softmax.apply(input, _softmax_dim(input, dim, "softmax"))


@tensor_method
def log_softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    """x_i - logsumexp(x) along ``dim``, numerically stable."""
    input = input.to(dtype) if dtype is not None else _float_input(input, None, "log_softmax")
    return LogSoftmax.apply(input, _softmax_dim(input, dim, "log_softmax"))
