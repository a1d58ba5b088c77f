"""Indexing ops beyond the registry: the non-differentiable ops (argmax, argsort, one_hot,
nonzero, unique, any/all, count_nonzero, bincount, searchsorted), setitem and the in-place
methods, view and version semantics, and every error path.

Values are checked against hand-computed results always, and against PyTorch when it is
installed (``test_parity_with_torch``)."""
import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:  # pragma: no cover - torch is optional
    torch = None


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def assert_same(a, b):
    """Equal values, shapes and dtype names (tuples compared element by element)."""
    if isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
        return
    an, bn = _np(a), _np(b)
    assert an.shape == bn.shape, (an.shape, bn.shape)
    assert an.dtype == bn.dtype, (an.dtype, bn.dtype)
    np.testing.assert_allclose(an, bn, equal_nan=True)


# ============================================================================ hand-computed
X = [[3.0, 1.0, 4.0, 1.0], [5.0, 9.0, 2.0, 6.0], [5.0, 3.0, 5.0, 8.0]]


def t(data, dtype=None):
    return cr.tensor(data, dtype=dtype)


def test_argmax_argmin_values():
    x = t(X)
    assert argval(cr.argmax(x)) == 5
    assert_same(cr.argmax(x, 1), np.array([2, 1, 3]))
    assert_same(x.argmax(0, keepdim=True), np.array([[1, 1, 2, 2]]))
    assert_same(cr.argmin(x, dim=-1), np.array([1, 2, 1]))           # first of the ties
    assert_same(cr.argmax(x, keepdim=True), np.array([[5]]))
    assert_same(cr.argmax(t([1.0, float("nan"), 3.0])), np.array(1))  # NaN is the largest
    assert_same(cr.argmax(t(2.0), 0), np.array(0))


def argval(x):
    return int(x.item())


def test_argsort_and_sort_are_stable():
    x = t([2, 1, 2, 0, 1])
    assert_same(cr.argsort(x), np.array([3, 1, 4, 0, 2]))
    assert_same(cr.argsort(x, descending=True), np.array([0, 2, 1, 4, 3]))
    values, indices = cr.sort(x, descending=True, stable=True)
    assert_same(values, np.array([2, 2, 1, 1, 0]))
    assert_same(indices, np.array([0, 2, 1, 4, 3]))
    assert_same(cr.argsort(t(X), dim=0)[:, 0], np.array([0, 1, 2]))
    assert_same(cr.sort(t([1.0, float("nan"), 0.0])).values, np.array([0.0, 1.0, np.nan],
                                                                        np.float32))


def test_sort_topk_kthvalue_values():
    x = t(X)
    s = x.sort(dim=1, descending=True)
    assert_same(s.values[1], np.array([9.0, 6.0, 5.0, 2.0], np.float32))
    assert_same(s.indices[1], np.array([1, 3, 0, 2]))
    v, i = cr.topk(x, 2)
    assert_same(v, np.array([[4.0, 3.0], [9.0, 6.0], [8.0, 5.0]], np.float32))
    assert_same(i, np.array([[2, 0], [1, 3], [3, 0]]))
    v, i = x.topk(1, dim=0, largest=False)
    assert_same(v, np.array([[3.0, 1.0, 2.0, 1.0]], np.float32))
    k = cr.kthvalue(x, 2, 1)
    assert_same(k.values, np.array([1.0, 5.0, 5.0], np.float32))
    assert_same(k.indices, np.array([3, 0, 0]))
    assert cr.kthvalue(x, 1, 0, keepdim=True).values.shape == (1, 4)


def test_zero_dim_sorting_and_gather():
    x = t(3.0)
    assert_same(cr.sort(x).indices, np.array(0))
    assert_same(cr.topk(x, 1).values, np.array(3.0, np.float32))
    assert_same(cr.kthvalue(x, 1).values, np.array(3.0, np.float32))
    assert_same(cr.argsort(x), np.array(0))
    assert_same(cr.gather(x, 0, t(0)), np.array(3.0, np.float32))
    assert_same(cr.index_select(x, 0, t([0])), np.array(3.0, np.float32))
    assert_same(cr.index_add(x, 0, t([0]), t(2.0)), np.array(5.0, np.float32))


