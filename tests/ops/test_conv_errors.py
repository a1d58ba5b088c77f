"""Error paths of the convolution ops: each message names the op, the shapes (and groups) and
what was expected. Plus values the registry cannot express: 'same' output sizes, the wide-grid
edge cases (strides that do not divide the padded width), float32 GEMM results, empty batches."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F


def _t(*shape, dtype=cr.float32):
    return cr.ones(*shape, dtype=dtype)


# ---------------------------------------------------------------- shapes and channels
def test_channel_mismatch_names_op_shapes_and_groups():
    with pytest.raises(RuntimeError, match=r"conv2d: Given groups=1, weight of size \[4, 2, 3, 3\]"
                                           r", expected input\[2, 3, 5, 5\] to have 2 channels, "
                                           r"but got 3 channels instead"):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 2, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv1d: Given groups=2, weight of size \[4, 2, 3\], "
                                           r"expected input\[2, 3, 5\] to have 4 channels"):
        F.conv1d(_t(2, 3, 5), _t(4, 2, 3), groups=2)


def test_transposed_channel_mismatch():
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: Given transposed=1, weight of size "
                                           r"\[4, 2, 3, 3\], expected input\[2, 3, 5, 5\] to have "
                                           r"4 channels, but got 3 channels instead"):
        F.conv_transpose2d(_t(2, 3, 5, 5), _t(4, 2, 3, 3))


def test_groups_must_divide_out_channels():
    with pytest.raises(RuntimeError, match=r"conv2d: Given groups=3, expected weight to be "
                                           r"divisible by 3 .* weight of size \[4, 1, 3, 3\]"):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 1, 3, 3), groups=3)
    with pytest.raises(RuntimeError, match="conv2d: non-positive groups is not supported"):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), groups=0)


def test_kernel_larger_than_padded_input():
    with pytest.raises(RuntimeError, match=r"conv2d: Calculated padded input size per channel: "
                                           r"\(5 x 5\)\. Kernel size: \(7 x 7\)\. Kernel size "
                                           r"can't be greater than actual input size"):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 3, 7, 7))
    # dilation counts: a 3-tap kernel with dilation 3 spans 7
    with pytest.raises(RuntimeError, match=r"conv1d: Calculated padded input size per channel: "
                                           r"\(6\)\. Kernel size: \(7\)"):
        F.conv1d(_t(1, 1, 4), _t(1, 1, 3), padding=1, dilation=3)


def test_input_and_weight_dims():
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to "
                                           r"conv2d, but got input of size: \[5, 5\]"):
        F.conv2d(_t(5, 5), _t(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv2d: expected a 4-D weight \(out_channels, "
                                           r"in_channels/groups, \*kernel_size\), but got weight "
                                           r"of size \[4, 3, 3\]"):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3))
    with pytest.raises(TypeError, match="conv2d: argument 'weight' must be a Tensor, not list"):
        F.conv2d(_t(2, 3, 5, 5), [1.0])


def test_bias_shape_and_dtypes():
    with pytest.raises(RuntimeError, match=r"conv2d: Given weight of size \[4, 3, 3, 3\], expected "
                                           r"bias to be 1-dimensional with 4 elements, but got "
                                           r"bias of size \[3\] instead"):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), _t(3))
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: Given transposed=1, weight of size "
                                           r"\[3, 2, 3, 3\], expected bias to be 1-dimensional "
                                           r"with 2 elements"):
        F.conv_transpose2d(_t(2, 3, 5, 5), _t(3, 2, 3, 3), _t(3))
    with pytest.raises(RuntimeError, match=r"conv2d: Input type \(float32\) and weight type "
                                           r"\(float64\) should be the same"):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3, dtype=cr.float64))
    with pytest.raises(RuntimeError, match=r"conv2d: Input type \(float32\) and bias type "
                                           r"\(float64\) should be the same"):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), _t(4, dtype=cr.float64))


# ---------------------------------------------------------------- stride, padding, dilation
def test_bad_padding_string():
    with pytest.raises(RuntimeError, match=r"conv2d: Invalid padding string: 'foo'"):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), padding="foo")
    with pytest.raises(TypeError, match=r"conv_transpose2d\(\): argument 'padding' must be tuple "
                                        r"of ints, not str"):
        F.conv_transpose2d(_t(2, 3, 5, 5), _t(3, 2, 3, 3), padding="same")


def test_same_padding_with_stride():
    with pytest.raises(RuntimeError, match=r"conv2d: padding='same' is not supported for strided "
                                           r"convolutions \(got stride=\[2, 2\]\)"):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), padding="same", stride=2)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(stride=0), r"conv2d: non-positive stride is not supported"),
    (dict(dilation=(1, 0)), r"conv2d: non-positive dilation is not supported"),
    (dict(padding=-1), r"conv2d: negative padding is not supported"),
    (dict(padding=(1, 1, 1)), r"conv2d: expected padding to be a single integer value or a list "
                              r"of 2 values to match the convolution dimensions, but got "
                              r"padding=\[1, 1, 1\]"),
    (dict(stride=[]), r"conv2d: expected stride to be a single integer value or a list of 2"),
])
def test_bad_stride_padding_dilation(kwargs, pattern):
    with pytest.raises(RuntimeError, match=pattern):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), **kwargs)


def test_non_integer_stride_is_a_type_error():
    with pytest.raises(TypeError, match="conv2d: argument 'stride' must be an int or a tuple of 2 "
                                        "ints, not float"):
        F.conv2d(_t(2, 3, 5, 5), _t(4, 3, 3, 3), stride=1.5)


def test_output_padding_must_be_smaller_than_stride_or_dilation():
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: output padding must be smaller "
                                           r"than either stride or dilation, but got "
                                           r"output_padding=\[2, 2\], stride=\[2, 2\]"):
        F.conv_transpose2d(_t(2, 3, 5, 5), _t(3, 2, 3, 3), stride=2, output_padding=2)


def test_transposed_output_too_small():
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: the output size \[-3, -3\] .* is "
                                           r"too small"):
        F.conv_transpose2d(_t(2, 3, 5, 5), _t(3, 2, 3, 3), padding=5)


# ---------------------------------------------------------------- unfold / fold
def test_unfold_errors():
    with pytest.raises(RuntimeError, match=r"unfold: expected a 3-D \(unbatched\) or 4-D "
                                           r"\(batched\) input tensor, but got input of size "
                                           r"\[5, 5\]"):
        F.unfold(_t(5, 5), 2)
    with pytest.raises(RuntimeError, match=r"unfold: Given input with spatial size \(5, 5\), "
                                           r"kernel_size=\(7, 7\).* must be at least one"):
        F.unfold(_t(2, 3, 5, 5), 7)
    with pytest.raises(RuntimeError, match="unfold: non-positive stride is not supported"):
        F.unfold(_t(2, 3, 5, 5), 2, stride=0)


def test_fold_errors():
    with pytest.raises(RuntimeError, match=r"fold: Given output_size=\(5, 5\), kernel_size=\(2, "
                                           r"2\).* sliding blocks 4 \* 4 = 16, but got "
                                           r"input.size\(2\)=15"):
        F.fold(_t(2, 12, 15), (5, 5), 2)
    with pytest.raises(RuntimeError, match=r"fold: Expected size of input's dimension 1 to be "
                                           r"divisible by the product of kernel_size, but got "
                                           r"input.size\(1\)=13"):
        F.fold(_t(2, 13, 16), (5, 5), 2)
    with pytest.raises(RuntimeError, match=r"fold: expected a 2-D \(unbatched\) or 3-D"):
        F.fold(_t(2, 12, 16, 1), (5, 5), 2)


# ---------------------------------------------------------------- values
def test_same_padding_keeps_size_and_pads_the_extra_element_at_the_end():
    x = cr.arange(6, dtype=cr.float64).reshape(1, 1, 6)
    w = cr.tensor([[[1.0, 10.0]]], dtype=cr.float64)        # even kernel: total padding 1
    y = F.conv1d(x, w, padding="same")
    assert y.shape == (1, 1, 6)
    # out[p] = x[p] + 10 x[p + 1]: the padding element sits after the last x
    np.testing.assert_array_equal(y.numpy()[0, 0], [10, 21, 32, 43, 54, 5])


def test_strides_that_do_not_divide_the_padded_width():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 7, 11)), rng.standard_normal((4, 3, 2, 3))
    for stride, padding in [((3, 4), (1, 2)), ((2, 5), 0), ((1, 3), (0, 1))]:
        ours = F.conv2d(cr.tensor(x), cr.tensor(w), stride=stride, padding=padding).numpy()
        theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), stride=stride,
                                            padding=padding).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_float32_mnist_sized_conv_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 8, 14, 14)).astype(np.float32)
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    g = rng.standard_normal((4, 16, 14, 14)).astype(np.float32)
    ct = [cr.tensor(a, requires_grad=True) for a in (x, w, b)]
    tt = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    F.conv2d(*ct, padding=1).backward(cr.tensor(g))
    torch.nn.functional.conv2d(*tt, padding=1).backward(torch.tensor(g))
    for c, t in zip(ct, tt):
        assert c.grad.dtype == cr.float32
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_empty_batch():
    y = F.conv2d(_t(0, 3, 5, 5), _t(4, 3, 3, 3), padding=1)
    assert y.shape == (0, 4, 5, 5)
    assert F.conv_transpose2d(_t(0, 4, 5, 5), _t(4, 3, 3, 3)).shape == (0, 3, 7, 7)


def test_node_name_is_torchs():
    x = cr.ones(1, 1, 3, 3, requires_grad=True)
    assert F.conv2d(x, _t(1, 1, 2, 2)).grad_fn.name() == "ConvolutionBackward0"


@pytest.mark.parametrize("wide", [False, True])
def test_both_grids_and_many_chunks_match_torch(monkeypatch, wide):
    """Every code path on one geometry: the dense and the wide grid, each with one image per
    chunk (the chunk budget set to one byte) and with all images in one chunk."""
    torch = pytest.importorskip("torch")
    import chainrule.ops.conv as conv
    monkeypatch.setattr(conv, "_wide", lambda weight, groups: wide)
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((3, 4, 6, 7)), rng.standard_normal((6, 2, 3, 2))
    b, g = rng.standard_normal(6), rng.standard_normal((3, 6, 3, 4))
    kw = dict(stride=(2, 2), padding=(1, 1), dilation=(1, 2), groups=2)
    tt = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    torch.nn.functional.conv2d(*tt, **kw).backward(torch.tensor(g))
    for budget in (1, 1 << 30):
        monkeypatch.setattr(conv, "_CHUNK_BYTES", budget)
        ct = [cr.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = F.conv2d(*ct, **kw)
        y.backward(cr.tensor(g))
        for c, t in zip(ct, tt):
            np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-10)
        back = F.conv_transpose2d(cr.tensor(g), cr.tensor(w), cr.tensor(b[:4]), stride=2,
                                  padding=1, output_padding=1, groups=2, dilation=(1, 2))
        ref = torch.nn.functional.conv_transpose2d(torch.tensor(g), torch.tensor(w),
                                                   torch.tensor(b[:4]), stride=2, padding=1,
                                                   output_padding=1, groups=2, dilation=(1, 2))
        np.testing.assert_allclose(back.numpy(), ref.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("op, w_shape, bias", [("conv2d", (6, 2, 3, 3), 6),
                                               ("conv_transpose2d", (4, 3, 3, 3), 6)])
@pytest.mark.parametrize("needs", [(False, True, True), (True, False, False), (False, False, True)])
def test_gradients_of_some_inputs_only(op, w_shape, bias, needs):
    """The fused backward (no graph recorded) computes only what is asked, and right."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    arrays = (rng.standard_normal((2, 4, 5, 5)), rng.standard_normal(w_shape),
              rng.standard_normal(bias))
    g = getattr(torch.nn.functional, op)(*map(torch.tensor, arrays), stride=2, padding=1,
                                         groups=2).detach().numpy() * 0 + 1.5
    grads = []
    for lib in (cr, torch):
        ts = [lib.tensor(a).requires_grad_(need) for a, need in zip(arrays, needs)]
        getattr(lib.nn.functional, op)(*ts, stride=2, padding=1, groups=2).backward(
            lib.tensor(g))
        grads.append([None if t.grad is None else t.grad.numpy() for t in ts])
    for ours, theirs in zip(*grads):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("op, w_shape", [("conv2d", (5, 1, 2, 2)), ("conv2d", (2, 3, 3, 3)),
                                         ("conv_transpose2d", (3, 5, 2, 2))])
def test_non_contiguous_inputs(op, w_shape):
    """Transposed views as input and weight (both grids: 1x2x2 -> 5 is dense, 3x3x3 -> 2 wide)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, w_shape[0] if op == "conv_transpose2d" else w_shape[1], 6, 5))
    w = rng.standard_normal(w_shape)
    outs = []
    for lib in (cr, torch):
        xt = lib.tensor(x.transpose(0, 1, 3, 2).copy()).requires_grad_()
        wt = lib.tensor(w.transpose(0, 1, 3, 2).copy()).requires_grad_()
        y = getattr(lib.nn.functional, op)(xt.transpose(2, 3), wt.transpose(2, 3), padding=1)
        (y * y).sum().backward()
        outs.append([y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()])
    for ours, theirs in zip(*outs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
