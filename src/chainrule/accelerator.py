"""``torch.accelerator``, for code that picks its device the way the current PyTorch
quickstart does::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() \\
        else "cpu"

chainrule has no accelerator backend yet (CuPy will be one): none is available.
"""
from __future__ import annotations

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """The accelerator device type, or None when there is none (always, for now)."""
    return None


def device_count() -> int:
    return 0
