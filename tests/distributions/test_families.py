"""chainrule.distributions against torch.distributions: densities, entropies, moments, their
gradients; sample shapes, seeded empirical moments and reparameterised gradients."""
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import distributions as D
from chainrule.autograd import gradcheck

torch = pytest.importorskip("torch")
TD = torch.distributions
F64 = cr.float64


def pair(a, requires_grad=False):
    """The same float64 values as a chainrule tensor and a torch tensor."""
    a = np.asarray(a, dtype=np.float64)
    return (cr.tensor(a, dtype=F64, requires_grad=requires_grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad))


def close(c, t, atol=1e-10, rtol=1e-10):
    np.testing.assert_allclose(np.asarray(c.detach().numpy()), t.detach().numpy(),
                               atol=atol, rtol=rtol)


rs = np.random.RandomState(0)


# ------------------------------------------------------------------ Normal
def test_normal_matches_torch_with_broadcasting():
    loc, tloc = pair(rs.randn(3, 1), True)
    scale, tscale = pair(rs.rand(4) + 0.5, True)
    value, tvalue = pair(rs.randn(2, 3, 4))
    d, td = D.Normal(loc, scale), TD.Normal(tloc, tscale)
    assert d.batch_shape == (3, 4) and d.event_shape == ()
    for name in ("mean", "mode", "variance", "stddev"):
        close(getattr(d, name), getattr(td, name))
    close(d.log_prob(value), td.log_prob(tvalue))
    close(d.cdf(value), td.cdf(tvalue), atol=1e-12)
    close(d.entropy(), td.entropy())
    (d.log_prob(value).sum() + d.entropy().sum()).backward()
    (td.log_prob(tvalue).sum() + td.entropy().sum()).backward()
    close(loc.grad, tloc.grad)
    close(scale.grad, tscale.grad)


def test_normal_number_parameters_and_expand():
    d = D.Normal(0.0, 2.0)
    assert d.batch_shape == () and d.loc.dtype == cr.float32
    assert d.sample((5,)).shape == (5,)
    e = D.Normal(cr.zeros(3, dtype=F64), 1.0).expand((2, 3))
    assert e.batch_shape == (2, 3) and e.scale.dtype == F64
    assert e.log_prob(cr.zeros(2, 3, dtype=F64)).shape == (2, 3)


def test_normal_sample_shapes_and_grad_flags():
    loc = cr.zeros(3, requires_grad=True)
    d = D.Normal(loc, cr.ones(3))
    s = d.sample((4, 2))
    assert s.shape == (4, 2, 3) and not s.requires_grad
    r = d.rsample((5,))
    assert r.shape == (5, 3) and r.requires_grad and d.has_rsample


def test_normal_empirical_moments_and_reproducibility():
    cr.manual_seed(0)
    d = D.Normal(cr.tensor([1.0, -2.0], dtype=F64), cr.tensor([0.5, 3.0], dtype=F64))
    x = d.sample((20000,)).numpy()
    np.testing.assert_allclose(x.mean(0), [1.0, -2.0], atol=0.06)
    np.testing.assert_allclose(x.std(0), [0.5, 3.0], rtol=0.03)
    cr.manual_seed(7)
    a = d.sample((3,)).numpy()
    cr.manual_seed(7)
    b = d.rsample((3,)).detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_normal_rsample_gradient_is_one_and_eps():
    loc = cr.tensor([0.3, -1.0], dtype=F64, requires_grad=True)
    scale = cr.tensor([2.0, 0.5], dtype=F64, requires_grad=True)
    cr.manual_seed(1)
    x = D.Normal(loc, scale).rsample((6,))
    x.sum().backward()
    eps = (x.detach().numpy() - loc.detach().numpy()) / scale.detach().numpy()
    np.testing.assert_allclose(loc.grad.numpy(), [6.0, 6.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0), rtol=1e-12)


def test_normal_rsample_gradcheck_with_fixed_noise():
    def f(loc, scale):
        cr.manual_seed(3)
        return D.Normal(loc, scale).rsample((4,))
    loc = cr.tensor([0.1, 0.2, -0.3], dtype=F64, requires_grad=True)
    scale = cr.tensor([1.0, 0.7, 2.0], dtype=F64, requires_grad=True)
    assert gradcheck(f, (loc, scale))


# ------------------------------------------------------------------ Independent
def test_independent_matches_torch():
    loc, tloc = pair(rs.randn(2, 3, 4), True)
    scale, tscale = pair(rs.rand(2, 3, 4) + 0.5)
    value, tvalue = pair(rs.randn(5, 2, 3, 4))
    d = D.Independent(D.Normal(loc, scale), 2)
    td = TD.Independent(TD.Normal(tloc, tscale), 2)
    assert d.batch_shape == (2,) and d.event_shape == (3, 4) and d.has_rsample
    close(d.log_prob(value), td.log_prob(tvalue))
    close(d.entropy(), td.entropy())
    close(d.mean, td.mean)
    close(d.variance, td.variance)
    assert d.rsample((7,)).shape == (7, 2, 3, 4)
    assert d.expand((6, 2)).batch_shape == (6, 2)
    d.log_prob(value).sum().backward()
    td.log_prob(tvalue).sum().backward()
    close(loc.grad, tloc.grad)


