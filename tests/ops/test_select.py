"""``ops._util.select``: np.where's result, bit for bit, through a branchless bitwise select on
large operands (np.where branches per element and is ~25x slower than an add on masks without
long runs). The registry's cases are too small to reach it, so these use >= 4096 elements."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.ops._util import select

SHAPES = [((64, 100), (64, 100), (64, 100)),        # same shapes
          ((64, 100), (100,), ()),                  # a broadcast row and a scalar
          ((64, 1), (1, 100), (64, 100)),           # everything broadcast
          ((100,), (64, 100), (64, 1))]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64,
                                   np.uint8, np.bool_])
@pytest.mark.parametrize("shapes", SHAPES)
def test_select_is_np_where(dtype, shapes):
    rng = np.random.default_rng(0)
    sc, sa, sb = shapes
    cond = rng.random(sc) > 0.5
    a = (rng.standard_normal(sa) * 50).astype(dtype)
    b = (rng.standard_normal(sb) * 50).astype(dtype) if sb else dtype(3)
    got, want = select(cond, a, b), np.where(cond, a, b)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want)


def test_select_keeps_every_bit():
    a = np.array([np.nan, -0.0, np.inf, -np.inf, 1e-45, 3.0] * 1000, np.float32)
    a[0] = np.frombuffer(np.uint32(0x7fc00123).tobytes(), np.float32)[0]   # a NaN payload
    b = np.full_like(a, 7.0)
    cond = np.arange(a.size) % 3 != 0
    got = select(cond, a, b)
    want = np.where(cond, a, b)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_mixed_dtypes_promote_like_np_where():
    cond = np.arange(5000) % 2 == 0
    got = select(cond, np.arange(5000, dtype=np.int32), np.float64(0.5))
    assert got.dtype == np.float64
    assert np.array_equal(got, np.where(cond, np.arange(5000, dtype=np.int32), 0.5))


def test_large_where_elu_xlogy_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((50, 200)).astype(np.float32)
    y = rng.random((50, 200)).astype(np.float32)
    x[::7] = 0
    for fn in (lambda m, a, b: m.where(a > 0, a, b), lambda m, a, b: m.nn.functional.elu(a),
               lambda m, a, b: m.xlogy(a, b)):        # xlogy: x = 0 rows, gradient log(y)
        ca, cb = cr.tensor(x, requires_grad=True), cr.tensor(y, requires_grad=True)
        ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
        c_out, t_out = fn(cr, ca, cb), fn(torch, ta, tb)
        np.testing.assert_allclose(c_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-6,
                                   atol=1e-7)
        c_out.sum().backward()
        t_out.sum().backward()
        np.testing.assert_allclose(ca.grad.numpy(), ta.grad.numpy(), rtol=1e-6, atol=1e-7)