def test_one_hot():
    out = cr.one_hot(t([0, 2, 1]))
    assert_same(out, np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0]]))
    assert cr.nn.functional.one_hot(t([[1], [0]]), num_classes=4).shape == (2, 1, 4)


def test_nonzero():
    x = t([[0, 1], [2, 0], [3, 4]])
    assert_same(cr.nonzero(x), np.array([[0, 1], [1, 0], [2, 0], [2, 1]]))
    assert_same(x.nonzero(as_tuple=True), (np.array([0, 1, 2, 2]), np.array([1, 0, 0, 1])))
    assert cr.nonzero(t(5.0)).shape == (1, 0)
    assert_same(cr.nonzero(t(5.0), as_tuple=True), (np.array([0]),))
    assert_same(cr.where(t([True, False, True])), (np.array([0, 2]),))


def test_unique():
    x = t([3, 1, 3, 2, 1])
    assert_same(cr.unique(x), np.array([1, 2, 3]))
    values, inverse, counts = cr.unique(x, return_inverse=True, return_counts=True)
    assert_same(inverse, np.array([2, 0, 2, 1, 0]))
    assert_same(counts, np.array([2, 1, 2]))
    rows = t([[1, 2], [0, 5], [1, 2]])
    values, inverse = rows.unique(dim=0, return_inverse=True)
    assert_same(values, np.array([[0, 5], [1, 2]]))
    assert_same(inverse, np.array([1, 0, 1]))
    assert cr.unique(rows, return_inverse=True)[1].shape == (3, 2)


def test_any_all_count_nonzero():
    x = t([[0, 1, 2], [0, 0, 3]])
    assert_same(cr.any(x), np.array(True))
    assert_same(cr.all(x, dim=0), np.array([False, False, True]))
    assert_same(x.any(1, keepdim=True), np.array([[True], [True]]))
    assert_same(cr.all(x, dim=(0, 1)), np.array(False))
    assert_same(cr.all(t([1, 2], dtype=cr.uint8)), np.array(1, np.uint8))
    assert_same(cr.count_nonzero(x), np.array(3))
    assert_same(x.count_nonzero(dim=1), np.array([2, 1]))
    assert_same(cr.count_nonzero(x, dim=(0, 1)), np.array(3))


def test_bincount():
    x = t([0, 1, 1, 3])
    assert_same(cr.bincount(x), np.array([1, 2, 0, 1]))
    assert_same(x.bincount(minlength=6), np.array([1, 2, 0, 1, 0, 0]))
    w = t([0.5, 1.0, 2.0, 4.0])
    assert_same(cr.bincount(x, w), np.array([0.5, 3.0, 0.0, 4.0], np.float32))
    assert_same(cr.bincount(x, t([1, 2, 3, 4])), np.array([1.0, 5.0, 0.0, 4.0]))
    assert_same(cr.bincount(t([], dtype=cr.int64)), np.zeros(0, np.int64))


def test_searchsorted():
    seq = t([1.0, 3.0, 5.0, 7.0])
    assert_same(cr.searchsorted(seq, t([3.0, 6.0, 0.0, 9.0])), np.array([1, 3, 0, 4]))
    assert_same(cr.searchsorted(seq, t([3.0]), right=True), np.array([2]))
    assert_same(cr.searchsorted(seq, t([3.0]), side="right"), np.array([2]))
    assert_same(cr.searchsorted(seq, 5.0), np.array(2))
    assert_same(cr.searchsorted(seq, t([5.0]), out_int32=True), np.array([2], np.int32))
    rows = t([[1, 3, 5], [2, 4, 6]])
    assert_same(cr.searchsorted(rows, t([[3, 6], [3, 6]])), np.array([[1, 3], [1, 2]]))
    unsorted = t([5.0, 1.0, 3.0])
    assert_same(cr.searchsorted(unsorted, t([4.0]), sorter=t([1, 2, 0])), np.array([2]))


