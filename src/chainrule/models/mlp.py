"""``MLP``: a fully connected classifier for 28 x 28 images (784-256-256-10 by default)."""
from __future__ import annotations

from .. import nn
from ..tensor import Tensor

__all__ = ["MLP"]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class MLP(nn.Module):
    """``Flatten -> [Linear -> activation] * len(hidden) -> Linear``: logits for
    ``num_classes`` classes from inputs of any shape (N, ...) with ``in_features`` values each.

    ``activation`` is ``'relu'`` or ``'tanh'``. Parameters are named ``layers.1.weight``,
    ``layers.1.bias``, ... as in the same ``nn.Sequential`` written in torch.
    """

    def __init__(self, in_features: int = 784, hidden: tuple[int, ...] = (256, 256),
                 num_classes: int = 10, activation: str = "relu") -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {sorted(ACTIVATIONS)}, got "
                             f"{activation!r}")
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)
