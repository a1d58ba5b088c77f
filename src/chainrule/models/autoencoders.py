"""Autoencoders and the VAE family, for flattened 28 x 28 images (784 inputs by default).

Deterministic: ``Autoencoder`` (MLP), ``ConvAutoencoder`` (1 x 28 x 28), ``LinearAutoencoder``
(no nonlinearity: with MSE it learns the PCA subspace). Their ``loss(x)`` is the MSE between the
input and its reconstruction.

Latent-variable models on binarised images (``binarize``), all with ``loss(x)`` to minimise,
in nats per image averaged over the batch:

- ``VAE``: q(z|x) = N(mu(x), diag sigma(x)^2), p(z) = N(0, I), p(x|z) = prod_d Bernoulli(x_d;
  sigmoid(logits_d(z))). ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)); loss = -ELBO.
- ``BetaVAE``: loss = -E_q[log p(x|z)] + beta KL(q(z|x) || p(z)).
- ``IWAE``: loss = -L_k with the importance-weighted bound
  L_k(x) = E[log (1/k) sum_i p(x, z_i) / q(z_i|x)],  z_1..z_k ~ q(z|x) iid,
  computed with logsumexp; L_1 = ELBO <= L_k <= L_{k+1} <= log p(x). ``iwae_bound`` works on
  every model of the family, so a VAE can be evaluated with any k.
- ``GumbelVAE``: N categorical latents of K classes, relaxed with Gumbel-softmax at
  ``temperature`` (a plain attribute, anneal it between steps); KL to the uniform prior,
  sum_n sum_k q_nk log(K q_nk).
"""
from __future__ import annotations

import math
from typing import NamedTuple

from .. import nn
from ..distributions import (Bernoulli, Categorical, Independent, Normal,
                             RelaxedOneHotCategorical, kl_divergence)
from ..tensor import Tensor

__all__ = ["binarize", "Autoencoder", "ConvAutoencoder", "LinearAutoencoder", "VAE", "BetaVAE",
           "IWAE", "GumbelVAE", "LossTerms"]


def binarize(x: Tensor, threshold: float = 0.5, stochastic: bool = False,
             generator=None) -> Tensor:
    """Binary images from intensities ``x`` in [0, 1], same shape and dtype (float).

    Fixed: b = 1[x > threshold]. Stochastic (``stochastic=True``): b ~ Bernoulli(x), i.e.
    b = 1[u < x] with u ~ U[0, 1) from ``generator`` (or the global generator)."""
    from ..creation import rand

    if not isinstance(x, Tensor):
        raise TypeError(f"binarize: expected a Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"binarize: expected floating-point intensities in [0, 1], got dtype "
                        f"{x.dtype} (divide uint8 images by 255 first)")
    lo, hi = (float(x.min()), float(x.max())) if x.numel() else (0.0, 0.0)
    if lo < 0 or hi > 1:
        raise ValueError(f"binarize: expected values in [0, 1], got range [{lo}, {hi}] for "
                         f"shape {tuple(x.shape)}")
    if stochastic:
        u = rand(*x.shape, generator=generator, dtype=x.dtype)
        return (u < x.detach()).to(x.dtype)
    return (x.detach() > threshold).to(x.dtype)


def _flat(x: Tensor, in_features: int, who: str) -> Tensor:
    """(B, ...) -> (B, in_features), with an error naming ``who`` on a size mismatch."""
    if x.dim() < 1 or x.numel() != x.shape[0] * in_features:
        raise ValueError(f"{who}: expected inputs of shape (B, ...) with {in_features} values "
                         f"per example, got shape {tuple(x.shape)}")
    return x.reshape(x.shape[0], in_features)


