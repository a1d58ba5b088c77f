"""2-D toy distributions for GANs: ``ring8`` (8 Gaussians on a circle) and ``grid25`` (25
Gaussians on a 5 x 5 grid), as seeded samplers and as datasets, plus ``mode_coverage``, the
usual measure of mode collapse on them.

    from chainrule.data.toy import ToyDataset, toy_distribution, mode_coverage
    ring = toy_distribution("ring8")                 # radius 2, std 0.02
    x = ring.sample(256, generator=chainrule.Generator().manual_seed(0))   # (256, 2)
    covered, hq = mode_coverage(x, ring.modes, ring.std)                   # (8, ~1.0)

The numbers are those of the toy script of the WGAN-GP paper (Gulrajani et al. 2017,
``gan_toy.py`` in igul222/improved_wgan_training): 8 modes at radius 2 (angles k * 45 deg) with
std 0.02, and 25 modes at {-4, -2, 0, 2, 4}^2 (spacing 2) with std 0.05, every mode equally
likely. That script then divides the points by 1.414 (ring) and 2.828 (grid) to give the data
unit scale; here that is the ``scale`` argument (default 1: the numbers above, unscaled).
``scale`` multiplies the modes and the std alike, so the ring with ``scale=1/1.414`` is exactly
the script's data.
"""
from __future__ import annotations

import math
from typing import Callable

from ..backend import get_default_dtype, np, to_np_dtype
from ..random import Generator, rng
from ..tensor import Tensor
from .dataset import Dataset, take_rows

__all__ = ["GaussianMixture2D", "ring8_modes", "grid25_modes", "ring8", "grid25",
           "TOY_DISTRIBUTIONS", "toy_distribution", "ToyDataset", "mode_coverage"]


def ring8_modes(radius: float = 2.0) -> np.ndarray:
    """The 8 centres ``radius * (cos(k pi/4), sin(k pi/4))``, k = 0..7, as a (8, 2) array."""
    angles = np.arange(8) * (math.pi / 4)
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid25_modes(spacing: float = 2.0) -> np.ndarray:
    """The 25 centres ``spacing * (i, j)``, i, j in {-2, ..., 2}, as a (25, 2) array (row-major:
    i is the slow index)."""
    r = np.arange(-2, 3, dtype=np.float64)
    ii, jj = np.meshgrid(r, r, indexing="ij")
    return spacing * np.stack([ii.ravel(), jj.ravel()], axis=1)


class GaussianMixture2D:
    """An equal-weight mixture of isotropic Gaussians ``N(modes[k], std^2 I)`` in the plane.

    ``sample(n, generator=None)`` draws a mode uniformly, then adds ``std * N(0, I)``: a
    tensor of shape (n, 2) and the default dtype (or ``dtype``). The same generator
    state gives the same points.
    """

    def __init__(self, modes, std: float, name: str = "mixture") -> None:
        modes = np.asarray(modes, dtype=np.float64)
        if modes.ndim != 2 or modes.shape[1] != 2 or modes.shape[0] == 0:
            raise ValueError(f"GaussianMixture2D: modes must have shape (K, 2) with K >= 1, "
                             f"got {tuple(modes.shape)}")
        if not std > 0:
            raise ValueError(f"GaussianMixture2D: std must be positive, got {std}")
        self.modes = modes
        self.std = float(std)
        self.name = name

    def sample(self, n: int, generator: Generator | None = None, dtype=None) -> Tensor:
        """``n`` points, shape (n, 2)."""
        if int(n) != n or n < 0:
            raise ValueError(f"{self.name}.sample: n must be a non-negative integer, got {n!r}")
        g = rng(generator)
        which = g.integers(0, len(self.modes), size=int(n))
        pts = self.modes[which] + self.std * g.standard_normal((int(n), 2))
        return Tensor._make(pts.astype(to_np_dtype(dtype or get_default_dtype())))

    def __repr__(self) -> str:
        return f"{self.name}(modes={len(self.modes)}, std={self.std:g})"


def ring8(radius: float = 2.0, std: float = 0.02, scale: float = 1.0) -> GaussianMixture2D:
    """8 Gaussians on a circle of ``radius`` (default 2), each with ``std`` (default 0.02);
    modes and std multiplied by ``scale``."""
    return GaussianMixture2D(ring8_modes(radius * scale), std * scale, "ring8")


