"""The Tensor API: metadata, conversions, operators and in-place methods, checked against the
values torch gives (torch itself only where a test asks for the ``torch`` fixture)."""
import math
import operator

import numpy as np
import pytest

import chainrule as cr


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


def assert_same(ours, theirs):
    """Same dtype name, same shape, same values (NaN-aware)."""
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], \
        (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(_np(ours).astype(np.float64), _np(theirs).astype(np.float64),
                               rtol=1e-6, atol=1e-7)


def same_or_same_error(fn, torch):
    """``fn(chainrule)`` gives what ``fn(torch)`` gives, or raises the same exception type."""
    try:
        theirs = fn(torch)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            fn(cr)
        return
    assert_same(fn(cr), theirs)


def _has_getitem():
    return hasattr(cr.ops, "getitem")


# ====================================================================== metadata
class TestMetadata:
    def test_shape_is_size(self):
        t = cr.zeros(2, 3)
        assert isinstance(t.shape, cr.Size) and isinstance(t.shape, tuple)
        assert t.shape == (2, 3) and t.shape == cr.Size([2, 3])
        assert repr(t.shape) == "chainrule.Size([2, 3])"
        assert str(t.shape) == "chainrule.Size([2, 3])"
        assert repr(cr.tensor(1.0).shape) == "chainrule.Size([])"

    def test_size_slicing_and_concatenation_stay_size(self):
        s = cr.zeros(2, 3, 4).shape
        assert isinstance(s[1:], cr.Size) and s[1:] == (3, 4)
        assert isinstance(s[0], int) and s[-1] == 4
        assert isinstance(s + (5,), cr.Size) and s + (5,) == (2, 3, 4, 5)
        assert isinstance((1,) + s, cr.Size) and (1,) + s == (1, 2, 3, 4)
        assert isinstance(s * 2, cr.Size) and len(s * 2) == 6
        assert s.numel() == 24
        assert s != [2, 3, 4]           # a Size is a tuple, not a list (as torch)

    def test_size_repr_matches_torch(self, torch):
        for shape in [(), (0,), (2, 3), (1, 1, 1)]:
            assert repr(cr.zeros(shape).shape) == \
                repr(torch.zeros(shape).shape).replace("torch.", "chainrule.")

    def test_size_dim_and_ndim(self):
        t = cr.zeros(2, 3)
        assert t.size() == (2, 3)
        assert t.size(0) == 2 and t.size(1) == 3 and t.size(-1) == 3 and t.size(-2) == 2
        assert t.dim() == 2 and t.ndim == 2 and t.ndimension() == 2
        assert cr.tensor(3.0).dim() == 0
        assert t.numel() == 6 and t.nelement() == 6 and cr.numel(t) == 6
        assert cr.zeros(0, 3).numel() == 0

    def test_size_bad_dim_raises_index_error_with_range(self):
        t = cr.zeros(2, 3)
        with pytest.raises(IndexError, match=r"size.*\[-2, 1\].*got 2"):
            t.size(2)
        with pytest.raises(IndexError, match=r"\[-2, 1\].*got -3"):
            t.size(-3)

    def test_dtype_and_device(self):
        t = cr.tensor([1.0, 2.0])
        assert t.dtype is cr.float32 and t.dtype == cr.float
        assert str(t.device) == "cpu" and t.device.type == "cpu"
        assert t.device == cr.device("cpu")
        assert repr(t.device) == "device(type='cpu')"
        assert not t.is_cuda
        assert t.is_floating_point() and not cr.tensor([1]).is_floating_point()
        assert cr.is_floating_point(t) and cr.is_tensor(t) and not cr.is_tensor(1.0)

    def test_dtype_attributes(self):
        assert cr.float32.is_floating_point and not cr.int64.is_floating_point
        assert cr.int64.is_signed and not cr.uint8.is_signed
        assert cr.float64.itemsize == 8 and cr.bool.itemsize == 1
        assert repr(cr.float64) == "chainrule.float64" and repr(cr.bool) == "chainrule.bool"
        assert cr.double is cr.float64 and cr.long is cr.int64 and cr.half is cr.float16
        assert cr.int is cr.int32 and cr.short is cr.int16

    def test_element_size_and_nbytes(self):
        t = cr.tensor([1, 2, 3])
        assert t.element_size() == 8 and t.itemsize == 8 and t.nbytes == 24
        assert cr.tensor([1.0]).element_size() == 4

    def test_grad_attributes_of_a_leaf(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
        y = x * 2
        assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
        assert y.grad_fn.name() == "MulBackward0"
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
        plain = cr.tensor([1.0])
        assert not plain.requires_grad and plain.is_leaf and plain.grad_fn is None

    def test_type_names(self):
        assert cr.tensor([1.5]).type() == "chainrule.FloatTensor"
        assert cr.tensor([1]).type() == "chainrule.LongTensor"
        assert cr.tensor([True]).type() == "chainrule.BoolTensor"
        assert cr.tensor([1.5]).type(cr.int64).dtype is cr.int64


# ====================================================================== conversions
class TestConversion:
    def test_item(self):
        assert cr.tensor([2.5]).item() == 2.5 and isinstance(cr.tensor([2.5]).item(), float)
        assert cr.tensor(3).item() == 3 and isinstance(cr.tensor(3).item(), int)
        assert cr.tensor([[True]]).item() is True
        with pytest.raises(RuntimeError, match="item.*2 elements"):
            cr.tensor([1, 2]).item()

    def test_tolist(self):
        assert cr.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
        assert cr.tensor(2.5).tolist() == 2.5
        assert cr.tensor([True, False]).tolist() == [True, False]
        assert cr.zeros(0).tolist() == []

    def test_numpy_shares_memory(self):
        t = cr.tensor([1.0, 2.0])
        a = t.numpy()
        a[0] = 7.0
        assert t.tolist() == [7.0, 2.0]
        assert a.dtype == np.float32

    def test_numpy_refuses_tensor_that_requires_grad(self):
        x = cr.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=r"numpy\(\).*requires grad.*detach"):
            x.numpy()
        np.testing.assert_array_equal(x.detach().numpy(), [1.0])
        np.testing.assert_array_equal(x.numpy(force=True), [1.0])

    def test_detach_shares_memory_and_drops_history(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        d = x.detach()
        assert not d.requires_grad and d.grad_fn is None and d.is_leaf
        d.numpy()[1] = 5.0
        assert x.tolist() == [1.0, 5.0]

    def test_requires_grad_(self):
        x = cr.tensor([1.0])
        assert x.requires_grad_() is x and x.requires_grad
        x.requires_grad_(False)
        assert not x.requires_grad
        with pytest.raises(RuntimeError, match="floating point"):
            cr.tensor([1, 2]).requires_grad_()
        y = cr.tensor([1.0], requires_grad=True) * 2
        with pytest.raises(RuntimeError, match="leaf"):
            y.requires_grad_(False)

    def test_clone_copies_and_is_differentiable(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        c = x.clone()
        assert c.grad_fn is not None and c.requires_grad
        assert c.numpy(force=True) is not x.numpy(force=True)
        (c * 3).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
        p = cr.tensor([1, 2])
        q = p.clone()
        q.numpy()[0] = 9
        assert p.tolist() == [1, 2]

    def test_contiguous(self):
        t = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
        assert t.contiguous() is t and t.is_contiguous()
        tt = t.t()
        assert not tt.is_contiguous()
        c = tt.contiguous()
        assert c.is_contiguous() and c.tolist() == [[1.0, 3.0], [2.0, 4.0]]

    @pytest.mark.parametrize("method,dtype", [
        ("float", "float32"), ("double", "float64"), ("long", "int64"), ("int", "int32"),
        ("bool", "bool"), ("half", "float16"), ("short", "int16"), ("byte", "uint8"),
        ("char", "int8")])
    def test_cast_methods(self, method, dtype, torch):
        data = [1.7, -2.2, 0.0]
        if method == "byte":
            data = [1.7, 2.2, 0.0]
        ours = getattr(cr.tensor(data), method)()
        theirs = getattr(torch.tensor(data), method)()
        assert ours.dtype.name == dtype
        assert_same(ours, theirs)

    def test_to_dtype_device_and_other(self):
        t = cr.tensor([1.5, 2.5])
        assert t.to(cr.float32) is t
        assert t.to("cpu") is t and t.to(cr.device("cpu")) is t and t.cpu() is t
        d = t.to(cr.float64)
        assert d.dtype is cr.float64 and d.tolist() == [1.5, 2.5]
        assert t.to(dtype=cr.int64).tolist() == [1, 2]
        assert t.to("cpu", cr.float64).dtype is cr.float64
        assert t.to(device="cpu", dtype=cr.int32).dtype is cr.int32
        assert t.to(cr.tensor([1], dtype=cr.int32)).dtype is cr.int32
        assert t.type_as(cr.tensor([True])).tolist() == [True, True]

    def test_to_copy(self):
        t = cr.tensor([1.5, 2.5])
        c = t.to(cr.float32, copy=True)
        assert c is not t
        c.numpy()[0] = 0.0
        assert t.tolist() == [1.5, 2.5]

    def test_to_is_differentiable_through_float_casts(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        y = x.to(cr.float64)
        assert y.grad_fn.name() == "ToCopyBackward0"
        (y * y).sum().backward()
        assert x.grad.dtype is cr.float32
        np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])

    def test_to_cuda_is_a_clear_error(self):
        t = cr.tensor([1.0])
        with pytest.raises(RuntimeError, match="CUDA backend.*not"):
            t.to("cuda")
        with pytest.raises(RuntimeError, match="cuda.*CUDA backend"):
            t.cuda()

    def test_len(self):
        assert len(cr.zeros(3, 2)) == 3
        with pytest.raises(TypeError, match="0-d"):
            len(cr.tensor(1.0))

    @pytest.mark.skipif(not _has_getitem(), reason="getitem is not written yet")
    def test_iter(self):
        rows = list(cr.tensor([[1, 2], [3, 4]]))
        assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]
        with pytest.raises(TypeError, match="0-d"):
            iter(cr.tensor(1.0)).__next__()

    def test_bool(self):
        assert bool(cr.tensor([1])) is True and bool(cr.tensor(0.0)) is False
        with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
            bool(cr.tensor([1, 2]))
        with pytest.raises(RuntimeError, match="ambiguous"):
            bool(cr.zeros(0))

    def test_float_int_index(self):
        assert float(cr.tensor([2.5])) == 2.5
        assert int(cr.tensor([2.7])) == 2 and int(cr.tensor(-2.7)) == -2
        assert [10, 20, 30][cr.tensor(1)] == 20
        assert operator.index(cr.tensor(True)) == 1
        assert math.floor(cr.tensor(2.5)) == 2
        with pytest.raises(TypeError, match="integer tensors of a single element"):
            [1, 2][cr.tensor(1.0)]
        with pytest.raises(ValueError, match="only one element tensors"):
            int(cr.tensor([1, 2]))
        with pytest.raises(ValueError, match="only one element tensors"):
            float(cr.tensor([1.0, 2.0]))

    def test_format_of_a_0d_tensor(self):
        assert f"{cr.tensor(2.5):.2f}" == "2.50"
        assert f"{cr.tensor(3)}" == "3"


# ====================================================================== operators
_A = [[1.5, -2.0, 3.0], [0.5, 4.0, -1.25]]
_B = [[2.0, 1.0, -3.0], [0.25, -2.0, 5.0]]
_IA = [[7, -3, 4], [0, 9, -8]]
_IB = [[2, 5, -3], [3, -4, 7]]

_BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
           operator.mod, operator.eq, operator.ne, operator.lt, operator.le, operator.gt,
           operator.ge]


