"""CIFAR-style residual networks (He et al. 2016, "Deep Residual Learning for Image Recognition",
section 4.2) and the same networks without shortcuts ("plain" nets).

A residual block computes

    y = relu(F(x) + S(x)),    F(x) = bn2(conv2(relu(bn1(conv1(x))))),

with two 3 x 3 convolutions (no bias; BatchNorm after each) and a shortcut ``S``: the identity
when the block keeps width and resolution, otherwise

* option "A" (the paper's CIFAR nets): ``S(x)`` takes every ``stride``-th pixel of ``x`` and pads
  the new channels with zeros (no parameters);
* option "B": ``S(x) = bn(conv1x1(x, stride))`` (``downsample``, as torchvision names it).

A plain block is ``y = relu(F(x))``: the same layers, no shortcut. Its Jacobian is
``dy/dx = D F'(x)``; the residual block's is ``D (I + F'(x))`` (``D`` the ReLU mask), which is
why gradients pass through deep residual stacks and not through deep plain ones (see
``chainrule.lab.resnet_degradation``).

The network: a 3 x 3 convolution to 16 channels + BatchNorm + ReLU, three stages of ``n`` blocks
with 16, 32 and 64 channels (the first block of stages 2 and 3 has stride 2), global average
pooling and a ``Linear`` to ``num_classes``: ``6 n + 2`` weight layers, so ResNet-20/32/56 have
``n`` = 3, 5, 9. Convolutions are initialised with ``kaiming_normal_(mode="fan_out",
nonlinearity="relu")`` as in torchvision; BatchNorm and Linear keep torch's defaults.

Input (N, in_channels, H, W) with H, W >= 5 (28 x 28 images give 28 -> 14 -> 7); output
(N, num_classes). ``in_channels`` defaults to 1 like the other chainrule models (MNIST-style
data); use ``in_channels=3`` for CIFAR.
"""
from __future__ import annotations

from .. import nn
from ..nn import functional as F
from ..tensor import Tensor

__all__ = ["BasicBlock", "PadShortcut", "ResNet", "resnet20", "resnet32", "resnet56",
           "plain20", "plain32", "plain56"]

SHORTCUTS = ("A", "B")
STAGE_WIDTHS = (16, 32, 64)


class PadShortcut(nn.Module):
    """Option-A shortcut: ``x[:, :, ::stride, ::stride]`` with ``out_channels - in_channels``
    zero channels added, half before and half after (the odd one after); no parameters.

    As a linear map it is a selection: its Jacobian has one 1 per output element that comes
    from the input and zeros elsewhere."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        if out_channels < in_channels:
            raise ValueError(f"PadShortcut: out_channels={out_channels} < in_channels="
                             f"{in_channels}; zero padding can only add channels")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"PadShortcut: expected input (N, {self.in_channels}, H, W), got "
                             f"shape {tuple(x.shape)}")
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        extra = self.out_channels - self.in_channels
        if extra:
            x = F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))
        return x

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}"


class BasicBlock(nn.Module):
    """Two 3 x 3 conv + BatchNorm layers with a ReLU between them and one after the sum:
    ``relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut(x))``.

    ``shortcut``: "A" (zero-pad, default) or "B" (1 x 1 conv + BN) for a block that changes
    width or stride; either way a block that keeps both has the identity shortcut.
    ``residual=False`` makes the plain block ``relu(bn2(conv2(relu(bn1(conv1 x)))))`` (no
    shortcut at all). Submodules: conv1, bn1, conv2, bn2, and for option B ``downsample``
    (``Sequential(Conv2d 1x1, BatchNorm2d)``) or for option A ``shortcut`` (``PadShortcut``)
    where the shape changes."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1, shortcut: str = "A",
                 residual: bool = True) -> None:
        super().__init__()
        if shortcut not in SHORTCUTS:
            raise ValueError(f"BasicBlock: shortcut must be 'A' (zero-pad) or 'B' (1x1 conv), "
                             f"got {shortcut!r}")
        if not (isinstance(stride, int) and stride >= 1):
            raise ValueError(f"BasicBlock: stride must be a positive integer, got {stride!r}")
        self.residual = residual
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample: nn.Module | None = None
        self.shortcut: nn.Module | None = None
        if residual and (stride != 1 or in_planes != planes):
            if shortcut == "A":
                self.shortcut = PadShortcut(in_planes, planes, stride)
            else:
                self.downsample = nn.Sequential(
                    nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                    nn.BatchNorm2d(planes))

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if not self.residual:
            return F.relu(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        elif self.shortcut is not None:
            identity = self.shortcut(x)
        else:
            identity = x
        return F.relu(out + identity)

    def extra_repr(self) -> str:
        return "" if self.residual else "residual=False"


class ResNet(nn.Module):
    """CIFAR-style ResNet with ``6 n + 2`` weight layers (``depth`` = 20, 32, 44, 56, 110, ...):
    ``conv1`` (3 x 3, 16) + ``bn1`` + ReLU, ``layer1``/``layer2``/``layer3`` (``n`` BasicBlocks
    each, 16/32/64 channels, strides 1/2/2), global average pooling, ``fc`` (Linear 64 ->
    num_classes). ``residual=False`` gives the plain net of the same depth; ``shortcut`` picks
    option "A" or "B" for the two blocks that change shape (see the module docstring)."""

    def __init__(self, depth: int = 20, num_classes: int = 10, in_channels: int = 1,
                 shortcut: str = "A", residual: bool = True) -> None:
        super().__init__()
        if not (isinstance(depth, int) and depth >= 8 and (depth - 2) % 6 == 0):
            raise ValueError(f"ResNet: depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, ...), "
                             f"got {depth!r}")
        if shortcut not in SHORTCUTS:
            raise ValueError(f"ResNet: shortcut must be 'A' (zero-pad) or 'B' (1x1 conv), "
                             f"got {shortcut!r}")
        self.depth = depth
        self.residual = residual
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, STAGE_WIDTHS[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(STAGE_WIDTHS[0])
        width = STAGE_WIDTHS[0]
        for i, (planes, stride) in enumerate(zip(STAGE_WIDTHS, (1, 2, 2))):
            blocks = []
            for j in range(n):
                blocks.append(BasicBlock(width, planes, stride if j == 0 else 1, shortcut,
                                         residual))
                width = planes
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def blocks(self) -> list[BasicBlock]:
        """The ``3 n`` BasicBlocks from input to output."""
        return [b for layer in (self.layer1, self.layer2, self.layer3) for b in layer]

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def _factory(depth: int, residual: bool):
    if residual:
        def build(num_classes: int = 10, in_channels: int = 1, shortcut: str = "A") -> ResNet:
            return ResNet(depth, num_classes, in_channels, shortcut, residual=True)
    else:       # a plain net has no shortcut to choose
        def build(num_classes: int = 10, in_channels: int = 1) -> ResNet:
            return ResNet(depth, num_classes, in_channels, residual=False)

    kind = "ResNet" if residual else "plain net (no shortcuts)"
    build.__name__ = build.__qualname__ = f"{'resnet' if residual else 'plain'}{depth}"
    build.__doc__ = (f"The CIFAR-style {kind} with {depth} weight layers "
                     f"(``ResNet(depth={depth}, residual={residual})``).")
    return build


resnet20 = _factory(20, True)
resnet32 = _factory(32, True)
resnet56 = _factory(56, True)
plain20 = _factory(20, False)
plain32 = _factory(32, False)
plain56 = _factory(56, False)
