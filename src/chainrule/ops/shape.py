"""Shape ops: reshape/view, expand, permute/transpose, squeeze/unsqueeze, flatten; joining and
splitting (cat, stack, split, chunk, unbind, narrow); flip, roll, pad, repeat/tile and diagonals.
Each backward is the inverse rearrangement of the gradient."""
from __future__ import annotations

from ..autograd.function import Function
from ..backend import np, promote_np
from ._util import Tensor, tensor_method, wrap_dim, op_error, describe

__all__ = ["reshape", "view", "expand", "expand_as", "broadcast_to", "permute", "transpose",
           "swapaxes", "t", "squeeze", "unsqueeze", "flatten", "unflatten", "movedim", "view_as",
           "reshape_as", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
           "atleast_1d", "atleast_2d", "atleast_3d", "split", "chunk", "unbind", "narrow", "flip",
           "fliplr", "flipud", "roll", "repeat", "tile", "repeat_interleave", "diagonal",
           "diag_embed", "diag"]


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer_shape(shape, numel: int, op: str, in_shape) -> tuple:
    """Resolve one -1 in ``shape``; error naming both shapes when the sizes differ."""
    if shape.count(-1) > 1:
        raise op_error(RuntimeError, f"{op}: only one dimension can be inferred (got {shape})")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise op_error(RuntimeError, f"{op}: invalid shape dimension {s} in {shape}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise op_error(RuntimeError, f"{op}: shape '{list(shape)}' is invalid for input of "
                                         f"size {numel} (input shape {tuple(in_shape)})")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise op_error(RuntimeError, f"{op}: shape '{list(shape)}' is invalid for input of size "
                                     f"{numel} (input shape {tuple(in_shape)})")
    return shape


class Reshape(Function):
    """y = x with a new shape (same elements in row-major order);  dx = dy reshaped back."""

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)


class Expand(Function):
    """y = x broadcast to ``shape``;  dx = dy summed over the broadcast dims."""

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.broadcast_to(x, shape)

    def backward(ctx, grad):
        from ._util import unbroadcast
        return unbroadcast(grad, ctx.in_shape)


class Permute(Function):
    """y = x with dims reordered by ``dims``;  dx = dy permuted by the inverse order."""

    def forward(ctx, x, dims):
        ctx.inverse = tuple(dims.index(i) for i in range(len(dims)))
        return x.transpose(dims)

    def backward(ctx, grad):
        return grad.permute(ctx.inverse)


@tensor_method
def reshape(input, *shape):
    """The same elements in a new shape (one dim may be -1)."""
    shape = _infer_shape(_shape_arg(shape), input._data.size, "reshape", input._data.shape)
    if shape == input._data.shape:
        return Reshape.apply(input, shape) if input.requires_grad else Tensor._make(input._data)
    return Reshape.apply(input, shape)


@tensor_method
def view(input, *shape):
    """``reshape`` that never copies: the result shares memory with ``input`` (as torch's), so
    a shape that the strides cannot express (e.g. flattening a transpose) is an error, as in
    torch; ``view(dtype)`` reinterprets the bytes (no gradient)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
        from ..backend import to_np_dtype
        return Tensor._make(input._data.view(to_np_dtype(shape[0])))
    target = _shape_arg(shape)
    probe = input._data.view()
    try:
        probe.shape = target            # raises when only a copy could have this shape
    except AttributeError:
        a = input._data
        strides = tuple(st // a.itemsize for st in a.strides)
        raise op_error(RuntimeError, f"view: view size is not compatible with input tensor's "
                                     f"size and stride (shape {tuple(a.shape)}, strides in "
                                     f"elements {strides}, requested {tuple(target)}); use "
                                     f".reshape(...) instead") from None
    except ValueError:
        pass                            # a bad size: reshape reports it as torch does
    return reshape(input, *shape)


@tensor_method
def view_as(input, other):
    return reshape(input, other._data.shape)


@tensor_method
def reshape_as(input, other):
    return reshape(input, other._data.shape)


@tensor_method
def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying (-1 keeps a dim)."""
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise op_error(RuntimeError, f"expand: the number of sizes provided ({len(sizes)}) must "
                                     f"be greater or equal to the number of dimensions in the "
                                     f"tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        if i >= lead:
            cur = shape[i - lead]
            if s == -1:
                s = cur
            elif cur != 1 and cur != s:
                raise op_error(RuntimeError, f"expand: the expanded size of the tensor ({s}) "
                                             f"must match the existing size ({cur}) at "
                                             f"non-singleton dimension {i}. Target sizes: "
                                             f"{list(sizes)}. Tensor sizes: {list(shape)}")
        elif s == -1:
            raise op_error(RuntimeError, f"expand: the expanded size -1 is not allowed in a "
                                         f"leading, non-existing dimension {i}")
        out.append(s)
    out = tuple(out)
    if out == shape:
        return input if not input.requires_grad else Expand.apply(input, out)
    return Expand.apply(input, out)


@tensor_method
def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, shape):
    """``expand`` under NumPy's name."""
    return expand(input, shape)


