"""ExpRelaxedCategorical and RelaxedOneHotCategorical (the Concrete / Gumbel-softmax
distribution), with a straight-through hard sample."""
from __future__ import annotations

import math

from ..backend import np
from ..tensor import Tensor, Size
from . import constraints
from .categorical import Categorical, _OverCategorical
from .distribution import Distribution
from .utils import clamp_probs, uniform

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


def _temperature(temperature, like: Tensor) -> Tensor:
    if isinstance(temperature, Tensor):
        return temperature
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"RelaxedOneHotCategorical: temperature must be a Tensor or a number, "
                        f"got {type(temperature).__name__}")
    return Tensor._make(np.asarray(temperature, dtype=like._data.dtype))


class ExpRelaxedCategorical(_OverCategorical):
    """The log of a RelaxedOneHotCategorical sample: x = log_softmax((logits + g) / t),
    g_k ~ Gumbel(0, 1) iid, t = ``temperature``. Density (Maddison et al., 2017):

    log p(x) = log (K-1)! + (K-1) log t + sum_k (logits_k - t x_k)
               - K logsumexp_k(logits_k - t x_k)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None):
        self._categorical = Categorical(probs, logits)
        self.temperature = _temperature(temperature, self._categorical._param)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args)

    def expand(self, batch_shape, _instance=None) -> "ExpRelaxedCategorical":
        new = super().expand(batch_shape)
        new.temperature = self.temperature
        return new

    def _scores(self, sample_shape) -> Tensor:
        """(logits + g) / temperature with g = -log(-log u), u ~ U[0, 1) (clamped)."""
        shape = self._extended_shape(sample_shape)
        u = clamp_probs(uniform(shape, self.logits._data.dtype))
        gumbels = -((-(u.log())).log())
        return (self.logits + gumbels) / self.temperature

    def rsample(self, sample_shape=Size()) -> Tensor:
        scores = self._scores(sample_shape)
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        K = self._categorical._num_events
        log_scale = math.lgamma(K) + (K - 1) * self.temperature.log()
        score = self.logits - value * self.temperature
        score = (score - score.logsumexp(-1, keepdim=True)).sum(-1)
        return score + log_scale

    def __repr__(self) -> str:
        return f"{type(self).__name__}(temperature: {self.temperature}, " \
               f"logits: {self._param.size()})"


class RelaxedOneHotCategorical(Distribution):
    """A point on the simplex: y = softmax((logits + g) / t), g_k ~ Gumbel(0, 1) iid. As
    t -> 0 samples approach one-hot Categorical samples; gradients flow to logits and t.

    log p(y) = ExpRelaxedCategorical.log_prob(log y) - sum_k log y_k (change of variables
    through exp), as torch computes it.

    ``rsample(sample_shape, hard=True)`` is the straight-through estimator: the forward value
    is one_hot(argmax y), the gradient is that of the soft y."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None):
        self.base_dist = ExpRelaxedCategorical(temperature, probs, logits,
                                               validate_args=validate_args)
        super().__init__(self.base_dist.batch_shape, self.base_dist.event_shape, validate_args)

    def expand(self, batch_shape, _instance=None) -> "RelaxedOneHotCategorical":
        new = type(self).__new__(type(self))
        new.base_dist = self.base_dist.expand(batch_shape)
        Distribution.__init__(new, Size(batch_shape), self.event_shape, validate_args=False)
        return new

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs

    def rsample(self, sample_shape=Size(), hard: bool = False) -> Tensor:
        y = self.base_dist._scores(sample_shape).softmax(-1)
        if not hard:
            return y
        idx = np.argmax(y._data, axis=-1)[..., None]
        y_hard = (idx == np.arange(y._data.shape[-1])).astype(y._data.dtype)
        return Tensor._make(y_hard) - y.detach() + y

    def sample(self, sample_shape=Size(), hard: bool = False) -> Tensor:
        from ..autograd import no_grad
        with no_grad():
            return self.rsample(sample_shape, hard=hard)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        x = value.log()
        return self.base_dist.log_prob(x) - x.sum(-1)

    def __repr__(self) -> str:
        return f"RelaxedOneHotCategorical(temperature: {self.temperature}, " \
               f"logits: {self.base_dist._param.size()})"
