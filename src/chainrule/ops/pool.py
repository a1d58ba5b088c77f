"""Pooling and nearest-neighbour resampling: max/avg pooling (1-D and 2-D), adaptive pooling,
max-unpooling and ``interpolate``.

A 2-D pooling window is described once, by ``Window`` (kernel, stride, padding, dilation,
ceil_mode, and torch's output size). Pooling never copies windows out: output position o of a
dim reads the padded input at o*s + j*d for kernel offset j, so each kernel offset (i, j) is one
strided slice of the padded input, of the output's shape. A 2x2 max-pool is then three
``np.maximum`` of strided views. Overlapping strided windows (3x3, stride 2) first split the
padded input into its stride phases x[r::s], so each offset reads a contiguous block.

Three Functions do the work, and their backward rules are each other (so every order works):

* ``MaxPool2d``:     y = max over the window;  dx = WindowScatter(dy, one-hot masks of the
                     first maximum of each window)
* ``WindowGather``:  y = sum over the window of m_k * x  (m_k: masks or all ones; avg pooling)
                     dx = WindowScatter(dy, m)
* ``WindowScatter``: x[window positions] += m_k * g   (the adjoint of WindowGather)
                     dg = WindowGather(dx, m)

1-D pooling is 2-D pooling of a (.., 1, L) view. Adaptive and resampling ops pick inputs by
index arrays and are built from differentiable indexing, matmul and shape ops.
"""
from __future__ import annotations

import math
import warnings

from .._threads import row_chunks, run_chunks
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..backend import np, scalar_type_name
from ._util import Tensor, op_error, describe
from .indexing import Index
from .linalg import matmul

# MaxPool2d (no padding, no phases) runs over chunks of planes of about this size, so that each
# kernel offset's pass finds the chunk still in cache: its forward, and its backward when no
# graph is recorded (0.5-1 MiB measured best in the CNN step at batch 128)
_CHUNK_BYTES = 512 << 10

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "max_unpool1d",
           "max_unpool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "interpolate", "upsample",
           "upsample_nearest"]


