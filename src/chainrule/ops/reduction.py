"""Reductions over dims: sum, mean, var, std, amax/amin, max/min, logsumexp, the softmax family,
prod, cumsum/cumprod and the norms. The gradient of a reduction is broadcast back with
``expand``."""
from __future__ import annotations

import builtins
from collections import namedtuple

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..backend import np, to_np_dtype
from ._util import Tensor, tensor_method, dims_of, wrap_dim, op_error
from .elementwise import where
from .shape import cat, Reshape, Expand

__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "amax", "amin", "max", "min",
           "logsumexp", "softmax", "log_softmax", "prod", "cumsum", "cumprod", "norm", "dist"]

values_indices = namedtuple("values_indices", ["values", "indices"])


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _expand_back(grad: Tensor, shape, dims, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back to the input's shape."""
    if not keepdim:
        grad = Reshape.apply(grad, _kept_shape(shape, dims))
    return Expand.apply(grad, shape) if grad._data.shape != shape else grad


class Sum(Function):
    """y = sum_i x_i over ``dims``;  dy/dx_i = 1."""

    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return np.asarray(x.sum(axis=dims, keepdims=keepdim))     # a full reduction: 0-d array

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
        return np.asarray(x.mean(axis=dims, keepdims=keepdim))

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
            return np.asarray(x.var(axis=dims, ddof=correction, keepdims=keepdim)) \
                if n - correction > 0 \
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
    _float_input(input, None, "std")
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
    """log(sum(exp(input))) over ``dim``, computed stably (integers as the default float
    dtype, as torch)."""
    if input._data.dtype.kind in "biu":
        from ..backend import get_default_dtype
        input = input.to(get_default_dtype())
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


# ------------------------------------------------------------------ products and cumulative ops
def _reverse_cumsum(t: Tensor, dim: int) -> Tensor:
    """out_i = sum_{j >= i} t_j along ``dim``."""
    return t.flip(dim).cumsum(dim).flip(dim)


class Prod(Function):
    """y = prod_i x_i over ``dim``;  dy/dx_i = prod_{j != i} x_j: y / x_i when no x_j is 0,
    else (product of the x_j before i) * (product of those after i), from exclusive cumulative
    products (as torch), exact at zeros to every order."""

    def forward(ctx, x, dim, keepdim):
        ctx.dim, ctx.keepdim, ctx.shape = dim, keepdim, x.shape
        y = np.asarray(np.prod(x, axis=dim, keepdims=keepdim))
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        d = ctx.dim
        g = _expand_back(grad, ctx.shape, (d,), ctx.keepdim)
        if not (x._data == 0).any():
            return g * _expand_back(y, ctx.shape, (d,), ctx.keepdim) / x
        n = ctx.shape[d]
        ones = x.new_ones(_kept_shape(ctx.shape, (d,)))
        before = cat([ones, x.narrow(d, 0, n - 1)], d).cumprod(d)
        after = cat([ones, x.narrow(d, 1, n - 1).flip(d)], d).cumprod(d).flip(d)
        return g * before * after


class Cumsum(Function):
    """y_i = sum_{j <= i} x_j along ``dim``;  dx_i = sum_{j >= i} dy_j."""

    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.cumsum(x, axis=dim).reshape(x.shape)          # a 0-d input stays 0-d

    def backward(ctx, grad):
        return _reverse_cumsum(grad, ctx.dim)


class Cumprod(Function):
    """y_i = prod_{j <= i} x_j along ``dim``;  dx_i = sum_{j >= i} dy_j prod_{l <= j, l != i} x_l,
    = (sum_{j >= i} dy_j y_j) / x_i when x_i != 0. With zeros, position i of a slice whose
    zeros before it are at k_0 < k_1 < ... gets c_i * (sum_{j >= i} dy_j cumprod(z)_j) / z_i,
    where z is x with those zeros (and i, if it is one) set to 1 and c_i = prod of x_k over the
    zeros k < i: exact to every order (first-order backward needs only the first two zeros)."""

    def forward(ctx, x, dim):
        ctx.dim = dim
        y = np.cumprod(x, axis=dim).reshape(x.shape)
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        d = ctx.dim
        zero = x._data == 0
        if not zero.any():
            return _reverse_cumsum(grad * y, d) / x
        zeros_before = np.cumsum(zero, axis=d) - zero
        level = zeros_before + zero           # which zeros of the slice z drops at i
        # without a graph, terms after the second zero are exactly 0 (c_i holds a zero)
        last = int(zero.sum(axis=d).max()) if is_grad_enabled() else 1
        out = z = c = None
        for m in range(last + 1):
            if m:
                k = zero & (zeros_before == m - 1)          # the m-th zero of each slice
                x_k = (x * k).sum(d, keepdim=True)
                z = where(k, 1.0, z)
                past = where(zeros_before >= m, x_k, 1.0)   # x_k counts for i > k only
                c = past if c is None else c * past
            else:
                z = x
            in_level = level == m
            term = _reverse_cumsum(grad * z.cumprod(d), d) / where(in_level, z, 1.0)
            term = where(in_level, term if c is None else c * term, 0.0)
            out = term if out is None else out + term
        return out


def _accumulating_dtype(input, dtype):
    """The input cast to ``dtype``; integers and bools accumulate in int64, as torch."""
    if dtype is not None:
        return input.to(dtype)
    if input._data.dtype.kind in "bui" and input._data.dtype != np.int64:
        return input.to(Tensor._dtype_of(np.dtype(np.int64)))
    return input


@tensor_method
def prod(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Product of all elements, or along one ``dim``. Integers and bools give int64."""
    input = _accumulating_dtype(input, dtype)
    if dim is None:
        return Prod.apply(input.reshape(-1), 0, False)
    return Prod.apply(input, wrap_dim(dim, input._data.ndim, "prod"), keepdim)


@tensor_method
def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim``: out_i = sum_{j <= i} input_j."""
    input = _accumulating_dtype(input, dtype)
    return Cumsum.apply(input, wrap_dim(dim, input._data.ndim, "cumsum"))


@tensor_method
def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``: out_i = prod_{j <= i} input_j."""
    input = _accumulating_dtype(input, dtype)
    return Cumprod.apply(input, wrap_dim(dim, input._data.ndim, "cumprod"))


# ------------------------------------------------------------------ norms
_INF = float("inf")


class Norm(Function):
    """y = (sum_i |x_i|**p)**(1/p) over ``dims``;  dy/dx_i = sign(x_i) |x_i|**(p-1) / y**(p-1)
    (0 where x_i = 0 or y = 0). p = 2: x_i / y; p = 1: sign(x_i); p = +-inf (max/min |x_i|):
    sign(x_i) on the extreme elements, shared among ties; p = 0 (count of non-zeros): 0."""

    op_name = "norm"

    def forward(ctx, x, p, dims, keepdim):
        ctx.p, ctx.dims, ctx.keepdim, ctx.shape = p, dims, keepdim, x.shape
        a = np.abs(x)
        if p == 2:
            y = np.sqrt(np.sum(x * x, axis=dims, keepdims=True))
        elif p == 1:
            y = np.sum(a, axis=dims, keepdims=True)
        elif p in (_INF, -_INF):
            y = (a.max if p > 0 else a.min)(axis=dims, keepdims=True)
            extreme = a == y
            ctx.save_for_backward(np.sign(x) * extreme / extreme.sum(axis=dims, keepdims=True))
        elif p == 0:
            y = np.sum(x != 0, axis=dims, keepdims=True).astype(x.dtype)
        else:
            y = np.sum(a ** p, axis=dims, keepdims=True) ** (1.0 / p)
        if p == 1:
            ctx.save_for_backward(np.sign(x))
        out = np.asarray(y if keepdim else y.reshape(_out_shape(x.shape, dims, False)),
                         dtype=x.dtype)
        if p not in (0, 1, _INF, -_INF):
            ctx.save_for_backward(x, out)             # out itself: it comes back differentiable
        return out

    def backward(ctx, grad):
        p = ctx.p
        g = _expand_back(grad, ctx.shape, ctx.dims, ctx.keepdim)
        if p == 0:
            return g * 0
        if p in (1, _INF, -_INF):
            (share,) = ctx.saved_tensors
            return g * share
        x, y = ctx.saved_tensors
        y = _expand_back(y, ctx.shape, ctx.dims, ctx.keepdim)
        y_safe = where(y._data == 0, 1.0, y)              # y = 0 only where every x_i = 0
        if p == 2:
            return x * (g / y_safe)
        zero = x._data == 0
        scaled = where(zero, 1.0, x.abs()) ** (p - 1) * x.sign()
        return scaled * (g / y_safe ** (p - 1))


def _vector_norm(input, ord, dim, keepdim, *, dtype=None, op="norm"):
    """||input||_ord over ``dim`` (see Norm); shared by norm and chainrule.linalg."""
    if isinstance(ord, bool) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise op_error(TypeError, f"{op}: ord must be a number, got {ord!r}")
    if dtype is not None:
        if to_np_dtype(dtype).kind != "f":
            raise op_error(RuntimeError, f"{op}: dtype should be floating point, but got "
                                         f"{dtype}")
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise op_error(RuntimeError, f"{op}: Expected a floating point tensor as input. Got "
                                     f"{input.dtype.name} (shape {tuple(input._data.shape)})")
    dims = dims_of(dim, input._data.ndim, op) if input._data.ndim else ()   # 0-d: dim 0 or -1
    if (ord < 0 or ord == _INF) and any(input._data.shape[d] == 0 for d in dims):
        raise op_error(RuntimeError, f"{op}: cannot compute the {ord} norm on an empty tensor "
                                     f"(shape {tuple(input._data.shape)}) because the "
                                     f"operation does not have an identity")
    return Norm.apply(input, float(ord), dims, keepdim)


@tensor_method
def norm(input, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None):
    """torch.norm: the p-norm of ``input`` over ``dim`` (all dims when None). p is a number
    (2, 1, inf, -inf, 0 or any other) or 'fro' (the 2-norm over at most two dims)."""
    if p is None:
        p = "fro"
    if isinstance(p, str):
        if p == "nuc":
            raise op_error(RuntimeError, "norm: p='nuc' (the nuclear norm) needs an SVD, which "
                                         "chainrule does not have")
        if p != "fro":
            raise op_error(RuntimeError, f"norm: Order {p} not supported (expected a number, "
                                         f"'fro' or 'nuc')")
        if dim is not None and not isinstance(dim, int) and len(dim) > 2:
            raise op_error(RuntimeError, f"norm: p='fro' takes at most 2 dims, got dim={dim}")
        p = 2
    return _vector_norm(input, p, dim, keepdim, dtype=dtype, op="norm")


@tensor_method
def dist(input, other, p=2):
    """||input - other||_p over all elements (broadcasting)."""
    try:
        np.broadcast_shapes(input._data.shape, other._data.shape)
    except ValueError:
        raise op_error(RuntimeError, f"dist: shapes {tuple(input._data.shape)} and "
                                     f"{tuple(other._data.shape)} do not broadcast") from None
    return norm(input - other, p)

