"""nn.init: gains and fans as torch computes them; every initialiser's distribution checked
statistically (fixed seed, large tensors); the default initialisation of the layers."""
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as cnn
from chainrule.nn import init


def _values(t):
    return t.detach().numpy().ravel().astype(np.float64)


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",),
                                  ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 3),
                                  ("selu",), ("conv_transpose3d",)])
def test_calculate_gain_matches_torch(torch, args):
    assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3, 3), (6, 3, 7)])
def test_fans_match_torch(torch, shape):
    ours = init._calculate_fan_in_and_fan_out(cr.empty(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fan_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(cr.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(cr.empty(3, 3), mode="fan_avg")


def test_uniform_and_normal_statistics():
    cr.manual_seed(0)
    u = _values(init.uniform_(cr.empty(200, 200), -2.0, 3.0))
    assert u.min() >= -2.0 and u.max() < 3.0
    assert u.mean() == pytest.approx(0.5, abs=0.02)
    assert u.std() == pytest.approx(5 / math.sqrt(12), rel=0.01)
    n = _values(init.normal_(cr.empty(200, 200), 1.5, 0.5))
    assert n.mean() == pytest.approx(1.5, abs=0.005)
    assert n.std() == pytest.approx(0.5, rel=0.01)


def test_trunc_normal_stays_in_bounds_with_the_truncated_moments():
    cr.manual_seed(0)
    t = _values(init.trunc_normal_(cr.empty(200, 200), mean=0.0, std=1.0, a=-1.0, b=2.0))
    assert t.min() >= -1.0 and t.max() <= 2.0
    # moments of N(0, 1) truncated to [-1, 2]
    from math import erf, exp, pi, sqrt
    phi = [exp(-x * x / 2) / sqrt(2 * pi) for x in (-1.0, 2.0)]
    z = 0.5 * (erf(2 / sqrt(2)) - erf(-1 / sqrt(2)))
    mean = (phi[0] - phi[1]) / z
    var = 1 + (-1.0 * phi[0] - 2.0 * phi[1]) / z - mean ** 2
    assert t.mean() == pytest.approx(mean, abs=0.01)
    assert t.std() == pytest.approx(math.sqrt(var), rel=0.02)


def test_xavier_and_kaiming_scales():
    cr.manual_seed(1)
    w = cr.empty(300, 200)
    fan_in, fan_out = 200, 300
    xu = _values(init.xavier_uniform_(w, gain=2.0))
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(xu).max() <= bound and np.abs(xu).max() > 0.99 * bound
    assert xu.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    xn = _values(init.xavier_normal_(w))
    assert xn.std() == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.01)
    ku = _values(init.kaiming_uniform_(w, nonlinearity="relu"))
    assert np.abs(ku).max() <= math.sqrt(6 / fan_in)
    assert ku.std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.01)
    kn = _values(init.kaiming_normal_(w, a=0.1, mode="fan_out"))
    assert kn.mean() == pytest.approx(0.0, abs=0.002)
    assert kn.std() == pytest.approx(math.sqrt(2 / (1 + 0.01)) / math.sqrt(fan_out), rel=0.01)
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        init.kaiming_uniform_(cr.empty(0, 3))


def test_constant_eye_dirac_orthogonal():
    np.testing.assert_array_equal(init.constant_(cr.empty(2, 3), 0.5).numpy(), 0.5)
    np.testing.assert_array_equal(init.ones_(cr.empty(4)).numpy(), 1)
    np.testing.assert_array_equal(init.zeros_(cr.empty(4)).numpy(), 0)
    np.testing.assert_array_equal(init.eye_(cr.empty(2, 3)).numpy(), np.eye(2, 3))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(cr.empty(2, 2, 2))
    w = init.dirac_(cr.empty(3, 3, 3, 3))
    x = cr.randn(1, 3, 5, 5)
    np.testing.assert_allclose(cnn.functional.conv2d(x, w, padding=1).numpy(), x.numpy(),
                               atol=1e-6)
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        init.dirac_(cr.empty(3, 3))
    for shape in [(4, 6), (6, 4), (3, 2, 2)]:
        q = init.orthogonal_(cr.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1)
        gram = q @ q.T if shape[0] <= q.shape[1] else q.T @ q
        np.testing.assert_allclose(gram, 4 * np.eye(gram.shape[0]), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        init.orthogonal_(cr.empty(3))


def test_init_in_place_without_graph_and_generator_reproducible():
    p = cnn.Parameter(cr.empty(3, 4))
    out = init.normal_(p, generator=cr.Generator().manual_seed(7))
    assert out is p and p.is_leaf and p.requires_grad and p.grad_fn is None
    again = init.normal_(cr.empty(3, 4), generator=cr.Generator().manual_seed(7))
    np.testing.assert_array_equal(p.detach().numpy(), again.numpy())
    cr.manual_seed(5)
    a = init.kaiming_uniform_(cr.empty(3, 4)).numpy().copy()
    cr.manual_seed(5)
    np.testing.assert_array_equal(init.kaiming_uniform_(cr.empty(3, 4)).numpy(), a)


@pytest.mark.parametrize("make,fan_in", [
    (lambda: cnn.Linear(400, 300), 400),
    (lambda: cnn.Conv2d(8, 200, 5), 8 * 25),
    (lambda: cnn.Conv1d(16, 300, 3), 16 * 3),
    (lambda: cnn.ConvTranspose2d(300, 12, 3), 12 * 9),    # weight (in, out, k, k): fan_in 12*9
    (lambda: cnn.Bilinear(50, 30, 200), 50),
])
def test_default_layer_init_is_torchs_uniform(make, fan_in):
    """torch: weight kaiming_uniform_(a=sqrt(5)) -> U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (Bilinear: both U(+-1/sqrt(in1)))."""
    cr.manual_seed(0)
    m = make()
    bound = 1 / math.sqrt(fan_in)
    for name, p in m.named_parameters():
        v = _values(p)
        assert np.abs(v).max() <= bound, name
        assert np.abs(v).max() > 0.9 * bound, name
        if v.size > 1000:
            assert v.std() == pytest.approx(bound / math.sqrt(3), rel=0.03), name
            assert v.mean() == pytest.approx(0.0, abs=0.02 * bound), name


def test_default_init_of_other_layers():
    cr.manual_seed(0)
    emb = _values(cnn.Embedding(300, 100).weight)
    assert emb.mean() == pytest.approx(0, abs=0.01) and emb.std() == pytest.approx(1, rel=0.01)
    bn = cnn.BatchNorm2d(3)
    assert _values(bn.weight).tolist() == [1, 1, 1] and _values(bn.bias).tolist() == [0, 0, 0]
    assert _values(bn.running_var).tolist() == [1, 1, 1]
    assert _values(cnn.PReLU(2).weight).tolist() == [0.25, 0.25]
    ln = cnn.LayerNorm([2, 3])
    assert ln.weight.shape == (2, 3) and _values(ln.weight).tolist() == [1] * 6
