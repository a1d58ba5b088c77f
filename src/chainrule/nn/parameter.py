"""``Parameter``: a Tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

from ..tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning one to a ``Module`` attribute registers it
    (it shows up in ``parameters()`` and ``state_dict()``); a plain Tensor does not.

    ``Parameter(data, requires_grad=True)`` shares ``data``'s memory and is a leaf that requires
    grad (even under ``no_grad``), as torch's. Ops on a Parameter return plain Tensors.
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from ..creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: expected a Tensor as data, got {type(data).__name__}")
        p = Tensor._make.__func__(cls, data._data)
        p.requires_grad_(requires_grad)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        pass                                # all set in __new__ (Tensor.__init__ would copy)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = Parameter(Tensor._make(self._data.copy()), self.requires_grad)
        return memo[id(self)]
