"""Helpers shared by every op family: method attachment, type promotion, un-broadcasting."""
from __future__ import annotations

import math
import numbers

from ..backend import np, get_default_dtype, from_np_dtype
from ..tensor import Tensor, _wrap_dim
from ..autograd.function import op_error

__all__ = ["tensor_method", "unbroadcast", "binary_operands", "to_tensor", "wrap_dim",
           "dims_of", "op_error", "Tensor", "np", "describe"]


# integer types of each itemsize, for ``select``'s bitwise form
_BITS = {2: np.int16, 4: np.int32, 8: np.int64}
_SELECT_MIN = 1 << 12


def select(cond, a, b):
    """``np.where(cond, a, b)`` (arrays or scalars, broadcast), exactly, without branches.

    np.where branches per element: on a mask without long runs (ReLU-like masks, random
    signs) half its branches mispredict, and it runs about 25x slower than an add (NumPy 2.4,
    float32). Large numeric operands instead take a bitwise select on their bits,
    r = (a & m) | (b & ~m) with m = -cond as integers of the same width: six streaming passes,
    every bit of the chosen value kept (NaN payloads, -0.0, infinities)."""
    dt = np.result_type(a, b)
    shape = np.broadcast_shapes(np.shape(cond), np.shape(a), np.shape(b))
    it = _BITS.get(dt.itemsize)
    if it is None or dt.kind not in "fiu" or math.prod(shape) < _SELECT_MIN:
        return np.where(cond, a, b)
    ia, ib = np.asarray(a, dt).view(it), np.asarray(b, dt).view(it)
    m = np.negative(np.asarray(cond).astype(it))
    r = np.empty(shape, it)
    np.bitwise_and(ia, m, out=r)
    np.invert(m, out=m)
    r |= np.bitwise_and(ib, m, out=m) if m.shape == np.broadcast_shapes(m.shape, ib.shape) \
        else np.bitwise_and(ib, m)
    return r.view(dt)


def tensor_method(fn=None, *, name: str | None = None):
    """Attach a functional op as a Tensor method too: ``@tensor_method def sum(input, ...)``."""
    def attach(f):
        setattr(Tensor, name or f.__name__, f)
        return f
    return attach(fn) if fn is not None else attach


def wrap_dim(dim: int, ndim: int, op: str) -> int:
    """A dim in ``[-ndim, ndim)`` as a non-negative index; IndexError naming the op otherwise."""
    return _wrap_dim(dim, ndim, op)


def dims_of(dim, ndim: int, op: str):
    """Normalise ``dim`` (None, int, or sequence) to a sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (wrap_dim(int(dim), ndim, op),)
    dims = tuple(wrap_dim(int(d), ndim, op) for d in dim)
    if len(set(dims)) != len(dims):
        raise op_error(RuntimeError, f"{op}: dim {tuple(dim)} appears multiple times in the list "
                                     f"of dims")
    return tuple(sorted(dims))


def describe(t) -> str:
    return f"{tuple(t._data.shape)} {t.dtype.name}"


_SUM_RESHAPE: list = []     # (Sum, Reshape), looked up once: those modules import this one


def unbroadcast(grad: Tensor, shape: tuple) -> Tensor:
    """Sum ``grad`` down to ``shape``: undo NumPy broadcasting (one helper for every op)."""
    gshape = grad._data.shape
    if gshape == shape:
        return grad
    if not _SUM_RESHAPE:
        from .reduction import Sum
        from .shape import Reshape
        _SUM_RESHAPE.extend((Sum, Reshape))
    Sum, Reshape = _SUM_RESHAPE
    lead = len(gshape) - len(shape)
    inner = tuple(i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
    if not inner:                       # only leading dims were added: one sum gives the shape
        return Sum.apply(grad, tuple(range(lead)), False)
    grad = Sum.apply(grad, tuple(range(lead)) + inner, True)
    if grad._data.shape != shape:
        grad = Reshape.apply(grad, shape)
    return grad


# ------------------------------------------------------------------ type promotion (torch rules)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _scalar_category(x, op: str = "") -> int:
    if hasattr(x, "dtype"):          # a NumPy scalar or 0-d array counts as a number
        return _CATEGORY[x.dtype.kind]
    if isinstance(x, (bool, np.bool_)):
        return 0
    if isinstance(x, numbers.Integral):
        return 1
    if isinstance(x, numbers.Real):
        return 2
    where = f"{op}: " if op else ""
    raise op_error(TypeError, f"{where}expected a Tensor or a number, got {type(x).__name__}")


def result_dtype(a, b, op: str = ""):
    """The NumPy dtype of ``a op b`` by torch's rules: categories bool < int < float; a Python
    number never widens a tensor of its category; a 0-d tensor gives way to a dimensioned one."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        if da == db:
            return da
        ca, cb = _CATEGORY[da.kind], _CATEGORY[db.kind]
        za, zb = a._data.ndim == 0, b._data.ndim == 0
        if ca != cb:
            return da if ca > cb else db
        if za != zb:
            return db if za else da
        return np.promote_types(da, db)
    t, s = (a, b) if ta else (b, a)
    dt = t._data.dtype
    cs = _scalar_category(s, op)
    ct = _CATEGORY[dt.kind]
    if cs <= ct:
        return dt
    if cs == 1:
        return np.dtype(np.int64)
    return get_default_dtype().np_dtype