def grid25(spacing: float = 2.0, std: float = 0.05, scale: float = 1.0) -> GaussianMixture2D:
    """25 Gaussians on a 5 x 5 grid with ``spacing`` (default 2: centres in {-4,...,4}^2), each
    with ``std`` (default 0.05); modes and std multiplied by ``scale``."""
    return GaussianMixture2D(grid25_modes(spacing * scale), std * scale, "grid25")


TOY_DISTRIBUTIONS: dict[str, Callable[..., GaussianMixture2D]] = {"ring8": ring8,
                                                                   "grid25": grid25}


def toy_distribution(name: str, **kwargs) -> GaussianMixture2D:
    """The toy distribution registered as ``name`` (``'ring8'`` or ``'grid25'``)."""
    if name not in TOY_DISTRIBUTIONS:
        raise ValueError(f"toy_distribution: unknown distribution {name!r}; available: "
                         f"{', '.join(sorted(TOY_DISTRIBUTIONS))}")
    return TOY_DISTRIBUTIONS[name](**kwargs)


class ToyDataset(Dataset):
    """``n`` points drawn once from a toy distribution with a seeded generator:
    ``ToyDataset('ring8', 10000, seed=0)[i]`` is a (2,) tensor, so a DataLoader yields (B, 2)
    batches. ``.data`` holds all points (n, 2); ``.modes`` and ``.std`` describe the mixture;
    ``kwargs`` go to the distribution (``radius``/``spacing``, ``std``, ``scale``)."""

    def __init__(self, name: str = "ring8", n: int = 10000, seed: int = 0, dtype=None,
                 **kwargs) -> None:
        self.distribution = toy_distribution(name, **kwargs)
        self.data = self.distribution.sample(n, Generator().manual_seed(seed), dtype=dtype)
        self.modes = self.distribution.modes
        self.std = self.distribution.std

    def __getitem__(self, index):
        return take_rows(self.data, index)

    def __len__(self) -> int:
        return self.data.shape[0]

    def __repr__(self) -> str:
        return f"ToyDataset({self.distribution!r}, n={len(self)})"


def mode_coverage(samples, modes, std: float, min_count: int = 1) -> tuple[int, float]:
    """``(modes covered, high-quality fraction)`` of ``samples`` (N, 2) from a mixture with
    centres ``modes`` (K, 2) and per-mode standard deviation ``std``.

    A sample is *high quality* if its distance to the nearest mode is at most ``3 * std``, and
    then it is assigned to that mode. A mode is *covered* if at least ``min_count`` high-quality
    samples are assigned to it (default 1: the definition of VEEGAN, Srivastava et al. 2017;
    PacGAN uses a count of N/K/5, e.g. 20 of 2,500 for 25 modes — pass ``min_count``). The
    high-quality fraction is (number of high-quality samples) / N (0.0 for N = 0).

    For exact samples of a 2-D Gaussian, P(||x - mu|| <= 3 std) = 1 - exp(-4.5) = 0.989, so
    a perfect generator scores about 98.9% (mode-separation permitting).
    """
    x = samples.detach()._data if isinstance(samples, Tensor) else samples
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(modes._data if isinstance(modes, Tensor) else modes, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"mode_coverage: samples must have shape (N, 2), got {tuple(x.shape)}")
    if m.ndim != 2 or m.shape[1] != 2 or m.shape[0] == 0:
        raise ValueError(f"mode_coverage: modes must have shape (K, 2) with K >= 1, got "
                         f"{tuple(m.shape)}")
    if not std > 0:
        raise ValueError(f"mode_coverage: std must be positive, got {std}")
    if int(min_count) != min_count or min_count < 1:
        raise ValueError(f"mode_coverage: min_count must be a positive integer, got "
                         f"{min_count!r}")
    if x.shape[0] == 0:
        return 0, 0.0
    d2 = ((x[:, None, :] - m[None, :, :]) ** 2).sum(-1)          # (N, K)
    nearest = d2.argmin(1)
    good = d2[np.arange(x.shape[0]), nearest] <= (3.0 * std) ** 2
    counts = np.bincount(nearest[good], minlength=m.shape[0])
    return int((counts >= min_count).sum()), float(good.mean())
