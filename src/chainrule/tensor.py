"""``Tensor``: an array of the backend plus what autograd needs (requires_grad, grad, grad_fn).

A Tensor has no math of its own: ``a * b`` calls ``chainrule.ops.mul(a, b)``. Ops that are also
methods (``x.sum()``, ``x.reshape(...)``) are attached by ``ops`` with ``@tensor_method``.
"""
from __future__ import annotations

import weakref

from . import backend
from .backend import np
from .autograd import grad_mode


class Size(tuple):
    """The shape of a tensor: a tuple that prints as ``chainrule.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"chainrule.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple(self) * n)

    __rmul__ = __mul__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class Tensor:
    """A multi-dimensional array that can record the operations applied to it."""

    __slots__ = ("_data", "grad", "requires_grad", "grad_fn", "_hooks", "_vc", "_name",
                 "__weakref__")
    __array_priority__ = 1000          # ndarray op Tensor -> Tensor's reflected operator

    def __init__(self, *args, dtype=None, device=None, requires_grad: bool = False):
        """``Tensor(data)`` copies ``data`` (a sequence, array or Tensor) into the default float
        dtype (or ``dtype``); ``Tensor(*sizes)`` / ``Tensor(Size)`` is torch's legacy size
        constructor: a tensor of that shape whose values are unspecified (here: zeros, so that
        runs stay reproducible); ``Tensor()`` is empty, shape (0,)."""
        from .creation import _legacy_sizes, _size, _to_array
        backend.check_device(device, "Tensor")
        dt = dtype if dtype is not None else backend.get_default_dtype()
        if _legacy_sizes(args):
            self._data = np.zeros(_size(args, "Tensor"), backend.to_np_dtype(dt))
        elif len(args) > 1:
            raise TypeError(f"Tensor(*sizes): every size must be an int, got "
                            f"({', '.join(type(a).__name__ for a in args)})")
        else:
            data = args[0] if args else []
            if not isinstance(data, Tensor) and np.isscalar(data):
                raise TypeError(f"Tensor(): data must be a sequence (got "
                                f"{type(data).__name__}); for a 0-d tensor use "
                                f"chainrule.tensor(x)")
            self._data = _to_array(data, dt)
        self.grad = None
        self.requires_grad = False
        self.grad_fn = None
        self._hooks = None
        self._vc = [0]
        self._name = None
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, requires_grad: bool = False, grad_fn=None) -> "Tensor":
        """Wrap a backend array without copying (the fast internal constructor)."""
        t = object.__new__(cls)
        t._data = data
        t.grad = None
        t.requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._hooks = None
        t._vc = [0]             # the version counter, shared by tensors of the same memory
        t._name = None
        return t

    @staticmethod
    def _dtype_of(np_dtype) -> backend.dtype:
        return backend.from_np_dtype(np_dtype)

    # ------------------------------------------------------------------ metadata
    @property
    def data(self) -> "Tensor":
        """The same values without history (shares memory), as torch's ``.data``."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self) -> backend.dtype:
        return backend.from_np_dtype(self._data.dtype)

    @property
    def device(self) -> backend.device:
        return backend.CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def T(self) -> "Tensor":
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self) -> "Tensor":
        if self._data.ndim == 2:        # the hot case (matmul backward): no argument checks
            return _ops.shape.Permute.apply(self, (1, 0))
        return self.transpose(-2, -1)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None) -> bool:
        """Whether the elements lie in memory with no gaps in the order of ``memory_format``:
        row-major for ``contiguous_format`` (the default; ``preserve_format`` asks the same),
        (N, H, W, C) for ``channels_last`` and (N, D, H, W, C) for ``channels_last_3d`` (False
        for a tensor of another rank). As in torch, a dim of size 1 may have any stride and an
        empty tensor is row-major contiguous."""
        fmt = backend.check_memory_format(memory_format, "is_contiguous",
                                          backend.contiguous_format)
        a = self._data
        rank = backend.channels_last_rank(fmt)
        if rank is None:
            return bool(a.flags.c_contiguous)
        if a.ndim != rank:
            return False
        expected = a.itemsize                       # channels innermost, then W, H, (D), N
        for d in (1, *range(rank - 1, 1, -1), 0):
            if a.shape[d] != 1:
                if a.strides[d] != expected:
                    return False
                expected *= a.shape[d]
        return True

    def stride(self, dim: int | None = None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim, "stride")]

    @property
    def name(self):
        return self._name

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self._data.shape[0]):
            yield self[i]

    def __hash__(self) -> int:
        return id(self)

    # ------------------------------------------------------------------ conversion
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"item: a Tensor with {self._data.size} elements cannot be "
                               f"converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force: bool = False):
        """The values as a NumPy array that shares memory (torch's rules: no grad allowed)."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self._data.astype(dtype)
        return self._data

    def __float__(self) -> float:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self) -> int:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with "
                               f"{'no values' if self._data.size == 0 else 'more than one value'}"
                               f" is ambiguous")
        return bool(self._data.reshape(()).item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def detach(self) -> "Tensor":
        """The same values, cut from the graph (shares memory, and the version counter: an
        in-place change through the result is seen by backward, as in torch)."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if not self.is_leaf:
            raise RuntimeError("requires_grad_: you can only change requires_grad flags of leaf "
                               "variables. If you want to use a computed variable in a subgraph "
                               "that doesn't require differentiation use "
                               "var_no_grad = var.detach()")
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(f"requires_grad_: only Tensors of floating point and complex dtype "
                               f"can require gradients (got {self.dtype.name})")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        self.grad_fn._retained = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn._retained is not None

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't "
                               "require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._register_tensor_hook(hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        from .autograd.function import _RemovableHandle
        return _RemovableHandle(self._hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False,
                 inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``autograd.backward``)."""
        from .autograd import backward
        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph,
                 inputs=inputs)

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        from ._format import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    # ------------------------------------------------------------------ operators (-> ops)
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.bitwise_not(self)

    def __and__(self, other):
        return _ops.bitwise_and(self, other)

    def __rand__(self, other):
        return _ops.bitwise_and(other, self)

    def __or__(self, other):
        return _ops.bitwise_or(self, other)

    def __ror__(self, other):
        return _ops.bitwise_or(other, self)

    def __xor__(self, other):
        return _ops.bitwise_xor(self, other)

    def __rxor__(self, other):
        return _ops.bitwise_xor(other, self)

    def __eq__(self, other):
        return _ops.eq(self, other)

    def __ne__(self, other):
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    def __getitem__(self, key):
        return _ops.getitem(self, key)

    def __setitem__(self, key, value):
        _ops.setitem(self, key, value)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    # ------------------------------------------------------------------ in-place machinery
    def _inplace(self, result: "Tensor", op: str = "in-place op") -> "Tensor":
        """Make ``self`` hold ``result`` (computed out of place from a snapshot of self).

        Without a graph the values are written into self's own array (so views see them);
        with one, self takes the result's array and history and its version goes up, so a
        backward that needs the old values raises instead of computing a wrong gradient.
        """
        if result._data.shape != self._data.shape:
            raise RuntimeError(f"{op}: output with shape {list(self._data.shape)} doesn't match "
                               f"the broadcast shape {list(result._data.shape)}")
        if not _can_cast_inplace(result._data.dtype, self._data.dtype):
            raise RuntimeError(f"{op}: result type "
                               f"{backend.scalar_type_name(result._data.dtype)} can't be cast "
                               f"to the desired output type {backend.scalar_type_name(self.dtype)}")
        if result.grad_fn is None:
            np.copyto(self._data, result._data, casting="unsafe")
            self._version += 1
        else:
            self._data = result._data.astype(self._data.dtype, copy=False)
            self.grad_fn = result.grad_fn
            self.requires_grad = True
            # new memory: a counter of its own (the old array, and whatever saved it, is
            # untouched), the version still counting up
            self._vc = [self._vc[0] + 1]
        return self

    @property
    def _version(self) -> int:
        """How many in-place ops changed this tensor's memory, through it or through any tensor
        sharing its counter (views, detach()); saved tensors are checked against it."""
        return self._vc[0]

    @_version.setter
    def _version(self, v: int) -> None:
        self._vc[0] = v

    def _snapshot(self, op: str) -> "Tensor":
        """The tensor an in-place op computes from (checks torch's rule for leaves)."""
        if self.requires_grad and self.grad_fn is None and grad_mode._state[0]:
            raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                               f"in-place operation.")
        if not grad_mode._state[0]:
            return self
        t = Tensor._make(self._data, self.requires_grad, self.grad_fn)
        t._vc = self._vc
        return t


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _can_cast_inplace(src, dst) -> bool:
    """torch's rule for writing a result into an existing tensor: no lowering of the category
    (float into an integer tensor, integer into bool); within a category any width is fine."""
    return _KIND_RANK[np.dtype(src).kind] <= _KIND_RANK[np.dtype(dst).kind]


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim % n if ndim else 0


from .autograd import function as _function, engine as _engine  # noqa: E402
_function.Tensor = _engine.Tensor = Tensor
from . import ops as _ops  # noqa: E402  (ops import Tensor; attached after the class exists)
