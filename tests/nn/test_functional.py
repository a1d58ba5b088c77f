"""nn.functional beyond the registry: torch's signatures, errors of linear/embedding/dropout,
in-place activations, and the conv/pool/norm functions being reachable there."""
import inspect

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F


# (torch's builtins gelu, softplus, prelu, cosine_similarity, pairwise_distance, linear and
# bilinear have no introspectable signature)
@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "silu",
                                  "mish", "hardtanh", "hardsigmoid", "hardswish", "threshold",
                                  "softmax", "log_softmax", "softmin", "embedding", "dropout",
                                  "dropout1d", "dropout2d", "dropout3d", "normalize",
                                  "l1_loss", "mse_loss", "smooth_l1_loss",
                                  "huber_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "kl_div", "nll_loss",
                                  "cross_entropy"])
def test_signatures_match_torch(torch, name):
    ours = inspect.signature(getattr(F, name)).parameters
    theirs = inspect.signature(getattr(torch.nn.functional, name)).parameters
    assert list(ours) == list(theirs)
    for p in theirs:
        assert ours[p].default == theirs[p].default, p


def test_conv_pool_norm_functions_are_exported():
    for name in ["conv1d", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d",
                 "max_unpool2d", "adaptive_avg_pool2d", "batch_norm", "layer_norm",
                 "group_norm", "instance_norm", "interpolate"]:
        assert callable(getattr(F, name)) and name in F.__all__


def test_dropout_identity_cases_and_errors():
    x = cr.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                                         "got -0.1"):
        F.dropout(x, -0.1)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        F.dropout1d(cr.randn(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        y = F.dropout2d(cr.ones(4, 30, 5), 0.5)
    rows = y.numpy()
    assert np.all((rows == 0).all(-1) | (rows == 2).all(-1))
    z = cr.ones(100, 100)
    cr.manual_seed(0)
    out = F.dropout(z, 0.3, inplace=True)
    assert out is z and abs((z.numpy() == 0).mean() - 0.3) < 0.02


def test_dropout_gradient_is_the_scaled_mask():
    x = cr.randn(50, 40, requires_grad=True)
    cr.manual_seed(1)
    y = F.dropout(x, 0.2)
    y.sum().backward()
    mask = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), mask / 0.8, rtol=1e-6)


def test_linear_and_embedding_errors():
    with pytest.raises(RuntimeError, match="linear: weight must be 2-D"):
        F.linear(cr.randn(2, 3), cr.randn(3))
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        F.linear(cr.randn(3), cr.randn(2, 4))
    w = cr.randn(4, 2)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(cr.tensor([0]), w, padding_idx=-5)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(cr.tensor([-1]), w)
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq"):
        F.embedding(cr.tensor([0]), w, scale_grad_by_freq=True)
    assert F.embedding(cr.tensor([[1, 2, 3]]), w).shape == (1, 3, 2)


def test_inplace_activation_on_a_graph_tensor_keeps_gradients_right():
    x = cr.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = (x * 2).tanh()               # tanh saves its output
    out = F.leaky_relu(y, 0.1, inplace=True)
    assert out is y and y.grad_fn is not None
    y.sum().backward()
    t = np.tanh(2 * x.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), 2 * (1 - t ** 2) * np.where(t > 0, 1, 0.1),
                               rtol=1e-6)


def test_activation_argument_errors():
    with pytest.raises(ValueError, match="min_val \\(1\\) cannot be greater than max_val"):
        F.hardtanh(cr.randn(2), 1, 0)
    with pytest.raises(RuntimeError, match="prelu: weight should be a scalar or 1-D"):
        F.prelu(cr.randn(2, 3), cr.ones(1, 3))
    with pytest.raises(TypeError, match="out= is not supported"):
        F.normalize(cr.randn(2, 3), out=cr.empty(2, 3))
