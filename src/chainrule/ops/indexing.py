"""Indexing ops: ``x[key]`` and ``x[key] = v``, gather/scatter, index_select/index_add, masks,
triangles, sorting, and the index-valued ops (argmax, argsort, nonzero, unique, ...).

Every differentiable op here is built on two Functions whose backward rules are each other:

* ``Index``:    y = x[key]                          dx = zeros_like(x) with dy added at key
* ``IndexPut``: y = x with y[key] = v (or += v)     dx = dy (zeroed at key unless adding),
                                                    dv = dy[key]

``key`` is a NumPy index tuple (ints, slices, None, int arrays, bool masks) checked against the
shape by ``_index_key``; gather and scatter use the "coordinate" key of ``_along_dim_key``.
Where torch's rules differ from NumPy's (ints mixed with index arrays: torch selects the ints
first), the ints go in a separate basic key ``pre`` applied before ``key``.
Duplicate indices accumulate (``np.add.at``), so second derivatives are exact as well.
"""
from __future__ import annotations

import builtins
import operator
from collections import namedtuple

from ..autograd import grad_mode
from ..autograd.function import Function
from ..backend import np
from ._util import Tensor, tensor_method, unbroadcast, wrap_dim, dims_of, op_error, describe

__all__ = [
    "getitem", "setitem", "index_put", "gather", "scatter", "scatter_add", "index_select",
    "index_add", "index_fill", "masked_fill", "masked_select", "take", "take_along_dim", "tril",
    "triu", "sort", "topk", "kthvalue", "argmax", "argmin", "argsort", "one_hot", "nonzero",
    "unique", "any", "all", "count_nonzero", "bincount", "searchsorted",
]

_sort_result = namedtuple("sort", ["values", "indices"])
_topk_result = namedtuple("topk", ["values", "indices"])
_kthvalue_result = namedtuple("kthvalue", ["values", "indices"])


# ======================================================================== the two Functions
class Index(Function):
    """y = x[key];  dx = zeros_like(x) with dy added at key (duplicate indices add up)."""

    op_name = "getitem"

    def forward(ctx, x, key, pre=None):
        ctx.shape, ctx.key, ctx.pre = x.shape, key, pre
        return np.asarray(_select(x, pre)[key])     # x[()] of a 0-d array is a scalar

    def backward(ctx, grad):
        return IndexPut.apply(grad.new_zeros(ctx.shape), grad, key=ctx.key, pre=ctx.pre,
                              accumulate=True)


class IndexPut(Function):
    """y = x with y[key] = v, or y[key] += v when ``accumulate`` (duplicates add up);
    dy/dx = 1 off key (and on key when accumulating), 0 on key otherwise;  dv = sum of dy[key]
    over v's broadcast dims."""

    op_name = "index_put"

    def forward(ctx, x, v, key, accumulate, pre=None):
        ctx.key, ctx.pre, ctx.accumulate, ctx.v_shape = key, pre, accumulate, np.shape(v)
        out = x.copy()
        target = _select(out, pre)          # a view of out
        if not accumulate:
            target[key] = v
        elif builtins.any(isinstance(k, np.ndarray) and k.dtype != np.bool_ for k in key):
            np.add.at(target, key, v)       # integer indices may repeat
        else:
            target[key] += v
        return out

    def backward(ctx, grad):
        need_x, need_v = ctx.needs_input_grad
        gx = gv = None
        if need_x:
            gx = grad if ctx.accumulate else IndexPut.apply(
                grad, np.zeros((), grad._data.dtype), key=ctx.key, pre=ctx.pre,
                accumulate=False)
        if need_v:
            gv = unbroadcast(Index.apply(grad, key=ctx.key, pre=ctx.pre), ctx.v_shape)
        return gx, gv


def _select(a, pre):
    """``a[pre]`` (a view: ``pre`` is a basic key), or ``a`` itself when there is none."""
    return a if pre is None else a[pre]


class _Triangle(Function):
    """y = x where the (row i, column j) of the last two dims is in the triangle; 0 elsewhere;
    dx = the same triangle of dy."""

    fn = None

    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return type(ctx).fn(x, diagonal)

    def backward(ctx, grad):
        return type(ctx).apply(grad, ctx.diagonal)


class Tril(_Triangle):
    """y_ij = x_ij where j - i <= diagonal, else 0;  dx = tril(dy, diagonal)."""

    fn = staticmethod(np.tril)


