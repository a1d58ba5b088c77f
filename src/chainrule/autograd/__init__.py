"""Reverse-mode automatic differentiation: ``backward``, ``grad``, grad modes, ``Function``."""
from __future__ import annotations

from .grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled
from .function import Function
from .engine import run_backward

__all__ = ["backward", "grad", "Function", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "functional", "gradcheck", "gradgradcheck"]


def _as_list(x):
    if x is None:
        return None
    from ..tensor import Tensor
    return [x] if isinstance(x, Tensor) else list(x)


def _make_grads(outputs, grad_outputs, op: str):
    from ..tensor import Tensor
    from ..backend import np
    grads = []
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{op}: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{op}: outputs must be Tensors, got {type(out).__name__}")
        if not out.requires_grad:
            raise RuntimeError(f"{op}: element {i} of tensors does not require grad and does not "
                               f"have a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(f"{op}: grad can be implicitly created only for scalar "
                                   f"outputs (got shape {tuple(out._data.shape)})")
            grads.append(Tensor._make(np.ones(out._data.shape, dtype=out._data.dtype)))
            continue
        if not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g, dtype=out._data.dtype))
        if g._data.shape != out._data.shape:
            raise RuntimeError(f"{op}: Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{tuple(g._data.shape)} and output[{i}] has a shape of "
                               f"{tuple(out._data.shape)}.")
        if g._data.dtype != out._data.dtype:
            g = g.to(out.dtype)
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (or only of
    ``inputs``). The graph is freed unless ``retain_graph`` (default: ``create_graph``)."""
    outputs = _as_list(tensors)
    grads = _make_grads(outputs, _as_list(grad_tensors), "backward")
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_list(inputs)
    if inputs is not None and not inputs:
        raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty.")
    if inputs is None:
        run_backward(outputs, grads, retain_graph, create_graph)
    else:
        got = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                           accumulate=False, allow_unused=True)
        for x, g in zip(inputs, got):
            if g is None:
                continue
            g = g if create_graph else g.detach().clone()
            x.grad = g if x.grad is None else x.grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused=None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """The gradients of ``outputs`` w.r.t. ``inputs`` (a tuple), without touching ``.grad``."""
    from ..tensor import Tensor
    single = isinstance(inputs, Tensor)
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    for i, x in enumerate(ins):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"grad: One of the differentiated Tensors (input {i}) does not "
                               f"require grad")
    grads = _make_grads(outs, _as_list(grad_outputs), "grad")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    res = run_backward(outs, grads, retain_graph, create_graph, inputs=ins, accumulate=False,
                       allow_unused=allow_unused)
    if materialize_grads:
        from ..creation import zeros_like
        res = [zeros_like(x) if r is None else r for x, r in zip(ins, res)]
    return tuple(res) if not single else (res[0],)


from .gradcheck import gradcheck, gradgradcheck  # noqa: E402  (function shadows module)
from . import functional  # noqa: E402