# ======================================================================== window geometry
def _ints(value, n: int, name: str, op: str) -> tuple:
    """torch's ``_pair``/``_single``: an int, or a sequence of 1 or ``n`` ints, as ``n`` ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)):
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
            raise op_error(TypeError, f"{op}: {name} must be ints, got {value!r}")
        if len(value) in (1, n):
            return tuple(int(v) for v in value) * (n // len(value))
    elif not isinstance(value, (tuple, list)):
        raise op_error(TypeError, f"{op}: {name} must be an int or a tuple of ints, got "
                                  f"{type(value).__name__}")
    count = "a tuple of two ints" if n == 2 else "a tuple of one int"
    raise op_error(RuntimeError, f"{op}: {name} must either be a single int, or {count}, got "
                                 f"{value!r}")


def _pool_out_len(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling_output_shape: floor (or ceil) of (n + 2p - d(k-1) - 1) / s, plus 1; in
    ceil mode the last window must start inside the input or its left padding."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _collides(out: int, k: int, s: int, d: int) -> bool:
    """Whether two windows of one dim read the same position (then gradients must add up)."""
    pos = (np.arange(out)[:, None] * s + np.arange(k)[None, :] * d).ravel()
    return len(np.unique(pos)) < pos.size


class Window:
    """Where a 2-D pooling window reads, over the last two dims of the input.

    Output (oh, ow) at kernel offset (i, j) reads the padded input at
    (oh*sh + i*dh, ow*sw + j*dw); the input sits at (ph, pw) of the padded array, which extends
    past the right pad when ceil_mode lets the last window hang over.
    """

    def __init__(self, op: str, in_size: tuple, kernel: tuple, stride: tuple, padding: tuple,
                 dilation: tuple, ceil_mode: bool, nd: int = 2):
        self.in_size, self.kernel, self.stride = in_size, kernel, stride
        self.padding, self.dilation = padding, dilation

        def shown(t):       # the arguments as the user gave them (1-D pooling: the last dim)
            return t if nd == 2 else t[1]
        if any(k <= 0 for k in kernel):
            raise op_error(RuntimeError, f"{op}: kernel size should be greater than zero, but "
                                         f"got kernel_size={shown(kernel)}")
        if any(s <= 0 for s in stride):
            raise op_error(RuntimeError, f"{op}: stride should be greater than zero, but got "
                                         f"stride={shown(stride)}")
        if any(d <= 0 for d in dilation):
            raise op_error(RuntimeError, f"{op}: dilation should be greater than zero, but got "
                                         f"dilation={shown(dilation)}")
        if any(p < 0 for p in padding):
            raise op_error(RuntimeError, f"{op}: pad must be non-negative, but got "
                                         f"padding={shown(padding)}")
        for k, p in zip(kernel, padding):       # torch's rule: half the plain kernel
            if p > k // 2:
                raise op_error(RuntimeError, f"{op}: pad should be smaller than or equal to half "
                                             f"of kernel size, but got pad={p}, "
                                             f"kernel_size={k}")
        self.out = tuple(_pool_out_len(*a, ceil_mode)
                         for a in zip(in_size, kernel, stride, padding, dilation))
        if any(o < 1 for o in self.out):
            raise op_error(RuntimeError, f"{op}: given input size {shown(in_size)}, the "
                                         f"calculated output size {shown(self.out)} is too small "
                                         f"(kernel_size={shown(kernel)}, stride={shown(stride)}, "
                                         f"padding={shown(padding)}, dilation={shown(dilation)})")
        self.extent = tuple(max(n + 2 * p, (o - 1) * s + d * (k - 1) + 1) for n, o, k, s, p, d
                            in zip(in_size, self.out, kernel, stride, padding, dilation))
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, self.out
        self.offsets = [(i, j) for i in range(kh) for j in range(kw)]
        self.overlap = any(_collides(o, k, s, d) for o, k, s, d
                           in zip(self.out, kernel, stride, dilation))
        # Where each kernel offset reads: (part, index) into the parts of ``split``. When the
        # offsets outnumber the stride's phases (overlapping strided windows, 3x3 stride 2),
        # the padded input is split once into its phases x[r::sh, q::sw] (contiguous copies)
        # and each offset reads a unit-stride block of one phase: NumPy's loops over strided
        # views are about twice as slow. Otherwise each offset reads a strided view.
        self.phased = (sh, sw) != (1, 1) and len(self.offsets) > sh * sw
        if self.phased:
            self.reads = [((i * dh % sh, j * dw % sw),
                           (Ellipsis, slice(i * dh // sh, i * dh // sh + oh),
                            slice(j * dw // sw, j * dw // sw + ow))) for i, j in self.offsets]
        else:
            self.reads = [(None, (Ellipsis, slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
                                  slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)))
                          for i, j in self.offsets]
        self.padded = self.extent != tuple(in_size)
        # every position is read by exactly one window: gradients need no zero fill
        self.tiles = not self.padded and all(
            s == k and d == 1 and o * k == n
            for n, o, k, s, d in zip(in_size, self.out, kernel, stride, dilation))

    def pad(self, x, value):
        """The input inside its padded extent (``value`` around it); x itself without padding."""
        if not self.padded:
            return x
        xp = np.full(x.shape[:-2] + self.extent, value, dtype=x.dtype)
        xp[self._inner] = x
        return xp

    @property
    def _inner(self) -> tuple:
        (ph, pw), (h, w) = self.padding, self.in_size
        return (Ellipsis, slice(ph, ph + h), slice(pw, pw + w))

    def _phase(self, key) -> tuple:
        return (Ellipsis, slice(key[0], None, self.stride[0]), slice(key[1], None, self.stride[1]))

    @property
    def _phase_keys(self) -> list:
        """The phases that some kernel offset reads, once each."""
        return list(dict.fromkeys(key for key, _ in self.reads))

    def split(self, xp) -> dict:
        """The padded input as the parts that ``reads`` index: {None: xp}, or its phases."""
        if not self.phased:
            return {None: xp}
        return {key: np.ascontiguousarray(xp[self._phase(key)]) for key in self._phase_keys}

    def zero_parts(self, lead: tuple, dtype) -> dict:
        """Parts of a padded array of leading dims ``lead`` for gradients to add into: zeros,
        or left unset when the windows tile the input (every position gets written)."""
        if not self.phased:
            fill = np.empty if self.tiles else np.zeros   # tiles: every position is written
            return {None: fill(lead + self.extent, dtype)}
        return {key: np.zeros(lead + tuple(-(-(e - r) // s) for e, r, s
                                           in zip(self.extent, key, self.stride)), dtype)
                for key in self._phase_keys}

    def assemble(self, parts: dict):
        """The input-shaped array whose padded form has these parts (the inverse of ``split``
        followed by ``pad``): each phase is written straight into its place in the input,
        padding cut off; positions that no window reads are 0."""
        if not self.phased:
            xp = parts[None]
            return np.ascontiguousarray(xp[self._inner]) if self.padded else xp
        first = next(iter(parts.values()))
        out = np.zeros(first.shape[:-2] + tuple(self.in_size), first.dtype)
        for key, part in parts.items():
            src, dst = [Ellipsis], [Ellipsis]
            for r, s, p, n in zip(key, self.stride, self.padding, self.in_size):
                skip = max(0, -(-(p - r) // s))         # phase rows that lie in the left pad
                start = r + s * skip - p                # where the first kept row lands
                count = max(0, -(-(n - start) // s))
                src.append(slice(skip, skip + count))
                dst.append(slice(start, start + s * count, s))
            out[tuple(dst)] = part[tuple(src)]
        return out

    def max(self, parts: dict, out=None):
        """The maximum of each window, from the parts of the padded input (``split``): a
        running np.maximum over the blocks that the kernel offsets read (into ``out``)."""
        (k0, i0), *rest = self.reads
        if not rest:
            if out is None:
                return parts[k0][i0].copy()
            np.copyto(out, parts[k0][i0])
            return out
        k1, i1 = rest[0]
        y = np.maximum(parts[k0][i0], parts[k1][i1], out=out)
        for key, idx in rest[1:]:
            np.maximum(y, parts[key][idx], out=y)
        return y

    def chunks(self, x) -> list:
        """Ranges of planes of x (-1, H, W) of about ``_CHUNK_BYTES`` each."""
        return row_chunks(math.prod(x.shape[:-2]), math.prod(x.shape[-2:]) * x.itemsize,
                          _CHUNK_BYTES)

    def first_max_masks(self, parts: dict, y):
        """Bool masks (K, *y.shape) from the parts of the padded input and its window maxima:
        mask k marks the windows whose first maximal element (in row-major kernel order, as
        torch) sits at kernel offset k. A window whose maximum is NaN gives its gradient to the
        last offset."""
        masks = np.empty((len(self.reads),) + y.shape, dtype=bool)
        if len(self.reads) == 1:
            masks.fill(True)
            return masks
        taken = None
        for k, (key, idx) in enumerate(self.reads):
            m = masks[k]
            if k == len(self.reads) - 1:
                np.logical_not(taken, out=m)
            elif taken is None:
                np.equal(parts[key][idx], y, out=m)
                taken = m.copy()
            else:
                np.equal(parts[key][idx], y, out=m)
                np.greater(m, taken, out=m)         # equal to the max and not taken before
                taken |= m
        return masks

    def flat_indices(self, masks):
        """torch's max-pool indices: the position h*W + w in its (H, W) plane of each window's
        maximum, from the masks of ``first_max_masks``."""
        w, (ph, pw) = self.in_size[1], self.padding
        (sh, sw), (dh, dw), (oh, ow) = self.stride, self.dilation, self.out
        idx = np.zeros(masks.shape[1:], dtype=np.int64)
        rows, cols = np.arange(oh) * sh - ph, np.arange(ow) * sw - pw
        for k, (i, j) in enumerate(self.offsets):
            at = (rows + i * dh)[:, None] * w + (cols + j * dw)[None, :]
            np.add(idx, at, out=idx, where=masks[k])
        return idx


def _lowest(dtype):
    """The padding value of max pooling: -inf, or the smallest integer."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


