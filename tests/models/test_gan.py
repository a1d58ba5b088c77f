"""chainrule.models.gan: the networks' shapes, the GAN losses against their closed forms
(saturation included), the gradient penalty against torch, weight clipping, one training step
of every variant, and a short seeded WGAN-GP run on ring8."""
from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.data.toy import ring8
from chainrule.models.gan import (GAN_VARIANTS, DCGANDiscriminator, DCGANGenerator, GANTrainer,
                                  MLPDiscriminator, MLPGenerator, clip_weights_,
                                  discriminator_loss, gradient_penalty, minimax_generator_loss,
                                  nonsaturating_generator_loss, wgan_critic_loss,
                                  wgan_generator_loss)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def leaf(values, dtype=chainrule.float64):
    return chainrule.tensor(np.asarray(values, dtype=np.float64), dtype=dtype,
                            requires_grad=True)


# ============================================================================ shapes
def test_mlp_shapes_and_names():
    G, D = MLPGenerator(latent_dim=3, hidden=(16, 8)), MLPDiscriminator(hidden=(16, 8))
    x = G(chainrule.randn(5, 3))
    assert x.shape == (5, 2)
    assert D(x).shape == (5,)
    assert [n for n, _ in G.named_parameters()] == [
        "net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight", "net.4.bias"]
    assert D.net[0].weight.shape == (16, 2) and D.net[4].weight.shape == (1, 8)
    assert sum(p.numel() for p in MLPDiscriminator().parameters()) == (
        2 * 512 + 512 + 2 * (512 * 512 + 512) + 512 + 1)


def test_dcgan_shapes_and_init():
    chainrule.manual_seed(0)
    G = DCGANGenerator(latent_dim=16, channels=8)
    x = G(chainrule.randn(3, 16))
    assert x.shape == (3, 1, 28, 28)
    a = x.detach().numpy()
    assert a.min() >= -1 and a.max() <= 1
    assert G(chainrule.randn(2, 16, 1, 1)).shape == (2, 1, 28, 28)
    convs = [m for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [tuple(m.weight.shape) for m in convs] == [(16, 16, 7, 7), (16, 8, 4, 4),
                                                       (8, 1, 4, 4)]
    assert all(m.bias is None for m in convs)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in G.modules()) == 2
    assert isinstance(G.net[-1], nn.Tanh)
    assert convs[0].weight.detach().numpy().std() == pytest.approx(0.02, rel=0.1)

    D = DCGANDiscriminator(channels=8)
    s = D(x)
    assert s.shape == (3,)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.Sigmoid)) for m in D.modules())
    leaky = [m for m in D.modules() if isinstance(m, nn.LeakyReLU)]
    assert len(leaky) == 2 and all(m.negative_slope == 0.2 for m in leaky)
    assert D.net[0].weight.detach().numpy().std() == pytest.approx(0.02, rel=0.2)
    assert not D.net[0].bias.detach().numpy().any()
    Dbn = DCGANDiscriminator(channels=8, batchnorm=True)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in Dbn.modules()) == 1
    assert Dbn(x).shape == (3,)


def test_network_input_errors():
    with pytest.raises(ValueError, match=r"MLPGenerator: expected noise of shape \(N, 2\), "
                                         r"got \(4, 3\)"):
        MLPGenerator(hidden=(4,))(chainrule.randn(4, 3))
    with pytest.raises(ValueError, match=r"MLPDiscriminator: expected input of shape \(N, 2\)"):
        MLPDiscriminator(hidden=(4,))(chainrule.randn(4))
    with pytest.raises(ValueError, match=r"DCGANGenerator: expected noise of shape \(N, 8\)"):
        DCGANGenerator(latent_dim=8, channels=2)(chainrule.randn(4, 7))
    with pytest.raises(ValueError, match=r"DCGANDiscriminator: expected images of shape "
                                         r"\(N, 1, 28, 28\), got \(2, 1, 32, 32\)"):
        DCGANDiscriminator(channels=2)(chainrule.randn(2, 1, 32, 32))


# ============================================================================ losses
def test_generator_losses_and_their_gradients_match_the_closed_forms():
    logits = np.array([-12.0, -6.0, -2.0, 0.0, 1.5, 6.0])
    n = len(logits)
    l = leaf(logits)
    loss = minimax_generator_loss(l)
    assert loss.item() == pytest.approx(np.mean(np.log1p(-sigmoid(logits))), rel=1e-12)
    loss.backward()
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l)
    np.testing.assert_allclose(l.grad.numpy(), -sigmoid(logits) / n, rtol=1e-12)

    l = leaf(logits)
    loss = nonsaturating_generator_loss(l)
    assert loss.item() == pytest.approx(np.mean(-np.log(sigmoid(logits))), rel=1e-12)
    loss.backward()
    # d/dl -log sigmoid(l) = -(1 - sigmoid(l))
    np.testing.assert_allclose(l.grad.numpy(), -(1 - sigmoid(logits)) / n, rtol=1e-12)


