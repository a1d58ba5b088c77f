"""``Tensor.contiguous`` / ``is_contiguous`` / ``clone`` and the memory formats
(``contiguous_format``, ``channels_last``, ``channels_last_3d``, ``preserve_format``): self when
already contiguous, else a copy in the asked layout that stays in the graph; strides and answers
as torch's."""
import copy
import itertools
import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck

FORMATS = ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]


# ============================================================================ row-major
def test_contiguous_tensor_is_returned_itself():
    x = cr.randn(3, 4, requires_grad=True)
    assert x.is_contiguous() and x.contiguous() is x
    assert x.contiguous(memory_format=cr.contiguous_format) is x
    assert x.contiguous(memory_format=cr.preserve_format) is x


@pytest.mark.parametrize("make", [lambda t: t.t(), lambda t: t.transpose(0, 1),
                                  lambda t: t.permute(1, 0), lambda t: t[:, ::2],
                                  lambda t: t[:, 1:3], lambda t: t.mT])
def test_non_contiguous_view_gives_a_contiguous_copy(make):
    v = make(cr.tensor(np.arange(12.0).reshape(3, 4)))
    expected = v.numpy().copy()
    assert not v.is_contiguous()
    c = v.contiguous()
    assert c is not v and c.is_contiguous()
    assert c.stride() == tuple(int(np.prod(c.shape[i + 1:])) for i in range(c.ndim))
    np.testing.assert_array_equal(c.numpy(), expected)
    # a copy: writing into it leaves the source alone
    c.numpy()[0, 0] = -1.0
    assert v.numpy()[0, 0] == expected[0, 0] != -1.0


def test_contiguous_copy_stays_in_the_graph():
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x.t().contiguous()
    assert y.requires_grad and y.grad_fn is not None and y.is_contiguous()
    (y * cr.tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]])


@pytest.mark.parametrize("fmt", ["contiguous_format", "channels_last"])
def test_gradcheck_and_gradgradcheck(fmt):
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((2, 3, 2, 4)), requires_grad=True)

    def f(t):
        c = t.permute(0, 3, 1, 2).contiguous(memory_format=getattr(cr, fmt))
        return c * c

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_no_grad_input_gives_no_graph():
    y = cr.randn(2, 3).t().contiguous()
    assert not y.requires_grad and y.grad_fn is None


# ============================================================================ channels last
def test_channels_last_strides_and_values():
    a = np.random.default_rng(1).standard_normal((2, 3, 4, 5)).astype(np.float32)
    x = cr.tensor(a, requires_grad=True)
    c = x.contiguous(memory_format=cr.channels_last)
    assert tuple(c.shape) == (2, 3, 4, 5) and c.stride() == (60, 1, 15, 3)
    assert c.is_contiguous(memory_format=cr.channels_last) and not c.is_contiguous()
    assert c.contiguous(memory_format=cr.channels_last) is c
    np.testing.assert_array_equal(c.detach().numpy(), a)
    back = c.contiguous()
    assert back.stride() == (60, 20, 5, 1) and back.is_contiguous()
    (back * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(a.shape, 2.0, np.float32))
    # a clone keeps the channels-last layout (preserve_format), or the one it is given
    assert c.clone().stride() == (60, 1, 15, 3)
    assert c.clone(memory_format=cr.contiguous_format).stride() == (60, 20, 5, 1)
    assert x.clone(memory_format=cr.channels_last).stride() == (60, 1, 15, 3)
    assert x.clone().stride() == (60, 20, 5, 1)


def test_channels_last_3d_strides():
    c = cr.randn(2, 3, 4, 5, 6).contiguous(memory_format=cr.channels_last_3d)
    assert c.stride() == (360, 1, 90, 18, 3)
    assert c.is_contiguous(memory_format=cr.channels_last_3d)
    assert not c.is_contiguous(memory_format=cr.channels_last)


def test_channels_last_tensors_work_in_ops():
    x = cr.randn(2, 3, 6, 6)
    w = cr.randn(4, 3, 3, 3)
    xc = x.contiguous(memory_format=cr.channels_last)
    np.testing.assert_allclose(cr.nn.functional.conv2d(xc, w, padding=1).numpy(),
                               cr.nn.functional.conv2d(x, w, padding=1).numpy(), rtol=1e-6,
                               atol=1e-6)
    np.testing.assert_array_equal(xc.reshape(2, -1).numpy(), x.reshape(2, -1).numpy())


# ============================================================================ the formats
def test_memory_format_objects():
    assert isinstance(cr.channels_last, cr.memory_format)
    assert repr(cr.channels_last) == "chainrule.channels_last"
    assert str(cr.contiguous_format) == "chainrule.contiguous_format"
    for name in FORMATS:
        fmt = getattr(cr, name)
        assert pickle.loads(pickle.dumps(fmt)) is fmt and copy.deepcopy(fmt) is fmt


