"""Autoencoders and the VAE family: shapes, the bounds against hand computations, training on
the embedded MNIST sample, beta, the Gumbel temperature, and linear AE = PCA subspace."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import MNISTSample
from chainrule.models import (GENERATIVE_MODELS, IWAE, MODELS, VAE, Autoencoder, BetaVAE,
                              ConvAutoencoder, GumbelVAE, LinearAutoencoder, binarize,
                              build_model)


@pytest.fixture(scope="module")
def mnist_binary():
    """256 binarised digits of the embedded sample, (256, 1, 28, 28) float32."""
    images, _ = MNISTSample(train=True).as_tensors()
    return binarize(images[:256].float().unsqueeze(1) / 255)


def _softplus(a):
    return np.logaddexp(0.0, a)


# ============================================================================ binarize
def test_binarize_fixed_threshold():
    x = cr.tensor([[0.0, 0.3, 0.5, 0.51, 1.0]])
    assert binarize(x).tolist() == [[0.0, 0.0, 0.0, 1.0, 1.0]]
    assert binarize(x, threshold=0.2).tolist() == [[0.0, 1.0, 1.0, 1.0, 1.0]]
    assert binarize(x).dtype == cr.float32


def test_binarize_stochastic_is_seeded_and_has_mean_x():
    x = cr.full((20000,), 0.3)
    a = binarize(x, stochastic=True, generator=cr.Generator().manual_seed(5))
    b = binarize(x, stochastic=True, generator=cr.Generator().manual_seed(5))
    assert a.tolist() == b.tolist()
    assert set(np.unique(a.numpy())) == {0.0, 1.0}
    assert abs(float(a.mean()) - 0.3) < 0.015
    ends = binarize(cr.tensor([0.0, 1.0] * 50), stochastic=True)
    assert ends.tolist() == [0.0, 1.0] * 50


def test_binarize_errors():
    with pytest.raises(ValueError, match=r"binarize: expected values in \[0, 1\]"):
        binarize(cr.tensor([0.5, 255.0]))
    with pytest.raises(TypeError, match="binarize: expected floating-point"):
        binarize(cr.tensor([0, 1], dtype=cr.uint8))
    with pytest.raises(TypeError, match="binarize: expected a Tensor"):
        binarize(np.zeros(3))


# ============================================================================ shapes/registry
@pytest.mark.parametrize("name, cls", [("ae", Autoencoder), ("conv-ae", ConvAutoencoder),
                                       ("linear-ae", LinearAutoencoder), ("vae", VAE),
                                       ("beta-vae", BetaVAE), ("iwae", IWAE),
                                       ("gumbel-vae", GumbelVAE)])
def test_registry_builds_each_model_with_defaults(name, cls):
    model = build_model(name)
    assert type(model) is cls and GENERATIVE_MODELS[name] is cls
    assert name not in MODELS                       # the classifier CLI never offers them
    assert model.in_features == 784
    if name in ("vae", "beta-vae", "iwae"):
        assert model.latent_dim == 20


def test_build_model_unknown_name_lists_both_registries():
    with pytest.raises(ValueError, match="unknown model 'gan9'; available: .*cnn.*vae"):
        build_model("gan9")


def test_deterministic_autoencoder_shapes():
    cr.manual_seed(0)
    x = cr.rand(3, 1, 28, 28)
    for model in (Autoencoder(latent_dim=7), ConvAutoencoder(latent_dim=7),
                  LinearAutoencoder(latent_dim=7)):
        assert tuple(model.encode(x).shape) == (3, 7)
        assert tuple(model(x).shape) == (3, 1, 28, 28)
        assert tuple(model(x.reshape(3, 784)).shape) == (3, 784)
        assert model.loss(x).dim() == 0
    out = Autoencoder()(x)
    assert float(out.min()) >= 0 and float(out.max()) <= 1      # sigmoid output
    assert set(dict(LinearAutoencoder(bias=False).named_parameters())) == \
        {"encoder.weight", "decoder.weight"}


def test_linear_autoencoder_is_linear():
    cr.manual_seed(0)
    m = LinearAutoencoder(6, 2, bias=False).double()
    a, b = cr.randn(4, 6, dtype=cr.float64), cr.randn(4, 6, dtype=cr.float64)
    np.testing.assert_allclose((m(2 * a - b)).detach().numpy(),
                               (2 * m(a) - m(b)).detach().numpy(), atol=1e-12)


def test_vae_family_shapes_and_sample():
    cr.manual_seed(0)
    x = binarize(cr.rand(5, 1, 28, 28))
    for model in (VAE(hidden=32), BetaVAE(hidden=32), IWAE(hidden=32, k=3)):
        logits, mu, logvar = model(x)
        assert tuple(logits.shape) == (5, 1, 28, 28)
        assert tuple(mu.shape) == tuple(logvar.shape) == (5, 20)
        assert tuple(model.log_weights(x, k=4).shape) == (4, 5)
        assert model.loss(x).dim() == 0 and math.isfinite(float(model.loss(x)))
        s = model.sample(6)
        assert tuple(s.shape) == (6, 784) and 0 <= float(s.min()) <= float(s.max()) <= 1
    g = GumbelVAE(hidden=32, latent_dim=5, categorical_dim=4)
    logits, y = g(x)
    assert tuple(logits.shape) == (5, 1, 28, 28) and tuple(y.shape) == (5, 5, 4)
    np.testing.assert_allclose(y.sum(-1).detach().numpy(), 1.0, rtol=1e-5)
    assert tuple(g.sample(3).shape) == (3, 784)


def test_shape_and_k_errors():
    with pytest.raises(ValueError, match=r"VAE: expected inputs .* 784 values .*\(2, 100\)"):
        VAE().loss(cr.zeros(2, 100))
    with pytest.raises(ValueError, match="ConvAutoencoder: expected inputs"):
        ConvAutoencoder()(cr.zeros(2, 1, 14, 14))
    with pytest.raises(ValueError, match="VAE: expected k .* positive int, got 0"):
        VAE(hidden=8).iwae_bound(cr.zeros(2, 784), k=0)
    with pytest.raises(ValueError, match="IWAE: expected k"):
        IWAE(k=-1)
    g = GumbelVAE(hidden=8, temperature=0.0)
    with pytest.raises(ValueError, match="GumbelVAE: temperature must be > 0"):
        g.loss(cr.zeros(2, 784))


# ============================================================================ the bounds
def _tiny_vae():
    """784 -> 3 -> (mu, logvar) of 2 -> 3 -> 4 inputs, float64, seeded."""
    cr.manual_seed(3)
    return VAE(in_features=4, hidden=3, latent_dim=2).double()


def _params(model):
    return {k: v.detach().numpy() for k, v in model.named_parameters()}


def test_elbo_equals_hand_computation():
    model = _tiny_vae()
    x = cr.tensor([[1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]],
                  dtype=cr.float64)
    p = _params(model)
    xn = x.numpy()
    h = np.maximum(xn @ p["encoder.0.weight"].T + p["encoder.0.bias"], 0)
    out = h @ p["encoder.2.weight"].T + p["encoder.2.bias"]
    mu, logvar = out[:, :2], out[:, 2:]
    cr.manual_seed(11)
    eps = cr.randn(1, 3, 2, dtype=cr.float64).numpy()[0]      # the draw rsample will make
    z = mu + np.exp(0.5 * logvar) * eps
    hd = np.maximum(z @ p["decoder.0.weight"].T + p["decoder.0.bias"], 0)
    logits = hd @ p["decoder.2.weight"].T + p["decoder.2.bias"]
    log_px = (xn * -_softplus(-logits) + (1 - xn) * -_softplus(logits)).sum(1)
    kl = 0.5 * (np.exp(logvar) + mu ** 2 - 1 - logvar).sum(1)
    elbo = (log_px - kl).mean()

    cr.manual_seed(11)
    terms = model.loss_terms(x)
    np.testing.assert_allclose(float(terms.reconstruction), -log_px.mean(), rtol=1e-12)
    np.testing.assert_allclose(float(terms.kl), kl.mean(), rtol=1e-12)
    np.testing.assert_allclose(float(terms.loss), -elbo, rtol=1e-12)
    cr.manual_seed(11)
    np.testing.assert_allclose(float(model.elbo(x)), elbo, rtol=1e-12)
    cr.manual_seed(11)
    np.testing.assert_allclose(float(model.loss(x)), -elbo, rtol=1e-12)

    # the sampled bound: log p(x|z) + log N(z; 0, I) - log N(z; mu, sigma^2)
    log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(1)
    log_qz = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(1)
    cr.manual_seed(11)
    np.testing.assert_allclose(float(model.elbo(x, analytic_kl=False)),
                               (log_px + log_pz - log_qz).mean(), rtol=1e-12)


def test_elbo_gradient_reaches_every_parameter():
    model = _tiny_vae()
    model.loss(cr.tensor([[1.0, 0.0, 1.0, 1.0]], dtype=cr.float64)).backward()
    for name, prm in model.named_parameters():
        assert prm.grad is not None and np.isfinite(prm.grad.numpy()).all(), name


def test_iwae_k1_equals_sampled_elbo_for_the_same_sample():
    model = _tiny_vae()
    x = cr.tensor([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]], dtype=cr.float64)
    cr.manual_seed(4)
    iwae1 = float(model.iwae_bound(x, k=1))
    cr.manual_seed(4)
    elbo = float(model.elbo(x, analytic_kl=False))
    np.testing.assert_allclose(iwae1, elbo, rtol=1e-13)
    iwae = IWAE(in_features=4, hidden=3, latent_dim=2, k=1).double()
    iwae.load_state_dict(model.state_dict())
    cr.manual_seed(4)
    np.testing.assert_allclose(float(iwae.loss(x)), -iwae1, rtol=1e-13)


def test_iwae_bound_is_logmeanexp_of_the_log_weights():
    model = _tiny_vae()
    x = cr.tensor([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]], dtype=cr.float64)
    cr.manual_seed(8)
    lw = model.log_weights(x, k=7).detach().numpy()
    cr.manual_seed(8)
    bound = float(model.iwae_bound(x, k=7))
    expected = np.mean(np.log(np.mean(np.exp(lw), axis=0)))
    np.testing.assert_allclose(bound, expected, rtol=1e-12)


def test_iwae_bound_k50_is_above_elbo_on_average(mnist_binary):
    cr.manual_seed(0)
    model = VAE(hidden=64)
    x = mnist_binary[:64]
    with cr.no_grad():
        cr.manual_seed(1)
        elbo = float(model.elbo(x, k=50))            # 50-sample ELBO estimate: low variance
        cr.manual_seed(2)
        iwae = float(model.iwae_bound(x, k=50))
    assert iwae > elbo + 1.0, (iwae, elbo)            # untrained model: the gap is large


def test_beta_scales_the_kl_term():
    cr.manual_seed(0)
    x = binarize(cr.rand(6, 784))
    base = BetaVAE(hidden=16, beta=1.0).double()
    heavy = BetaVAE(hidden=16, beta=4.0).double()
    heavy.load_state_dict(base.state_dict())
    cr.manual_seed(9)
    t1 = base.loss_terms(x.double())
    cr.manual_seed(9)
    t4 = heavy.loss_terms(x.double())
    np.testing.assert_allclose(float(t4.reconstruction), float(t1.reconstruction), rtol=1e-12)
    np.testing.assert_allclose(float(t4.kl), float(t1.kl), rtol=1e-12)
    assert float(t1.kl) > 0
    np.testing.assert_allclose(float(t4.loss), float(t1.reconstruction) + 4 * float(t1.kl),
                               rtol=1e-12)
    np.testing.assert_allclose(float(t4.loss) - float(t1.loss), 3 * float(t1.kl), rtol=1e-10)
    plain = VAE(hidden=16).double()
    plain.load_state_dict(base.state_dict())
    cr.manual_seed(9)
    np.testing.assert_allclose(float(plain.loss(x.double())), float(t1.loss), rtol=1e-12)
    cr.manual_seed(9)
    assert float(heavy.elbo(x.double())) == pytest.approx(-float(t1.loss), rel=1e-12)


def test_gumbel_temperature_changes_sample_sharpness():
    cr.manual_seed(0)
    model = GumbelVAE(hidden=16, latent_dim=8, categorical_dim=5)
    x = binarize(cr.rand(64, 784))
    sharpness = {}
    for tau in (0.05, 1.0, 10.0):
        model.temperature = tau
        cr.manual_seed(1)
        _, y = model(x)
        sharpness[tau] = float(y.max(-1).values.mean())
    assert sharpness[0.05] > 0.9
    assert sharpness[10.0] < 0.4, sharpness
    assert sharpness[0.05] > sharpness[1.0] > sharpness[10.0], sharpness
    model.hard = True
    _, y = model(x)
    assert set(np.unique(y.detach().numpy())) == {0.0, 1.0}


def test_gumbel_kl_to_uniform_matches_closed_form():
    cr.manual_seed(0)
    model = GumbelVAE(in_features=6, hidden=4, latent_dim=3, categorical_dim=4).double()
    x = cr.tensor([[1.0, 0, 1, 0, 1, 1], [0, 0, 1, 1, 0, 0]], dtype=cr.float64)
    logits = model.encode(x).detach().numpy()
    q = np.exp(logits - logits.max(-1, keepdims=True))
    q /= q.sum(-1, keepdims=True)
    expected = (q * np.log(4 * q)).sum((1, 2)).mean()
    np.testing.assert_allclose(float(model.loss_terms(x).kl), expected, rtol=1e-12)


# ============================================================================ training
@pytest.mark.parametrize("name", sorted(GENERATIVE_MODELS))
def test_adam_steps_lower_the_loss_on_mnist_sample(name, mnist_binary):
    """30 Adam steps (lr 3e-3, batch 64) on 256 embedded digits cut the loss on those digits
    by at least 40% (measured: to 0.35-0.47 of the start for every model)."""
    cr.manual_seed(0)
    kwargs = {} if name in ("conv-ae", "linear-ae") else {"hidden": 128}
    model = build_model(name, **kwargs)
    opt = cr.optim.Adam(model.parameters(), lr=3e-3)

    def full_loss():
        cr.manual_seed(1)
        with cr.no_grad():
            return float(model.loss(mnist_binary))

    before = full_loss()
    losses = []
    for step in range(30):
        batch = mnist_binary[(step % 4) * 64:(step % 4 + 1) * 64]
        opt.zero_grad()
        loss = model.loss(batch)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    after = full_loss()
    assert np.isfinite(losses).all() and math.isfinite(after)
    assert after < 0.6 * before, (before, after)
    if name in ("vae", "beta-vae", "iwae", "gumbel-vae"):
        assert 500 < before < 600                    # ~784 log 2 = 543 nats at the start


def test_linear_autoencoder_learns_the_pca_subspace():
    """Full-batch Adam on centred 8-d data with two dominant directions: after 300 steps the
    largest principal angle between span(decoder.weight) and the top-2 principal subspace is
    below 1 degree (measured 0.07; 78 at initialisation)."""
    rng = np.random.default_rng(0)
    n, d, k = 400, 8, 2
    scales = np.array([3.0, 2.0, 0.5, 0.4, 0.3, 0.2, 0.2, 0.1])
    basis, _ = np.linalg.qr(rng.standard_normal((d, d)))
    data = (rng.standard_normal((n, d)) * scales) @ basis.T
    data -= data.mean(0)
    pcs = np.linalg.svd(data, full_matrices=False)[2][:k].T

    def largest_angle(model):
        w, _ = np.linalg.qr(model.decoder.weight.detach().numpy())
        cos = np.linalg.svd(pcs.T @ w, compute_uv=False).min()
        return math.degrees(math.acos(min(1.0, cos)))

    cr.manual_seed(0)
    model = LinearAutoencoder(d, k, bias=False).double()
    start = largest_angle(model)
    opt = cr.optim.Adam(model.parameters(), lr=1e-2)
    x = cr.from_numpy(data)
    for _ in range(300):
        opt.zero_grad()
        model.loss(x).backward()
        opt.step()
    assert start > 30
    assert largest_angle(model) < 1.0
    # and the reconstruction error is the PCA one: the discarded variance per coordinate
    s = np.linalg.svd(data, compute_uv=False)
    np.testing.assert_allclose(float(model.loss(x)), (s[k:] ** 2).sum() / (n * d), rtol=1e-3)
