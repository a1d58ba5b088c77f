"""chainrule: a deep-learning framework built from the chain rule up, with PyTorch's API.

    import chainrule as torch
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x ** 2).sum().backward()
    x.grad  # tensor([2., 4.])
"""
from __future__ import annotations

import builtins as _builtins

__version__ = "0.1.0"

from .backend import (dtype, device, float16, float32, float64, int8, int16, int32, int64, uint8,
                      get_default_dtype, set_default_dtype)
from .backend import (memory_format, contiguous_format, channels_last, channels_last_3d,
                      preserve_format)
from .backend import bool_ as bool  # noqa: A001  (torch.bool)
from .tensor import Tensor, Size
from .autograd import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled)
from . import autograd
from .ops import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .backend import promote_types
from .ops._util import result_type
from ._format import set_printoptions, get_printoptions, printoptions
from .random import (Generator, manual_seed, seed, initial_seed, default_generator,
                     get_rng_state, set_rng_state)
from .io import save, load
from ._threads import (get_num_threads, set_num_threads, get_num_interop_threads,
                       set_num_interop_threads)

from .tensor_types import (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor,
                           ShortTensor, CharTensor, ByteTensor, BoolTensor)

half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:
    return input.numel()


def is_floating_point(input) -> bool:
    return input.is_floating_point()


_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """torch's switch for deterministic kernels. chainrule's CPU kernels are deterministic
    already (same seed, same results), so this only records the setting."""
    if not isinstance(mode, (_builtins.bool, _builtins.int)):
        raise TypeError(f"use_deterministic_algorithms(): mode must be a bool, got "
                        f"{type(mode).__name__}")
    _deterministic.update(mode=_builtins.bool(mode), warn_only=_builtins.bool(warn_only))


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic["warn_only"]


def __getattr__(name):
    # subpackages that import heavier things load on first use
    if name in ("viz", "nn", "linalg", "optim", "data", "analysis", "cli", "models", "cuda",
                "utils", "backends", "accelerator", "distributions"):
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    if name == "summary":  # chainrule.summary = chainrule.analysis.summary, loaded on first use
        from .analysis import summary
        return summary
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