def test_take_tril_triu_values():
    x = t(X)
    assert_same(cr.take(x, t([0, -1, 5])), np.array([3.0, 8.0, 9.0], np.float32))
    ones = cr.ones(2, 3)
    assert_same(cr.tril(ones), np.array([[1, 0, 0], [1, 1, 0]], np.float32))
    assert_same(ones.triu(1), np.array([[0, 1, 1], [0, 0, 1]], np.float32))


# ============================================================================ getitem semantics
def test_getitem_values_like_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = cr.tensor(a)
    i, j = np.array([1, 0, 1]), np.array([3, 3, 0])
    for key, np_key in [((1, -1), (1, -1)), ((slice(None), slice(None, None, -1)), None),
                        ((None, Ellipsis, 2), None), ((cr.tensor(i), slice(None), cr.tensor(j)),
                                                      (i, slice(None), j)),
                        ((slice(None), cr.tensor([True, False, True])),
                         (slice(None), np.array([True, False, True]))),
                        ([0, 1, 1], np.array([0, 1, 1])), ((cr.tensor(1), 2), (1, 2))]:
        np.testing.assert_array_equal(x[key].numpy(), a[key if np_key is None else np_key])


def test_ints_are_selected_before_index_arrays_as_torch_does():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = cr.tensor(a, requires_grad=True)
    y = x[cr.tensor(1), :, [1, 2]]                  # NumPy would give shape (2, 3)
    np.testing.assert_array_equal(y.detach().numpy(), a[1][:, [1, 2]])
    (y * cr.arange(6.0, dtype=cr.float64).reshape(3, 2)).sum().backward()
    expected = np.zeros_like(a)
    expected[1][:, [1, 2]] = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    z = cr.zeros(2, 3, 4)
    z[0, :, [0, 3]] = cr.tensor([1.0, 2.0])
    assert z[0].tolist() == [[1, 0, 0, 2]] * 3


def test_basic_index_is_a_view():
    x = cr.zeros(3, 4)
    row = x[1]
    row.fill_(2.0)
    x[2, 1:3].zero_()
    assert x.numpy()[1].tolist() == [2.0] * 4
    assert np.shares_memory(x[0, 0].numpy(), x.numpy())


def test_getitem_gradient_accumulates_duplicates_and_second_order():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[[0, 0, 2, 0]]
    (g,) = cr.autograd.grad((y ** 3).sum(), x, create_graph=True)
    assert_same(g, np.array([9.0, 0.0, 27.0], np.float32))          # 3 * 3x^2 at x0
    (h,) = cr.autograd.grad(g.sum(), x)
    assert_same(h, np.array([18.0, 0.0, 18.0], np.float32))         # 3 * 6x at x0, 6x at x2


def test_max_dim_backward_uses_scatter_add():
    x = cr.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    x.max(1).values.sum().backward()
    assert_same(x.grad, np.array([[0, 1, 0], [1, 0, 0]], np.float32))


# ============================================================================ setitem
def test_setitem_without_graph_writes_in_place_and_bumps_the_version():
    x = cr.zeros(3, 4)
    view = x[1]
    data = x._data
    v0 = x._version
    x[1, ::2] = 5
    x[[0, 2], 3] = cr.tensor([1.0, 2.0])
    x[x > 4] = -1.0
    x[2] = [7, 7, 7, 7]
    assert x._data is data and x._version == v0 + 4
    assert view.tolist() == [-1.0, 0.0, -1.0, 0.0]
    assert x.tolist() == [[0, 0, 0, 1], [-1, 0, -1, 0], [7, 7, 7, 7]]
    n = cr.zeros(2, dtype=cr.int64)
    n[0] = 2.7                                                       # cast like torch
    assert n.tolist() == [2, 0]


