"""Bernoulli(probs= or logits=)."""
from __future__ import annotations

from ..autograd import no_grad
from ..backend import np
from ..tensor import Tensor, Size
from . import constraints
from .distribution import Distribution, _lazy_property
from .utils import broadcast_all, logits_to_probs, probs_to_logits, uniform

__all__ = ["Bernoulli"]


def _one_of(name, probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: Either `probs` or `logits` must be specified, but not both.")


class Bernoulli(Distribution):
    """1 with probability p = probs = sigmoid(logits), else 0.

    log p(x) = x log p + (1 - x) log(1 - p) = -BCEWithLogits(logits, x)
             = x * logits - softplus(logits)  (stable for any logit);
    entropy = BCEWithLogits(logits, p)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        _one_of("Bernoulli", probs, logits)
        if probs is not None:
            is_scalar = not isinstance(probs, Tensor)
            (self.probs,) = broadcast_all(probs)
            param = self.probs
        else:
            is_scalar = not isinstance(logits, Tensor)
            (self.logits,) = broadcast_all(logits)
            param = self.logits
        self._param = param
        super().__init__(Size() if is_scalar else param.shape, Size(), validate_args)

    def expand(self, batch_shape, _instance=None) -> "Bernoulli":
        batch_shape = Size(batch_shape)
        if "probs" in self.__dict__:
            return Bernoulli(probs=self.probs.expand(batch_shape), validate_args=False)
        return Bernoulli(logits=self.logits.expand(batch_shape), validate_args=False)

    @_lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @_lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        p = self.probs
        m = (p._data >= 0.5).astype(p._data.dtype)
        m[p._data == 0.5] = np.nan
        return Tensor._make(m)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()) -> Tensor:
        """1 where u < p, u ~ U[0, 1) from chainrule's global generator."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            p = np.broadcast_to(self.probs._data, shape)
            u = uniform(shape, p.dtype)._data
            return Tensor._make((u < p).astype(p.dtype))

    def log_prob(self, value: Tensor) -> Tensor:
        from ..ops.loss import binary_cross_entropy_with_logits
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        from ..ops.loss import binary_cross_entropy_with_logits
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = np.arange(2, dtype=self._param._data.dtype).reshape(
            (-1,) + (1,) * len(self.batch_shape))
        if expand:
            values = np.broadcast_to(values, (2,) + tuple(self.batch_shape))
        return Tensor._make(np.ascontiguousarray(values))