class TestOperators:
    @pytest.mark.parametrize("op", _BINARY, ids=lambda f: f.__name__)
    @pytest.mark.parametrize("data", [(_A, _B), (_IA, _IB)], ids=["float", "int"])
    def test_binary_tensor_tensor(self, op, data, torch):
        a, b = data
        assert_same(op(cr.tensor(a), cr.tensor(b)), op(torch.tensor(a), torch.tensor(b)))

    @pytest.mark.parametrize("op", _BINARY + [operator.pow], ids=lambda f: f.__name__)
    @pytest.mark.parametrize("scalar", [2, 2.5, -3, True])
    @pytest.mark.parametrize("data", [[[1.5, 2.0], [3.0, 0.5]], [[1, 2], [3, 4]]],
                             ids=["float", "int"])
    def test_with_python_numbers_both_sides(self, op, scalar, data, torch):
        same_or_same_error(lambda m: op(m.tensor(data), scalar), torch)
        if op is operator.pow:
            data = [[abs(v) + 1 for v in row] for row in data]
        same_or_same_error(lambda m: op(scalar, m.tensor(data)), torch)

    @pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                    operator.pow])
    def test_tensor_op_ndarray(self, op, torch):
        a = np.array([[1.5, 2.0], [3.0, 4.0]])
        assert_same(op(cr.tensor(_A[0][:2]), a), op(torch.tensor(_A[0][:2]), a))

    @pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                    operator.lt, operator.eq])
    def test_ndarray_op_tensor_gives_a_tensor(self, op):
        # torch refuses some of these (numpy's own operator runs first); chainrule's
        # __array_priority__ makes them tensor ops
        a = np.array([1.5, 2.0])
        t = cr.tensor([2.0, 4.0])
        out = op(a, t)
        assert isinstance(out, cr.Tensor)
        np.testing.assert_allclose(out.numpy(), op(a, np.array([2.0, 4.0])))

    def test_numpy_scalars(self, torch):
        for s in (np.float64(2.0), np.int64(3), np.float32(1.5)):
            for dt in ("float32", "int32", "int64"):
                ours = cr.tensor([1, 2], dtype=getattr(cr, dt)) * s
                theirs = torch.tensor([1, 2], dtype=getattr(torch, dt)) * s
                assert_same(ours, theirs)

    def test_unary(self, torch):
        for data in (_A, _IA):
            assert_same(-cr.tensor(data), -torch.tensor(data))
            assert_same(abs(cr.tensor(data)), abs(torch.tensor(data)))
            assert_same(+cr.tensor(data), +torch.tensor(data))

    def test_pow(self, torch):
        for e in (2, 3, 0.5, 2.0, 0, 1):
            assert_same(cr.tensor([1.0, 4.0]) ** e, torch.tensor([1.0, 4.0]) ** e)
            assert_same(cr.tensor([1, 4]) ** e, torch.tensor([1, 4]) ** e)
        assert_same(cr.tensor([1.0, 2.0]) ** cr.tensor([3, 2]),
                    torch.tensor([1.0, 2.0]) ** torch.tensor([3, 2]))
        assert_same(cr.tensor([True, False]) ** 2, torch.tensor([True, False]) ** 2)
        with pytest.raises(RuntimeError, match="pow.*[Ii]ntegers to negative integer powers"):
            cr.tensor([1, 2]) ** -1

    @pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor])
    def test_bitwise_and_logical(self, op, torch):
        assert_same(op(cr.tensor([True, False, True]), cr.tensor([True, True, False])),
                    op(torch.tensor([True, False, True]), torch.tensor([True, True, False])))
        assert_same(op(cr.tensor([1, 6, 12]), cr.tensor([3, 1, 10])),
                    op(torch.tensor([1, 6, 12]), torch.tensor([3, 1, 10])))
        assert_same(op(cr.tensor([1, 6, 12]), 3), op(torch.tensor([1, 6, 12]), 3))
        assert_same(op(3, cr.tensor([1, 6, 12])), op(3, torch.tensor([1, 6, 12])))
        assert_same(op(cr.tensor([True, False]), True), op(torch.tensor([True, False]), True))
        with pytest.raises(RuntimeError, match="bitwise_"):
            op(cr.tensor([1.0]), cr.tensor([1.0]))

    def test_invert(self, torch):
        assert_same(~cr.tensor([True, False]), ~torch.tensor([True, False]))
        assert_same(~cr.tensor([0, 5, -3]), ~torch.tensor([0, 5, -3]))
        with pytest.raises(TypeError, match="bitwise_not.*integer and Boolean"):
            ~cr.tensor([1.0])

    def test_comparisons_return_bool(self):
        t = cr.tensor([1.0, 2.0, 3.0])
        assert (t > 1.5).tolist() == [False, True, True]
        assert (t == 2).dtype is cr.bool
        assert (2 < t).tolist() == [False, False, True]
        assert (t != cr.tensor([1, 0, 3])).tolist() == [False, True, False]

    def test_matmul_operator_delegates(self):
        if not hasattr(cr.ops, "matmul"):
            pytest.skip("matmul is not written yet")
        assert (cr.tensor([3, 4]) @ cr.tensor([1, 2])).item() == 11

    def test_bool_minus_bool_is_an_error(self):
        with pytest.raises(RuntimeError, match="sub.*two bool tensors"):
            cr.tensor([True]) - cr.tensor([True])

    def test_operators_are_differentiable(self):
        x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
        y = ((x * 3 - 1) / 2 + x ** 2 - (-x)).sum()
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), 1.5 + 2 * np.array([1.0, 2.0]) + 1)


