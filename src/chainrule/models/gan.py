"""The GAN family: networks, losses and one training step for GAN, NS-GAN, WGAN and WGAN-GP.

    from chainrule.models.gan import MLPGenerator, MLPDiscriminator, GANTrainer
    from chainrule.data.toy import ring8
    G, D = MLPGenerator(hidden=(128, 128)), MLPDiscriminator(hidden=(128, 128))
    trainer = GANTrainer(G, D, "wgan-gp")
    ring = ring8()
    losses = trainer.step(lambda: ring.sample(256))    # 5 critic steps, then 1 generator step

Networks
    ``MLPGenerator`` / ``MLPDiscriminator``: ReLU MLPs for 2-D toy data (the WGAN-GP toy script
    uses 2-D noise and three hidden layers of 512). ``DCGANGenerator`` / ``DCGANDiscriminator``:
    DCGAN-style nets for 1 x 28 x 28 images (ConvTranspose2d + BatchNorm + ReLU, Tanh output;
    Conv2d + LeakyReLU(0.2)). Every discriminator (critic) returns raw scores (logits), shape
    (N,): no sigmoid.

Losses (``l`` = the discriminator's logit, D = sigmoid(l))
    ``discriminator_loss``  -mean log D(x) - mean log(1 - D(G(z)))  (BCE with logits)
    ``minimax_generator_loss``  mean log(1 - D(G(z))) = mean log sigmoid(-l): the saturating
        loss of the original minimax game; d/dl = -sigmoid(l), which vanishes when D confidently
        rejects the fakes (l -> -inf), the case early in training.
    ``nonsaturating_generator_loss``  -mean log D(G(z)) = -mean log sigmoid(l);
        d/dl = -(1 - sigmoid(l)), which tends to -1 where the minimax loss's gradient vanishes.
    ``wgan_critic_loss``  mean f(G(z)) - mean f(x);  ``wgan_generator_loss``  -mean f(G(z)).
    ``gradient_penalty``  mean_i (||grad_x f(x_hat_i)||_2 - 1)^2 on x_hat = a x + (1 - a) G(z).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterator, Union

from .. import nn, optim
from ..autograd import grad as _autograd_grad
from ..autograd.grad_mode import no_grad
from ..creation import ones_like, rand, randn
from ..nn import functional as F
from ..random import Generator
from ..tensor import Tensor

__all__ = ["MLPGenerator", "MLPDiscriminator", "DCGANGenerator", "DCGANDiscriminator",
           "dcgan_init_", "discriminator_loss", "minimax_generator_loss",
           "nonsaturating_generator_loss", "wgan_critic_loss", "wgan_generator_loss",
           "clip_weights_", "gradient_penalty", "GANVariant", "GAN_VARIANTS", "GANTrainer"]


# ============================================================================ networks
def _mlp(in_features: int, hidden: tuple[int, ...], out_features: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """``z (N, latent_dim) -> [Linear -> ReLU] * len(hidden) -> Linear -> x (N, out_features)``.
    Parameters are ``net.0.weight``, ``net.0.bias``, ... (torch's default initialisation)."""

    def __init__(self, latent_dim: int = 2, hidden: tuple[int, ...] = (512, 512, 512),
                 out_features: int = 2) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.net = _mlp(latent_dim, tuple(hidden), out_features)

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"MLPGenerator: expected noise of shape (N, {self.latent_dim}), "
                             f"got {tuple(z.shape)}")
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """``x (N, in_features) -> [Linear -> ReLU] * len(hidden) -> Linear -> score (N,)``: a
    logit for the GANs, a critic value for the WGANs."""

    def __init__(self, in_features: int = 2, hidden: tuple[int, ...] = (512, 512, 512)) -> None:
        super().__init__()
        self.in_features = in_features
        self.net = _mlp(in_features, tuple(hidden), 1)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"MLPDiscriminator: expected input of shape "
                             f"(N, {self.in_features}), got {tuple(x.shape)}")
        return self.net(x).squeeze(-1)


