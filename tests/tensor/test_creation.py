"""Creation functions: dtypes and values against torch, memory sharing, seeding."""
import numpy as np
import pytest

import chainrule as cr


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


def assert_same(ours, theirs, exact: bool = True):
    assert _name(ours.dtype) == _name(theirs.dtype), (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
    a = np.asarray(ours.detach().numpy(), dtype=np.float64)
    b = np.asarray(theirs.detach().numpy(), dtype=np.float64)
    if exact:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def both(expr, torch, exact=True):
    """Evaluate ``expr`` with T = chainrule and T = torch; same dtype, shape and values."""
    assert_same(eval(expr, {"T": cr, "np": np}), eval(expr, {"T": torch, "np": np}), exact)


# ====================================================================== tensor()
TENSOR_CASES = [
    "T.tensor([True, False])", "T.tensor([1, 2])", "T.tensor([1.0, 2])", "T.tensor([True, 2])",
    "T.tensor([True, 2.5])", "T.tensor([[1, 2], [3.5, 4]])", "T.tensor(3.5)", "T.tensor(3)",
    "T.tensor(False)", "T.tensor([])", "T.tensor([[]])", "T.tensor([[[1]], [[2]]])",
    "T.tensor((1, 2, 3))", "T.tensor([(1, 2), (3, 4)])",
    "T.tensor([T.tensor(1), T.tensor(2)])", "T.tensor([T.tensor(1.5), T.tensor(2)])",
    "T.tensor([T.tensor(1.5), 2.5])", "T.tensor([[T.tensor(1), 2], [3, 4]])",
    "T.tensor(np.array([1, 2], dtype=np.int32))", "T.tensor(np.array([1, 2], dtype=np.float64))",
    "T.tensor(np.array([1, 2], dtype=np.uint8))", "T.tensor(np.array([True]))",
    "T.tensor(np.array([[1.5]], dtype=np.float32))", "T.tensor(np.array(2.5))",
    "T.tensor(np.float64(2.5))", "T.tensor(np.int32(2))", "T.tensor([np.float64(2.5)])",
    "T.tensor([np.int32(2), 3])", "T.tensor([np.int32(2)])", "T.tensor([np.float32(2), 3.5])",
    "T.tensor([np.float64(2), 3])", "T.tensor([np.int8(2), np.float32(3)])",
    "T.tensor([np.bool_(True)])", "T.tensor([np.uint8(3), 300])",
    "T.tensor(3.5, dtype=T.int64)", "T.tensor([1, 2], dtype=T.float64)",
    "T.tensor([1, 2], dtype=float)", "T.tensor([1.7, 2], dtype=int)",
    "T.tensor([0, 2], dtype=bool)", "T.tensor([1.5, -2.5], dtype=T.int32)",
    "T.tensor([300, 2], dtype=T.int16)", "T.tensor([1, 0], dtype=T.bool)",
    "T.tensor(np.array([1.5, 2.5]), dtype=T.float32)",
]


@pytest.mark.parametrize("expr", TENSOR_CASES)
def test_tensor_dtype_inference_and_values(expr, torch):
    both(expr, torch)


def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    t = cr.tensor(a)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0]
    src = cr.tensor([1, 2])
    c = cr.tensor(src)
    src.add_(1)
    assert c.tolist() == [1, 2]


def test_tensor_requires_grad():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        cr.tensor([1, 2], requires_grad=True)


def test_tensor_with_default_dtype_float64(torch, restore_default_dtype):
    cr.set_default_dtype(cr.float64)
    torch.set_default_dtype(torch.float64)
    assert cr.get_default_dtype() is cr.float64
    for expr in ["T.tensor([1.0, 2])", "T.tensor([np.float32(2), 3.5])", "T.tensor([1, 2])",
                 "T.zeros(2)", "T.arange(0.0, 1.0, 0.25)", "T.linspace(0, 1, 3)",
                 "T.full((2,), 1.5)", "T.tensor([1]) / 2", "T.rand(2)"]:
        t = eval(expr, {"T": cr, "np": np})
        assert _name(t.dtype) == _name(eval(expr, {"T": torch, "np": np}).dtype), expr


