"""Dropout: y = x * m / (1 - p) with m ~ Bernoulli(1 - p), elementwise (``dropout``) or one m
per channel (``dropout1d/2d/3d``). The mask is a constant of the graph, so the op is a ``Mul``:
dy/dx = m / (1 - p), and second derivatives come for free. Masks come from chainrule's global
generator (``chainrule.manual_seed``)."""
from __future__ import annotations

import warnings

from ..backend import np
from ..random import rng
from ._util import Tensor, op_error
from .elementwise import Mul

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d"]


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise op_error(ValueError, f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_mask(input: Tensor, mask_shape: tuple, p: float, inplace: bool) -> Tensor:
    """x * m / (1 - p) with m of ``mask_shape`` (broadcast over x); all zeros when p == 1."""
    dt = input._data.dtype
    if p == 1.0:
        mask = np.zeros(mask_shape, dtype=dt)
    else:
        mask = (rng().random(mask_shape) >= p).astype(dt) * dt.type(1.0 / (1.0 - p))
    if inplace:
        return input.mul_(Tensor._make(mask))
    return Mul.apply(input, mask)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the others by 1 / (1 - p) while
    ``training``; the identity (``input`` itself) otherwise or when p == 0."""
    _check_p(p)
    if not isinstance(input, Tensor):
        raise op_error(TypeError, f"dropout: expected a Tensor, got {type(input).__name__}")
    if not training or p == 0.0:
        return input
    return _apply_mask(input, input._data.shape, p, inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, name: str,
                     spatial: int) -> Tensor:
    """Channel-wise dropout of (N, C, *spatial) or unbatched (C, *spatial) inputs: one mask
    value per (sample, channel), shared over the ``spatial`` trailing dims."""
    _check_p(p)
    nd = input.ndim
    if nd not in (spatial + 1, spatial + 2):
        raise op_error(RuntimeError, f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, "
                                     f"but received a {nd}D input {tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    shape = input._data.shape
    mask_shape = shape[:nd - spatial] + (1,) * spatial
    return _apply_mask(input, mask_shape, p, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p``."""
    return _feature_dropout(input, p, training, inplace, "dropout1d", 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) inputs with probability ``p``. A 3-D input is taken
    as (N, C, L) with torch's warning (its current behaviour)."""
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", stacklevel=2)
        return _feature_dropout(input, p, training, inplace, "dropout2d", 1)
    return _feature_dropout(input, p, training, inplace, "dropout2d", 2)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability ``p``."""
    return _feature_dropout(input, p, training, inplace, "dropout3d", 3)