def test_setitem_with_graph_sends_gradient_to_old_values_and_value():
    a = cr.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    v = cr.tensor([10.0, 20.0], requires_grad=True)
    c = a * 1
    c[0] = v
    c[2, 1] = v[0]
    assert c.grad_fn is not None and c.tolist() == [[10, 20], [3, 4], [5, 10]]
    (c * cr.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
    assert_same(a.grad, np.array([[0, 0], [3, 4], [5, 0]], np.float32))
    assert_same(v.grad, np.array([1.0 + 6.0, 2.0], np.float32))


def test_setitem_broadcast_value_gradient_is_unbroadcast():
    a = cr.zeros(2, 3)
    v = cr.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    a[:] = v
    a.sum().backward()
    assert_same(v.grad, np.array([[2.0, 2.0, 2.0]], np.float32))


def test_setitem_into_a_leaf_that_requires_grad():
    x = cr.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem: a leaf Variable that requires grad"):
        x[0] = 1.0
    with cr.no_grad():
        x[0] = 1.0
    assert x.tolist() == [1.0, 0.0, 0.0] and x.grad_fn is None


def test_setitem_after_save_invalidates_the_saved_tensor():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    for value in (5.0, cr.tensor(5.0, requires_grad=True)):
        a = x * 1
        y = a.sin()                                   # saves a
        a[0] = value
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_inplace_methods_without_graph():
    x = cr.zeros(2, 3)
    data = x._data
    assert x.masked_fill_(cr.tensor([True, False, True]), 1.0) is x
    x.index_add_(0, cr.tensor([1, 1]), cr.ones(2, 3), alpha=2)
    x.scatter_add_(1, cr.tensor([[0, 0]]), cr.ones(1, 2))
    x.scatter_(1, cr.tensor([[1], [1]]), 9.0)
    x.index_fill_(1, cr.tensor([2]), -1.0)
    assert x._data is data and x._version == 5
    assert x.tolist() == [[3, 9, -1], [5, 9, -1]]
    x.tril_()
    assert x.tolist() == [[3, 0, 0], [5, 9, 0]]
    x.index_put_((cr.tensor([0, 0]),), cr.tensor(1.0), accumulate=True)
    assert x.tolist() == [[5, 2, 2], [5, 9, 0]]


def test_inplace_method_on_a_leaf_that_requires_grad():
    x = cr.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="masked_fill_: a leaf Variable"):
        x.masked_fill_(cr.tensor([True, False, False]), 1.0)


