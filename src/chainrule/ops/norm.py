"""Normalisation ops: batch, layer, group and instance norm, and local response norm.

One fused Function, ``BatchNorm``, normalises each channel (dim 1) by the mean and the biased
variance over every other dim, with an optional per-channel affine map. The other norms are the
same Function on a reshaped view, as torch defines them: layer norm normalises each row of
(1, M, K), group norm each of the N*G groups of (1, N*G, rest), instance norm each of the N*C
planes of (1, N*C, rest); their affine maps are Tensor ops on the result.
"""
from __future__ import annotations

import math

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from .._threads import row_chunks, run_chunks, sum_parts
from ..backend import np, scalar_type_name
from ._util import Tensor, op_error, describe
from .linalg import einsum
from .pool import avg_pool2d
from .shape import pad

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm"]

# BatchNorm (training) runs over its input in chunks of samples of about this size, so that
# what one pass leaves behind is still in cache for the next (x - mean is never stored whole).
# Measured in the CNN step at batch 128: 1-2 MiB best; 256 KiB pays NumPy's per-call cost.
_CHUNK_BYTES = 1 << 20


class BatchNorm(Function):
    """Per channel c (dim 1), over the n elements of every other dim:
        mean = sum x / n,  var = sum (x - mean)**2 / n,  r = 1 / sqrt(var + eps),
        y = (x - mean) r w + b                  (w = 1, b = 0 without affine parameters)
    With g = dy:  db = sum g,  dw = r sum g (x - mean),
        dx = w r (g - db / n - (x - mean) r dw / n)
           = g w r - (x - mean) w r**3 sum g (x - mean) / n - w r db / n.
    Under a recorded graph (create_graph) the backward is written in Tensor ops, with mean and r
    recomputed from x, so the gradient is differentiable in x as well; without one the same
    formulas run on arrays (``_backward_arrays``), reusing the forward's statistics. The
    variance is two-pass (centred first), so a large mean costs no precision.
    ``running`` = (running_mean, running_var) arrays are updated in place, as torch does:
    new = momentum * batch statistic + (1 - momentum) * old, with the unbiased variance."""

    op_name = "batch_norm"

    def forward(ctx, x, weight, bias, eps, running=None, momentum=0.1):
        ch = ctx.channels = Channels(x.shape)
        n = ch.count
        xv = x.reshape(ch.view)
        mean = ch.run(lambda r0, r1: ch.sum_array(xv[r0:r1]), x.itemsize) / n
        mean_s = ch.spread_array(mean)
        dtype = np.result_type(x, mean)

        def centred_squares(r0, r1):    # x - mean of a chunk, never stored whole
            xc = np.subtract(xv[r0:r1], mean_s, dtype=dtype)
            return np.einsum("ncl,ncl->c", *(xc.reshape(ch.cube_of(xc)),) * 2)

        sq_sum = ch.run(centred_squares, x.itemsize)
        invstd = 1 / np.sqrt(sq_sum / n + eps)
        if running is not None:
            running_mean, running_var = running
            running_mean[...] = momentum * mean + (1 - momentum) * running_mean
            running_var[...] = momentum * (sq_sum / (n - 1)) + (1 - momentum) * running_var
        scale_s = ch.spread_array(invstd if weight is None else invstd * weight)
        bias_s = None if bias is None else ch.spread_array(bias)
        y = np.empty(xv.shape, dtype)

        def normalise(r0, r1):
            yc = np.subtract(xv[r0:r1], mean_s, out=y[r0:r1])
            yc *= scale_s
            if bias_s is not None:
                yc += bias_s

        ch.run(normalise, x.itemsize)
        ctx.eps, ctx.mean, ctx.invstd = eps, mean, invstd
        ctx.save_for_backward(x, *(() if weight is None else (weight,)))
        return y.reshape(ch.shape)

    def backward(ctx, grad):
        x, *w = ctx.saved_tensors
        ch = ctx.channels
        if not is_grad_enabled():   # no graph to record: the same formulas on arrays, fused
            return ctx._backward_arrays(x._data, w[0]._data if w else None, grad._data)
        x, grad = x.reshape(ch.view), grad.reshape(ch.view)
        # under a recorded graph: the statistics as functions of x, differentiable again
        xc = x - ch.spread(ch.sum(x) * (1.0 / ch.count))
        invstd = (ch.sum(xc * xc) * (1.0 / ch.count) + ctx.eps).rsqrt()
        need_x, need_w, need_b = ctx.needs_input_grad
        g_sum = ch.sum(grad)
        gxc_sum = ch.sum(grad * xc)
        gx = None
        if need_x:
            scale = invstd * w[0] if w else invstd
            k = 1.0 / ch.count
            gx = grad * ch.spread(scale) - (xc * ch.spread(scale * invstd * invstd * gxc_sum * k)
                                            + ch.spread(scale * g_sum * k))
            gx = gx.reshape(ch.shape)
        return gx, gxc_sum * invstd if need_w else None, g_sum if need_b else None

    def _backward_arrays(ctx, x, w, g):
        """The backward above without a graph, on arrays, in chunks of samples that stay in
        cache: one pass over x and g for the two sums, one more for dx (x - mean is recomputed
        per chunk, never stored whole), so about five trips through memory instead of 14."""
        ch = ctx.channels
        need_x, need_w, need_b = ctx.needs_input_grad
        x, g = x.reshape(ch.view), g.reshape(ch.view)
        mean_s = ch.spread_array(ctx.mean)
        dtype = np.result_type(x, ctx.mean)

        def sums(r0, r1):
            gc = g[r0:r1]
            xc = np.subtract(x[r0:r1], mean_s, dtype=dtype)
            cube = ch.cube_of(xc)
            return np.stack([ch.sum_array(gc),
                             np.einsum("ncl,ncl->c", gc.reshape(cube), xc.reshape(cube))])

        g_sum, gxc_sum = ch.run(sums, x.itemsize)
        invstd, k = ctx.invstd, 1.0 / ch.count
        gx = None
        if need_x:
            scale = invstd * w if w is not None else invstd
            xc_s = ch.spread_array(scale * invstd * invstd * gxc_sum * k)
            g_s, scale_s = ch.spread_array(g_sum * k), ch.spread_array(scale)
            gx = np.empty(g.shape, g.dtype)

            def input_grad(r0, r1):
                xc = np.subtract(x[r0:r1], mean_s, dtype=dtype)
                xc *= xc_s
                gc = np.subtract(g[r0:r1], g_s, out=gx[r0:r1], dtype=g.dtype)
                gc *= scale_s
                gc -= xc

            ch.run(input_grad, x.itemsize)
            gx = Tensor._make(gx.reshape(ch.shape))
        return (gx, Tensor._make(gxc_sum * invstd) if need_w else None,
                Tensor._make(g_sum) if need_b else None)