# ======================================================================== the Functions
class MaxPool2d(Function):
    """y[o] = max_k x[s*o + d*k - p] over the window (padding counts as -inf);
    dx = dy at each window's first maximal element (summed where windows overlap), 0 elsewhere:
    WindowScatter(dy, one-hot masks of the maxima). x is saved (as torch saves it), and a
    private copy of the maxima (cheaper than recomputing them), so writing into the output in
    place is allowed."""

    op_name = "max_pool2d"

    def forward(ctx, x, win):
        ctx.win = win
        ctx.save_for_backward(x)
        if win.padded or win.phased or x.ndim < 3:
            y = win.max(win.split(win.pad(x, _lowest(x.dtype))))
            if ctx._record:
                ctx.maxima = y.copy()
            return y
        # per chunk of planes (see _CHUNK_BYTES), the maxima copied while still in cache
        y = np.empty(x.shape[:-2] + win.out, x.dtype)
        x3, y3 = x.reshape((-1,) + x.shape[-2:]), y.reshape((-1,) + win.out)
        maxima = np.empty_like(y3) if ctx._record else None

        def chunk(r0, r1):
            win.max({None: x3[r0:r1]}, out=y3[r0:r1])
            if maxima is not None:
                maxima[r0:r1] = y3[r0:r1]

        run_chunks(chunk, win.chunks(x), x.nbytes)
        if maxima is not None:
            ctx.maxima = maxima.reshape(y.shape)
        return y

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        win = ctx.win
        if not is_grad_enabled() and not win.padded and not win.phased:
            return Tensor._make(_max_pool_grad(x._data, ctx.maxima, grad._data, win))
        parts = win.split(win.pad(x._data, _lowest(x._data.dtype)))
        masks = win.first_max_masks(parts, ctx.maxima)
        return WindowScatter.apply(grad, masks=masks, win=win)