# ============================================================================ parity with torch
def _cases():
    f = np.array(X, np.float32)
    distinct = np.array([[0.3, -1.2, 2.5, 0.7], [1.1, 0.2, -0.4, 3.0]], np.float32)
    ints = np.array([[2, 0, 2], [1, 1, 0]], np.int64)
    return [
        ("argmax", lambda T, x: T.argmax(x), (f,)),
        ("argmax.dim_keepdim", lambda T, x: T.argmax(x, 0, keepdim=True), (f,)),
        ("argmin.dim", lambda T, x: x.argmin(-1), (f,)),
        ("argsort.stable_desc", lambda T, x: T.argsort(x, dim=1, descending=True, stable=True),
         (ints,)),
        ("argsort.dim0", lambda T, x: T.argsort(x, dim=0, stable=True), (ints,)),
        ("sort.stable", lambda T, x: T.sort(x, stable=True), (ints,)),
        ("topk", lambda T, x: T.topk(x, 3), (distinct,)),     # torch orders ties its own way
        ("topk.smallest_dim0", lambda T, x: T.topk(x, 1, 0, largest=False), (distinct,)),
        ("kthvalue", lambda T, x: T.kthvalue(x, 2, 0), (distinct,)),
        ("one_hot", lambda T, x: T.nn.functional.one_hot(x), (ints,)),
        ("one_hot.classes", lambda T, x: T.nn.functional.one_hot(x, 5), (ints,)),
        ("nonzero", lambda T, x: T.nonzero(x), (ints,)),
        ("nonzero.tuple", lambda T, x: T.nonzero(x, as_tuple=True), (ints,)),
        ("unique", lambda T, x: T.unique(x, return_inverse=True, return_counts=True), (ints,)),
        ("unique.dim1", lambda T, x: T.unique(x, dim=1, return_counts=True), (ints,)),
        ("any", lambda T, x: T.any(x, 1), (ints,)),
        ("all.keepdim", lambda T, x: T.all(x, 0, keepdim=True), (ints,)),
        ("count_nonzero", lambda T, x: T.count_nonzero(x, 0), (ints,)),
        ("bincount", lambda T, x: T.bincount(x.flatten(), minlength=4), (ints,)),
        ("bincount.weights", lambda T, x, w: T.bincount(x.flatten(), w.flatten()[:6]),
         (ints, f)),
        ("searchsorted", lambda T, s, v: T.searchsorted(s, v), (np.sort(f, 1), f[:, :2])),
        ("searchsorted.right_1d", lambda T, s, v: T.searchsorted(s, v, right=True),
         (np.sort(f.ravel()), f)),
        ("getitem.int_tensor", lambda T, x: x[1:, [0, 2, 0]], (ints,)),
        ("getitem.bool_tensor", lambda T, x: (x > 0)[:, 1], (ints,)),
        ("masked_select.int", lambda T, x: T.masked_select(x, x > 0), (ints,)),
        ("gather.int", lambda T, x: T.gather(x, 1, T.tensor([[2, 2], [0, 1]])), (ints,)),
        ("setitem.advanced", lambda T, x: _set(x.clone(), ([0, 2], [1, 3]), 7.0), (f,)),
        ("setitem.mask", lambda T, x: _set(x.clone(), x > 4, T.tensor(-1.0)), (f,)),
        ("setitem.broadcast", lambda T, x: _set(x.clone(), (slice(None), 1),
                                                T.tensor([[1.0, 2.0, 3.0]])), (f,)),
        ("setitem.leading_one", lambda T, x: _set(x.clone(), 0, T.ones(1, 4)), (f,)),
        ("setitem.cast", lambda T, x: _set(x.clone(), 1, T.tensor([1.5, 2.5, 3.5])), (ints,)),
        ("setitem.float64_value", lambda T, x: _set(x.clone(), 1, T.zeros(4, dtype=T.float64)),
         (f,)),
        ("masked_fill.int", lambda T, x: x.masked_fill(x == 2, 1.5), (ints,)),
        ("scatter.int_value", lambda T, x: T.scatter(x, 0, T.tensor([[1, 0, 1]]), 9), (ints,)),
        ("index_select.int", lambda T, x: T.index_select(x, 1, T.tensor(2)), (ints,)),
        ("tril.int", lambda T, x: T.tril(x, 1), (ints,)),
        ("take.negative", lambda T, x: T.take(x, T.tensor([[-1, 0]])), (ints,)),
    ]


def _set(x, key, value):
    x[key] = value
    return x


@pytest.mark.parametrize("name, fn, arrays", _cases(), ids=[c[0] for c in _cases()])
def test_parity_with_torch(name, fn, arrays):
    if torch is None:
        pytest.skip("torch is not installed")
    ours = fn(cr, *[cr.tensor(a) for a in arrays])
    theirs = fn(torch, *[torch.tensor(a) for a in arrays])
    assert_same(ours, tuple(theirs) if isinstance(theirs, tuple) else theirs)


# ============================================================================ errors
def _raises(kind, fn, *parts):
    """fn() raises ``kind`` whose message contains every part (op name, shapes, ...)."""
    with pytest.raises(kind) as info:
        fn()
    msg = str(info.value)
    for p in parts:
        assert p in msg, f"{p!r} not in {msg!r}"


M = cr.zeros(3, 4)
IDX = cr.tensor([[0, 1]])


