"""Transforms: exact values of ToTensor and Normalize (against torch's formulas), RandomCrop
windows and padding modes, flips, Compose/Lambda, batches, and the error paths."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.data.transforms import (Compose, Lambda, Normalize, RandomCrop,
                                       RandomHorizontalFlip, ToTensor)

IMG = np.arange(5 * 6, dtype=np.uint8).reshape(5, 6) * 8       # (H, W) uint8


# ------------------------------------------------------------------ ToTensor
def test_to_tensor_grey():
    out = ToTensor()(IMG)
    assert out.shape == (1, 5, 6) and out.dtype == cr.float32
    np.testing.assert_array_equal(out.numpy()[0], IMG.astype(np.float32) / 255)


def test_to_tensor_matches_torch_formula():
    torch = pytest.importorskip("torch")
    rgb = np.random.default_rng(0).integers(0, 256, size=(4, 3, 3), dtype=np.uint8)
    expected = torch.from_numpy(rgb.transpose(2, 0, 1)).contiguous().float().div(255)
    np.testing.assert_array_equal(ToTensor()(rgb).numpy(), expected.numpy())
    np.testing.assert_array_equal(ToTensor()(cr.tensor(rgb)).numpy(), expected.numpy())


def test_to_tensor_keeps_non_uint8_values():
    img = np.linspace(-1, 2, 12).reshape(2, 2, 3)
    out = ToTensor()(img)
    assert out.dtype == cr.float64 and out.shape == (3, 2, 2)
    np.testing.assert_array_equal(out.numpy(), img.transpose(2, 0, 1))


@pytest.mark.parametrize("pic, exc, msg", [
    (np.zeros(4, np.uint8), ValueError, "2/3 dimensional"),
    (np.zeros((1, 2, 2, 1), np.uint8), ValueError, "2/3 dimensional"),
    ([[1, 2]], TypeError, "Tensor or a NumPy array, got list"),
])
def test_to_tensor_errors(pic, exc, msg):
    with pytest.raises(exc, match=msg):
        ToTensor()(pic)


# ------------------------------------------------------------------ Normalize
def test_normalize_values_per_channel_and_batch():
    x = cr.tensor(np.random.default_rng(1).random((2, 3, 2, 2)), dtype=cr.float32)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    expected = (x.numpy() - np.array(mean, np.float32)[:, None, None]) / \
        np.array(std, np.float32)[:, None, None]
    out = Normalize(mean, std)(x)
    assert out.dtype == cr.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(Normalize(mean, std)(x[0]).numpy(), expected[0], rtol=1e-6)


def test_normalize_single_value_broadcasts_and_inplace():
    x = cr.ones(2, 3, 3)
    out = Normalize((0.5,), (0.25,), inplace=True)(x)
    assert out is x and x.numpy().tolist() == np.full((2, 3, 3), 2.0).tolist()


def test_normalize_is_differentiable():
    x = cr.ones(1, 2, 2, requires_grad=True)
    Normalize([0.0], [4.0])(x).sum().backward()
    assert x.grad.numpy().tolist() == np.full((1, 2, 2), 0.25).tolist()


@pytest.mark.parametrize("mean, std, x, exc, msg", [
    ((0.5,), (0.0,), cr.ones(1, 2, 2), ValueError, "std evaluated to zero"),
    ((0.5,), (1.0,), cr.ones(1, 2, 2, dtype=cr.int64), TypeError, "should be a float tensor"),
    ((0.5,), (1.0,), cr.ones(2, 2), ValueError, r"\(\.\.\., C, H, W\)"),
    ((0.5, 0.5), (1.0, 1.0), cr.ones(3, 2, 2), ValueError, "2 means/stds for an image with 3"),
    ((0.5, 0.5), (1.0,), cr.ones(2, 2, 2), ValueError, "mean has 2 values but std has 1"),
    ((0.5,), (1.0,), np.ones((1, 2, 2)), TypeError, "should be a Tensor"),
])
def test_normalize_errors(mean, std, x, exc, msg):
    with pytest.raises(exc, match=msg):
        Normalize(mean, std)(x)


# ------------------------------------------------------------------ RandomCrop
def windows(a, th, tw):
    return [a[..., i:i + th, j:j + tw] for i in range(a.shape[-2] - th + 1)
            for j in range(a.shape[-1] - tw + 1)]


def test_random_crop_is_a_window_of_the_padded_image():
    img = cr.tensor(IMG)[None]                                  # (1, 5, 6)
    padded = np.pad(IMG, 2)[None]
    seen = set()
    cr.manual_seed(0)
    for _ in range(30):
        out = RandomCrop(5, padding=2)(img).numpy()
        assert out.shape == (1, 5, 5) and out.dtype == np.uint8
        match = [k for k, w in enumerate(windows(padded, 5, 5)) if np.array_equal(w, out)]
        assert match
        seen.add(match[0])
    assert len(seen) > 5


def test_random_crop_reproducible():
    cr.manual_seed(4)
    a = RandomCrop((3, 4), padding=1)(IMG)
    cr.manual_seed(4)
    assert np.array_equal(RandomCrop((3, 4), padding=1)(IMG).numpy(), a.numpy())


@pytest.mark.parametrize("padding, mode, fill, expected", [
    ((1, 2), "constant", 9, np.pad(IMG, ((2, 2), (1, 1)), constant_values=9)),
    ((1, 0, 3, 2), "edge", 0, np.pad(IMG, ((0, 2), (1, 3)), mode="edge")),
    (2, "reflect", 0, np.pad(IMG, 2, mode="reflect")),
    ([1], "symmetric", 0, np.pad(IMG, 1, mode="symmetric")),
])
def test_random_crop_padding_modes(padding, mode, fill, expected):
    crop = RandomCrop(expected.shape, padding=padding, fill=fill, padding_mode=mode)
    np.testing.assert_array_equal(crop(IMG).numpy(), expected)


def test_random_crop_pad_if_needed_and_batches():
    out = RandomCrop(7, pad_if_needed=True)(cr.tensor(IMG))     # torchvision: each side
    assert out.shape == (7, 7)                                   # padded by the deficit
    assert any(np.array_equal(w, out.numpy())
               for w in windows(np.pad(IMG, ((2, 2), (1, 1))), 7, 7))
    batch = cr.zeros(4, 1, 5, 6)
    assert RandomCrop(3)(batch).shape == (4, 1, 3, 3)


@pytest.mark.parametrize("make, exc, msg", [
    (lambda: RandomCrop(6)(IMG), ValueError, r"Required crop size \(6, 6\) is larger"),
    (lambda: RandomCrop(2, padding_mode="wrap"), ValueError, "padding_mode should be one of"),
    (lambda: RandomCrop(2, padding=(1, 2, 3)), ValueError, "padding should be an int"),
    (lambda: RandomCrop("big"), ValueError, "size should be an int"),
    (lambda: RandomCrop(1)(np.zeros(3)), ValueError, r"expected an image \(\.\.\., H, W\)"),
])
def test_random_crop_errors(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make()


# ------------------------------------------------------------------ flips, Compose, Lambda
def test_horizontal_flip():
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0)(IMG).numpy(), IMG[:, ::-1])
    x = cr.tensor(IMG)
    assert RandomHorizontalFlip(0.0)(x) is x
    cr.manual_seed(0)
    flips = [RandomHorizontalFlip()(IMG).numpy()[0, 0] != IMG[0, 0] for _ in range(200)]
    assert 60 < sum(flips) < 140


def test_horizontal_flip_errors():
    with pytest.raises(ValueError, match="probability"):
        RandomHorizontalFlip(1.5)
    with pytest.raises(ValueError, match="expected an image"):
        RandomHorizontalFlip(1.0)(np.zeros(3))


def test_compose_and_lambda():
    t = Compose([ToTensor(), Normalize((0.5,), (0.5,)), Lambda(lambda x: x.flatten())])
    out = t(np.array([[0, 255]], np.uint8))
    assert out.tolist() == [-1.0, 1.0]
    assert "ToTensor()" in repr(t) and "Normalize" in repr(t)


def test_compose_and_lambda_errors():
    with pytest.raises(TypeError, match="transform 1 is not callable"):
        Compose([ToTensor(), 3])
    with pytest.raises(TypeError, match="lambd should be callable"):
        Lambda(3)
