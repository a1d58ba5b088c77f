"""Distribution: the base class (torch.distributions.Distribution's interface)."""
from __future__ import annotations

from ..autograd import no_grad
from ..backend import np
from ..tensor import Tensor, Size
from . import constraints

__all__ = ["Distribution"]


class Distribution:
    """A family of probability distributions with ``batch_shape`` independent members, each over
    values of ``event_shape``. Samples have shape ``sample_shape + batch_shape + event_shape``.

    With ``validate_args`` (on by default, as in torch; see :meth:`set_default_validate_args`)
    parameters are checked against ``arg_constraints`` at construction, and values passed to
    ``log_prob`` against ``support``; a violation raises ``ValueError``."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = True
    arg_constraints: dict = {}
    support = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for every distribution created afterwards."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args: bool | None = None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for param, constraint in self.arg_constraints.items():
                if constraint is constraints.dependent:
                    continue
                if param not in self.__dict__ and isinstance(
                        getattr(type(self), param, None), _lazy_property):
                    continue  # not given (e.g. probs when logits were): nothing to check
                value = getattr(self, param)
                if not bool(np.all(constraint.check(value))):
                    raise ValueError(
                        f"Expected parameter {param} ({_describe(value)}) of distribution "
                        f"{self!r} to satisfy the constraint {constraint!r}, but found invalid "
                        f"values:\n{value}")

    # ---------------------------------------------------------------- shapes
    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=Size()) -> Size:
        """sample_shape + batch_shape + event_shape."""
        if not isinstance(sample_shape, (tuple, list, Size)):
            raise TypeError(f"{type(self).__name__}.sample: sample_shape must be a tuple or "
                            f"chainrule.Size, got {type(sample_shape).__name__}")
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def expand(self, batch_shape, _instance=None):
        raise NotImplementedError(f"{type(self).__name__}.expand is not implemented")

    # ---------------------------------------------------------------- moments
    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mean is not implemented")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mode is not implemented")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.variance is not implemented")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    # ---------------------------------------------------------------- sampling and densities
    def sample(self, sample_shape=Size()) -> Tensor:
        """A sample (no gradient): rsample under no_grad where there is one."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()) -> Tensor:
        """A reparameterised sample: gradients flow to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample (has_rsample is False)")

    def sample_n(self, n: int) -> Tensor:
        return self.sample(Size((n,)))

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.log_prob is not implemented")

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.cdf is not implemented")

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.icdf is not implemented")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.entropy is not implemented")

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.enumerate_support is not implemented")

    # ---------------------------------------------------------------- checks
    def _validate_sample(self, value) -> None:
        """torch's checks of a value given to log_prob: a Tensor, event shape on the right,
        broadcastable with batch_shape + event_shape, inside the support."""
        if not isinstance(value, Tensor):
            raise ValueError(f"{type(self).__name__}.log_prob: the value argument to log_prob "
                             f"must be a Tensor, got {type(value).__name__}")
        shape = value._data.shape
        n_event = len(self._event_shape)
        if n_event and tuple(shape[len(shape) - n_event:]) != tuple(self._event_shape):
            raise ValueError(f"{type(self).__name__}.log_prob: the right-most size of value "
                             f"must match event_shape: {tuple(shape)} vs "
                             f"{tuple(self._event_shape)}.")
        actual = shape[:len(shape) - n_event] if n_event else shape
        expected = tuple(self._batch_shape)
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"{type(self).__name__}.log_prob: value with shape "
                                 f"{tuple(shape)} is not broadcastable with "
                                 f"batch_shape+event_shape: "
                                 f"{tuple(self._batch_shape) + tuple(self._event_shape)}.")
        support = self.support
        if support is None or support is constraints.dependent:
            return
        if not bool(np.all(support.check(value))):
            raise ValueError(f"Expected value argument ({_describe(value)}) to be within the "
                             f"support ({support!r}) of the distribution {self!r}, but found "
                             f"invalid values:\n{value}")

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        parts = []
        for k in names:
            v = self.__dict__[k]
            if isinstance(v, Tensor) and v._data.size != 1:
                parts.append(f"{k}: {v.size()}")
            else:
                parts.append(f"{k}: {v}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _describe(value) -> str:
    if isinstance(value, Tensor):
        return f"Tensor of shape {tuple(value._data.shape)}"
    return type(value).__name__


class _lazy_property:
    """A property computed once on first access and then stored on the instance (torch's
    ``lazy_property``: probs from logits and the other way round)."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.name = fn.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.fn(instance)
        instance.__dict__[self.name] = value
        return value