@pytest.mark.parametrize("fn, kind, parts", [
    (lambda: M[5], IndexError, ("getitem", "index 5", "dimension 0", "size 3")),
    (lambda: M[0, -5], IndexError, ("getitem", "index -5", "dimension 1", "size 4")),
    (lambda: M[:, cr.tensor([0, 4])], IndexError, ("getitem", "index 4", "dimension 1",
                                                   "size 4")),
    (lambda: M[0, 0, 0], IndexError, ("getitem", "too many indices", "dimension 2", "(3, 4)")),
    (lambda: M[..., 0, ...], IndexError, ("getitem", "single ellipsis")),
    (lambda: M[1.5], IndexError, ("getitem", "valid indices", "float")),
    (lambda: M["a"], IndexError, ("getitem", "valid indices", "str")),
    (lambda: M[cr.tensor([1.0])], IndexError, ("getitem", "long, int, byte or bool",
                                               "float32", "(1,)")),
    (lambda: M[cr.tensor([True, False])], IndexError, ("getitem", "mask [2]", "[3, 4]")),
    (lambda: M[::0], ValueError, ("getitem", "slice step cannot be zero")),
])
def test_getitem_errors(fn, kind, parts):
    _raises(kind, fn, *parts)


def test_setitem_errors():
    x = cr.zeros(3, 4)
    _raises(RuntimeError, lambda: x.__setitem__(0, cr.ones(3)), "setitem", "shape mismatch",
            "[3]", "[4]", "[3, 4]")
    _raises(RuntimeError, lambda: x.__setitem__(slice(None), cr.ones(2, 3, 4)), "setitem",
            "[2, 3, 4]")
    _raises(IndexError, lambda: x.__setitem__((1, 9), 0.0), "setitem", "index 9",
            "dimension 1", "size 4")
    v = cr.ones(5, requires_grad=True)
    _raises(RuntimeError, lambda: x.__setitem__(0, v), "setitem", "[5]", "[4]")