def _max_pool_grad(x, maxima, g, win):
    """MaxPool2d's backward on arrays (no graph recorded; no padding, no phases): the masks
    and the scatter of ``MaxPool2d.backward`` per chunk of planes, whose x, masks and gradient
    stay in cache across the kernel offsets' passes (one trip through memory, not one per
    offset)."""
    h, w = x.shape[-2:]
    x3, m3 = x.reshape(-1, h, w), maxima.reshape((-1,) + maxima.shape[-2:])
    g3 = g.reshape(m3.shape)
    dx = (np.empty if win.tiles else np.zeros)(x3.shape, g.dtype)

    def chunk(r0, r1):
        masks = win.first_max_masks({None: x3[r0:r1]}, m3[r0:r1])
        _scatter_into({None: dx[r0:r1]}, g3[r0:r1], masks, win)

    run_chunks(chunk, win.chunks(x3), x.nbytes)
    return dx.reshape(x.shape)


def _scatter_into(parts: dict, g, masks, win) -> None:
    """parts (of a padded array, see Window.split) += m_k g at each kernel offset k's windows
    (written, not added, when no two windows share a position)."""
    masked = np.empty_like(g) if masks is not None and win.overlap else None
    for k, (key, idx) in enumerate(win.reads):
        block = parts[key][idx]
        if masks is None:
            if win.overlap:
                block += g
            else:
                block[...] = g
        elif win.overlap:
            block += np.multiply(g, masks[k], out=masked)
        else:
            np.multiply(g, masks[k], out=block)


class WindowGather(Function):
    """y[o] = sum_k m_k[o] x[s*o + d*k - p] (zero padding; m_k = 1 without masks: the window
    sums of avg pooling);  dx = WindowScatter(dy, m)."""

    def forward(ctx, x, masks, win):
        ctx.masks, ctx.win = masks, win
        parts = win.split(win.pad(x, 0))
        y = None
        for k, (key, idx) in enumerate(win.reads):
            v = parts[key][idx]
            if masks is not None:
                v = np.multiply(v, masks[k], dtype=x.dtype)
            if y is None:
                y = np.array(v, copy=masks is None)
            else:
                y += v
        return y

    def backward(ctx, grad):
        return WindowScatter.apply(grad, masks=ctx.masks, win=ctx.win)


class WindowScatter(Function):
    """x[s*o + d*k - p] += m_k[o] g[o] for every window o and kernel offset k (m_k = 1 without
    masks), padding cut off: the adjoint of WindowGather;  dg = WindowGather(dx, m)."""

    def forward(ctx, g, masks, win):
        ctx.masks, ctx.win = masks, win
        parts = win.zero_parts(g.shape[:-2], g.dtype)
        _scatter_into(parts, g, masks, win)
        return win.assemble(parts)

    def backward(ctx, grad):
        return WindowGather.apply(grad, masks=ctx.masks, win=ctx.win)


# ======================================================================== max and avg pooling
def _check_input(input, op: str, spatial: int):
    """A floating or integer tensor of (N, C, *spatial) or (C, *spatial) with non-empty C and
    spatial dims."""
    if not isinstance(input, Tensor):
        raise op_error(TypeError, f"{op}: expected input to be a Tensor, got "
                                  f"{type(input).__name__}")
    shape = input._data.shape
    names = ("H", "W") if spatial == 2 else ("L",) if spatial == 1 else ("D", "H", "W")
    if len(shape) not in (spatial + 1, spatial + 2) or 0 in shape[-spatial - 1:]:
        raise op_error(RuntimeError, f"{op}: expected a non-empty {spatial + 1}-D "
                                     f"(C, {', '.join(names)}) or {spatial + 2}-D "
                                     f"(N, C, {', '.join(names)}) input, got {describe(input)}")
    if input._data.dtype.kind not in "fiu":
        raise op_error(NotImplementedError, f"{op}: not implemented for "
                                            f"'{scalar_type_name(input.dtype)}'")


