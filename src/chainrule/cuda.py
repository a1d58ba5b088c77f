"""``torch.cuda``'s queries, for code that picks its device the usual way::

    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

chainrule runs on NumPy; its CuPy (CUDA) backend is not implemented yet, so no CUDA device is
available: ``is_available()`` is False and ``device_count()`` is 0. As in torch on a machine
without CUDA, seeding is silently ignored and ``empty_cache`` does nothing, while calls that need
a device (``current_device``, ``set_device``, ``synchronize``, ``get_device_name``) raise.
"""
from __future__ import annotations

from .backend import check_device

__all__ = ["is_available", "device_count", "is_initialized", "manual_seed", "manual_seed_all",
           "seed", "seed_all", "empty_cache", "current_device", "set_device", "synchronize",
           "get_device_name"]


def is_available() -> bool:
    """Whether a CUDA device can be used: always False until the CuPy backend lands."""
    return False


def device_count() -> int:
    """The number of usable CUDA devices: 0."""
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Seed the (absent) CUDA generators: ignored, as torch does without CUDA."""


def manual_seed_all(seed: int) -> None:
    """Seed every (absent) CUDA generator: ignored, as torch does without CUDA."""


def seed() -> None:
    """Ignored without CUDA."""


def seed_all() -> None:
    """Ignored without CUDA."""


def empty_cache() -> None:
    """Release cached device memory: nothing to release."""


def _no_device(op: str):
    check_device("cuda", f"chainrule.cuda.{op}")   # raises: names the op and the missing backend


def current_device() -> int:
    _no_device("current_device")


def set_device(device) -> None:
    _no_device("set_device")


def synchronize(device=None) -> None:
    _no_device("synchronize")


def get_device_name(device=None) -> str:
    _no_device("get_device_name")