def _mlp(sizes: list[int]) -> nn.Sequential:
    """Linear -> ReLU -> ... -> Linear through ``sizes`` (no activation after the last)."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _hidden(hidden) -> list[int]:
    return [hidden] if isinstance(hidden, int) else list(hidden)


# ============================================================================ deterministic
class Autoencoder(nn.Module):
    """MLP autoencoder: encoder ``in -> hidden... -> latent``, decoder mirrored back to ``in``
    with a sigmoid output (pixels in [0, 1]). ``forward`` returns the reconstruction in the
    input's shape; ``loss`` = mean squared error."""

    def __init__(self, in_features: int = 784, hidden=(256,), latent_dim: int = 32) -> None:
        super().__init__()
        h = _hidden(hidden)
        self.in_features, self.latent_dim = in_features, latent_dim
        self.encoder = _mlp([in_features, *h, latent_dim])
        self.decoder = _mlp([latent_dim, *reversed(h), in_features])

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(_flat(x, self.in_features, type(self).__name__))

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(z).sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x)).reshape(x.shape)

    def loss(self, x: Tensor) -> Tensor:
        """mean_(b, d) (x_bd - xhat_bd)^2."""
        return nn.functional.mse_loss(self(x), x)


class ConvAutoencoder(Autoencoder):
    """Convolutional autoencoder for (B, 1, 28, 28): two stride-2 3x3 convolutions
    (28 -> 14 -> 7) and a Linear to ``latent_dim``; the decoder mirrors it with transposed
    convolutions and ends in a sigmoid."""

    def __init__(self, in_channels: int = 1, channels: tuple[int, int] = (16, 32),
                 latent_dim: int = 32) -> None:
        nn.Module.__init__(self)
        c1, c2 = channels
        self.in_channels, self.latent_dim = in_channels, latent_dim
        self.in_features = in_channels * 28 * 28
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(c2 * 7 * 7, latent_dim))
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, c2 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (c2, 7, 7)),
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, in_channels, 3, stride=2, padding=1, output_padding=1))

    def encode(self, x: Tensor) -> Tensor:
        x = _flat(x, self.in_features, "ConvAutoencoder")
        return self.encoder(x.reshape(x.shape[0], self.in_channels, 28, 28))


class LinearAutoencoder(Autoencoder):
    """xhat = W_d (W_e x + b_e) + b_d, no nonlinearity; with MSE on centred data its optimum
    spans the top-``latent_dim`` principal subspace (Baldi & Hornik, 1989). ``bias=False``
    drops both biases."""

    def __init__(self, in_features: int = 784, latent_dim: int = 32, bias: bool = True) -> None:
        nn.Module.__init__(self)
        self.in_features, self.latent_dim = in_features, latent_dim
        self.encoder = nn.Linear(in_features, latent_dim, bias=bias)
        self.decoder = nn.Linear(latent_dim, in_features, bias=bias)

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(z)


# ============================================================================ VAE family
class LossTerms(NamedTuple):
    """A VAE loss and its parts, each averaged over the batch, in nats per image:
    ``reconstruction`` = -E_q[log p(x|z)], ``kl`` = KL(q(z|x) || p(z))."""
    loss: Tensor
    reconstruction: Tensor
    kl: Tensor


