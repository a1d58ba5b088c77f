"""Tensor creation (tensor, zeros, randn, ...) and the conversion methods (to, float, clone, ...),
with torch's names, arguments and default dtypes."""
from __future__ import annotations

import math
import numbers

from . import backend
from .backend import np, to_np_dtype, get_default_dtype, check_device
from .autograd.function import Function
from .random import rng
from .tensor import Size, Tensor
from .ops._util import tensor_method, op_error

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "arange", "linspace",
           "logspace", "eye", "rand", "randn", "randint", "randperm", "normal", "rand_like",
           "randn_like", "randint_like", "bernoulli", "multinomial", "clone", "scalar_tensor"]


# ------------------------------------------------------------------ data -> array
def _infer_dtype(data, op: str = "tensor"):
    """torch's inference for Python data: the promotion (``promote_types``) of every element's
    type, where a bool is bool, an int int64, a float the default dtype, and a NumPy scalar, a
    NumPy array or a Tensor keeps its own dtype. Empty data gets the default dtype."""
    result = None
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        if isinstance(x, Tensor):
            dt = x._data.dtype
        elif isinstance(x, (np.ndarray, np.generic)):
            dt = x.dtype
        elif isinstance(x, bool):
            dt = np.dtype(np.bool_)
        elif isinstance(x, numbers.Integral):
            dt = np.dtype(np.int64)
        elif isinstance(x, numbers.Real):
            dt = get_default_dtype().np_dtype
        elif isinstance(x, numbers.Complex):
            raise op_error(TypeError, f"{op}: complex numbers are not supported")
        else:
            raise op_error(TypeError, f"{op}: could not infer dtype of {type(x).__name__}")
        if dt.kind not in "biuf":
            raise op_error(TypeError, f"{op}: can't convert data of dtype {dt} to a tensor")
        result = dt if result is None else backend.promote_np(result, dt)
    return get_default_dtype().np_dtype if result is None else result


def _ragged_message(data) -> str | None:
    """torch's wording for a nested list that is not rectangular (None when it is)."""
    def shape_of(x):
        return len(x) if isinstance(x, (list, tuple)) else None

    level = [data]
    dim = 0
    while level:
        lengths = [shape_of(x) for x in level]
        if any(n is None for n in lengths) and any(n is not None for n in lengths):
            return f"expected a number or a sequence at every position of dim {dim}"
        if all(n is None for n in lengths):
            break
        if len(set(lengths)) > 1:
            return (f"expected sequence of length {lengths[0]} at dim {dim} "
                    f"(got {next(n for n in lengths if n != lengths[0])})")
        level = [y for x in level for y in x]
        dim += 1
    return None


def _unwrap(x):
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return [_unwrap(v) for v in x]
    return x


def _to_array(data, dtype=None, copy: bool = True, op: str = "tensor"):
    """A backend array from Python data, a NumPy array or a Tensor (``dtype`` None: inferred)."""
    if isinstance(data, Tensor):
        arr = data._data
        if dtype is not None:
            arr = arr.astype(to_np_dtype(dtype, op), copy=copy)
        return arr.copy() if copy and arr is data._data else arr
    if isinstance(data, np.ndarray) or (hasattr(data, "__array__") and
                                        not isinstance(data, (list, tuple))):
        arr = np.asarray(data)
        if arr.dtype.kind in "U S O".split():
            raise op_error(TypeError, f"tensor: can't convert an array of dtype {arr.dtype}")
        target = to_np_dtype(dtype, op) if dtype is not None else arr.dtype
        try:
            backend.from_np_dtype(target)
        except TypeError as e:
            raise op_error(TypeError, f"{op}: {e}") from None
        return arr.astype(target, copy=copy) if copy or arr.dtype != target else arr
    if isinstance(data, (str, bytes)):
        raise op_error(TypeError, f"tensor: can't convert {type(data).__name__} to a tensor")
    np_dtype = to_np_dtype(dtype, op) if dtype is not None else _infer_dtype(data, op)
    try:
        arr = np.array(_unwrap(data), dtype=np_dtype)
    except (ValueError, TypeError) as e:
        raise op_error(type(e), f"{op}: {_ragged_message(data) or e}") from None
    if arr.dtype == object:
        raise op_error(TypeError, "tensor: could not convert the data to a tensor")
    return arr


