"""``repr(tensor)`` is torch's, with ``chainrule.`` where torch prints ``torch.``."""
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

# expressions evaluated with T = torch and T = chainrule
CASES = [
    # floats: fixed, integer-valued, scientific, non-finite, padding
    "T.tensor([1.0, 2.5, 3.0])", "T.tensor([1.0, 2.0])", "T.tensor([-1.0, 2.0])",
    "T.tensor([-1.5, 2.25, 3.125])", "T.tensor([0.5, 100.25])", "T.tensor([0.1, 0.123456])",
    "T.tensor([1e-5, 1.0])", "T.tensor([1e10, 1.0])", "T.tensor([0.0001, 1.0])",
    "T.tensor([123456.0, 1.5])", "T.tensor([12345678.0, 1.0])", "T.tensor([1e-8, 1e-9])",
    "T.tensor([float('nan'), 1.0])", "T.tensor([float('inf'), 1.5])",
    "T.tensor([1.0, float('nan'), 2.5])", "T.tensor([float('inf'), -float('inf')])",
    "T.tensor([float('nan')])", "T.tensor([-0.0, 1.5])", "T.tensor([0.0, 0.0])",
    "T.arange(12).reshape(3, 4).float()", "T.arange(30).float() / 7",
    "T.tensor([[1e-5, 1.0], [3.0, 4.0]])", "T.ones(2, 3, 4)",
    "T.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=T.float64)",
    # 0-d
    "T.tensor(3.5)", "T.tensor(3)", "T.tensor(True)", "T.tensor(0.1)", "T.tensor(-0.0)",
    "T.tensor(1e-5)", "T.tensor(1e10)", "T.tensor(-3)", "T.tensor(2.0, dtype=T.float64)",
    "T.tensor(7, dtype=T.int32)",
    # ints and bools
    "T.tensor([1, 2, 3])", "T.tensor([[1, 2], [3, 4]])", "T.tensor([-5, 100])",
    "T.arange(10).reshape(2, 5)", "T.tensor([True, False])", "T.tensor([[True], [False]])",
    "T.tensor([1, 2], dtype=T.int32)", "T.tensor([1, 2], dtype=T.uint8)",
    "T.tensor([1, 2], dtype=T.int8)", "T.tensor([1, 2], dtype=T.int16)",
    "T.zeros(3, dtype=T.int32)",
    # other float dtypes
    "T.tensor([1.0, 2.0], dtype=T.float64)", "T.tensor([1.5, 2.0], dtype=T.float64)",
    "T.tensor([1.0, 2.0], dtype=T.float16)", "T.tensor([1.5, 2.25], dtype=T.float16)",
    # empty
    "T.tensor([])", "T.zeros(0, 3)", "T.zeros(2, 0)", "T.zeros(0)",
    "T.zeros(0, dtype=T.int64)", "T.zeros(0, dtype=T.float64)", "T.zeros(0, 2, dtype=T.bool)",
    # summarised (more than 1000 elements) and wrapped lines
    "T.arange(1000).float()", "T.arange(2000)", "T.arange(2000).reshape(40, 50).float()",
    "T.arange(3000).reshape(10, 10, 30)", "T.arange(40).float() * 1.5",
    "T.arange(2000).float() / 3",
    # autograd
    "T.tensor([1.0, 2.0], requires_grad=True)",
    "T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)",
    "T.tensor([1.0, 2.0], requires_grad=True) * 2", "T.tensor(2.0, requires_grad=True) * 2",
    "T.tensor([1.0, 2.0], requires_grad=True).sum()",
    "T.tensor([1.0, 2.0], requires_grad=True) + 1",
    "T.tensor([1.0, 2.0], requires_grad=True) ** 2",
    "T.tensor([1.0, 2.0], requires_grad=True) ** 3",
    "T.tensor([1.0, 2.0], requires_grad=True).to(T.float64)",
    "T.tensor([1.0, 2.0], requires_grad=True).exp()",
    "T.tensor([1.0, 2.0], requires_grad=True).mean()",
    "T.zeros(30, requires_grad=True) + 1",
    "T.tensor([1.0, 2.0], requires_grad=True).detach()",
]


@pytest.mark.parametrize("expr", CASES)
def test_repr_matches_torch(expr):
    theirs = repr(eval(expr, {"T": torch})).replace("torch.", "chainrule.")
    ours = repr(eval(expr, {"T": cr}))
    assert ours == theirs


@pytest.mark.parametrize("expr", ["T.tensor([1.0, 2.5])", "T.tensor([1, 2])",
                                  "T.tensor([1.0, 2.0], dtype=T.float32)",
                                  "T.tensor([1.0, 2.0], dtype=T.float64)", "T.zeros(0)"])
def test_repr_with_float64_default(expr, restore_default_dtype):
    torch.set_default_dtype(torch.float64)
    cr.set_default_dtype(cr.float64)
    theirs = repr(eval(expr, {"T": torch})).replace("torch.", "chainrule.")
    assert repr(eval(expr, {"T": cr})) == theirs


def test_str_is_repr():
    t = cr.tensor([1.0, 2.0])
    assert str(t) == repr(t)


@pytest.mark.parametrize("opts", [dict(precision=2), dict(threshold=5), dict(edgeitems=1,
                                  threshold=5), dict(linewidth=20), dict(sci_mode=True),
                                  dict(profile="short")])
def test_printoptions_match_torch(opts):
    exprs = ["T.tensor([1.12345, 2.5])", "T.arange(10)", "T.arange(20).float() / 3",
             "T.arange(12).reshape(3, 4)"]
    old_torch = torch._tensor_str.get_printoptions()
    try:
        with cr.printoptions(**opts):
            torch.set_printoptions(**opts)
            for e in exprs:
                theirs = repr(eval(e, {"T": torch})).replace("torch.", "chainrule.")
                assert repr(eval(e, {"T": cr})) == theirs, (e, opts)
    finally:
        torch.set_printoptions(**old_torch)
    assert cr.get_printoptions()["precision"] == 4


def test_format_of_0d_follows_python():
    assert f"{cr.tensor(1.5):.3f}" == f"{torch.tensor(1.5):.3f}"
