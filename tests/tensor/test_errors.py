"""Error messages: the right exception type (torch's, where torch raises one), raised at the
call that was wrong, naming the op and what was wrong."""
import pytest

import chainrule as cr


def raises(kind, op, call, *fragments):
    """``call()`` raises ``kind``; the message starts with the op's name and holds every
    fragment."""
    with pytest.raises(kind) as info:
        call()
    msg = str(info.value)
    assert msg.startswith(op), (op, msg)
    for f in fragments:
        assert f in msg, (f, msg)
    return info.value


# ====================================================================== broadcasting
@pytest.mark.parametrize("op,fn", [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("maximum", lambda a, b: cr.maximum(a, b)),
    ("pow", lambda a, b: a ** b), ("lt", lambda a, b: a < b), ("eq", lambda a, b: a == b)])
def test_bad_broadcast_names_op_and_shapes(op, fn):
    e = raises(RuntimeError, op, lambda: fn(cr.ones(2, 3), cr.ones(4)), "(2, 3)", "(4,)")
    assert isinstance(e, ValueError) or op in ("lt", "eq")   # also a ValueError (design §4)


def test_bad_broadcast_with_grad_names_op_and_shapes():
    x = cr.ones(2, 3, requires_grad=True)
    raises(RuntimeError, "add", lambda: x + cr.ones(3, 2), "(2, 3)", "(3, 2)")


def test_torch_code_catching_runtime_error(torch):
    for lib in (torch, cr):
        try:
            lib.ones(2, 3) + lib.ones(4)
        except RuntimeError:
            pass
        else:
            pytest.fail(f"{lib.__name__}: no RuntimeError")


def test_where_bad_broadcast():
    raises(RuntimeError, "where",
           lambda: cr.where(cr.tensor([True, False]), cr.ones(3), 0.0), "(2,)", "(3,)")


def test_where_needs_a_bool_condition():
    raises(RuntimeError, "where", lambda: cr.where(cr.tensor([1, 0]), 1.0, 0.0), "bool")


# ====================================================================== shapes and dims
def test_reshape_to_a_wrong_size_names_both_shapes():
    raises(RuntimeError, "reshape", lambda: cr.ones(2, 3).reshape(4), "[4]", "6", "(2, 3)")
    raises(RuntimeError, "reshape", lambda: cr.ones(2, 3).reshape(-1, 4), "6", "(2, 3)")


def test_view_to_a_wrong_size():
    with pytest.raises(RuntimeError) as info:
        cr.ones(2, 3).view(5)
    assert "[5]" in str(info.value) and "6" in str(info.value)


@pytest.mark.parametrize("op,call,rng,got", [
    ("size", lambda t: t.size(2), "[-2, 1]", "2"),
    ("sum", lambda t: t.sum(2), "[-2, 1]", "2"),
    ("mean", lambda t: t.mean(-3), "[-2, 1]", "-3"),
    ("amax", lambda t: t.amax(4), "[-2, 1]", "4"),
    ("var", lambda t: t.var(5), "[-2, 1]", "5"),
    ("logsumexp", lambda t: t.logsumexp(9), "[-2, 1]", "9"),
    ("softmax", lambda t: t.softmax(2), "[-2, 1]", "2"),
    ("unsqueeze", lambda t: t.unsqueeze(3), "[-3, 2]", "3"),
    ("transpose", lambda t: t.transpose(0, 2), "[-2, 1]", "2"),
    ("squeeze", lambda t: t.squeeze(4), "[-2, 1]", "4"),
    ("stride", lambda t: t.stride(2), "[-2, 1]", "2"),
])
def test_wrong_dim_is_an_index_error_naming_the_range(op, call, rng, got):
    raises(IndexError, op, lambda: call(cr.ones(2, 3)),
           f"Dimension out of range (expected to be in range of {rng}, but got {got})")


def test_wrong_dim_matches_torch_wording(torch):
    with pytest.raises(IndexError) as theirs:
        torch.ones(2, 3).sum(2)
    with pytest.raises(IndexError) as ours:
        cr.ones(2, 3).sum(2)
    assert str(theirs.value) in str(ours.value)


