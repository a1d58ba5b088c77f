"""Convolutions: conv1d/2d/3d, conv_transpose1d/2d/3d, unfold (im2col) and fold (col2im).

One im2col formulation serves them all. Each zero-padded image is flattened, so kernel tap
``t`` (one position inside the kernel) is a flat offset ``off[t] = sum_a t_a d_a S_a`` (``S`` the
flat strides of the padded image, ``d`` the dilation), and the positions that one tap reads form
a strided *grid* ``q`` of the flat image, read with steps ``r``:

* im2col  ``cols[n, (c, t), q] = x_pad[n, c, off[t] + r q]``        one strided copy
* conv    ``y[n] = W (Co, C T) @ cols[n] (C T, Q)``                  a GEMM per image or chunk
* col2im  ``x_pad[n, c, off[t] + r q] += cols[n, (c, t), q]``        one strided add per tap

The grid is either the output grid itself ("dense": the GEMM writes the output in place) or a *wide*
one: a single run over the flat image with the last dim's stride as its step, which holds the real
outputs plus a few unused cells per row (where the kernel would straddle the padded edge). A row's
right padding is the next row's left padding, so a 3x3 kernel with padding 1 makes 15 cells per row
of 14 outputs. NumPy pays about 15 ns per contiguous row that a copy touches, so the wide grid turns
im2col/col2im into one long run per (image, channel, tap) instead of one per output row, at the
price of copying the output out of the grid (a row per output row and channel) and of the unused
cells in the GEMM. The wide grid wins when the input channels times the taps outnumber the output
channels (32 -> 64 channels, 3x3: 288 rows against 64) and the dense one otherwise (1 -> 32
channels: 9 against 32). With the dense grid, arrays on the grid are stored image by image and one
GEMM per image writes its output in place; with the wide grid, whose outputs are copied out anyway,
they are stored row by row, one GEMM covers a chunk of images, and the copy out also reorders (rows,
n) to (n, rows).

With a stride s in the rows that divides the kernel's height, the wide grid keeps the padded
rows in s phases (row h at row h // s of phase h % s): kernel row a s + p reads phase p, a rows
down, so a wide run covers only rows where outputs start (a 4x4 kernel, stride 2, 14 -> 7: 56
cells per image instead of 112). Where the wide grid would still have over 1.5x the dense
grid's cells, the dense grid is used (``_geometry``).

The work goes in chunks of images whose columns take about ``_CHUNK_BYTES`` (2-4 MiB measured
best on a machine with 1 MiB L2 per core and 32 MiB L3): each chunk's columns stay in cache
between the copy and the GEMM, and no array of all the columns is ever held.

The gradients close over three bilinear functions ``conv(x, w)``, ``conv_transpose(y, w)``
(the adjoint of ``conv`` in ``x``) and ``conv_weight(x, g)`` (its adjoint in ``w``), each a
``Function`` whose backward is made of the other two, so every order of derivative works. With
stride 1, ``conv_transpose`` is itself a convolution with the flipped kernel, and runs as one
where that is cheaper than GEMM + col2im (``_conv_transpose``).
"""
from __future__ import annotations

import itertools
import math

from .._threads import matmul as threaded_matmul, run_chunks, sum_parts
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..backend import np
from ._util import Tensor, op_error

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold"]

_CHUNK_BYTES = 4 << 20
_MIN_CHUNKS = 4
_as_strided = np.lib.stride_tricks.as_strided


