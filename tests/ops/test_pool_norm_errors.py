"""Pooling and normalisation ops: every error path (the message names the op, the shapes and
what was expected), and the values the registry cannot express: returned indices, integer
inputs, ties and NaN, in-place writes after pooling, torch's float32 nearest-index arithmetic,
and running statistics after several training-mode calls."""
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F


def _x(*shape, dtype=cr.float32, seed=0):
    return cr.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=dtype)


def _torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------- pooling: arguments
@pytest.mark.parametrize("kw, kind, pattern", [
    (dict(kernel_size=2.5), TypeError, r"max_pool2d: kernel_size must be an int or a tuple"),
    (dict(kernel_size=(2, 2.0)), TypeError, r"max_pool2d: kernel_size must be ints, got"),
    (dict(kernel_size=(2, 2, 2)), RuntimeError,
     r"max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (dict(kernel_size=0, stride=1), RuntimeError,
     r"max_pool2d: kernel size should be greater than zero, but got kernel_size=\(0, 0\)"),
    (dict(kernel_size=2, stride=0), RuntimeError,
     r"max_pool2d: stride should be greater than zero, but got stride=\(0, 0\)"),
    (dict(kernel_size=2, dilation=(1, 0)), RuntimeError,
     r"max_pool2d: dilation should be greater than zero"),
    (dict(kernel_size=2, padding=-1), RuntimeError, r"max_pool2d: pad must be non-negative"),
    (dict(kernel_size=2, padding=2), RuntimeError,
     r"max_pool2d: pad should be smaller than or equal to half of kernel size, but got "
     r"pad=2, kernel_size=2"),
    (dict(kernel_size=3, padding=2, dilation=2), RuntimeError,      # torch: plain kernel
     r"max_pool2d: pad should be smaller than or equal to half of kernel size"),
    (dict(kernel_size=6), RuntimeError,
     r"max_pool2d: given input size \(5, 5\), the calculated output size \(0, 0\) is too small"),
])
def test_max_pool2d_argument_errors(kw, kind, pattern):
    with pytest.raises(kind, match=pattern):
        F.max_pool2d(_x(2, 3, 5, 5), **kw)


