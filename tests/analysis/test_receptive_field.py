"""receptive_field / output_shape: known values, agreement with real forward passes (chainrule's
and torch's) on random stacks, and agreement of r, j, start with the support of the input
gradient of single output positions."""
import random

import numpy as np
import pytest

import chainrule
import chainrule.nn as nn
from chainrule.analysis import ReceptiveField, output_shape, receptive_field


# ---------------------------------------------------------------------------- known values
def test_two_strided_convs_match_the_textbook_example():
    # Dang Ha The Hien's example: 5x5 input, two 3x3 convs with stride 2 and padding 1
    rf = receptive_field([nn.Conv2d(1, 1, 3, 2, 1), nn.Conv2d(1, 1, 3, 2, 1)], (1, 1, 5, 5))
    assert [f.output_shape for f in rf] == [(1, 1, 3, 3), (1, 1, 2, 2)]
    assert [(f.r, f.j, f.start) for f in rf] == [((3, 3), (2, 2), (0, 0)),
                                                 ((7, 7), (4, 4), (0, 0))]


def test_stacked_3x3_convs_grow_by_two_and_pooling_doubles_the_jump():
    rf = receptive_field([("conv", 3), ("conv", 3), ("pool", 2), ("conv", 3), ("conv", 3)])
    assert [f.r[0] for f in rf] == [3, 5, 6, 10, 14]
    assert [f.j[0] for f in rf] == [1, 1, 2, 2, 2]
    assert [f.start[0] for f in rf] == [1, 2, 2.5, 4.5, 6.5]
    assert all(f.output_shape is None for f in rf)


def test_dilated_causal_stack_has_field_two_to_the_depth():
    layers = [nn.Conv1d(1, 1, 2, dilation=2 ** i) for i in range(5)]
    rf = receptive_field(layers, (1, 1, 64))
    assert [f.r for f in rf] == [(2,), (4,), (8,), (16,), (32,)]
    assert rf[-1].output_shape == (1, 1, 64 - 31)


def test_per_dim_values_and_specs_as_dicts_and_tuples_agree_with_modules():
    modules = [nn.Conv2d(3, 4, (3, 5), stride=(1, 2), padding=(1, 0), dilation=(2, 1)),
               nn.ReLU(), nn.MaxPool2d((2, 3), stride=(2, 1), ceil_mode=True)]
    tuples = [("conv", (3, 5), (1, 2), (1, 0), (2, 1), 4), ("pointwise",),
              ("pool", (2, 3), (2, 1), 0, 1, True)]
    dicts = [{"type": "conv", "kernel_size": (3, 5), "stride": (1, 2), "padding": (1, 0),
              "dilation": (2, 1), "out_channels": 4}, {"type": "pointwise"},
             {"type": "pool", "kernel_size": (2, 3), "stride": (2, 1), "ceil_mode": True}]
    results = [list(receptive_field(x, (2, 3, 17, 20))) for x in (modules, tuples, dicts)]
    names = [[f.name for f in r] for r in results]
    assert names == [["Conv2d", "ReLU", "MaxPool2d"], ["conv", "pointwise", "pool"],
                     ["conv", "pointwise", "pool"]]
    values = [[(f.output_shape, f.r, f.j, f.start) for f in r] for r in results]
    assert values[0] == values[1] == values[2]
    assert values[0][-1] == ((2, 4, 8, 6), (6, 9), (2, 2), (1.5, 4))


def test_spec_dims_come_from_tuples_and_input_shape():
    assert receptive_field([("conv", (3, 1))])[0].r == (3, 1)
    assert receptive_field([("conv", 3)], (1, 1, 8, 8, 8))[0].r == (3, 3, 3)
    assert receptive_field([nn.MaxPool2d(2)])[0].j == (2, 2)


def test_sequential_is_unrolled_and_flatten_ends_the_spatial_part():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sequential(nn.AvgPool2d(2), nn.Tanh()),
                        nn.Flatten(), nn.Linear(2 * 3 * 3, 5))
    rf = receptive_field(net, (4, 1, 8, 8))
    assert [f.name for f in rf] == ["Conv2d", "AvgPool2d", "Tanh", "Flatten", "Linear"]
    assert rf[2].r == (4, 4)
    assert (rf[3].r, rf[3].j, rf[3].start) == (None, None, None)
    assert rf[3].output_shape == (4, 18) and rf[4].output_shape == (4, 5)
    assert output_shape(net, (4, 1, 8, 8)) == (4, 5)