def test_saturation_when_the_discriminator_is_confident():
    # D confidently rejects the fakes (l = -12: D(G(z)) = 6e-6): the minimax loss's gradient
    # all but vanishes, the non-saturating one is almost the largest it can be.
    l1, l2 = leaf([-12.0]), leaf([-12.0])
    minimax_generator_loss(l1).backward()
    nonsaturating_generator_loss(l2).backward()
    g_mm, g_ns = l1.grad.item(), l2.grad.item()
    assert abs(g_mm) < 1e-5 and g_ns == pytest.approx(-1.0, abs=1e-5)
    assert abs(g_ns) / abs(g_mm) > 1e5
    # and the reverse when D is fooled (l = +12)
    l1, l2 = leaf([12.0]), leaf([12.0])
    minimax_generator_loss(l1).backward()
    nonsaturating_generator_loss(l2).backward()
    assert l1.grad.item() == pytest.approx(-1.0, abs=1e-5) and abs(l2.grad.item()) < 1e-5


def test_losses_are_stable_for_huge_logits():
    for dtype in (chainrule.float32, chainrule.float64):
        l = leaf([200.0, -200.0], dtype=dtype)
        mm = minimax_generator_loss(l)
        assert mm.item() == pytest.approx(-100.0)          # (log(1-1) ~ -200, log(1-0) = 0)/2
        mm.backward()
        np.testing.assert_allclose(l.grad.numpy(), [-0.5, 0.0], atol=1e-7)
        l = leaf([200.0, -200.0], dtype=dtype)
        ns = nonsaturating_generator_loss(l)
        assert ns.item() == pytest.approx(100.0)
        ns.backward()
        np.testing.assert_allclose(l.grad.numpy(), [0.0, -0.5], atol=1e-7)
        d = discriminator_loss(leaf([200.0], dtype), leaf([-200.0], dtype))
        assert math.isfinite(d.item()) and d.item() < 1e-6


def test_discriminator_and_wgan_losses():
    real, fake = np.array([2.0, -0.5, 0.3]), np.array([-1.0, 0.7])
    r, f = leaf(real), leaf(fake)
    d = discriminator_loss(r, f)
    expected = -np.mean(np.log(sigmoid(real))) - np.mean(np.log(1 - sigmoid(fake)))
    assert d.item() == pytest.approx(expected, rel=1e-12)
    d.backward()
    np.testing.assert_allclose(r.grad.numpy(), -(1 - sigmoid(real)) / 3, rtol=1e-12)
    np.testing.assert_allclose(f.grad.numpy(), sigmoid(fake) / 2, rtol=1e-12)
    assert wgan_critic_loss(leaf(real), leaf(fake)).item() == pytest.approx(
        fake.mean() - real.mean())
    assert wgan_generator_loss(leaf(fake)).item() == pytest.approx(-fake.mean())


# ============================================================================ clipping
def test_clip_weights_bounds_every_parameter():
    D = MLPDiscriminator(hidden=(16, 16))
    before = {n: p.detach().numpy().copy() for n, p in D.named_parameters()}
    assert max(np.abs(a).max() for a in before.values()) > 0.1
    assert clip_weights_(D, 0.01) is D
    for name, p in D.named_parameters():
        a = p.detach().numpy()
        assert np.abs(a).max() <= 0.01
        np.testing.assert_array_equal(a, np.clip(before[name], -0.01, 0.01))
        assert p.requires_grad and p.grad_fn is None
    with pytest.raises(ValueError, match="clip_weights_: c must be positive, got 0"):
        clip_weights_(D, 0)


# ============================================================================ gradient penalty
def _torch_mlp(torch, D):
    layers = []
    for m in D.net:
        if isinstance(m, nn.Linear):
            lin = torch.nn.Linear(m.in_features, m.out_features).double()
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(m.weight.detach().numpy()))
                lin.bias.copy_(torch.from_numpy(m.bias.detach().numpy()))
            layers.append(lin)
        else:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def _torch_gp(torch, critic, real, fake, alpha):
    real, fake = torch.from_numpy(real), torch.from_numpy(fake)
    a = torch.from_numpy(alpha).reshape(-1, *([1] * (real.dim() - 1)))
    x_hat = (a * real + (1 - a) * fake).requires_grad_(True)
    out = critic(x_hat)
    (g,) = torch.autograd.grad(out, x_hat, torch.ones_like(out), create_graph=True)
    return ((g.reshape(len(g), -1).norm(2, dim=1) - 1) ** 2).mean()