class VAE(nn.Module):
    """Gaussian-encoder, Bernoulli-decoder VAE (Kingma & Welling, 2014).

    Encoder ``in -> hidden... -> (mu, logvar)`` with logvar = log sigma^2; decoder
    ``latent -> hidden... -> in`` giving Bernoulli logits. ``forward(x)`` returns
    ``(logits, mu, logvar)`` with ``logits`` in the input's shape, z = mu + sigma eps."""

    def __init__(self, in_features: int = 784, hidden=(400,), latent_dim: int = 20) -> None:
        super().__init__()
        h = _hidden(hidden)
        self.in_features, self.latent_dim = in_features, latent_dim
        self.encoder = _mlp([in_features, *h, 2 * latent_dim])
        self.decoder = _mlp([latent_dim, *reversed(h), in_features])

    # -- the distributions
    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(mu, logvar), each (B, latent_dim)."""
        out = self.encoder(_flat(x, self.in_features, type(self).__name__))
        return out[:, :self.latent_dim], out[:, self.latent_dim:]

    def posterior(self, x: Tensor) -> Independent:
        """q(z|x) = N(mu, diag exp(logvar)), event shape (latent_dim,)."""
        mu, logvar = self.encode(x)
        return Independent(Normal(mu, (0.5 * logvar).exp()), 1)

    def prior(self, like: Tensor) -> Independent:
        """p(z) = N(0, I) with the batch shape, dtype and device of ``like`` (B, latent_dim)."""
        from ..creation import ones_like, zeros_like
        return Independent(Normal(zeros_like(like), ones_like(like)), 1)

    def decode(self, z: Tensor) -> Tensor:
        """Bernoulli logits (..., in_features) for latents (..., latent_dim)."""
        lead = tuple(z.shape[:-1])
        out = self.decoder(z.reshape(-1, z.shape[-1]))
        return out.reshape(*lead, self.in_features)

    def likelihood(self, z: Tensor) -> Independent:
        """p(x|z) = prod_d Bernoulli(x_d; sigmoid(logits_d(z)))."""
        return Independent(Bernoulli(logits=self.decode(z)), 1)

    def forward(self, x: Tensor):
        q = self.posterior(x)
        z = q.rsample()
        return self.decode(z).reshape(x.shape), q.base_dist.loc, 2 * q.base_dist.scale.log()

    # -- bounds
    def log_weights(self, x: Tensor, k: int = 1) -> Tensor:
        """(k, B) log importance weights log p(x|z_i) + log p(z_i) - log q(z_i|x),
        z_i ~ q(z|x) reparameterised."""
        _check_k(k, type(self).__name__)
        xf = _flat(x, self.in_features, type(self).__name__)
        q = self.posterior(xf)
        z = q.rsample((k,))
        return self.likelihood(z).log_prob(xf) + self.prior(z).log_prob(z) - q.log_prob(z)

    def iwae_bound(self, x: Tensor, k: int = 1) -> Tensor:
        """L_k = mean_b [logsumexp_i log w_ib - log k]: the importance-weighted bound with k
        samples (k = 1 is the single-sample ELBO estimate), averaged over the batch."""
        lw = self.log_weights(x, k)
        return (lw.logsumexp(0) - math.log(k)).mean()

    def loss_terms(self, x: Tensor, k: int = 1) -> LossTerms:
        """-E_q[log p(x|z)] estimated with k samples, closed-form KL, and their sum
        (the negative ELBO), all batch means."""
        _check_k(k, type(self).__name__)
        xf = _flat(x, self.in_features, type(self).__name__)
        q = self.posterior(xf)
        z = q.rsample((k,))
        rec = -self.likelihood(z).log_prob(xf).mean()
        kl = kl_divergence(q, self.prior(q.base_dist.loc)).mean()
        return LossTerms(rec + kl, rec, kl)

    def elbo(self, x: Tensor, k: int = 1, analytic_kl: bool = True) -> Tensor:
        """ELBO = E_q[log p(x|z)] - KL(q || p) averaged over the batch, with k samples for the
        expectation. ``analytic_kl=False`` estimates the whole bound by sampling,
        mean_i log w_i (the same samples ``iwae_bound`` would draw)."""
        if not analytic_kl:
            return self.log_weights(x, k).mean()
        terms = VAE.loss_terms(self, x, k)
        return -(terms.reconstruction + terms.kl)

    def loss(self, x: Tensor) -> Tensor:
        """-ELBO, nats per image, batch mean."""
        return self.loss_terms(x).loss

    def sample(self, n: int) -> Tensor:
        """Pixel probabilities sigmoid(logits(z)) of ``n`` images, z ~ p(z); no gradient."""
        from ..autograd import no_grad
        from ..creation import randn
        with no_grad():
            p = next(self.parameters())
            return self.decode(randn(n, self.latent_dim, dtype=p.dtype)).sigmoid()


def _check_k(k, who: str) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"{who}: expected k (number of importance samples) to be a positive "
                         f"int, got {k!r}")


class BetaVAE(VAE):
    """beta-VAE (Higgins et al., 2017): loss = -E_q[log p(x|z)] + beta KL(q(z|x) || p(z)).
    ``loss_terms`` returns the weighted loss with the unweighted parts; ``elbo`` stays the ELBO."""

    def __init__(self, in_features: int = 784, hidden=(400,), latent_dim: int = 20,
                 beta: float = 4.0) -> None:
        super().__init__(in_features, hidden, latent_dim)
        self.beta = float(beta)

    def loss_terms(self, x: Tensor, k: int = 1) -> LossTerms:
        t = super().loss_terms(x, k)
        return LossTerms(t.reconstruction + self.beta * t.kl, t.reconstruction, t.kl)


class IWAE(VAE):
    """Importance-weighted autoencoder (Burda et al., 2016): the VAE trained on -L_k with
    ``k`` samples per image."""

    def __init__(self, in_features: int = 784, hidden=(400,), latent_dim: int = 20,
                 k: int = 5) -> None:
        super().__init__(in_features, hidden, latent_dim)
        _check_k(k, "IWAE")
        self.k = k

    def loss(self, x: Tensor) -> Tensor:
        """-L_k(x), batch mean."""
        return -self.iwae_bound(x, self.k)


class GumbelVAE(nn.Module):
    """Discrete-latent VAE (Jang et al., 2017): ``latent_dim`` categorical variables with
    ``categorical_dim`` classes each. q(c_n|x) = Cat(softmax(logits_n(x))); training samples
    are y_n ~ RelaxedOneHotCategorical(temperature, logits_n), flattened into the Bernoulli
    decoder. KL(q || uniform) = sum_n sum_k q_nk (log q_nk + log K), closed form.

    ``temperature`` is a float attribute: anneal it (e.g. tau = max(0.5, exp(-r t))) from the
    training loop. ``hard=True`` uses straight-through one-hot samples."""

    def __init__(self, in_features: int = 784, hidden=(400,), latent_dim: int = 20,
                 categorical_dim: int = 10, temperature: float = 1.0, hard: bool = False) -> None:
        super().__init__()
        h = _hidden(hidden)
        self.in_features, self.latent_dim, self.categorical_dim = (in_features, latent_dim,
                                                                   categorical_dim)
        self.temperature, self.hard = float(temperature), hard
        self.encoder = _mlp([in_features, *h, latent_dim * categorical_dim])
        self.decoder = _mlp([latent_dim * categorical_dim, *reversed(h), in_features])

    def encode(self, x: Tensor) -> Tensor:
        """Logits (B, latent_dim, categorical_dim)."""
        out = self.encoder(_flat(x, self.in_features, "GumbelVAE"))
        return out.reshape(out.shape[0], self.latent_dim, self.categorical_dim)

    def posterior(self, x: Tensor) -> RelaxedOneHotCategorical:
        if not self.temperature > 0:
            raise ValueError(f"GumbelVAE: temperature must be > 0, got {self.temperature}")
        return RelaxedOneHotCategorical(self.temperature, logits=self.encode(x))

    def decode(self, y: Tensor) -> Tensor:
        """Bernoulli logits (B, in_features) from relaxed one-hots (B, latent_dim, K)."""
        return self.decoder(y.reshape(y.shape[0], -1))

    def forward(self, x: Tensor):
        """(logits in x's shape, relaxed sample y (B, latent_dim, K))."""
        y = self.posterior(x).rsample(hard=self.hard)
        return self.decode(y).reshape(x.shape), y

    def loss_terms(self, x: Tensor) -> LossTerms:
        xf = _flat(x, self.in_features, "GumbelVAE")
        q = self.posterior(xf)
        y = q.rsample(hard=self.hard)
        rec = -Independent(Bernoulli(logits=self.decode(y)), 1).log_prob(xf).mean()
        from ..creation import zeros_like
        logits = q.logits
        kl = kl_divergence(Categorical(logits=logits),
                           Categorical(logits=zeros_like(logits))).sum(-1).mean()
        return LossTerms(rec + kl, rec, kl)

    def loss(self, x: Tensor) -> Tensor:
        """Relaxed -ELBO, nats per image, batch mean."""
        return self.loss_terms(x).loss

    def sample(self, n: int) -> Tensor:
        """Pixel probabilities of ``n`` images from one-hot codes drawn from the uniform prior."""
        from ..autograd import no_grad
        from ..creation import randint
        from ..nn.functional import one_hot
        with no_grad():
            p = next(self.parameters())
            c = randint(0, self.categorical_dim, (n, self.latent_dim))
            return self.decode(one_hot(c, self.categorical_dim).to(p.dtype)).sigmoid()