class Triu(_Triangle):
    """y_ij = x_ij where j - i >= diagonal, else 0;  dx = triu(dy, diagonal)."""

    fn = staticmethod(np.triu)


# ======================================================================== keys
def _index_key(shape: tuple, key, op: str) -> tuple:
    """``(pre, key)``: ``key`` as NumPy index tuples, checked against ``shape`` as torch does.
    An Ellipsis is expanded, 0-d integer tensors become ints, integer indices are bounds-checked
    and bool masks must match the dims they cover. A trailing ``...`` keeps results arrays
    (views). ``pre`` is None unless ints meet index arrays (see ``_split_ints``)."""
    items = [_index_item(k, op) for k in (key if type(key) is tuple else (key,))]
    ndim = len(shape)
    if sum(k is Ellipsis for k in items) > 1:
        raise op_error(IndexError, f"{op}: an index can only have a single ellipsis ('...')")
    used = sum(_dims_used(k) for k in items)
    if used > ndim:
        raise op_error(IndexError, f"{op}: too many indices for tensor of dimension {ndim} "
                                   f"(shape {tuple(shape)})")
    out, dim = [], 0
    for k in items:
        if k is Ellipsis:
            out.extend([slice(None)] * (ndim - used))
            dim += ndim - used
            continue
        if isinstance(k, np.ndarray) and k.dtype == np.bool_:
            covered = tuple(shape[dim:dim + k.ndim])
            if k.shape != covered:
                raise op_error(IndexError, f"{op}: the shape of the mask {list(k.shape)} at "
                                           f"index {dim} does not match the shape of the indexed "
                                           f"tensor {list(shape)} at index {dim}")
        elif isinstance(k, (int, np.ndarray)) and not isinstance(k, bool):
            _check_bounds(k, shape[dim], dim, op, IndexError, negative=True)
        out.append(k)
        dim += _dims_used(k)
    return _split_ints(out)


def _split_ints(items: list) -> tuple:
    """(pre, key) for a checked, Ellipsis-free key. NumPy counts ints as index arrays when
    arrays are present (so ``x[0, :, [1, 2]]`` would put the indexed dim first); torch selects
    the ints first. Then ``pre`` holds the ints (slices elsewhere) and ``key`` the rest."""
    is_int = [isinstance(k, int) and not isinstance(k, bool) for k in items]
    if not (builtins.any(is_int) and builtins.any(isinstance(k, np.ndarray) for k in items)):
        return None, tuple(items) + (Ellipsis,)
    pre = []
    for k, i in zip(items, is_int):
        pre.extend([k] if i else [slice(None)] * _dims_used(k))
    rest = [k for k, i in zip(items, is_int) if not i]
    return tuple(pre) + (Ellipsis,), tuple(rest) + (Ellipsis,)


def _index_item(k, op: str):
    """One element of a key as an int, bool, slice, None, Ellipsis or NumPy array."""
    if k is None or k is Ellipsis:
        return k
    if isinstance(k, (bool, np.bool_)):
        return bool(k)
    if isinstance(k, (int, np.integer)):
        return int(k)
    if isinstance(k, slice):
        if k.step is not None and operator.index(k.step) == 0:
            raise op_error(ValueError, f"{op}: slice step cannot be zero")
        return slice(*(None if b is None else operator.index(b) for b in (k.start, k.stop,
                                                                           k.step)))
    if isinstance(k, Tensor):
        a = k._data
    elif isinstance(k, (np.ndarray, list, tuple)):
        a = np.asarray(k)
        if a.size == 0 and a.dtype.kind == "f":
            a = a.astype(np.int64)          # x[[]]: an empty integer index
    else:
        raise op_error(IndexError, f"{op}: only integers, slices (`:`), ellipsis (`...`), None "
                                   f"and long or byte Variables are valid indices (got "
                                   f"{type(k).__name__})")
    if a.dtype == np.bool_ or a.dtype == np.uint8:
        return bool(a) if a.ndim == 0 else a.astype(np.bool_, copy=False)
    if a.dtype.kind not in "iu":
        raise op_error(IndexError, f"{op}: tensors used as indices must be long, int, byte or "
                                   f"bool tensors (got {a.dtype} of shape {tuple(a.shape)})")
    return int(a) if a.ndim == 0 else a.astype(np.int64, copy=False)