def _window(input, op, kernel_size, stride, padding, dilation, ceil_mode, n=2) -> Window:
    """The Window of a 2-D pooling (or of a 1-D one, as kernel (1, k) over a (.., 1, L) view)."""
    k = _ints(kernel_size, n, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) \
        else _ints(stride, n, "stride", op)
    p, d = _ints(padding, n, "padding", op), _ints(dilation, n, "dilation", op)
    if n == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    return Window(op, input._data.shape[-2:], k, s, p, d, bool(ceil_mode), n)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """y[n, c, h, w] = max over i < kH, j < kW of x[n, c, h*sH + i*dH - pH, w*sW + j*dW - pW]
    (padding never wins). ``return_indices`` also gives each maximum's position h*W + w in its
    input plane (for max_unpool2d). Input (N, C, H, W) or (C, H, W)."""
    _check_input(input, "max_pool2d", 2)
    win = _window(input, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool(input, win, return_indices)


def _max_pool(input, win: Window, return_indices: bool):
    out = MaxPool2d.apply(input, win=win)
    if not return_indices:
        return out
    parts = win.split(win.pad(input._data, _lowest(input._data.dtype)))
    masks = win.first_max_masks(parts, out._data)
    return out, Tensor._make(win.flat_indices(masks))


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """y[n, c, l] = max over j < k of x[n, c, l*s + j*d - p]. Input (N, C, L) or (C, L)."""
    _check_input(input, "max_pool1d", 1)
    x = input.unsqueeze(-2)
    win = _window(x, "max_pool1d", kernel_size, stride, padding, dilation, ceil_mode, n=1)
    out = _max_pool(x, win, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def _avg_pool(input, win: Window, count_include_pad: bool, divisor_override):
    """Window sums divided by torch's divisor: the window's size clipped to the padded input
    (count_include_pad), or its count of real elements, or ``divisor_override``."""
    total = WindowGather.apply(input, masks=None, win=win)
    if divisor_override is not None:
        divisor = float(divisor_override)
    else:
        sizes = []
        for n, o, k, s, p in zip(win.in_size, win.out, win.kernel, win.stride, win.padding):
            start = np.arange(o) * s - p
            end = np.minimum(start + k, n + p)
            if not count_include_pad:
                start, end = np.maximum(start, 0), np.minimum(end, n)
            sizes.append(end - start)
        divisor = sizes[0][:, None] * sizes[1][None, :]
        if (divisor == divisor.flat[0]).all():
            divisor = float(divisor.flat[0])
        else:
            divisor = divisor.astype(input._data.dtype if input._data.dtype.kind == "f"
                                     else np.float64)
    if input._data.dtype.kind != "f":       # integer averages truncate, as torch's
        return Tensor._make((total._data / divisor).astype(input._data.dtype))
    return total / divisor if isinstance(divisor, float) else total / Tensor._make(divisor)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None):
    """y[n, c, h, w] = (1/D) sum over the kH x kW window at (h*sH - pH, w*sW - pW), with zero
    padding; D is the window's size (count_include_pad), its number of input elements, or
    ``divisor_override``. Input (N, C, H, W) or (C, H, W)."""
    _check_input(input, "avg_pool2d", 2)
    if divisor_override is not None and divisor_override == 0:
        raise op_error(RuntimeError, "avg_pool2d: divisor must be not zero")
    win = _window(input, "avg_pool2d", kernel_size, stride, padding, 1, ceil_mode)
    return _avg_pool(input, win, count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True):
    """y[n, c, l] = (1/D) sum over the k-window at l*s - p (see avg_pool2d). Input (N, C, L)
    or (C, L)."""
    _check_input(input, "avg_pool1d", 1)
    x = input.unsqueeze(-2)
    win = _window(x, "avg_pool1d", kernel_size, stride, padding, 1, ceil_mode, n=1)
    return _avg_pool(x, win, count_include_pad, None).squeeze(-2)


# ======================================================================== max-unpooling
def _max_unpool(input, indices, kernel_size, stride, padding, output_size, n: int, op: str):
    """Place input[..., k] at position indices[..., k] of a zero plane of the output size
    (indices flat per plane, as max_pool returns them); the gradient gathers them back."""
    _check_input(input, op, n)
    if input._data.dtype.kind != "f":
        raise op_error(NotImplementedError, f"{op}: not implemented for "
                                            f"'{scalar_type_name(input.dtype)}'")
    if not isinstance(indices, Tensor) or indices._data.dtype != np.int64:
        what = scalar_type_name(indices.dtype) if isinstance(indices, Tensor) \
            else type(indices).__name__
        raise op_error(RuntimeError, f"{op}: elements in indices should be type int64 but got: "
                                     f"{what}")
    if indices._data.shape != input._data.shape:
        raise op_error(RuntimeError, f"{op}: expected indices of the input's shape "
                                     f"{tuple(input.shape)}, got {tuple(indices.shape)}")
    k = _ints(kernel_size, n, "kernel_size", op)
    s = k if stride is None else _ints(stride, n, "stride", op)
    p = _ints(padding, n, "padding", op)
    size = _unpool_size(input._data.shape[-n:], k, s, p, output_size, op)
    plane = math.prod(size)
    idx = indices._data
    bad = (idx < 0) | (idx >= plane)
    if bad.any():
        raise op_error(RuntimeError, f"{op}: found an invalid max index: {int(idx[bad][0])} "
                                     f"(output volumes are of size {'x'.join(map(str, size))})")
    lead = input._data.shape[:-n]
    flat_idx = Tensor._make(idx.reshape(lead + (-1,)))
    out = input.new_zeros(lead + (plane,)).scatter(-1, flat_idx, input.reshape(lead + (-1,)))
    return out.reshape(lead + size)


def _unpool_size(in_size, kernel, stride, padding, output_size, op) -> tuple:
    """torch's _unpool_output_size: (n - 1)*s + k - 2p, or ``output_size`` (its last dims)
    when strictly within one stride of that."""
    default = tuple((n - 1) * s + k - 2 * p for n, k, s, p in zip(in_size, kernel, stride,
                                                                   padding))
    if output_size is None:
        return default
    size = tuple(int(v) for v in output_size)
    if len(size) == len(default) + 2:
        size = size[2:]
    if len(size) != len(default):
        raise op_error(ValueError, f"{op}: output_size should be a sequence containing "
                                   f"{len(default)} or {len(default) + 2} elements, but it has a "
                                   f"length of {len(size)}")
    for d, (v, n, s) in enumerate(zip(size, default, stride)):
        if not n - s < v < n + s:
            raise op_error(ValueError, f"{op}: invalid output_size {tuple(output_size)} (dim {d} "
                                       f"must be between {n - s} and {n + s})")
    return size


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: y is zero except y.flat_plane[indices] = input, of
    size (H - 1)*s + k - 2p per dim (or ``output_size``)."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2,
                       "max_unpool2d")


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: y[..., indices[..., l]] = input[..., l], zero
    elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1,
                       "max_unpool1d")


