"""Error paths and values of the joining/splitting/padding shape ops (cat, stack, split, chunk,
unbind, narrow, flip, roll, pad, repeat, diagonals): messages name the op and the shapes."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F


def _t(*shape, dtype=cr.float32):
    return cr.ones(*shape, dtype=dtype)


# ---------------------------------------------------------------- cat, stack
@pytest.mark.parametrize("tensors, dim, kind, pattern", [
    ([(2, 3), (2, 4)], 0, RuntimeError, r"cat: Sizes of tensors must match except in dimension "
                                        r"0. Expected size 3 but got size 4 for tensor number 1 "
                                        r"in the list \(shapes \(2, 3\) and \(2, 4\)\)"),
    ([(2, 3), (2, 3, 1)], 0, RuntimeError, r"cat: Tensors must have same number of dimensions: "
                                           r"got 2 and 3 \(shapes \(2, 3\) and \(2, 3, 1\)\)"),
    ([(), ()], 0, RuntimeError, r"cat: zero-dimensional tensor \(at position 0\) cannot be "
                                r"concatenated"),
    ([(2, 3), (2, 3)], 2, IndexError, r"cat: Dimension out of range \(expected to be in range "
                                      r"of \[-2, 1\], but got 2\)"),
])
def test_cat_errors(tensors, dim, kind, pattern):
    with pytest.raises(kind, match=pattern):
        cr.cat([_t(*s) for s in tensors], dim)


def test_cat_argument_errors():
    with pytest.raises(ValueError, match=r"cat\(\): expected a non-empty list of Tensors"):
        cr.cat([])
    with pytest.raises(TypeError, match=r"cat\(\): argument 'tensors' must be a tuple or list of "
                                        r"Tensors, not Tensor"):
        cr.cat(_t(2))
    with pytest.raises(TypeError, match=r"cat\(\): expected Tensors, but element 1 is float"):
        cr.cat([_t(2), 1.0])


def test_cat_promotes_and_skips_legacy_empty_tensors():
    out = cr.cat([_t(2, 3), _t(1, 3, dtype=cr.float64)])
    assert out.dtype == cr.float64 and out.shape == (3, 3)
    assert cr.cat([_t(2, 3), _t(2, 3, dtype=cr.int64)]).dtype == cr.float32
    assert cr.cat([cr.tensor([]), _t(2, 3)]).shape == (2, 3)
    assert cr.cat([cr.tensor([1.0]), cr.tensor([2.0, 3.0])]).tolist() == [1.0, 2.0, 3.0]


def test_stack_errors():
    with pytest.raises(RuntimeError, match=r"stack: expects each tensor to be equal size, but got "
                                           r"\[3, 4\] at entry 0 and \[3, 5\] at entry 1"):
        cr.stack([_t(3, 4), _t(3, 5)])
    with pytest.raises(ValueError, match=r"stack\(\): expected a non-empty list"):
        cr.stack([])
    with pytest.raises(IndexError, match="stack: Dimension out of range"):
        cr.stack([_t(3, 4)], dim=3)


def test_hstack_vstack_dstack_shapes():
    assert cr.hstack([_t(3), _t(2)]).shape == (5,)
    assert cr.hstack([_t(2, 1), _t(2, 3)]).shape == (2, 4)
    assert cr.vstack([_t(3), _t(2, 3)]).shape == (3, 3)
    assert cr.dstack([_t(3), _t(3)]).shape == (1, 3, 2)
    assert cr.atleast_2d(_t()).shape == (1, 1)
    assert [t.shape for t in cr.atleast_3d(_t(2), _t(2, 3))] == [(1, 2, 1), (2, 3, 1)]


# ---------------------------------------------------------------- narrow, split, chunk, unbind
def test_narrow_errors():
    with pytest.raises(IndexError, match=r"narrow: start out of range \(expected to be in range "
                                         r"of \[-3, 3\], but got 4\) for dim 0 of shape \(3,\)"):
        cr.narrow(_t(3), 0, 4, 1)
    with pytest.raises(RuntimeError, match=r"narrow: start \(2\) \+ length \(2\) exceeds "
                                           r"dimension size \(3\) of dim 0 of shape \(3,\)"):
        cr.narrow(_t(3), 0, 2, 2)
    with pytest.raises(RuntimeError, match="narrow: length must be non-negative, got -1"):
        cr.narrow(_t(3), 0, 1, -1)


def test_narrow_values_and_view():
    x = cr.arange(5.0)
    assert cr.narrow(x, 0, -2, 2).tolist() == [3.0, 4.0]
    assert cr.narrow(x, 0, 5, 0).shape == (0,)
    assert cr.narrow(x, 0, -5, 1).tolist() == [0.0]


def test_split_errors():
    with pytest.raises(RuntimeError, match=r"split: expects split_size be non-negative, but got "
                                           r"split_size=-1"):
        cr.split(_t(5), -1)
    with pytest.raises(RuntimeError, match=r"split: split_size can only be 0 if dimension size is "
                                           r"0, but got dimension size of 5 \(shape \(5,\), dim "
                                           r"0\)"):
        cr.split(_t(5), 0)
    with pytest.raises(RuntimeError, match=r"split: split_with_sizes expects split_sizes to be "
                                           r"non-negative and sum exactly to 5 \(input tensor's "
                                           r"size at dimension 0, shape \(5, 2\)\), but got "
                                           r"split_sizes=\[2, 2\]"):
        cr.split(_t(5, 2), [2, 2])
    with pytest.raises(RuntimeError, match=r"split_sizes=\[6, -1\]"):
        _t(5).split([6, -1])


def test_split_chunk_unbind_values():
    x = cr.arange(5.0)
    assert [p.tolist() for p in cr.split(x, 2)] == [[0.0, 1.0], [2.0, 3.0], [4.0]]
    assert [p.shape for p in cr.split(_t(0), 2)] == [(0,)]
    assert [p.shape for p in cr.chunk(_t(6), 4)] == [(2,), (2,), (2,)]
    assert [p.shape for p in cr.chunk(_t(0), 3)] == [(0,), (0,), (0,)]
    assert [p.tolist() for p in cr.arange(4.0).reshape(2, 2).unbind(1)] == [[0.0, 2.0],
                                                                            [1.0, 3.0]]
    with pytest.raises(RuntimeError, match="chunk: expects `chunks` to be greater than 0, got: 0"):
        cr.chunk(_t(5), 0)


# ---------------------------------------------------------------- flip, roll
def test_flip_and_roll_errors():
    with pytest.raises(RuntimeError, match=r"flip: dim \(0, 0\) appears multiple times"):
        cr.flip(_t(3, 4), (0, 0))
    with pytest.raises(IndexError, match="flip: Dimension out of range"):
        _t(3).flip(1)
    with pytest.raises(RuntimeError, match=r"fliplr: Input must be >= 2-d, got shape \(3,\)"):
        cr.fliplr(_t(3))
    with pytest.raises(RuntimeError, match="flipud: Input must be >= 1-d, got a 0-d tensor"):
        cr.flipud(_t())
    with pytest.raises(RuntimeError, match="roll: shifts and dimensions must align. shifts: 2, "
                                           "dims: 1"):
        cr.roll(_t(3, 4), (1, 2), 0)
    with pytest.raises(RuntimeError, match="roll: shifts and dimensions must align. shifts: 2, "
                                           "dims: 0"):
        cr.roll(_t(3, 4), (1, 2))


@pytest.mark.parametrize("op", ["narrow", "split", "chunk", "unbind"])
def test_splitting_a_0d_tensor(op):
    args = {"narrow": (0, 0, 1), "split": (1,), "chunk": (1,), "unbind": ()}[op]
    with pytest.raises(RuntimeError, match=f"{op}: expects at least a 1-dimensional tensor"):
        getattr(cr, op)(_t(), *args)


def test_0d_inputs_keep_their_shape():
    x = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    for out in (x.flip(0), x.roll(1), cr.nn.functional.pad(x, ()), x.cumsum(0), x.cumprod(-1)):
        assert out.shape == () and out.item() == 2.0
    with pytest.raises(IndexError, match="roll: Dimension specified as 0 but tensor has no "
                                         "dimensions"):
        x.roll(1, 0)


def test_flip_copies_and_roll_values():
    x = cr.arange(3.0)
    y = x.flip(0)
    y.add_(10)
    assert x.tolist() == [0.0, 1.0, 2.0] and y.tolist() == [12.0, 11.0, 10.0]
    assert cr.roll(cr.arange(4.0).reshape(2, 2), 1).tolist() == [[3.0, 0.0], [1.0, 2.0]]


# ---------------------------------------------------------------- pad
@pytest.mark.parametrize("shape, pad, kwargs, kind, pattern", [
    ((3, 4), (1, 2, 3), {}, RuntimeError, r"pad: Padding length must be divisible by 2, got "
                                          r"\(1, 2, 3\)"),
    ((3, 4), (1,) * 6, {}, RuntimeError, r"pad: Padding length should be less than or equal to "
                                         r"two times the input dimension but got padding length "
                                         r"6 and input of shape \(3, 4\)"),
    ((3, 4), (-3, -2), {}, RuntimeError, r"pad: The input size 4, plus negative padding -3 and "
                                         r"-2 resulted in a negative output size \(dim 1 of "
                                         r"shape \(3, 4\)\)"),
    ((3, 4), (1, 1), {"mode": "foo"}, NotImplementedError, r"pad: Unrecognised padding mode "
                                                           r"'foo'"),
    ((3, 4), (1, 1), {"mode": "reflect", "value": 2.0}, RuntimeError,
     r"pad: Padding mode 'reflect' doesn't take in value argument"),
    ((4,), (1, 1), {"mode": "reflect"}, NotImplementedError,
     r"pad: Padding size 2 is not supported for 1D input tensor with mode 'reflect' \(expected "
     r"a 2D or 3D input\)"),
    ((3, 4), (4, 1), {"mode": "reflect"}, RuntimeError,
     r"pad: Padding size should be less than the corresponding input dimension, but got: "
     r"padding \(4, 1\) at dimension 1 of input \[3, 4\]"),
    ((3, 4), (5, 1), {"mode": "circular"}, RuntimeError,
     r"pad: Padding value causes wrapping around more than once \(padding \(5, 1\) at dimension "
     r"1 of input \[3, 4\]\)"),
    ((3, 0), (1, 1), {"mode": "replicate"}, RuntimeError,
     r"pad: cannot replicate-pad an empty dimension 1 of input \[3, 0\]"),
])
def test_pad_errors(shape, pad, kwargs, kind, pattern):
    with pytest.raises(kind, match=pattern):
        F.pad(_t(*shape), pad, **kwargs)


def test_pad_values():
    x = cr.tensor([[1.0, 2.0, 3.0]])
    assert F.pad(x, (1, 2), value=9.0).tolist() == [[9.0, 1.0, 2.0, 3.0, 9.0, 9.0]]
    assert F.pad(x, (2, 1), mode="reflect").tolist() == [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    assert F.pad(x, (2, 1), mode="replicate").tolist() == [[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]]
    assert F.pad(x, (2, 1), mode="circular").tolist() == [[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]
    assert F.pad(x, (-1, 1), mode="reflect").tolist() == [[2.0, 3.0, 2.0]]
    assert F.pad(x, (-1, 0)).tolist() == [[2.0, 3.0]]


# ---------------------------------------------------------------- repeat, diagonals
def test_repeat_errors():
    with pytest.raises(RuntimeError, match=r"repeat: Number of dimensions of repeat dims \(1\) "
                                           r"can not be smaller than number of dimensions of "
                                           r"tensor \(shape \(3, 4\)\)"):
        _t(3, 4).repeat(2)
    with pytest.raises(RuntimeError, match=r"repeat: Trying to create tensor with negative "
                                           r"dimension \(repeats \(2, -1\)\)"):
        _t(3, 4).repeat(2, -1)
    with pytest.raises(NotImplementedError, match=r"repeat_interleave: per-element repeats \(a "
                                                  r"tensor of shape \(2,\)\) are not supported"):
        cr.repeat_interleave(_t(2), cr.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="repeat_interleave: repeats can not be negative, got "
                                           "-1"):
        cr.repeat_interleave(_t(2), -1)


def test_repeat_values():
    x = cr.tensor([1.0, 2.0])
    assert x.repeat(2).tolist() == [1.0, 2.0, 1.0, 2.0]
    assert x.repeat(2, 1).tolist() == [[1.0, 2.0], [1.0, 2.0]]
    assert cr.tile(cr.ones(2, 3), (2,)).shape == (2, 6)
    assert x.repeat_interleave(2).tolist() == [1.0, 1.0, 2.0, 2.0]
    assert x.repeat_interleave(cr.tensor(3)).tolist() == [1.0] * 3 + [2.0] * 3
    assert x.repeat(0).shape == (0,)


def test_diagonal_errors():
    with pytest.raises(RuntimeError, match="diagonal: diagonal dimensions cannot be identical "
                                           "0, 0"):
        cr.diagonal(_t(3, 4), 0, 0, 0)
    with pytest.raises(RuntimeError, match="diag_embed: diagonal dimensions cannot be identical "
                                           "-1, 1"):
        cr.diag_embed(_t(3), 0, -1, 1)
    with pytest.raises(RuntimeError, match=r"diag\(\): Supports 1D or 2D tensors. Got 3D "
                                           r"\(shape \(3, 4, 5\)\)"):
        cr.diag(_t(3, 4, 5))


def test_diagonal_values():
    m = cr.arange(12.0).reshape(3, 4)
    assert m.diagonal().tolist() == [0.0, 5.0, 10.0]
    assert m.diagonal(1).tolist() == [1.0, 6.0, 11.0]
    assert m.diag(-1).tolist() == [4.0, 9.0]
    assert cr.diag(cr.tensor([1.0, 2.0]), 1).tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0],
                                                         [0.0, 0.0, 0.0]]
    d = cr.diagonal(m)
    d.add_(100)
    assert m[0, 0].item() == 0.0            # a copy: writing to it leaves the input alone
    np.testing.assert_array_equal(cr.diag_embed(cr.ones(2, 3)).numpy(),
                                  np.broadcast_to(np.eye(3), (2, 3, 3)))
