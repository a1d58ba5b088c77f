"""Functional autodiff with torch.autograd.functional's signatures: vjp, jvp, jacobian,
hessian, hvp, vhp. All are built from reverse mode (``grad``); jvp uses the double-vjp trick:
for u(v) = J^T v, the product J w is d(u . w)/dv."""
from __future__ import annotations

from . import grad as _grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tup(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _prep(inputs, create_graph):
    # fresh leaves (or graph-connected copies with create_graph) that require grad
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.view_as(x))
        else:
            out.append(x.detach().requires_grad_(True))
    return tuple(out)


def _grads(outputs, inputs, grad_outputs, create_graph, strict=False):
    outs = [o for o in outputs]
    needed = [o for o in outs if o.requires_grad]
    if not needed:
        from ..creation import zeros_like
        return tuple(zeros_like(x) for x in inputs)
    gos = [g for o, g in zip(outs, grad_outputs) if o.requires_grad]
    gs = _grad(needed, inputs, gos, create_graph=True if create_graph else True,
               retain_graph=True, allow_unused=True)
    from ..creation import zeros_like
    if strict and any(g is None for g in gs):
        raise RuntimeError("The output of the user-provided function is independent of input "
                           "0. This is not allowed in strict mode.")
    return tuple(zeros_like(x) if g is None else g for x, g in zip(inputs, gs))


def _finish(x, create_graph):
    if isinstance(x, tuple):
        return tuple(_finish(v, create_graph) for v in x)
    return x if create_graph else x.detach()


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product."""
    from ..creation import ones_like
    ins, in_tuple = _tup(inputs)
    with enable_grad():
        ins = _prep(ins, create_graph)
        outs, out_tuple = _tup(func(*ins))
        if v is None:
            if len(outs) != 1 or outs[0].numel() != 1:
                raise RuntimeError("vjp: The vector v can only be None if the user-provided "
                                   "function returns a single Tensor with a single element.")
            vs = (ones_like(outs[0]),)
        else:
            vs, _ = _tup(v)
        gs = _grads(outs, ins, vs, create_graph, strict)
    res_out = _finish(outs if out_tuple else outs[0], create_graph)
    return res_out, _finish(gs if in_tuple else gs[0], create_graph)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): the Jacobian-vector product (double-vjp trick)."""
    from ..creation import ones_like, zeros_like
    ins, in_tuple = _tup(inputs)
    with enable_grad():
        ins = _prep(ins, create_graph)
        outs, out_tuple = _tup(func(*ins))
        if v is None:
            if len(ins) != 1 or ins[0].numel() != 1:
                raise RuntimeError("jvp: The vector v can only be None if the input to the "
                                   "user-provided function is a single Tensor with a single "
                                   "element.")
            vs = (ones_like(ins[0]),)
        else:
            vs, _ = _tup(v)
        dummies = tuple(zeros_like(o).requires_grad_(True) for o in outs)
        gs = _grads(outs, ins, dummies, True, strict)          # J^T u, linear in u
        pairs = [(g, w) for g, w in zip(gs, vs) if g.requires_grad]
        if pairs:
            jv = _grad([g for g, _ in pairs], dummies, [w for _, w in pairs],
                       create_graph=create_graph, retain_graph=True, allow_unused=True)
            jv = tuple(zeros_like(o) if j is None else j for o, j in zip(outs, jv))
        else:
            jv = tuple(zeros_like(o) for o in outs)
    res_out = _finish(outs if out_tuple else outs[0], create_graph)
    return res_out, _finish(jv if out_tuple else jv[0], create_graph)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian d out / d in, of shape out.shape + in.shape (tuples of tuples for several
    outputs/inputs, as torch)."""
    from ..creation import zeros
    from ..ops.shape import reshape
    ins, in_tuple = _tup(inputs)
    with enable_grad():
        ins = _prep(ins, create_graph)
        outs, out_tuple = _tup(func(*ins))
        result = []
        for o in outs:
            rows = [[] for _ in ins]
            flat = reshape(o, (-1,))
            for j in range(flat.numel()):
                e = zeros(flat.numel(), dtype=o.dtype)
                e._data[j] = 1
                if o.requires_grad:
                    gs = _grad([flat], ins, [e], create_graph=create_graph, retain_graph=True,
                               allow_unused=True)
                else:
                    gs = (None,) * len(ins)
                for i, (x, g) in enumerate(zip(ins, gs)):
                    rows[i].append(g if g is not None else zeros(x.shape, dtype=x.dtype))
            from ..ops import stack
            blocks = []
            for i, x in enumerate(ins):
                if rows[i]:
                    st = stack(rows[i])
                else:
                    st = zeros((0,) + tuple(x.shape), dtype=x.dtype)
                blocks.append(reshape(st, tuple(o.shape) + tuple(x.shape)))
            result.append(tuple(blocks))
    result = tuple(tuple(_finish(b, create_graph) for b in r) for r in result)
    if out_tuple and in_tuple:
        return result
    if out_tuple:
        return tuple(r[0] for r in result)
    if in_tuple:
        return result[0]
    return result[0][0]


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar function: the Jacobian of its gradient."""
    ins, in_tuple = _tup(inputs)

    def grad_fn(*xs):
        with enable_grad():
            out = func(*xs)
            if out.numel() != 1:
                raise RuntimeError(f"hessian: the function must return a single-element tensor "
                                   f"(got shape {tuple(out.shape)})")
            gs = _grad([out], xs, None, create_graph=True, allow_unused=True)
            from ..creation import zeros_like
            gs = tuple(zeros_like(x) if g is None else g for x, g in zip(xs, gs))
        return gs if in_tuple else gs[0]

    return jacobian(grad_fn, ins if in_tuple else ins[0], create_graph=create_graph)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H) for a scalar function."""
    from ..creation import zeros_like
    ins, in_tuple = _tup(inputs)
    vs, _ = _tup(v) if v is not None else (None, False)
    with enable_grad():
        ins = _prep(ins, create_graph)
        out = func(*ins)
        if out.numel() != 1:
            raise RuntimeError("vhp: The function given to hvp/vhp should return a single "
                               "Tensor with a single element")
        gs = _grad([out], ins, None, create_graph=True, allow_unused=True)
        gs = tuple(zeros_like(x) if g is None else g for x, g in zip(ins, gs))
        if vs is None:
            raise RuntimeError("vhp: v is required unless the input has a single element")
        pairs = [(g, w) for g, w in zip(gs, vs) if g.requires_grad]
        if pairs:
            hv = _grad([g for g, _ in pairs], ins, [w for _, w in pairs],
                       create_graph=create_graph, retain_graph=True, allow_unused=True)
            hv = tuple(zeros_like(x) if h is None else h for x, h in zip(ins, hv))
        else:
            hv = tuple(zeros_like(x) for x in ins)
    return _finish(out, create_graph), _finish(hv if in_tuple else hv[0], create_graph)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v); the Hessian is symmetric, so this equals vhp."""
    return vhp(func, inputs, v, create_graph, strict)