def test_repeated_dim():
    raises(RuntimeError, "sum", lambda: cr.ones(2, 3).sum((0, 0)), "multiple times")


# ====================================================================== devices
@pytest.mark.parametrize("op,call", [
    ("zeros", lambda: cr.zeros(2, device="cuda")), ("ones", lambda: cr.ones(2, device="cuda")),
    ("tensor", lambda: cr.tensor([1.0], device="cuda:0")),
    ("full", lambda: cr.full((2,), 1.0, device="cuda")),
    ("randn", lambda: cr.randn(2, device="cuda")),
    ("arange", lambda: cr.arange(3, device=cr.device("cuda"))),
    ("to", lambda: cr.ones(2).to("cuda")), ("cuda", lambda: cr.ones(2).cuda()),
    ("zeros_like", lambda: cr.zeros_like(cr.ones(2), device="cuda"))])
def test_cuda_is_a_clear_error(op, call):
    with pytest.raises(RuntimeError) as info:
        call()
    msg = str(info.value)
    assert "CUDA backend" in msg and "not" in msg and "cpu" in msg
    assert msg.startswith(op) or op == "zeros_like" and msg.startswith("zeros")


def test_unknown_device_string():
    raises(RuntimeError, "device", lambda: cr.zeros(2, device="tpu"), "tpu")
    raises(RuntimeError, "device", lambda: cr.device("gpu"), "gpu")


# ====================================================================== dtypes
@pytest.mark.parametrize("op,call", [
    ("zeros", lambda: cr.zeros(2, dtype="floaty")),
    ("tensor", lambda: cr.tensor([1], dtype="int65")),
    ("ones", lambda: cr.ones(2, dtype="complex64")),
    ("arange", lambda: cr.arange(3, dtype="float128")),
    ("to", lambda: cr.ones(2).to(dtype="quaternion")),
    ("full", lambda: cr.full((2,), 1, dtype="str")),
    ("randn", lambda: cr.randn(2, dtype="nope"))])
def test_bad_dtype_strings(op, call):
    raises(TypeError, op, call, "dtype", "not supported", "float32")


def test_dtype_names_are_accepted():
    assert cr.zeros(1, dtype="float64").dtype is cr.float64
    assert cr.zeros(1, dtype="chainrule.int32").dtype is cr.int32
    assert cr.zeros(1, dtype="long").dtype is cr.int64


def test_logsumexp_of_int_is_float(torch):
    assert cr.tensor([1, 2]).logsumexp(0).dtype is cr.float32
    assert abs(cr.tensor([1, 2]).logsumexp(0).item() -
               torch.tensor([1, 2]).logsumexp(0).item()) < 1e-6


@pytest.mark.parametrize("op", ["mean", "var", "std", "softmax", "log_softmax"])
def test_float_only_reductions_on_int(op, torch):
    args = (0,) if op in ("logsumexp", "softmax", "log_softmax") else ()
    with pytest.raises(RuntimeError):
        getattr(torch.tensor([1, 2]), op)(*args)
    raises(RuntimeError, op, lambda: getattr(cr.tensor([1, 2]), op)(*args), "int64")


def test_mean_of_int_matches_torch_type_and_says_float():
    e = raises(RuntimeError, "mean", lambda: cr.tensor([1, 2]).mean(), "floating point")
    assert "Got int64" in str(e)
    assert cr.tensor([1, 2]).float().mean().item() == 1.5
    assert cr.tensor([1, 2]).mean(dtype=cr.float64).item() == 1.5


