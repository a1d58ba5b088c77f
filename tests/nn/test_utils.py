"""nn.utils: gradient clipping against torch, parameters <-> vector."""
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as cnn
from chainrule.nn.utils import (clip_grad_norm_, clip_grad_value_, parameters_to_vector,
                                vector_to_parameters, get_total_norm)


def _model_pair(torch, load_from_torch, scale: float):
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    c = load_from_torch(cnn.Sequential(cnn.Linear(4, 5), cnn.Tanh(), cnn.Linear(5, 3)), t)
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32) * scale
    (t(torch.tensor(x)) ** 2).sum().backward()
    (c(cr.tensor(x)) ** 2).sum().backward()
    return c, t


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 0.5, 3])
@pytest.mark.parametrize("max_norm", [0.1, 1e4])
def test_clip_grad_norm_matches_torch(torch, load_from_torch, norm_type, max_norm):
    c, t = _model_pair(torch, load_from_torch, 3.0)
    c_total = clip_grad_norm_(c.parameters(), max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t.parameters(), max_norm, norm_type)
    assert c_total.dtype == cr.float32 and c_total.shape == ()
    assert c_total.item() == pytest.approx(t_total.item(), rel=1e-5)
    for (name, cp), tp in zip(c.named_parameters(), t.parameters()):
        np.testing.assert_allclose(cp.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-7,
                                   err_msg=name)
    clipped = get_total_norm([p.grad for p in c.parameters()], norm_type).item()
    assert clipped == pytest.approx(min(max_norm, c_total.item()), rel=1e-4)


def test_clip_grad_norm_edge_cases():
    p = cnn.Parameter(cr.tensor([3.0, 4.0]))
    assert clip_grad_norm_(p, 1.0).item() == 0.0             # no gradients yet
    p.grad = cr.tensor([3.0, 4.0])
    assert clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    p.grad = cr.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert np.isnan(clip_grad_norm_([p], 1.0).item())


def test_clip_grad_value_matches_torch(torch, load_from_torch):
    c, t = _model_pair(torch, load_from_torch, 3.0)
    clip_grad_value_(c.parameters(), 0.5)
    torch.nn.utils.clip_grad_value_(t.parameters(), 0.5)
    for cp, tp in zip(c.parameters(), t.parameters()):
        np.testing.assert_allclose(cp.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)
        assert np.abs(cp.grad.numpy()).max() <= 0.5


def test_parameters_to_vector_and_back():
    m = cnn.Sequential(cnn.Linear(2, 3), cnn.Linear(3, 1))
    vec = parameters_to_vector(m.parameters())
    assert vec.shape == (6 + 3 + 3 + 1,)
    np.testing.assert_array_equal(vec[:6].detach().numpy(),
                                  m[0].weight.detach().numpy().ravel())
    vec.sum().backward()                                     # differentiable
    np.testing.assert_array_equal(m[1].bias.grad.numpy(), [1.0])
    new = cr.arange(13.0)
    vector_to_parameters(new, m.parameters())
    np.testing.assert_array_equal(m[0].bias.detach().numpy(), [6.0, 7.0, 8.0])
    assert m[1].weight.shape == (1, 3) and isinstance(m[1].weight, cnn.Parameter)
    with pytest.raises(TypeError, match="expected chainrule.Tensor, but got: list"):
        vector_to_parameters([1.0], m.parameters())
    with pytest.raises(RuntimeError, match="does not hold the 13 values"):
        vector_to_parameters(cr.zeros(5), m.parameters())
