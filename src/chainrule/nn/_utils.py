"""Argument helpers of the conv and pooling layers: ``_pair(3) == (3, 3)``."""
from __future__ import annotations

from collections import abc
from itertools import repeat

__all__ = ["_single", "_pair", "_triple", "_reverse_repeat_tuple"]


def _ntuple(n: int, name: str):
    def parse(x) -> tuple:
        if isinstance(x, abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(repeat(x, n))
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")


def _reverse_repeat_tuple(t: tuple, n: int) -> tuple:
    """Reverse ``t`` and repeat each element ``n`` times: (1, 2) -> (2, 2, 1, 1) for n = 2 (the
    order F.pad wants)."""
    return tuple(x for x in reversed(t) for _ in range(n))