def test_pool_errors_name_their_op():
    with pytest.raises(RuntimeError,
                       match=r"avg_pool2d: pad should be smaller than or equal to half"):
        F.avg_pool2d(_x(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match=r"avg_pool1d: given input size 3, the calculated "
                                           r"output size 0 is too small \(kernel_size=4"):
        F.avg_pool1d(_x(1, 2, 3), 4)
    with pytest.raises(RuntimeError, match=r"max_pool1d: stride should be greater than zero, "
                                           r"but got stride=0"):
        F.max_pool1d(_x(1, 2, 3), 2, stride=0)
    with pytest.raises(RuntimeError, match=r"max_pool1d: kernel_size must either be a single "
                                           r"int, or a tuple of one int"):
        F.max_pool1d(_x(1, 2, 5), (2, 2))


@pytest.mark.parametrize("fn, shape, pattern", [
    (F.max_pool2d, (5, 5), r"max_pool2d: expected a non-empty 3-D \(C, H, W\) or 4-D "
                           r"\(N, C, H, W\) input, got \(5, 5\) float32"),
    (F.max_pool2d, (1, 2, 3, 5, 5), r"max_pool2d: expected a non-empty 3-D"),
    (F.avg_pool2d, (2, 0, 4, 4), r"avg_pool2d: expected a non-empty 3-D .* got \(2, 0, 4, 4\)"),
    (F.max_pool1d, (5,), r"max_pool1d: expected a non-empty 2-D \(C, L\) or 3-D \(N, C, L\)"),
    (F.avg_pool1d, (2, 3, 4, 5), r"avg_pool1d: expected a non-empty 2-D"),
])
def test_pool_input_shape_errors(fn, shape, pattern):
    with pytest.raises(RuntimeError, match=pattern):
        fn(cr.zeros(*shape), 2)


def test_pool_input_type_errors():
    with pytest.raises(TypeError, match="max_pool2d: expected input to be a Tensor, got list"):
        F.max_pool2d([[[1.0]]], 1)
    with pytest.raises(NotImplementedError, match="max_pool2d: not implemented for 'Bool'"):
        F.max_pool2d(cr.zeros(1, 4, 4, dtype=cr.bool), 2)
    with pytest.raises(TypeError, match="interpolate: expected input to be a Tensor, got "
                                        "ndarray"):
        F.interpolate(np.zeros((1, 1, 2, 2)), scale_factor=2)


def test_avg_pool2d_divisor_override_zero():
    with pytest.raises(RuntimeError, match="avg_pool2d: divisor must be not zero"):
        F.avg_pool2d(_x(1, 1, 4, 4), 2, divisor_override=0)


# ---------------------------------------------------------------- max-unpooling
def _pooled():
    return F.max_pool2d(_x(2, 3, 4, 4), 2, return_indices=True)


def test_max_unpool_index_errors():
    y, idx = _pooled()
    with pytest.raises(RuntimeError, match="max_unpool2d: elements in indices should be type "
                                           "int64 but got: Float"):
        F.max_unpool2d(y, idx.float(), 2)
    with pytest.raises(RuntimeError, match=r"max_unpool2d: expected indices of the input's shape "
                                           r"\(2, 3, 2, 2\), got \(2, 1, 2, 2\)"):
        F.max_unpool2d(y, idx[:, :1], 2)
    with pytest.raises(RuntimeError, match=r"max_unpool2d: found an invalid max index: 16 "
                                           r"\(output volumes are of size 3x3\)"):
        F.max_unpool2d(y, idx * 0 + 16, 2, output_size=(3, 3))
    with pytest.raises(NotImplementedError, match="max_unpool2d: not implemented for 'Long'"):
        F.max_unpool2d(idx, idx, 2)


def test_max_unpool_output_size_errors():
    y, idx = _pooled()
    with pytest.raises(ValueError, match=r"max_unpool2d: invalid output_size \(7, 7\) \(dim 0 "
                                         r"must be between 2 and 6\)"):
        F.max_unpool2d(y, idx, 2, output_size=(7, 7))
    with pytest.raises(ValueError, match=r"max_unpool2d: output_size should be a sequence "
                                         r"containing 2 or 4 elements, but it has a length of 3"):
        F.max_unpool2d(y, idx, 2, output_size=(4, 4, 4))
    assert F.max_unpool2d(y, idx, 2, output_size=(2, 3, 5, 5)).shape == (2, 3, 5, 5)


# ---------------------------------------------------------------- adaptive pooling
def test_adaptive_pool_errors():
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d: output_size must be 2 ints, "
                                           r"got \(2, 2, 2\)"):
        F.adaptive_avg_pool2d(_x(1, 4, 4), (2, 2, 2))
    with pytest.raises(RuntimeError, match=r"adaptive_max_pool2d: elements of output_size must "
                                           r"be greater than or equal to 0, but got \(-1, -1\)"):
        F.adaptive_max_pool2d(_x(1, 4, 4), -1)
    with pytest.raises(NotImplementedError, match="adaptive_avg_pool1d: not implemented for "
                                                  "'Long'"):
        F.adaptive_avg_pool1d(cr.ones(1, 4, dtype=cr.int64), 2)
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool3d: expected a non-empty 4-D "
                                           r"\(C, D, H, W\)"):
        F.adaptive_avg_pool3d(_x(4, 4), 2)


def test_adaptive_pool_empty_output_like_torch():
    assert F.adaptive_avg_pool2d(_x(2, 3, 5, 5), (0, 2)).shape == (2, 3, 0, 2)
    assert F.adaptive_max_pool2d(_x(2, 3, 5, 5), (2, 0)).shape == (2, 3, 2, 0)