def _dims_used(k) -> int:
    if k is None or isinstance(k, bool):
        return 0
    if isinstance(k, np.ndarray) and k.dtype == np.bool_:
        return k.ndim
    return 0 if k is Ellipsis else 1


def _check_bounds(idx, size: int, dim: int, op: str, kind=RuntimeError, negative=False,
                  shapes: str = ""):
    """Every index in ``[-size, size)`` (``negative``) or ``[0, size)``, else ``kind``."""
    a = np.asarray(idx)
    if a.size == 0:
        return
    low = -size if negative else 0
    bad = a[(a < low) | (a >= size)]
    if bad.size:
        raise op_error(kind, f"{op}: index {int(bad.flat[0])} is out of bounds for dimension "
                             f"{dim} with size {size}{shapes}")


def _along_dim_key(index, dim: int) -> tuple:
    """The key that pairs ``index`` (along ``dim``) with its own position on every other dim:
    ``x[key][i, j, k] = x[i, index[i, j, k], k]`` for dim 1 (what gather reads)."""
    nd = index.ndim
    return tuple(index if j == dim else
                 np.arange(s).reshape([-1 if i == j else 1 for i in range(nd)])
                 for j, s in enumerate(index.shape))


def _index_array(index, op: str, name: str = "index"):
    """An integer Tensor (or array) as an int64 array; RuntimeError otherwise."""
    a = index._data if isinstance(index, Tensor) else np.asarray(index)
    if a.dtype.kind not in "iu":
        raise op_error(RuntimeError, f"{op}: expected {name} of dtype int64 or int32, got "
                                     f"{a.dtype} of shape {tuple(a.shape)}")
    return a.astype(np.int64, copy=False)


def _mask_array(mask, op: str):
    a = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if a.dtype != np.bool_:
        raise op_error(RuntimeError, f"{op}: only supports boolean masks, but got mask with dtype "
                                     f"{a.dtype} (shape {tuple(a.shape)})")
    return a