def dcgan_init_(module: nn.Module, generator: Generator | None = None) -> nn.Module:
    """The DCGAN paper's initialisation (Radford et al. 2016): conv and transposed-conv
    weights ~ N(0, 0.02), BatchNorm weights ~ N(1, 0.02), biases 0. Returns ``module``."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02, generator=generator)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02, generator=generator)
            nn.init.zeros_(m.bias)
    return module


class DCGANGenerator(nn.Module):
    """DCGAN-style generator for ``out_channels`` x 28 x 28 images in [-1, 1]:

        z (N, latent_dim) -> ConvT(latent, 2c, 7)        -> BN -> ReLU    2c x  7 x  7
                          -> ConvT(2c, c, 4, stride 2, pad 1) -> BN -> ReLU   c x 14 x 14
                          -> ConvT(c, out, 4, stride 2, pad 1) -> Tanh      out x 28 x 28

    with ``c = channels``; ``z`` may also be (N, latent_dim, 1, 1). Initialised by
    ``dcgan_init_``.
    """

    def __init__(self, latent_dim: int = 100, channels: int = 64, out_channels: int = 1) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        c = channels
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, 2 * c, 7, 1, 0, bias=False), nn.BatchNorm2d(2 * c),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
            nn.ConvTranspose2d(c, out_channels, 4, 2, 1, bias=False), nn.Tanh())
        dcgan_init_(self)

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim == 2 and z.shape[1] == self.latent_dim:
            z = z.reshape(z.shape[0], self.latent_dim, 1, 1)
        elif not (z.ndim == 4 and tuple(z.shape[1:]) == (self.latent_dim, 1, 1)):
            raise ValueError(f"DCGANGenerator: expected noise of shape (N, {self.latent_dim}) "
                             f"or (N, {self.latent_dim}, 1, 1), got {tuple(z.shape)}")
        return self.net(z)


class DCGANDiscriminator(nn.Module):
    """DCGAN-style discriminator / critic for ``in_channels`` x 28 x 28 images:

        x -> Conv(in, c, 4, stride 2, pad 1) -> LeakyReLU(0.2)           c x 14 x 14
          -> Conv(c, 2c, 4, stride 2, pad 1) [-> BN] -> LeakyReLU(0.2)  2c x  7 x  7
          -> Conv(2c, 1, 7) -> score (N,)  (a logit: no sigmoid)

    ``batchnorm`` is off by default: batch norm makes a sample's score depend on the rest of
    the batch, which the gradient penalty (per-sample gradients) assumes it does not.
    Initialised by ``dcgan_init_``.
    """

    def __init__(self, in_channels: int = 1, channels: int = 64, batchnorm: bool = False) -> None:
        super().__init__()
        c = channels
        mid: list[nn.Module] = [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=not batchnorm)]
        if batchnorm:
            mid.append(nn.BatchNorm2d(2 * c))
        self.in_channels = in_channels
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, c, 4, 2, 1), nn.LeakyReLU(0.2),
            *mid, nn.LeakyReLU(0.2),
            nn.Conv2d(2 * c, 1, 7, 1, 0), nn.Flatten())
        dcgan_init_(self)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.in_channels, 28, 28):
            raise ValueError(f"DCGANDiscriminator: expected images of shape "
                             f"(N, {self.in_channels}, 28, 28), got {tuple(x.shape)}")
        return self.net(x).squeeze(-1)


# ============================================================================ losses
def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """The discriminator's loss of the original GAN: BCE with logits, real labelled 1 and
    fake 0, i.e. ``-mean log sigmoid(l_real) - mean log(1 - sigmoid(l_fake))``."""
    return (F.binary_cross_entropy_with_logits(real_logits, ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, ones_like(fake_logits) * 0))


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    """The saturating generator loss ``mean log(1 - D(G(z)))`` (to be minimised), computed
    stably as ``mean log sigmoid(-l)`` from the logits; ``d/dl log(1 - sigmoid(l)) =
    -sigmoid(l)``."""
    return F.logsigmoid(-fake_logits).mean()


def nonsaturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """The non-saturating generator loss ``-mean log D(G(z)) = -mean log sigmoid(l)``;
    ``d/dl (-log sigmoid(l)) = -(1 - sigmoid(l))``."""
    return -F.logsigmoid(fake_logits).mean()


def wgan_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """The WGAN critic's loss ``mean f(G(z)) - mean f(x)``: minus the critic's estimate of the
    Wasserstein-1 distance."""
    return fake_scores.mean() - real_scores.mean()


def wgan_generator_loss(fake_scores: Tensor) -> Tensor:
    """The WGAN generator's loss ``-mean f(G(z))``."""
    return -fake_scores.mean()