# ---------------------------------------------------------------- interpolate
@pytest.mark.parametrize("args, kw, kind, pattern", [
    ((_x(1, 1, 2, 2),), dict(scale_factor=2, size=3), ValueError,
     "interpolate: only one of size or scale_factor should be defined"),
    ((_x(1, 1, 2, 2),), dict(size=3, recompute_scale_factor=True), ValueError,
     "interpolate: recompute_scale_factor is not meaningful with an explicit size"),
    ((_x(1, 1, 2, 2),), dict(), ValueError,
     "interpolate: either size or scale_factor should be defined"),
    ((_x(1, 1, 2, 2),), dict(size=(3, 3, 3)), ValueError,
     r"interpolate: input and output size must have the same number of spatial dimensions, but "
     r"got input with spatial dimensions of \[2, 2\] and output size of \(3, 3, 3\)"),
    ((_x(1, 1, 2, 2),), dict(scale_factor=(2, 2, 2)), ValueError,
     r"interpolate: input and scale_factor must have the same number"),
    ((_x(1, 1, 2, 2),), dict(scale_factor=2, mode="bogus"), NotImplementedError,
     r"interpolate: input error: only 3D, 4D and 5D input tensors are supported \(got 4D\) for "
     r"the modes nearest \| linear .* \(got 'bogus'\)"),
    ((_x(2, 2),), dict(scale_factor=2), NotImplementedError, r"\(got 2D\)"),
    ((_x(1, 1, 2, 2),), dict(scale_factor=2, mode="bilinear"), NotImplementedError,
     r"interpolate: mode 'bilinear' is not implemented in chainrule \(supported: nearest, "
     r"nearest-exact, area\)"),
    ((_x(1, 1, 2, 2),), dict(scale_factor=2, align_corners=True), ValueError,
     "interpolate: align_corners option can only be set with the interpolating modes"),
    ((_x(1, 1, 2, 2),), dict(scale_factor=2, antialias=True), ValueError,
     "interpolate: anti-alias option is restricted to bilinear and bicubic modes"),
    ((_x(1, 1, 5, 5),), dict(scale_factor=0.1), RuntimeError,
     r"interpolate: input and output sizes should be greater than 0, but got input \(5, 5\) "
     r"and output \(0, 0\)"),
])
def test_interpolate_errors(args, kw, kind, pattern):
    with pytest.raises(kind, match=pattern):
        F.interpolate(*args, **kw)