def test_errors():
    x = cr.randn(2, 3)
    with pytest.raises(TypeError, match=r"is_contiguous\(\): argument 'memory_format' must be "
                                        r"chainrule.memory_format, not str"):
        x.is_contiguous(memory_format="channels_last")
    with pytest.raises(TypeError, match=r"contiguous\(\): argument 'memory_format' must be "
                                        r"chainrule.memory_format, not int"):
        x.contiguous(memory_format=3)
    with pytest.raises(RuntimeError, match=r"contiguous: required rank 4 tensor to use "
                                           r"channels_last format, got a tensor of shape \(2, 3\)"):
        x.contiguous(memory_format=cr.channels_last)
    with pytest.raises(RuntimeError, match=r"clone: required rank 5 tensor to use "
                                           r"channels_last_3d format, got a tensor of shape"):
        cr.randn(1, 2, 3, 4).clone(memory_format=cr.channels_last_3d)
    with pytest.raises(RuntimeError, match="contiguous: preserve memory format is unsupported by "
                                           "the contiguous operator"):
        x.t().contiguous(memory_format=cr.preserve_format)
    # wrong-rank tensors simply are not channels-last contiguous
    assert not x.is_contiguous(memory_format=cr.channels_last)
    assert not cr.randn(1, 2, 3, 4).is_contiguous(memory_format=cr.channels_last_3d)


# ============================================================================ torch parity
def _views(t):
    yield t
    for p in itertools.permutations(range(t.ndim)):
        yield t.permute(*p)
    if t.ndim >= 2:
        yield t[:, ::2]
        yield t[..., :1]


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 3, 1, 1), (2, 1, 4, 5), (2, 3, 1, 5),
                                   (0, 3, 4, 5), (1, 1, 1, 1), (3, 4, 5), (2, 3),
                                   (2, 3, 2, 1, 2)])
def test_matches_torch_on_views(shape, torch):
    """For the tensor and its views (every permutation, a stepped and a narrowed slice):
    is_contiguous(fmt), contiguous(fmt) (self or a copy, strides, values, or the error) as
    torch."""
    a = np.random.default_rng(2).standard_normal(shape)
    for x, y in zip(_views(cr.tensor(a)), _views(torch.tensor(a))):
        assert x.stride() == y.stride()
        for name in FORMATS:
            ours, theirs = getattr(cr, name), getattr(torch, name)
            assert x.is_contiguous(memory_format=ours) == y.is_contiguous(memory_format=theirs), \
                (shape, x.stride(), name)
            try:
                expected = y.contiguous(memory_format=theirs)
            except RuntimeError:
                with pytest.raises(RuntimeError):
                    x.contiguous(memory_format=ours)
                continue
            got = x.contiguous(memory_format=ours)
            assert (got is x) == (expected is y), (shape, x.stride(), name)
            if got.numel():
                assert got.stride() == expected.stride(), (shape, x.stride(), name)
            np.testing.assert_array_equal(got.numpy(), expected.numpy())


# ============================================================================ view never copies
@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 3, 1), (4, 1, 2), (2, 3)])
def test_view_shares_memory_or_fails_as_torch(shape, torch):
    """view(new_shape) of every permutation / slice of a tensor: the same outcome as torch
    (a view, or RuntimeError when the strides cannot express the shape), and a view aliases
    its source."""
    a = np.arange(float(np.prod(shape))).reshape(shape)
    n = a.size
    targets = [(-1,), (n,), (1, n), (n, 1)] + ([(shape[0], -1)] if len(shape) > 1 else []) \
        + ([(-1, shape[-1])] if len(shape) > 1 else [])
    for x, y in zip(_views(cr.tensor(a)), _views(torch.tensor(a))):
        for target in targets:
            if y.numel() != n and -1 not in target:
                continue
            try:
                expected = y.view(*target)
            except RuntimeError as e:
                stride_error = "view size is not compatible" in str(e)
                with pytest.raises(RuntimeError,
                                   match="view size is not compatible" if stride_error
                                   else "is invalid for input of size"):
                    x.view(*target)
                continue
            got = x.view(*target)
            assert tuple(got.shape) == tuple(expected.shape)
            np.testing.assert_array_equal(got.numpy(), expected.numpy())
            if got.numel():
                first = (0,) * got.ndim
                got.numpy()[first] = -7.0                   # a write through the view
                assert (x.numpy() == -7.0).sum() == 1, (shape, x.stride(), target)
                got.numpy()[first] = expected[first].item()
