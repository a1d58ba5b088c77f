"""torch's legacy typed tensor classes: ``FloatTensor``, ``LongTensor``, ...

Each is a constructor and an ``isinstance`` check bound to one dtype, as in torch::

    torch.LongTensor([1, 2])          # tensor([1, 2]), int64
    torch.FloatTensor(2, 3)           # an uninitialised 2x3 float32 tensor
    isinstance(x, torch.FloatTensor)  # x is a float32 tensor
    x.type(torch.DoubleTensor)        # x cast to float64

They are not subclasses of :class:`Tensor`: every tensor is a plain ``Tensor`` whose dtype
decides which typed class it is an instance of.
"""
from __future__ import annotations

from . import backend
from .creation import empty, tensor
from .tensor import Size, Tensor

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


class _TypedTensorMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None):
        """``T()``: empty; ``T(n, m, ...)`` or ``T(Size)``: uninitialised of that shape;
        ``T(data)``: a copy of ``data`` (a sequence, array or tensor) in this class's dtype."""
        name = f"{cls.__module__.split('.')[0]}.{cls.__name__}"
        if not args:
            return empty(0, dtype=cls.dtype, device=device)
        if all(type(a) is int for a in args) or (len(args) == 1 and isinstance(args[0], Size)):
            return empty(*args, dtype=cls.dtype, device=device)
        if len(args) == 1 and not isinstance(args[0], (int, float, bool, complex, str)):
            return tensor(args[0], dtype=cls.dtype, device=device)
        raise TypeError(f"{name}(): expected sizes (ints) or one sequence of data, got "
                        f"({', '.join(type(a).__name__ for a in args)})")

    def __repr__(cls) -> str:
        return f"<class 'chainrule.{cls.__name__}'>"


def _typed(name: str, dtype: backend.dtype) -> type:
    return _TypedTensorMeta(name, (), {"dtype": dtype, "__module__": "chainrule",
                                       "__doc__": f"A {dtype.name} tensor (torch.{name})."})


FloatTensor = _typed("FloatTensor", backend.float32)
DoubleTensor = _typed("DoubleTensor", backend.float64)
HalfTensor = _typed("HalfTensor", backend.float16)
LongTensor = _typed("LongTensor", backend.int64)
IntTensor = _typed("IntTensor", backend.int32)
ShortTensor = _typed("ShortTensor", backend.int16)
CharTensor = _typed("CharTensor", backend.int8)
ByteTensor = _typed("ByteTensor", backend.uint8)
BoolTensor = _typed("BoolTensor", backend.bool_)