# ====================================================================== creation
def test_creation_errors():
    raises(RuntimeError, "zeros", lambda: cr.zeros(2, -3), "negative dimension", "-3")
    raises(TypeError, "ones", lambda: cr.ones("a"), "size")
    raises(TypeError, "full", lambda: cr.full((2,), "x"), "fill_value")
    raises(RuntimeError, "arange", lambda: cr.arange(0, 5, 0), "step must be nonzero")
    raises(RuntimeError, "arange", lambda: cr.arange(0, 10, -1),
           "upper bound and lower bound inconsistent with step sign")
    raises(RuntimeError, "arange", lambda: cr.arange(5, 0),
           "upper bound and lower bound inconsistent with step sign")
    raises(RuntimeError, "linspace", lambda: cr.linspace(0, 1, -1), "non-negative")
    raises(RuntimeError, "eye", lambda: cr.eye(-1), "non-negative")
    raises(ValueError, "tensor", lambda: cr.tensor([[1, 2], [3]]),
           "expected sequence of length 2 at dim 1 (got 1)")
    raises(TypeError, "tensor", lambda: cr.tensor("abc"), "str")
    raises(TypeError, "tensor", lambda: cr.tensor([1, "a"]), "str")
    raises(TypeError, "tensor", lambda: cr.tensor([1 + 2j]), "complex")
    raises(TypeError, "Tensor", lambda: cr.Tensor(3.0), "chainrule.tensor")


def test_ragged_nested_list_matches_torch(torch):
    for data in ([[1, 2], [3]], [[1], [2, 3]], [[[1, 2]], [[3]]]):
        with pytest.raises(ValueError) as theirs:
            torch.tensor(data)
        with pytest.raises(ValueError) as ours:
            cr.tensor(data)
        assert str(theirs.value) in str(ours.value)


# ====================================================================== conversions and misc
def test_conversion_errors():
    raises(RuntimeError, "item", lambda: cr.ones(2).item(), "2 elements")
    raises(RuntimeError, "requires_grad_", lambda: cr.tensor([1]).requires_grad_(),
           "floating point")
    raises(RuntimeError, "requires_grad_", lambda: (cr.ones(1, requires_grad=True) * 2)
           .requires_grad_(False), "leaf")
    raises(RuntimeError, "Can't call numpy()", lambda: cr.ones(1, requires_grad=True).numpy())


def test_operator_errors():
    raises(RuntimeError, "sub", lambda: cr.tensor([True]) - cr.tensor([False]), "bool")
    raises(RuntimeError, "sub", lambda: cr.tensor([True]) - 1, "bool")
    raises(RuntimeError, "pow", lambda: cr.tensor([2]) ** -1, "negative integer powers")
    raises(NotImplementedError, "pow", lambda: cr.tensor([True]) ** cr.tensor([True]), "Bool")
    raises(TypeError, "bitwise_not", lambda: ~cr.ones(1), "integer and Boolean")
    raises(RuntimeError, "bitwise_and", lambda: cr.ones(1) & cr.ones(1), "integer")
    raises(ValueError, "div", lambda: cr.div(cr.ones(1), 2, rounding_mode="round"),
           "rounding_mode")
    raises(TypeError, "add", lambda: cr.add(1, 2), "Tensor")
    raises(TypeError, "add", lambda: cr.ones(2) + "a", "str")


def test_in_place_errors_name_the_op():
    raises(RuntimeError, "add_", lambda: cr.tensor([1, 2]).add_(1.5),
           "result type Float can't be cast to the desired output type Long")
    raises(RuntimeError, "div_", lambda: cr.tensor([1, 2]).div_(2),
           "result type Float can't be cast to the desired output type Long")
    raises(RuntimeError, "clamp_", lambda: cr.tensor([1, 2]).clamp_(0.5, 1.5),
           "result type Float can't be cast to the desired output type Long")
    raises(RuntimeError, "mul_", lambda: cr.ones(2).mul_(cr.ones(3, 2)),
           "output with shape [2] doesn't match the broadcast shape [3, 2]")
    raises(RuntimeError, "exp_", lambda: cr.ones(2, requires_grad=True).exp_(),
           "a leaf Variable that requires grad is being used in an in-place operation")
    raises(RuntimeError, "copy_", lambda: cr.ones(2).copy_(cr.ones(3)), "[3]", "[2]")