def test_adaptive_pooling_is_a_plain_pooling_when_the_size_divides():
    rf = receptive_field([nn.Conv2d(1, 1, 3), nn.AdaptiveAvgPool2d(1)], (1, 1, 10, 10))
    assert rf[1].output_shape == (1, 1, 1, 1) and rf[1].r == (10, 10)
    rf = receptive_field([nn.AdaptiveAvgPool2d((4, None))], (1, 1, 8, 5))
    assert rf[0].output_shape == (1, 1, 4, 5) and rf[0].r == (2, 1) and rf[0].j == (2, 1)
    assert receptive_field([nn.AdaptiveMaxPool2d(3)], (1, 1, 8, 8))[0].r is None
    assert receptive_field([nn.AdaptiveAvgPool1d(2)])[0].r is None      # no input size


def test_transposed_conv_values():
    rf = receptive_field([nn.Conv2d(1, 1, 3, stride=2, padding=1),
                          nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1)], (1, 1, 8, 8))
    assert rf[1].output_shape == (1, 1, 8, 8)
    assert rf[1].j == (1, 1) and rf[1].r == (5, 5)            # 3 + 1 * 2
    taps = receptive_field([("conv_transpose", 2, 2, 0, 0, 3)], (1, 1, 5))[0]   # taps 0, 3
    assert taps.r == (1,) and taps.j == (0.5,) and taps.output_shape == (1, 1, 12)


def test_table_and_sequence_behaviour():
    rf = receptive_field([("conv", (3, 5)), ("pool", 2)], (1, 1, 9, 9))
    assert isinstance(rf, ReceptiveField) and len(rf) == 2 and rf[-1] is rf.layers[1]
    lines = str(rf).splitlines()
    assert lines[0].split() == ["#", "layer", "output", "shape", "r", "j", "start"]
    assert lines[1].split() == ["0", "conv", "[1,", "1,", "7,", "5]", "3x5", "1", "1x2"]
    assert lines[2].split() == ["1", "pool", "[1,", "1,", "3,", "2]", "4x6", "2", "1.5x2.5"]
    assert repr(rf) == str(rf)


