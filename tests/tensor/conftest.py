"""Fixtures shared by the Tensor API tests: torch (skipped when it is not installed) and a
guard that restores the default dtype."""
import pytest

import chainrule


@pytest.fixture
def torch():
    """PyTorch, for parity checks; the test is skipped when it is not installed."""
    return pytest.importorskip("torch")


@pytest.fixture
def restore_default_dtype():
    """Put the default dtype back after a test that changes it."""
    old = chainrule.get_default_dtype()
    try:
        import torch as _torch
        old_torch = _torch.get_default_dtype()
    except ImportError:
        _torch = old_torch = None
    yield
    chainrule.set_default_dtype(old)
    if _torch is not None:
        _torch.set_default_dtype(old_torch)