def _finish(arr, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors)."""
    check_device(device, "tensor")
    return _finish(_to_array(data, dtype, copy=True), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """A tensor sharing memory with ``data`` when it already has the right dtype."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    return Tensor._make(_to_array(data, dtype, copy=False))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "asarray")
    return _finish(_to_array(obj, dtype, copy=bool(copy)), requires_grad)


def from_numpy(ndarray) -> Tensor:
    """A tensor that shares memory with a NumPy array."""
    if not isinstance(ndarray, np.ndarray):
        raise op_error(TypeError, f"from_numpy: expected np.ndarray (got "
                                  f"{type(ndarray).__name__})")
    backend.from_np_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return tensor(s, dtype=dtype or get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def _size(size, op: str = "empty") -> tuple:
    """A shape from varargs ``(2, 3)``, a tuple or list ``((2, 3),)`` or a Size."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.__index__()
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise op_error(TypeError, f"{op}(): argument 'size' must be a sequence of ints, got "
                                      f"{tuple(size)!r}")
        if s < 0:
            raise op_error(RuntimeError, f"{op}: Trying to create tensor with negative dimension "
                                         f"{s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _legacy_sizes(args: tuple) -> bool:
    """Whether the arguments of torch's legacy constructors (``Tensor(...)``, ``x.new(...)``)
    are sizes: ints (not bools), or one Size; otherwise they are data."""
    return bool(args) and (all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                               for a in args)
                           or (len(args) == 1 and isinstance(args[0], Size)))


def _filled(fill, size, dtype, device, requires_grad, op="full"):
    check_device(device, op)
    return _finish(np.full(_size(size, op), fill, dtype=to_np_dtype(dtype, op)), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    """A tensor of zeros; ``size`` as varargs (``zeros(2, 3)``) or one sequence."""
    check_device(device, "zeros")
    return _finish(np.zeros(_size(size, "zeros"), dtype=to_np_dtype(dtype, "zeros")),
                   requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    """A tensor of ones; ``size`` as varargs or one sequence."""
    check_device(device, "ones")
    return _finish(np.ones(_size(size, "ones"), dtype=to_np_dtype(dtype, "ones")),
                   requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, out=None,
          memory_format=None) -> Tensor:
    """An uninitialised tensor; ``size`` as varargs or one sequence."""
    check_device(device, "empty")
    return _finish(np.empty(_size(size, "empty"), dtype=to_np_dtype(dtype, "empty")),
                   requires_grad)


def _fill_dtype(fill_value, dtype):
    if dtype is not None:
        return dtype
    if isinstance(fill_value, (bool, np.bool_)):
        return backend.bool_
    if isinstance(fill_value, numbers.Integral):
        return backend.int64
    return get_default_dtype()


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it, as torch: bool, int64 or
    the default float dtype)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (numbers.Number, np.generic)) or \
            isinstance(fill_value, numbers.Complex) and not isinstance(fill_value, numbers.Real):
        raise op_error(TypeError, f"full(): argument 'fill_value' must be a number, not "
                                  f"{type(fill_value).__name__}")
    return _filled(fill_value, (size,) if isinstance(size, (int, np.integer)) else (tuple(size),),
                   _fill_dtype(fill_value, dtype), device, requires_grad)


def _like(input, dtype):
    return input.dtype if dtype is None else dtype


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Zeros with the shape (and, unless given, the dtype) of ``input``."""
    return zeros(input._data.shape, dtype=_like(input, dtype), device=device,
                 requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Ones with the shape (and, unless given, the dtype) of ``input``."""
    return ones(input._data.shape, dtype=_like(input, dtype), device=device,
                requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """An uninitialised tensor with the shape (and dtype) of ``input``."""
    return empty(input._data.shape, dtype=_like(input, dtype), device=device,
                 requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    """``fill_value`` everywhere, with the shape and (unless given) the dtype of ``input``."""
    return full(input._data.shape, fill_value, dtype=_like(input, dtype), device=device,
                requires_grad=requires_grad)


def _number(v, op: str, name: str):
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise op_error(TypeError, f"{op}(): argument '{name}' must be a number, not "
                                  f"{type(v).__name__}")
    return v


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values ``start + i * step`` for i = 0 .. ceil((end - start) / step) - 1 (``end``
    exclusive); int64 when start, end and step are all integers, else the default dtype."""
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, "arange", n) for v, n in
                        ((start, "start"), (end, "end"), (step, "step")))
    if step == 0:
        raise op_error(RuntimeError, "arange: step must be nonzero")
    if not all(math.isfinite(float(v)) for v in (start, end)):
        raise op_error(RuntimeError, f"arange: unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise op_error(RuntimeError, f"arange: upper bound and lower bound inconsistent with "
                                     f"step sign (start={start}, end={end}, step={step})")
    if dtype is None:
        dtype = backend.int64 if all(isinstance(v, numbers.Integral)
                                     for v in (start, end, step)) else get_default_dtype()
    target = to_np_dtype(dtype, "arange")
    n = max(0, math.ceil((end - start) / step))
    if target.kind == "f":
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(target)
    else:
        arr = (np.arange(n, dtype=np.int64) * int(step) + int(start)).astype(target) \
            if all(isinstance(v, numbers.Integral) for v in (start, step)) \
            else (start + np.arange(n) * step).astype(target)
    return _finish(arr, requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    check_device(device, "linspace")
    if int(steps) < 0:
        raise op_error(RuntimeError, f"linspace: number of steps must be non-negative "
                                     f"(got {steps})")
    return _finish(np.linspace(float(start), float(end), int(steps))
                   .astype(to_np_dtype(dtype, "linspace")), requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    """``steps`` values ``base ** x`` for x evenly spaced from ``start`` to ``end``."""
    check_device(device, "logspace")
    return _finish(np.logspace(float(start), float(end), int(steps), base=base)
                   .astype(to_np_dtype(dtype, "logspace")), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The identity matrix (n x m)."""
    check_device(device, "eye")
    if n < 0 or (m is not None and m < 0):
        raise op_error(RuntimeError, f"eye: n and m must be non-negative, got n={n}, m={m}")
    return _finish(np.eye(n, m, dtype=to_np_dtype(dtype, "eye")), requires_grad)


# ------------------------------------------------------------------ random
def _float_dtype(dtype, op):
    np_dtype = to_np_dtype(dtype, op)
    if np_dtype.kind != "f":
        raise op_error(RuntimeError, f"{op}: expected a floating-point dtype, got {dtype}")
    return np_dtype


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1)."""
    check_device(device, "rand")
    d = _float_dtype(dtype, "rand")
    arr = rng(generator).random(_size(size, "rand"), dtype=d if d != np.float16 else np.float32)
    return _finish(arr.astype(d, copy=False), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples."""
    check_device(device, "randn")
    d = _float_dtype(dtype, "randn")
    arr = rng(generator).standard_normal(_size(size, "randn"),
                                         dtype=d if d != np.float16 else np.float32)
    return _finish(arr.astype(d, copy=False), requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers uniform in [low, high); ``randint(high, size)`` starts at 0."""
    check_device(device, "randint")
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise op_error(TypeError, "randint: missing required argument 'size'")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise op_error(RuntimeError, f"randint: random_ expects 'from' to be less than 'to', "
                                     f"but got from={low} >= to={high}")
    arr = rng(generator).integers(low, high, size=_size((size,), "randint"))
    return _finish(arr.astype(to_np_dtype(dtype or backend.int64, "randint")), requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0..n-1."""
    check_device(device, "randperm")
    return _finish(rng(generator).permutation(int(n)).astype(to_np_dtype(dtype or backend.int64)),
                   requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (broadcast) or numbers with ``size``."""
    check_device(device, "normal")
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if isinstance(s, np.ndarray) and (s < 0).any() or not isinstance(s, np.ndarray) and s < 0:
        raise op_error(RuntimeError, "normal: expected all elements of std >= 0.0")
    shape = (_size((size,), "normal") if size is not None
             else np.broadcast_shapes(np.shape(m), np.shape(s)))
    if dtype is None:
        dtype = next((t.dtype for t in (mean, std) if isinstance(t, Tensor)), None)
    d = _float_dtype(dtype, "normal")
    arr = m + s * rng(generator).standard_normal(shape)
    return _finish(np.asarray(arr, dtype=d), requires_grad)


def rand_like(input, *, dtype=None, generator=None, device=None, requires_grad=False):
    """Uniform [0, 1) samples with the shape (and dtype) of ``input``."""
    return rand(input._data.shape, dtype=_like(input, dtype), generator=generator,
                device=device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, generator=None, device=None, requires_grad=False):
    """Standard normal samples with the shape (and dtype) of ``input``."""
    return randn(input._data.shape, dtype=_like(input, dtype), generator=generator,
                 device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, generator=None, device=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=_like(input, dtype), generator=generator,
                   device=device)


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0, in input's dtype."""
    probs = input._data if p is None else np.full(input._data.shape, p)
    if ((probs < 0) | (probs > 1)).any():
        raise op_error(RuntimeError, "bernoulli: Expected p_in >= 0 && p_in <= 1 to be true")
    u = rng(generator).random(input._data.shape)
    return Tensor._make((u < probs).astype(input._data.dtype))


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Indices drawn from the (unnormalised) rows of ``input``."""
    p = np.asarray(input._data, dtype=np.float64)
    if (p < 0).any() or not np.isfinite(p).all():
        raise op_error(RuntimeError, "multinomial: probability tensor contains either `inf`, "
                                     "`nan` or element < 0")
    rows = p.reshape(-1, p.shape[-1])
    g = rng(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, row in enumerate(rows):
        total = row.sum()
        if total <= 0:
            raise op_error(RuntimeError, "multinomial: invalid multinomial distribution "
                                         "(sum of probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(row):
            raise op_error(RuntimeError, "multinomial: cannot sample n_sample > prob_dist."
                                         "size(-1) samples without replacement")
        out[i] = g.choice(row.size, size=num_samples, replace=replacement, p=row / total)
    return Tensor._make(out.reshape(p.shape[:-1] + (num_samples,)))


# ------------------------------------------------------------------ conversion methods
class Clone(Function):
    """y = a copy of x;  dy/dx = 1. The copy is row-major, or channels-last for
    ``channels_last`` / ``channels_last_3d`` (channels moved innermost, then viewed back in
    (N, C, ...) order: the same strides as torch's)."""

    def forward(ctx, x, fmt=None):
        if backend.channels_last_rank(fmt) is None:
            return x.copy()
        return np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 1, -1)), -1, 1)

    def backward(ctx, grad):
        return grad


def _memory_format(input, memory_format, op: str, default):
    fmt = backend.check_memory_format(memory_format, op, default)
    rank = backend.channels_last_rank(fmt)
    if rank is not None and input._data.ndim != rank:
        raise op_error(RuntimeError, f"{op}: required rank {rank} tensor to use {fmt.name} "
                                     f"format, got a tensor of shape {tuple(input._data.shape)}")
    return fmt


@tensor_method
def clone(input, *, memory_format=None) -> Tensor:
    """A copy with its own memory (differentiable), laid out as ``memory_format`` asks. The
    default ``preserve_format`` keeps a channels-last layout (a tensor that is channels-last
    but not row-major contiguous) and gives row-major otherwise (torch would also keep the
    strides of, say, a transposed tensor)."""
    fmt = _memory_format(input, memory_format, "clone", backend.preserve_format)
    if fmt is backend.preserve_format and not input._data.flags.c_contiguous:
        for cl in (backend.channels_last, backend.channels_last_3d):
            if input.is_contiguous(memory_format=cl):
                fmt = cl
    return Clone.apply(input, fmt)


@tensor_method
def contiguous(input, memory_format=None) -> Tensor:
    """``input`` itself when it is contiguous in ``memory_format`` (``contiguous_format``, the
    default, or ``channels_last`` / ``channels_last_3d`` for rank 4 / 5), else a copy in that
    layout that stays in the graph (gradient 1, like ``clone``)."""
    fmt = _memory_format(input, memory_format, "contiguous", backend.contiguous_format)
    if input.is_contiguous(memory_format=fmt):
        return input
    if fmt is backend.preserve_format:
        raise op_error(RuntimeError, "contiguous: preserve memory format is unsupported by the "
                                     "contiguous operator")
    return Clone.apply(input, fmt)


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, backend.device)):
            device = a
        elif a is not None:
            dtype = a
    return dtype, device


@tensor_method
def to(input, *args, **kwargs) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(other)``: a tensor of that dtype/device (self when it
    already is, unless ``copy=True``); differentiable through dtype casts."""
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    dtype, device = _parse_to(args, kwargs)
    if kwargs:
        raise op_error(TypeError, f"to() got unexpected keyword arguments {sorted(kwargs)}")
    check_device(device, "to")
    if dtype is None or to_np_dtype(dtype, "to") == input._data.dtype:
        return Clone.apply(input) if copy else input
    from .ops.elementwise import Cast
    target = to_np_dtype(dtype, "to")
    if input.requires_grad and target.kind not in "fc":
        return Tensor._make(input._data.astype(target))
    return Cast.apply(input, target)


def _caster(name, dt):
    def method(self, memory_format=None):
        return to(self, dt)
    method.__name__ = name
    method.__doc__ = f"``self.to({dt})``."
    setattr(Tensor, name, method)


for _name, _dt in [("float", backend.float32), ("double", backend.float64),
                   ("half", backend.float16), ("long", backend.int64), ("int", backend.int32),
                   ("short", backend.int16), ("bool", backend.bool_), ("byte", backend.uint8),
                   ("char", backend.int8)]:
    _caster(_name, _dt)


@tensor_method
def type_as(input, other) -> Tensor:
    return to(input, other.dtype)


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


@tensor_method(name="type")
def _type(input, dtype=None, non_blocking=False):
    """The type name (``'chainrule.FloatTensor'``) or a cast to ``dtype``, which may also be a
    typed tensor class (``chainrule.LongTensor``) or its name (``'torch.LongTensor'``)."""
    if dtype is None:
        return f"chainrule.{_TYPE_NAMES[input.dtype.name]}Tensor"
    if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), backend.dtype):
        dtype = dtype.dtype                                   # chainrule.LongTensor
    elif isinstance(dtype, str) and dtype.endswith("Tensor"):  # 'torch.LongTensor'
        prefix = dtype.rpartition(".")[2][:-len("Tensor")]
        by_prefix = {v: k for k, v in _TYPE_NAMES.items()}
        if prefix not in by_prefix:
            raise op_error(ValueError, f"type(): invalid type: {dtype!r}")
        dtype = backend.from_np_dtype(to_np_dtype(by_prefix[prefix]))
    return to(input, dtype)


@tensor_method
def cpu(input, memory_format=None) -> Tensor:
    return input


@tensor_method
def cuda(input, device=None, non_blocking=False, memory_format=None) -> Tensor:
    """Move to the GPU: a clear error until the CuPy backend lands."""
    check_device("cuda" if device is None else device if not isinstance(device, int)
                 else f"cuda:{device}", "cuda")


# ------------------------------------------------------------------ new_* and in-place fills
@tensor_method
def new(input, *args, device=None) -> Tensor:
    """torch's legacy ``x.new(...)``, in ``x``'s dtype: ``new()`` is empty, ``new(2, 3)`` or
    ``new(Size)`` an uninitialised tensor of that shape, ``new(data)`` a copy of ``data``."""
    if not args:
        return empty(0, dtype=input.dtype, device=device)
    if _legacy_sizes(args):
        return empty(*args, dtype=input.dtype, device=device)
    if len(args) == 1 and not isinstance(args[0], (int, float, bool, complex, str)):
        return tensor(args[0], dtype=input.dtype, device=device)
    raise op_error(TypeError, f"new(): expected sizes (ints) or one sequence of data, got "
                              f"({', '.join(type(a).__name__ for a in args)})")


@tensor_method
def new_zeros(input, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(*size, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


@tensor_method
def new_ones(input, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return ones(*size, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


@tensor_method
def new_empty(input, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return empty(*size, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


@tensor_method
def new_full(input, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


@tensor_method
def new_tensor(input, data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return tensor(data, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


class _Overwrite(Function):
    """y = values (x's old contents are discarded);  dy/dx = 0. An in-place fill of a tensor
    with history: the history is cut, as torch's ZeroBackward/FillBackward."""

    op_name = "fill_"

    def forward(ctx, x, values):
        out = x.copy()
        out[...] = values
        return out

    def backward(ctx, grad):
        return grad.new_zeros(grad.shape)


def _fill_inplace(self, op: str, values) -> Tensor:
    """Write values into self (no graph); torch refuses this on a leaf that requires grad."""
    snap = self._snapshot(op)
    if snap is not self and self.requires_grad:     # a non-leaf, in grad mode
        return self._inplace(_Overwrite.apply(snap, values))
    self._data[...] = values
    self._version += 1
    return self


@tensor_method
def zero_(input) -> Tensor:
    """Fill with zeros in place."""
    return _fill_inplace(input, "zero_", 0)


@tensor_method
def fill_(input, value) -> Tensor:
    """Fill with ``value`` in place (differentiable when ``value`` is a tensor with grad)."""
    if isinstance(value, Tensor) and value.requires_grad:
        from .autograd import grad_mode
        if grad_mode.is_grad_enabled():
            return input._inplace(zeros_like(input) + value.expand(input._data.shape))
        value = value._data
    return _fill_inplace(input, "fill_", value._data if isinstance(value, Tensor) else value)


@tensor_method
def copy_(input, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast) into self in place; differentiable w.r.t. ``src``."""
    src = src if isinstance(src, Tensor) else tensor(src)
    try:
        ok = np.broadcast_shapes(src._data.shape, input._data.shape) == input._data.shape
    except ValueError:
        ok = False
    if not ok:
        raise op_error(RuntimeError, f"copy_: the source of shape {list(src._data.shape)} "
                                     f"can't be broadcast to the output shape "
                                     f"{list(input._data.shape)}")
    from .autograd import grad_mode
    if src.requires_grad and grad_mode.is_grad_enabled():
        base = input._snapshot("copy_")
        return input._inplace(_Overwrite.apply(base, 0) + src.to(input.dtype)
                              .expand(input._data.shape))
    return _fill_inplace(input, "copy_", src._data)


@tensor_method
def normal_(input, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    return _fill_inplace(input, "normal_",
                         mean + std * rng(generator).standard_normal(input._data.shape))


@tensor_method
def uniform_(input, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    return _fill_inplace(input, "uniform_", rng(generator).uniform(a, b, input._data.shape))


@tensor_method
def bernoulli_(input, p=0.5, *, generator=None) -> Tensor:
    probs = p._data if isinstance(p, Tensor) else p
    return _fill_inplace(input, "bernoulli_", rng(generator).random(input._data.shape) < probs)


@tensor_method
def random_(input, low=0, high=None, *, generator=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return _fill_inplace(input, "random_", rng(generator).integers(low, high, input._data.shape))


@tensor_method
def exponential_(input, lambd: float = 1.0, *, generator=None) -> Tensor:
    return _fill_inplace(input, "exponential_",
                         rng(generator).exponential(1.0 / lambd, input._data.shape))