@pytest.mark.parametrize("fn, kind, parts", [
    (lambda: cr.index_put(M, (IDX,), 1.0), TypeError, ("index_put", "Tensor", "float")),
    (lambda: cr.index_put(M, (IDX,), cr.ones(1, dtype=cr.float64)), RuntimeError,
     ("index_put", "same dtype", "float32", "float64")),
    (lambda: cr.index_put(M, (IDX,), cr.ones(3, 4)), RuntimeError,
     ("index_put", "[3, 4]", "[1, 2, 4]")),
    (lambda: cr.gather(M, 2, IDX), IndexError, ("gather", "Dimension out of range")),
    (lambda: cr.gather(M, 1, cr.tensor([[0.0]])), RuntimeError, ("gather", "int64", "float32")),
    (lambda: cr.gather(M, 1, cr.tensor([0])), RuntimeError,
     ("gather", "same number of dimensions", "(3, 4)", "(1,)")),
    (lambda: cr.gather(M, 1, cr.zeros(4, 1, dtype=cr.int64)), RuntimeError,
     ("gather", "no larger", "[4, 1]", "[3, 4]")),
    (lambda: cr.gather(M, 1, cr.tensor([[4]])), RuntimeError,
     ("gather", "index 4", "dimension 1", "size 4", "(3, 4)")),
    (lambda: cr.gather(M, 0, cr.tensor([[-1]])), RuntimeError, ("gather", "index -1")),
    (lambda: cr.scatter_add(M, 1, IDX, 1.0), TypeError, ("scatter_add", "Tensor")),
    (lambda: cr.scatter_add(M, 1, IDX, cr.ones(1, 1)), RuntimeError,
     ("scatter_add", "no larger than src", "[1, 2]", "[1, 1]")),
    (lambda: cr.scatter_add(M, 1, IDX, cr.ones(2)), RuntimeError,
     ("scatter_add", "same number of dimensions", "src (2,)")),
    (lambda: cr.scatter_add(M, 1, IDX, cr.ones(1, 2, dtype=cr.float64)), RuntimeError,
     ("scatter_add", "same dtype", "float64")),
    (lambda: cr.scatter_add(M, 0, cr.tensor([[3]]), cr.ones(1, 1)), RuntimeError,
     ("scatter_add", "index 3", "dimension 0", "size 3")),
    (lambda: cr.scatter(M, 1, IDX, cr.ones(1, 2), reduce="multiply"), RuntimeError,
     ("scatter", "multiply")),
    (lambda: cr.scatter(M, 1, IDX, value=cr.ones(2)), RuntimeError,
     ("scatter", "0-dimensional", "(2,)")),
    (lambda: cr.index_select(M, 0, cr.tensor([[0]])), IndexError,
     ("index_select", "vector", "(1, 1)")),
    (lambda: cr.index_select(M, 1, cr.tensor([4])), IndexError,
     ("index_select", "index 4", "dimension 1", "size 4", "(3, 4)")),
    (lambda: cr.index_select(M, 0, cr.tensor([0.0])), RuntimeError, ("index_select", "int64")),
    (lambda: cr.index_select(cr.tensor(1.0), 0, cr.tensor([0, 0])), RuntimeError,
     ("index_select", "only 1 value", "got 2")),
    (lambda: cr.index_add(M, 0, cr.tensor([0, 1]), cr.ones(1, 4)), RuntimeError,
     ("index_add", "[1, 4]", "[2, 4]", "[3, 4]")),
    (lambda: cr.index_add(M, 0, cr.tensor([0]), cr.ones(1, 4, dtype=cr.float64)), RuntimeError,
     ("index_add", "same dtype", "float64")),
    (lambda: cr.index_fill(M, 0, cr.tensor([0]), cr.ones(2)), RuntimeError,
     ("index_fill", "0-dimensional", "(2,)")),
    (lambda: cr.masked_fill(M, cr.ones(4), 1.0), RuntimeError, ("masked_fill", "boolean",
                                                                "float32", "(4,)")),
    (lambda: cr.masked_fill(M, cr.ones(2, dtype=cr.bool), 1.0), RuntimeError,
     ("masked_fill", "[2]", "[3, 4]")),
    (lambda: cr.masked_fill(M, cr.ones(4, dtype=cr.bool), cr.ones(2)), RuntimeError,
     ("masked_fill", "0-dimensional", "(2,)")),
    (lambda: M.clone().masked_fill_(cr.ones(2, 3, 4, dtype=cr.bool), 1.0), RuntimeError,
     ("[3, 4]", "[2, 3, 4]")),
    (lambda: cr.masked_select(M, cr.ones(3, 4, dtype=cr.int64)), RuntimeError,
     ("masked_select", "boolean", "int64")),
    (lambda: cr.masked_select(M, cr.ones(3, dtype=cr.bool)), RuntimeError,
     ("masked_select", "[3]", "[3, 4]")),
    (lambda: cr.take(M, cr.tensor([12])), IndexError, ("take", "index 12", "size 12", "(3, 4)")),
    (lambda: cr.take_along_dim(M, cr.tensor([0]), 1), RuntimeError,
     ("take_along_dim", "same number of dimensions", "(3, 4)", "(1,)")),
    (lambda: cr.take_along_dim(M, cr.zeros(2, 1, dtype=cr.int64), 1), RuntimeError,
     ("take_along_dim", "[2, 1]", "[3, 1]")),
    (lambda: cr.take_along_dim(M, cr.tensor([[5]]), 1), RuntimeError,
     ("gather", "index 5", "dimension 1", "size 4")),
    (lambda: cr.take_along_dim(M, cr.tensor([12])), RuntimeError,
     ("take_along_dim", "index 12", "size 12")),
    (lambda: cr.take_along_dim(cr.tensor(1.0), cr.tensor(0), 0), IndexError,
     ("take_along_dim", "no dimensions")),
    (lambda: cr.tril(cr.ones(3)), RuntimeError, ("tril", "at least 2 dimensions", "(3,)")),
    (lambda: cr.triu(cr.ones(())), RuntimeError, ("triu", "at least 2 dimensions", "()")),
    (lambda: cr.topk(M, 5), RuntimeError, ("topk", "k=5", "size 4", "(3, 4)")),
    (lambda: cr.topk(M, 1, dim=3), IndexError, ("topk", "Dimension out of range")),
    (lambda: cr.kthvalue(M, 0), RuntimeError, ("kthvalue", "k=0", "size 4", "(3, 4)")),
    (lambda: cr.sort(M, 2), IndexError, ("sort", "Dimension out of range")),
    (lambda: cr.argsort(M, -3), IndexError, ("argsort", "Dimension out of range")),
])
def test_op_errors(fn, kind, parts):
    _raises(kind, fn, *parts)