# ---------------------------------------------------------------------------- random stacks
def _random_layer(rng: random.Random, nd: int, channels: int):
    """A random chainrule layer over ``nd`` spatial dims, and the channels it outputs."""
    def ints(lo, hi):
        v = tuple(rng.randint(lo, hi) for _ in range(nd))
        return v if rng.random() < 0.5 else v[0]

    def each(v):
        return v if isinstance(v, tuple) else (v,) * nd

    kind = rng.choice(["conv", "conv", "max", "avg", "transpose", "pointwise"])
    if kind == "conv":
        out = rng.randint(1, 3)
        conv = nn.Conv1d if nd == 1 else nn.Conv2d
        return conv(channels, out, ints(1, 4), stride=ints(1, 3), padding=ints(0, 2),
                    dilation=ints(1, 3), bias=False), out
    if kind == "max":
        k, d = ints(1, 3), ints(1, 2)
        p = tuple(rng.randint(0, kk // 2) for kk in each(k))
        pool = nn.MaxPool1d if nd == 1 else nn.MaxPool2d
        return pool(k, stride=ints(1, 3), padding=p, dilation=d,
                    ceil_mode=rng.random() < 0.5), channels
    if kind == "avg":
        k = ints(1, 3)
        p = tuple(rng.randint(0, kk // 2) for kk in each(k))
        pool = nn.AvgPool1d if nd == 1 else nn.AvgPool2d
        return pool(k, stride=ints(1, 3), padding=p, ceil_mode=rng.random() < 0.5), channels
    if kind == "transpose":
        s, d = ints(1, 3), ints(1, 2)
        op = tuple(rng.randint(0, max(ss, dd) - 1) for ss, dd in zip(each(s), each(d)))
        conv = nn.ConvTranspose1d if nd == 1 else nn.ConvTranspose2d
        return conv(channels, 2, ints(1, 3), stride=s, padding=ints(0, 1), output_padding=op,
                    dilation=d, bias=False), 2
    return rng.choice([nn.ReLU(), nn.BatchNorm1d(channels) if nd == 1
                       else nn.BatchNorm2d(channels), nn.Dropout()]), channels


def _random_stacks(count: int, seed: int):
    rng = random.Random(seed)
    for _ in range(count):
        nd = rng.choice([1, 2])
        channels = rng.randint(1, 3)
        shape = (rng.randint(1, 2), channels) + tuple(rng.randint(4, 20) for _ in range(nd))
        layers = []
        for _ in range(rng.randint(1, 5)):
            layer, channels = _random_layer(rng, nd, channels)
            layers.append(layer)
        yield layers, shape


def test_output_shapes_agree_with_real_forward_passes_on_random_stacks():
    chainrule.manual_seed(0)
    checked = too_small = 0
    for layers, shape in _random_stacks(120, seed=1):
        x = chainrule.zeros(shape)
        for i, layer in enumerate(layers):
            try:
                predicted = output_shape([layer], tuple(x.shape))
            except ValueError:
                with pytest.raises((RuntimeError, ValueError)):
                    layer.eval()(x)
                too_small += 1
                break
            with chainrule.no_grad():
                x = layer.eval()(x)
            assert tuple(x.shape) == predicted, (layers[:i + 1], shape)
        else:
            rows = receptive_field(layers, shape)
            assert rows[-1].output_shape == tuple(x.shape) == output_shape(layers, shape)
            checked += 1
    assert checked >= 40 and too_small >= 5


def test_output_shapes_agree_with_torch_on_random_stacks():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)    # tiny ops: no thread pool to wake up (15 ms a call otherwise)
    try:
        checked = _compare_with_torch(torch, _random_stacks(120, seed=2))
    finally:
        torch.set_num_threads(threads)
    assert checked >= 40


def _torch_forward(torch, layers, shape):
    """The output of torch layers with the chainrule layers' settings, on zeros of shape."""
    x = torch.zeros(shape)
    with torch.no_grad():
        for m in layers:
            name = type(m).__name__
            if name.startswith("Conv"):
                args = dict(kernel_size=m.kernel_size, stride=m.stride, padding=m.padding,
                            dilation=m.dilation, bias=False)
                if "Transpose" in name:
                    args["output_padding"] = m.output_padding
                x = getattr(torch.nn, name)(x.shape[1], m.out_channels, **args)(x)
            elif name.startswith("Max"):
                x = getattr(torch.nn, name)(m.kernel_size, m.stride, m.padding, m.dilation,
                                            ceil_mode=m.ceil_mode)(x)
            else:
                x = getattr(torch.nn, name)(m.kernel_size, m.stride, m.padding,
                                            ceil_mode=m.ceil_mode)(x)
    return x


def _compare_with_torch(torch, stacks) -> int:
    """Our output shape against torch's, or both fail; returns how many stacks ran."""
    classes = {"Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d",
               "MaxPool2d", "AvgPool1d", "AvgPool2d"}
    checked = 0
    for layers, shape in stacks:
        spatial = [m for m in layers if type(m).__name__ in classes]
        try:
            predicted = output_shape(spatial, shape)
        except ValueError:
            with pytest.raises(RuntimeError):
                _torch_forward(torch, spatial, shape)
            continue
        assert tuple(_torch_forward(torch, spatial, shape).shape) == predicted, (spatial, shape)
        checked += 1
    return checked


# ---------------------------------------------------------------------------- gradient support
def _ones(layers):
    """The layers with every weight set to one (so no gradient cancels) and float64."""
    for m in layers:
        m.double()
        if getattr(m, "weight", None) is not None:
            with chainrule.no_grad():
                m.weight.fill_(1.0)
    return layers


def _support_boxes(layers, shape, inputs=1, seed=0):
    """For every output position: per spatial dim, the first and last input index whose
    gradient is nonzero when only that position's gradient is one (union over ``inputs``
    random positive inputs); None where no input reaches the position."""
    rng = np.random.default_rng(seed)
    xs = [chainrule.tensor(rng.uniform(0.5, 1.5, shape), requires_grad=True)
          for _ in range(inputs)]
    ys = []
    for x in xs:
        y = x
        for m in layers:
            y = m(y)
        ys.append(y)
    out_spatial = tuple(ys[0].shape[2:])
    boxes = {}
    for pos in np.ndindex(*out_spatial):
        touched = np.zeros(shape[2:], dtype=bool)
        for x, y in zip(xs, ys):
            x.grad = None
            g = np.zeros(tuple(y.shape))
            g[(0, 0) + pos] = 1.0
            y.backward(chainrule.tensor(g), retain_graph=True)
            touched |= np.abs(x.grad.numpy()[0]).sum(0) > 0
        idx = np.nonzero(touched)
        boxes[pos] = tuple((int(i.min()), int(i.max())) for i in idx) if touched.any() else None
    return boxes


def _check_fields(layers, shape, inputs=1):
    """Every output position whose predicted field lies inside the input has exactly that
    field as the bounding box of its input-gradient support; returns how many were checked."""
    f = receptive_field(layers, shape)[-1]
    checked = 0
    for pos, box in _support_boxes(layers, shape, inputs).items():
        field = [(st + o * j - (r - 1) / 2, st + o * j + (r - 1) / 2)
                 for o, r, j, st in zip(pos, f.r, f.j, f.start)]
        if all(lo >= 0 and hi <= n - 1 for (lo, hi), n in zip(field, shape[2:])):
            assert box == tuple((int(lo), int(hi)) for lo, hi in field), (pos, box, field)
            checked += 1
    return checked


@pytest.mark.parametrize("make", [
    lambda: [nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.Conv2d(3, 2, 3, stride=2,
             padding=1, bias=False), nn.AvgPool2d(2), nn.Conv2d(2, 1, 3, dilation=2, padding=2,
             bias=False)],
    lambda: [nn.Conv2d(2, 2, (3, 5), stride=(1, 2), padding=(1, 0), dilation=(2, 1),
             bias=False), nn.AvgPool2d(3, stride=2, padding=1), nn.Conv2d(2, 1, 1, stride=2,
             bias=False)],
    lambda: [nn.Conv2d(2, 2, 1, stride=2, bias=False), nn.Conv2d(2, 2, 3, dilation=3,
             bias=False), nn.AvgPool2d((2, 3), stride=(1, 2), ceil_mode=True),
             nn.Conv2d(2, 1, 2, stride=(2, 1), bias=False)],
    lambda: [nn.Conv1d(2, 2, 2, dilation=1, bias=False), nn.Conv1d(2, 2, 2, dilation=2,
             bias=False), nn.Conv1d(2, 2, 2, dilation=4, bias=False),
             nn.Conv1d(2, 1, 3, stride=2, dilation=3, bias=False)],
], ids=["padded-strided-dilated", "per-dim", "holes-ceil", "dilated-1d"])
def test_field_equals_input_gradient_support(make):
    layers = _ones(make())
    nd = 1 if isinstance(layers[0], nn.Conv1d) else 2
    shape = (1, 2) + (40,) * nd if nd == 1 else (1, 2, 29, 31)
    assert _check_fields(layers, shape) >= 2


def test_max_pool_field_is_the_union_of_gradient_supports_over_inputs():
    # a max pool routes the gradient to one position per window: over many random inputs the
    # supports fill the whole field
    layers = _ones([nn.Conv2d(1, 1, 3, bias=False), nn.MaxPool2d(3, stride=2, dilation=2,
                                                                 padding=1),
                    nn.Conv2d(1, 1, 2, bias=False)])
    assert _check_fields(layers, (1, 1, 21, 21), inputs=25) >= 4


def test_transposed_conv_field_is_the_widest_gradient_support():
    layers = _ones([nn.Conv2d(1, 1, 3, stride=2, bias=False),
                    nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1, bias=False),
                    nn.ConvTranspose2d(1, 1, 3, stride=3, dilation=2, bias=False)])
    f = receptive_field(layers, (1, 1, 15, 15))[-1]
    widths = [tuple(hi - lo + 1 for lo, hi in box)
              for box in _support_boxes(layers, (1, 1, 15, 15)).values() if box is not None]
    assert max(w[0] for w in widths) == f.r[0] and max(w[1] for w in widths) == f.r[1]
    assert all(w[0] <= f.r[0] and w[1] <= f.r[1] for w in widths)


def test_global_average_pool_sees_the_whole_input():
    layers = _ones([nn.Conv2d(1, 1, 3, bias=False), nn.AdaptiveAvgPool2d(1)])
    f = receptive_field(layers, (1, 1, 9, 7))[-1]
    assert f.r == (9, 7) and _support_boxes(layers, (1, 1, 9, 7)) == {(0, 0): ((0, 8), (0, 6))}
    assert _check_fields(layers, (1, 1, 9, 7)) == 1


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("layers, shape, message", [
    ([("dense", 3)], None, "unknown layer spec"),
    ([{"kernel_size": 3}], None, "unknown layer spec"),
    ([()], None, r"layer 0 \(\): unknown layer spec \(\)"),
    ([("conv", 3, 1, 0, 1, 4, 9)], None, "takes at most 5 values"),
    ([{"type": "pool", "kernel": 2}], None, r"unknown key\(s\) \['kernel'\]"),
    ([("conv",)], None, "'conv' needs a kernel_size"),
    ([("conv", (3, 3))], (1, 1, 8), r"kernel_size must be an int or 1 ints"),
    ([("conv", 3, 1, -1)], None, "padding must be >= 0"),
    ([("conv", 3, 0)], None, "stride must be >= 1"),
    ([("conv", 0)], None, "kernel_size must be >= 1"),
    ([("conv", 3, 2, "same")], None, "'same' is not supported for strided"),
    ([("conv", 3, 1, "full")], None, "padding must be ints or 'same' / 'valid'"),
    ([("pool", 2, 2, "same")], None, "padding must be ints, got 'same'"),
    ([("pool", 2, 2, 2)], None, "pad should be at most half of kernel size"),
    ([("pool", 3, 1, 2, 2)], None, r"padding=\(2,\), kernel_size=\(3,\)"),
    ([("conv_transpose", 3, 2, 0, 2)], None, "output padding must be smaller"),
    ([("conv", 5), ("conv", 5)], (1, 1, 8, 8), r"layer 1 \(conv\).*too small"),
    ([nn.Conv2d(3, 4, 3)], (1, 2, 8, 8), "to have 3 channels, but got 2"),
    ([nn.Flatten(), nn.Linear(10, 2)], (1, 2, 3, 3), "in_features=10, got shape"),
    ([("flatten", 3)], (1, 2, 3), "do not fit a 3-D input"),
    ([nn.Upsample(scale_factor=2)], (1, 1, 4, 4), "no geometry known for Upsample"),
    ([nn.Conv1d(1, 1, 3)], (1, 1, 8, 8), r"a 1-D layer in a stack over 2 spatial dims"),
    ([nn.Conv2d(1, 1, 3)], (1, 1, 0, 8), r"input_shape must be \(N, C, \*spatial\)"),
    ([nn.Conv2d(1, 1, 3)], (8, 8), r"input_shape must be \(N, C, \*spatial\)"),
])
def test_bad_stacks_raise_value_errors(layers, shape, message):
    error = TypeError if "no geometry" in message else ValueError
    with pytest.raises(error, match=message):
        receptive_field(layers, shape)


def test_bad_layer_containers_raise_type_errors():
    with pytest.raises(TypeError, match="got the single spec"):
        receptive_field(("conv", 3))
    with pytest.raises(TypeError, match="expected a Sequential, a Module or a list"):
        receptive_field("conv")
    with pytest.raises(TypeError, match="a layer must be a chainrule Module, a tuple spec"):
        receptive_field([3])


def test_output_shape_needs_an_input_shape():
    with pytest.raises(ValueError, match="input_shape is required"):
        output_shape([("conv", 3)], None)
    assert output_shape([], (1, 2, 3)) == (1, 2, 3)
