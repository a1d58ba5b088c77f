"""``CNN``: a small convolutional classifier for 28 x 28 images."""
from __future__ import annotations

from .. import nn
from ..tensor import Tensor

__all__ = ["CNN"]


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """``Conv2d(3x3, padding 1) -> BatchNorm2d -> ReLU -> MaxPool2d(2)``: keeps H x W through
    the convolution, then halves it (rounding down)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


class CNN(nn.Module):
    """``features``: one ``conv_block`` per entry of ``channels`` (1 -> 32 -> 64 by default),
    each halving the image side; ``classifier``: ``Flatten -> Linear`` to ``num_classes``
    logits, or with ``hidden`` units ``Flatten -> Linear -> ReLU -> Dropout(dropout) ->
    Linear``.

    The convolutions have no bias (the BatchNorm after each one has its own shift). Input
    (N, in_channels, input_size, input_size); output (N, num_classes).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10,
                 channels: tuple[int, ...] = (32, 64), hidden: int | None = None,
                 dropout: float = 0.0, input_size: int = 28) -> None:
        super().__init__()
        if not channels:
            raise ValueError("CNN: channels must name at least one conv block, got ()")
        if hidden is None and dropout:
            raise ValueError(f"CNN: dropout={dropout} needs a hidden layer (hidden=None)")
        widths = (in_channels, *channels)
        self.features = nn.Sequential(*(conv_block(a, b) for a, b in zip(widths, widths[1:])))
        side = input_size
        for _ in channels:
            side //= 2
        if side == 0:
            raise ValueError(f"CNN: input_size={input_size} is too small for {len(channels)} "
                             f"pooling steps")
        flat = channels[-1] * side * side
        head: list[nn.Module] = [nn.Flatten()]
        if hidden is not None:
            head += [nn.Linear(flat, hidden), nn.ReLU(), nn.Dropout(dropout)]
            flat = hidden
        head.append(nn.Linear(flat, num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))