def test_set_default_dtype_rejects_integers(restore_default_dtype):
    with pytest.raises(TypeError, match="set_default_dtype"):
        cr.set_default_dtype(cr.int64)
    assert cr.get_default_dtype() is cr.float32


# ====================================================================== as_tensor / from_numpy
def test_as_tensor_shares_memory_with_numpy():
    a = np.array([1.0, 2.0])
    t = cr.as_tensor(a)
    a[0] = 5.0
    assert t.dtype is cr.float64 and t.tolist() == [5.0, 2.0]
    t.add_(1)
    assert a.tolist() == [6.0, 3.0]


def test_as_tensor_of_a_tensor_is_itself():
    t = cr.tensor([1, 2])
    assert cr.as_tensor(t) is t
    assert cr.as_tensor(t, dtype=cr.int64) is t
    f = cr.as_tensor(t, dtype=cr.float32)
    assert f.dtype is cr.float32 and f.tolist() == [1.0, 2.0]


def test_as_tensor_with_another_dtype_copies():
    a = np.array([1, 2], dtype=np.int32)
    t = cr.as_tensor(a, dtype=cr.float32)
    a[0] = 9
    assert t.tolist() == [1.0, 2.0]


def test_as_tensor_of_a_list(torch):
    both("T.as_tensor([1, 2.5])", torch)
    both("T.as_tensor([[1, 2]])", torch)


def test_from_numpy_shares_memory_and_keeps_dtype(torch):
    for dt in (np.float32, np.float64, np.int64, np.int32, np.int16, np.uint8, np.bool_):
        a = np.arange(4).astype(dt)
        t = cr.from_numpy(a)
        assert _name(t.dtype) == _name(torch.from_numpy(a.copy()).dtype)
        assert t.numpy() is a
    a = np.zeros(3)
    cr.from_numpy(a).fill_(2.0)
    assert a.tolist() == [2.0] * 3


def test_from_numpy_rejects_other_objects():
    with pytest.raises(TypeError, match="from_numpy: expected np.ndarray"):
        cr.from_numpy([1, 2])
    with pytest.raises(TypeError, match="not supported"):
        cr.from_numpy(np.array([1 + 2j]))


# ====================================================================== filled tensors
FILLED = [
    "T.zeros(2, 3)", "T.zeros((2, 3))", "T.zeros([2, 3])", "T.zeros(T.Size([2, 3]))",
    "T.zeros(())", "T.zeros([])", "T.zeros(0)", "T.zeros(2, 3, dtype=T.float64)",
    "T.zeros(2, dtype=T.int32)", "T.zeros(2, dtype=T.bool)", "T.zeros(2, dtype=int)",
    "T.zeros(2, dtype=float)", "T.ones(2, 3)", "T.ones((4,))", "T.ones([1, 2, 1])",
    "T.ones(3, dtype=T.int64)", "T.ones(2, dtype=T.uint8)", "T.ones(2, dtype=T.float16)",
    "T.full((2, 2), 3)", "T.full((2, 2), 3.0)", "T.full((2, 2), True)", "T.full([2], 7.5)",
    "T.full([2], 7, dtype=T.float64)", "T.full((2,), 2.7, dtype=T.int32)",
    "T.full((3,), T.tensor(2.5))", "T.full((), 4)",
    "T.eye(3)", "T.eye(2, 3)", "T.eye(3, 2)", "T.eye(2, dtype=T.int64)", "T.eye(0)",
    "T.eye(2, dtype=T.bool)",
]


@pytest.mark.parametrize("expr", FILLED)
def test_filled_tensors(expr, torch):
    both(expr, torch)


@pytest.mark.parametrize("expr", ["T.empty(2, 3)", "T.empty((2, 3))", "T.empty([4])",
                                  "T.empty(2, dtype=T.int64)", "T.empty(0, 2)"])
def test_empty_shape_and_dtype(expr, torch):
    ours, theirs = eval(expr, {"T": cr}), eval(expr, {"T": torch})
    assert tuple(ours.shape) == tuple(theirs.shape) and _name(ours.dtype) == _name(theirs.dtype)


