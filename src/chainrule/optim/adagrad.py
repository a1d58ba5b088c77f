"""Adagrad (Duchi, Hazan & Singer, 2011)."""
from __future__ import annotations

from typing import Iterable

from ..backend import np
from ..tensor import Tensor
from .optimizer import Optimizer, _addcdiv_, _addcmul_, _step_tensor


class Adagrad(Optimizer):
    r"""Adagrad as torch.optim.Adagrad computes it. Per step t, with ``g`` the gradient:

        g <- -g                                   (maximize)
        g <- g + weight_decay * p
        s <- s + g**2                             (sum, starts at initial_accumulator_value)
        p <- p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    State per parameter, created with the group (as torch does): ``step`` and ``sum``.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def add_param_group(self, param_group) -> None:
        """Add a group and create its parameters' state (``step`` 0, ``sum`` filled with the
        group's ``initial_accumulator_value``)."""
        super().add_param_group(param_group)
        init = param_group["initial_accumulator_value"]
        for p in param_group["params"]:
            state = self.state[p]
            state["step"] = _step_tensor()
            state["sum"] = Tensor._make(np.full_like(p._data, init))

    def _step_group(self, group) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        maximize, weight_decay = group["maximize"], group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            step_arr = state["step"]._data
            step_arr += 1
            clr = lr / (1 + (float(step_arr) - 1) * lr_decay)
            g = self._effective_grad(p, maximize, weight_decay)
            state_sum = state["sum"]._data
            std = self._work(p, 1)
            _addcmul_(state_sum, g, g, 1, std)
            np.sqrt(state_sum, out=std)
            np.add(std, eps, out=std)
            _addcdiv_(p._data, g, std, -clr, std)
            p._version += 1
