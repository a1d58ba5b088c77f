"""chainrule.data.toy: the 2-D toy mixtures (ring8, grid25), their datasets and
mode_coverage."""
from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
from chainrule.data import DataLoader
from chainrule.data.toy import (GaussianMixture2D, ToyDataset, grid25, grid25_modes,
                                mode_coverage, ring8, ring8_modes, toy_distribution)


def gen(seed: int = 0) -> chainrule.Generator:
    return chainrule.Generator().manual_seed(seed)


def test_ring8_modes_are_on_the_circle():
    m = ring8_modes(2.0)
    assert m.shape == (8, 2)
    np.testing.assert_allclose(np.hypot(m[:, 0], m[:, 1]), 2.0)
    angles = np.sort(np.mod(np.arctan2(m[:, 1], m[:, 0]), 2 * math.pi))
    np.testing.assert_allclose(angles, np.arange(8) * math.pi / 4, atol=1e-12)


def test_grid25_modes():
    m = grid25_modes(2.0)
    assert m.shape == (25, 2)
    assert sorted(set(m[:, 0])) == [-4, -2, 0, 2, 4] == sorted(set(m[:, 1]))
    assert len({tuple(p) for p in m}) == 25


def test_defaults_follow_the_wgan_gp_toy_script():
    r, g = ring8(), grid25()
    assert r.std == 0.02 and g.std == 0.05
    np.testing.assert_allclose(r.modes, ring8_modes(2.0))
    np.testing.assert_allclose(g.modes, grid25_modes(2.0))
    s = ring8(scale=1 / 1.414)                     # the script's data after its division
    assert s.std == pytest.approx(0.02 / 1.414)
    np.testing.assert_allclose(np.hypot(*s.modes.T), 2 / 1.414)


def test_sample_statistics_and_seeding():
    r = ring8()
    x = r.sample(4000, gen(0))
    assert x.shape == (4000, 2) and x.dtype == chainrule.float32
    a = x.numpy().astype(np.float64)
    d = np.sqrt(((a[:, None] - r.modes[None]) ** 2).sum(-1))
    nearest = d.argmin(1)
    resid = a - r.modes[nearest]
    assert resid.std() == pytest.approx(0.02, rel=0.05)          # per coordinate
    counts = np.bincount(nearest, minlength=8)
    assert counts.min() > 400 and counts.max() < 600            # equal weights (500 each)
    np.testing.assert_array_equal(r.sample(50, gen(3)).numpy(), r.sample(50, gen(3)).numpy())
    assert not np.array_equal(r.sample(50, gen(3)).numpy(), r.sample(50, gen(4)).numpy())
    assert r.sample(3, gen(0), dtype=chainrule.float64).dtype == chainrule.float64


def test_dataset_and_loader():
    ds = ToyDataset("grid25", n=100, seed=1)
    assert len(ds) == 100 and ds[7].shape == (2,)
    np.testing.assert_array_equal(ds[7].numpy(), ds.data[7].numpy())
    np.testing.assert_array_equal(ds.data.numpy(), ToyDataset("grid25", 100, seed=1).data.numpy())
    assert ds.modes.shape == (25, 2) and ds.std == 0.05
    batch = next(iter(DataLoader(ds, batch_size=32)))
    assert batch.shape == (32, 2)
    np.testing.assert_array_equal(batch.numpy(), ds.data.numpy()[:32])


def test_mode_coverage_exact_samples_cover_every_mode():
    for dist, k in ((ring8(), 8), (grid25(), 25)):
        x = dist.sample(5000, gen(0))
        covered, hq = mode_coverage(x, dist.modes, dist.std)
        assert covered == k
        # a 2-D Gaussian puts 1 - exp(-9/2) = 98.9% of its mass within 3 std
        assert hq == pytest.approx(1 - math.exp(-4.5), abs=0.01)


def test_mode_coverage_collapse_and_far_samples():
    r = ring8()
    one = r.modes[3] + 0.02 * np.random.default_rng(0).standard_normal((1000, 2))
    covered, hq = mode_coverage(one, r.modes, r.std)
    assert covered == 1 and hq > 0.97
    far = np.zeros((100, 2))                              # the centre: 2 away from every mode
    assert mode_coverage(far, r.modes, r.std) == (0, 0.0)
    # half the samples on the ring's mode 0, half at the centre
    mixed = np.concatenate([np.tile(r.modes[0], (50, 1)), far[:50]])
    assert mode_coverage(mixed, r.modes, r.std) == (1, 0.5)


def test_mode_coverage_min_count():
    r = ring8()
    x = np.concatenate([np.tile(r.modes[0], (30, 1)), np.tile(r.modes[1], (5, 1))])
    assert mode_coverage(x, r.modes, r.std)[0] == 2
    assert mode_coverage(x, r.modes, r.std, min_count=10)[0] == 1
    assert mode_coverage(np.zeros((0, 2)), r.modes, r.std) == (0, 0.0)


def test_errors():
    with pytest.raises(ValueError, match="toy_distribution: unknown distribution 'ring9'"):
        toy_distribution("ring9")
    with pytest.raises(ValueError, match=r"GaussianMixture2D: modes must have shape \(K, 2\)"):
        GaussianMixture2D(np.zeros((3, 3)), 0.1)
    with pytest.raises(ValueError, match="GaussianMixture2D: std must be positive"):
        GaussianMixture2D(np.zeros((3, 2)), 0.0)
    with pytest.raises(ValueError, match="ring8.sample: n must be a non-negative integer"):
        ring8().sample(-1)
    with pytest.raises(ValueError, match=r"mode_coverage: samples must have shape \(N, 2\)"):
        mode_coverage(np.zeros((4, 3)), ring8_modes(), 0.02)
    with pytest.raises(ValueError, match=r"mode_coverage: modes must have shape \(K, 2\)"):
        mode_coverage(np.zeros((4, 2)), np.zeros((0, 2)), 0.02)
    with pytest.raises(ValueError, match="mode_coverage: std must be positive"):
        mode_coverage(np.zeros((4, 2)), ring8_modes(), -1)
    with pytest.raises(ValueError, match="mode_coverage: min_count must be a positive integer"):
        mode_coverage(np.zeros((4, 2)), ring8_modes(), 0.02, min_count=0)
