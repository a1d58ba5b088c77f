"""Shape ops: reshape/view, expand, permute/transpose, squeeze/unsqueeze, flatten. Each backward
is the inverse rearrangement of the gradient."""
from __future__ import annotations

from ..autograd.function import Function
from ..backend import np
from ._util import Tensor, tensor_method, wrap_dim, op_error, describe

__all__ = ["reshape", "view", "expand", "expand_as", "broadcast_to", "permute", "transpose",
           "swapaxes", "t", "squeeze", "unsqueeze", "flatten", "unflatten", "movedim", "view_as",
           "reshape_as"]


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
        ctx.inverse = tuple(np.argsort(dims))
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
    """Like ``reshape``; ``view(dtype)`` reinterprets the bytes (no gradient)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
        from ..backend import to_np_dtype
        return Tensor._make(input._data.view(to_np_dtype(shape[0])))
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
