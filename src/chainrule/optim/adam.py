"""Adam and AdamW (Adam with decoupled weight decay)."""
from __future__ import annotations

from typing import Iterable

from ..backend import np
from ..tensor import Tensor
from .optimizer import Optimizer, _addcdiv_, _addcmul_, _lerp_, _step_tensor


class Adam(Optimizer):
    r"""Adam as torch.optim.Adam computes it. Per step t, with ``g`` the gradient:

        g <- -g                                          (maximize)
        p <- p * (1 - lr * weight_decay)                 (decoupled_weight_decay)
        g <- g + weight_decay * p                        (otherwise)
        m <- m + (1 - beta1) * (g - m)                   (exp_avg)
        v <- beta2 * v + (1 - beta2) * g**2              (exp_avg_sq)
        v_max <- max(v_max, v), used instead of v        (amsgrad)
        p <- p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq`` and, with amsgrad,
    ``max_exp_avg_sq``.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)):
            raise ValueError("betas must be either both floats or both Tensors")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _step_group(self, group) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], \
            group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["exp_avg"] = Tensor._make(np.zeros_like(p._data))
                state["exp_avg_sq"] = Tensor._make(np.zeros_like(p._data))
                if amsgrad:
                    state["max_exp_avg_sq"] = Tensor._make(np.zeros_like(p._data))
            step_arr = state["step"]._data
            step_arr += 1
            step = float(step_arr)
            if weight_decay != 0 and decoupled:
                np.multiply(p._data, 1 - lr * weight_decay, out=p._data)
                g = self._effective_grad(p, maximize, 0)
            else:
                g = self._effective_grad(p, maximize, weight_decay)
            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            tmp = self._work(p, 1)
            _lerp_(exp_avg, g, 1 - beta1, tmp)
            np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
            _addcmul_(exp_avg_sq, g, g, 1 - beta2, tmp)

            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            second = exp_avg_sq
            if amsgrad:
                second = state["max_exp_avg_sq"]._data
                np.maximum(second, exp_avg_sq, out=second)
            np.sqrt(second, out=tmp)                      # denom = sqrt(v) / sqrt(bc2) + eps
            np.divide(tmp, bias_correction2_sqrt, out=tmp)
            np.add(tmp, eps, out=tmp)
            _addcdiv_(p._data, exp_avg, tmp, -step_size, tmp)
            p._version += 1


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter): each step first shrinks the
    parameters, ``p <- p * (1 - lr * weight_decay)``, instead of adding ``weight_decay * p`` to
    the gradient. Default ``weight_decay=1e-2``, as torch.optim.AdamW."""

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