def clip_weights_(module: nn.Module, c: float) -> nn.Module:
    """Clamp every parameter of ``module`` to [-c, c] in place (WGAN's crude Lipschitz bound).
    Returns ``module``."""
    if not c > 0:
        raise ValueError(f"clip_weights_: c must be positive, got {c}")
    with no_grad():
        for p in module.parameters():
            p.clamp_(-c, c)
    return module


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                     generator: Generator | None = None, *, alpha: Tensor | None = None,
                     one_sided: bool = False) -> Tensor:
    """WGAN-GP's penalty ``mean_i (||grad_x f(x_hat_i)||_2 - 1)^2`` (Gulrajani et al. 2017).

    ``one_sided=True`` penalises only slopes above 1, ``mean_i max(0, ||grad|| - 1)^2`` (the
    variant the WGAN-GP paper mentions, and Petzka et al. 2018's): it does not push a flat
    critic's slope up towards 1, and in one dimension it does not make slope -1 as good as +1.

    ``x_hat_i = a_i x_i + (1 - a_i) x~_i`` with ``a_i ~ U(0, 1)`` drawn per sample from
    ``generator`` (or given as ``alpha``, shape (N,) or broadcastable to ``real``); ``real`` and
    ``fake`` are detached, so only the critic's parameters get gradients. The input gradient is
    taken with ``create_graph=True``: the penalty is differentiable w.r.t. the critic's
    parameters (a second-order derivative). The norm is over all non-batch dimensions.
    """
    if not isinstance(real, Tensor) or not isinstance(fake, Tensor):
        raise TypeError(f"gradient_penalty: real and fake must be Tensors, got "
                        f"{type(real).__name__} and {type(fake).__name__}")
    if tuple(real.shape) != tuple(fake.shape) or real.ndim < 2:
        raise ValueError(f"gradient_penalty: real and fake must have the same shape (N, ...), "
                         f"got {tuple(real.shape)} and {tuple(fake.shape)}")
    n = real.shape[0]
    bshape = (n,) + (1,) * (real.ndim - 1)
    if alpha is None:
        alpha = rand(*bshape, generator=generator, dtype=real.dtype)
    elif alpha.ndim == 1:
        alpha = alpha.reshape(*bshape)
    real, fake, alpha = real.detach(), fake.detach(), alpha.detach()
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(x_hat)
    (g,) = _autograd_grad(scores, x_hat, grad_outputs=ones_like(scores), create_graph=True)
    excess = g.reshape(n, -1).norm(2, dim=1) - 1
    if one_sided:
        excess = excess.clamp(min=0)
    return (excess ** 2).mean()


# ============================================================================ training step
@dataclass(frozen=True)
class GANVariant:
    """The settings of one GAN variant: generator loss, optimizer and its settings, critic
    iterations per generator iteration, weight clipping, gradient-penalty weight."""
    loss: str                         # 'minimax', 'nonsaturating' or 'wasserstein'
    optimizer: str                    # 'adam' or 'rmsprop'
    lr: float
    betas: tuple[float, float] = (0.9, 0.999)
    n_critic: int = 1
    clip_value: float | None = None
    gp_lambda: float | None = None


#: gan / nsgan: DCGAN's Adam(2e-4, betas (0.5, 0.999)), one D step per G step (Radford et al.);
#: wgan: RMSprop 5e-5, clip 0.01, n_critic 5 (Arjovsky et al. 2017); wgan-gp: Adam 1e-4,
#: betas (0.5, 0.9), lambda 10, n_critic 5 (Gulrajani et al. 2017).
GAN_VARIANTS: dict[str, GANVariant] = {
    "gan": GANVariant("minimax", "adam", 2e-4, (0.5, 0.999)),
    "nsgan": GANVariant("nonsaturating", "adam", 2e-4, (0.5, 0.999)),
    "wgan": GANVariant("wasserstein", "rmsprop", 5e-5, n_critic=5, clip_value=0.01),
    "wgan-gp": GANVariant("wasserstein", "adam", 1e-4, (0.5, 0.9), n_critic=5, gp_lambda=10.0),
}

RealData = Union[Tensor, Callable[[], Tensor], Iterator[Tensor]]