def _value_like(value, input: Tensor, op: str):
    """A fill value (number or 0-d tensor) in input's dtype: a Tensor keeps its graph."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise op_error(RuntimeError, f"{op}: only supports a 0-dimensional value tensor, "
                                         f"but got tensor with {value._data.ndim} dimension(s) "
                                         f"(shape {tuple(value._data.shape)}).")
        return value if value._data.dtype == input._data.dtype else value.to(input.dtype)
    return np.asarray(value).astype(input._data.dtype)


def _same_dtype(input: Tensor, src: Tensor, op: str, name: str = "src"):
    if input._data.dtype != src._data.dtype:
        raise op_error(RuntimeError, f"{op}: expected self and {name} to have the same dtype, "
                                     f"got {describe(input)} and {describe(src)}")


# ======================================================================== getitem / setitem
def getitem(input, key):
    """``input[key]`` with torch's rules: ints and slices select views, None adds a dim, ``...``
    fills the rest, integer tensors/lists and bool masks index advanced-style (as NumPy, except
    that ints are applied before index arrays). Slices may also step backwards (torch refuses
    that). Gradient: scattered back, repeated indices summed."""
    pre, key = _index_key(input._data.shape, key, "getitem")
    return Index.apply(input, key=key, pre=pre)


def setitem(input, key, value):
    """``input[key] = value`` in place (value broadcast to ``input[key]``'s shape and cast to
    input's dtype). Recorded when grad mode is on and input or value requires grad: the old
    values get zero gradient where written, value gets the gradient of the written elements."""
    shape = input._data.shape
    pre, key = _index_key(shape, key, "setitem")
    target = _indexed_shape(shape, pre, key)
    vshape = value._data.shape if isinstance(value, Tensor) else np.shape(value)
    trimmed = _trim_leading_ones(vshape, len(target))
    if not _broadcasts_to(trimmed, target):
        raise op_error(RuntimeError, f"setitem: shape mismatch: value tensor of shape "
                                     f"{list(vshape)} cannot be broadcast to indexing result of "
                                     f"shape {list(target)} (tensor shape {list(shape)})")
    record = grad_mode._state[0] and input._data.dtype.kind == "f" and (
        input.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
    if record:
        v = value if isinstance(value, Tensor) else Tensor._make(np.asarray(value))
        v = v.to(input.dtype)
        if v._data.shape != trimmed:
            v = v.reshape(trimmed)
        input._inplace(IndexPut.apply(input._snapshot("setitem"), v, key=key, pre=pre,
                                      accumulate=False))
    else:
        _select(input._data, pre)[key] = value._data if isinstance(value, Tensor) else value
        input._version += 1


def _indexed_shape(shape: tuple, pre, key) -> tuple:
    """The shape of ``x[pre][key]`` for an x of ``shape`` (indexes a broadcast 0-d array)."""
    return _select(np.broadcast_to(np.empty((), np.bool_), shape), pre)[key].shape


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    if len(shape) > len(target):
        return False
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _trim_leading_ones(shape: tuple, ndim: int) -> tuple:
    """Drop leading size-1 dims beyond ``ndim`` (torch and NumPy allow them in assignments)."""
    shape = tuple(shape)
    while len(shape) > ndim and shape[0] == 1:
        shape = shape[1:]
    return shape


@tensor_method
def index_put(input, indices, values, accumulate: bool = False):
    """Out of place ``input[indices] = values`` (``+=`` with ``accumulate``, repeated indices
    summed); ``indices`` is a tuple of index tensors, one per leading dim."""
    pre, key = _index_key(input._data.shape, tuple(indices), "index_put")
    if not isinstance(values, Tensor):
        raise op_error(TypeError, f"index_put: expected values to be a Tensor, got "
                                  f"{type(values).__name__}")
    _same_dtype(input, values, "index_put", "values")
    target = _indexed_shape(input._data.shape, pre, key)
    if not _broadcasts_to(values._data.shape, target):
        raise op_error(RuntimeError, f"index_put: shape mismatch: values of shape "
                                     f"{list(values.shape)} cannot be broadcast to indexing "
                                     f"result of shape {list(target)}")
    return IndexPut.apply(input, values, key=key, pre=pre, accumulate=accumulate)


# ======================================================================== gather / scatter
@tensor_method
def gather(input, dim: int, index, *, sparse_grad: bool = False):
    """out[i][j][k] = input[i][index[i][j][k]][k] (for dim 1). index has input's number of dims
    and is no larger than input on the other dims. Gradient: scatter_add of the output's."""
    d, idx = _gather_checks(input, dim, index, "gather")
    return Index.apply(input, key=_along_dim_key(idx, d))


def _gather_checks(input, dim, index, op, src=None):
    """Shared checks of gather/scatter: dims, sizes and bounds (torch's rules)."""
    nd = input._data.ndim
    d = wrap_dim(dim, nd, op)
    idx = _index_array(index, op)
    shapes = f" (input {describe(input)}, index {tuple(idx.shape)}" + \
        (f", src {describe(src)})" if src is not None else ")")
    if idx.ndim != nd or (src is not None and src._data.ndim != nd):
        raise op_error(RuntimeError, f"{op}: index tensor must have the same number of "
                                     f"dimensions as input tensor" + (" and src tensor"
                                     if src is not None else "") + shapes)
    for j in range(nd):
        too_big = (j != d and idx.shape[j] > input._data.shape[j]) or \
            (src is not None and idx.shape[j] > src._data.shape[j])
        if too_big:
            raise op_error(RuntimeError, f"{op}: expected index {list(idx.shape)} to be no "
                                         f"larger than self {list(input.shape)} apart from "
                                         f"dimension {d}" + (f" and to be no larger than src "
                                         f"{list(src.shape)}" if src is not None else ""))
    _check_bounds(idx, input._data.shape[d] if nd else 1, d, op, shapes=shapes)
    return d, idx


def _src_block(src: Tensor, shape: tuple) -> Tensor:
    """The leading ``shape`` block of ``src`` (scatter reads only that much of it)."""
    if src._data.shape == tuple(shape):
        return src
    return Index.apply(src, key=tuple(slice(0, s) for s in shape))


@tensor_method
def scatter_add(input, dim: int, index, src):
    """out = input, then out[i][index[i][j][k]][k] += src[i][j][k] (for dim 1); repeated indices
    add up. Gradient: input gets the output's, src gets gather(grad, dim, index)."""
    if not isinstance(src, Tensor):
        raise op_error(TypeError, f"scatter_add: expected src to be a Tensor, got "
                                  f"{type(src).__name__}")
    d, idx = _gather_checks(input, dim, index, "scatter_add", src)
    _same_dtype(input, src, "scatter_add")
    return IndexPut.apply(input, _src_block(src, idx.shape), key=_along_dim_key(idx, d),
                          accumulate=True)


@tensor_method
def scatter(input, dim: int, index, src=None, *, value=None, reduce=None):
    """out = input, then out[i][index[i][j][k]][k] = src[i][j][k] (for dim 1), or ``value`` (a
    number) everywhere index points. ``reduce='add'`` is scatter_add. Gradient: input gets the
    output's except where written; src gets gather(grad, dim, index)."""
    if reduce == "add":
        return scatter_add(input, dim, index, src)
    if reduce is not None:
        raise op_error(RuntimeError, f"scatter: reduce={reduce!r} is not supported (use None or "
                                     f"'add')")
    if isinstance(src, Tensor):
        d, idx = _gather_checks(input, dim, index, "scatter", src)
        _same_dtype(input, src, "scatter")
        v = _src_block(src, idx.shape)
    else:                                   # a number, positional or as ``value``
        d, idx = _gather_checks(input, dim, index, "scatter")
        v = _value_like(value if src is None else src, input, "scatter")
    return IndexPut.apply(input, v, key=_along_dim_key(idx, d), accumulate=False)


# ======================================================================== index_* along a dim
def _dim_index(input, dim, index, op):
    """(dim, key) for ops that pick whole slices along ``dim`` by a 1-D index (a 0-d input
    counts as one slice, picked by a single index)."""
    nd = input._data.ndim
    d = wrap_dim(dim, nd, op)
    idx = _index_array(index, op)
    shapes = f" (input {describe(input)}, index {tuple(idx.shape)})"
    if idx.ndim > 1:
        raise op_error(IndexError, f"{op}: index is supposed to be a vector{shapes}")
    if nd == 0:
        if idx.size != 1:
            raise op_error(RuntimeError, f"{op}: index to a 0-d tensor can have only 1 value, "
                                         f"got {idx.size}{shapes}")
        _check_bounds(idx, 1, d, op, IndexError, shapes=shapes)
        return d, (Ellipsis,)
    _check_bounds(idx, input._data.shape[d], d, op, IndexError, shapes=shapes)
    return d, (slice(None),) * d + (idx.reshape(-1), Ellipsis)


def _real_dim(dim, input, op: str) -> int:
    """``dim`` wrapped, for ops that need a real dim (not the one of a 0-d tensor)."""
    if input._data.ndim == 0:
        raise op_error(IndexError, f"{op}: dimension specified as {dim} but tensor has no "
                                   f"dimensions")
    return wrap_dim(dim, input._data.ndim, op)


@tensor_method
def index_select(input, dim: int, index):
    """The slices of ``input`` at positions ``index`` (a 1-D integer tensor) along ``dim``.
    Gradient: index_add of the output's into zeros."""
    _, key = _dim_index(input, dim, index, "index_select")
    return Index.apply(input, key=key)


@tensor_method
def index_add(input, dim: int, index, source, *, alpha=1):
    """out = input, then out[..., index[i], ...] += alpha * source[..., i, ...] along ``dim``
    (repeated indices add up)."""
    d, key = _dim_index(input, dim, index, "index_add")
    _same_dtype(input, source, "index_add", "source")
    shape = input._data.shape
    n = np.size(index._data if isinstance(index, Tensor) else index)
    expected = shape[:d] + (n,) + shape[d + 1:] if shape else ()
    if source._data.shape != expected:
        raise op_error(RuntimeError, f"index_add: source of shape {list(source.shape)} should be "
                                     f"{list(expected)}: self {list(input.shape)} with "
                                     f"{n} indices along dim {d}")
    v = source if alpha == 1 else source * alpha
    return IndexPut.apply(input, v, key=key, accumulate=True)


@tensor_method
def index_fill(input, dim: int, index, value):
    """out = input with the slices at ``index`` along ``dim`` set to ``value`` (a number or a
    0-d tensor, which then gets the sum of their gradient)."""
    _, key = _dim_index(input, dim, index, "index_fill")
    return IndexPut.apply(input, _value_like(value, input, "index_fill"), key=key,
                          accumulate=False)


# ======================================================================== masks, take, triangles
@tensor_method
def masked_fill(input, mask, value):
    """out = input with ``value`` where the bool ``mask`` (broadcast) is True; a 0-d tensor
    value gets the summed gradient of the filled positions."""
    m = _mask_array(mask, "masked_fill")
    shape = _broadcast(input._data.shape, m.shape, "masked_fill", "mask")
    x = input if input._data.shape == shape else input.expand(shape)
    return IndexPut.apply(x, _value_like(value, input, "masked_fill"),
                          key=(np.broadcast_to(m, shape),), accumulate=False)


def _broadcast(a: tuple, b: tuple, op: str, name: str) -> tuple:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        raise op_error(RuntimeError, f"{op}: the shape of {name} {list(b)} is not broadcastable "
                                     f"with the input shape {list(a)}") from None


@tensor_method
def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True (both broadcast), as a 1-D tensor."""
    m = _mask_array(mask, "masked_select")
    shape = _broadcast(input._data.shape, m.shape, "masked_select", "mask")
    x = input if input._data.shape == shape else input.expand(shape)
    return Index.apply(x, key=(np.broadcast_to(m, shape),))


@tensor_method
def take(input, index):
    """input.flatten()[index]: elements by flat position (negative positions count from the
    end); the result has index's shape."""
    idx = _index_array(index, "take")
    n = input._data.size
    _check_bounds(idx, n, 0, "take", IndexError, negative=True,
                  shapes=f" (input {describe(input)} flattened)")
    return Index.apply(input.reshape(-1), key=(idx,))


@tensor_method
def take_along_dim(input, indices, dim=None):
    """gather with broadcasting: input and indices are broadcast on every dim but ``dim``;
    without ``dim`` both are flattened."""
    idx = _index_array(indices, "take_along_dim", "indices")
    if dim is None:
        _check_bounds(idx, input._data.size, 0, "take_along_dim",
                      shapes=f" (input {describe(input)} flattened)")
        return Index.apply(input.reshape(-1), key=(idx.reshape(-1),))
    nd = input._data.ndim
    d = _real_dim(dim, input, "take_along_dim")
    if idx.ndim != nd:
        raise op_error(RuntimeError, f"take_along_dim: input and indices should have the same "
                                     f"number of dimensions, but got {nd} dimensions for input "
                                     f"{describe(input)}, and {idx.ndim} for indices "
                                     f"{tuple(idx.shape)}")
    s_in, s_idx = list(input._data.shape), list(idx.shape)
    s_in[d] = s_idx[d] = 1
    common = list(_broadcast(tuple(s_in), tuple(s_idx), "take_along_dim", "indices"))
    x_shape = tuple(common[:d] + [input._data.shape[d]] + common[d + 1:])
    x = input if input._data.shape == x_shape else input.expand(x_shape)
    idx = np.broadcast_to(idx, tuple(common[:d] + [idx.shape[d]] + common[d + 1:]))
    return gather(x, d, idx)


def _triangle(cls, input, diagonal, op):
    if input._data.ndim < 2:
        raise op_error(RuntimeError, f"{op}: input tensor must have at least 2 dimensions (got "
                                     f"{describe(input)})")
    return cls.apply(input, int(diagonal))


@tensor_method
def tril(input, diagonal: int = 0):
    """The lower triangle of the last two dims: elements with j - i <= diagonal, others 0."""
    return _triangle(Tril, input, diagonal, "tril")


@tensor_method
def triu(input, diagonal: int = 0):
    """The upper triangle of the last two dims: elements with j - i >= diagonal, others 0."""
    return _triangle(Triu, input, diagonal, "triu")


# ======================================================================== sorting
def _argsort(a, axis: int, descending: bool):
    """Stable argsort (NaN sorts as the largest value, as torch); descending keeps equal
    elements in their original order."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    rev = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return n - 1 - np.flip(rev, axis)


def _sorted_indices(input, dim, descending, op):
    """(dim, indices) of a stable sort along ``dim`` (a 0-d input sorts as one element)."""
    d = wrap_dim(dim, input._data.ndim, op)
    a = input._data if input._data.ndim else input._data.reshape(1)
    return d, _argsort(a, d, descending)


def _pick(input, d: int, idx):
    """(values, indices) with values = input gathered at idx along d (differentiable)."""
    if input._data.ndim == 0:
        return input.reshape(1)[Tensor._make(idx.reshape(-1))].reshape(()), \
            Tensor._make(idx.reshape(()))
    return Index.apply(input, key=_along_dim_key(idx, d)), Tensor._make(idx)


@tensor_method
def sort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """(values, indices) of ``input`` sorted along ``dim``; values are differentiable (the
    gradient goes back to where each value came from). The sort is always stable."""
    d, idx = _sorted_indices(input, dim, descending, "sort")
    return _sort_result(*_pick(input, d, idx))


@tensor_method
def argsort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """The indices that sort ``input`` along ``dim`` (stable; no gradient)."""
    idx = _sorted_indices(input, dim, descending, "argsort")[1]
    return Tensor._make(idx.reshape(input._data.shape))


@tensor_method
def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """(values, indices) of the ``k`` largest (or smallest) elements along ``dim``, in sorted
    order; values are differentiable."""
    d, idx = _sorted_indices(input, dim, largest, "topk")
    size = idx.shape[d]
    if not 0 <= k <= size:
        raise op_error(RuntimeError, f"topk: selected index k out of range: k={k} for dimension "
                                     f"{d} of size {size} (input {describe(input)})")
    idx = np.take(idx, np.arange(k), axis=d)
    return _topk_result(*_pick(input, d, idx))


@tensor_method
def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the k-th smallest element (k from 1) along ``dim``."""
    d, idx = _sorted_indices(input, dim, False, "kthvalue")
    size = idx.shape[d]
    if not 1 <= k <= size:
        raise op_error(RuntimeError, f"kthvalue: selected number k out of range: k={k} for "
                                     f"dimension {d} of size {size} (input {describe(input)})")
    idx = np.take(idx, [k - 1], axis=d)
    values, indices = _pick(input, d, idx)
    if not keepdim and input._data.ndim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return _kthvalue_result(values, indices)


# ======================================================================== index-valued ops
def _arg_reduce(input, dim, keepdim, op, fn):
    a = input._data
    if dim is None:
        if a.size == 0:
            raise op_error(IndexError, f"{op}: Expected reduction dim to be specified for "
                                       f"input.numel() == 0 (input {describe(input)})")
        out = np.asarray(fn(a.reshape(-1)))
        return Tensor._make(out.reshape((1,) * a.ndim) if keepdim else out)
    d = wrap_dim(dim, a.ndim, op)
    if a.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    if a.shape[d] == 0:
        raise op_error(IndexError, f"{op}: Expected reduction dim {d} to have non-zero size "
                                   f"(input {describe(input)})")
    return Tensor._make(np.asarray(fn(a, axis=d, keepdims=keepdim)))


@tensor_method
def argmax(input, dim=None, keepdim: bool = False):
    """Index of the largest value (the first one on ties; NaN counts as largest), over all
    elements (flattened) or along ``dim``."""
    return _arg_reduce(input, dim, keepdim, "argmax", np.argmax)


@tensor_method
def argmin(input, dim=None, keepdim: bool = False):
    """Index of the smallest value (the first one on ties), flattened or along ``dim``."""
    return _arg_reduce(input, dim, keepdim, "argmin", np.argmin)


def one_hot(tensor, num_classes: int = -1):
    """out[..., c] = 1 where tensor[...] == c, else 0 (int64, shape (*tensor.shape, C)); C is
    ``num_classes``, or max(tensor) + 1 when -1."""
    a = tensor._data
    if a.dtype != np.int64:
        raise op_error(RuntimeError, f"one_hot: is only applicable to index tensor of type "
                                     f"LongTensor (got {describe(tensor)})")
    if a.size and a.min() < 0:
        raise op_error(RuntimeError, f"one_hot: Class values must be non-negative (got "
                                     f"{int(a.min())} in {describe(tensor)}).")
    if num_classes == -1:
        if a.size == 0:
            raise op_error(RuntimeError, "one_hot: Can not infer total number of classes from "
                                         "empty tensor.")
        num_classes = int(a.max()) + 1
    elif a.size and a.max() >= num_classes:
        raise op_error(RuntimeError, f"one_hot: Class values must be smaller than num_classes "
                                     f"(got {int(a.max())} with num_classes={num_classes}).")
    return Tensor._make((a[..., None] == np.arange(num_classes)).astype(np.int64))


@tensor_method
def nonzero(input, *, as_tuple: bool = False):
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one
    1-D tensor per dim (a 0-d input counts as one element)."""
    a = input._data
    if as_tuple:
        return tuple(Tensor._make(i) for i in np.nonzero(np.atleast_1d(a)))
    if a.ndim == 0:
        return Tensor._make(np.zeros((int(a != 0), 0), np.int64))
    return Tensor._make(np.argwhere(a).astype(np.int64, copy=False))


@tensor_method
def unique(input, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    """The distinct elements (or, with ``dim``, distinct slices along ``dim``) in ascending
    order; optionally the inverse (positions into the result) and the counts."""
    a = input._data
    axis = None if dim is None else _real_dim(dim, input, "unique")
    values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=axis)
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.reshape(a.shape if axis is None else -1)
                                .astype(np.int64, copy=False)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64, copy=False)))
    return out[0] if len(out) == 1 else tuple(out)


def _logical_reduce(input, dim, keepdim, op, fn):
    a = input._data
    dims = dims_of(dim, a.ndim, op)
    out = np.asarray(fn(a, axis=dims, keepdims=keepdim))
    return Tensor._make(out.astype(np.uint8) if a.dtype == np.uint8 else out)


@tensor_method
def any(input, dim=None, keepdim: bool = False):
    """True where some element (over ``dim``, or all) is nonzero."""
    return _logical_reduce(input, dim, keepdim, "any", np.any)


@tensor_method
def all(input, dim=None, keepdim: bool = False):
    """True where every element (over ``dim``, or all) is nonzero."""
    return _logical_reduce(input, dim, keepdim, "all", np.all)


@tensor_method
def count_nonzero(input, dim=None):
    """The number of nonzero elements over ``dim`` (an int or tuple; all dims by default)."""
    dims = dims_of(dim, input._data.ndim, "count_nonzero")
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=dims), dtype=np.int64))


@tensor_method
def bincount(input, weights=None, minlength: int = 0):
    """out[v] = number of times v occurs in the 1-D non-negative integer ``input`` (or the sum
    of ``weights`` there); length max(input) + 1, at least ``minlength``."""
    a = input._data
    if a.ndim != 1 or a.dtype.kind not in "iu" or (a.size and a.min() < 0):
        raise op_error(RuntimeError, f"bincount: only supports 1-d non-negative integral inputs "
                                     f"(got {describe(input)})")
    if weights is None:
        return Tensor._make(np.bincount(a, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.shape != a.shape:
        raise op_error(RuntimeError, f"bincount: weights should be 1-d and have the same length "
                                     f"as input (input {describe(input)}, weights "
                                     f"{describe(weights)})")
    dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return Tensor._make(np.bincount(a, weights=w, minlength=minlength).astype(dtype))


def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None):
    """For each value, the index at which it would be inserted into ``sorted_sequence`` (the
    last dim) to keep it sorted: the first such index, or the last with ``right=True`` or
    ``side='right'``. An N-d sequence is searched row by row with input's matching rows."""
    if side is not None:
        if side not in ("left", "right"):
            raise op_error(RuntimeError, f"searchsorted: side can only be 'left' or 'right', "
                                         f"got {side!r}")
        if right and side == "left":
            raise op_error(RuntimeError, "searchsorted: side and right can't be set to "
                                         "opposites, got side of left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        seq = np.take_along_axis(seq, _index_array(sorter, "searchsorted", "sorter"), axis=-1)
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    if seq.ndim == 0:
        raise op_error(RuntimeError, "searchsorted: boundaries tensor should have 1 or more "
                                     "dimensions, got a 0-d tensor")
    side = "right" if right else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, values, side=side)
    else:
        if values.shape[:-1] != seq.shape[:-1]:
            raise op_error(RuntimeError, f"searchsorted: boundaries tensor should be 1 dimension "
                                         f"or the first N-1 dimensions of boundaries tensor and "
                                         f"input value tensor must match, but we got boundaries "
                                         f"tensor {list(seq.shape)} and input value tensor "
                                         f"{list(values.shape)}")
        out = np.empty(values.shape, np.int64)
        for row in np.ndindex(*seq.shape[:-1]):
            out[row] = np.searchsorted(seq[row], values[row], side=side)
    return Tensor._make(np.asarray(out, dtype=np.int32 if out_int32 else np.int64))


# ======================================================================== in-place variants
def _make_inplace(name, fn):
    def method(self, *args, **kwargs):
        return self._inplace(fn(self._snapshot(name + "_"), *args, **kwargs))
    method.__name__ = name + "_"
    method.__doc__ = f"In-place {name}."
    setattr(Tensor, name + "_", method)


for _name, _fn in [("masked_fill", masked_fill), ("index_add", index_add),
                   ("index_fill", index_fill), ("index_put", index_put),
                   ("scatter_add", scatter_add), ("scatter", scatter), ("tril", tril),
                   ("triu", triu)]:
    _make_inplace(_name, _fn)
