"""Fixtures for the optimizer and scheduler tests: torch (skipped when it is not installed)."""
import pytest


@pytest.fixture
def torch():
    """PyTorch, for parity checks; the test is skipped when it is not installed."""
    return pytest.importorskip("torch")