@pytest.mark.parametrize("fn, kind, parts", [
    (lambda: cr.argmax(cr.zeros(0)), IndexError, ("argmax", "numel() == 0", "(0,)")),
    (lambda: cr.argmin(cr.zeros(2, 0), 1), IndexError, ("argmin", "dim 1", "(2, 0)")),
    (lambda: cr.argmax(M, 2), IndexError, ("argmax", "Dimension out of range")),
    (lambda: cr.one_hot(cr.tensor([0.0, 1.0])), RuntimeError, ("one_hot", "LongTensor",
                                                                "float32")),
    (lambda: cr.one_hot(cr.tensor([0, 1], dtype=cr.int32)), RuntimeError,
     ("one_hot", "LongTensor", "int32", "(2,)")),
    (lambda: cr.one_hot(cr.tensor([0, -1])), RuntimeError, ("one_hot", "non-negative", "-1")),
    (lambda: cr.one_hot(cr.tensor([0, 3]), 3), RuntimeError, ("one_hot", "smaller than",
                                                              "num_classes=3")),
    (lambda: cr.one_hot(cr.tensor([], dtype=cr.int64)), RuntimeError, ("one_hot", "empty")),
    (lambda: cr.unique(M, dim=2), IndexError, ("unique", "Dimension out of range")),
    (lambda: cr.unique(cr.tensor(1), dim=0), IndexError, ("unique", "no dimensions")),
    (lambda: cr.any(M, 2), IndexError, ("any", "Dimension out of range")),
    (lambda: cr.all(M, (0, 0)), RuntimeError, ("all", "multiple times")),
    (lambda: cr.count_nonzero(M, 5), IndexError, ("count_nonzero", "Dimension out of range")),
    (lambda: cr.bincount(cr.tensor([[0, 1]])), RuntimeError, ("bincount", "1-d", "(1, 2)")),
    (lambda: cr.bincount(cr.tensor([0, -1])), RuntimeError, ("bincount", "non-negative")),
    (lambda: cr.bincount(cr.tensor([0.0, 1.0])), RuntimeError, ("bincount", "integral",
                                                                 "float32")),
    (lambda: cr.bincount(cr.tensor([0, 1]), cr.ones(3)), RuntimeError,
     ("bincount", "same length", "(2,)", "(3,)")),
    (lambda: cr.searchsorted(cr.ones(3), cr.ones(1), side="middle"), RuntimeError,
     ("searchsorted", "'middle'")),
    (lambda: cr.searchsorted(cr.ones(3), cr.ones(1), right=True, side="left"), RuntimeError,
     ("searchsorted", "opposites")),
    (lambda: cr.searchsorted(cr.ones(2, 3), cr.ones(3, 1)), RuntimeError,
     ("searchsorted", "[2, 3]", "[3, 1]")),
    (lambda: cr.searchsorted(cr.tensor(1.0), cr.ones(1)), RuntimeError,
     ("searchsorted", "0-d")),
])
def test_non_differentiable_op_errors(fn, kind, parts):
    _raises(kind, fn, *parts)
