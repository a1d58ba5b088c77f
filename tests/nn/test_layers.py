"""Every layer against torch: the same constructor call gives the same repr, the same state_dict
keys and shapes; after loading torch's state_dict (as NumPy arrays) the outputs, the running
statistics and the gradients of inputs and parameters match torch's."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as cnn

# (constructor source with `nn`, input shapes); an int entry (high, shape) is an index input
LAYERS = [
    ("nn.Linear(4, 3)", [(2, 4)]),
    ("nn.Linear(4, 3, bias=False)", [(2, 5, 4)]),
    ("nn.Bilinear(3, 4, 2)", [(5, 3), (5, 4)]),
    ("nn.Identity(3, unused=1)", [(2, 3)]),
    ("nn.Flatten()", [(2, 3, 2, 2)]),
    ("nn.Flatten(0, 2)", [(2, 3, 2, 2)]),
    ("nn.Unflatten(1, (2, 3))", [(4, 6)]),
    ("nn.ReLU()", [(3, 4)]),
    ("nn.ReLU6()", [(3, 4)]),
    ("nn.LeakyReLU(0.2)", [(3, 4)]),
    ("nn.PReLU()", [(2, 3, 4)]),
    ("nn.PReLU(3, init=0.1)", [(2, 3, 4)]),
    ("nn.ELU(alpha=0.5)", [(3, 4)]),
    ("nn.SELU()", [(3, 4)]),
    ("nn.CELU(0.8)", [(3, 4)]),
    ("nn.GELU()", [(3, 4)]),
    ("nn.GELU(approximate='tanh')", [(3, 4)]),
    ("nn.SiLU()", [(3, 4)]),
    ("nn.Mish()", [(3, 4)]),
    ("nn.Tanh()", [(3, 4)]),
    ("nn.Sigmoid()", [(3, 4)]),
    ("nn.Hardtanh(-0.5, 0.5)", [(3, 4)]),
    ("nn.Hardsigmoid()", [(3, 4)]),
    ("nn.Hardswish()", [(3, 4)]),
    ("nn.LogSigmoid()", [(3, 4)]),
    ("nn.Softplus(beta=2, threshold=1)", [(3, 4)]),
    ("nn.Softsign()", [(3, 4)]),
    ("nn.Tanhshrink()", [(3, 4)]),
    ("nn.Threshold(0.1, 20)", [(3, 4)]),
    ("nn.Softmax(dim=1)", [(3, 4)]),
    ("nn.Softmin(dim=0)", [(3, 4)]),
    ("nn.LogSoftmax(dim=-1)", [(3, 4)]),
    ("nn.Embedding(6, 3)", [(6, (2, 4))]),
    ("nn.Embedding(6, 3, padding_idx=1)", [(6, (3, 3))]),
    ("nn.Conv1d(2, 3, 3, stride=2, padding=1)", [(2, 2, 7)]),
    ("nn.Conv2d(2, 3, 3)", [(2, 2, 5, 5)]),
    ("nn.Conv2d(2, 4, 3, padding=1, groups=2, bias=False)", [(2, 2, 5, 5)]),
    ("nn.Conv2d(2, 3, (3, 2), stride=(2, 1), dilation=(1, 2))", [(2, 2, 6, 6)]),
    ("nn.Conv2d(2, 3, 3, padding='same', padding_mode='reflect')", [(1, 2, 5, 5)]),
    ("nn.Conv2d(2, 3, 3, padding=1, padding_mode='circular')", [(1, 2, 4, 5)]),
    ("nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode='replicate')", [(1, 2, 4, 4)]),
    ("nn.Conv3d(1, 2, 2)", [(1, 1, 3, 3, 3)]),
    ("nn.ConvTranspose1d(2, 3, 3, stride=2)", [(2, 2, 4)]),
    ("nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)", [(2, 2, 3, 3)]),
    ("nn.ConvTranspose2d(4, 2, 3, groups=2, dilation=2, bias=False)", [(1, 4, 3, 3)]),
    ("nn.ConvTranspose3d(2, 1, 2)", [(1, 2, 2, 2, 2)]),
    ("nn.MaxPool1d(2)", [(2, 3, 6)]),
    ("nn.MaxPool2d(2)", [(2, 3, 4, 4)]),
    ("nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", [(2, 2, 5, 5)]),
    ("nn.AvgPool1d(3, stride=1, padding=1)", [(2, 3, 5)]),
    ("nn.AvgPool2d(2)", [(2, 3, 4, 4)]),
    ("nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)", [(2, 2, 5, 5)]),
    ("nn.AdaptiveAvgPool1d(3)", [(2, 3, 7)]),
    ("nn.AdaptiveAvgPool2d((2, 3))", [(2, 3, 5, 7)]),
    ("nn.AdaptiveAvgPool2d(1)", [(2, 3, 4, 4)]),
    ("nn.AdaptiveAvgPool3d(2)", [(1, 2, 3, 4, 5)]),
    ("nn.AdaptiveMaxPool1d(2)", [(2, 3, 5)]),
    ("nn.AdaptiveMaxPool2d((2, 2))", [(2, 3, 5, 4)]),
    ("nn.BatchNorm1d(3)", [(4, 3)]),
    ("nn.BatchNorm1d(3, affine=False)", [(4, 3, 5)]),
    ("nn.BatchNorm2d(3, momentum=None)", [(2, 3, 4, 4)]),
    ("nn.BatchNorm2d(3, eps=1e-3, track_running_stats=False)", [(2, 3, 4, 4)]),
    ("nn.BatchNorm2d(3, bias=False)", [(2, 3, 4, 4)]),
    ("nn.InstanceNorm1d(3)", [(2, 3, 5)]),
    ("nn.InstanceNorm2d(3)", [(2, 3, 4, 4)]),
    ("nn.InstanceNorm2d(3, affine=True, track_running_stats=True)", [(2, 3, 4, 4)]),
    ("nn.InstanceNorm2d(3, affine=True)", [(3, 4, 4)]),
    ("nn.LayerNorm(4)", [(2, 3, 4)]),
    ("nn.LayerNorm([3, 4], bias=False)", [(2, 3, 4)]),
    ("nn.LayerNorm(4, elementwise_affine=False)", [(2, 4)]),
    ("nn.GroupNorm(2, 4)", [(2, 4, 3, 3)]),
    ("nn.GroupNorm(1, 3, affine=False)", [(2, 3, 5)]),
    ("nn.Upsample(scale_factor=2)", [(1, 2, 3, 3)]),
    ("nn.Upsample(size=(3, 5))", [(1, 2, 2, 2)]),
    ("nn.UpsamplingNearest2d(scale_factor=3)", [(1, 1, 2, 2)]),
    ("nn.Dropout(0.3)", [(3, 4)]),           # compared in eval mode only (masks differ)
    ("nn.Dropout2d()", [(2, 3, 2, 2)]),
    ("nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))", [(3, 4)]),
]

RANDOM_IN_TRAINING = ("nn.Dropout",)


def _build(lib, src):
    return eval(src, {"nn": lib.nn})


def _inputs(specs, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for s in specs:
        if isinstance(s[0], int) and len(s) == 2 and isinstance(s[1], tuple):
            high, shape = s
            arrays.append(rng.integers(0, high, shape))
        else:
            arrays.append(rng.standard_normal(s).astype(np.float32))
    return arrays


def _run(lib, module, arrays):
    ts = []
    for a in arrays:
        t = lib.tensor(a)
        if a.dtype.kind == "f":
            t.requires_grad_(True)
        ts.append(t)
    return ts, module(*ts)


def _compare_forward_backward(torch, c_mod, t_mod, arrays, assert_close, label):
    c_in, c_out = _run(cr, c_mod, arrays)
    t_in, t_out = _run(torch, t_mod, arrays)
    assert_close(c_out, t_out, atol=2e-5, rtol=1e-4, msg=f"{label}: output")
    g = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(np.float32)
    (c_out * cr.tensor(g)).sum().backward()
    (t_out * torch.tensor(g)).sum().backward()
    for i, (ci, ti) in enumerate(zip(c_in, t_in)):
        if ti.grad is not None:
            assert_close(ci.grad, ti.grad, atol=2e-5, rtol=1e-4, msg=f"{label}: input {i} grad")
    c_params = dict(c_mod.named_parameters())
    for name, tp in t_mod.named_parameters():
        if tp.grad is not None:
            assert_close(c_params[name].grad, tp.grad, atol=5e-5, rtol=1e-4,
                         msg=f"{label}: grad of {name}")


@pytest.mark.parametrize("src,specs", LAYERS, ids=[s for s, _ in LAYERS])
def test_layer_matches_torch(torch, src, specs, load_from_torch, assert_close):
    torch.manual_seed(0)
    t_mod = _build(torch, src)
    c_mod = _build(cr, src)
    assert repr(c_mod) == repr(t_mod)
    t_state = t_mod.state_dict()
    c_state = c_mod.state_dict()
    assert list(c_state) == list(t_state)
    for k in t_state:
        assert tuple(c_state[k].shape) == tuple(t_state[k].shape), k
        assert c_state[k].dtype.name == str(t_state[k].dtype).replace("torch.", ""), k
    load_from_torch(c_mod, t_mod)
    arrays = _inputs(specs)
    if not src.startswith(RANDOM_IN_TRAINING):
        _compare_forward_backward(torch, c_mod, t_mod, arrays, assert_close, src + " (train)")
        for k, tb in t_mod.state_dict().items():     # running statistics after one step
            assert_close(c_mod.state_dict()[k], tb, msg=f"{src}: {k} after a training step")
    c_mod.eval()
    t_mod.eval()
    _compare_forward_backward(torch, c_mod, t_mod, _inputs(specs, seed=2), assert_close,
                              src + " (eval)")


def test_parameters_are_leaves_with_grad_and_right_dtype():
    m = cnn.Conv2d(2, 3, 3, dtype=cr.float64)
    for p in m.parameters():
        assert isinstance(p, cnn.Parameter) and p.is_leaf and p.requires_grad
        assert p.dtype == cr.float64
    bn = cnn.BatchNorm1d(2)
    assert bn.num_batches_tracked.dtype == cr.int64
    assert bn.running_mean.requires_grad is False


def test_batchnorm_cumulative_average_with_momentum_none(torch, load_from_torch, assert_close):
    t_bn = torch.nn.BatchNorm1d(3, momentum=None)
    c_bn = cnn.BatchNorm1d(3, momentum=None)
    for seed in range(3):
        x = _inputs([(5, 3)], seed)[0] * (seed + 1) + seed
        t_bn(torch.tensor(x))
        c_bn(cr.tensor(x))
    assert int(c_bn.num_batches_tracked) == 3
    assert_close(c_bn.running_mean, t_bn.running_mean)
    assert_close(c_bn.running_var, t_bn.running_var)


def test_batchnorm_eval_uses_running_stats_and_does_not_update():
    bn = cnn.BatchNorm1d(2)
    with cr.no_grad():
        bn.running_mean.copy_(cr.tensor([1.0, -1.0]))
        bn.running_var.copy_(cr.tensor([4.0, 0.25]))
    bn.eval()
    y = bn(cr.tensor([[3.0, 0.0]]))
    np.testing.assert_allclose(y.detach().numpy(), [[2 / np.sqrt(4 + 1e-5),
                                                     1 / np.sqrt(0.25 + 1e-5)]], rtol=1e-6)
    assert int(bn.num_batches_tracked) == 0
    np.testing.assert_array_equal(bn.running_mean.numpy(), [1.0, -1.0])


def test_norm_layers_reject_wrong_input_dims():
    with pytest.raises(ValueError, match="expected 4D input \\(got 3D input\\)"):
        cnn.BatchNorm2d(3)(cr.randn(2, 3, 4))
    with pytest.raises(ValueError, match="expected 2D or 3D input \\(got 4D input\\)"):
        cnn.BatchNorm1d(3)(cr.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="expected 3D or 4D input \\(got 2D input\\)"):
        cnn.InstanceNorm2d(3)(cr.randn(2, 3))
    with pytest.raises(ValueError, match="to match num_features \\(3\\), but got: 4"):
        cnn.InstanceNorm2d(3, affine=True)(cr.randn(2, 4, 3, 3))
    with pytest.warns(UserWarning, match="does not match num_features"):
        cnn.InstanceNorm2d(3)(cr.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match="num_channels \\(5\\) must be divisible by num_groups"):
        cnn.GroupNorm(2, 5)


def test_conv_constructor_errors():
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        cnn.Conv2d(2, 2, 3, groups=0)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        cnn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        cnn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        cnn.Conv2d(2, 2, 3, padding="full")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        cnn.Conv2d(2, 2, 3, padding="same", stride=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        cnn.Conv1d(2, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for '
                                         'ConvTranspose2d'):
        cnn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")


def test_conv_transpose_output_size(torch, load_from_torch, assert_close):
    t_m = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    c_m = load_from_torch(cnn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), t_m)
    x = _inputs([(1, 2, 3, 3)])[0]
    for size in [(5, 5), (6, 5), [1, 3, 6, 6]]:
        assert_close(c_m(cr.tensor(x), output_size=size), t_m(torch.tensor(x), output_size=size))
    with pytest.raises(ValueError, match="requested an output size of \\[7, 5\\], but valid "
                                         "sizes range from \\[5, 5\\] to \\[6, 6\\]"):
        c_m(cr.tensor(x), output_size=(7, 5))
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements \\(got 3\\)"):
        c_m(cr.tensor(x), output_size=(1, 5, 5))


def test_maxpool_indices_and_unpool_match_torch(torch, assert_close):
    x = _inputs([(2, 3, 4, 4)])[0]
    c_out, c_idx = cnn.MaxPool2d(2, return_indices=True)(cr.tensor(x))
    t_out, t_idx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(c_idx.numpy(), t_idx.numpy())
    c_up = cnn.MaxUnpool2d(2)(c_out, c_idx)
    t_up = torch.nn.MaxUnpool2d(2)(t_out, t_idx)
    assert_close(c_up, t_up)
    assert repr(cnn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
    x1 = _inputs([(2, 3, 6)])[0]
    c1, i1 = cnn.MaxPool1d(2, return_indices=True)(cr.tensor(x1))
    t1, ti1 = torch.nn.MaxPool1d(2, return_indices=True)(torch.tensor(x1))
    assert_close(cnn.MaxUnpool1d(2)(c1, i1), torch.nn.MaxUnpool1d(2)(t1, ti1))
    assert repr(cnn.MaxUnpool1d(2)) == repr(torch.nn.MaxUnpool1d(2))


def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    emb = cnn.Embedding(5, 3, padding_idx=-1)
    assert emb.padding_idx == 4
    np.testing.assert_array_equal(emb.weight.detach().numpy()[4], 0)
    emb(cr.tensor([[4, 1], [4, 4]])).sum().backward()
    grad = emb.weight.grad.numpy()
    np.testing.assert_array_equal(grad[4], 0)
    np.testing.assert_array_equal(grad[1], 1)
    np.testing.assert_array_equal(grad[[0, 2, 3]], 0)


def test_embedding_max_norm_renormalises_looked_up_rows(torch, load_from_torch, assert_close):
    t_emb = torch.nn.Embedding(5, 3, max_norm=1.0)
    c_emb = load_from_torch(cnn.Embedding(5, 3, max_norm=1.0), t_emb)
    idx = np.array([0, 2, 2])
    assert_close(c_emb(cr.tensor(idx)), t_emb(torch.tensor(idx)))
    assert_close(c_emb.weight, t_emb.weight)      # rows 0 and 2 changed in place, others not
    assert repr(c_emb) == repr(t_emb)


def test_embedding_from_pretrained_and_errors():
    w = cr.arange(6.0).reshape(3, 2)
    emb = cnn.Embedding.from_pretrained(w)
    assert not emb.weight.requires_grad
    np.testing.assert_array_equal(emb(cr.tensor([2])).numpy(), [[4.0, 5.0]])
    assert cnn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        cnn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(AssertionError, match="expected to be 2-dimensional"):
        cnn.Embedding.from_pretrained(cr.zeros(3))
    with pytest.raises(IndexError, match="index out of range in self"):
        cnn.Embedding(3, 2)(cr.tensor([3]))
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar "
                                           "types: Long, Int"):
        cnn.Embedding(3, 2)(cr.tensor([1.0]))
    with pytest.raises(NotImplementedError, match="sparse"):
        cnn.Embedding(3, 2, sparse=True)(cr.tensor([1]))


def test_dropout_train_statistics_and_eval_identity():
    cr.manual_seed(0)
    drop = cnn.Dropout(0.25)
    x = cr.ones(200, 200)
    y = drop(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    drop.eval()
    assert drop(x) is x
    assert repr(drop) == "Dropout(p=0.25, inplace=False)"
    d2 = cnn.Dropout2d(0.5)
    z = d2(cr.ones(50, 40, 3, 3)).numpy()
    per_channel = z.reshape(50, 40, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))   # whole channels
    assert abs((per_channel[..., 0] == 0).mean() - 0.5) < 0.05
    np.testing.assert_array_equal(cnn.Dropout(1.0)(x).numpy(), 0)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                                         "got 1.5"):
        cnn.Dropout(1.5)


def test_same_seed_same_dropout_mask():
    x = cr.ones(10, 10)
    cr.manual_seed(3)
    a = cnn.Dropout()(x).numpy().copy()
    cr.manual_seed(3)
    b = cnn.Dropout()(x).numpy()
    np.testing.assert_array_equal(a, b)


def test_inplace_activation_writes_into_input():
    x = cr.tensor([-1.0, 2.0])
    y = cnn.ReLU(inplace=True)(x)
    assert y is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0])
    assert repr(cnn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    leaf = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        cnn.ReLU(inplace=True)(leaf)


def test_linear_shape_errors():
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied "
                                           "\\(2x5 and 3x4\\)"):
        cnn.Linear(3, 4)(cr.randn(2, 5))
    with pytest.raises(RuntimeError, match="bilinear: expected input1"):
        cnn.Bilinear(2, 3, 4)(cr.randn(5, 2), cr.randn(5, 2))
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints"):
        cnn.Unflatten(1, 6)


def test_hardtanh_and_prelu_errors():
    with pytest.raises(ValueError, match="max_val \\(0\\) must be greater than min_val"):
        cnn.Hardtanh(0, 0)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel "
                                           "size. Found parameter numbers = 3 and channel "
                                           "size = 4"):
        cnn.PReLU(3)(cr.randn(2, 4))