def test_upsample_aliases_warn_and_match_interpolate():
    x = _x(1, 2, 3, 3)
    with pytest.warns(UserWarning, match="nn.functional.upsample is deprecated"):
        a = F.upsample(x, scale_factor=2)
    with pytest.warns(UserWarning, match="nn.functional.upsample_nearest is deprecated"):
        b = F.upsample_nearest(x, size=(6, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = F.interpolate(x, scale_factor=2)
    assert np.array_equal(a.numpy(), c.numpy()) and np.array_equal(b.numpy(), c.numpy())


def test_interpolate_nearest_indices_match_torch_float32_arithmetic():
    torch = _torch()
    tF = torch.nn.functional
    x = np.arange(2 * 13 * 17, dtype=np.float32).reshape(1, 2, 13, 17)
    for size in [(7, 30), (26, 34), (13, 17), (39, 5), (11, 50)]:
        for mode in ("nearest", "nearest-exact"):
            ours = F.interpolate(cr.tensor(x), size=size, mode=mode).numpy()
            theirs = tF.interpolate(torch.tensor(x), size=size, mode=mode).numpy()
            assert np.array_equal(ours, theirs), (size, mode)
    for scale in [1.3, 2.0, 0.45, 3, (1.7, 0.6)]:
        for recompute in (None, True):
            ours = F.interpolate(cr.tensor(x), scale_factor=scale,
                                 recompute_scale_factor=recompute).numpy()
            theirs = tF.interpolate(torch.tensor(x), scale_factor=scale,
                                    recompute_scale_factor=recompute).numpy()
            assert np.array_equal(ours, theirs), (scale, recompute)


# ---------------------------------------------------------------- pooling values
def test_max_pool_indices_match_torch():
    torch = _torch()
    tF = torch.nn.functional
    a = np.random.default_rng(3).standard_normal((2, 3, 7, 6)).astype(np.float32)
    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
               dict(kernel_size=(2, 3), stride=1, dilation=(2, 1), padding=(1, 1))]:
        _, ours = F.max_pool2d(cr.tensor(a), return_indices=True, **kw)
        _, theirs = tF.max_pool2d(torch.tensor(a), return_indices=True, **kw)
        assert ours.dtype == cr.int64 and np.array_equal(ours.numpy(), theirs.numpy()), kw
    _, ours = F.max_pool1d(cr.tensor(a[0]), 3, stride=2, return_indices=True)
    _, theirs = tF.max_pool1d(torch.tensor(a[0]), 3, stride=2, return_indices=True)
    assert np.array_equal(ours.numpy(), theirs.numpy())
    for size in [(3, 4), 4, (7, 6)]:
        _, ours = F.adaptive_max_pool2d(cr.tensor(a), size, return_indices=True)
        _, theirs = tF.adaptive_max_pool2d(torch.tensor(a), size, return_indices=True)
        assert np.array_equal(ours.numpy(), theirs.numpy()), size


def test_max_pool_ties_send_the_gradient_to_the_first_maximum_like_torch():
    torch = _torch()
    a = np.zeros((1, 1, 4, 4), np.float32)
    a[0, 0, 1, 1] = a[0, 0, 0, 1] = 1.0           # a tie in the first window
    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)]:
        x = cr.tensor(a, requires_grad=True)
        F.max_pool2d(x, **kw).sum().backward()
        t = torch.tensor(a, requires_grad=True)
        torch.nn.functional.max_pool2d(t, **kw).sum().backward()
        assert np.array_equal(x.grad.numpy(), t.grad.numpy()), kw


def test_max_pool_nan_propagates_and_padding_never_wins():
    a = np.full((1, 1, 3, 3), -5.0, np.float32)
    a[0, 0, 0, 0] = np.nan
    y = F.max_pool2d(cr.tensor(a), 2, stride=1).numpy()
    assert np.isnan(y[0, 0, 0, 0]) and (y[0, 0, 1] == -5).all()
    assert (F.max_pool2d(cr.tensor(a[..., 1:, :]), 3, padding=1).numpy() == -5).all()


def test_integer_pooling_like_torch():
    x = cr.tensor([[[[1, 2, -7], [4, 4, -4], [3, -1, 5]]]])
    assert F.max_pool2d(x, 2, stride=1).tolist() == [[[[4, 4], [4, 5]]]]
    assert F.max_pool2d(x, 2, padding=1).tolist() == [[[[1, 2], [4, 5]]]]
    # integer averages truncate toward zero: 11/4 -> 2, -5/4 -> -1, 10/4 -> 2, 4/4 -> 1
    assert F.avg_pool2d(x, 2, stride=1).tolist() == [[[[2, -1], [2, 1]]]]
    assert F.avg_pool2d(x, 2).dtype == cr.int64


def test_writing_into_the_pooled_output_does_not_break_backward():
    torch = _torch()
    a = np.random.default_rng(4).standard_normal((2, 2, 4, 4)).astype(np.float32)
    x = cr.tensor(a, requires_grad=True)
    F.relu(F.max_pool2d(x, 2), inplace=True).sum().backward()
    t = torch.tensor(a, requires_grad=True)
    torch.nn.functional.relu(torch.nn.functional.max_pool2d(t, 2), inplace=True).sum().backward()
    assert np.allclose(x.grad.numpy(), t.grad.numpy())