def test_independent_errors():
    n = D.Normal(cr.zeros(2, 3), 1.0)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        D.Independent(n, 3)
    with pytest.raises(TypeError, match="Distribution"):
        D.Independent(cr.zeros(3), 1)


# ------------------------------------------------------------------ Bernoulli
@pytest.mark.parametrize("by", ["probs", "logits"])
def test_bernoulli_matches_torch(by):
    raw = rs.rand(2, 3) * 0.9 + 0.05 if by == "probs" else rs.randn(2, 3) * 3
    p, tp = pair(raw, True)
    d, td = D.Bernoulli(**{by: p}), TD.Bernoulli(**{by: tp})
    value, tvalue = pair((rs.rand(4, 2, 3) < 0.5).astype(float))
    close(d.probs, td.probs)
    close(d.logits, td.logits)
    for name in ("mean", "variance", "stddev"):
        close(getattr(d, name), getattr(td, name))
    close(d.log_prob(value), td.log_prob(tvalue))
    close(d.entropy(), td.entropy())
    (d.log_prob(value).sum() + d.entropy().sum()).backward()
    (td.log_prob(tvalue).sum() + td.entropy().sum()).backward()
    close(p.grad, tp.grad, atol=1e-9)


def test_bernoulli_log_prob_is_stable_for_large_logits():
    logits, tlogits = pair([-80.0, -30.0, 0.0, 30.0, 80.0])
    v, tv = pair([1.0, 0.0, 1.0, 1.0, 0.0])
    out = D.Bernoulli(logits=logits).log_prob(v)
    assert np.isfinite(out.numpy()).all()
    close(out, TD.Bernoulli(logits=tlogits).log_prob(tv))
    close(D.Bernoulli(logits=logits).entropy(), TD.Bernoulli(logits=tlogits).entropy(),
          atol=1e-12)


