"""Grad mode: whether ops record the graph. ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``: context managers and decorators, as in torch."""
from __future__ import annotations

import functools

# One flag, read by every op call (Function.apply): a list so that it is mutable in place.
_state = [True]


def is_grad_enabled() -> bool:
    return _state[0]


class _GradModeBase:
    """A context manager that is also a decorator (each call gets a fresh context)."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return fn(*args, **kwargs)
        return wrapper

    def _args(self):
        return ()

    def __exit__(self, *exc):
        _state[0] = self._prev
        return False


class _NoParamDecorator(_GradModeBase):
    """Also usable bare, as torch allows: ``@no_grad`` as well as ``@no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecorator):
    """Ops inside do not record the graph: results have ``requires_grad=False``."""

    def __enter__(self):
        self._prev = _state[0]
        _state[0] = False


class enable_grad(_NoParamDecorator):
    """Turn recording back on inside a ``no_grad`` block."""

    def __enter__(self):
        self._prev = _state[0]
        _state[0] = True


class set_grad_enabled(_GradModeBase):
    """``set_grad_enabled(mode)``: set recording on or off; usable as a plain call too."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = _state[0]
        _state[0] = self.mode

    def _args(self):
        return (self.mode,)

    def __enter__(self):
        pass

    def __call__(self, fn):
        _state[0] = self._prev          # used as a decorator: undo the eager switch
        return super().__call__(fn)


class inference_mode(_GradModeBase):
    """Like ``no_grad`` (chainrule has no separate inference tensors)."""

    def __new__(cls, mode=True):
        if not callable(mode):
            return super().__new__(cls)
        return cls()(mode)                  # bare ``@inference_mode``

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def _args(self):
        return (self.mode,)

    def __enter__(self):
        self._prev = _state[0]
        if self.mode:
            _state[0] = False