# ---------------------------------------------------------------- normalisation: errors
def test_batch_norm_input_errors():
    rm, rv = cr.zeros(3), cr.ones(3)
    with pytest.raises(TypeError, match="batch_norm: expected input to be a Tensor, got list"):
        F.batch_norm([1.0], rm, rv)
    with pytest.raises(NotImplementedError, match="batch_norm: not implemented for 'Long'"):
        F.batch_norm(cr.ones(4, 3, dtype=cr.int64), rm, rv, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: expected an input of at least 2 dims "
                                         r"\(N, C, \.\.\.\), got \(3,\) float32"):
        F.batch_norm(cr.ones(3), rm, rv)
    with pytest.raises(ValueError, match=r"batch_norm: expected more than 1 value per channel "
                                         r"when training, got input of shape \(1, 3\)"):
        F.batch_norm(cr.ones(1, 3), rm, rv, training=True)


def test_batch_norm_parameter_errors():
    x = _x(4, 3, 2, 2)
    rm, rv = cr.zeros(3), cr.ones(3)
    with pytest.raises(RuntimeError, match=r"batch_norm: running_mean should contain 3 elements "
                                           r"\(one per channel of input \(4, 3, 2, 2\) float32"
                                           r"\), got \(4,\) float32"):
        F.batch_norm(x, cr.zeros(4), cr.ones(4), training=True)
    with pytest.raises(RuntimeError, match=r"batch_norm: weight should contain 3 elements"):
        F.batch_norm(x, rm, rv, cr.ones(2))
    with pytest.raises(RuntimeError, match=r"batch_norm: bias should contain 3 elements"):
        F.batch_norm(x, rm, rv, None, cr.ones(3, 1))
    with pytest.raises(TypeError, match="batch_norm: expected weight to be a Tensor or None, "
                                        "got list"):
        F.batch_norm(x, rm, rv, [1.0, 1.0, 1.0])
    with pytest.raises(RuntimeError, match="batch_norm: mixed dtypes: input is float64 but "
                                           "running_mean is float32"):
        F.batch_norm(x.double(), rm, rv.double())
    with pytest.raises(ValueError, match="batch_norm: running_mean and running_var must either "
                                         "both be None or neither be None"):
        F.batch_norm(x, rm, None, training=True)
    with pytest.raises(RuntimeError, match="batch_norm: running_mean must be defined in "
                                           "evaluation mode"):
        F.batch_norm(x, None, None, training=False)


def test_layer_norm_errors():
    x = _x(2, 3, 4)
    with pytest.raises(TypeError, match="layer_norm: normalized_shape must be a tuple of ints, "
                                        "got 4"):
        F.layer_norm(x, 4)
    with pytest.raises(RuntimeError, match=r"layer_norm: expected normalized_shape to be at "
                                           r"least 1-dimensional"):
        F.layer_norm(x, ())
    with pytest.raises(RuntimeError, match=r"layer_norm: given normalized_shape=\[3\], expected "
                                           r"input with shape \[\*, 3\], but got input of shape "
                                           r"\(2, 3, 4\)"):
        F.layer_norm(x, (3,))
    with pytest.raises(RuntimeError, match=r"layer_norm: given normalized_shape=\[1, 2, 3, 4\]"):
        F.layer_norm(x, (1, 2, 3, 4))
    with pytest.raises(RuntimeError, match=r"layer_norm: expected weight to be of same shape as "
                                           r"normalized_shape, but got weight of shape \(3,\) "
                                           r"and normalized_shape = \[4\]"):
        F.layer_norm(x, (4,), cr.ones(3))
    with pytest.raises(RuntimeError, match=r"layer_norm: expected bias to be of same shape"):
        F.layer_norm(x, (3, 4), None, cr.ones(4))
    with pytest.raises(NotImplementedError, match="layer_norm: not implemented for 'Long'"):
        F.layer_norm(cr.ones(2, 4, dtype=cr.int64), (4,))


def test_group_norm_errors():
    x = _x(2, 6, 3)
    with pytest.raises(RuntimeError, match=r"group_norm: expected number of channels in input to "
                                           r"be divisible by num_groups, but got input of shape "
                                           r"\(2, 6, 3\) and num_groups=4"):
        F.group_norm(x, 4)
    with pytest.raises(RuntimeError, match="num_groups=0"):
        F.group_norm(x, 0)
    with pytest.raises(RuntimeError, match=r"group_norm: weight should contain 6 elements"):
        F.group_norm(x, 3, cr.ones(3))
    with pytest.raises(ValueError, match=r"group_norm: expected an input of at least 2 dims"):
        F.group_norm(cr.ones(6), 3)


