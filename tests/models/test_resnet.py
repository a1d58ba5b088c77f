"""chainrule.models.resnet: CIFAR-style ResNet-20/32/56 and the plain nets of the same depth —
parameter counts, shapes, what the shortcut does, and parity with the same nets in torch."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.models import MODELS, BasicBlock, ResNet, build_model
from chainrule.models.resnet import PadShortcut


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def resnet_parameters(n: int, in_channels: int, num_classes: int, option_b: bool) -> int:
    """Parameters of a CIFAR ResNet of 6n+2 layers, counted layer by layer: 3x3 convs without
    bias (9 c_in c_out), BatchNorm (2 c), the Linear head (64 k + k), and for option B two
    1x1 conv + BN shortcuts (16->32, 32->64)."""
    total = 9 * in_channels * 16 + 2 * 16
    width = 16
    for planes in (16, 32, 64):
        for _ in range(n):
            total += 9 * width * planes + 9 * planes * planes + 4 * planes
            if option_b and width != planes:
                total += width * planes + 2 * planes
            width = planes
    return total + 64 * num_classes + num_classes


# ============================================================================ counts, shapes
@pytest.mark.parametrize("name, n", [("resnet20", 3), ("resnet32", 5), ("resnet56", 9)])
def test_parameter_counts(name, n):
    plain = name.replace("resnet", "plain")
    for option_b in (False, True):
        model = build_model(name, in_channels=3, shortcut="B" if option_b else "A")
        assert count(model) == resnet_parameters(n, 3, 10, option_b)
    # the plain net has exactly option A's parameters (zero-pad shortcuts have none)
    assert count(build_model(plain, in_channels=3)) == resnet_parameters(n, 3, 10, False)
    assert count(build_model(name, in_channels=1, num_classes=7)) == resnet_parameters(
        n, 1, 7, False)


def test_resnet20_cifar_has_the_papers_0_27m_parameters():
    assert count(build_model("resnet20", in_channels=3)) == 269_722            # "0.27M"
    assert count(build_model("resnet56", in_channels=3)) == 853_018            # "0.85M"
    assert count(build_model("resnet20", in_channels=3, shortcut="B")) == 269_722 + 2_752


def test_registry_and_depth():
    for depth in (20, 32, 56):
        for kind, residual in (("resnet", True), ("plain", False)):
            model = MODELS[f"{kind}{depth}"]()
            assert isinstance(model, ResNet)
            assert model.depth == depth and model.residual is residual
            blocks = model.blocks()
            assert len(blocks) == (depth - 2) // 6 * 3
            assert all(b.residual is residual for b in blocks)
            # weight layers: stem conv + 2 convs per block + fc = 6n + 2
            convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
            assert len(convs) + 1 == depth


@pytest.mark.parametrize("name", ["resnet20", "plain20"])
@pytest.mark.parametrize("in_channels, side, stages", [(1, 28, (28, 14, 7)),
                                                       (3, 32, (32, 16, 8))])
def test_output_and_stage_shapes(name, in_channels, side, stages):
    model = build_model(name, in_channels=in_channels, num_classes=5)
    shapes = {}
    for layer in ("layer1", "layer2", "layer3"):
        getattr(model, layer).register_forward_hook(
            lambda m, i, o, layer=layer: shapes.__setitem__(layer, tuple(o.shape)))
    y = model(chainrule.randn(2, in_channels, side, side))
    assert tuple(y.shape) == (2, 5)
    assert shapes == {"layer1": (2, 16, stages[0], stages[0]),
                      "layer2": (2, 32, stages[1], stages[1]),
                      "layer3": (2, 64, stages[2], stages[2])}


def test_kaiming_normal_fan_out_init():
    chainrule.manual_seed(0)
    model = build_model("resnet56")
    w = np.concatenate([m.weight.detach().numpy().ravel() for m in model.modules()
                        if isinstance(m, nn.Conv2d) and m.weight.shape[0] == 64
                        and m.weight.shape[1] == 64])
    # std = gain / sqrt(fan_out) = sqrt(2) / sqrt(64 * 9)
    assert w.std() == pytest.approx(np.sqrt(2 / (64 * 9)), rel=0.02)
    assert abs(w.mean()) < 0.002
    bn = model.layer2[0].bn1
    np.testing.assert_array_equal(bn.weight.detach().numpy(), np.ones(32, np.float32))
    np.testing.assert_array_equal(bn.bias.detach().numpy(), np.zeros(32, np.float32))


# ============================================================================ the shortcut
def silence_residual_branch(block: BasicBlock) -> None:
    """Zero conv weights and BN gammas (and betas): the branch F(x) is then 0."""
    with chainrule.no_grad():
        for m in (block.conv1, block.conv2):
            m.weight.zero_()
        for m in (block.bn1, block.bn2):
            m.weight.zero_()
            m.bias.zero_()


def test_zeroed_block_is_identity_with_shortcut_and_zero_without():
    x = chainrule.relu(chainrule.randn(4, 16, 6, 6))       # block inputs follow a ReLU
    residual, plain = BasicBlock(16, 16), BasicBlock(16, 16, residual=False)
    assert residual.shortcut is None and residual.downsample is None
    for block in (residual, plain):
        silence_residual_branch(block)
    np.testing.assert_array_equal(residual(x).detach().numpy(), x.numpy())
    np.testing.assert_array_equal(plain(x).detach().numpy(), np.zeros((4, 16, 6, 6)))
    # and the identity passes gradients unchanged: d sum(y) / dx = 1 where x > 0
    x.requires_grad_(True)
    residual(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (x.detach().numpy() > 0).astype(np.float32))


def test_zeroed_downsampling_block_option_a_subsamples_and_pads():
    x = chainrule.relu(chainrule.randn(2, 16, 7, 7))
    block = BasicBlock(16, 32, stride=2)
    assert isinstance(block.shortcut, PadShortcut) and block.downsample is None
    silence_residual_branch(block)
    y = block(x).detach().numpy()
    assert y.shape == (2, 32, 4, 4)
    expected = np.zeros((2, 32, 4, 4), np.float32)
    expected[:, 8:24] = x.numpy()[:, :, ::2, ::2]
    np.testing.assert_array_equal(y, expected)
    plain = BasicBlock(16, 32, stride=2, residual=False)
    assert plain.shortcut is None and plain.downsample is None
    silence_residual_branch(plain)
    np.testing.assert_array_equal(plain(x).detach().numpy(), np.zeros((2, 32, 4, 4)))


def test_downsampling_block_option_b_is_a_1x1_conv_and_bn():
    chainrule.manual_seed(1)
    x = chainrule.relu(chainrule.randn(3, 8, 6, 6))
    block = BasicBlock(8, 16, stride=2, shortcut="B")
    assert block.shortcut is None
    assert [type(m).__name__ for m in block.downsample] == ["Conv2d", "BatchNorm2d"]
    assert tuple(block.downsample[0].weight.shape) == (16, 8, 1, 1)
    silence_residual_branch(block)
    block.eval()    # BN with running stats 0 / 1: y = relu(conv1x1(x[::2, ::2]) / sqrt(1 + eps))
    w = block.downsample[0].weight.detach().numpy()[:, :, 0, 0]
    sub = x.numpy()[:, :, ::2, ::2]
    expected = np.maximum(np.einsum("oc,nchw->nohw", w, sub) / np.sqrt(1 + 1e-5), 0)
    np.testing.assert_allclose(block(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_pad_shortcut_odd_channel_difference():
    x = chainrule.randn(1, 3, 4, 4)
    y = PadShortcut(3, 8, 1)(x).numpy()
    np.testing.assert_array_equal(y[:, 2:5], x.numpy())
    assert not y[:, :2].any() and not y[:, 5:].any()


# ============================================================================ errors
@pytest.mark.parametrize("call, match", [
    (lambda: ResNet(depth=21), "ResNet: depth must be 6n \\+ 2"),
    (lambda: ResNet(depth=2), "ResNet: depth must be 6n \\+ 2"),
    (lambda: ResNet(shortcut="C"), "ResNet: shortcut must be 'A'"),
    (lambda: BasicBlock(16, 32, shortcut="C"), "BasicBlock: shortcut must be 'A'"),
    (lambda: BasicBlock(16, 32, stride=0), "BasicBlock: stride must be a positive integer"),
    (lambda: PadShortcut(32, 16, 2), "PadShortcut: out_channels=16 < in_channels=32"),
    (lambda: PadShortcut(16, 32, 2)(chainrule.zeros(1, 8, 4, 4)),
     "PadShortcut: expected input \\(N, 16, H, W\\), got shape \\(1, 8, 4, 4\\)"),
    (lambda: build_model("resnet20", depth=32), "unexpected keyword argument 'depth'"),
    (lambda: build_model("plain20", shortcut="B"), "unexpected keyword argument 'shortcut'"),
])
def test_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# ============================================================================ torch parity
def torch_resnet(torch, n: int, in_channels: int, num_classes: int, shortcut: str,
                 residual: bool):
    """The same architecture written directly in torch (parameter names as chainrule's)."""
    tnn, F = torch.nn, torch.nn.functional

    class Block(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(cout)
            self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(cout)
            self.stride, self.extra = stride, cout - cin
            if residual and shortcut == "B" and (stride != 1 or cin != cout):
                self.downsample = tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False),
                                                 tnn.BatchNorm2d(cout))
            else:
                self.downsample = None

        def forward(self, x):
            out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            if not residual:
                return F.relu(out)
            if self.downsample is not None:
                s = self.downsample(x)
            else:       # option A (akamaster's LambdaLayer)
                s = F.pad(x[:, :, ::self.stride, ::self.stride],
                          (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))
            return F.relu(out + s)

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(16)
            width = 16
            for i, (planes, stride) in enumerate(zip((16, 32, 64), (1, 2, 2))):
                blocks = []
                for j in range(n):
                    blocks.append(Block(width, planes, stride if j == 0 else 1))
                    width = planes
                setattr(self, f"layer{i + 1}", tnn.Sequential(*blocks))
            self.fc = tnn.Linear(64, num_classes)

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)))
            x = self.layer3(self.layer2(self.layer1(x)))
            return self.fc(x.mean((2, 3)))

    return Net()


