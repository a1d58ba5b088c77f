"""``Optimizer``: the base class of every optimizer, with torch.optim's API.

An optimizer holds ``param_groups`` (a list of dicts: ``'params'`` plus that group's
hyperparameters, filled from ``defaults``) and ``state`` (a dict per parameter: momentum buffers,
moment estimates, step counts, as chainrule Tensors under torch's key names).

Updates run on the raw arrays in place (``p._data``, ``p.grad._data``) with NumPy ufuncs writing
into ``out=``: no autograd, no Tensor op overhead, and in the steady state no allocation beyond
a couple of scratch arrays per parameter shape that the optimizer keeps (``_work``).
"""
from __future__ import annotations

import warnings
from collections import defaultdict
from typing import Any, Callable, Iterable

from ..backend import np, get_default_dtype
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor


class Optimizer:
    """Base class: subclasses validate their hyperparameters, call ``super().__init__(params,
    defaults)`` and implement ``_step_group(group)``, the in-place update of one group."""

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._scratch: dict = {}
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with optional per-group hyperparameters) to optimise."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        param_group["params"] = params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        if any(id(p) in ids for group in self.param_groups for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's ``.grad`` (``set_to_none=True``) or fill it with zeros in
        place, detached from any graph."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g.detach_()
                    g._data.fill(0)
                    g._version += 1

    def step(self, closure: Callable[[], Any] | None = None):
        """One optimisation step over every group; ``closure`` (re-evaluating the loss and its
        gradients) runs first with grad mode on, and its result is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _step_group")

    def _work(self, p: Tensor, slot: int):
        """Scratch array ``slot`` (0 or 1) with ``p``'s shape and dtype, reused across steps and
        across parameters of the same shape."""
        a = p._data
        key = (a.shape, a.dtype.str, slot)
        buf = self._scratch.get(key)
        if buf is None:
            buf = self._scratch[key] = np.empty_like(a)
        return buf

    def _effective_grad(self, p: Tensor, maximize: bool, weight_decay: float):
        """The gradient the update uses: ``g``, ``-g`` with ``maximize``, plus ``weight_decay * p``
        (the L2 penalty's gradient). Written into scratch slot 0 when it differs from ``g``."""
        g = p.grad._data
        if weight_decay != 0:
            a = self._work(p, 0)
            np.multiply(p._data, weight_decay, out=a)
            (np.subtract if maximize else np.add)(a, g, out=a)
            return a
        if maximize:
            a = self._work(p, 0)
            np.negative(g, out=a)
            return a
        return g

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """torch's format: ``{'state': {index: {...}}, 'param_groups': [{..., 'params':
        [indices]}]}``, parameters numbered in group order. State tensors are references, as in
        torch: copy them (or save to a file) before stepping on if you need a snapshot."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (of an optimizer over
        parameters with the same group structure). State tensors are copied, and cast to their
        parameter's dtype except ``step``; unlike torch, nothing stays shared with the dict."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"])
               for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        by_index = {i: p for g, s in zip(self.param_groups, saved_groups)
                    for i, p in zip(s["params"], g["params"])}
        state: defaultdict = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if key in by_index:
                p = by_index[key]
                state[p] = {k: _copy_state_value(v, p, k) for k, v in values.items()}
            else:
                state[key] = values
        groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new = {k: v for k, v in saved.items() if k != "params"}
            new["params"] = group["params"]
            groups.append(new)
        self.state = state
        self.param_groups = groups


def _lerp_(start, end, weight: float, tmp) -> None:
    """``start <- start + weight * (end - start)`` in place, in torch's two-branch form (exact at
    ``weight = 1``); ``tmp`` is a scratch array of the same shape."""
    np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        np.multiply(tmp, weight, out=tmp)
        np.add(start, tmp, out=start)
    else:
        np.multiply(tmp, 1 - weight, out=tmp)
        np.subtract(end, tmp, out=start)


def _addcmul_(a, t1, t2, value: float, tmp) -> None:
    """``a <- a + value * t1 * t2`` in place (torch's order of operations); ``tmp`` is scratch."""
    if value == 1:
        np.multiply(t1, t2, out=tmp)
    else:
        np.multiply(t1, value, out=tmp)
        np.multiply(tmp, t2, out=tmp)
    np.add(a, tmp, out=a)


def _addcdiv_(a, t1, t2, value: float, tmp) -> None:
    """``a <- a + value * t1 / t2`` in place; ``tmp`` is scratch and may be ``t2`` itself."""
    np.divide(t1, t2, out=tmp)
    np.multiply(tmp, value, out=tmp)
    np.add(a, tmp, out=a)


def _copy_state_value(value, p: Tensor, key: str):
    """A copy of one saved state value: tensors other than ``step`` take the parameter's dtype."""
    if not isinstance(value, Tensor):
        return value
    arr = value._data
    if key != "step" and p._data.dtype.kind == "f":
        return Tensor._make(arr.astype(p._data.dtype, copy=True))
    return Tensor._make(arr.copy())


def _step_tensor() -> Tensor:
    """A fresh step counter: a 0-d float tensor (float64 when that is the default dtype, float32
    otherwise), as torch keeps it."""
    dt = np.float64 if get_default_dtype().np_dtype == np.float64 else np.float32
    return Tensor._make(np.zeros((), dtype=dt))


def _typename(obj) -> str:
    """torch.typename's wording: ``chainrule.FloatTensor`` for a tensor, else the class."""
    if isinstance(obj, Tensor):
        return obj.type()
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
