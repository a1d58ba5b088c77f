"""Graph walks are iterative (a 100,000-op chain under the default recursion limit) and a graph
is freed by reference counting alone: no reference cycles between tensors, nodes and arrays,
before or after backward."""
import gc
import sys
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd

N_DEEP = 100_000


@pytest.fixture
def no_gc():
    """Only reference counting may free objects inside the test."""
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def test_deep_chain_backward_under_default_recursion_limit(no_gc):
    assert sys.getrecursionlimit() <= 10_000
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = x
    for i in range(N_DEEP):
        y = y * 1.0 if i % 2 else y + 1.0    # mul saves its inputs, add saves nothing
    y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(y.detach().numpy(), [1.0 + N_DEEP / 2, 2.0 + N_DEEP / 2])
    (g,) = autograd.grad((x * y).sum(), x)    # d/dx x*y = y + x (dy/dx = 1)
    np.testing.assert_allclose(g.numpy(), y.detach().numpy() + x.detach().numpy())
    # y's history is 100,000 nodes deep; dropping it must not overflow the C stack and must
    # free every node by reference counting alone
    first = weakref.ref(y.grad_fn)
    node = y.grad_fn
    for _ in range(N_DEEP // 2):
        node = node.next[0]
    middle = weakref.ref(node)
    del node, y
    assert first() is None
    assert middle() is None


def test_deep_chain_dropped_without_backward(no_gc):
    x = cr.tensor([0.5], dtype=cr.float64, requires_grad=True)
    y = x.exp() * x                          # ops that save their output and inputs ...
    for _ in range(N_DEEP):
        y = y + 0.0                          # ... under a long chain
    ref = weakref.ref(y.grad_fn)
    del y
    assert ref() is None


def _build(x, w):
    h = (x * w).tanh()                       # mul saves inputs, tanh saves its output
    h2 = h.exp() * h + x.sigmoid()
    return (h2 * h2).sum(), h, h2


def _refs(*objs):
    refs = []
    for o in objs:
        refs.append(weakref.ref(o))
        if isinstance(o, cr.Tensor):
            refs.append(weakref.ref(o.numpy(force=True)))
            if o.grad_fn is not None:
                refs.append(weakref.ref(o.grad_fn))
    return refs


def _dead(refs):
    return [r for r in refs if r() is not None]


def test_dropped_graph_is_freed_by_refcount(no_gc):
    x = cr.tensor(np.linspace(-1, 1, 6), dtype=cr.float64, requires_grad=True)
    w = cr.tensor(np.linspace(0.5, 2, 6), dtype=cr.float64, requires_grad=True)
    loss, h, h2 = _build(x, w)
    refs = _refs(loss, h, h2)
    del loss, h, h2
    assert _dead(refs) == []
    assert x.grad is None                    # leaves are untouched and alive
    assert x.grad_fn is None


def test_graph_freed_after_backward(no_gc):
    x = cr.tensor(np.linspace(-1, 1, 6), dtype=cr.float64, requires_grad=True)
    w = cr.tensor(np.linspace(0.5, 2, 6), dtype=cr.float64, requires_grad=True)
    loss, h, h2 = _build(x, w)
    refs = _refs(loss, h, h2)
    loss.backward()
    del loss, h, h2
    assert _dead(refs) == []
    assert x.grad is not None and w.grad is not None


def test_graph_freed_after_backward_with_retain_graph(no_gc):
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    loss, h, h2 = _build(x, x)
    refs = _refs(loss, h, h2)
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)
    del loss, h, h2
    assert _dead(refs) == []


def test_saved_intermediate_arrays_freed_by_backward(no_gc):
    # backward (without retain_graph) releases what forward saved even while the output is alive
    x = cr.tensor(np.ones(1000), dtype=cr.float64, requires_grad=True)
    h = x.exp()                              # intermediate (not a leaf), saved by both ops below
    y = (h * h).sum()
    href = weakref.ref(h)
    harr = weakref.ref(h._data)
    del h
    assert href() is not None                # kept alive by the graph (saved for backward)
    y.backward()
    assert href() is None
    assert harr() is None
    assert y.grad_fn is not None             # the output itself is still usable


def test_grad_results_freed(no_gc):
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = (x * x).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    refs = _refs(y, g)
    (gg,) = autograd.grad(g.sum(), x)
    del y, g
    assert _dead(refs) == []
    np.testing.assert_allclose(gg.numpy(), [2.0, 2.0])


def test_hooks_and_retain_grad_do_not_keep_graph_alive(no_gc):
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    h = x * 3
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = (h * h).sum()
    refs = _refs(y, h)
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    del y, h
    assert _dead(refs) == []
    np.testing.assert_allclose(seen[0], [6.0, 12.0])


def test_inplace_history_freed(no_gc):
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = x * 2
    y.mul_(3)
    y.add_(x)
    refs = _refs(y)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 7.0])
    del y
    assert _dead(refs) == []


def test_functional_hessian_leaves_no_garbage(no_gc):
    def f(x):
        return (x * x * x).sum()
    x = cr.tensor([1.0, 2.0], dtype=cr.float64)
    try:
        h = autograd.functional.hessian(f, x)
    except (ImportError, AttributeError) as e:   # jacobian needs stack (indexing family)
        pytest.skip(f"jacobian unavailable: {e}")
    np.testing.assert_allclose(h.numpy(), np.diag([6.0, 12.0]))
    before = len(gc.get_objects())
    for _ in range(3):
        autograd.functional.hessian(f, x)
    # objects tracked by gc do not pile up (cycles would keep whole graphs alive)
    assert len(gc.get_objects()) - before < 50
