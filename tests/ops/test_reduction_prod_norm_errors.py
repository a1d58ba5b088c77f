"""Error paths and special values of prod, cumsum/cumprod, norm and dist."""
import math

import numpy as np
import pytest

import chainrule as cr


def test_prod_and_cumulative_errors():
    with pytest.raises(IndexError, match=r"prod: Dimension out of range \(expected to be in range "
                                         r"of \[-2, 1\], but got 2\)"):
        cr.ones(3, 4).prod(2)
    with pytest.raises(IndexError, match="cumsum: Dimension out of range"):
        cr.ones(3).cumsum(1)
    with pytest.raises(IndexError, match="cumprod: Dimension out of range"):
        cr.cumprod(cr.ones(3), -2)


def test_prod_dtypes():
    assert cr.ones(3, 4, dtype=cr.int32).prod().dtype == cr.int64
    assert cr.ones(3, dtype=cr.bool).cumsum(0).dtype == cr.int64
    assert cr.tensor([1, 2, 3]).cumprod(0).tolist() == [1, 2, 6]
    assert cr.ones(3, dtype=cr.int64).prod(dtype=cr.float64).dtype == cr.float64
    assert cr.ones(0).prod().item() == 1.0


def test_prod_gradient_with_zeros():
    x = cr.tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 6.0, 0.0]
    y = cr.tensor([0.0, 2.0, 0.0], requires_grad=True)
    y.prod().backward()
    assert y.grad.tolist() == [0.0, 0.0, 0.0]


def test_cumprod_gradient_with_zeros():
    x = cr.tensor([2.0, 0.0, 3.0, 4.0], requires_grad=True)
    x.cumprod(0).sum().backward()
    # d/dx1 of (2, 2 x1, 6 x1, 24 x1) summed = 2 + 6 + 24
    assert x.grad.tolist() == [1.0, 32.0, 0.0, 0.0]


def test_norm_errors():
    with pytest.raises(RuntimeError, match=r"norm: p='nuc' \(the nuclear norm\) needs an SVD"):
        cr.ones(3, 4).norm("nuc")
    with pytest.raises(RuntimeError, match="norm: Order abc not supported"):
        cr.norm(cr.ones(3, 4), "abc")
    with pytest.raises(RuntimeError, match=r"norm: p='fro' takes at most 2 dims, got "
                                           r"dim=\(0, 1, 2\)"):
        cr.norm(cr.ones(2, 3, 4), "fro", dim=(0, 1, 2))
    with pytest.raises(RuntimeError, match=r"norm: Expected a floating point tensor as input. Got "
                                           r"int64 \(shape \(3,\)\)"):
        cr.ones(3, dtype=cr.int64).norm()
    with pytest.raises(RuntimeError, match=r"norm: cannot compute the -1.0 norm on an empty "
                                           r"tensor"):
        cr.ones(0, 4).norm(-1.0)
    with pytest.raises(RuntimeError, match=r"norm: dim \(1, 1\) appears multiple times"):
        cr.ones(3, 4).norm(2, dim=(1, 1))


def test_norm_values_and_gradient_at_zero():
    x = cr.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=cr.float64, requires_grad=True)
    n = x.norm(dim=1)
    assert n.tolist() == [5.0, 0.0]
    n.sum().backward()
    assert np.allclose(x.grad.numpy(), [[0.6, 0.8], [0.0, 0.0]])   # 0 at the origin, as torch
    assert cr.tensor([1.0, -3.0, 2.0]).norm(float("inf")).item() == 3.0
    assert cr.tensor([1.0, -3.0, 2.0]).norm(float("-inf")).item() == 1.0
    assert cr.tensor([1.0, 0.0, 2.0]).norm(0).item() == 2.0
    assert math.isclose(cr.tensor([1.0, 2.0]).norm(3).item(), 9 ** (1 / 3), rel_tol=1e-6)


def test_dist():
    assert cr.dist(cr.tensor([1.0, 1.0]), cr.tensor([4.0, 5.0])).item() == 5.0
    with pytest.raises(RuntimeError, match=r"dist: shapes \(3,\) and \(3, 2\) do not broadcast"):
        cr.dist(cr.ones(3), cr.ones(3, 2))
