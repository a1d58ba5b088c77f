"""``Function``: one op of the graph, with its forward on arrays and its backward in Tensor ops.

An op is a subclass with two static-looking methods:

* ``forward(ctx, *arrays, **params) -> array`` runs on raw backend arrays (fast), may call
  ``ctx.save_for_backward(*arrays)`` and store plain attributes on ``ctx``;
* ``backward(ctx, grad) -> Tensor | tuple`` gets the gradient of the output as a Tensor and
  returns one gradient per input (``None`` where there is none). It is written in Tensor ops, so
  with ``create_graph=True`` the gradient is itself a graph (grad-of-grad).

``Op.apply(*inputs, **params)`` calls ``forward`` and, when grad mode is on and an input requires
grad, makes ``ctx`` a node of the graph. A node has one output. It holds ``next`` (per input: the
input's node, the leaf tensor itself, or ``None``) and what ``forward`` saved, never the output
tensor itself, so a dropped graph is freed by reference counting (no cycles).
"""
from __future__ import annotations

from . import grad_mode
from ..backend import np as _np

_np_generic = _np.generic
_SCALARS = (_np_generic, int, float, complex)

_OUTPUT = object()          # marks "the op's own output" among saved values

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors "
          "after they have already been freed). Saved intermediate values of the graph are freed "
          "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
          "backward through the graph a second time or if you need to access saved tensors after "
          "calling backward.")


class Function:
    """Base class of every differentiable op (see the module docstring)."""

    differentiable = True

    # set by apply() on nodes of the graph
    next: tuple = ()
    _record = False             # True while forward runs for a node of the graph
    _saved = ()
    _out = None
    _out_vc = None              # a saved output's version counter and its version then
    _out_version = 0
    _out_shape: tuple = ()
    _out_dtype = None
    _hooks = None               # Tensor.register_hook on this node's output
    _prehooks = None            # register_prehook: hook(grad_outputs) -> grad_outputs | None
    _posthooks = None           # register_hook: hook(grad_inputs, grad_outputs) -> grad_inputs
    _retained = None

    def __init_subclass__(cls, **kwargs):
        # torch-style ``@staticmethod def forward(ctx, ...)``: the same call with ctx explicit
        super().__init_subclass__(**kwargs)
        for name in ("forward", "backward"):
            f = cls.__dict__.get(name)
            if isinstance(f, staticmethod):
                setattr(cls, name, f.__func__)

    def forward(ctx, *args, **params):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(ctx, grad):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(ctx).__name__} has no backward")

    # ------------------------------------------------------------------ building the graph
    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors (or plain arrays/scalars, treated as constants)."""
        ctx = cls()
        record = False
        if grad_mode._state[0] and cls.differentiable:
            arrays = []
            for t in inputs:
                if isinstance(t, Tensor):
                    arrays.append(t._data)
                    if t.requires_grad:
                        record = True
                else:
                    arrays.append(t)
            if record:
                ctx._record = True
                ctx._pending = []
        else:
            arrays = [t._data if isinstance(t, Tensor) else t for t in inputs]
        try:
            out = ctx.forward(*arrays, **params)
        except (ValueError, TypeError, IndexError, ZeroDivisionError) as e:
            raise _op_error(cls, inputs, e) from None
        if isinstance(out, _np_generic):        # NumPy gives 0-d results as scalars
            raw, out = out, _np.asarray(out)
            if record:
                ctx._pending = [out if a is raw else a for a in ctx._pending]
        # a view of an input's memory (or the input's array itself) shares its version counter
        alias = getattr(out, "base", None) is not None
        if not alias:
            for a in arrays:            # (a plain loop: a generator costs ~0.2 us per op)
                if a is out:
                    alias = True
                    break
        if not record:
            result = Tensor._make(out)
            if alias:
                _share_version(result, inputs)
            return result
        ctx.next = tuple([(t.grad_fn or t) if isinstance(t, Tensor) and t.requires_grad else None
                          for t in inputs])
        ctx._out_shape = out.shape
        ctx._out_dtype = out.dtype
        pending = ctx._pending
        del ctx._pending
        ctx._record = False
        result = Tensor._make(out, True, ctx)
        if alias:
            _share_version(result, inputs)
        if pending:
            ctx._saved = tuple([_resolve(a, inputs, out, ctx) for a in pending])
            if ctx._out is not None:
                ctx._out_vc, ctx._out_version = result._vc, result._vc[0]
        return result

    def save_for_backward(ctx, *arrays) -> None:
        """Keep arrays for backward (only when a graph is being recorded).

        An array that *is* an input's array or the output is given back as that Tensor (so its
        own history is kept and second derivatives flow through it); any other array comes back
        as a constant, so save only non-differentiable intermediates (masks, indices) that way.
        """
        if ctx._record:
            ctx._pending.extend(arrays)

    @property
    def saved_tensors(ctx) -> tuple:
        saved = ctx._saved
        if saved is None:
            raise RuntimeError(_FREED)
        out = []
        for s in saved:
            if s is _OUTPUT:
                t = Tensor._make(ctx._out, True, ctx)
                t._vc = ctx._out_vc
                if t._vc[0] != ctx._out_version:      # written in place since
                    raise _modified(ctx, t, ctx._out_version)
                out.append(t)
            elif type(s) is tuple:
                t, version = s
                if t._vc[0] != version:
                    raise _modified(ctx, t, version)
                out.append(t)
            else:
                out.append(Tensor._make(s))
        return tuple(out)

    @property
    def needs_input_grad(ctx) -> tuple:
        return tuple(e is not None for e in ctx.next)

    def release(ctx) -> None:
        """Free what forward saved (after a backward without retain_graph)."""
        ctx._saved = None
        ctx._out = None

    # ------------------------------------------------------------------ introspection
    def name(ctx) -> str:
        """torch-style node name: ``MulBackward0``."""
        return type(ctx).__name__ + "Backward0"

    def _register_tensor_hook(ctx, hook):
        """``hook(grad)`` on the gradient of this node's output (what Tensor.register_hook
        uses); runs before the node's prehooks."""
        if ctx._hooks is None:
            ctx._hooks = []
        ctx._hooks.append(hook)
        return _RemovableHandle(ctx._hooks, hook)

    def register_prehook(ctx, hook):
        """torch's ``Node.register_prehook``: ``hook(grad_outputs) -> tuple | None`` runs before
        ``backward``; a returned tuple replaces the gradients of the outputs."""
        if ctx._prehooks is None:
            ctx._prehooks = []
        ctx._prehooks.append(hook)
        return _RemovableHandle(ctx._prehooks, hook)

    def register_hook(ctx, hook):
        """torch's ``Node.register_hook``: ``hook(grad_inputs, grad_outputs) -> tuple | None``
        runs after ``backward`` (``None`` for inputs without a gradient); a returned tuple
        replaces the gradients of the inputs."""
        if ctx._posthooks is None:
            ctx._posthooks = []
        ctx._posthooks.append(hook)
        return _RemovableHandle(ctx._posthooks, hook)

    @property
    def next_functions(ctx) -> tuple:
        def label(e):
            return e if isinstance(e, Function) else (None if e is None else "AccumulateGrad")
        return tuple((label(e), 0) for e in ctx.next)

    def __repr__(self) -> str:
        return f"<{self.name()} object>"


