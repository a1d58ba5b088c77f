"""Normal(loc, scale)."""
from __future__ import annotations

import math

from ..autograd import no_grad
from ..tensor import Tensor, Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, standard_normal

__all__ = ["Normal"]


class Normal(Distribution):
    """N(loc, scale^2), elementwise.

    log p(x) = -(x - loc)^2 / (2 scale^2) - log scale - log sqrt(2 pi);
    entropy = 1/2 + log sqrt(2 pi) + log scale;
    rsample = loc + scale * eps with eps ~ N(0, 1), so d x / d loc = 1 and d x / d scale = eps."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, Size(), validate_args)

    def expand(self, batch_shape, _instance=None) -> "Normal":
        batch_shape = Size(batch_shape)
        return Normal(self.loc.expand(batch_shape), self.scale.expand(batch_shape),
                      validate_args=False)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2)

    def sample(self, sample_shape=Size()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()) -> Tensor:
        """loc + scale * eps, eps ~ N(0, 1) from chainrule's global generator."""
        shape = self._extended_shape(sample_shape)
        eps = standard_normal(shape, self.loc._data.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() \
            - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value: Tensor) -> Tensor:
        """1/2 (1 + erf((x - loc) / (scale sqrt 2)))."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + ((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)).erf())

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()
