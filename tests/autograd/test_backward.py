"""Tensor.backward / autograd.backward: gradients, accumulation, graph shapes (shared leaves,
diamonds, leaves as outputs), ``inputs=``, freed graphs, error messages, dtypes and aliasing of
``.grad``. Values are checked against closed forms and, where torch is installed, torch."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd

try:
    import torch
except ImportError:  # pragma: no cover - torch is a dev dependency
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")

FREED = "Trying to backward through the graph a second time"


def leaf(values, dtype=cr.float64):
    return cr.tensor(values, dtype=dtype, requires_grad=True)


def tleaf(values, dtype=None):
    dtype = dtype or (torch.float64 if torch is not None else None)
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def npg(t):
    return None if t is None else np.asarray(t.detach().numpy())


# ------------------------------------------------------------------ basic values
def test_scalar_backward_simple_polynomial():
    x = leaf([1.0, 2.0, -3.0])
    y = (x * x * x + 2 * x).sum()          # d/dx = 3x^2 + 2
    y.backward()
    np.testing.assert_allclose(npg(x.grad), 3 * np.array([1.0, 4.0, 9.0]) + 2)
    assert x.grad.dtype == cr.float64
    assert x.grad.shape == (3,)
    assert not x.grad.requires_grad and x.grad.grad_fn is None


def test_backward_with_explicit_gradient():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x                                # non-scalar: needs a gradient
    y.backward(cr.tensor([1.0, 0.5, -2.0], dtype=cr.float64))
    np.testing.assert_allclose(npg(x.grad), 2 * np.array([1.0, 2.0, 3.0]) * [1.0, 0.5, -2.0])


def test_implicit_gradient_for_non_scalar_raises():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2
    with pytest.raises(RuntimeError) as e:
        y.backward()
    assert str(e.value) == ("backward: grad can be implicitly created only for scalar outputs "
                            "(got shape (3,))")
    assert x.grad is None


def test_implicit_gradient_for_single_element_non_scalar():
    x = leaf([[2.0]])
    (x * x).backward()                       # one element: allowed, like torch
    np.testing.assert_allclose(npg(x.grad), [[4.0]])


def test_gradient_shape_mismatch_raises():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(cr.ones(2, dtype=cr.float64))


# ------------------------------------------------------------------ accumulation
def test_gradient_accumulates_over_backward_calls():
    x = leaf([1.0, 2.0])
    for k in range(1, 4):
        (x * x).sum().backward()
        np.testing.assert_allclose(npg(x.grad), k * 2 * np.array([1.0, 2.0]))


def test_accumulation_keeps_grad_tensor_identity_like_torch():
    # torch accumulates in place when it can: the .grad object stays the same
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    np.testing.assert_allclose(npg(x.grad), [5.0, 5.0])
    np.testing.assert_allclose(npg(g), [5.0, 5.0])


def test_grad_can_be_reset_to_none_and_zeroed():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(npg(x.grad), [3.0, 3.0])
    x.grad.zero_()
    (x * 4).sum().backward()
    np.testing.assert_allclose(npg(x.grad), [4.0, 4.0])


def test_shared_leaf_used_twice_sums_gradients():
    a = leaf([1.0, 2.0, 3.0])
    y = (a * a + a * 3).sum()                # a appears three times
    y.backward()
    np.testing.assert_allclose(npg(a.grad), 2 * np.array([1.0, 2.0, 3.0]) + 3)


def test_same_tensor_as_both_operands():
    a = leaf([1.5, -2.0])
    (a * a).sum().backward()
    np.testing.assert_allclose(npg(a.grad), [3.0, -4.0])
    b = leaf([1.5, -2.0])
    (b + b + b).sum().backward()
    np.testing.assert_allclose(npg(b.grad), [3.0, 3.0])


def test_diamond_graph():
    #      x
    #    /   \
    #   u=2x  v=x^2
    #    \   /
    #    w = u * v + u   -> dw/dx = 2 v + u * 2x + 2 = 2x^2 + 4x^2 + 2 = 6x^2 + 2
    x = leaf([0.5, 1.0, 2.0])
    u = x * 2
    v = x * x
    w = (u * v + u).sum()
    w.backward()
    xv = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(npg(x.grad), 6 * xv ** 2 + 2)


def test_deep_diamond_counts_each_node_once():
    # y_{k+1} = y_k + y_k: 30 levels of diamonds, dy/dx = 2**30 (each node's backward runs once,
    # with the sum of its incoming gradients; a walk that re-visits would blow up or be wrong)
    x = leaf([1.0])
    y = x
    for _ in range(30):
        y = y + y
    y.sum().backward()
    np.testing.assert_allclose(npg(x.grad), [2.0 ** 30])


def test_non_leaf_shared_intermediate():
    x = leaf([1.0, 2.0])
    h = x.exp()
    z = (h * h + h.sin()).sum()
    z.backward()
    e = np.exp([1.0, 2.0])
    np.testing.assert_allclose(npg(x.grad), (2 * e + np.cos(e)) * e, rtol=1e-12)


def test_leaf_as_output():
    x = leaf([1.0, 2.0])
    x.backward(cr.tensor([3.0, 4.0], dtype=cr.float64))
    np.testing.assert_allclose(npg(x.grad), [3.0, 4.0])
    s = leaf(2.0)
    s.backward()
    s.backward()                             # nothing to free: may be repeated, as in torch
    np.testing.assert_allclose(npg(s.grad), 2.0)


def test_leaf_and_non_leaf_outputs_together():
    x = leaf([1.0, 2.0])
    y = x * 3
    autograd.backward([x, y], [cr.ones(2, dtype=cr.float64), cr.ones(2, dtype=cr.float64)])
    np.testing.assert_allclose(npg(x.grad), [4.0, 4.0])


def test_multiple_outputs_with_gradients():
    x = leaf([1.0, 2.0])
    a = x * 2
    b = x * x
    autograd.backward([a.sum(), b], [None, cr.tensor([1.0, 10.0], dtype=cr.float64)])
    np.testing.assert_allclose(npg(x.grad), [2 + 2 * 1.0, 2 + 10 * 4.0])


def test_same_output_twice_in_backward_list():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    autograd.backward([y, y])
    np.testing.assert_allclose(npg(x.grad), [4.0, 8.0])


def test_constants_get_no_grad():
    x = leaf([1.0, 2.0])
    c = cr.tensor([3.0, 4.0], dtype=cr.float64)
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(npg(x.grad), [3.0, 4.0])


def test_non_leaf_grad_is_not_kept():
    x = leaf([1.0, 2.0])
    y = x * 2
    (y * y).sum().backward()
    assert y.grad is None
    assert not y.is_leaf and x.is_leaf


def test_unreached_branch_leaves_grad_none():
    x = leaf([1.0])
    w = leaf([2.0])
    y = x * 2
    _unused = w * 3
    y.sum().backward()
    assert w.grad is None


def test_broadcast_gradient_is_unbroadcast():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.arange(4.0))
    ((a * b) ** 2).sum().backward()
    bb = np.arange(4.0)
    np.testing.assert_allclose(npg(a.grad), np.full((3, 1), (2 * bb ** 2).sum()))
    np.testing.assert_allclose(npg(b.grad), 3 * 2 * bb)


# ------------------------------------------------------------------ inputs=
def test_backward_inputs_restricts_accumulation():
    a = leaf([1.0, 2.0])
    b = leaf([3.0, 4.0])
    (a * b).sum().backward(inputs=[a])
    np.testing.assert_allclose(npg(a.grad), [3.0, 4.0])
    assert b.grad is None
    (a * b).sum().backward(inputs=b)         # a single tensor is fine too
    np.testing.assert_allclose(npg(b.grad), [1.0, 2.0])
    np.testing.assert_allclose(npg(a.grad), [3.0, 4.0])


def test_backward_inputs_accumulates():
    a = leaf([1.0, 2.0])
    (a * 2).sum().backward(inputs=[a])
    (a * 3).sum().backward(inputs=[a])
    np.testing.assert_allclose(npg(a.grad), [5.0, 5.0])


def test_backward_inputs_non_leaf():
    x = leaf([1.0, 2.0])
    y = x * 3
    (y * y).sum().backward(inputs=[y])
    np.testing.assert_allclose(npg(y.grad), 2 * np.array([3.0, 6.0]))
    assert x.grad is None


def test_backward_inputs_empty_raises():
    a = leaf([1.0])
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (a * 2).sum().backward(inputs=[])


@needs_torch
def test_backward_inputs_matches_torch():
    def run(lib, mk):
        a, b, c = mk([1.0, -2.0]), mk([0.5, 3.0]), mk([2.0, 2.0])
        y = ((a * b).exp() + c * a).sum()
        y.backward(inputs=[a, c])
        return a.grad, b.grad, c.grad
    ours = run(cr, leaf)
    theirs = run(torch, tleaf)
    for o, t in zip(ours, theirs):
        if t is None:
            assert o is None
        else:
            np.testing.assert_allclose(npg(o), npg(t), rtol=1e-12)


# ------------------------------------------------------------------ freed graphs
def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()                        # mul saves its inputs
    y.backward()
    with pytest.raises(RuntimeError, match=FREED):
        y.backward()
    np.testing.assert_allclose(npg(x.grad), [2.0, 4.0])   # the first backward's result stands


def test_second_backward_output_saving_op_raises():
    x = leaf([1.0, 2.0])
    y = x.exp().sum()                        # exp saves its output
    y.backward()
    with pytest.raises(RuntimeError, match=FREED):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(npg(x.grad), 3 * np.array([2.0, 4.0]))
    with pytest.raises(RuntimeError, match=FREED):
        y.backward()


def test_ops_that_save_nothing_may_backward_twice():
    # like torch: add/sum save no tensors, so a second backward does not raise
    x = leaf([1.0, 2.0])
    y = (x + 1).sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(npg(x.grad), [2.0, 2.0])


@needs_torch
def test_freed_graph_behaviour_matches_torch():
    def second_backward_raises(lib, mk, f):
        x = mk([1.0, 2.0])
        y = f(x).sum()
        y.backward()
        try:
            y.backward()
        except RuntimeError as e:
            assert FREED in str(e)
            return True
        return False
    for f in (lambda x: x + 1, lambda x: x * x, lambda x: x.exp(), lambda x: x * 2):
        assert second_backward_raises(cr, leaf, f) == second_backward_raises(torch, tleaf, f)


def test_freed_graph_shared_subgraph_with_other_output():
    x = leaf([1.0, 2.0])
    h = x * x
    y1 = h.sum()
    y2 = (h * 2).sum()
    y1.backward()
    with pytest.raises(RuntimeError, match=FREED):
        y2.backward()                        # goes through h's freed node


def test_saved_tensors_freed_after_backward():
    x = leaf([1.0, 2.0])
    y = x * x
    node = y.grad_fn
    assert len(node.saved_tensors) == 2
    y.sum().backward()
    with pytest.raises(RuntimeError, match=FREED):
        _ = node.saved_tensors


# ------------------------------------------------------------------ requires_grad errors
def test_backward_on_tensor_without_grad_raises():
    x = cr.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        (x * 2).sum().backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        cr.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        cr.tensor([1, 2, 3]).requires_grad_()


def test_requires_grad_flag_of_non_leaf_cannot_change():
    x = leaf([1.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad_(False)


def test_requires_grad_propagation():
    x = leaf([1.0])
    c = cr.tensor([1.0], dtype=cr.float64)
    assert (x * c).requires_grad
    assert (x * c).grad_fn is not None
    assert not (c * c).requires_grad
    assert (c * c).grad_fn is None
    assert not x.detach().requires_grad
    assert x.detach().is_leaf


def test_detach_cuts_gradient():
    x = leaf([1.0, 2.0])
    y = (x.detach() * x).sum()
    y.backward()
    np.testing.assert_allclose(npg(x.grad), [1.0, 2.0])


def test_requires_grad_false_leaf_gets_no_grad():
    x = leaf([1.0, 2.0])
    z = cr.tensor([1.0, 1.0], dtype=cr.float64)
    (x * z).sum().backward()
    z.requires_grad_()
    (x * z).sum().backward()
    np.testing.assert_allclose(npg(z.grad), [1.0, 2.0])
    np.testing.assert_allclose(npg(x.grad), [2.0, 2.0])


# ------------------------------------------------------------------ create_graph
def test_create_graph_builds_differentiable_grad():
    x = leaf([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad                               # 3 x^2, with a graph
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(npg(g), [3.0, 12.0])
    (gx,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(npg(gx), [6.0, 12.0])


def test_create_graph_retains_graph_by_default():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(create_graph=True)
    y.backward(create_graph=True)            # retain_graph defaults to create_graph
    np.testing.assert_allclose(npg(x.grad), [4.0, 8.0])


# ------------------------------------------------------------------ aliasing of .grad
def test_grads_of_two_leaves_do_not_alias():
    a = leaf([1.0, 2.0])
    b = leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.mul_(2)
    np.testing.assert_allclose(npg(a.grad), [2.0, 2.0])
    np.testing.assert_allclose(npg(b.grad), [1.0, 1.0])
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())


def test_grad_does_not_alias_user_gradient():
    x = leaf([1.0, 2.0])
    g = cr.tensor([1.0, 1.0], dtype=cr.float64)
    (x + 0).backward(g)
    x.grad.mul_(5)
    np.testing.assert_allclose(npg(g), [1.0, 1.0])
    y = leaf([1.0, 2.0])
    g2 = cr.tensor([1.0, 1.0], dtype=cr.float64)
    y.backward(g2)                           # the leaf itself as the output
    y.grad.add_(1)
    np.testing.assert_allclose(npg(g2), [1.0, 1.0])
    assert not np.shares_memory(y.grad.numpy(), g2.numpy())


def test_grad_is_writable_and_contiguous():
    x = leaf([1.0, 2.0, 3.0])
    x.sum().backward()                       # sum's backward broadcasts a scalar
    assert x.grad.is_contiguous()
    x.grad.mul_(2)                           # must not fail on a read-only broadcast view
    np.testing.assert_allclose(npg(x.grad), [2.0, 2.0, 2.0])


def test_grad_of_leaf_does_not_alias_leaf_data():
    x = leaf([1.0, 2.0])
    x.backward(x.detach())
    x.grad.mul_(10)
    np.testing.assert_allclose(npg(x), [1.0, 2.0])


def test_accumulated_grad_not_aliased_by_second_leaf():
    a = leaf([1.0, 2.0])
    b = leaf([1.0, 2.0])
    (a * 1).sum().backward()
    (a + b).sum().backward()
    b.grad.mul_(3)
    np.testing.assert_allclose(npg(a.grad), [2.0, 2.0])
    np.testing.assert_allclose(npg(b.grad), [3.0, 3.0])


# ------------------------------------------------------------------ dtypes
def test_mixed_dtype_gradients_have_input_dtype():
    a = cr.tensor([1.0, 2.0], dtype=cr.float32, requires_grad=True)
    b = cr.tensor([3.0, 4.0], dtype=cr.float64, requires_grad=True)
    y = a * b
    assert y.dtype == cr.float64
    y.sum().backward()
    assert a.grad.dtype == cr.float32
    assert b.grad.dtype == cr.float64
    np.testing.assert_allclose(npg(a.grad), [3.0, 4.0])
    np.testing.assert_allclose(npg(b.grad), [1.0, 2.0])


def test_cast_gradients_have_input_dtype():
    a = cr.tensor([1.0, 2.0], dtype=cr.float32, requires_grad=True)
    y = (a.double() * 3).sum()
    y.backward()
    assert a.grad.dtype == cr.float32
    np.testing.assert_allclose(npg(a.grad), [3.0, 3.0])


def test_float32_backward_gradient_dtype():
    a = cr.tensor([1.0, 2.0], dtype=cr.float32, requires_grad=True)
    (a * a).backward(cr.tensor([1.0, 1.0], dtype=cr.float64))   # gradient cast to output dtype
    assert a.grad.dtype == cr.float32
    np.testing.assert_allclose(npg(a.grad), [2.0, 4.0])


@needs_torch
def test_mixed_dtype_matches_torch():
    def run(lib):
        a = lib.tensor([1.0, 2.0], dtype=lib.float32, requires_grad=True)
        b = lib.tensor([3.0, -4.0], dtype=lib.float64, requires_grad=True)
        ((a * b).exp() + a / b).sum().backward()
        return a.grad, b.grad
    for o, t in zip(run(cr), run(torch)):
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(npg(o), npg(t), rtol=1e-6)


# ------------------------------------------------------------------ torch parity on a model
@needs_torch
def test_small_mlp_like_graph_matches_torch():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((4, 3))
    w1 = rng.standard_normal((3,))
    w2 = rng.standard_normal((4, 1))

    def run(lib, mk):
        x, a, b = mk(xs), mk(w1), mk(w2)
        h = (x * a).tanh()
        h = h * b + h.sigmoid() * x
        loss = (h * h).mean() + (a * a).sum() * 0.1
        loss.backward()
        return loss, x.grad, a.grad, b.grad

    ours = run(cr, leaf)
    theirs = run(torch, tleaf)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(npg(o), npg(t), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ 0-d results
def test_zero_dim_results_are_writable_arrays():
    # NumPy returns 0-d ufunc results as scalars; a Tensor must still hold an ndarray
    x = leaf(2.0)
    for y in (x * x, x + 1, x.exp(), x.tanh(), -x, (x * 3).sum() * 2):
        assert isinstance(y.detach().numpy(), np.ndarray), type(y.detach().numpy())
    c = cr.tensor([1.0, 2.0]).sum() * 2
    c.add_(1)                                # in place on a 0-d result
    assert float(c) == 7.0


def test_zero_dim_second_derivative_through_saved_output():
    x = leaf(0.5)
    y = x.tanh()                             # tanh saves its (0-d) output
    (g,) = autograd.grad(y, x, create_graph=True)
    (h,) = autograd.grad(g, x)
    t = np.tanh(0.5)
    np.testing.assert_allclose(npg(g), 1 - t * t, rtol=1e-12)
    np.testing.assert_allclose(npg(h), -2 * t * (1 - t * t), rtol=1e-12)


def test_zero_dim_gradients_stay_arrays_when_summed_and_accumulated():
    # summing two incoming 0-d gradients, or accumulating into a 0-d .grad, must not leave a
    # NumPy scalar behind: .grad.zero_() and in-place updates write into it
    x = leaf(2.0)
    y = x * 3
    (y * y + y).backward()                   # two paths into y's node: a summed 0-d gradient
    (x * 5).backward()                       # accumulated into the existing 0-d .grad
    assert isinstance(x.grad.numpy(), np.ndarray)
    assert float(x.grad) == 2 * 9 * 2.0 + 3 + 5
    x.grad.zero_()
    assert float(x.grad) == 0.0
    x.grad.add_(1.5)
    assert float(x.grad) == 1.5