@pytest.mark.parametrize("depth, in_channels, side, shortcut, residual", [
    (20, 3, 16, "A", True), (20, 1, 14, "B", True), (20, 1, 14, "A", False),
    (32, 3, 9, "A", True),
])
def test_forward_and_backward_match_torch(depth, in_channels, side, shortcut, residual):
    torch = pytest.importorskip("torch")
    chainrule.manual_seed(3)
    n = (depth - 2) // 6
    ours = ResNet(depth, 10, in_channels, shortcut, residual)
    theirs = torch_resnet(torch, n, in_channels, 10, shortcut, residual).double()
    ours.double()
    ours_state = ours.state_dict()
    assert {k: tuple(v.shape) for k, v in ours_state.items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert count(ours) == sum(p.numel() for p in theirs.parameters())
    rng = np.random.default_rng(0)
    # random BN statistics and affine maps, so that eval mode is not the identity
    with chainrule.no_grad():
        for m in ours.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(chainrule.tensor(rng.uniform(0.5, 1.5, c)))
                m.bias.copy_(chainrule.tensor(rng.normal(0, 0.1, c)))
                m.running_mean.copy_(chainrule.tensor(rng.normal(0, 0.1, c)))
                m.running_var.copy_(chainrule.tensor(rng.uniform(0.5, 1.5, c)))
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    x = rng.standard_normal((4, in_channels, side, side))
    labels = np.array([1, 0, 7, 3])
    for mode in ("train", "eval"):
        ours.train(mode == "train"), theirs.train(mode == "train")
        ours.zero_grad(), theirs.zero_grad()
        xc = chainrule.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        yc, yt = ours(xc), theirs(xt)
        np.testing.assert_allclose(yc.detach().numpy(), yt.detach().numpy(), rtol=1e-9,
                                   atol=1e-10)
        chainrule.nn.functional.cross_entropy(yc, chainrule.tensor(labels)).backward()
        torch.nn.functional.cross_entropy(yt, torch.tensor(labels)).backward()
        np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-11)
        theirs_params = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(),
                                       rtol=1e-8, atol=1e-11, err_msg=f"{mode} {name}")
    # the running statistics were updated the same way by the train-mode pass
    theirs_state = theirs.state_dict()
    for name, v in ours.state_dict().items():
        np.testing.assert_allclose(v.numpy(), theirs_state[name].numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)