tensor_method(broadcast_to)


@tensor_method
def permute(input, *dims):
    """Reorder the dims: ``x.permute(2, 0, 1)``."""
    dims = _shape_arg(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise op_error(RuntimeError, f"permute: number of dims don't match in permute (input "
                                     f"{describe(input)} has {nd} dims, got dims {dims})")
    dims = tuple(wrap_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != nd:
        raise op_error(RuntimeError, f"permute: repeated dim in {dims}")
    return Permute.apply(input, dims)


@tensor_method
def transpose(input, dim0: int, dim1: int):
    """Swap two dims."""
    nd = input._data.ndim
    if nd == 0:
        return input
    d0, d1 = wrap_dim(dim0, nd, "transpose"), wrap_dim(dim1, nd, "transpose")
    dims = list(range(nd))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims))


swapaxes = transpose
tensor_method(transpose, name="swapaxes")
tensor_method(transpose, name="swapdims")


@tensor_method
def t(input):
    """Transpose of a matrix (0-d and 1-d tensors come back as they are)."""
    if input._data.ndim > 2:
        raise op_error(RuntimeError, f"t: expects a tensor with <= 2 dimensions, but self is "
                                     f"{input._data.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else input


@tensor_method
def squeeze(input, dim=None):
    """Drop dims of size 1 (all of them, or those named by ``dim``)."""
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {wrap_dim(d, len(shape), "squeeze") for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return reshape(input, new)


@tensor_method
def unsqueeze(input, dim: int):
    """Insert a dim of size 1 at ``dim``."""
    shape = input._data.shape
    d = wrap_dim(dim, len(shape) + 1, "unsqueeze")
    return reshape(input, shape[:d] + (1,) + shape[d:])


@tensor_method
def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dims ``start_dim..end_dim`` into one."""
    shape = input._data.shape
    if len(shape) == 0:
        return reshape(input, (1,))
    s = wrap_dim(start_dim, len(shape), "flatten")
    e = wrap_dim(end_dim, len(shape), "flatten")
    if s > e:
        raise op_error(RuntimeError, "flatten: start_dim cannot come after end_dim")
    n = 1
    for x in shape[s:e + 1]:
        n *= x
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


@tensor_method
def unflatten(input, dim: int, sizes):
    """Split dim ``dim`` into ``sizes``."""
    shape = input._data.shape
    d = wrap_dim(dim, len(shape), "unflatten")
    sizes = tuple(sizes)
    if -1 in sizes:
        sizes = _infer_shape(sizes, shape[d], "unflatten", shape)
    elif int(np.prod(sizes)) != shape[d]:
        raise op_error(RuntimeError, f"unflatten: Provided sizes {list(sizes)} don't multiply up "
                                     f"to the size of dim {dim} ({shape[d]}) in the input tensor")
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


@tensor_method
def movedim(input, source, destination):
    """Move dims from ``source`` to ``destination`` positions."""
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [wrap_dim(d, nd, "movedim") for d in src]
    dst = [wrap_dim(d, nd, "movedim") for d in dst]
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


tensor_method(movedim, name="moveaxis")
moveaxis = movedim


# ======================================================================== joining and splitting
class Cat(Function):
    """y = the inputs joined along ``dim``;  dx_k = the slice of dy that x_k filled."""

    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return np.concatenate(arrays, axis=dim)

    def backward(ctx, grad):
        grads, start = [], 0
        for n, need in zip(ctx.sizes, ctx.needs_input_grad):
            grads.append(narrow(grad, ctx.dim, start, n) if need else None)
            start += n
        return tuple(grads)


class Pad(Function):
    """y = x with ``widths[d] = (before, after)`` elements of ``value`` added at the ends of dim
    d; a negative width removes elements instead.  dx = dy padded by the negated widths (the
    padding cut off, zeros where x was cut)."""

    def forward(ctx, x, widths, value=0):
        ctx.widths = widths
        x = x[tuple(slice(max(-b, 0), n - max(-a, 0))
                    for (b, a), n in zip(widths, x.shape)) or ...]
        grow = [(max(b, 0), max(a, 0)) for b, a in widths]
        if not any(b or a for b, a in grow):
            return x
        out = np.full(tuple(n + b + a for n, (b, a) in zip(x.shape, grow)), value, dtype=x.dtype)
        out[tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, grow))] = x
        return out

    def backward(ctx, grad):
        return Pad.apply(grad, tuple((-b, -a) for b, a in ctx.widths))


class Narrow(Pad):
    """y = x[start:start + length] along one dim (a view): a Pad with negative widths;
    dx = dy with zeros around it."""

    op_name = "narrow"


def _check_not_0d(input, op: str) -> None:
    if input._data.ndim == 0:
        raise op_error(RuntimeError, f"{op}: expects at least a 1-dimensional tensor (got a 0-d "
                                     f"tensor)")


def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise op_error(TypeError, f"{op}(): argument 'tensors' must be a tuple or list of "
                                  f"Tensors, not {type(tensors).__name__}")
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise op_error(TypeError, f"{op}(): expected Tensors, but element {k} is "
                                      f"{type(t).__name__}")
    if not tensors:
        raise op_error(ValueError, f"{op}(): expected a non-empty list of Tensors")
    return list(tensors)


def cat(tensors, dim: int = 0):
    """Join tensors along an existing dim; the others must match. dtypes promote as torch;
    1-D empty tensors are skipped (torch's legacy rule)."""
    tensors = _tensor_list(tensors, "cat")
    if any(t._data.ndim != 1 for t in tensors):
        tensors = [t for t in tensors if t._data.shape != (0,)] or tensors[:1]
    first = tensors[0]._data
    for k, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise op_error(RuntimeError, f"cat: zero-dimensional tensor (at position {k}) cannot "
                                         f"be concatenated")
    d = wrap_dim(dim, first.ndim, "cat")
    dtype = first.dtype
    for k, t in enumerate(tensors):
        shape = t._data.shape
        if len(shape) != first.ndim:
            raise op_error(RuntimeError, f"cat: Tensors must have same number of dimensions: got "
                                         f"{first.ndim} and {len(shape)} (shapes "
                                         f"{tuple(first.shape)} and {tuple(shape)})")
        for i, (a, b) in enumerate(zip(first.shape, shape)):
            if i != d and a != b:
                raise op_error(RuntimeError, f"cat: Sizes of tensors must match except in "
                                             f"dimension {d}. Expected size {a} but got size {b} "
                                             f"for tensor number {k} in the list (shapes "
                                             f"{tuple(first.shape)} and {tuple(shape)})")
        dtype = promote_np(dtype, t._data.dtype)
    tensors = [t if t._data.dtype == dtype else t.to(Tensor._dtype_of(dtype)) for t in tensors]
    return Cat.apply(*tensors, dim=d)


concat = concatenate = cat


def stack(tensors, dim: int = 0):
    """Join equally shaped tensors along a new dim ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    shape = tensors[0]._data.shape
    for k, t in enumerate(tensors):
        if t._data.shape != shape:
            raise op_error(RuntimeError, f"stack: expects each tensor to be equal size, but got "
                                         f"{list(shape)} at entry 0 and {list(t._data.shape)} at "
                                         f"entry {k}")
    d = wrap_dim(dim, len(shape) + 1, "stack")
    return cat([unsqueeze(t, d) for t in tensors], d)


def atleast_1d(*tensors):
    """0-d tensors as shape (1,); others unchanged."""
    return _atleast(tensors, lambda s: (1,) if not s else s)


def atleast_2d(*tensors):
    """0-d -> (1, 1), 1-D (n,) -> (1, n); others unchanged."""
    return _atleast(tensors, lambda s: ((1,) * (2 - len(s)) + s) if len(s) < 2 else s)


def atleast_3d(*tensors):
    """0-d -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1); others unchanged."""
    def shape3(s):
        return {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s)
    return _atleast(tensors, shape3)


def _atleast(tensors, new_shape):
    one = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    ts = tensors if not (len(tensors) == 1 and isinstance(tensors[0], (list, tuple))) \
        else tensors[0]
    out = tuple(reshape(t, new_shape(t._data.shape)) for t in ts)
    return out[0] if one else out


def hstack(tensors):
    """cat along dim 0 for 1-D tensors, dim 1 otherwise."""
    ts = atleast_1d(_tensor_list(tensors, "hstack"))
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


def vstack(tensors):
    """cat along dim 0 after making every tensor at least 2-D."""
    return cat(atleast_2d(_tensor_list(tensors, "vstack")), 0)


def dstack(tensors):
    """cat along dim 2 after making every tensor at least 3-D."""
    return cat(atleast_3d(_tensor_list(tensors, "dstack")), 2)


@tensor_method
def narrow(input, dim: int, start, length: int):
    """input[start:start + length] along ``dim`` (a negative start counts from the end)."""
    _check_not_0d(input, "narrow")
    shape = input._data.shape
    d = wrap_dim(dim, len(shape), "narrow")
    n = shape[d]
    start = int(start)
    if not -n <= start <= n:
        raise op_error(IndexError, f"narrow: start out of range (expected to be in range of "
                                   f"[{-n}, {n}], but got {start}) for dim {d} of shape "
                                   f"{tuple(shape)}")
    if start < 0:
        start += n
    if length < 0:
        raise op_error(RuntimeError, f"narrow: length must be non-negative, got {length}")
    if start + length > n:
        raise op_error(RuntimeError, f"narrow: start ({start}) + length ({length}) exceeds "
                                     f"dimension size ({n}) of dim {d} of shape {tuple(shape)}")
    widths = tuple((-start, start + length - n) if i == d else (0, 0) for i in range(len(shape)))
    return Narrow.apply(input, widths)


@tensor_method
def split(tensor, split_size_or_sections, dim: int = 0):
    """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of the
    given list of sizes (which must sum to the dim's size)."""
    _check_not_0d(tensor, "split")
    shape = tensor._data.shape
    d = wrap_dim(dim, len(shape), "split")
    n = shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0:
            raise op_error(RuntimeError, f"split: expects split_size be non-negative, but got "
                                         f"split_size={size}")
        if size == 0 and n:
            raise op_error(RuntimeError, f"split: split_size can only be 0 if dimension size is "
                                         f"0, but got dimension size of {n} (shape "
                                         f"{tuple(shape)}, dim {d})")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise op_error(RuntimeError, f"split: split_with_sizes expects split_sizes to be "
                                         f"non-negative and sum exactly to {n} (input tensor's "
                                         f"size at dimension {d}, shape {tuple(shape)}), but got "
                                         f"split_sizes={sizes}")
    pieces, start = [], 0
    for s in sizes:
        pieces.append(narrow(tensor, d, start, s))
        start += s
    return tuple(pieces)


@tensor_method
def chunk(input, chunks: int, dim: int = 0):
    """``chunks`` pieces of size ceil(n / chunks) along ``dim`` (fewer when they run out)."""
    _check_not_0d(input, "chunk")
    if chunks <= 0:
        raise op_error(RuntimeError, f"chunk: expects `chunks` to be greater than 0, got: "
                                     f"{chunks}")
    d = wrap_dim(dim, input._data.ndim, "chunk")
    n = input._data.shape[d]
    if n == 0:
        return tuple(narrow(input, d, 0, 0) for _ in range(chunks))
    return split(input, -(-n // chunks), d)


@tensor_method
def unbind(input, dim: int = 0):
    """The slices along ``dim``, with that dim removed."""
    _check_not_0d(input, "unbind")
    d = wrap_dim(dim, input._data.ndim, "unbind")
    return tuple(squeeze(narrow(input, d, i, 1), d) for i in range(input._data.shape[d]))


# ======================================================================== flip, roll, pad
class Flip(Function):
    """y = x reversed along ``dims``;  dx = dy reversed along ``dims``."""

    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.ascontiguousarray(np.flip(x, dims)) if x.ndim else x.copy()

    def backward(ctx, grad):
        return Flip.apply(grad, ctx.dims)


class Roll(Function):
    """y = x shifted circularly by ``shifts`` along ``dims`` (the flattened tensor when None);
    dx = dy shifted back."""

    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x, shifts, axis=dims)

    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shifts) if ctx.dims is not None else -ctx.shifts
        return Roll.apply(grad, back, ctx.dims)


def _dims_list(dims, ndim: int, op: str) -> tuple:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    out = tuple(wrap_dim(int(d), ndim, op) for d in dims)
    if len(set(out)) != len(out):
        raise op_error(RuntimeError, f"{op}: dim {out} appears multiple times in the list of "
                                     f"dims")
    return out


@tensor_method
def flip(input, *dims):
    """Reverse the order of elements along ``dims``: ``flip(x, (0, 1))`` or ``x.flip(0, 1)``."""
    return Flip.apply(input, _dims_list(dims, input._data.ndim, "flip"))


@tensor_method
def fliplr(input):
    """Reverse dim 1 (left/right) of a tensor with at least 2 dims."""
    if input._data.ndim < 2:
        raise op_error(RuntimeError, f"fliplr: Input must be >= 2-d, got shape "
                                     f"{tuple(input._data.shape)}")
    return Flip.apply(input, (1,))


@tensor_method
def flipud(input):
    """Reverse dim 0 (up/down) of a tensor with at least 1 dim."""
    if input._data.ndim < 1:
        raise op_error(RuntimeError, "flipud: Input must be >= 1-d, got a 0-d tensor")
    return Flip.apply(input, (0,))


@tensor_method
def roll(input, shifts, dims=None):
    """Shift elements circularly: ``roll(x, 1, 0)``, ``roll(x, (1, -2), (0, 1))``; without
    ``dims`` the flattened tensor is rolled and the shape restored."""
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise op_error(RuntimeError, f"roll: shifts and dimensions must align. shifts: "
                                         f"{len(shifts)}, dims: 0")
        return Roll.apply(input, int(shifts[0]), None)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if input._data.ndim == 0:
        raise op_error(IndexError, f"roll: Dimension specified as {dims[0]} but tensor has no "
                                   f"dimensions")
    if len(shifts) != len(dims):
        raise op_error(RuntimeError, f"roll: shifts and dimensions must align. shifts: "
                                     f"{len(shifts)}, dims: {len(dims)}")
    dims = tuple(wrap_dim(int(d), input._data.ndim, "roll") for d in dims)
    return Roll.apply(input, tuple(int(s) for s in shifts), dims)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode: str = "constant", value=None):
    """torch.nn.functional.pad: ``pad = (left, right)`` for the last dim, then
    ``(top, bottom)`` for the one before, and so on. 'constant' fills with ``value`` (0 by
    default; negative widths crop); 'reflect', 'replicate' and 'circular' pad the last 1-3
    dims of a batched (or unbatched) input from its own values."""
    pad = tuple(int(p) for p in pad)
    shape = input._data.shape
    if len(pad) % 2:
        raise op_error(RuntimeError, f"pad: Padding length must be divisible by 2, got {pad}")
    k = len(pad) // 2
    if k > len(shape):
        raise op_error(RuntimeError, f"pad: Padding length should be less than or equal to two "
                                     f"times the input dimension but got padding length "
                                     f"{len(pad)} and input of shape {tuple(shape)}")
    if mode not in _PAD_MODES:
        raise op_error(NotImplementedError, f"pad: Unrecognised padding mode {mode!r} "
                                            f"(expected one of {', '.join(_PAD_MODES)})")
    widths = [(0, 0)] * (len(shape) - k) + [(pad[2 * i], pad[2 * i + 1])
                                            for i in reversed(range(k))]
    for d, (b, a) in enumerate(widths):
        if shape[d] + b + a < 0:
            raise op_error(RuntimeError, f"pad: The input size {shape[d]}, plus negative "
                                         f"padding {b} and {a} resulted in a negative output "
                                         f"size (dim {d} of shape {tuple(shape)})")
    if mode == "constant":
        return Pad.apply(input, tuple(widths), 0 if value is None else value)
    if value is not None:
        raise op_error(RuntimeError, f"pad: Padding mode {mode!r} doesn't take in value "
                                     f"argument")
    if not 1 <= len(shape) - k <= 2 or k > 3:
        raise op_error(NotImplementedError, f"pad: Padding size {len(pad)} is not supported for "
                                            f"{len(shape)}D input tensor with mode {mode!r} "
                                            f"(expected a {k + 1}D or {k + 2}D input)")
    out = input
    for d, (b, a) in enumerate(widths):
        if b > 0 or a > 0:
            out = _pad_from_values(out, d, max(b, 0), max(a, 0), mode)
    crop = tuple((min(b, 0), min(a, 0)) for b, a in widths)
    return Pad.apply(out, crop) if any(b or a for b, a in crop) else out


def _pad_from_values(x: Tensor, d: int, before: int, after: int, mode: str) -> Tensor:
    """x with ``before``/``after`` elements added along ``d`` from its own values."""
    n = x._data.shape[d]
    if mode == "reflect":
        if before >= n or after >= n:
            raise op_error(RuntimeError, f"pad: Padding size should be less than the "
                                         f"corresponding input dimension, but got: padding "
                                         f"({before}, {after}) at dimension {d} of input "
                                         f"{list(x._data.shape)}")
        left = flip(narrow(x, d, 1, before), d)
        right = flip(narrow(x, d, n - 1 - after, after), d)
    elif mode == "circular":
        if before > n or after > n:
            raise op_error(RuntimeError, f"pad: Padding value causes wrapping around more than "
                                         f"once (padding ({before}, {after}) at dimension {d} of "
                                         f"input {list(x._data.shape)})")
        left, right = narrow(x, d, n - before, before), narrow(x, d, 0, after)
    else:
        if n == 0:
            raise op_error(RuntimeError, f"pad: cannot replicate-pad an empty dimension {d} of "
                                         f"input {list(x._data.shape)}")
        edge = list(x._data.shape)
        edge[d] = before
        left = expand(narrow(x, d, 0, 1), tuple(edge))
        edge[d] = after
        right = expand(narrow(x, d, n - 1, 1), tuple(edge))
    return cat([left, x, right], d)


# ======================================================================== repeat, diagonals
@tensor_method
def repeat(input, *sizes):
    """Tile the tensor ``sizes[d]`` times along each dim (leading new dims when ``sizes`` is
    longer than the shape): an expand of interleaved size-1 dims, then a reshape."""
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise op_error(RuntimeError, f"repeat: Number of dimensions of repeat dims "
                                     f"({len(sizes)}) can not be smaller than number of "
                                     f"dimensions of tensor (shape {tuple(shape)})")
    if any(r < 0 for r in sizes):
        raise op_error(RuntimeError, f"repeat: Trying to create tensor with negative dimension "
                                     f"(repeats {sizes})")
    shape = (1,) * (len(sizes) - len(shape)) + shape
    spread = reshape(input, tuple(v for s in shape for v in (1, s)))
    spread = expand(spread, tuple(v for r, s in zip(sizes, shape) for v in (r, s)))
    return reshape(spread, tuple(r * s for r, s in zip(sizes, shape)))


@tensor_method
def tile(input, dims):
    """``repeat`` with ``dims`` padded with leading ones to the input's number of dims."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


@tensor_method
def repeat_interleave(input, repeats, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times along ``dim`` (the flattened input when None);
    ``repeats`` is an int (or a one-element tensor)."""
    if isinstance(repeats, Tensor):
        if repeats._data.size != 1:
            raise op_error(NotImplementedError, f"repeat_interleave: per-element repeats (a "
                                                f"tensor of shape {tuple(repeats.shape)}) are "
                                                f"not supported; use an int")
        repeats = int(repeats.item())
    if repeats < 0:
        raise op_error(RuntimeError, f"repeat_interleave: repeats can not be negative, got "
                                     f"{repeats}")
    if dim is None:
        input, d = reshape(input, (-1,)), 0
    else:
        d = wrap_dim(dim, input._data.ndim, "repeat_interleave")
    shape = input._data.shape
    spread = expand(unsqueeze(input, d + 1), shape[:d + 1] + (repeats,) + shape[d + 1:])
    return reshape(spread, shape[:d] + (shape[d] * repeats,) + shape[d + 1:])


class Diagonal(Function):
    """y[..., i] = x[.., i + max(-offset, 0) (dim1) .., i + max(offset, 0) (dim2) ..];
    dx = dy written onto that diagonal of zeros (DiagEmbed)."""

    def forward(ctx, x, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2, x.shape[dim1], x.shape[dim2])
        return np.diagonal(x, offset, dim1, dim2).copy()

    def backward(ctx, grad):
        return DiagEmbed.apply(grad, *ctx.args)


class DiagEmbed(Function):
    """y = zeros with a (rows, cols) matrix at dims (dim1, dim2) whose ``offset`` diagonal holds
    the last dim of x;  dx = the diagonal of dy (Diagonal)."""

    def forward(ctx, x, offset, dim1, dim2, rows, cols):
        ctx.args = (offset, dim1, dim2)
        out = np.zeros(x.shape[:-1] + (rows, cols), dtype=x.dtype)
        i = np.arange(x.shape[-1])
        out[..., i + max(-offset, 0), i + max(offset, 0)] = x
        return np.ascontiguousarray(np.moveaxis(out, (-2, -1), (dim1, dim2)))

    def backward(ctx, grad):
        return Diagonal.apply(grad, *ctx.args)


def _diag_dims(ndim: int, dim1: int, dim2: int, op: str) -> tuple:
    d1, d2 = wrap_dim(dim1, ndim, op), wrap_dim(dim2, ndim, op)
    if d1 == d2:
        raise op_error(RuntimeError, f"{op}: diagonal dimensions cannot be identical {dim1}, "
                                     f"{dim2}")
    return d1, d2


@tensor_method
def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The ``offset`` diagonal of the matrices in dims (dim1, dim2), as the last dim."""
    d1, d2 = _diag_dims(input._data.ndim, dim1, dim2, "diagonal")
    return Diagonal.apply(input, offset, d1, d2)


@tensor_method
def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Matrices (in dims dim1, dim2 of the result) whose ``offset`` diagonal is the last dim
    of ``input``; zeros elsewhere."""
    d1, d2 = _diag_dims(input._data.ndim + 1, dim1, dim2, "diag_embed")
    m = input._data.shape[-1] + abs(offset)
    return DiagEmbed.apply(input, offset, d1, d2, m, m)


@tensor_method
def diag(input, diagonal: int = 0):
    """1-D input: the square matrix with it on the ``diagonal``; 2-D input: that diagonal."""
    if input._data.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input._data.ndim == 2:
        return Diagonal.apply(input, diagonal, 0, 1)
    raise op_error(RuntimeError, f"diag(): Supports 1D or 2D tensors. Got {input._data.ndim}D "
                                 f"(shape {tuple(input._data.shape)})")