class Channels:
    """An (N, C, ...) array seen as (N, C, L), and how per-channel values (C,) broadcast over it
    fastest. With several samples the array is viewed as rows (N, C*L) and a per-channel value
    is repeated L times into one row (1, C*L): NumPy then runs long contiguous inner loops,
    ~1.7x faster than broadcasting (1, C, 1) over (N, C, L), whose inner loop is one plane. A
    single sample (layer, group and instance norm) keeps the (1, C, L) view."""

    def __init__(self, shape: tuple):
        self.shape = shape
        self.n, self.c = shape[0], shape[1]
        self.l = math.prod(shape[2:])
        self.count = self.n * self.l                    # elements per channel
        self.cube = (self.n, self.c, self.l)
        self.rows = self.n > 1
        self.view = (self.n, self.c * self.l) if self.rows else self.cube

    def run(self, fn, itemsize: int):
        """``fn(r0, r1)`` for ranges [r0, r1) of the first dim of ``view`` of about
        ``_CHUNK_BYTES`` each, on several threads (``_threads.run_chunks``); the sum of what
        the calls return, in chunk order (None when they return nothing)."""
        row = itemsize * math.prod(self.view[1:])
        return sum_parts(run_chunks(fn, row_chunks(self.view[0], row, _CHUNK_BYTES),
                                    self.view[0] * row))

    def cube_of(self, chunk) -> tuple:
        """The (n, C, L) shape of a chunk of ``view``."""
        return (chunk.shape[0] if self.rows else 1, self.c, self.l)

    def sum_array(self, x):
        """Per-channel sums of an array in ``view``, or of a chunk of its rows (an einsum: 3x
        NumPy's sum over dims)."""
        return np.einsum("ncl->c", x.reshape(self.cube_of(x)))

    def spread_array(self, v):
        """A per-channel array (C,) shaped to broadcast over ``view``."""
        return np.repeat(v, self.l)[None, :] if self.rows else v.reshape(1, -1, 1)

    def sum(self, t: Tensor) -> Tensor:
        """``sum_array`` in Tensor ops."""
        return einsum("ncl->c", t.reshape(self.cube))

    def spread(self, t: Tensor) -> Tensor:
        """``spread_array`` in Tensor ops."""
        if self.rows:
            return t.reshape(-1, 1).expand(self.c, self.l).reshape(1, -1)
        return t.reshape(1, -1, 1)


