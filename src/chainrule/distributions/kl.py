"""kl_divergence(p, q) = E_p[log p(x) - log q(x)], dispatched on the pair of types through a
registry (``register_kl``), as in torch.distributions.kl."""
from __future__ import annotations

import math
from functools import total_ordering

from ..backend import np
from ..tensor import Tensor
from .bernoulli import Bernoulli
from .categorical import Categorical, OneHotCategorical
from .distribution import Distribution
from .independent import Independent
from .normal import Normal
from .utils import sum_rightmost

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict = {}
_KL_MEMOIZE: dict = {}


def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(Normal, Normal) def kl(p, q): ...``. The most specific
    registered pair (by the types' method resolution orders) is used."""
    if not (isinstance(type_p, type) and issubclass(type_p, Distribution)):
        raise TypeError(f"register_kl: expected type_p to be a Distribution subclass, got "
                        f"{type_p!r}")
    if not (isinstance(type_q, type) and issubclass(type_q, Distribution)):
        raise TypeError(f"register_kl: expected type_q to be a Distribution subclass, got "
                        f"{type_q!r}")

    def decorator(fun):
        _KL_REGISTRY[type_p, type_q] = fun
        _KL_MEMOIZE.clear()
        return fun
    return decorator


@total_ordering
class _Match:
    __slots__ = ["types"]

    def __init__(self, *types):
        self.types = types

    def __eq__(self, other):
        return self.types == other.types

    def __le__(self, other):
        for x, y in zip(self.types, other.types):
            if not issubclass(x, y):
                return False
            if x is not y:
                break
        return True


def _dispatch_kl(type_p, type_q):
    matches = [(sp, sq) for sp, sq in _KL_REGISTRY
               if issubclass(type_p, sp) and issubclass(type_q, sq)]
    if not matches:
        return None
    left_p, left_q = min(_Match(*m) for m in matches).types
    return _KL_REGISTRY[left_p, left_q]


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q), elementwise over the batch shape (summed over the event shape)."""
    key = (type(p), type(q))
    try:
        fun = _KL_MEMOIZE[key]
    except KeyError:
        fun = _dispatch_kl(*key)
        _KL_MEMOIZE[key] = fun
    if fun is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p = {type(p).__name__} "
                                  f"and q = {type(q).__name__}")
    return fun(p, q)


def _infinite_where(cond: np.ndarray, t: Tensor, value: float) -> Tensor:
    from ..ops import where
    if not cond.any():
        return t
    return where(Tensor._make(np.ascontiguousarray(np.broadcast_to(cond, t._data.shape))),
                 float(value), t)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    """1/2 (s_p^2 / s_q^2 + (m_p - m_q)^2 / s_q^2 - 1 - log(s_p^2 / s_q^2))."""
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    """p log(p/q) + (1-p) log((1-p)/(1-q)), in softplus form:
    p (softplus(-l_q) - softplus(-l_p)) + (1-p) (softplus(l_q) - softplus(l_p));
    inf where q puts 0 on an outcome p can take."""
    from ..ops import softplus
    pp, qp = p.probs._data, q.probs._data
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = _infinite_where(np.broadcast_to(qp == 0, t1._data.shape), t1, math.inf)
    t1 = _infinite_where(np.broadcast_to(pp == 0, t1._data.shape), t1, 0.0)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = _infinite_where(np.broadcast_to(qp == 1, t2._data.shape), t2, math.inf)
    t2 = _infinite_where(np.broadcast_to(pp == 1, t2._data.shape), t2, 0.0)
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    """sum_k p_k (log p_k - log q_k); inf where q_k = 0 < p_k, 0 terms where p_k = 0."""
    t = p.probs * (p.logits - q.logits)
    shape = t._data.shape
    t = _infinite_where(np.broadcast_to(q.probs._data == 0, shape), t, math.inf)
    t = _infinite_where(np.broadcast_to(p.probs._data == 0, shape), t, 0.0)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q) -> Tensor:
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    """KL of the bases, summed over the reinterpreted dims."""
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(f"No KL(p || q) is implemented for Independent "
                                  f"distributions with reinterpreted_batch_ndims "
                                  f"{p.reinterpreted_batch_ndims} and "
                                  f"{q.reinterpreted_batch_ndims}")
    result = kl_divergence(p.base_dist, q.base_dist)
    return sum_rightmost(result, p.reinterpreted_batch_ndims)