# ====================================================================== in place
class TestInPlace:
    @pytest.mark.parametrize("name,args", [
        ("add_", (2.0,)), ("sub_", (0.5,)), ("mul_", (3,)), ("div_", (4,)),
        ("pow_", (2,)), ("clamp_", (0.0, 1.0)), ("abs_", ()), ("neg_", ()),
        ("add_", ([[1.0, 2.0, 3.0]],)), ("mul_", ([[2.0], [3.0]],)),
        ("sub_", (1.0,), ), ("remainder_", (1.5,)), ("floor_", ()), ("exp_", ()),
        ("sqrt_", ()), ("zero_", ()), ("fill_", (2.5,)), ("copy_", ([[1.0, 2.0, 3.0]],)),
        ("clamp_min_", (0.0,)), ("clamp_max_", (0.5,)), ("floor_divide_", (0.5,))])
    def test_values_match_torch(self, name, args, torch):
        data = [[0.25, 1.5, 2.0], [0.5, 3.0, 4.5]]
        ours, theirs = cr.tensor(data), torch.tensor(data)
        cargs = [cr.tensor(a) if isinstance(a, list) else a for a in args]
        targs = [torch.tensor(a) if isinstance(a, list) else a for a in args]
        keep = ours.numpy()
        out = getattr(ours, name)(*cargs)
        getattr(theirs, name)(*targs)
        assert out is ours
        assert ours.numpy() is keep               # written into the same memory
        assert_same(ours, theirs)

    def test_add_with_alpha(self, torch):
        a, b = cr.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
        a.add_(cr.tensor([1.0, 1.0]), alpha=3)
        b.add_(torch.tensor([1.0, 1.0]), alpha=3)
        assert_same(a, b)
        a.sub_(1, alpha=2)
        b.sub_(1, alpha=2)
        assert_same(a, b)

    def test_augmented_assignment_keeps_identity(self):
        t = cr.tensor([4, 6])
        ident = id(t)
        t += 1
        t *= 2
        t -= 1
        t //= 3
        t %= 4
        t **= 2
        assert id(t) == ident and t.tolist() == [9, 0]
        f = cr.tensor([1.0, 2.0])
        ident = id(f)
        f /= 4
        assert id(f) == ident and f.tolist() == [0.25, 0.5]
        b = cr.tensor([True, False])
        ident = id(b)
        b |= cr.tensor([False, True])
        b &= cr.tensor([True, False])
        b ^= cr.tensor([True, True])
        assert id(b) == ident and b.tolist() == [False, True]

    def test_views_see_in_place_writes(self):
        t = cr.zeros(2, 3)
        v = t.reshape(6)
        t.add_(1.0)
        assert v.tolist() == [1.0] * 6

    def test_integer_in_place_keeps_integer_results(self):
        t = cr.tensor([1, 2])
        t.add_(3)
        t.mul_(cr.tensor([2, 2], dtype=cr.int32))
        assert t.dtype is cr.int64 and t.tolist() == [8, 10]
        u = cr.tensor([1, 2], dtype=cr.uint8)
        u.add_(cr.tensor([1, 1]))         # int64 into uint8: same category, allowed
        assert u.dtype is cr.uint8 and u.tolist() == [2, 3]
        f = cr.tensor([1.0, 2.0])
        f.add_(cr.tensor([1, 2], dtype=cr.float64))
        assert f.dtype is cr.float32 and f.tolist() == [2.0, 4.0]

    @pytest.mark.parametrize("name,arg", [("add_", 1.5), ("sub_", 1.0), ("mul_", 0.5),
                                          ("div_", 2), ("pow_", 0.5)])
    def test_int_tensor_receiving_float_result(self, name, arg, torch):
        with pytest.raises(RuntimeError) as theirs:
            getattr(torch.tensor([1, 2]), name)(arg)
        with pytest.raises(RuntimeError) as ours:
            getattr(cr.tensor([1, 2]), name)(arg)
        assert "result type Float can't be cast to the desired output type Long" in \
            str(ours.value)
        assert str(theirs.value) in str(ours.value)
        assert name in str(ours.value)

    def test_int_tensor_receiving_float_tensor(self):
        t = cr.tensor([1, 2])
        with pytest.raises(RuntimeError, match="mul_: result type Float can't be cast to the "
                                               "desired output type Long"):
            t.mul_(cr.tensor(1.5))
        assert t.tolist() == [1, 2]
        with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired "
                                               "output type Bool"):
            cr.tensor([True]).add_(1)

    @pytest.mark.parametrize("name", ["add_", "mul_", "sub_", "div_", "copy_"])
    def test_shape_changing_broadcast_is_an_error(self, name, torch):
        with pytest.raises(RuntimeError) as theirs:
            getattr(torch.ones(2), name)(torch.ones(2, 2))
        with pytest.raises(RuntimeError) as ours:
            getattr(cr.ones(2), name)(cr.ones(2, 2))
        assert name in str(ours.value)
        if name != "copy_":
            assert str(theirs.value) in str(ours.value)

    def test_shape_changing_broadcast_with_a_graph_is_an_error(self):
        w = cr.ones(2, 2, requires_grad=True)
        t = cr.ones(2) * 1.0
        with pytest.raises(RuntimeError, match=r"add_: output with shape \[2\] doesn't match "
                                               r"the broadcast shape \[2, 2\]"):
            t.add_(w)

    @pytest.mark.parametrize("call", [
        lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.zero_(), lambda t: t.fill_(1.0),
        lambda t: t.copy_(cr.ones(2)), lambda t: t.clamp_(0, 1), lambda t: t.pow_(2),
        lambda t: t.sub_(1), lambda t: t.div_(2), lambda t: t.exp_()])
    def test_leaf_that_requires_grad(self, call):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                                               "used in an in-place operation"):
            call(x)
        assert x.tolist() == [1.0, 2.0]
        with cr.no_grad():                    # allowed without grad mode, as in torch
            call(x)

    def test_in_place_on_a_non_leaf_records_history(self):
        x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
        y = x * 1
        y.mul_(3).add_(x)
        assert not y.is_leaf and y.grad_fn is not None
        y.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])

    def test_in_place_after_save_is_detected(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        z = y * y
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()

    def test_copy_casts_and_broadcasts(self):
        t = cr.zeros(2, 3)
        t.copy_(cr.tensor([1, 2, 3]))
        assert t.dtype is cr.float32 and t.tolist() == [[1.0, 2.0, 3.0]] * 2
        i = cr.zeros(2, dtype=cr.int64)
        i.copy_(cr.tensor([1.7, -1.7]))             # copy_ casts like torch (truncation)
        assert i.tolist() == [1, -1]

    def test_copy_is_differentiable_wrt_the_source(self):
        src = cr.tensor([1.0, 2.0], requires_grad=True)
        dst = cr.zeros(2, 2)
        dst.copy_(src)
        (dst * cr.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        np.testing.assert_allclose(src.grad.numpy(), [4.0, 6.0])

    def test_fill_and_zero_on_int(self):
        t = cr.tensor([1, 2])
        t.fill_(3.7)                          # fill_ truncates like torch
        assert t.tolist() == [3, 3]
        t.zero_()
        assert t.tolist() == [0, 0]

    def test_version_counter_increases(self):
        t = cr.zeros(2)
        v = t._version
        t.add_(1)
        t.zero_()
        assert t._version == v + 2


# ====================================================================== the Tensor constructor
def test_tensor_class_constructor(torch):
    for data in ([1, 2], [[1.5, 2.0]], [True, False], []):
        ours, theirs = cr.Tensor(data), torch.Tensor(data)
        assert_same(ours, theirs)                 # always the default float dtype
    assert cr.Tensor([1.0], requires_grad=True).requires_grad
    assert isinstance(cr.tensor([1]), cr.Tensor)
    with pytest.raises(TypeError, match=r"data must be a sequence \(got float\)"):
        cr.Tensor(2.5)


def test_tensor_class_legacy_size_constructor(torch):
    """torch.Tensor(2, 3) / Tensor(Size) / Tensor(n): a tensor of that shape (torch leaves the
    values uninitialised; chainrule fills zeros)."""
    for args in ((2, 3), (cr.Size([4, 1]),), (3,), (np.int64(2), 5), (0,)):
        targs = tuple(torch.Size(a) if isinstance(a, cr.Size) else a for a in args)
        ours, theirs = cr.Tensor(*args), torch.Tensor(*targs)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.dtype == cr.float32 and not ours.any()
    assert cr.Tensor(2, 3, dtype=cr.float64).dtype == cr.float64
    w = cr.nn.Parameter(cr.Tensor(4, 3))             # the old tutorials' idiom
    cr.nn.init.kaiming_uniform_(w)
    assert w.shape == (4, 3) and w.requires_grad and w.abs().sum().item() > 0
    with pytest.raises(TypeError, match=r"every size must be an int, got \(int, str\)"):
        cr.Tensor(2, "a")
    with pytest.raises(TypeError, match="every size must be an int"):
        cr.Tensor([1], 2)
    with pytest.raises(RuntimeError, match="negative dimension"):
        cr.Tensor(2, -1)
