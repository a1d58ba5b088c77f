"""Categorical and OneHotCategorical (probs= or logits=)."""
from __future__ import annotations

from ..autograd import no_grad
from ..backend import np
from ..tensor import Tensor, Size
from . import constraints
from .bernoulli import _one_of
from .distribution import Distribution, _lazy_property
from .utils import logits_to_probs, probs_to_logits, uniform

__all__ = ["Categorical", "OneHotCategorical"]


class Categorical(Distribution):
    """A category in {0, ..., K-1} with probabilities ``probs`` (normalised over the last dim)
    or ``logits`` (normalised with logsumexp: logits - logsumexp(logits)); the last dim is K, the
    rest is the batch shape.

    log p(k) = logits[k];  entropy = -sum_k p_k logits_k;  samples by inverse CDF:
    k = #{j : cumsum(p)_j <= u}, u ~ U[0, 1)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        _one_of(type(self).__name__ if type(self) is Categorical else "Categorical", probs,
                logits)
        given = probs if probs is not None else logits
        name = "probs" if probs is not None else "logits"
        if not isinstance(given, Tensor):
            raise TypeError(f"Categorical: {name} must be a Tensor, got {type(given).__name__}")
        if given.dim() < 1:
            raise ValueError(f"Categorical: `{name}` parameter must be at least one-dimensional, "
                             f"got shape {tuple(given.shape)}")
        if probs is not None:
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], Size(), validate_args)

    def expand(self, batch_shape, _instance=None) -> "Categorical":
        shape = Size(batch_shape) + (self._num_events,)
        if "probs" in self.__dict__:
            return type(self)(probs=self.probs.expand(shape), validate_args=False)
        return type(self)(logits=self.logits.expand(shape), validate_args=False)

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @_lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @_lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> Size:
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        return Tensor._make(np.full(tuple(self.batch_shape), np.nan,
                                    dtype=self._param._data.dtype))

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return self.mean

    def sample(self, sample_shape=Size()) -> Tensor:
        """Indices (int64) by inverse CDF with u ~ U[0, 1) from chainrule's global generator."""
        shape = self._extended_shape(sample_shape)
        with no_grad():
            p = self.probs._data
            cdf = np.cumsum(p, axis=-1)
            cdf = cdf / cdf[..., -1:]  # exact 1 at the end
            u = uniform(tuple(shape) + (1,), p.dtype)._data
            idx = (np.broadcast_to(cdf, tuple(shape) + (self._num_events,)) <= u).sum(-1)
            return Tensor._make(np.minimum(idx, self._num_events - 1).astype(np.int64))

    def log_prob(self, value: Tensor) -> Tensor:
        """logits gathered at ``value`` (broadcast against the batch shape)."""
        if self._validate_args:
            self._validate_sample(value)
        idx = value._data.astype(np.int64)
        batch = np.broadcast_shapes(idx.shape, tuple(self.batch_shape))
        logits = self.logits
        if tuple(logits.shape[:-1]) != batch:
            logits = logits.expand(*batch, self._num_events)
        index = Tensor._make(np.ascontiguousarray(np.broadcast_to(idx, batch))[..., None])
        return logits.gather(-1, index).squeeze(-1)

    def entropy(self) -> Tensor:
        """-sum p log p (logits clamped at the dtype's min so that p = 0 gives 0, not nan)."""
        min_real = float(np.finfo(self.logits._data.dtype).min)
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = np.arange(self._num_events, dtype=np.int64).reshape(
            (-1,) + (1,) * len(self.batch_shape))
        if expand:
            values = np.broadcast_to(values, (self._num_events,) + tuple(self.batch_shape))
        return Tensor._make(np.ascontiguousarray(values))


class _OverCategorical(Distribution):
    """Base of the distributions whose parameters are those of a Categorical they hold as
    ``_categorical`` (OneHotCategorical, ExpRelaxedCategorical): ``probs``, ``logits``,
    ``param_shape`` and ``expand`` go to it."""

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self))
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, Size(batch_shape), self.event_shape, validate_args=False)
        return new

    @property
    def _param(self) -> Tensor:
        return self._categorical._param

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> Size:
        return self._categorical.param_shape


class OneHotCategorical(_OverCategorical):
    """Categorical with values as one-hot vectors of length K (event_shape (K,)).

    log p(x) = logits[argmax x];  mean = probs;  variance = probs (1 - probs)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        _one_of("OneHotCategorical", probs, logits)
        self._categorical = Categorical(probs, logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args)

    @property
    def mean(self) -> Tensor:
        return self._categorical.probs

    @property
    def mode(self) -> Tensor:
        from ..ops import one_hot
        return one_hot(self._categorical.mode, self.event_shape[-1]).to(self.probs.dtype)

    @property
    def variance(self) -> Tensor:
        return self._categorical.probs * (1 - self._categorical.probs)

    def sample(self, sample_shape=Size()) -> Tensor:
        from ..ops import one_hot
        with no_grad():
            idx = self._categorical.sample(sample_shape)
            return one_hot(idx, self.event_shape[-1]).to(self.probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        indices = Tensor._make(np.argmax(value._data, axis=-1).astype(np.int64))
        return self._categorical.log_prob(indices)

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        n = self.event_shape[0]
        values = np.eye(n, dtype=self._param._data.dtype).reshape(
            (n,) + (1,) * len(self.batch_shape) + (n,))
        if expand:
            values = np.broadcast_to(values, (n,) + tuple(self.batch_shape) + (n,))
        return Tensor._make(np.ascontiguousarray(values))

    def __repr__(self) -> str:
        c = self._categorical
        k = "probs" if "probs" in c.__dict__ and c._param is c.__dict__["probs"] else "logits"
        return f"OneHotCategorical({k}: {c._param.size()})"
