"""torch's legacy constructors that tutorials still use: ``x.new(...)``, the typed tensor
classes (``torch.LongTensor([1, 2])``, ``isinstance(x, torch.FloatTensor)``) and
``x.type(torch.DoubleTensor)`` / ``x.type('torch.LongTensor')``, checked against torch."""
import numpy as np
import pytest

import chainrule as cr

TYPED = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
         "CharTensor", "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", TYPED)
def test_typed_constructors_match_torch(name, torch):
    ours, theirs = getattr(cr, name), getattr(torch, name)
    for args in [(), (3,), (2, 3)]:
        a, b = ours(*args), theirs(*args)
        assert tuple(a.shape) == tuple(b.shape) and a.dtype.name == str(b.dtype)[6:], args
    a, b = ours(cr.Size([2, 1])), theirs(torch.Size([2, 1]))
    assert tuple(a.shape) == tuple(b.shape) == (2, 1)
    a, b = ours([[1, 0], [1, 1]]), theirs([[1, 0], [1, 1]])
    assert a.dtype.name == str(b.dtype)[6:]
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_typed_classes_check_the_dtype_and_cast(torch):
    x, t = cr.zeros(2), torch.zeros(2)
    for name in TYPED:
        assert isinstance(x, getattr(cr, name)) == isinstance(t, getattr(torch, name)), name
    assert isinstance(cr.tensor([1]), cr.LongTensor)
    assert not isinstance(np.zeros(2), cr.FloatTensor)
    assert repr(cr.FloatTensor) == "<class 'chainrule.FloatTensor'>"
    assert cr.FloatTensor(cr.tensor([1, 2])).dtype == cr.float32
    assert cr.FloatTensor(np.array([1.5])).tolist() == [1.5]


def test_typed_constructor_errors():
    with pytest.raises(TypeError, match=r"LongTensor\(\): expected sizes .* got \(float\)"):
        cr.LongTensor(2.5)
    with pytest.raises(TypeError, match=r"got \(int, list\)"):
        cr.FloatTensor(2, [3])


def test_type_accepts_typed_classes_and_their_names(torch):
    x, t = cr.tensor([1.5, -2.0]), torch.tensor([1.5, -2.0])
    for target in ["LongTensor", "DoubleTensor", "BoolTensor", "FloatTensor"]:
        a, b = x.type(getattr(cr, target)), t.type(getattr(torch, target))
        assert a.dtype.name == str(b.dtype)[6:]
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        a, b = x.type(f"torch.{target}"), t.type(f"torch.{target}")
        assert a.dtype.name == str(b.dtype)[6:]
    assert x.type(cr.FloatTensor) is x                      # already that type
    assert x.type("chainrule.IntTensor").dtype == cr.int32
    assert x.type() == "chainrule.FloatTensor"
    with pytest.raises(ValueError, match="invalid type: 'torch.FooTensor'"):
        x.type("torch.FooTensor")


def test_new_matches_torch(torch):
    x, t = cr.zeros(2, 3, dtype=cr.float64), torch.zeros(2, 3, dtype=torch.float64)
    for args in [(), (4,), (2, 5)]:
        a, b = x.new(*args), t.new(*args)
        assert tuple(a.shape) == tuple(b.shape) and a.dtype == cr.float64
    assert tuple(x.new(cr.Size([3, 1])).shape) == (3, 1)
    for data in ([1, 2], (2, 3), [[1.5], [2.5]], np.arange(3)):
        a, b = x.new(data), t.new(data)
        assert a.dtype == cr.float64 and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    h = x.new(2, 4).zero_()                                   # the RNN init_hidden idiom
    assert h.tolist() == [[0.0] * 4] * 2 and not h.requires_grad
    assert cr.tensor([1, 2]).new([3.7]).dtype == cr.int64


def test_new_errors():
    with pytest.raises(TypeError, match=r"new\(\): expected sizes .* got \(float\)"):
        cr.zeros(2).new(2.5)
    with pytest.raises(TypeError, match=r"got \(int, float\)"):
        cr.zeros(2).new(2, 1.0)
