"""Stochastic gradient descent, optionally with (Nesterov) momentum."""
from __future__ import annotations

from typing import Iterable

from ..backend import np
from ..tensor import Tensor
from .optimizer import Optimizer


class SGD(Optimizer):
    r"""SGD as torch.optim.SGD computes it. Per step, with ``g`` the gradient:

        g <- -g                                   (maximize)
        g <- g + weight_decay * p
        b <- g  (first step),  b <- momentum * b + (1 - dampening) * g  (later)
        g <- g + momentum * b  (nesterov),  g <- b  (otherwise)   [when momentum != 0]
        p <- p - lr * g

    State per parameter: ``momentum_buffer`` (only when ``momentum != 0``).
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _step_group(self, group) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        nesterov, maximize, weight_decay = group["nesterov"], group["maximize"], \
            group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            d = self._effective_grad(p, maximize, weight_decay)
            tmp = self._work(p, 1)
            if momentum != 0:
                state = self.state[p]
                buf_t = state.get("momentum_buffer")
                if buf_t is None:
                    buf = d.copy()
                    state["momentum_buffer"] = Tensor._make(buf)
                else:
                    buf = buf_t._data
                    np.multiply(buf, momentum, out=buf)
                    if dampening == 0:
                        np.add(buf, d, out=buf)
                    else:
                        np.multiply(d, 1 - dampening, out=tmp)
                        np.add(buf, tmp, out=buf)
                if nesterov:
                    np.multiply(buf, momentum, out=tmp)
                    np.add(d, tmp, out=tmp)
                    d = tmp
                else:
                    d = buf
            np.multiply(d, -lr, out=tmp)
            np.add(p._data, tmp, out=p._data)
            p._version += 1