def test_instance_norm_errors():
    x = _x(2, 3, 4, 4)
    with pytest.raises(RuntimeError, match="instance_norm: expected running_mean and "
                                           "running_var to be defined when use_input_stats is "
                                           "false"):
        F.instance_norm(x, use_input_stats=False)
    with pytest.raises(ValueError, match=r"instance_norm: expected more than 1 spatial element "
                                         r"when training, got input of shape \(2, 3, 1, 1\)"):
        F.instance_norm(_x(2, 3, 1, 1))
    with pytest.raises(RuntimeError, match=r"instance_norm: running_mean should contain 3 "
                                           r"elements"):
        F.instance_norm(x, cr.zeros(6), cr.ones(6))
    with pytest.raises(ValueError, match="instance_norm: running_mean and running_var must "
                                         "either both be None"):
        F.instance_norm(x, None, cr.ones(3))


def test_local_response_norm_errors():
    with pytest.raises(ValueError, match=r"local_response_norm: expected an input of at least 3 "
                                         r"dims"):
        F.local_response_norm(_x(2, 3), 2)
    with pytest.raises(RuntimeError, match="local_response_norm: size should be a positive int, "
                                           "got 0"):
        F.local_response_norm(_x(2, 3, 4), 0)


# ---------------------------------------------------------------- normalisation: values
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (4, 3, 3, 3)])
def test_batch_norm_running_stats_match_torch_after_training_steps(shape):
    torch = _torch()
    rm, rv = cr.zeros(3), cr.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    w, b = cr.ones(3, requires_grad=True), cr.zeros(3, requires_grad=True)
    rng = np.random.default_rng(5)
    for step in range(4):
        a = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        version = rm._version
        out = F.batch_norm(cr.tensor(a), rm, rv, w, b, training=True, momentum=0.2)
        ref = torch.nn.functional.batch_norm(torch.tensor(a), trm, trv, training=True,
                                             momentum=0.2)
        assert rm._version == version + 1
        np.testing.assert_allclose(out.detach().numpy(), ref.numpy(), atol=2e-5)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-5, atol=1e-6)
    x = _x(*shape, seed=9)                  # evaluation mode then uses them
    ref = torch.nn.functional.batch_norm(torch.tensor(x.numpy()), trm, trv)
    np.testing.assert_allclose(F.batch_norm(x, rm, rv).numpy(), ref.numpy(), atol=1e-5)


def test_instance_norm_running_stats_match_torch():
    torch = _torch()
    rm, rv = cr.zeros(3), cr.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    for step in range(3):
        a = _x(2, 3, 4, 4, seed=step).numpy() + step
        F.instance_norm(cr.tensor(a), rm, rv, momentum=0.3)
        torch.nn.functional.instance_norm(torch.tensor(a), trm, trv, momentum=0.3)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-5, atol=1e-6)


def test_batch_norm_is_stable_for_a_large_mean():
    """Two-pass statistics: a mean 1e4 times the spread loses nothing in float64."""
    a = np.random.default_rng(6).standard_normal((64, 2, 5))
    x = cr.tensor(a * 1e-3 + 10.0, requires_grad=True)
    y = F.batch_norm(x, None, None, training=True, eps=0.0)
    expected = (a - a.mean((0, 2), keepdims=True)) / a.std((0, 2), keepdims=True)
    np.testing.assert_allclose(y.detach().numpy(), expected, atol=1e-8)


def test_batch_norm_without_grad_records_nothing():
    x = _x(4, 3, 2, 2)
    w = cr.ones(3, requires_grad=True)
    with cr.no_grad():
        y = F.batch_norm(x, None, None, w, training=True)
    assert y.grad_fn is None and not y.requires_grad
