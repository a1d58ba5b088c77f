"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d`` over
``chainrule.nn.functional``'s conv ops, with torch's arguments, parameter shapes and default
initialisation (weight: kaiming_uniform_ with a = sqrt(5), i.e. U(-1/sqrt(fan_in),
1/sqrt(fan_in)); bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)))."""
from __future__ import annotations

import math

from ..creation import empty
from ..tensor import Tensor
from . import functional as F, init
from ._utils import _single, _pair, _triple, _reverse_repeat_tuple
from .module import Module
from .parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_STRINGS = {"same", "valid"}
_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class _ConvNd(Module):
    """What every conv layer shares: argument checks, the parameters and their initialisation,
    the repr. ``weight`` is (out, in / groups, *kernel), or (in, out / groups, *kernel) when
    ``transposed``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple, stride: tuple,
                 padding, dilation: tuple, transposed: bool, output_padding: tuple, groups: int,
                 bias: bool, padding_mode: str, device=None, dtype=None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in _PADDING_STRINGS:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{_PADDING_STRINGS}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._pad_widths(padding)
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups)) + tuple(kernel_size)
        self.weight = Parameter(empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _pad_widths(self, padding) -> tuple:
        """F.pad's widths (last dim first) for a padding_mode other than 'zeros'."""
        if not isinstance(padding, str):
            return _reverse_repeat_tuple(padding, 2)
        widths = [0, 0] * len(self.kernel_size)
        if padding == "same":
            for i, (d, k) in enumerate(zip(self.dilation, self.kernel_size)):
                total = d * (k - 1)
                j = len(self.kernel_size) - 1 - i
                widths[2 * j], widths[2 * j + 1] = total // 2, total - total // 2
        return tuple(widths)

    def reset_parameters(self) -> None:
        """torch's default initialisation (see the module docstring)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """A (non-transposed) convolution over ``ndim`` spatial dims; ``conv`` is its functional
    form. padding_mode 'reflect' / 'replicate' / 'circular' pads with F.pad first."""

    conv = None
    ntuple = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        nt = type(self).ntuple
        super().__init__(in_channels, out_channels, nt(kernel_size), nt(stride),
                         padding if isinstance(padding, str) else nt(padding), nt(dilation),
                         False, nt(0), groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        conv = type(self).conv
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, weight, bias, self.stride, type(self).ntuple(0), self.dilation,
                        self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution: (N, C_in, L) -> (N, C_out, L_out)."""

    ntuple = staticmethod(_single)

    @staticmethod
    def conv(*args):
        return F.conv1d(*args)


class Conv2d(_Conv):
    """2-D convolution: (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""

    ntuple = staticmethod(_pair)

    @staticmethod
    def conv(*args):
        return F.conv2d(*args)


class Conv3d(_Conv):
    """3-D convolution: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out)."""

    ntuple = staticmethod(_triple)

    @staticmethod
    def conv(*args):
        return F.conv3d(*args)


class _ConvTransposeNd(_ConvNd):
    """A transposed convolution (the gradient of a convolution w.r.t. its input):
    L_out = (L - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1 per spatial
    dim. ``forward(input, output_size)`` picks the output_padding that gives ``output_size``.
    ``conv_transpose`` is the functional form."""

    ntuple = None
    conv_transpose = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f'{type(self).__name__}')
        nt = type(self).ntuple
        super().__init__(in_channels, out_channels, nt(kernel_size), nt(stride), nt(padding),
                         nt(dilation), True, nt(output_padding), groups, bias, padding_mode,
                         device, dtype)

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        n_spatial = len(self.kernel_size)
        n_lead = 2 if input.dim() == n_spatial + 2 else 1
        output_size = list(output_size)
        if len(output_size) == n_lead + n_spatial:
            output_size = output_size[n_lead:]
        if len(output_size) != n_spatial:
            raise ValueError(f"ConvTranspose{n_spatial}D: for {input.dim()}D input, output_size "
                             f"must have {n_spatial} or {n_lead + n_spatial} elements (got "
                             f"{len(output_size)})")
        min_sizes = [(input.size(d + n_lead) - 1) * self.stride[d] - 2 * self.padding[d]
                     + self.dilation[d] * (self.kernel_size[d] - 1) + 1
                     for d in range(n_spatial)]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                                 f"range from {min_sizes} to {max_sizes} (for an input of "
                                 f"{input.shape[n_lead:]})")
        return tuple(s - m for s, m in zip(output_size, min_sizes))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return type(self).conv_transpose(input, self.weight, self.bias, self.stride,
                                         self.padding, output_padding, self.groups,
                                         self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: (N, C_in, L) -> (N, C_out, L_out)."""

    ntuple = staticmethod(_single)

    @staticmethod
    def conv_transpose(*args):
        return F.conv_transpose1d(*args)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution: (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""

    ntuple = staticmethod(_pair)

    @staticmethod
    def conv_transpose(*args):
        return F.conv_transpose2d(*args)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out)."""

    ntuple = staticmethod(_triple)

    @staticmethod
    def conv_transpose(*args):
        return F.conv_transpose3d(*args)