# ======================================================================== checks
def _check_float_input(input, op: str, min_dims: int = 2):
    if not isinstance(input, Tensor):
        raise op_error(TypeError, f"{op}: expected input to be a Tensor, got "
                                  f"{type(input).__name__}")
    if input._data.dtype.kind != "f":
        raise op_error(NotImplementedError, f"{op}: not implemented for "
                                            f"'{scalar_type_name(input.dtype)}'")
    if input._data.ndim < min_dims:
        raise op_error(ValueError, f"{op}: expected an input of at least {min_dims} dims "
                                   f"(N, C, ...), got {describe(input)}")


def _check_param(t, name: str, size: int, input, op: str):
    """``t`` is None or a 1-D tensor of ``size`` elements of the input's dtype."""
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise op_error(TypeError, f"{op}: expected {name} to be a Tensor or None, got "
                                  f"{type(t).__name__}")
    if t._data.shape != (size,):
        raise op_error(RuntimeError, f"{op}: {name} should contain {size} elements (one per "
                                     f"channel of input {describe(input)}), got {describe(t)}")
    if t._data.dtype != input._data.dtype:
        raise op_error(RuntimeError, f"{op}: mixed dtypes: input is {input.dtype.name} but "
                                     f"{name} is {t.dtype.name}; all inputs must share the same "
                                     f"dtype")


def _check_running(running_mean, running_var, op: str):
    if (running_mean is None) != (running_var is None):
        raise op_error(ValueError, f"{op}: running_mean and running_var must either both be "
                                   f"None or neither be None")


def _per_channel(t: Tensor, ndim: int) -> Tensor:
    """A (C,) parameter shaped (1, C, 1, ...) to broadcast over an input of ``ndim`` dims."""
    return t.reshape((1, -1) + (1,) * (ndim - 2))