def test_bernoulli_sampling_and_support():
    cr.manual_seed(0)
    d = D.Bernoulli(probs=cr.tensor([0.1, 0.5, 0.9], dtype=F64))
    s = d.sample((20000,))
    assert s.shape == (20000, 3) and s.dtype == F64 and not d.has_rsample
    assert set(np.unique(s.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(s.numpy().mean(0), [0.1, 0.5, 0.9], atol=0.015)
    np.testing.assert_array_equal(d.enumerate_support().numpy(),
                                  np.repeat(np.array([[0.0], [1.0]]), 3, 1))
    assert D.Bernoulli(probs=0.3).sample((2,)).shape == (2,)
    with pytest.raises(NotImplementedError, match="rsample"):
        d.rsample()


# ------------------------------------------------------------------ Categorical
@pytest.mark.parametrize("by", ["probs", "logits"])
def test_categorical_matches_torch(by):
    raw = rs.rand(2, 5) + 0.1 if by == "probs" else rs.randn(2, 5) * 2
    p, tp = pair(raw, True)
    d, td = D.Categorical(**{by: p}), TD.Categorical(**{by: tp})
    assert d.batch_shape == (2,) and d.event_shape == () and d.param_shape == (2, 5)
    close(d.probs, td.probs)
    close(d.logits, td.logits)
    v = rs.randint(0, 5, size=(4, 2))
    value, tvalue = cr.tensor(v), torch.tensor(v)
    close(d.log_prob(value), td.log_prob(tvalue))
    v1 = np.array([[3], [0]])  # broadcasts against batch (2,) to (2, 2)
    close(d.log_prob(cr.tensor(v1)), td.log_prob(torch.tensor(v1)))
    close(d.entropy(), td.entropy())
    np.testing.assert_array_equal(d.mode.numpy(), td.mode.numpy())
    assert np.isnan(d.mean.numpy()).all() and d.mean.shape == (2,)
    (d.log_prob(value).sum() + 2 * d.entropy().sum()).backward()
    (td.log_prob(tvalue).sum() + 2 * td.entropy().sum()).backward()
    close(p.grad, tp.grad, atol=1e-9)


def test_categorical_entropy_with_zero_probability():
    p, tp = pair([[0.0, 0.25, 0.75], [1.0, 0.0, 0.0]])
    close(D.Categorical(probs=p).entropy(), TD.Categorical(probs=tp).entropy(), atol=1e-12)


def test_categorical_sampling_frequencies_and_shapes():
    cr.manual_seed(0)
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    d = D.Categorical(probs=cr.tensor(probs, dtype=F64))
    s = d.sample((20000,))
    assert s.shape == (20000, 2) and s.dtype == cr.int64
    freq = np.stack([(s.numpy() == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, probs, atol=0.015)
    assert (s.numpy()[:, 1] != 1).all()  # zero probability never drawn
    assert D.Categorical(logits=cr.zeros(4)).sample((3, 2)).shape == (3, 2)
    assert d.enumerate_support().shape == (3, 2)
    assert d.expand((4, 2)).batch_shape == (4, 2)


def test_one_hot_categorical_matches_torch():
    logits, tlogits = pair(rs.randn(3, 4), True)
    d, td = D.OneHotCategorical(logits=logits), TD.OneHotCategorical(logits=tlogits)
    assert d.batch_shape == (3,) and d.event_shape == (4,)
    v = np.eye(4)[rs.randint(0, 4, size=(5, 3))]
    value, tvalue = pair(v)
    close(d.log_prob(value), td.log_prob(tvalue))
    close(d.entropy(), td.entropy())
    close(d.mean, td.mean)
    close(d.variance, td.variance)
    close(d.mode, td.mode)
    d.log_prob(value).sum().backward()
    td.log_prob(tvalue).sum().backward()
    close(logits.grad, tlogits.grad)
    cr.manual_seed(0)
    s = d.sample((4000,))
    assert s.shape == (4000, 3, 4) and (s.numpy().sum(-1) == 1).all()
    np.testing.assert_allclose(s.numpy().mean(0), td.probs.detach().numpy(), atol=0.03)
    assert d.enumerate_support().shape == (4, 3, 4)


# ------------------------------------------------------------------ Relaxed
def test_relaxed_one_hot_log_prob_matches_torch():
    logits, tlogits = pair(rs.randn(2, 4), True)
    temp, ttemp = pair(0.7, True)
    d = D.RelaxedOneHotCategorical(temp, logits=logits)
    td = TD.RelaxedOneHotCategorical(ttemp, logits=tlogits)
    torch.manual_seed(0)
    tvalue = td.sample((3,))
    value = cr.tensor(tvalue.numpy(), dtype=F64)
    close(d.log_prob(value), td.log_prob(tvalue), atol=1e-9, rtol=1e-9)
    close(d.probs, td.probs)
    d.log_prob(value).sum().backward()
    td.log_prob(tvalue).sum().backward()
    close(logits.grad, tlogits.grad, atol=1e-9, rtol=1e-9)
    close(temp.grad, ttemp.grad, atol=1e-9, rtol=1e-9)
    e = D.ExpRelaxedCategorical(temp, logits=logits)
    te = TD.relaxed_categorical.ExpRelaxedCategorical(ttemp, logits=tlogits)
    close(e.log_prob(value.log()), te.log_prob(tvalue.log()), atol=1e-9, rtol=1e-9)


def test_relaxed_one_hot_samples():
    probs = np.array([0.2, 0.3, 0.5])
    d = D.RelaxedOneHotCategorical(0.5, probs=cr.tensor(probs, dtype=F64))
    assert d.batch_shape == () and d.event_shape == (3,) and d.has_rsample
    cr.manual_seed(0)
    y = d.sample((20000,)).numpy()
    assert y.shape == (20000, 3)
    np.testing.assert_allclose(y.sum(-1), 1.0, atol=1e-12)
    # Gumbel-max: argmax of a relaxed sample is Categorical(probs) at any temperature
    freq = np.bincount(y.argmax(-1), minlength=3) / len(y)
    np.testing.assert_allclose(freq, probs, atol=0.015)
    cold = D.RelaxedOneHotCategorical(0.01, probs=cr.tensor(probs, dtype=F64))
    assert (cold.sample((200,)).numpy().max(-1) > 0.95).mean() > 0.9
    assert d.expand((2,)).rsample((4,)).shape == (4, 2, 3)


def test_relaxed_rsample_gradcheck_with_fixed_noise():
    def f(logits, temp):
        cr.manual_seed(5)
        return D.RelaxedOneHotCategorical(temp, logits=logits).rsample((3,))
    logits = cr.tensor([[0.2, -0.5, 1.0], [0.0, 0.3, -0.2]], dtype=F64, requires_grad=True)
    temp = cr.tensor(0.8, dtype=F64, requires_grad=True)
    assert gradcheck(f, (logits, temp))


def test_relaxed_hard_sample_is_one_hot_with_soft_gradient():
    logits = cr.tensor([[0.2, -0.5, 1.0], [0.0, 0.3, -0.2]], dtype=F64, requires_grad=True)
    w = cr.tensor(rs.randn(4, 2, 3), dtype=F64)
    cr.manual_seed(2)
    soft = D.RelaxedOneHotCategorical(0.5, logits=logits).rsample((4,))
    (soft * w).sum().backward()
    g_soft = logits.grad.numpy().copy()
    logits.grad = None
    cr.manual_seed(2)  # a new distribution: backward freed the graph of the normalised logits
    hard = D.RelaxedOneHotCategorical(0.5, logits=logits).rsample((4,), hard=True)
    (hard * w).sum().backward()
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(-1) == 1).all()
    np.testing.assert_array_equal(h.argmax(-1), soft.detach().numpy().argmax(-1))
    np.testing.assert_allclose(logits.grad.numpy(), g_soft, rtol=1e-12)


def test_gumbel_softmax():
    F = cr.nn.functional
    logits = cr.tensor(rs.randn(5, 4), dtype=F64, requires_grad=True)
    w = cr.tensor(rs.randn(5, 4), dtype=F64)
    cr.manual_seed(4)
    y = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(y.detach().numpy().sum(-1), 1.0, atol=1e-12)
    (y * w).sum().backward()
    g_soft = logits.grad.numpy().copy()
    logits.grad = None
    cr.manual_seed(4)
    h = F.gumbel_softmax(logits, tau=0.5, hard=True)
    np.testing.assert_array_equal(h.detach().numpy(), np.eye(4)[y.detach().numpy().argmax(-1)])
    (h * w).sum().backward()
    np.testing.assert_allclose(logits.grad.numpy(), g_soft, rtol=1e-12)  # straight-through
    y0 = F.gumbel_softmax(logits, dim=0, hard=True)
    np.testing.assert_array_equal(y0.detach().numpy().sum(0), 1.0)
    cr.manual_seed(0)
    big = F.gumbel_softmax(cr.tensor([[0.0, np.log(3.0)]], dtype=F64).expand(20000, 2), tau=0.3)
    np.testing.assert_allclose((big.numpy().argmax(-1) == 1).mean(), 0.75, atol=0.015)
    with pytest.raises(TypeError, match="gumbel_softmax"):
        F.gumbel_softmax(cr.tensor([1, 2]))
    with pytest.raises(TypeError, match="gumbel_softmax"):
        F.gumbel_softmax([1.0, 2.0])


# ------------------------------------------------------------------ argument errors
def test_probs_and_logits_exactly_one():
    for cls in (D.Bernoulli, D.Categorical, D.OneHotCategorical):
        with pytest.raises(ValueError, match="Either `probs` or `logits`"):
            cls(probs=cr.ones(2) / 2, logits=cr.zeros(2))
        with pytest.raises(ValueError, match="Either `probs` or `logits`"):
            cls()


def test_validate_args():
    with pytest.raises(ValueError, match="Expected parameter scale .* constraint GreaterThan"):
        D.Normal(cr.zeros(2), cr.tensor([1.0, -1.0]))
    D.Normal(cr.zeros(2), cr.tensor([1.0, -1.0]), validate_args=False)  # not checked
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.Bernoulli(probs=cr.tensor([0.5, 1.5]))
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.Categorical(probs=cr.tensor([0.5, -0.5, 1.0]))
    with pytest.raises(ValueError, match="within the support"):
        D.Bernoulli(probs=cr.tensor([0.5])).log_prob(cr.tensor([2.0]))
    with pytest.raises(ValueError, match="within the support"):
        D.Categorical(logits=cr.zeros(3)).log_prob(cr.tensor(3))
    with pytest.raises(ValueError, match="right-most size of value must match event_shape"):
        D.OneHotCategorical(logits=cr.zeros(3)).log_prob(cr.zeros(4))
    with pytest.raises(ValueError, match="not broadcastable"):
        D.Normal(cr.zeros(3), 1.0).log_prob(cr.zeros(2))
    with pytest.raises(ValueError, match="must be a Tensor"):
        D.Normal(cr.zeros(3), 1.0).log_prob([0.0, 0.0, 0.0])
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(0.0, -1.0)  # accepted
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="set_default_validate_args"):
        D.Distribution.set_default_validate_args("yes")


def test_other_argument_errors():
    with pytest.raises(ValueError, match="at least one-dimensional"):
        D.Categorical(probs=cr.tensor(1.0))
    with pytest.raises(TypeError, match="must be a Tensor"):
        D.Categorical(probs=[0.5, 0.5])
    with pytest.raises(ValueError, match="numbers or Tensor"):
        D.Normal("0", 1.0)
    with pytest.raises(TypeError, match="sample_shape"):
        D.Normal(0.0, 1.0).sample(3)
    with pytest.raises(TypeError, match="temperature"):
        D.RelaxedOneHotCategorical("hot", logits=cr.zeros(3))


def test_distributions_load_lazily():
    code = "import sys, chainrule; print('chainrule.distributions' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