def _scalar_dtype(x):
    """The dtype a lone number takes (bool, int64, or the default float dtype)."""
    if hasattr(x, "dtype"):
        return np.dtype(x.dtype)
    return (np.dtype(np.bool_), np.dtype(np.int64),
            get_default_dtype().np_dtype)[_scalar_category(x)]


def result_type(tensor1, tensor2):
    """The dtype of an arithmetic op on ``tensor1`` and ``tensor2`` (Tensors or numbers), by
    torch's promotion rules: a Python number or a 0-d tensor widens a tensor only when it is of
    a higher category (bool < integer < floating)."""
    if not isinstance(tensor1, Tensor) and not isinstance(tensor2, Tensor):
        from ..backend import promote_np
        dt = promote_np(_scalar_dtype(tensor1), _scalar_dtype(tensor2))
    else:
        dt = result_dtype(tensor1, tensor2)
    return from_np_dtype(dt)


def to_tensor(x, dtype=None) -> Tensor:
    """A Tensor from a Tensor, a number or an array (constants get the given NumPy dtype)."""
    if isinstance(x, Tensor):
        return x if dtype is None or x._data.dtype == dtype else x.to(from_np_dtype(dtype))
    return Tensor._make(np.asarray(x, dtype=dtype))


def binary_operands(a, b, op: str, floating: bool = False):
    """Promote the operands of a binary op to one dtype. Python numbers become constants (0-d
    arrays, no graph); tensors of another dtype are cast with a differentiable ``to``."""
    # fast paths: same-dtype tensors; a float tensor with a Python number
    ia, ib = isinstance(a, Tensor), isinstance(b, Tensor)      # Parameters too
    if ia and ib:
        if a._data.dtype == b._data.dtype and (not floating or a._data.dtype.kind == "f"):
            return a, b
    elif ia and (type(b) is float or type(b) is int) and a._data.dtype.kind == "f":
        return a, a._data.dtype.type(b)
    elif ib and (type(a) is float or type(a) is int) and b._data.dtype.kind == "f":
        return b._data.dtype.type(a), b
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise op_error(TypeError, f"{op}: expected at least one Tensor, got "
                                  f"{type(a).__name__} and {type(b).__name__}")
    if not isinstance(a, Tensor) and hasattr(a, "dtype") and getattr(a, "ndim", 0):
        a = Tensor._make(a)
    if not isinstance(b, Tensor) and hasattr(b, "dtype") and getattr(b, "ndim", 0):
        b = Tensor._make(b)
    dt = result_dtype(a, b, op)
    if floating and dt.kind not in "fc":
        dt = get_default_dtype().np_dtype
    return _operand(a, dt), _operand(b, dt)


def _operand(x, dt):
    if isinstance(x, Tensor):
        return x if x._data.dtype == dt else x.to(from_np_dtype(dt))
    try:
        return np.asarray(x, dtype=dt)
    except OverflowError:       # uint8 + 1000 wraps around, float32 * 1e300 is inf (as torch)
        with np.errstate(over="ignore"):
            return np.asarray(x).astype(dt)