def _modified(ctx, t, version) -> RuntimeError:
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t.dtype.name} {list(t.shape)}] is at version {t._version}; expected "
        f"version {version} instead ({ctx.name()})")


class _RemovableHandle:
    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def memory_owner(a):
    """What owns ``a``'s memory: the end of its chain of ``base``s (``a`` itself when it is
    not a view). Two arrays alias when their owners are the same object."""
    while getattr(a, "base", None) is not None:
        a = a.base
    return a


def _share_version(result, inputs) -> None:
    """A view of an input's memory (a reshape, slice, transpose, ... or the input's array
    itself) shares that input's version counter, as torch's views do: writing through either
    is seen by whatever saved the other."""
    owner = memory_owner(result._data)
    for t in inputs:
        if isinstance(t, Tensor) and memory_owner(t._data) is owner:
            result._vc = t._vc
            return


def _resolve(a, inputs, out, ctx):
    if a is out:
        ctx._out = out
        return _OUTPUT
    for t in inputs:
        if isinstance(t, Tensor) and t._data is a:
            return (t, t._vc[0])
    if isinstance(a, _SCALARS):             # a number: saved as a 0-d array constant
        return _np.asarray(a)
    return a


def _describe(x) -> str:
    if isinstance(x, Tensor):
        return f"{tuple(x.shape)} {x.dtype.name}"
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"{tuple(x.shape)} {x.dtype}"
    return repr(x)


def _op_error(cls, inputs, e: Exception) -> Exception:
    """Re-raise an array-library error as one that names the op, the shapes and the dtypes."""
    if getattr(e, "_chainrule", False):
        return e
    name = getattr(cls, "op_name", cls.__name__.lower())
    args = ", ".join(_describe(x) for x in inputs)
    kind = type(e)
    if isinstance(e, ValueError) and "broadcast" in str(e):
        kind = BroadcastError           # torch raises RuntimeError for shape mismatches
    err = kind(f"{name}: invalid arguments ({args}): {e}")
    err._chainrule = True
    return err


class BroadcastError(RuntimeError, ValueError):
    """Operand shapes that do not broadcast: a RuntimeError like torch's, and a ValueError."""


def op_error(kind, message: str) -> Exception:
    """Make an error whose message is already complete (not rewrapped by apply)."""
    err = kind(message)
    err._chainrule = True
    return err


Tensor = None  # the Tensor class; set by chainrule.tensor once it exists (import cycle)
