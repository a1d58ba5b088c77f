"""Helpers shared by the distributions: parameter broadcasting, logits <-> probs, noise."""
from __future__ import annotations

from ..backend import np
from ..tensor import Tensor, Size
from ..random import rng

__all__ = ["broadcast_all", "probs_to_logits", "logits_to_probs", "clamp_probs", "sum_rightmost",
           "standard_normal", "uniform"]


def _dtype_of(values):
    for v in values:
        if isinstance(v, Tensor) and v._data.dtype.kind == "f":
            return v._data.dtype
    from ..backend import get_default_dtype
    return get_default_dtype().np_dtype


def broadcast_all(*values) -> tuple:
    """Tensors and numbers -> tensors of one broadcast shape (numbers take the dtype of the first
    floating tensor, else the default dtype); gradients flow back through the broadcast."""
    from ..ops import broadcast_to
    for v in values:
        if not isinstance(v, (Tensor, int, float)) or isinstance(v, bool):
            raise ValueError(f"Input arguments must all be instances of numbers or Tensor, got "
                             f"{type(v).__name__}")
    dt = _dtype_of(values)
    ts = [v if isinstance(v, Tensor) else Tensor._make(np.asarray(v, dtype=dt)) for v in values]
    shape = np.broadcast_shapes(*(t._data.shape for t in ts))
    return tuple(t if t._data.shape == shape else broadcast_to(t, shape) for t in ts)


def finfo(dtype):
    return np.finfo(dtype)


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped to [eps, 1 - eps] (eps of their dtype), so their logs stay finite."""
    eps = float(np.finfo(probs._data.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log p (categorical) or log p - log(1 - p) (binary), with p clamped away from 0 and 1."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid(logits) (binary) or softmax(logits, -1)."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """value summed over its ``dim`` rightmost dims."""
    if dim == 0:
        return value
    return value.sum(tuple(range(-dim, 0)))


def standard_normal(shape, dtype) -> Tensor:
    """N(0, 1) noise from chainrule's global generator (no gradient)."""
    return Tensor._make(rng().standard_normal(tuple(Size(shape))).astype(dtype, copy=False))


def uniform(shape, dtype) -> Tensor:
    """U[0, 1) noise from chainrule's global generator (no gradient)."""
    return Tensor._make(rng().random(tuple(Size(shape))).astype(dtype, copy=False))