def test_gradient_penalty_matches_torch_mlp():
    torch = pytest.importorskip("torch")
    chainrule.manual_seed(0)
    D = MLPDiscriminator(hidden=(16, 16)).double()
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((12, 2)), rng.standard_normal((12, 2))
    alpha = rng.random(12)
    gp = gradient_penalty(D, chainrule.tensor(real), chainrule.tensor(fake),
                          alpha=chainrule.tensor(alpha))
    gp.backward()
    TD = _torch_mlp(torch, D)
    tgp = _torch_gp(torch, TD, real, fake, alpha)
    tgp.backward()
    assert gp.item() == pytest.approx(tgp.item(), rel=1e-10)
    assert gp.item() > 1e-3                               # not trivially zero
    ours, theirs = list(D.parameters()), list(TD.parameters())
    assert len(ours) == len(theirs) == 6
    # the last bias does not enter grad_x f, so neither library gives it a gradient
    assert ours[-1].grad is None and theirs[-1].grad is None
    for p, tp in zip(ours[:-1], theirs[:-1]):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert max(np.abs(p.grad.numpy()).max() for p in ours[:-1]) > 1e-4   # reaches the weights


def test_gradient_penalty_matches_torch_dcgan_critic():
    torch = pytest.importorskip("torch")
    chainrule.manual_seed(1)
    D = DCGANDiscriminator(channels=2).double()
    TD = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 4, 2, 1), torch.nn.LeakyReLU(0.2),
        torch.nn.Conv2d(2, 4, 4, 2, 1), torch.nn.LeakyReLU(0.2),
        torch.nn.Conv2d(4, 1, 7, 1, 0), torch.nn.Flatten()).double()
    with torch.no_grad():
        for tp, p in zip(TD.parameters(), D.parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    rng = np.random.default_rng(1)
    real, fake = rng.uniform(-1, 1, (3, 1, 28, 28)), rng.uniform(-1, 1, (3, 1, 28, 28))
    alpha = rng.random(3)
    gp = gradient_penalty(D, chainrule.tensor(real), chainrule.tensor(fake),
                          alpha=chainrule.tensor(alpha))
    gp.backward()
    tgp = _torch_gp(torch, TD, real, fake, alpha)
    tgp.backward()
    assert gp.item() == pytest.approx(tgp.item(), rel=1e-10)
    ours, theirs = list(D.parameters()), list(TD.parameters())
    assert ours[-1].grad is None and theirs[-1].grad is None     # the last bias, as above
    for p, tp in zip(ours[:-1], theirs[:-1]):
        # the other biases enter grad_x f only through LeakyReLU's slope pattern, a piecewise
        # constant: torch gives them zero gradients, chainrule none (its leaky_relu backward
        # does not record a path to the input); both mean zero
        ours_g = np.zeros(p.shape) if p.grad is None else p.grad.numpy()
        np.testing.assert_allclose(ours_g, tp.grad.numpy(), rtol=1e-8, atol=1e-12)
    assert all(np.abs(p.grad.numpy()).max() > 1e-6 for p in ours[0:5:2])   # the weights


def test_gradient_penalty_random_interpolates_and_detaching():
    chainrule.manual_seed(0)
    D = MLPDiscriminator(hidden=(8,)).double()
    real = chainrule.randn(6, 2, dtype=chainrule.float64)
    fake = chainrule.randn(6, 2, dtype=chainrule.float64, requires_grad=True)
    g1 = gradient_penalty(D, real, fake, chainrule.Generator().manual_seed(5))
    g2 = gradient_penalty(D, real, fake, chainrule.Generator().manual_seed(5))
    g3 = gradient_penalty(D, real, fake, chainrule.Generator().manual_seed(6))
    assert g1.item() == g2.item() != g3.item()
    g1.backward()
    assert fake.grad is None                              # only the critic is penalised
    # a critic that is exactly 1-Lipschitz along x (f(x) = x_0) has zero penalty
    assert gradient_penalty(lambda x: x[:, 0], real, fake).item() == pytest.approx(0.0)
    # f(x) = 3 x_0: ||grad|| = 3, penalty (3 - 1)^2 = 4
    assert gradient_penalty(lambda x: 3 * x[:, 0], real, fake).item() == pytest.approx(4.0)


def test_one_sided_gradient_penalty_ignores_slopes_below_one():
    real = chainrule.randn(5, 2, dtype=chainrule.float64)
    fake = chainrule.randn(5, 2, dtype=chainrule.float64)
    for slope, two_sided, one_sided in ((0.5, 0.25, 0.0), (-1.0, 0.0, 0.0), (3.0, 4.0, 4.0)):
        f = lambda x, s=slope: s * x[:, 0]     # noqa: E731  ||grad f|| = |s| everywhere
        assert gradient_penalty(f, real, fake).item() == pytest.approx(two_sided)
        assert gradient_penalty(f, real, fake, one_sided=True).item() == pytest.approx(one_sided)
    # per sample: max(0, ||g_i|| - 1)^2 on a critic whose slope varies, f = x_0^2 / 2
    alpha = chainrule.rand(5, dtype=chainrule.float64)
    x_hat = alpha[:, None] * real + (1 - alpha[:, None]) * fake
    expected = ((x_hat[:, 0].abs() - 1).clamp(min=0) ** 2).mean()
    got = gradient_penalty(lambda x: x[:, 0] ** 2 / 2, real, fake, alpha=alpha, one_sided=True)
    assert got.item() == pytest.approx(expected.item(), rel=1e-12)


def test_gradient_penalty_errors():
    D = MLPDiscriminator(hidden=(4,))
    with pytest.raises(TypeError, match="gradient_penalty: real and fake must be Tensors"):
        gradient_penalty(D, np.zeros((2, 2)), chainrule.zeros(2, 2))
    with pytest.raises(ValueError, match=r"gradient_penalty: real and fake must have the same "
                                         r"shape \(N, \.\.\.\), got \(2, 2\) and \(3, 2\)"):
        gradient_penalty(D, chainrule.zeros(2, 2), chainrule.zeros(3, 2))


# ============================================================================ training steps
def test_variant_settings():
    assert GAN_VARIANTS["wgan"].optimizer == "rmsprop" and GAN_VARIANTS["wgan"].lr == 5e-5
    assert GAN_VARIANTS["wgan"].clip_value == 0.01 and GAN_VARIANTS["wgan"].n_critic == 5
    gp = GAN_VARIANTS["wgan-gp"]
    assert (gp.optimizer, gp.lr, gp.betas, gp.gp_lambda, gp.n_critic) == (
        "adam", 1e-4, (0.5, 0.9), 10.0, 5)
    assert GAN_VARIANTS["gan"].loss == "minimax" and GAN_VARIANTS["nsgan"].loss == "nonsaturating"
    tr = GANTrainer(MLPGenerator(hidden=(4,)), MLPDiscriminator(hidden=(4,)), "wgan-gp")
    assert isinstance(tr.opt_d, chainrule.optim.Adam)
    assert tr.opt_d.param_groups[0]["betas"] == (0.5, 0.9)
    assert tr.opt_d.param_groups[0]["lr"] == 1e-4
    tr = GANTrainer(MLPGenerator(hidden=(4,)), MLPDiscriminator(hidden=(4,)), "wgan", lr=1e-3)
    assert isinstance(tr.opt_g, chainrule.optim.RMSprop) and tr.opt_g.param_groups[0]["lr"] == 1e-3


@pytest.mark.parametrize("variant", ["gan", "nsgan", "wgan", "wgan-gp"])
def test_one_step_of_each_variant(variant):
    chainrule.manual_seed(0)
    G, D = MLPGenerator(hidden=(16, 16)), MLPDiscriminator(hidden=(16, 16))
    g = chainrule.Generator().manual_seed(0)
    tr = GANTrainer(G, D, variant, rng=g)
    calls = []
    real = ring8()

    def data():
        calls.append(1)
        return real.sample(32, g)

    g_before = [p.detach().numpy().copy() for p in G.parameters()]
    d_before = [p.detach().numpy().copy() for p in D.parameters()]
    out = tr.step(data)
    assert len(calls) == GAN_VARIANTS[variant].n_critic
    keys = {"d_loss", "g_loss"}
    if variant.startswith("wgan"):
        keys.add("wasserstein")
    if variant == "wgan-gp":
        keys.add("gp")
    assert set(out) == keys and all(math.isfinite(v) for v in out.values())
    assert all(not np.array_equal(a, p.detach().numpy()) for a, p in zip(g_before, G.parameters()))
    # (a WGAN critic's last bias cancels in mean f(G(z)) - mean f(x): it gets a zero gradient)
    d_moved = [not np.array_equal(a, p.detach().numpy()) for a, p in zip(d_before, D.parameters())]
    assert all(d_moved[:-1]) and d_moved[-1] == (variant in ("gan", "nsgan", "wgan"))
    assert all(p.requires_grad for p in D.parameters())    # unfrozen after the generator step
    if variant == "wgan":
        assert max(np.abs(p.detach().numpy()).max() for p in D.parameters()) <= 0.01
    # the same real batch for every critic step, and an iterator
    out = tr.step(real.sample(32, g))
    out2 = tr.step(iter([real.sample(32, g)] * GAN_VARIANTS[variant].n_critic))
    assert math.isfinite(out["g_loss"]) and math.isfinite(out2["g_loss"])


def test_generator_loss_value_matches_the_variant():
    chainrule.manual_seed(0)
    for variant, loss in (("gan", minimax_generator_loss),
                          ("nsgan", nonsaturating_generator_loss),
                          ("wgan", wgan_generator_loss)):
        G, D = MLPGenerator(hidden=(8,)), MLPDiscriminator(hidden=(8,))
        with chainrule.no_grad():      # the loss before the step, on the trainer's noise
            z = chainrule.randn(16, 2, generator=chainrule.Generator().manual_seed(3))
            want = loss(D(G(z))).item()
        tr = GANTrainer(G, D, variant, rng=chainrule.Generator().manual_seed(3))
        assert tr.generator_step(16) == pytest.approx(want, rel=1e-6)


def test_dcgan_step_runs():
    chainrule.manual_seed(0)
    G, D = DCGANGenerator(latent_dim=8, channels=4), DCGANDiscriminator(channels=4)
    for variant in ("nsgan", "wgan-gp"):
        tr = GANTrainer(G, D, variant, rng=chainrule.Generator().manual_seed(0), n_critic=1)
        out = tr.step(chainrule.rand(4, 1, 28, 28) * 2 - 1)
        assert all(math.isfinite(v) for v in out.values())


def test_trainer_errors():
    G, D = MLPGenerator(hidden=(4,)), MLPDiscriminator(hidden=(4,))
    with pytest.raises(ValueError, match="GANTrainer: unknown variant 'lsgan'"):
        GANTrainer(G, D, "lsgan")
    with pytest.raises(TypeError, match=r"GANTrainer: unexpected keyword\(s\) \['momentum'\]"):
        GANTrainer(G, D, "wgan", momentum=0.9)
    with pytest.raises(ValueError, match="GANTrainer: n_critic must be a positive integer"):
        GANTrainer(G, D, "wgan", n_critic=0)

    class NoLatent(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(chainrule.ones(1))

        def forward(self, z):
            return z * self.scale

    with pytest.raises(ValueError, match="GANTrainer: the generator has no latent_dim"):
        GANTrainer(NoLatent(), D, "gan")
    assert GANTrainer(NoLatent(), D, "gan", latent_dim=2).latent_dim == 2


# ============================================================================ a short run
def test_wgan_gp_moves_samples_toward_the_ring():
    """300 generator iterations of WGAN-GP with the paper's settings (Adam 1e-4, betas
    (0.5, 0.9), lambda 10, n_critic 5) on ring8 with a small MLP: the mean distance of the
    samples to the circle of radius 2 falls from ~1.8 (the untrained generator's outputs sit
    near the origin) to well under two thirds of that. Seeded; a few seconds."""
    chainrule.manual_seed(0)
    G, D = MLPGenerator(hidden=(64, 64)), MLPDiscriminator(hidden=(64, 64))
    g = chainrule.Generator().manual_seed(0)
    tr = GANTrainer(G, D, "wgan-gp", rng=g)
    ring = ring8()
    z = chainrule.randn(1000, 2, generator=chainrule.Generator().manual_seed(99))

    def distance_to_ring() -> float:
        with chainrule.no_grad():
            x = G(z).numpy().astype(np.float64)
        return float(np.abs(np.hypot(x[:, 0], x[:, 1]) - 2.0).mean())

    d0 = distance_to_ring()
    assert d0 > 1.5
    outs = [tr.step(lambda: ring.sample(128, g)) for _ in range(300)]
    assert all(math.isfinite(v) for o in outs for v in o.values())
    d1 = distance_to_ring()
    assert d1 < 0.67 * d0, (d0, d1)
    # the critic has learnt to tell the data from the fakes: a positive W1 estimate
    assert np.mean([o["wasserstein"] for o in outs[-50:]]) > 0.1
