"""Shared fixtures of the chainrule.nn tests: torch (skipped when it is not installed) and
helpers that copy a torch module's state into a chainrule module and compare results."""
import numpy as np
import pytest


@pytest.fixture
def torch():
    """PyTorch, for parity checks; the test is skipped when it is not installed."""
    return pytest.importorskip("torch")


def torch_state_as_numpy(torch_module) -> dict:
    """A torch module's state_dict with every tensor converted by ``.detach().numpy()``."""
    return {k: v.detach().numpy() for k, v in torch_module.state_dict().items()}


@pytest.fixture
def numpy_state():
    """``numpy_state(torch_module)``: its state_dict as NumPy arrays."""
    return torch_state_as_numpy


@pytest.fixture
def load_from_torch():
    """``load_from_torch(cr_module, torch_module)``: copy torch's parameters and buffers in
    through ``load_state_dict`` (strict), as a user would."""
    def load(cr_module, torch_module):
        result = cr_module.load_state_dict(torch_state_as_numpy(torch_module))
        assert not result.missing_keys and not result.unexpected_keys
        return cr_module
    return load


@pytest.fixture
def assert_close():
    """``assert_close(chainrule_tensor, torch_tensor, atol, rtol)`` on their values."""
    def check(c, t, atol=1e-5, rtol=1e-5, msg=""):
        assert tuple(c.shape) == tuple(t.shape), f"{msg}: shape {tuple(c.shape)} vs torch " \
                                                 f"{tuple(t.shape)}"
        np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), atol=atol,
                                   rtol=rtol, err_msg=msg)
    return check
