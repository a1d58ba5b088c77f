"""Property tests against torch (float64, tight tolerance): elementwise ops on
hypothesis-generated broadcastable shapes and reductions over random dims, forward values and
gradients."""
import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
TOL = dict(rtol=1e-10, atol=1e-12)

BINARY = {
    "add": lambda T, a, b: T.add(a, b),
    "add_alpha": lambda T, a, b: T.add(a, b, alpha=0.5),
    "sub": lambda T, a, b: T.sub(a, b),
    "mul": lambda T, a, b: T.mul(a, b),
    "div": lambda T, a, b: T.div(a, b),
    "maximum": lambda T, a, b: T.maximum(a, b),
    "minimum": lambda T, a, b: T.minimum(a, b),
    "pow": lambda T, a, b: T.pow(a, b),
    "operators": lambda T, a, b: (a + b) * a - b / (a * a + 1),
}


def _pair(rng, shape, positive=False):
    x = rng.standard_normal(shape)
    if positive:
        x = np.abs(x) + 0.5
    return x


def _run(fn, arrays, upstream):
    """Forward with both libraries, backward with the same upstream gradient; compare."""
    results = []
    for T in (cr, torch):
        inputs = [T.tensor(a, dtype=T.float64, requires_grad=True) for a in arrays]
        out = fn(T, *inputs)
        g = T.tensor(upstream(out.shape), dtype=T.float64)
        (out * g).sum().backward()
        results.append((out.detach().numpy(), [i.grad.numpy() if i.grad is not None else None
                                               for i in inputs], tuple(out.shape)))
    (ours, ours_g, ours_shape), (theirs, theirs_g, theirs_shape) = results
    assert ours_shape == theirs_shape
    np.testing.assert_allclose(ours, theirs, **TOL)
    for a, b in zip(ours_g, theirs_g):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, **TOL)


def _upstream(seed):
    """The same upstream gradient for both libraries (a fresh generator per call)."""
    return lambda shape: np.random.default_rng(seed + 1).standard_normal(tuple(shape))


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                max_side=4),
       seed=st.integers(0, 2 ** 16))
def test_binary_broadcast(name, shapes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    positive = name in ("pow", "div")
    a = _pair(rng, sa, positive=name == "pow")
    b = _pair(rng, sb, positive=positive)
    _run(BINARY[name], [a, b], _upstream(seed))


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4,
                                                max_side=4),
       seed=st.integers(0, 2 ** 16))
def test_where_broadcast(shapes, seed):
    rng = np.random.default_rng(seed)
    sc, sa, sb = shapes.input_shapes
    cond = rng.random(sc) < 0.5
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    _run(lambda T, x, y: T.where(T.tensor(cond), x, y), [a, b], _upstream(seed))


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                max_side=4),
       scalar=st.sampled_from([2, -1.5, 0.5, 3.0]),
       seed=st.integers(0, 2 ** 16))
def test_with_python_scalars(shapes, scalar, seed):
    rng = np.random.default_rng(seed)
    a = np.abs(rng.standard_normal(shapes.input_shapes[0])) + 0.5
    _run(lambda T, x: x * scalar + scalar / x - x ** scalar + abs(scalar) ** x, [a],
         _upstream(seed))


# ====================================================================== reductions
@st.composite
def shape_and_dims(draw, allow_all=True):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    ndim = len(shape)
    if allow_all and draw(st.booleans()):
        dims = None
    else:
        chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                               unique=True))
        negative = draw(st.booleans())
        dims = tuple(d - ndim if negative else d for d in chosen)
        if len(dims) == 1 and draw(st.booleans()):
            dims = dims[0]
    return shape, dims, draw(st.booleans()), draw(st.integers(0, 2 ** 16))


def _reduce_kwargs(dims, keepdim):
    return {} if dims is None else {"dim": dims, "keepdim": keepdim}


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin"])
@SETTINGS
@given(case=shape_and_dims())
def test_reductions(name, case):
    shape, dims, keepdim, seed = case
    x = np.random.default_rng(seed).standard_normal(shape)
    kw = _reduce_kwargs(dims, keepdim)
    _run(lambda T, t: getattr(t, name)(**kw), [x], _upstream(seed))


@SETTINGS
@given(case=shape_and_dims(), correction=st.sampled_from([0, 1]))
def test_var(case, correction):
    shape, dims, keepdim, seed = case
    n = int(np.prod([shape[d] for d in (range(len(shape)) if dims is None else
                                         np.atleast_1d(dims))]))
    hypothesis.assume(n > correction)
    x = np.random.default_rng(seed).standard_normal(shape)
    kw = _reduce_kwargs(dims, keepdim)
    _run(lambda T, t: t.var(correction=correction, **kw), [x], _upstream(seed))


@SETTINGS
@given(case=shape_and_dims(allow_all=False))
def test_logsumexp(case):
    shape, dims, keepdim, seed = case
    x = np.random.default_rng(seed).standard_normal(shape) * 5
    _run(lambda T, t: T.logsumexp(t, dims, keepdim=keepdim), [x], _upstream(seed))


@SETTINGS
@given(case=shape_and_dims(allow_all=False))
def test_reduction_of_a_broadcast_product(case):
    """A reduction fed by a broadcasting op: both gradient paths (unbroadcast and expand)."""
    shape, dims, keepdim, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    y = rng.standard_normal(shape[-1:])
    _run(lambda T, a, b: (a * b + b).sum(dim=dims, keepdim=keepdim), [x, y], _upstream(seed))
