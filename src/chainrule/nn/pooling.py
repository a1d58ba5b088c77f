"""Pooling layers over ``chainrule.nn.functional``'s pooling ops, with torch's arguments and
reprs: max / average pooling (1-D, 2-D), max unpooling, adaptive average / max pooling."""
from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from ._utils import _single, _pair
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxUnpool1d", "MaxUnpool2d", "AvgPool1d", "AvgPool2d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d"]


class _MaxPoolNd(Module):
    """The maximum of each ``kernel_size`` window (stride defaults to the kernel size); with
    ``return_indices`` also the flat positions of the maxima (for max unpooling). ``pool`` is
    the functional form."""

    pool = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor):
        return type(self).pool(input, self.kernel_size, self.stride, self.padding, self.dilation,
                               ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max pooling of (N, C, L) or (C, L) inputs."""

    @staticmethod
    def pool(*args, **kwargs):
        return F.max_pool1d(*args, **kwargs)


class MaxPool2d(_MaxPoolNd):
    """Max pooling of (N, C, H, W) or (C, H, W) inputs."""

    @staticmethod
    def pool(*args, **kwargs):
        return F.max_pool2d(*args, **kwargs)


class _MaxUnpoolNd(Module):
    """The inverse of max pooling: each value goes back to the position its index names,
    zeros elsewhere. ``unpool`` is the functional form, ``ntuple`` the argument normaliser."""

    ntuple = None
    unpool = None

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        nt = type(self).ntuple
        self.kernel_size = nt(kernel_size)
        self.stride = nt(stride if stride is not None else kernel_size)
        self.padding = nt(padding)

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return type(self).unpool(input, indices, self.kernel_size, self.stride, self.padding,
                                 output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The inverse of ``MaxPool1d``."""

    ntuple = staticmethod(_single)

    @staticmethod
    def unpool(*args):
        return F.max_unpool1d(*args)


class MaxUnpool2d(_MaxUnpoolNd):
    """The inverse of ``MaxPool2d``."""

    ntuple = staticmethod(_pair)

    @staticmethod
    def unpool(*args):
        return F.max_unpool2d(*args)


class AvgPool1d(Module):
    """The mean of each ``kernel_size`` window of (N, C, L) inputs."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """The mean of each ``kernel_size`` window of (N, C, H, W) inputs (stride defaults to the
    kernel size)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptiveAvgPoolNd(Module):
    """Average pooling to a fixed ``output_size`` whatever the input size (``None`` in it keeps
    that input size). ``pool`` is the functional form."""

    pool = None

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return type(self).pool(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling of (N, C, L) inputs."""

    @staticmethod
    def pool(*args):
        return F.adaptive_avg_pool1d(*args)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling of (N, C, H, W) inputs."""

    @staticmethod
    def pool(*args):
        return F.adaptive_avg_pool2d(*args)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling of (N, C, D, H, W) inputs."""

    @staticmethod
    def pool(*args):
        return F.adaptive_avg_pool3d(*args)


class _AdaptiveMaxPoolNd(Module):
    """Max pooling to a fixed ``output_size`` (with ``return_indices``, also the maxima's
    positions). ``pool`` is the functional form."""

    pool = None

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return type(self).pool(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Adaptive max pooling of (N, C, L) inputs."""

    @staticmethod
    def pool(*args):
        return F.adaptive_max_pool1d(*args)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Adaptive max pooling of (N, C, H, W) inputs."""

    @staticmethod
    def pool(*args):
        return F.adaptive_max_pool2d(*args)
