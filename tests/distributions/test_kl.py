"""kl_divergence and register_kl against torch.distributions.kl."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
rs = np.random.RandomState(1)


def pair(a, requires_grad=False):
    a = np.asarray(a, dtype=np.float64)
    return (cr.tensor(a, dtype=cr.float64, requires_grad=requires_grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad))


def close(c, t, atol=1e-10):
    np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), atol=atol, rtol=1e-10)


def check(make, tmake, params):
    """KL value and gradients w.r.t. every parameter equal torch's."""
    cs, ts = zip(*(pair(p, True) for p in params))
    kl = D.kl_divergence(*make(*cs))
    tkl = TD.kl_divergence(*tmake(*ts))
    close(kl, tkl)
    kl.sum().backward()
    tkl.sum().backward()
    for c, t in zip(cs, ts):
        close(c.grad, t.grad, atol=1e-9)
    return kl


def test_kl_normal_normal():
    kl = check(lambda a, b, c, d: (D.Normal(a, b), D.Normal(c, d)),
               lambda a, b, c, d: (TD.Normal(a, b), TD.Normal(c, d)),
               [rs.randn(3), rs.rand(3) + 0.5, rs.randn(2, 1), rs.rand(3) + 0.2])
    assert kl.shape == (2, 3) and (kl.detach().numpy() >= 0).all()


@pytest.mark.parametrize("by", ["probs", "logits"])
def test_kl_bernoulli_bernoulli(by):
    gen = (lambda: rs.rand(4) * 0.9 + 0.05) if by == "probs" else (lambda: rs.randn(4) * 2)
    check(lambda a, b: (D.Bernoulli(**{by: a}), D.Bernoulli(**{by: b})),
          lambda a, b: (TD.Bernoulli(**{by: a}), TD.Bernoulli(**{by: b})), [gen(), gen()])


def test_kl_bernoulli_edge_probabilities():
    p, tp = pair([0.0, 1.0, 0.3, 0.0, 0.5])
    q, tq = pair([0.4, 0.6, 0.0, 1.0, 1.0])
    kl = D.kl_divergence(D.Bernoulli(probs=p), D.Bernoulli(probs=q))
    tkl = TD.kl_divergence(TD.Bernoulli(probs=tp), TD.Bernoulli(probs=tq))
    np.testing.assert_allclose(kl.numpy(), tkl.numpy(), rtol=1e-10)
    assert np.isinf(kl.numpy()[[2, 4]]).all()


@pytest.mark.parametrize("by", ["probs", "logits"])
def test_kl_categorical_categorical(by):
    gen = (lambda: rs.rand(2, 5) + 0.1) if by == "probs" else (lambda: rs.randn(2, 5))
    check(lambda a, b: (D.Categorical(**{by: a}), D.Categorical(**{by: b})),
          lambda a, b: (TD.Categorical(**{by: a}), TD.Categorical(**{by: b})), [gen(), gen()])
    check(lambda a, b: (D.OneHotCategorical(**{by: a}), D.OneHotCategorical(**{by: b})),
          lambda a, b: (TD.OneHotCategorical(**{by: a}), TD.OneHotCategorical(**{by: b})),
          [gen(), gen()])


def test_kl_categorical_zero_probabilities():
    p, tp = pair([[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]])
    q, tq = pair([[0.2, 0.8, 0.0], [0.5, 0.25, 0.25]])
    kl = D.kl_divergence(D.Categorical(probs=p), D.Categorical(probs=q))
    tkl = TD.kl_divergence(TD.Categorical(probs=tp), TD.Categorical(probs=tq))
    np.testing.assert_allclose(kl.numpy(), tkl.numpy(), rtol=1e-10)
    assert np.isinf(kl.numpy()[0]) and np.isfinite(kl.numpy()[1])


def test_kl_independent_independent():
    kl = check(lambda a, b, c, d: (D.Independent(D.Normal(a, b), 1),
                                   D.Independent(D.Normal(c, d), 1)),
               lambda a, b, c, d: (TD.Independent(TD.Normal(a, b), 1),
                                   TD.Independent(TD.Normal(c, d), 1)),
               [rs.randn(2, 3), rs.rand(2, 3) + 0.5, rs.randn(2, 3), rs.rand(2, 3) + 0.5])
    assert kl.shape == (2,)
    n = D.Normal(cr.zeros(2, 3), 1.0)
    with pytest.raises(NotImplementedError, match="reinterpreted_batch_ndims"):
        D.kl_divergence(D.Independent(n, 1), D.Independent(n, 2))


def test_kl_missing_pair_names_both_types():
    with pytest.raises(NotImplementedError, match="p = Normal and q = Bernoulli"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(probs=0.5))


def test_register_kl_dispatches_to_most_specific_pair():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)
    np.testing.assert_allclose(D.kl_divergence(p, q).numpy(), 0.5)  # inherits Normal-Normal

    @D.register_kl(MyNormal, D.Normal)
    def _kl_mine(p, q):
        return cr.tensor(42.0)

    try:
        assert D.kl_divergence(p, q).item() == 42.0
        assert D.kl_divergence(q, q).item() == 0.0
    finally:
        from chainrule.distributions import kl
        del kl._KL_REGISTRY[MyNormal, D.Normal]
        kl._KL_MEMOIZE.clear()
    with pytest.raises(TypeError, match="register_kl"):
        D.register_kl(int, D.Normal)
    with pytest.raises(TypeError, match="register_kl"):
        D.register_kl(D.Normal, "Normal")


def test_kl_and_log_prob_second_order():
    from chainrule.autograd import gradgradcheck
    a = cr.tensor([0.3, -0.2], dtype=cr.float64, requires_grad=True)
    b = cr.tensor([0.8, 1.5], dtype=cr.float64, requires_grad=True)
    x = cr.tensor([0.1, 0.4], dtype=cr.float64)
    assert gradgradcheck(lambda m, s: D.kl_divergence(D.Normal(m, s), D.Normal(0.0, 1.0)), (a, b))
    assert gradgradcheck(lambda m, s: D.Normal(m, s).log_prob(x), (a, b))
    logits = cr.tensor([[0.2, -0.5, 1.0]], dtype=cr.float64, requires_grad=True)
    q = D.Categorical(logits=cr.tensor([[0.0, 0.1, -0.3]], dtype=cr.float64))
    assert gradgradcheck(lambda lg: D.kl_divergence(D.Categorical(logits=lg), q), (logits,))
    assert gradgradcheck(lambda lg: D.Bernoulli(logits=lg).entropy(), (logits,))
