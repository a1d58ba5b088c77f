"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode as context managers and
decorators (with and without parentheses, as torch allows), nesting, exceptions, is_grad_enabled."""
import pytest

import chainrule as cr
from chainrule import autograd

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    assert cr.is_grad_enabled()
    yield
    enabled = cr.is_grad_enabled()
    cr.set_grad_enabled(True)
    assert enabled, "a test left grad mode off"


def leaf():
    return cr.tensor([1.0, 2.0], requires_grad=True)


def records(x):
    y = x * 2
    return y.requires_grad and y.grad_fn is not None


def test_default_is_enabled():
    assert cr.is_grad_enabled() and autograd.is_grad_enabled()
    assert records(leaf())


def test_no_grad_context():
    x = leaf()
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = x * 2
        assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert cr.is_grad_enabled()
    assert records(x)


def test_no_grad_result_cannot_backward():
    x = leaf()
    with cr.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_enable_grad_inside_no_grad():
    x = leaf()
    with cr.no_grad():
        with cr.enable_grad():
            assert cr.is_grad_enabled()
            assert records(x)
        assert not cr.is_grad_enabled()
        assert not records(x)


def test_nesting_restores_previous_state():
    with cr.no_grad():
        with cr.no_grad():
            assert not cr.is_grad_enabled()
        assert not cr.is_grad_enabled()
        with cr.set_grad_enabled(True):
            assert cr.is_grad_enabled()
            with cr.inference_mode():
                assert not cr.is_grad_enabled()
            assert cr.is_grad_enabled()
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()


def test_state_restored_after_exception():
    with pytest.raises(ValueError):
        with cr.no_grad():
            raise ValueError("boom")
    assert cr.is_grad_enabled()
    with cr.no_grad():
        with pytest.raises(ValueError):
            with cr.enable_grad():
                raise ValueError("boom")
        assert not cr.is_grad_enabled()


def test_set_grad_enabled_as_context_and_function():
    x = leaf()
    with cr.set_grad_enabled(False):
        assert not records(x)
    assert records(x)
    cr.set_grad_enabled(False)               # a plain call switches the mode
    try:
        assert not cr.is_grad_enabled()
        assert not records(x)
    finally:
        cr.set_grad_enabled(True)
    assert records(x)
    with cr.no_grad():
        with cr.set_grad_enabled(True):
            assert records(x)
        assert not cr.is_grad_enabled()


def test_decorators_with_parentheses():
    x = leaf()

    @cr.no_grad()
    def f(t):
        assert not cr.is_grad_enabled()
        return t * 2

    @cr.enable_grad()
    def g(t):
        return t * 2

    @cr.set_grad_enabled(False)
    def h(t):
        return t * 2

    @cr.inference_mode()
    def k(t):
        return t * 2

    assert cr.is_grad_enabled()              # decorating switched nothing
    assert not f(x).requires_grad
    assert not h(x).requires_grad
    assert not k(x).requires_grad
    with cr.no_grad():
        assert g(x).requires_grad
        assert not cr.is_grad_enabled()
    assert f.__name__ == "f"                 # functools.wraps
    # each call is independent (a decorator is reusable and re-entrant)
    assert not f(x).requires_grad and cr.is_grad_enabled()


def test_decorators_without_parentheses():
    # torch accepts @torch.no_grad / @torch.enable_grad / @torch.inference_mode bare
    x = leaf()

    @cr.no_grad
    def f(t):
        return t * 2

    @cr.inference_mode
    def k(t):
        return t * 2

    @cr.enable_grad
    def g(t):
        return t * 2

    assert cr.is_grad_enabled()
    assert not f(x).requires_grad
    assert not k(x).requires_grad
    with cr.no_grad():
        assert g(x).requires_grad
    assert f.__name__ == "f"


def test_decorated_function_restores_mode_on_exception():
    @cr.no_grad()
    def f():
        raise KeyError("x")
    with pytest.raises(KeyError):
        f()
    assert cr.is_grad_enabled()


def test_inference_mode_false_changes_nothing():
    with cr.inference_mode(False):
        assert cr.is_grad_enabled()
    with cr.no_grad():
        with cr.inference_mode(False):
            assert not cr.is_grad_enabled()   # torch: mode=False is a no-op, not enable_grad


def test_no_grad_allows_inplace_on_leaf_and_keeps_leaf():
    x = leaf()
    with cr.no_grad():
        x.mul_(2)
        x.sub_(1)
    assert x.is_leaf and x.requires_grad and x.grad_fn is None
    assert x.tolist() == [1.0, 3.0]
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 6.0]


def test_backward_inside_no_grad_still_works():
    # torch: backward runs regardless of the ambient grad mode
    x = leaf()
    y = (x * x).sum()
    with cr.no_grad():
        y.backward()
        assert not cr.is_grad_enabled()
    assert x.grad.tolist() == [2.0, 4.0]


def test_create_graph_inside_no_grad():
    x = leaf()
    y = (x * x * x).sum()
    with cr.no_grad():
        (g,) = autograd.grad(y, x, create_graph=True)
        assert not cr.is_grad_enabled()
    assert g.requires_grad
    (h,) = autograd.grad(g.sum(), x)
    assert h.tolist() == [6.0, 12.0]


def test_grad_mode_restored_when_backward_raises():
    x = leaf()

    class Boom(autograd.Function):
        def forward(ctx, a):
            return a * 1

        def backward(ctx, grad):
            raise ValueError("boom")

    y = Boom.apply(x).sum()
    with pytest.raises(ValueError, match="boom"):
        y.backward()
    assert cr.is_grad_enabled()
    with cr.no_grad():
        with pytest.raises(ValueError):
            Boom.apply(x).sum()               # nothing recorded: .sum() has no grad
            raise ValueError("boom")
        assert not cr.is_grad_enabled()


@needs_torch
def test_modes_match_torch():
    def trace(lib):
        out = []
        x = lib.tensor([1.0], requires_grad=True)
        with lib.no_grad():
            out.append((x * 2).requires_grad)
            with lib.enable_grad():
                out.append((x * 2).requires_grad)
                with lib.inference_mode(False):
                    out.append(lib.is_grad_enabled())
            with lib.set_grad_enabled(True):
                out.append(lib.is_grad_enabled())
            out.append(lib.is_grad_enabled())
        with lib.inference_mode():
            out.append(lib.is_grad_enabled())
        out.append(lib.is_grad_enabled())
        return out
    assert trace(cr) == trace(torch)