class GANTrainer:
    """One optimizer per network and a ``step`` that does one generator iteration of a GAN
    variant (``'gan'``, ``'nsgan'``, ``'wgan'``, ``'wgan-gp'``; see ``GAN_VARIANTS``).

    Keyword arguments override the variant's settings (``lr``, ``betas``, ``n_critic``,
    ``clip_value``, ``gp_lambda``). ``rng`` seeds the noise and the interpolation weights.
    The generator needs a ``latent_dim`` attribute (or pass ``latent_dim``).
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module, variant: str = "wgan-gp",
                 *, rng: Generator | None = None, latent_dim: int | None = None,
                 **overrides) -> None:
        if variant not in GAN_VARIANTS:
            raise ValueError(f"GANTrainer: unknown variant {variant!r}; available: "
                             f"{', '.join(GAN_VARIANTS)}")
        allowed = {"lr", "betas", "n_critic", "clip_value", "gp_lambda"}
        bad = set(overrides) - allowed
        if bad:
            raise TypeError(f"GANTrainer: unexpected keyword(s) {sorted(bad)}; settings that "
                            f"can be overridden: {sorted(allowed)}")
        cfg = replace(GAN_VARIANTS[variant], **overrides)
        if int(cfg.n_critic) != cfg.n_critic or cfg.n_critic < 1:
            raise ValueError(f"GANTrainer: n_critic must be a positive integer, got "
                             f"{cfg.n_critic!r}")
        self.variant, self.config = variant, cfg
        self.G, self.D, self.rng = generator, discriminator, rng
        self.latent_dim = latent_dim if latent_dim is not None else getattr(generator,
                                                                            "latent_dim", None)
        if self.latent_dim is None:
            raise ValueError("GANTrainer: the generator has no latent_dim attribute; pass "
                             "latent_dim=")
        if cfg.optimizer == "adam":
            self.opt_g = optim.Adam(generator.parameters(), lr=cfg.lr, betas=cfg.betas)
            self.opt_d = optim.Adam(discriminator.parameters(), lr=cfg.lr, betas=cfg.betas)
        else:
            self.opt_g = optim.RMSprop(generator.parameters(), lr=cfg.lr)
            self.opt_d = optim.RMSprop(discriminator.parameters(), lr=cfg.lr)

    def noise(self, n: int) -> Tensor:
        """``n`` standard normal latent vectors, shape (n, latent_dim)."""
        return randn(n, self.latent_dim, generator=self.rng)

    def critic_step(self, real: Tensor) -> dict[str, float]:
        """One discriminator/critic update on a batch of real data (and as many fakes)."""
        cfg = self.config
        with no_grad():
            fake = self.G(self.noise(real.shape[0]))
        d_real, d_fake = self.D(real), self.D(fake)
        out: dict[str, float] = {}
        if cfg.loss == "wasserstein":
            loss = wgan_critic_loss(d_real, d_fake)
            out["wasserstein"] = -loss.item()
            if cfg.gp_lambda:
                gp = gradient_penalty(self.D, real, fake, self.rng)
                out["gp"] = gp.item()
                loss = loss + cfg.gp_lambda * gp
        else:
            loss = discriminator_loss(d_real, d_fake)
        self.opt_d.zero_grad()
        loss.backward()
        self.opt_d.step()
        if cfg.clip_value is not None:
            clip_weights_(self.D, cfg.clip_value)
        out["d_loss"] = loss.item()
        return out

    def generator_step(self, batch_size: int) -> float:
        """One generator update on ``batch_size`` fakes; the discriminator's parameters are
        frozen meanwhile (no gradient is computed for them)."""
        params = [p for p in self.D.parameters() if p.requires_grad]
        for p in params:
            p.requires_grad_(False)
        try:
            scores = self.D(self.G(self.noise(batch_size)))
            loss = {"minimax": minimax_generator_loss,
                    "nonsaturating": nonsaturating_generator_loss,
                    "wasserstein": wgan_generator_loss}[self.config.loss](scores)
            self.opt_g.zero_grad()
            loss.backward()
            self.opt_g.step()
        finally:
            for p in params:
                p.requires_grad_(True)
        return loss.item()

    def step(self, data: RealData) -> dict[str, float]:
        """One generator iteration: ``n_critic`` critic steps, then one generator step.

        ``data`` gives the real batches: a callable (called once per critic step), an iterator
        (``next`` per critic step) or a Tensor (the same batch for every critic step). Returns
        the losses: ``d_loss`` (last critic step), ``g_loss``, and for the WGANs
        ``wasserstein`` (the critic's estimate mean f(x) - mean f(G(z))), for WGAN-GP ``gp``.
        """
        out: dict[str, float] = {}
        real = None
        for _ in range(self.config.n_critic):
            if isinstance(data, Tensor):
                real = data
            elif callable(data):
                real = data()
            else:
                real = next(data)
            out = self.critic_step(real)
        out["g_loss"] = self.generator_step(real.shape[0])
        return out
