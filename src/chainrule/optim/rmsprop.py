"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum."""
from __future__ import annotations

from typing import Iterable

from ..backend import np
from ..tensor import Tensor
from .optimizer import Optimizer, _addcdiv_, _addcmul_, _lerp_, _step_tensor


class RMSprop(Optimizer):
    r"""RMSprop as torch.optim.RMSprop computes it. Per step, with ``g`` the gradient:

        g <- -g                                  (maximize)
        g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g**2      (square_avg)
        a <- a + (1 - alpha) * (g - a)           (grad_avg, centered)
        d <- sqrt(v - a**2) + eps  (centered),   d <- sqrt(v) + eps  (otherwise)
        b <- momentum * b + g / d;  p <- p - lr * b        (momentum > 0)
        p <- p - lr * g / d                                (otherwise)

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0) and
    ``grad_avg`` (centered).
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, maximize: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _step_group(self, group) -> None:
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        centered, maximize, weight_decay = group["centered"], group["maximize"], \
            group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["square_avg"] = Tensor._make(np.zeros_like(p._data))
                if momentum > 0:
                    state["momentum_buffer"] = Tensor._make(np.zeros_like(p._data))
                if centered:
                    state["grad_avg"] = Tensor._make(np.zeros_like(p._data))
            state["step"]._data += 1
            g = self._effective_grad(p, maximize, weight_decay)
            square_avg = state["square_avg"]._data
            avg = self._work(p, 1)
            np.multiply(square_avg, alpha, out=square_avg)
            _addcmul_(square_avg, g, g, 1 - alpha, avg)
            if centered:
                grad_avg = state["grad_avg"]._data
                _lerp_(grad_avg, g, 1 - alpha, avg)
                np.multiply(grad_avg, grad_avg, out=avg)
                np.subtract(square_avg, avg, out=avg)
                np.sqrt(avg, out=avg)
            else:
                np.sqrt(square_avg, out=avg)
            np.add(avg, eps, out=avg)
            if momentum > 0:
                buf = state["momentum_buffer"]._data
                np.multiply(buf, momentum, out=buf)
                _addcdiv_(buf, g, avg, 1, avg)
                np.multiply(buf, -lr, out=avg)
                np.add(p._data, avg, out=p._data)
            else:
                _addcdiv_(p._data, g, avg, -lr, avg)
            p._version += 1