# ======================================================================== batch norm
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1) of (N, C, ...).
    Training: mean and biased var of the batch (over every dim but 1); the running statistics,
    when given, are updated in place with momentum (the variance unbiased). Evaluation: the
    running statistics are used instead."""
    op = "batch_norm"
    _check_float_input(input, op)
    _check_running(running_mean, running_var, op)
    c = input._data.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_param(t, name, c, input, op)
    if training:
        n = input._data.size // c if c else 0
        if n <= 1:
            raise op_error(ValueError, f"{op}: expected more than 1 value per channel when "
                                       f"training, got input of shape "
                                       f"{tuple(input._data.shape)}")
        running = None if running_mean is None else (running_mean._data, running_var._data)
        out = BatchNorm.apply(input, weight, bias, eps=eps, running=running, momentum=momentum)
        if running is not None:
            running_mean._version += 1
            running_var._version += 1
        return out
    if running_mean is None:
        raise op_error(RuntimeError, f"{op}: running_mean must be defined in evaluation mode")
    scale = (running_var.detach() + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean.detach() * scale
    if bias is not None:
        shift = shift + bias
    return input * _per_channel(scale, input._data.ndim) + _per_channel(shift, input._data.ndim)


# ======================================================================== layer, group, instance
def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, with mean and biased var over the last
    len(normalized_shape) dims; weight and bias have shape ``normalized_shape``."""
    op = "layer_norm"
    if not isinstance(normalized_shape, (tuple, list)) or not all(
            isinstance(v, (int, np.integer)) for v in normalized_shape):
        raise op_error(TypeError, f"{op}: normalized_shape must be a tuple of ints, got "
                                  f"{normalized_shape!r}")
    norm_shape = tuple(int(v) for v in normalized_shape)
    _check_float_input(input, op, min_dims=0)
    shape = input._data.shape
    if not norm_shape:
        raise op_error(RuntimeError, f"{op}: expected normalized_shape to be at least "
                                     f"1-dimensional, i.e., containing at least one element, but "
                                     f"got normalized_shape = []")
    if len(norm_shape) > len(shape) or shape[len(shape) - len(norm_shape):] != norm_shape:
        raise op_error(RuntimeError, f"{op}: given normalized_shape={list(norm_shape)}, expected "
                                     f"input with shape [*, {', '.join(map(str, norm_shape))}], "
                                     f"but got input of shape {tuple(shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (not isinstance(t, Tensor) or t._data.shape != norm_shape):
            raise op_error(RuntimeError, f"{op}: expected {name} to be of same shape as "
                                         f"normalized_shape, but got {name} of shape "
                                         f"{_shape_of(t)} and normalized_shape = "
                                         f"{list(norm_shape)}")
    k = math.prod(norm_shape)
    out = BatchNorm.apply(input.reshape(1, -1, k), None, None, eps=eps).reshape(shape)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _shape_of(t) -> str:
    return str(tuple(t.shape)) if isinstance(t, Tensor) else type(t).__name__


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    """Split the C channels of (N, C, ...) into ``num_groups`` groups of C/G consecutive
    channels; normalise each (sample, group) by its mean and biased var; then y * weight + bias
    per channel."""
    op = "group_norm"
    _check_float_input(input, op)
    shape = input._data.shape
    c = shape[1]
    if not isinstance(num_groups, (int, np.integer)) or num_groups <= 0 or c % num_groups:
        raise op_error(RuntimeError, f"{op}: expected number of channels in input to be "
                                     f"divisible by num_groups, but got input of shape "
                                     f"{tuple(shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        _check_param(t, name, c, input, op)
    out = BatchNorm.apply(input.reshape(1, shape[0] * num_groups, -1), None, None, eps=eps)
    out = out.reshape(shape)
    if weight is not None:
        out = out * _per_channel(weight, len(shape))
    if bias is not None:
        out = out + _per_channel(bias, len(shape))
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each (sample, channel) plane of (N, C, ...) by its own mean and biased var
    (``use_input_stats``), or by the running statistics; then * weight + bias per channel.
    Running statistics, when given with use_input_stats, are updated in place with the mean
    over the batch of the per-plane statistics (torch's rule)."""
    op = "instance_norm"
    _check_float_input(input, op)
    _check_running(running_mean, running_var, op)
    shape = input._data.shape
    n, c = shape[0], shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_param(t, name, c, input, op)
    if not use_input_stats:
        if running_mean is None:
            raise op_error(RuntimeError, f"{op}: expected running_mean and running_var to be "
                                         f"defined when use_input_stats is false")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if math.prod(shape[2:]) <= 1:
        raise op_error(ValueError, f"{op}: expected more than 1 spatial element when training, "
                                   f"got input of shape {tuple(shape)}")
    running = None
    if running_mean is not None:
        running = (np.tile(running_mean._data, n), np.tile(running_var._data, n))
    out = BatchNorm.apply(input.reshape((1, n * c) + shape[2:]), None, None, eps=eps,
                          running=running, momentum=momentum).reshape(shape)
    if running is not None:
        for t, r in zip((running_mean, running_var), running):
            t._data[...] = r.reshape(n, c).mean(0)
            t._version += 1
    if weight is not None:
        out = out * _per_channel(weight, len(shape))
    if bias is not None:
        out = out + _per_channel(bias, len(shape))
    return out


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0):
    """y = x / (k + alpha * mean of x**2 over ``size`` neighbouring channels)**beta, the
    channel window zero-padded by size//2 before and (size-1)//2 after (torch's formula)."""
    op = "local_response_norm"
    _check_float_input(input, op, min_dims=3)
    if not isinstance(size, (int, np.integer)) or size <= 0:
        raise op_error(RuntimeError, f"{op}: size should be a positive int, got {size!r}")
    shape = input._data.shape
    div = (input * input).reshape(shape[0], 1, shape[1], -1)
    div = pad(div, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(div, (size, 1), stride=1).reshape(shape)
    return input / (div * alpha + k) ** beta