def test_filled_requires_grad():
    t = cr.zeros(2, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    assert cr.ones(2, 2, dtype=cr.float64, requires_grad=True).requires_grad


# ====================================================================== ranges
RANGES = [
    "T.arange(5)", "T.arange(1, 5)", "T.arange(0, 10, 3)", "T.arange(5, 0, -1)",
    "T.arange(10, -3, -4)", "T.arange(0, 1, 0.25)", "T.arange(5.0)", "T.arange(5, 0, -1.5)",
    "T.arange(1, 2.5, 0.5)", "T.arange(0, 5, dtype=T.float64)", "T.arange(0, 1, 0.1)",
    "T.arange(-1.0, 1.0, 0.3)", "T.arange(0, 1, 0.1, dtype=T.float64)", "T.arange(0)",
    "T.arange(3, 3)", "T.arange(T.tensor(5))", "T.arange(0, 5, dtype=T.int32)",
    "T.arange(0.5, 4)", "T.arange(-5, -1)", "T.arange(10, dtype=T.uint8)",
    "T.linspace(0, 1, 5)", "T.linspace(0, 1, 1)", "T.linspace(0, 10, 4, dtype=T.float64)",
    "T.linspace(0, 10, 4, dtype=T.int64)", "T.linspace(-1, 1, 0)", "T.linspace(3, -3, 7)",
    "T.linspace(0, 1, 11)",
]


@pytest.mark.parametrize("expr", RANGES)
def test_ranges(expr, torch):
    both(expr, torch, exact=False)


def test_arange_float_is_exactly_torchs(torch):
    for args in [(0, 1, 0.1), (-1.0, 1.0, 0.3), (0.5, 4), (2, 0, -0.2)]:
        assert cr.arange(*args).tolist() == torch.arange(*args).tolist(), args


# ====================================================================== *_like and new_*
LIKE = [
    "T.zeros_like(T.tensor([1, 2]))", "T.zeros_like(T.ones(2, 3, dtype=T.float64))",
    "T.ones_like(T.tensor([1.0, 2]), dtype=T.float64)", "T.ones_like(T.tensor([True]))",
    "T.full_like(T.tensor([1, 2]), 2.7)", "T.full_like(T.tensor([1.0, 2]), 2)",
    "T.full_like(T.tensor([1, 2]), 3, dtype=T.float32)",
    "T.tensor([1, 2]).new_zeros(2, 3)", "T.tensor([1.0, 2]).new_ones((2,))",
    "T.tensor([1, 2]).new_full((2,), 3.5)",
    "T.tensor([1.0, 2], dtype=T.float64).new_tensor([1, 2])",
    "T.tensor([1, 2]).new_tensor([1.5, 2])", "T.tensor([1.0], dtype=T.float64).new_zeros([2])",
    "T.tensor([1.0]).new_zeros(2, dtype=T.int32)", "T.tensor([1]).new_ones(1, 2)",
    "T.tensor([1.0, 2.0], dtype=T.float16).new_full([3], 1)",
]


@pytest.mark.parametrize("expr", LIKE)
def test_like_and_new(expr, torch):
    both(expr, torch)


def test_like_shapes_and_dtypes(torch):
    for fn in ("empty_like", "rand_like", "randn_like"):
        for dt in ("float32", "float64"):
            ours = getattr(cr, fn)(cr.zeros(2, 3, dtype=getattr(cr, dt)))
            theirs = getattr(torch, fn)(torch.zeros(2, 3, dtype=getattr(torch, dt)))
            assert tuple(ours.shape) == tuple(theirs.shape)
            assert _name(ours.dtype) == _name(theirs.dtype)
    for args in [(5,), (3, 5)]:
        for base in ("T.zeros(2)", "T.zeros(2, dtype=T.int32)"):
            ours = cr.randint_like(eval(base, {"T": cr}), *args)
            theirs = torch.randint_like(eval(base, {"T": torch}), *args)
            assert _name(ours.dtype) == _name(theirs.dtype)
            lo = args[0] if len(args) == 2 else 0
            assert np.all(((ours >= lo) & (ours < args[-1])).numpy())


def test_like_with_requires_grad():
    t = cr.zeros_like(cr.ones(2, requires_grad=True))
    assert not t.requires_grad
    assert cr.ones_like(cr.ones(2), requires_grad=True).requires_grad
    assert cr.tensor([1.0]).new_zeros(2, requires_grad=True).requires_grad


# ====================================================================== random
RANDOM = ["T.rand(2, 3)", "T.rand((2, 3))", "T.rand(2, dtype=T.float64)", "T.randn(4)",
          "T.randn([2, 2], dtype=T.float64)", "T.randint(0, 10, (3,))", "T.randint(10, (3,))",
          "T.randint(3, 10, (2, 2))", "T.randint(0, 5, (2,), dtype=T.int32)", "T.randperm(5)",
          "T.randperm(5, dtype=T.int32)", "T.normal(0.0, 1.0, (2, 3))",
          "T.normal(T.zeros(2), T.ones(2))", "T.normal(T.zeros(2, dtype=T.float64), 1.0)",
          "T.normal(0.0, T.ones(3))", "T.rand(0)", "T.randn(2, 3, requires_grad=True)"]


@pytest.mark.parametrize("expr", RANDOM)
def test_random_shapes_and_dtypes(expr, torch):
    ours, theirs = eval(expr, {"T": cr}), eval(expr, {"T": torch})
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert _name(ours.dtype) == _name(theirs.dtype)
    assert ours.requires_grad == theirs.requires_grad


def test_random_ranges():
    cr.manual_seed(0)
    u = cr.rand(10000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    n = cr.randn(10000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05
    r = cr.randint(3, 7, (1000,)).numpy()
    assert r.min() == 3 and r.max() == 6
    p = cr.randperm(50).numpy()
    assert sorted(p.tolist()) == list(range(50))
    g = cr.normal(cr.tensor([100.0, -100.0]), cr.tensor([1.0, 0.0]))
    assert abs(g.numpy()[0] - 100) < 10 and g.numpy()[1] == -100.0


def test_manual_seed_repeats_the_stream():
    def draw():
        return (cr.rand(3).tolist(), cr.randn(2, 2).tolist(), cr.randint(0, 100, (4,)).tolist(),
                cr.randperm(6).tolist(), cr.normal(0.0, 1.0, (2,)).tolist(),
                cr.rand_like(cr.zeros(2)).tolist())
    cr.manual_seed(1234)
    first = draw()
    cr.manual_seed(1234)
    assert draw() == first
    cr.manual_seed(4321)
    assert draw() != first
    assert cr.initial_seed() == 4321


def test_generator_objects_are_independent_of_the_global_stream():
    g = cr.Generator().manual_seed(7)
    a = cr.rand(4, generator=g).tolist()
    cr.manual_seed(0)
    cr.rand(10)                                      # the global stream moves; g does not care
    g2 = cr.Generator()
    assert g2.manual_seed(7) is g2
    assert cr.rand(4, generator=g2).tolist() == a
    g.manual_seed(7)
    assert cr.randn(3, generator=g).tolist() == cr.randn(3, generator=g2.manual_seed(7)).tolist()
    assert g.initial_seed() == 7
    g.manual_seed(3)
    x = cr.randint(0, 9, (5,), generator=g).tolist()
    g.manual_seed(3)
    assert cr.randint(0, 9, (5,), generator=g).tolist() == x


def test_rng_state_round_trip():
    cr.manual_seed(5)
    state = cr.get_rng_state()
    a = cr.rand(3).tolist()
    cr.set_rng_state(state)
    assert cr.rand(3).tolist() == a
    g = cr.Generator().manual_seed(1)
    s = g.get_state()
    b = cr.randn(2, generator=g).tolist()
    g.set_state(s)
    assert cr.randn(2, generator=g).tolist() == b


def test_random_errors():
    with pytest.raises(RuntimeError, match="randint.*from.*to"):
        cr.randint(5, 3, (2,))
    with pytest.raises(RuntimeError, match="randn.*floating"):
        cr.randn(2, dtype=cr.int64)
    with pytest.raises(RuntimeError, match="rand.*floating"):
        cr.rand(2, dtype=cr.int32)
    with pytest.raises(RuntimeError, match="normal.*std"):
        cr.normal(0.0, -1.0, (2,))


# ====================================================================== other
def test_scalar_tensor(torch):
    both("T.scalar_tensor(3)", torch)
    both("T.scalar_tensor(2.5, dtype=T.float64)", torch)
