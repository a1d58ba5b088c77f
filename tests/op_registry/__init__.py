"""The one registry of differentiable ops that the test suite is generated from.

Each ``OpCase`` names a public op, a function ``fn(lib, *tensors)`` written once for both
``chainrule`` and ``torch`` (``lib`` is the module), and generators of valid inputs. From this
table the tests run: gradcheck and gradgradcheck in float64 (tests/ops/test_gradcheck.py), forward
and backward parity with PyTorch in float32 and float64 (tests/ops/test_torch_parity.py), and a
coverage check that every ``Function`` subclass in chainrule.ops is reached by some case.

Input specs (``inputs`` of an OpCase), each turned into a NumPy array by ``make_inputs``:
    F(shape)          float, N(0,1) pushed away from 0 (|x| >= 0.1), requires grad
    P(shape)          float in [0.5, 2] (positive domain: log, sqrt, pow bases), requires grad
    U(shape)          float in [-0.8, 0.8] (asin, acos, atanh ...), requires grad
    I(high, shape)    int64 in [0, high), no grad (indices)
    B(shape)          bool mask, no grad
    K(value)          a constant passed as given (numbers, tuples, arrays): no conversion
    F(shape, grad=False) etc.: a float input that does not require grad
    F(shape, zeros=(i, j)): F with exact zeros at flat indices i, j (ops with special cases at 0)
Family files (elementwise.py, reduction.py, ...) each define ``CASES``; add a module to
``FAMILIES`` below when you add a family.
"""
from __future__ import annotations

import importlib
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Spec:
    kind: str
    shape: tuple = ()
    high: int = 0
    value: Any = None
    grad: bool = True


def F(*shape, grad: bool = True, zeros: tuple = ()) -> Spec:
    return Spec("float", _shape(shape), grad=grad, value=tuple(zeros))


def P(*shape, grad: bool = True) -> Spec:
    return Spec("positive", _shape(shape), grad=grad)


def U(*shape, grad: bool = True) -> Spec:
    return Spec("unit", _shape(shape), grad=grad)


def I(high: int, *shape) -> Spec:  # noqa: E743
    return Spec("int", _shape(shape), high=high, grad=False)


def B(*shape) -> Spec:
    return Spec("bool", _shape(shape), grad=False)


def K(value) -> Spec:
    return Spec("const", value=value, grad=False)


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], tuple):
        return shape[0]
    return tuple(shape)


@dataclass
class OpCase:
    """One test case of one op. ``name`` is unique: 'op' or 'op.variant'."""
    name: str
    fn: Callable[..., Any]
    inputs: tuple
    gradcheck: bool = True          # finite-difference first order (float64)
    gradgradcheck: bool = True      # and second order
    torch: bool = True              # parity with PyTorch
    torch_fn: Callable | None = None  # when torch spells it differently: torch_fn(torch, *ts)
    atol: float = 1e-5              # gradcheck tolerances
    rtol: float = 1e-3
    parity_atol32: float = 1e-5     # forward atol in float32 (gradients use 10x)
    seed: int = 0
    extra: dict = field(default_factory=dict)


def make_inputs(case: OpCase, np_dtype=np.float64):
    """NumPy arrays (or constants) for a case, deterministic per case."""
    rng = np.random.default_rng(zlib.crc32(case.name.encode()) + case.seed)
    out = []
    for s in case.inputs:
        if s.kind == "float":
            x = rng.standard_normal(s.shape)
            x = np.sign(x) * (np.abs(x) + 0.1)
            x = np.where(x == 0, 0.5, x)
            x.flat[list(s.value or ())] = 0
        elif s.kind == "positive":
            x = rng.uniform(0.5, 2.0, s.shape)
        elif s.kind == "unit":
            x = rng.uniform(-0.8, 0.8, s.shape)
        elif s.kind == "int":
            out.append(rng.integers(0, s.high, s.shape).astype(np.int64))
            continue
        elif s.kind == "bool":
            out.append(rng.random(s.shape) < 0.5)
            continue
        else:
            out.append(s.value)
            continue
        out.append(np.asarray(x, dtype=np_dtype))
    return out


def to_lib(lib, case: OpCase, arrays):
    """Tensors of ``lib`` (chainrule or torch) for the arrays; float specs with grad=True
    require grad."""
    ts = []
    for s, a in zip(case.inputs, arrays):
        if s.kind == "const":
            ts.append(a)
            continue
        t = lib.tensor(np.array(a))
        if s.grad and s.kind in ("float", "positive", "unit"):
            t.requires_grad_(True)
        ts.append(t)
    return ts


FAMILIES = ["elementwise", "reduction", "shape", "indexing", "linalg", "loss", "conv", "pool",
            "norm", "nn_misc", "rnn"]


def all_cases() -> list[OpCase]:
    cases = []
    for fam in FAMILIES:
        try:
            mod = importlib.import_module(f"op_registry.{fam}")
        except ModuleNotFoundError as e:
            if e.name != f"op_registry.{fam}":
                raise
            continue
        cases.extend(mod.CASES)
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate case names in the op registry: {sorted(dup)}"
    return cases
