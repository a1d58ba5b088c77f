"""Hooks: Tensor.register_hook on leaves and non-leaves (observe, replace the gradient, remove),
retain_grad, and hooks on graph nodes (torch's Node.register_hook / register_prehook)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def leaf(values, dtype=cr.float64):
    return cr.tensor(values, dtype=dtype, requires_grad=True)


def tleaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def npg(t):
    return None if t is None else np.asarray(t.detach().numpy())


# ------------------------------------------------------------------ tensor hooks
def test_leaf_hook_sees_summed_gradient_once():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(npg(g).copy()))
    (x * 2 + x * x).sum().backward()
    assert len(seen) == 1                    # once, with the sum over both uses
    np.testing.assert_allclose(seen[0], [4.0, 6.0])
    np.testing.assert_allclose(npg(x.grad), [4.0, 6.0])


def test_leaf_hook_replaces_gradient():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    np.testing.assert_allclose(npg(x.grad), [30.0, 30.0])


def test_leaf_hooks_chain_in_registration_order():
    x = leaf([1.0])
    x.register_hook(lambda g: g + 1)
    x.register_hook(lambda g: g * 10)
    (x * 1).sum().backward()
    np.testing.assert_allclose(npg(x.grad), [20.0])


def test_hook_returning_none_keeps_gradient():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: None)
    (x * 3).sum().backward()
    np.testing.assert_allclose(npg(x.grad), [3.0, 3.0])


def test_hook_handle_remove():
    x = leaf([1.0])
    h = x.register_hook(lambda g: g * 100)
    (x * 1).sum().backward()
    np.testing.assert_allclose(npg(x.grad), [100.0])
    h.remove()
    h.remove()                               # removing twice is harmless
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(npg(x.grad), [1.0])


def test_non_leaf_hook_modifies_upstream_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: g * 3)
    (y * y).sum().backward()                 # dL/dy = 2y = 4x -> *3 -> *2 (dy/dx)
    np.testing.assert_allclose(npg(x.grad), 24 * np.array([1.0, 2.0]))
    assert y.grad is None


def test_non_leaf_hook_sees_summed_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(npg(g).copy()))
    (y * 3 + y * y).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], 3 + 2 * np.array([2.0, 4.0]))


def test_non_leaf_hook_remove():
    x = leaf([1.0])
    y = x * 2
    h = y.register_hook(lambda g: g * 0)
    h.remove()
    y.sum().backward()
    np.testing.assert_allclose(npg(x.grad), [2.0])


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cr.tensor([1.0]).register_hook(lambda g: g)


def test_hook_with_autograd_grad():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 2)
    y = x * 5
    y.register_hook(lambda g: g + 1)
    (g,) = autograd.grad(y.sum(), x)
    np.testing.assert_allclose(npg(g), [20.0, 20.0])   # ((1 + 1) * 5) * 2
    assert x.grad is None


@needs_torch
def test_hooks_match_torch():
    def run(lib, mk):
        x, w = mk([1.0, -2.0, 0.5]), mk([0.3, 0.2, 0.1])
        x.register_hook(lambda g: g * 2)
        h = (x * w).exp()
        h.register_hook(lambda g: g - 1)
        z = h * x
        z.register_hook(lambda g: g * g)
        z.sum().backward()
        return x.grad, w.grad
    for o, t in zip(run(cr, leaf), run(torch, tleaf)):
        np.testing.assert_allclose(npg(o), npg(t), rtol=1e-12)


# ------------------------------------------------------------------ retain_grad
def test_retain_grad_on_non_leaf():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    z = (y * y).sum()
    z.backward()
    np.testing.assert_allclose(npg(y.grad), 2 * np.array([3.0, 6.0]))
    np.testing.assert_allclose(npg(x.grad), 18 * np.array([1.0, 2.0]))


def test_retain_grad_accumulates_like_torch():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    (y * 3).sum().backward(retain_graph=True)
    (y * 3).sum().backward()
    np.testing.assert_allclose(npg(y.grad), [6.0, 6.0])


def test_retain_grad_is_writable_and_not_aliased():
    a = leaf([1.0, 2.0])
    y = a * 2
    y.retain_grad()
    (y + a).sum().backward()                 # y's gradient is sum's broadcast of a scalar
    y.grad.mul_(7)                           # must be an ordinary writable tensor
    np.testing.assert_allclose(npg(y.grad), [7.0, 7.0])
    np.testing.assert_allclose(npg(a.grad), [3.0, 3.0])


def test_retained_grad_does_not_alias_leaf_grad():
    a = leaf([1.0, 2.0])
    y = a + 0                                # add passes the gradient through unchanged
    y.retain_grad()
    z = y * 1
    z.retain_grad()
    (z * cr.tensor([2.0, 3.0], dtype=cr.float64)).sum().backward()
    z.grad.mul_(10)
    np.testing.assert_allclose(npg(y.grad), [2.0, 3.0])
    np.testing.assert_allclose(npg(a.grad), [2.0, 3.0])
    a.grad.mul_(5)
    np.testing.assert_allclose(npg(y.grad), [2.0, 3.0])


def test_retain_grad_sees_hooked_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 3)         # torch: retained grad is taken after tensor hooks
    y.sum().backward()
    np.testing.assert_allclose(npg(y.grad), [3.0, 3.0])
    np.testing.assert_allclose(npg(x.grad), [6.0, 6.0])


def test_retain_grad_on_leaf_is_noop():
    x = leaf([1.0])
    x.retain_grad()
    (x * 2).sum().backward()
    np.testing.assert_allclose(npg(x.grad), [2.0])


def test_retain_grad_with_create_graph():
    x = leaf([1.0, 2.0])
    y = x * x
    y.retain_grad()
    (y * y).sum().backward(create_graph=True)
    np.testing.assert_allclose(npg(y.grad), 2 * np.array([1.0, 4.0]))
    assert y.grad.requires_grad              # d(2y)/dx = 4x
    (g,) = autograd.grad(y.grad.sum(), x)
    np.testing.assert_allclose(npg(g), [4.0, 8.0])


# ------------------------------------------------------------------ node (Function) hooks
def test_node_prehook_modifies_output_gradient():
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    y = x * w
    calls = []

    def pre(grad_outputs):
        calls.append(len(grad_outputs))
        return (grad_outputs[0] * 2,)

    y.grad_fn.register_prehook(pre)
    y.sum().backward()
    assert calls == [1]
    np.testing.assert_allclose(npg(x.grad), [6.0, 8.0])
    np.testing.assert_allclose(npg(w.grad), [2.0, 4.0])


def test_node_posthook_sees_and_replaces_input_gradients():
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    y = x * w
    seen = []

    def post(grad_inputs, grad_outputs):
        seen.append(([npg(g) for g in grad_inputs], [npg(g) for g in grad_outputs]))
        return (grad_inputs[0] * 10, grad_inputs[1])

    h = y.grad_fn.register_hook(post)
    y.sum().backward(retain_graph=True)
    (gi, go), = seen
    np.testing.assert_allclose(gi[0], [3.0, 4.0])
    np.testing.assert_allclose(gi[1], [1.0, 2.0])
    np.testing.assert_allclose(go[0], [1.0, 1.0])
    np.testing.assert_allclose(npg(x.grad), [30.0, 40.0])
    np.testing.assert_allclose(npg(w.grad), [1.0, 2.0])
    h.remove()
    x.grad = w.grad = None
    y.sum().backward()
    np.testing.assert_allclose(npg(x.grad), [3.0, 4.0])


def test_node_posthook_grad_inputs_none_for_constants():
    x = leaf([1.0, 2.0])
    c = cr.tensor([3.0, 4.0], dtype=cr.float64)
    y = x * c
    seen = []
    y.grad_fn.register_hook(lambda gi, go: seen.append(gi))
    y.sum().backward()
    assert len(seen[0]) == 2 and seen[0][1] is None
    np.testing.assert_allclose(npg(seen[0][0]), [3.0, 4.0])


def test_tensor_hook_runs_before_node_prehook():
    x = leaf([1.0, 2.0])
    y = x * 2
    order = []
    y.grad_fn.register_prehook(lambda go: order.append(("pre", npg(go[0]).tolist())))
    y.register_hook(lambda g: order.append("tensor") or g * 3)
    y.sum().backward()
    assert order == ["tensor", ("pre", [3.0, 3.0])]
    np.testing.assert_allclose(npg(x.grad), [6.0, 6.0])


def test_node_metadata():
    x = leaf([1.0])
    c = cr.tensor([1.0], dtype=cr.float64)
    y = (x * c).exp()
    assert y.grad_fn.name() == "ExpBackward0"
    (mul, _), = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    assert mul.next_functions[0][0] is not None and mul.next_functions[1][0] is None
    assert x.grad_fn is None and y.grad_fn.needs_input_grad == (True,)


@needs_torch
def test_node_hooks_match_torch():
    def run(lib, mk):
        x, w = mk([1.0, 2.0]), mk([3.0, 4.0])
        y = x * w
        y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
        y.grad_fn.register_hook(lambda gi, go: (gi[0] + go[0], gi[1] * 0.5))
        (y * y).sum().backward()
        return x.grad, w.grad
    for o, t in zip(run(cr, leaf), run(torch, tleaf)):
        np.testing.assert_allclose(npg(o), npg(t), rtol=1e-12)
