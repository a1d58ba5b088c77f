"""Image transforms with torchvision's names: plain callables that take an image (a NumPy array
or a Tensor) and return a Tensor.

``ToTensor`` turns one uint8 image (H, W) or (H, W, C) into float32 (C, H, W) in [0, 1].
``Normalize``, ``RandomCrop`` and ``RandomHorizontalFlip`` work on tensors of shape
(..., C, H, W) or (..., H, W), so they apply to a whole batch at once (one random crop offset
and one coin flip per call, as torchvision does on batched tensors). Random choices come from
the global generator (``chainrule.manual_seed``)."""
from __future__ import annotations

import numbers
from typing import Callable, Sequence

from ..backend import np
from ..creation import tensor
from ..random import rng
from ..tensor import Tensor

__all__ = ["Compose", "Lambda", "ToTensor", "Normalize", "RandomCrop", "RandomHorizontalFlip"]


def _array(img, name: str):
    """The array of a Tensor or NumPy image; TypeError for anything else."""
    if isinstance(img, Tensor):
        return img._data
    if isinstance(img, np.ndarray):
        return img
    raise TypeError(f"{name}: expected an image as a Tensor or a NumPy array, got "
                    f"{type(img).__name__}")


class Compose:
    """Apply ``transforms`` one after another: ``Compose([ToTensor(), Normalize(m, s)])``."""

    def __init__(self, transforms: Sequence[Callable]):
        for k, t in enumerate(transforms):
            if not callable(t):
                raise TypeError(f"Compose: transform {k} is not callable: {t!r}")
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class Lambda:
    """A user function as a transform: ``Lambda(lambda x: x.flatten())``."""

    def __init__(self, lambd: Callable):
        if not callable(lambd):
            raise TypeError(f"Lambda: Argument lambd should be callable, got "
                            f"{type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


class ToTensor:
    """An image (H, W) or (H, W, C) as a tensor (C, H, W). uint8 values are scaled to float32
    in [0, 1] (x / 255); other dtypes keep their values and dtype, as torchvision does."""

    def __call__(self, pic) -> Tensor:
        a = _array(pic, "ToTensor")
        if a.ndim not in (2, 3):
            raise ValueError(f"ToTensor: pic should be 2/3 dimensional (H, W) or (H, W, C). Got "
                             f"{a.ndim} dimensions, shape {a.shape}")
        chw = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
        if chw.dtype == np.uint8:
            return Tensor._make(np.divide(chw, np.float32(255), dtype=np.float32))
        return Tensor._make(np.ascontiguousarray(chw))

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """Per-channel standardisation of a float tensor (..., C, H, W):
    ``out[c] = (x[c] - mean[c]) / std[c]``. Written in tensor ops, so it is differentiable."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean = [float(m) for m in np.atleast_1d(mean)]
        self.std = [float(s) for s in np.atleast_1d(std)]
        if len(self.mean) != len(self.std):
            raise ValueError(f"Normalize: mean has {len(self.mean)} values but std has "
                             f"{len(self.std)}")
        self.inplace = inplace

    def __call__(self, t: Tensor) -> Tensor:
        if not isinstance(t, Tensor):
            raise TypeError(f"Normalize: img should be a Tensor. Got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"Normalize: Input tensor should be a float tensor. Got {t.dtype}.")
        if t.ndim < 3:
            raise ValueError(f"Normalize: Expected tensor to be a tensor image of size "
                             f"(..., C, H, W). Got tensor.size() = {tuple(t.shape)}")
        channels = t.shape[-3]
        if len(self.mean) not in (1, channels):
            raise ValueError(f"Normalize: {len(self.mean)} means/stds for an image with "
                             f"{channels} channels (shape {tuple(t.shape)})")
        mean = tensor(self.mean, dtype=t.dtype).reshape(-1, 1, 1)
        std = tensor(self.std, dtype=t.dtype).reshape(-1, 1, 1)
        if bool((std == 0).any()):
            raise ValueError(f"Normalize: std evaluated to zero after conversion to {t.dtype}, "
                             f"leading to division by zero.")
        if self.inplace:
            return t.sub_(mean).div_(std)
        return (t - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


def _pair(size, name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) in (1, 2):
        return (int(size[0]), int(size[-1]))
    raise ValueError(f"{name}: size should be an int or a sequence of one or two ints, got "
                     f"{size!r}")


def _padding(padding, name: str) -> tuple[int, int, int, int]:
    """torchvision's padding argument as (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * 4
    if isinstance(padding, Sequence) and len(padding) == 1:
        return (int(padding[0]),) * 4
    if isinstance(padding, Sequence) and len(padding) == 2:
        return (int(padding[0]), int(padding[1])) * 2
    if isinstance(padding, Sequence) and len(padding) == 4:
        return tuple(int(p) for p in padding)
    raise ValueError(f"{name}: padding should be an int or a sequence of 1, 2 or 4 ints, got "
                     f"{padding!r}")


class RandomCrop:
    """A random ``size`` window of the last two dims, after padding each side by ``padding``
    (int: all sides; (lr, tb); or (left, top, right, bottom)) with ``fill`` in
    ``padding_mode`` 'constant', 'edge', 'reflect' or 'symmetric'. ``pad_if_needed`` pads an
    image smaller than ``size`` up to it. Not differentiable (data augmentation)."""

    _MODES = ("constant", "edge", "reflect", "symmetric")

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant"):
        self.size = _pair(size, "RandomCrop")
        self.padding = None if padding is None else _padding(padding, "RandomCrop")
        if padding_mode not in self._MODES:
            raise ValueError(f"RandomCrop: padding_mode should be one of {self._MODES}, got "
                             f"{padding_mode!r}")
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def _pad(self, a, left: int, top: int, right: int, bottom: int):
        widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
        if self.padding_mode == "constant":
            return np.pad(a, widths, mode="constant", constant_values=self.fill)
        return np.pad(a, widths, mode=self.padding_mode)

    def __call__(self, img) -> Tensor:
        a = _array(img, "RandomCrop")
        if a.ndim < 2:
            raise ValueError(f"RandomCrop: expected an image (..., H, W), got shape {a.shape}")
        if self.padding is not None:
            a = self._pad(a, *self.padding)
        th, tw = self.size
        if self.pad_if_needed:
            dh, dw = max(th - a.shape[-2], 0), max(tw - a.shape[-1], 0)
            if dh or dw:
                a = self._pad(a, dw, dh, dw, dh)
        h, w = a.shape[-2:]
        if th > h or tw > w:
            raise ValueError(f"RandomCrop: Required crop size {(th, tw)} is larger than input "
                             f"image size {(h, w)}")
        gen = rng()
        i = int(gen.integers(0, h - th + 1))
        j = int(gen.integers(0, w - tw + 1))
        return Tensor._make(np.ascontiguousarray(a[..., i:i + th, j:j + tw]))

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror the last dim (left <-> right) with probability ``p``."""

    def __init__(self, p: float = 0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p should be a probability in [0, 1], got "
                             f"{p}")
        self.p = p

    def __call__(self, img) -> Tensor:
        a = _array(img, "RandomHorizontalFlip")
        if a.ndim < 2:
            raise ValueError(f"RandomHorizontalFlip: expected an image (..., H, W), got shape "
                             f"{a.shape}")
        if rng().random() < self.p:
            return Tensor._make(np.ascontiguousarray(a[..., ::-1]))
        return img if isinstance(img, Tensor) else Tensor._make(a)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"