# ======================================================================== adaptive pooling
def _adaptive_size(output_size, input, n: int, op: str) -> tuple:
    """``output_size`` as n ints (None keeps the input's size), each >= 0."""
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != n:
            raise op_error(RuntimeError, f"{op}: output_size must be {n} ints, got "
                                         f"{tuple(output_size)}")
        sizes = tuple(input._data.shape[-n + i] if v is None else v
                      for i, v in enumerate(output_size))
    else:
        sizes = (output_size,) * n
    sizes = _ints(sizes, n, "output_size", op)
    if any(v < 0 for v in sizes):
        raise op_error(RuntimeError, f"{op}: elements of output_size must be greater than or "
                                     f"equal to 0, but got {sizes}")
    return sizes


def _bins(n: int, out: int):
    """torch's adaptive bins of a dim: [floor(i n / out), ceil((i + 1) n / out))."""
    i = np.arange(out)
    start = (i * n) // out
    end = -((-(i + 1) * n) // out)
    return start, end


def _adaptive_avg(input, sizes: tuple):
    """Average over torch's adaptive bins of the last len(sizes) dims: a plain avg_pool when the
    bins tile the input, otherwise one averaging matrix (out, n) per dim."""
    in_sizes = input._data.shape[-len(sizes):]
    if len(sizes) <= 2 and all(o and n % o == 0 for n, o in zip(in_sizes, sizes)):
        k = tuple(n // o for n, o in zip(in_sizes, sizes))
        if len(sizes) == 1:
            x = input.unsqueeze(-2)
            win = Window("adaptive_avg_pool1d", x._data.shape[-2:], (1,) + k, (1,) + k, (0, 0),
                         (1, 1), False)
            return _avg_pool(x, win, True, None).squeeze(-2)
        win = Window("adaptive_avg_pool2d", in_sizes, k, k, (0, 0), (1, 1), False)
        return _avg_pool(input, win, True, None)
    out = input
    nd = input._data.ndim
    for axis, (n, o) in enumerate(zip(in_sizes, sizes), start=nd - len(sizes)):
        start, end = _bins(n, o)
        cols = np.arange(n)
        inside = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
        avg = Tensor._make((inside / np.maximum(end - start, 1)[:, None]).T
                           .astype(input._data.dtype))
        out = matmul(out.movedim(axis, -1), avg).movedim(-1, axis)
    return out


def adaptive_avg_pool2d(input, output_size):
    """y[.., i, j] = mean of x over rows [floor(iH/oh), ceil((i+1)H/oh)) and the same bins of
    the columns. ``output_size``: an int, or (oh, ow) where None keeps the input's size."""
    _check_float(input, "adaptive_avg_pool2d", 2)
    return _adaptive_avg(input, _adaptive_size(output_size, input, 2, "adaptive_avg_pool2d"))


def adaptive_avg_pool1d(input, output_size):
    """y[.., i] = mean of x over [floor(iL/o), ceil((i+1)L/o)). Input (N, C, L) or (C, L)."""
    _check_float(input, "adaptive_avg_pool1d", 1)
    return _adaptive_avg(input, _adaptive_size(output_size, input, 1, "adaptive_avg_pool1d"))


def adaptive_avg_pool3d(input, output_size):
    """The mean over adaptive bins of the last three dims (D, H, W)."""
    _check_float(input, "adaptive_avg_pool3d", 3)
    return _adaptive_avg(input, _adaptive_size(output_size, input, 3, "adaptive_avg_pool3d"))


def _check_float(input, op: str, spatial: int):
    _check_input(input, op, spatial)
    if input._data.dtype.kind != "f":
        raise op_error(NotImplementedError, f"{op}: not implemented for "
                                            f"'{scalar_type_name(input.dtype)}'")


def _adaptive_max(input, sizes: tuple, return_indices: bool):
    """Max over adaptive bins of the last two dims. Bins of one dim differ in length by at
    most one: offset i of a bin reads its row min(i, length - 1), so repeating a bin's last
    element fills the shorter bins without changing their maximum. The first maximum (NaN
    wins, as torch) gives indices flat per plane; y is a differentiable gather of them."""
    h, w = input._data.shape[-2:]
    x = input._data
    (sh, eh), (sw, ew) = _bins(h, sizes[0]), _bins(w, sizes[1])
    best = idx = None
    for i in range(int((eh - sh).max(initial=0))):
        rows = np.minimum(sh + i, eh - 1)
        for j in range(int((ew - sw).max(initial=0))):
            cols = np.minimum(sw + j, ew - 1)
            cand = x[..., rows[:, None], cols[None, :]]
            at = np.broadcast_to(rows[:, None] * w + cols[None, :], cand.shape)
            if best is None:
                best, idx = cand.copy(), at.copy()
                continue
            better = (cand > best) | np.isnan(cand)
            np.copyto(best, cand, where=better)
            np.copyto(idx, at, where=better)
    if best is None:                        # an empty output size
        idx = np.zeros(x.shape[:-2] + tuple(sizes), np.int64)
    lead = x.shape[:-2]
    flat_idx = idx.reshape(lead + (-1,))
    out = input.reshape(lead + (h * w,)).gather(-1, Tensor._make(flat_idx))
    out = out.reshape(lead + tuple(sizes))
    return (out, Tensor._make(idx)) if return_indices else out


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):
    """y[.., i, j] = max of x over the adaptive bins of adaptive_avg_pool2d;
    ``return_indices`` gives each maximum's position h*W + w in its plane."""
    _check_float(input, "adaptive_max_pool2d", 2)
    sizes = _adaptive_size(output_size, input, 2, "adaptive_max_pool2d")
    return _adaptive_max(input, sizes, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):
    """y[.., i] = max of x over [floor(iL/o), ceil((i+1)L/o)). Input (N, C, L) or (C, L)."""
    _check_float(input, "adaptive_max_pool1d", 1)
    sizes = (1,) + _adaptive_size(output_size, input, 1, "adaptive_max_pool1d")
    out = _adaptive_max(input.unsqueeze(-2), sizes, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


# ======================================================================== interpolate
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_SUPPORTED = ("nearest", "nearest-exact", "area")


def _nearest_index(n: int, out: int, scale, exact: bool):
    """torch's source index of each output position, computed in float32 as torch does:
    floor(o * scale) ('nearest') or floor((o + 0.5) * scale) ('nearest-exact'), at most n - 1,
    where scale = 1/scale_factor when one is used, else n/out."""
    if not exact and out == n:
        return np.arange(out)
    if not exact and out == 2 * n:
        return np.arange(out) >> 1
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 \
        else np.float32(n) / np.float32(out)
    o = np.arange(out, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    return np.minimum(np.floor(o * s).astype(np.int64), n - 1)


def _resample_nearest(input, sizes: tuple, scales, exact: bool):
    """y[.., o_1, .., o_k] = x[.., i_1(o_1), .., i_k(o_k)]: a broadcast (expand) when each dim
    repeats every element a whole number of times, else a differentiable gather."""
    in_sizes = input._data.shape[2:]
    idxs = [_nearest_index(n, o, s, exact) for n, o, s in zip(in_sizes, sizes, scales)]
    lead = input._data.shape[:2]
    reps = [o // n if o % n == 0 else 0 for n, o in zip(in_sizes, sizes)]
    if all(r and (i == np.arange(o) // r).all() for r, i, o in zip(reps, idxs, sizes)):
        grid = lead + tuple(v for n in in_sizes for v in (n, 1))
        wide = lead + tuple(v for n, r in zip(in_sizes, reps) for v in (n, r))
        return input.reshape(grid).expand(wide).reshape(lead + tuple(sizes))
    key = (slice(None), slice(None)) + np.ix_(*idxs)
    return Index.apply(input, key=key)


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False):
    """Resample the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size`` or
    to floor(n * scale_factor). 'nearest' copies x[floor(o * n_in/n_out)] (with torch's float32
    index arithmetic), 'nearest-exact' x[floor((o + 0.5) * n_in/n_out)], 'area' averages
    (adaptive_avg_pool). The interpolating modes (linear, bilinear, ...) are not in chainrule."""
    if not isinstance(input, Tensor):
        raise op_error(TypeError, f"interpolate: expected input to be a Tensor, got "
                                  f"{type(input).__name__}")
    nd = input._data.ndim - 2
    if mode not in _MODES or not 1 <= nd <= 3:
        raise op_error(NotImplementedError, f"interpolate: input error: only 3D, 4D and 5D "
                                            f"input tensors are supported (got {nd + 2}D) for "
                                            f"the modes {' | '.join(_MODES)} (got {mode!r})")
    if mode not in _SUPPORTED:
        raise op_error(NotImplementedError, f"interpolate: mode {mode!r} is not implemented in "
                                            f"chainrule (supported: {', '.join(_SUPPORTED)})")
    if align_corners is not None:
        raise op_error(ValueError, "interpolate: align_corners option can only be set with the "
                                   "interpolating modes: linear | bilinear | bicubic | "
                                   "trilinear")
    if antialias:
        raise op_error(ValueError, f"interpolate: anti-alias option is restricted to bilinear "
                                   f"and bicubic modes (got {mode!r})")
    in_sizes = input._data.shape[2:]
    if (size is None) == (scale_factor is None):
        raise op_error(ValueError, "interpolate: only one of size or scale_factor should be "
                                   "defined" if size is not None else
                                   "interpolate: either size or scale_factor should be defined")
    if size is not None and recompute_scale_factor:
        raise op_error(ValueError, "interpolate: recompute_scale_factor is not meaningful with "
                                   "an explicit size")
    if size is not None:
        sizes = _spatial(size, nd, "output size", in_sizes)
        scales = (None,) * nd
    else:
        factors = _spatial(scale_factor, nd, "scale_factor", in_sizes)
        sizes = tuple(math.floor(float(n) * float(f)) for n, f in zip(in_sizes, factors))
        scales = (None,) * nd if recompute_scale_factor else tuple(float(f) for f in factors)
    sizes = tuple(int(v) for v in sizes)
    if min(sizes) <= 0 or min(in_sizes) <= 0:
        raise op_error(RuntimeError, f"interpolate: input and output sizes should be greater "
                                     f"than 0, but got input {tuple(in_sizes)} and output "
                                     f"{sizes}")
    if mode == "area":
        return _adaptive_avg(input, sizes)
    return _resample_nearest(input, sizes, scales, mode == "nearest-exact")


def _spatial(value, nd: int, name: str, in_sizes) -> tuple:
    if isinstance(value, (tuple, list)):
        if len(value) != nd:
            raise op_error(ValueError, f"interpolate: input and {name} must have the same "
                                       f"number of spatial dimensions, but got input with "
                                       f"spatial dimensions of {list(in_sizes)} and {name} of "
                                       f"{tuple(value)}")
        return tuple(value)
    return (value,) * nd


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (warns, as torch does)."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")