# ======================================================================== geometry
class _Geometry:
    """Where each kernel tap of one convolution reads in the flattened padded image.

    ``in_size``/``out_size`` are the spatial sizes of the convolution's input and output
    (for a transposed convolution: of its output and input). ``lo`` is the padding before each
    spatial dim; the padding after it is implied by ``out_size``. ``wide`` picks the grid (see
    the module docstring): ``grid``/``reads`` are its shape and its steps in the flat padded
    image, ``out_steps`` the steps of the real outputs inside it.
    """

    def __init__(self, in_size, out_size, kernel, stride, dilation, lo, groups, wide: bool):
        self.in_size, self.out_size, self.kernel, self.groups = in_size, out_size, kernel, groups
        self.wide, self.taps = wide, math.prod(kernel)
        extent = [(o - 1) * s + d * (k - 1) + 1
                  for o, s, d, k in zip(out_size, stride, dilation, kernel)]
        padded = [max(p + n, e) for p, n, e in zip(lo, in_size, extent)]
        s_last = stride[-1]
        if wide:
            # a row's reads past its end land in the next row's left padding, which is zero
            # too: the right padding shares it (3x3, padding 1: 15 cells a row, not 16); a
            # row holds all its outputs, in whole steps of the stride
            padded[-1] = max(lo[-1] + in_size[-1], extent[-1] - lo[-1],
                             (out_size[-1] - 1) * s_last + 1)
            padded[-1] = -(-padded[-1] // s_last) * s_last
        # a wide 2-D grid with a stride s in the rows: the padded rows stored as s phases (row
        # h in phase h % s, at row h // s), so that each output row reads one row of a phase
        # and a wide run covers only the rows that outputs start on (kernel rows a s + p read
        # phase p, a rows down; needs s | kernel rows, no row dilation)
        self.phases = stride[0] if (wide and len(kernel) == 2 and stride[0] > 1
                                    and dilation[0] == 1 and kernel[0] % stride[0] == 0) else 1
        if self.phases > 1:
            padded[0] = -(-padded[0] // self.phases) * self.phases
        flat = [math.prod(padded[a + 1:]) for a in range(len(padded))]
        self.padded, self.area = tuple(padded), math.prod(padded)
        self.tap_steps = tuple(d * f for d, f in zip(dilation, flat))
        self.view_kernel = kernel           # the kernel's axes in the tap view
        if self.phases > 1:
            width, phase_len = padded[1], self.area // self.phases
            self.view_kernel = (kernel[0] // self.phases, self.phases, kernel[1])
            self.tap_steps = (width, phase_len, dilation[1])
            self.out_steps = (width // s_last, 1)
            self.grid, self.reads = (out_size[0] * self.out_steps[0],), (s_last,)
        elif wide:
            self.out_steps = tuple(f * s // s_last for f, s in zip(flat, stride))
            self.grid, self.reads = (out_size[0] * self.out_steps[0],), (s_last,)
        else:
            self.out_steps = tuple(math.prod(out_size[a + 1:]) for a in range(len(out_size)))
            self.grid, self.reads = out_size, tuple(f * s for f, s in zip(flat, stride))
        self.cells = math.prod(self.grid)
        last = sum((k - 1) * t for k, t in zip(self.view_kernel, self.tap_steps)) + \
            sum((g - 1) * r for g, r in zip(self.grid, self.reads))
        self.buflen = max(self.area, last + 1)
        self.place = tuple(slice(p, p + n) for p, n in zip(lo, in_size))
        if self.phases > 1:     # per phase: (input rows, (phase, its rows, columns)) to copy
            s0, rows = self.phases, padded[0] // self.phases
            self.phase_places = []
            for ph in range(s0):
                i0 = (ph - lo[0]) % s0              # the first input row of this phase
                count = -(-(in_size[0] - i0) // s0) if i0 < in_size[0] else 0
                r0 = (lo[0] + i0) // s0
                if count:
                    self.phase_places.append(
                        ((Ellipsis, slice(i0, None, s0), slice(None)),
                         (Ellipsis, ph, slice(r0, r0 + count), self.place[1])))
            self.phased_shape = (s0, rows, padded[1])
        # the kernel covers the whole unpadded input once (a DCGAN's first and last layers):
        # the columns are the images themselves, and each of the three functions is one GEMM
        self.full = (groups == 1 and all(o == 1 for o in out_size)
                     and tuple(in_size) == tuple(kernel) and not any(lo)
                     and all(d == 1 for d in dilation))
        # with stride 1 the adjoint in x is itself a convolution, of the output-sized array
        # with the flipped kernel and the padding d (k - 1) - lo before (in - out + lo after)
        flip_lo = tuple(d * (k - 1) - p for d, k, p in zip(dilation, kernel, lo))
        self.flip_pads = flip_lo if (
            all(s == 1 for s in stride) and min(flip_lo) >= 0
            and all(n - o + p >= 0 for n, o, p in zip(in_size, out_size, lo))) else None
        self.dilation = dilation

    def flips(self, c_out: int, c_in: int) -> bool:
        """Whether the adjoint in x runs as a convolution with the flipped kernel (see
        ``_conv_transpose``)."""
        return self.flip_pads is not None and c_out <= 2 * c_in

    def flipped(self, wide: bool) -> "_Geometry":
        """The geometry of the adjoint as a convolution (``flip_pads`` not None)."""
        return _Geometry(self.out_size, self.in_size, self.kernel, (1,) * len(self.kernel),
                         self.dilation, self.flip_pads, self.groups, wide)

    def chunks(self, n: int, channels: int, itemsize: int):
        """Image ranges [n0, n1) whose columns take about ``_CHUNK_BYTES``, and at least
        ``_MIN_CHUNKS`` of them (work for every thread; the same ranges on any number of
        threads, so the per-chunk parts of a weight gradient add up the same way)."""
        step = max(1, _CHUNK_BYTES // max(1, channels * self.taps * self.cells * itemsize))
        step = max(1, min(step, -(-n // _MIN_CHUNKS)))
        return [(n0, min(n, n0 + step)) for n0 in range(0, n, step)]


def _pad(x, geo: _Geometry):
    """x (n, C, *in_size) zero-padded and flattened per image: (n, C, buflen) (the rows in
    their phases when ``geo.phases`` > 1)."""
    n, c = x.shape[:2]
    buf = np.zeros((n, c, geo.buflen), x.dtype)
    if geo.phases > 1:
        phased = buf[:, :, :geo.area].reshape((n, c) + geo.phased_shape)
        for src, dst in geo.phase_places:
            phased[dst] = x[src]
    else:
        buf[:, :, :geo.area].reshape(n, c, *geo.padded)[(..., *geo.place)] = x
    return buf


def _unpad(buf, geo: _Geometry, out) -> None:
    """out (n, C, *in_size) = the image inside the padded buffer (the inverse of ``_pad``)."""
    n, c = out.shape[:2]
    if geo.phases > 1:
        phased = buf[:, :, :geo.area].reshape((n, c) + geo.phased_shape)
        for src, dst in geo.phase_places:
            out[src] = phased[dst]
    else:
        out[...] = buf[:, :, :geo.area].reshape(n, c, *geo.padded)[(..., *geo.place)]


def _tap_view(buf, geo: _Geometry, writeable: bool = False):
    """What every tap reads: the view (n, C, *view_kernel, *grid) of ``buf`` (n, C, buflen)."""
    item = buf.itemsize
    return _as_strided(buf, buf.shape[:2] + geo.view_kernel + geo.grid,
                       buf.strides[:2] + tuple(s * item for s in geo.tap_steps + geo.reads),
                       writeable=writeable)


# Arrays on the grid (columns, outputs, gradients): (n, rows, cells) with the dense grid,
# (rows, n, cells) with the wide one (see the module docstring).
def _new_grid(n: int, rows: int, geo: _Geometry, dtype, fill):
    return fill((rows, n, geo.cells) if geo.wide else (n, rows, geo.cells), dtype)


def _by_image(a, geo: _Geometry):
    """A grid array as the view (n, rows, cells)."""
    return a.transpose(1, 0, 2) if geo.wide else a


def _matrices(a, geo: _Geometry):
    """A grid array as stacked matrices per group: (groups, rows / groups, n cells) when wide,
    (n, groups, rows / groups, cells) when dense."""
    g = geo.groups
    if geo.wide:
        return a.reshape(g, a.shape[0] // g, a.shape[1] * geo.cells)
    return a.reshape(a.shape[0], g, a.shape[1] // g, geo.cells)


def _from_matrices(m, n: int, geo: _Geometry):
    """The inverse of ``_matrices`` for a product of them."""
    rows = m.size // (n * geo.cells)
    return m.reshape((rows, n, geo.cells) if geo.wide else (n, rows, geo.cells))


def _im2col(x, geo: _Geometry):
    """cols[n, (c, t), q] = x_pad[n, c, off[t] + r q]: a grid array of C taps rows."""
    n, c = x.shape[:2]
    cols = _new_grid(n, c * geo.taps, geo, x.dtype, np.empty)
    np.copyto(_by_image(cols, geo).reshape((n, c) + geo.view_kernel + geo.grid),
              _tap_view(_pad(x, geo), geo))
    return cols


def _col2im(cols, geo: _Geometry, out) -> None:
    """The adjoint of ``_im2col``: the grid array ``cols`` summed into ``out`` (n, C, *in)."""
    n, c = out.shape[:2]
    buf = np.zeros((n, c, geo.buflen), cols.dtype)
    view = _tap_view(buf, geo, writeable=True)
    cols = _by_image(cols, geo).reshape((n, c) + geo.view_kernel + geo.grid)
    for tap in itertools.product(*(range(k) for k in geo.view_kernel)):
        part = view[(slice(None), slice(None)) + tap]
        np.add(part, cols[(slice(None), slice(None)) + tap], out=part)
    _unpad(buf, geo, out)


def _outputs(grid, geo: _Geometry, writeable: bool = False):
    """The real outputs (n, C, *out_size) inside a grid array, as a view."""
    grid = _by_image(grid, geo)
    item = grid.itemsize
    return _as_strided(grid, grid.shape[:2] + geo.out_size,
                       grid.strides[:2] + tuple(q * item for q in geo.out_steps),
                       writeable=writeable)


def _to_grid(y, geo: _Geometry):
    """y (n, C, *out_size) as a grid array, zeros at the unused cells."""
    n, c = y.shape[:2]
    if not geo.wide:
        return y.reshape(n, c, geo.cells)
    grid = _new_grid(n, c, geo, y.dtype, np.zeros)
    _outputs(grid, geo, writeable=True)[...] = y
    return grid


def _per_channel(bias, nd: int):
    return bias.reshape(-1, *(1,) * nd)


def _grouped(w, geo: _Geometry):
    """The weight (Co, Cg, *kernel) as one matrix per group: (groups, Co / groups, Cg taps)."""
    return w.reshape(geo.groups, w.shape[0] // geo.groups, w.shape[1] * geo.taps)


# ------------------------------------------------------------------ one chunk of images
def _conv_chunk(cols, w, b, geo: _Geometry, out) -> None:
    """out (n, Co, *out_size) = conv + b of a chunk, from its columns (as ``_matrices``)."""
    n, nd = out.shape[0], len(geo.out_size)
    if geo.wide:
        y = _outputs(_from_matrices(np.matmul(_grouped(w, geo), cols), n, geo), geo)
        if b is None:
            np.copyto(out, y)
        else:
            np.add(y, _per_channel(b, nd), out=out)
    else:
        np.matmul(_grouped(w, geo), cols, out=_matrices(out.reshape(n, -1, geo.cells), geo))
        if b is not None:
            out += _per_channel(b, nd)


def _conv_transpose_chunk(grid, w, geo: _Geometry, out) -> None:
    """out (n, C, *in_size) = conv_transpose of a chunk, from its gradient's grid (as
    ``_matrices``)."""
    cols = np.matmul(_grouped(w, geo).transpose(0, 2, 1), grid)
    _col2im(_from_matrices(cols, out.shape[0], geo), geo, out)


def _conv_weight_chunk(cols, grid, geo: _Geometry):
    """A chunk's share of conv_weight, transposed: (groups, Cg taps, Co / groups). (cols @
    grid^T is the faster GEMM of the two orders.)"""
    prod = np.matmul(cols, np.swapaxes(grid, -1, -2))
    return prod if geo.wide else prod.sum(0)


def _cols(x, geo: _Geometry):
    return _matrices(_im2col(x, geo), geo)


def _grid(y, geo: _Geometry):
    return _matrices(_to_grid(y, geo), geo)


def _weight(dw_t, geo: _Geometry):
    """The weight (Co, Cg, *kernel) from its transposed sum (groups, Cg taps, Co / groups)."""
    g, rows, co_g = dw_t.shape
    return np.ascontiguousarray(dw_t.transpose(0, 2, 1)).reshape(
        (g * co_g, rows // geo.taps) + geo.kernel)


# ------------------------------------------------------------------ whole batches
def _conv(x, w, b, geo: _Geometry):
    """y = conv(x, w) + b: (N, Co, *out_size)."""
    n, c = x.shape[:2]
    if geo.full:                    # y[n, o] = sum_{c, t} w[o, c, t] x[n, c, t]
        y = threaded_matmul(x.reshape(n, -1), w.reshape(w.shape[0], -1).T)
        if b is not None:
            y += b
        return y.reshape((n, w.shape[0]) + geo.out_size)
    out = np.empty((n, w.shape[0]) + geo.out_size, x.dtype)
    run_chunks(lambda n0, n1: _conv_chunk(_cols(x[n0:n1], geo), w, b, geo, out[n0:n1]),
               geo.chunks(n, c, x.itemsize), blas=True)
    return out


def _flipped_weight(w, groups: int):
    """wf[(g, c), o, t] = w[(g, o), c, k - 1 - t]: the kernel of the adjoint as a convolution
    (per group, input and output channels swapped, every spatial axis reversed)."""
    co, cg, kernel = w.shape[0], w.shape[1], w.shape[2:]
    wf = w.reshape(groups, co // groups, cg, *kernel).swapaxes(1, 2)
    wf = wf[(Ellipsis,) + (slice(None, None, -1),) * len(kernel)]
    return np.ascontiguousarray(wf).reshape(groups * cg, co // groups, *kernel)


def _conv_transpose(y, w, b, geo: _Geometry):
    """The adjoint of ``conv`` in x, plus b: (N, C, *in_size) from y (N, Co, *out_size).

    With stride 1 and no more output than twice the input channels, a convolution of y with
    the flipped kernel (im2col of y, one GEMM) instead of GEMM + col2im: faster where
    Co <= 2 C, slower where Co = 4 C, whose columns of y outgrow col2im's (`python -m
    benchmarks.kernels` times the CNN's 32 -> 64 case)."""
    n, c = y.shape[0], w.shape[1] * geo.groups
    if geo.full:                    # x[n, c, t] = sum_o y[n, o] w[o, c, t]
        out = threaded_matmul(y.reshape(n, -1), w.reshape(w.shape[0], -1)).reshape(
            (n, c) + geo.in_size)
    elif geo.flips(w.shape[0], c):
        wf = _flipped_weight(w, geo.groups)
        return _conv(y, wf, b, geo.flipped(_wide(wf, geo.groups)))
    else:
        out = np.empty((n, c) + geo.in_size, y.dtype)
        run_chunks(lambda n0, n1: _conv_transpose_chunk(_grid(y[n0:n1], geo), w, geo,
                                                        out[n0:n1]),
                   geo.chunks(n, c, y.itemsize), blas=True)
    if b is not None:
        out += _per_channel(b, len(geo.in_size))
    return out


def _conv_weight(x, y, geo: _Geometry):
    """The adjoint of ``conv`` in w: dw[o, (c, t)] = sum_{n, q} y[n, o, q] cols[n, (c, t), q]."""
    n, c = x.shape[:2]
    if geo.full:                    # dw[o, c, t] = sum_n y[n, o] x[n, c, t]
        return threaded_matmul(y.reshape(n, -1).T, x.reshape(n, -1)).reshape(
            (y.shape[1], c) + geo.kernel)
    dw_t = sum_parts(run_chunks(
        lambda n0, n1: _conv_weight_chunk(_cols(x[n0:n1], geo), _grid(y[n0:n1], geo), geo),
        geo.chunks(n, c, x.itemsize), blas=True))
    return _weight(dw_t, geo)


def _conv_grads(x, w, g, geo: _Geometry, need: tuple):
    """Conv's gradients (dx, dw, db) from its output's gradient g in one pass over the chunks,
    which shares each chunk's grid of g (a backward that records no graph)."""
    n, c = x.shape[:2]
    if geo.full:
        return (_conv_transpose(g, w, None, geo) if need[0] else None,
                _conv_weight(x, g, geo) if need[1] else None,
                _bias_grad(g) if need[2] else None)
    co = g.shape[1]
    if need[0] and geo.flips(co, c):
        return _flipped_grads(x, w, g, geo, need)
    dx = np.empty(x.shape, x.dtype) if need[0] else None

    def chunk(n0, n1):
        grid = _grid(g[n0:n1], geo)
        if dx is not None:
            _conv_transpose_chunk(grid, w, geo, dx[n0:n1])
        return (_conv_weight_chunk(_cols(x[n0:n1], geo), grid, geo) if need[1] else None,
                # the grid has zeros at the unused cells
                _by_image(_from_matrices(grid, n1 - n0, geo), geo).sum((0, 2))
                if need[2] else None)

    parts = run_chunks(chunk, geo.chunks(n, c, x.itemsize), blas=True)
    dw_t, db = (sum_parts([p[i] for p in parts]) for i in (0, 1))
    return dx, None if dw_t is None else _weight(dw_t, geo), db


def _flipped_grads(x, w, g, geo: _Geometry, need: tuple):
    """``_conv_grads`` when dx is a convolution of g with the flipped kernel wf (``flips``):
    the weight gradient of that convolution, dwf = conv_weight(g, x) on the flipped geometry,
    is dw with the same flip (an involution), so dx and dw share g's columns, and x's are never
    built."""
    wf = _flipped_weight(w, geo.groups)
    fgeo = geo.flipped(_wide(wf, geo.groups))
    n, co = g.shape[:2]
    dx = np.empty(x.shape, x.dtype)

    def chunk(n0, n1):
        cols = _cols(g[n0:n1], fgeo)
        _conv_chunk(cols, wf, None, fgeo, dx[n0:n1])
        if need[1]:
            return _conv_weight_chunk(cols, _grid(x[n0:n1], fgeo), fgeo)

    dwf_t = sum_parts(run_chunks(chunk, fgeo.chunks(n, co, g.itemsize), blas=True))
    return (dx, None if dwf_t is None else _flipped_weight(_weight(dwf_t, fgeo), geo.groups),
            _bias_grad(g) if need[2] else None)


def _conv_transpose_grads(y, w, g, geo: _Geometry, need: tuple):
    """ConvTranspose's gradients (dy, dw, db) from its output's gradient g in one pass over
    the chunks, which shares each chunk's columns of g (a backward that records no graph)."""
    n, c = g.shape[:2]
    if geo.full:
        return (_conv(g, w, None, geo) if need[0] else None,
                _conv_weight(g, y, geo) if need[1] else None,
                _bias_grad(g) if need[2] else None)
    dy = np.empty(y.shape, y.dtype) if need[0] else None

    def chunk(n0, n1):
        cols = _cols(g[n0:n1], geo)
        if dy is not None:
            _conv_chunk(cols, w, None, geo, dy[n0:n1])
        if need[1]:
            return _conv_weight_chunk(cols, _grid(y[n0:n1], geo), geo)

    dw_t = sum_parts(run_chunks(chunk, geo.chunks(n, c, g.itemsize), blas=True))
    db = _bias_grad(g) if need[2] else None
    return dy, None if dw_t is None else _weight(dw_t, geo), db


def _bias_grad(grad):
    """db[o] = sum of the output gradient over every axis but the channels (a Tensor, or an
    array in the fused backward)."""
    return grad.sum((0, *range(2, grad.ndim)))


def _tensors(arrays) -> tuple:
    return tuple(None if a is None else Tensor._make(a) for a in arrays)


# ======================================================================== Functions
class Conv(Function):
    """y[n, o, p] = b[o] + sum_{c in group(o), t} w[o, c, t] x_pad[n, c, s p + d t]
    (conv1d/2d/3d: cross-correlation, as torch).

    Bilinear in (x, w):  dx = conv_transpose(dy, w),  dw = conv_weight(x, dy),
    db[o] = sum_{n, p} dy[n, o, p]. A backward that records no graph computes the three in one
    pass (``_conv_grads``); with ``create_graph`` they are the differentiable ops."""

    def name(ctx) -> str:
        return "ConvolutionBackward0"          # torch's node name

    def forward(ctx, x, w, b, geo):
        ctx.geo = geo
        ctx.save_for_backward(x, w)
        return _conv(x, w, b, geo)

    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need, geo = ctx.needs_input_grad, ctx.geo
        if not is_grad_enabled():           # no graph to record: one fused pass
            return _tensors(_conv_grads(x._data, w._data, grad._data, geo, need))
        nx, nw, nb = need
        return (ConvTranspose.apply(grad, w, None, geo=geo) if nx else None,
                ConvWeight.apply(x, grad, geo=geo) if nw else None,
                _bias_grad(grad) if nb else None)


class ConvTranspose(Function):
    """x[n, c, s p + d t] += sum_{o in group(c)} w[o, c, t] y[n, o, p], plus b[c]: the adjoint
    of ``Conv`` in its input (conv_transpose1d/2d/3d; the gradient of a convolution).

    Bilinear in (y, w):  dy = conv(dx, w),  dw = conv_weight(dx, y),  db = dx summed (in one
    pass, ``_conv_transpose_grads``, when no graph is recorded)."""

    def name(ctx) -> str:
        return "ConvolutionBackward0"          # torch's node name

    def forward(ctx, y, w, b, geo):
        ctx.geo = geo
        ctx.save_for_backward(y, w)
        return _conv_transpose(y, w, b, geo)

    def backward(ctx, grad):
        y, w = ctx.saved_tensors
        need, geo = ctx.needs_input_grad, ctx.geo
        if not is_grad_enabled():           # no graph to record: one fused pass
            return _tensors(_conv_transpose_grads(y._data, w._data, grad._data, geo, need))
        ny, nw, nb = need
        return (Conv.apply(grad, w, None, geo=geo) if ny else None,
                ConvWeight.apply(grad, y, geo=geo) if nw else None,
                _bias_grad(grad) if nb else None)


class ConvWeight(Function):
    """dw[o, c, t] = sum_{n, p} g[n, o, p] x_pad[n, c, s p + d t]: the adjoint of ``Conv`` in
    its weight (the weight gradient of a convolution).

    Bilinear in (x, g): for an incoming gradient G of w's shape,
    dx = conv_transpose(g, G),  dg = conv(x, G)."""

    def forward(ctx, x, g, geo):
        ctx.geo = geo
        ctx.save_for_backward(x, g)
        return _conv_weight(x, g, geo)

    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        nx, ng = ctx.needs_input_grad
        geo = ctx.geo
        return (ConvTranspose.apply(g, grad, None, geo=geo) if nx else None,
                Conv.apply(x, grad, None, geo=geo) if ng else None)


class Unfold(Function):
    """im2col: cols[n, (c, t), p] = x_pad[n, c, s p + d t] for every kernel tap t and output
    position p;  dx = fold(dcols) (the overlapping taps summed back)."""

    def forward(ctx, x, geo):
        ctx.geo = geo
        return _im2col(x, geo)

    def backward(ctx, grad):
        return Fold.apply(grad, geo=ctx.geo)


class Fold(Function):
    """col2im: x_pad[n, c, s p + d t] += cols[n, (c, t), p] (overlaps summed), padding cut off;
    dcols = unfold(dx)."""

    def forward(ctx, cols, geo):
        ctx.geo = geo
        n, c_taps = cols.shape[:2]
        out = np.empty((n, c_taps // geo.taps) + geo.in_size, cols.dtype)
        _col2im(cols, geo, out)
        return out

    def backward(ctx, grad):
        return Unfold.apply(grad, geo=ctx.geo)


# ======================================================================== argument checks
def _ints(value, nd: int, name: str, op: str) -> tuple:
    """An int or a sequence of 1 or ``nd`` ints as an ``nd``-tuple (torch's rule)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * nd
    if isinstance(value, (tuple, list)) and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        if len(value) == nd:
            return tuple(int(v) for v in value)
        if len(value) == 1:
            return (int(value[0]),) * nd
        raise op_error(RuntimeError, f"{op}: expected {name} to be a single integer value or a "
                                     f"list of {nd} values to match the convolution dimensions, "
                                     f"but got {name}={list(value)}")
    raise op_error(TypeError, f"{op}: argument '{name}' must be an int or a tuple of {nd} ints, "
                              f"not {type(value).__name__}")


def _check_tensors(op: str, input, weight, bias, nd: int, transposed: bool = False) -> None:
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise op_error(TypeError, f"{op}: argument '{name}' must be a Tensor, not "
                                      f"{type(t).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise op_error(TypeError, f"{op}: argument 'bias' must be a Tensor or None, not "
                                  f"{type(bias).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise op_error(RuntimeError, f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) "
                                     f"input to {op}, but got input of size: "
                                     f"{list(input.shape)}")
    if weight.ndim != nd + 2:
        layout = "in_channels, out_channels/groups" if transposed else \
            "out_channels, in_channels/groups"
        raise op_error(RuntimeError, f"{op}: expected a {nd + 2}-D weight ({layout}, "
                                     f"*kernel_size), but got weight of size "
                                     f"{list(weight.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != input.dtype:
            raise op_error(RuntimeError, f"{op}: Input type ({input.dtype.name}) and {name} type "
                                         f"({t.dtype.name}) should be the same")


def _check_positive(op: str, **values) -> None:
    for name, vals in values.items():
        if name == "padding":
            if any(v < 0 for v in vals):
                raise op_error(RuntimeError, f"{op}: negative padding is not supported (got "
                                             f"padding={list(vals)})")
        elif any(v <= 0 for v in vals):
            raise op_error(RuntimeError, f"{op}: non-positive {name} is not supported (got "
                                         f"{name}={list(vals)})")


def _check_groups(op: str, weight, groups) -> None:
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool):
        raise op_error(TypeError, f"{op}: argument 'groups' must be an int, not "
                                  f"{type(groups).__name__}")
    if groups <= 0:
        raise op_error(RuntimeError, f"{op}: non-positive groups is not supported (got "
                                     f"groups={groups})")
    if weight.shape[0] == 0 or weight.shape[0] % groups:
        raise op_error(RuntimeError, f"{op}: Given groups={groups}, expected weight to be "
                                     f"divisible by {groups} and at least 1 at dimension 0, but "
                                     f"got weight of size {list(weight.shape)} instead")


def _check_channels(op: str, x, weight, groups, transposed: bool) -> None:
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if x.shape[1] != expected:
        given = "transposed=1" if transposed else f"groups={groups}"
        raise op_error(RuntimeError, f"{op}: Given {given}, weight of size "
                                     f"{list(weight.shape)}, expected input{list(x.shape)} to "
                                     f"have {expected} channels, but got {x.shape[1]} channels "
                                     f"instead (groups={groups})")


def _check_bias(op: str, weight, bias, channels: int, transposed: bool) -> None:
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != channels):
        given = "transposed=1, weight" if transposed else "weight"
        raise op_error(RuntimeError, f"{op}: Given {given} of size {list(weight.shape)}, "
                                     f"expected bias to be 1-dimensional with {channels} "
                                     f"elements, but got bias of size {list(bias.shape)} instead")


def _padding(op: str, padding, kernel, stride, dilation, nd: int) -> tuple:
    """(before, after) per spatial dim from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise op_error(RuntimeError, f"{op}: Invalid padding string: {padding!r} (expected "
                                         f"'same' or 'valid')")
        if any(s != 1 for s in stride):
            raise op_error(RuntimeError, f"{op}: padding='same' is not supported for strided "
                                         f"convolutions (got stride={list(stride)})")
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in total)     # the odd one extra at the end
    pad = _ints(padding, nd, "padding", op)
    _check_positive(op, padding=pad)
    return tuple((p, p) for p in pad)


def _wide(weight, groups) -> bool:
    """Whether the wide grid is cheaper: more (input channel, tap) rows than output channels
    (the weight is (C_out, C_in / groups, *kernel); transposed: (C_in, C_out / groups, ...))."""
    return weight.shape[1] * groups * math.prod(weight.shape[2:]) > weight.shape[0]


def _geometry(in_size, out_size, kernel, stride, dilation, lo, groups: int, weight):
    """The convolution's ``_Geometry``: the wide grid where ``_wide`` prefers it, unless its
    unused cells make it more than 1.5x the dense grid (a row stride that the kernel's height
    is not a multiple of, so the rows cannot be phased: each output row then spans s padded
    rows of the wide run)."""
    geo = _Geometry(in_size, out_size, kernel, stride, dilation, lo, groups,
                    _wide(weight, groups))
    if geo.wide and geo.cells > 1.5 * math.prod(out_size):
        geo = _Geometry(in_size, out_size, kernel, stride, dilation, lo, groups, False)
    return geo


def _batched(input, nd: int):
    """(input with a batch dim, whether one was added)."""
    if input.ndim == nd + 1:
        return input.unsqueeze(0), True
    return input, False


# ======================================================================== public ops
def _convnd(op: str, nd: int, input, weight, bias, stride, padding, dilation, groups):
    _check_tensors(op, input, weight, bias, nd)
    stride = _ints(stride, nd, "stride", op)
    dilation = _ints(dilation, nd, "dilation", op)
    _check_positive(op, stride=stride, dilation=dilation)
    _check_groups(op, weight, groups)
    kernel = tuple(weight.shape[2:])
    pads = _padding(op, padding, kernel, stride, dilation, nd)
    x, unbatched = _batched(input, nd)
    _check_channels(op, x, weight, groups, False)
    _check_bias(op, weight, bias, weight.shape[0], False)
    in_size = tuple(x.shape[2:])
    padded = [n + lo + hi for n, (lo, hi) in zip(in_size, pads)]
    reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < r for p, r in zip(padded, reach)):
        raise op_error(RuntimeError, f"{op}: Calculated padded input size per channel: "
                                     f"({' x '.join(map(str, padded))}). Kernel size: "
                                     f"({' x '.join(map(str, reach))}). Kernel size can't be "
                                     f"greater than actual input size (input {list(x.shape)}, "
                                     f"weight {list(weight.shape)})")
    out_size = tuple((p - r) // s + 1 for p, r, s in zip(padded, reach, stride))
    geo = _geometry(in_size, out_size, kernel, stride, dilation, tuple(lo for lo, _ in pads),
                    int(groups), weight)
    out = Conv.apply(x, weight, bias, geo=geo)
    return out.squeeze(0) if unbatched else out


def _conv_transposend(op: str, nd: int, input, weight, bias, stride, padding, output_padding,
                      groups, dilation):
    _check_tensors(op, input, weight, bias, nd, transposed=True)
    stride = _ints(stride, nd, "stride", op)
    dilation = _ints(dilation, nd, "dilation", op)
    if isinstance(padding, str):
        raise op_error(TypeError, f"{op}(): argument 'padding' must be tuple of ints, not str "
                                  f"(padding={padding!r})")
    pad = _ints(padding, nd, "padding", op)
    out_pad = _ints(output_padding, nd, "output_padding", op)
    _check_positive(op, stride=stride, dilation=dilation, padding=pad)
    if any(op_ >= s and op_ >= d for op_, s, d in zip(out_pad, stride, dilation)) or \
            any(p < 0 for p in out_pad):
        raise op_error(RuntimeError, f"{op}: output padding must be smaller than either stride "
                                     f"or dilation, but got output_padding={list(out_pad)}, "
                                     f"stride={list(stride)}, dilation={list(dilation)}")
    _check_groups(op, weight, groups)
    x, unbatched = _batched(input, nd)
    _check_channels(op, x, weight, groups, True)
    _check_bias(op, weight, bias, weight.shape[1] * groups, True)
    kernel = tuple(weight.shape[2:])
    out_size = tuple(x.shape[2:])
    in_size = tuple((o - 1) * s - 2 * p + d * (k - 1) + q + 1 for o, s, p, d, k, q in
                    zip(out_size, stride, pad, dilation, kernel, out_pad))
    if any(n <= 0 for n in in_size):
        raise op_error(RuntimeError, f"{op}: the output size {list(in_size)} computed from "
                                     f"input {list(x.shape)}, weight {list(weight.shape)}, "
                                     f"stride={list(stride)}, padding={list(pad)}, "
                                     f"output_padding={list(out_pad)}, dilation={list(dilation)} "
                                     f"is too small (each size must be at least 1)")
    geo = _geometry(in_size, out_size, kernel, stride, dilation, pad, int(groups), weight)
    out = ConvTranspose.apply(x, weight, bias, geo=geo)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) of ``input`` (N, C_in, L) or (C_in, L) with
    ``weight`` (C_out, C_in / groups, k):
    ``out[n, o, p] = bias[o] + sum_{c, t} weight[o, c, t] input_pad[n, c, stride p + dilation t]``.
    ``padding`` is an int, a tuple, 'valid' (none) or 'same' (stride 1 only; an odd total
    puts the extra element at the end)."""
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of ``input`` (N, C_in, H, W) or (C_in, H, W) with
    ``weight`` (C_out, C_in / groups, kH, kW); output size per dim
    ``(in + 2 padding - dilation (k - 1) - 1) // stride + 1``. See ``conv1d`` for the sum and
    the padding strings."""
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution of ``input`` (N, C_in, D, H, W) or (C_in, D, H, W) with ``weight``
    (C_out, C_in / groups, kD, kH, kW). See ``conv1d``."""
    return _convnd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-D convolution (the gradient of conv1d with respect to its input) of
    ``input`` (N, C_in, L) with ``weight`` (C_in, C_out / groups, k): each input element
    scatters ``weight``-weighted copies to ``stride p + dilation t - padding``. Output length
    ``(L - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1``."""
    return _conv_transposend("conv_transpose1d", 1, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution ("deconvolution") of ``input`` (N, C_in, H, W) with
    ``weight`` (C_in, C_out / groups, kH, kW). See ``conv_transpose1d``."""
    return _conv_transposend("conv_transpose2d", 2, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 3-D convolution of ``input`` (N, C_in, D, H, W) with ``weight``
    (C_in, C_out / groups, kD, kH, kW). See ``conv_transpose1d``."""
    return _conv_transposend("conv_transpose3d", 3, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def _block_args(op: str, kernel_size, dilation, padding, stride) -> tuple:
    args = [_ints(v, 2, name, op) for v, name in ((kernel_size, "kernel_size"),
                                                   (dilation, "dilation"), (padding, "padding"),
                                                   (stride, "stride"))]
    _check_positive(op, kernel_size=args[0], dilation=args[1], padding=args[2], stride=args[3])
    return tuple(args)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: the sliding blocks of ``input`` (N, C, H, W) or (C, H, W) as columns
    (N, C kH kW, L), ``out[n, (c, i, j), p] = input_pad[n, c, stride p + dilation (i, j)]``
    over the L output positions p in row-major order."""
    op = "unfold"
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        raise op_error(RuntimeError, f"{op}: expected a 3-D (unbatched) or 4-D (batched) input "
                                     f"tensor, but got input of size "
                                     f"{list(getattr(input, 'shape', ()))}")
    kernel, dilation, padding, stride = _block_args(op, kernel_size, dilation, padding, stride)
    x, unbatched = _batched(input, 2)
    in_size = tuple(x.shape[2:])
    out_size = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, p, d, k, s in
                     zip(in_size, padding, dilation, kernel, stride))
    if any(o < 1 for o in out_size):
        raise op_error(RuntimeError, f"{op}: Given input with spatial size {in_size}, "
                                     f"kernel_size={kernel}, dilation={dilation}, "
                                     f"padding={padding}, calculated shape of the array of "
                                     f"sliding blocks as {out_size}, but its components must be "
                                     f"at least one.")
    geo = _Geometry(in_size, out_size, kernel, stride, dilation, padding, 1, wide=False)
    out = Unfold.apply(x, geo=geo)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of ``unfold``: columns (N, C kH kW, L) or (C kH kW, L) summed into
    an image (N, C, *output_size), overlapping blocks added, padding cut off."""
    op = "fold"
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise op_error(RuntimeError, f"{op}: expected a 2-D (unbatched) or 3-D (batched) input "
                                     f"tensor, but got input of size "
                                     f"{list(getattr(input, 'shape', ()))}")
    in_size = _ints(output_size, 2, "output_size", op)
    kernel, dilation, padding, stride = _block_args(op, kernel_size, dilation, padding, stride)
    cols, unbatched = (input.unsqueeze(0), True) if input.ndim == 2 else (input, False)
    taps = math.prod(kernel)
    if cols.shape[1] % taps:
        raise op_error(RuntimeError, f"{op}: Expected size of input's dimension 1 to be "
                                     f"divisible by the product of kernel_size, but got "
                                     f"input.size(1)={cols.shape[1]} and "
                                     f"kernel_size={kernel}.")
    out_size = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, p, d, k, s in
                     zip(in_size, padding, dilation, kernel, stride))
    if any(o < 1 for o in out_size) or math.prod(out_size) != cols.shape[2]:
        raise op_error(RuntimeError, f"{op}: Given output_size={in_size}, "
                                     f"kernel_size={kernel}, dilation={dilation}, "
                                     f"padding={padding}, stride={stride}, expected size of "
                                     f"input's dimension 2 to match the calculated number of "
                                     f"sliding blocks {' * '.join(map(str, out_size))} = "
                                     f"{math.prod(out_size)}, but got "
                                     f"input.size(2)={cols.shape[2]}.")
    geo = _Geometry(in_size, out_size, kernel, stride, dilation, padding, 1, wide=False)
    out = Fold.apply(cols, geo=geo)
    return out.squeeze(0) if unbatched else out
