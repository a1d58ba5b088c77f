"""The array backend: NumPy for device 'cpu' (CuPy for 'cuda' later) and the dtype table.

Every op reaches its array library through this module, so that a CuPy backend changes no op:
``xp_of(array)`` returns the module that owns ``array``.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "np", "xp_of", "dtype", "device", "to_np_dtype", "from_np_dtype",
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_",
    "get_default_dtype", "set_default_dtype", "check_device", "promote_types",
    "scalar_type_name", "memory_format", "contiguous_format", "channels_last",
    "channels_last_3d", "preserve_format", "check_memory_format", "channels_last_rank",
]


def xp_of(array):
    """The array module (numpy, later cupy) that owns ``array``."""
    return np


class dtype:
    """A chainrule dtype: a name and the NumPy dtype that stores it (``chainrule.float32``)."""

    __slots__ = ("name", "np_dtype", "is_floating_point", "is_complex", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np_dtype = np.dtype(np_dtype)
        self.is_floating_point = self.np_dtype.kind == "f"
        self.is_complex = self.np_dtype.kind == "c"
        self.is_signed = self.np_dtype.kind in "fic"
        self.itemsize = self.np_dtype.itemsize

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __reduce__(self):  # dtypes are singletons
        return (from_np_dtype, (self.np_dtype,))

    def to_real(self) -> "dtype":
        return self

    def to_complex(self) -> "dtype":
        raise NotImplementedError("complex dtypes are not supported")


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
_BY_NP = {d.np_dtype: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "long": int64,
                 "int": int32, "short": int16})

_default = [float32]


def from_np_dtype(np_dtype) -> dtype:
    """The chainrule dtype of a NumPy dtype; TypeError for unsupported ones."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        try:
            return _BY_NP[np.dtype(np_dtype)]
        except (KeyError, TypeError):
            raise TypeError(f"dtype {np_dtype!r} is not supported by chainrule "
                            f"(supported: {', '.join(d.name for d in _ALL)})") from None


def to_np_dtype(d, op: str | None = None):
    """NumPy dtype for a chainrule dtype, a NumPy dtype, a Python type (``float`` is float64,
    ``int`` int64, ``bool`` bool, as in torch) or a name; ``None`` is the default dtype.
    A TypeError (naming ``op`` when given) for anything else."""
    if isinstance(d, dtype):
        return d.np_dtype
    if d is None:
        return _default[0].np_dtype
    if d is float:
        return np.dtype(np.float64)
    if d is int:
        return np.dtype(np.int64)
    if d is bool:
        return np.dtype(np.bool_)
    if isinstance(d, str):
        if d.startswith("chainrule.") or d.startswith("torch."):
            d = d.partition(".")[2]
        if d in _BY_NAME:
            return _BY_NAME[d].np_dtype
    try:
        return from_np_dtype(d).np_dtype
    except TypeError as e:
        if op is None:
            raise
        raise TypeError(f"{op}(): argument 'dtype': {e}") from None


_SCALAR_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                 "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
                 "bool": "Bool"}


def scalar_type_name(d) -> str:
    """torch's C++ name of a dtype, as its error messages print it: float32 -> 'Float'."""
    return _SCALAR_NAMES[from_np_dtype(to_np_dtype(d)).name]


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote_np(a, b):
    """torch's ``promote_types`` on NumPy dtypes: across categories (bool < integer < floating)
    the higher category's type wins (int64 + float32 -> float32, unlike NumPy); within one,
    the smallest type that holds both."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    ra, rb = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if ra != rb:
        return a if ra > rb else b
    return np.promote_types(a, b)


def promote_types(type1, type2) -> dtype:
    """The smallest dtype to which both ``type1`` and ``type2`` can be cast (torch's rules)."""
    return from_np_dtype(promote_np(to_np_dtype(type1), to_np_dtype(type2)))


def get_default_dtype() -> dtype:
    """The dtype that floating-point tensors get when none is given (float32 at start)."""
    return _default[0]


def set_default_dtype(d) -> None:
    """Set the default floating-point dtype; only float32 and float64 are allowed, as in torch."""
    d = from_np_dtype(to_np_dtype(d))
    if d not in (float32, float64, float16):
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type (got {d})")
    _default[0] = d


class device:
    """Where a tensor lives: ``device('cpu')``. 'cuda' gives a clear error until CuPy lands."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | "device" = "cpu", index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string or a device, got {type!r}")
        if ":" in type:
            type, _, idx = type.partition(":")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"device: expected one of cpu, cuda device type at start of "
                               f"device string: {type}")
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


class memory_format:
    """How a tensor's elements are laid out in memory (``torch.memory_format``), for
    ``contiguous``, ``is_contiguous`` and ``clone``: ``contiguous_format`` (row-major, the
    default), ``channels_last`` (N, C, H, W stored as N, H, W, C: rank 4),
    ``channels_last_3d`` (N, C, D, H, W stored as N, D, H, W, C: rank 5) and
    ``preserve_format`` (keep the input's layout). Singletons, like dtypes."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __reduce__(self):  # singletons: pickle and deepcopy give back the module's object
        return self.name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


def check_memory_format(fmt, op: str, default: memory_format) -> memory_format:
    """The ``memory_format=`` argument of ``op`` (``default`` for None); TypeError for
    anything that is not a ``chainrule.memory_format``."""
    if fmt is None:
        return default
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{op}(): argument 'memory_format' must be chainrule.memory_format, "
                        f"not {type(fmt).__name__}")
    return fmt


def channels_last_rank(fmt: memory_format) -> int | None:
    """The rank a channels-last format needs (4 or 5); None for the other formats."""
    return 4 if fmt is channels_last else 5 if fmt is channels_last_3d else None


CPU = device("cpu")


def check_device(d, op: str | None = None) -> device:
    """Validate a ``device=`` argument of ``op``; only 'cpu' exists until the CuPy backend
    lands, so 'cuda' raises a RuntimeError that says so."""
    if d is None:
        return CPU
    d = d if isinstance(d, device) else device(d)
    if d.type != "cpu":
        where = f"{op}: " if op else ""
        raise RuntimeError(f"{where}device {str(d)!r} is not available: chainrule's CUDA backend "
                           f"(CuPy) is not implemented yet; use device='cpu'")
    return CPU
