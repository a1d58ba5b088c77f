"""sigmoid and softplus at the extremes of each float dtype: no overflow warnings, no NaN, and
torch's values (torch, too, gives a sigmoid of 0 where e**-x overflows). Their forwards avoid
np.where for speed, so the extremes are checked here: the registry's random inputs are small."""
import warnings

import numpy as np
import pytest

import chainrule as cr

EXTREMES = [-1e4, -800.0, -710.0, -120.0, -104.0, -90.0, -87.5, -86.0, -30.0, -20.0, -1.0,
            0.0, 1e-8, 1.0, 19.0, 21.0, 30.0, 88.0, 100.0, 800.0, 1e4,
            float("inf"), float("-inf")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_and_softplus_at_the_extremes_match_torch(dtype):
    torch = pytest.importorskip("torch")
    x = np.array(EXTREMES, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no overflow / invalid warnings
        ours = {"sigmoid": cr.sigmoid(cr.from_numpy(x)).numpy(),
                "softplus": cr.nn.functional.softplus(cr.from_numpy(x)).numpy(),
                "softplus_beta": cr.nn.functional.softplus(cr.from_numpy(x), beta=2.0,
                                                           threshold=3.0).numpy()}
    tx = torch.from_numpy(x)
    theirs = {"sigmoid": torch.sigmoid(tx).numpy(),
              "softplus": torch.nn.functional.softplus(tx).numpy(),
              "softplus_beta": torch.nn.functional.softplus(tx, beta=2.0, threshold=3.0).numpy()}
    rtol = 1e-6 if dtype == "float32" else 1e-13
    for name in ours:
        assert ours[name].dtype == x.dtype, name
        assert not np.isnan(ours[name]).any(), name
        np.testing.assert_allclose(ours[name], theirs[name], rtol=rtol, atol=0, err_msg=name)


def test_softplus_threshold_switches_to_the_identity():
    x = cr.tensor([2.0, 2.9, 3.1, 5.0], dtype=cr.float64)
    y = cr.nn.functional.softplus(x, beta=1.0, threshold=3.0)
    expected = [np.log1p(np.exp(2.0)), np.log1p(np.exp(2.9)), 3.1, 5.0]
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-15)


@pytest.mark.parametrize("value", [-100.0, -2.0, 0.0, 3.5, 40.0])
def test_zero_dim_inputs(value):
    x = cr.tensor(value, dtype=cr.float64)
    assert cr.sigmoid(x).item() == pytest.approx(1 / (1 + np.exp(-value)), rel=1e-15)
    assert cr.nn.functional.softplus(x).item() == pytest.approx(
        value if value > 20 else np.log1p(np.exp(value)), rel=1e-15)
    assert cr.sigmoid(x).shape == () and cr.nn.functional.softplus(x).shape == ()
    xg = cr.tensor(value, dtype=cr.float64, requires_grad=True)
    y = cr.nn.functional.leaky_relu(xg, 0.2)
    y.backward()
    assert y.shape == () and y.item() == (value if value > 0 else 0.2 * value)
    assert xg.grad.item() == (1.0 if value > 0 else 0.2)

