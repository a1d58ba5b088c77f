"""Reverse-mode backward over the graph of ``Function`` nodes.

1. Count, for every node reachable from the outputs, how many edges lead into it (an iterative
   depth-first walk: no recursion, so a chain of 100,000 ops is fine).
2. Start from the outputs with their gradients; a node runs its ``backward`` once all the nodes
   that feed gradient into it have run (its count reaches zero), so each node sees the *sum* of
   its incoming gradients exactly once.
3. Leaf tensors collect their summed gradient, then hooks run and ``.grad`` is accumulated.
"""
from __future__ import annotations

from ..backend import xp_of
from . import grad_mode
from .function import Function, memory_owner


def _root_base(a):
    """An id for the memory behind array ``a`` (the same for every view of it)."""
    return id(memory_owner(a))


def run_backward(outputs, grad_outputs, retain_graph: bool, create_graph: bool,
                 inputs=None, accumulate: bool = True, allow_unused: bool = False):
    """Backpropagate ``grad_outputs`` from ``outputs``.

    With ``accumulate`` the leaves' ``.grad`` grow (``Tensor.backward``); otherwise the gradients
    of ``inputs`` are returned and nothing is accumulated (``autograd.grad``).
    """
    grads: dict = {}            # node -> summed incoming gradient (Tensor)
    leaf_grads: dict = {}       # id(leaf) -> [leaf, summed gradient]
    protected = set()           # arrays that a leaf's .grad must not alias
    roots = []
    for t, g in zip(outputs, grad_outputs):
        protected.add(_root_base(g._data))
        node = t.grad_fn
        if node is None:
            _add_leaf(leaf_grads, t, g)
        elif node in grads:
            grads[node] = grads[node] + g
        else:
            grads[node] = g
            roots.append(node)

    capture = None
    if inputs is not None:
        capture = {}
        for i, x in enumerate(inputs):
            key = x.grad_fn if x.grad_fn is not None else id(x)
            capture.setdefault(key, []).append(i)
        results = [None] * len(inputs)

    # 1. dependency counts
    deps: dict = {}
    stack = list(roots)
    seen = set(roots)
    while stack:
        node = stack.pop()
        for e in node.next:
            if isinstance(e, Function):
                deps[e] = deps.get(e, 0) + 1
                if e not in seen:
                    seen.add(e)
                    stack.append(e)

    # 2. nodes in reverse topological order
    ready = [n for n in roots if n not in deps]
    prev_mode = grad_mode._state[0]
    grad_mode._state[0] = create_graph
    try:
        while ready:
            node = ready.pop()
            g = grads.pop(node, None)
            if g is None:                       # no gradient reached this node
                _release_children(node, deps, ready)
                if not retain_graph:
                    node.release()
                continue
            if node._hooks or node._retained is not None or node._prehooks:
                g = _node_hooks(node, g, create_graph)
            if capture is not None and node in capture:
                for i in capture[node]:
                    results[i] = g
            in_grads = node.backward(g)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if node._posthooks:
                in_grads = in_grads + (None,) * (len(node.next) - len(in_grads))
                for hook in node._posthooks:
                    r = hook(in_grads, (g,))
                    if r is not None:
                        in_grads = tuple(r)
            if len(in_grads) < len(node.next) and any(node.next[len(in_grads):]):
                # backward may omit trailing inputs that are constants or parameters
                raise RuntimeError(f"{node.name()}: backward returned {len(in_grads)} gradients "
                                   f"for {len(node.next)} inputs")
            if not retain_graph:
                node.release()
            for e, gi in zip(node.next, in_grads):
                if e is None:
                    continue
                if isinstance(e, Function):
                    if gi is not None:
                        a = gi._data
                        if a.shape != e._out_shape or a.dtype != e._out_dtype:
                            gi = _check(node, gi, e._out_shape, e._out_dtype)
                        prev = grads.get(e)
                        grads[e] = gi if prev is None else _sum(prev, gi, create_graph)
                    n = deps[e] - 1
                    deps[e] = n
                    if n == 0:
                        ready.append(e)
                elif gi is not None:
                    _add_leaf(leaf_grads, e, _check(node, gi, e._data.shape, e._data.dtype),
                              create_graph)
    finally:
        grad_mode._state[0] = prev_mode

    # 3. leaves
    for leaf, g in leaf_grads.values():
        if leaf._hooks:
            for hook in leaf._hooks:
                r = hook(g)
                if r is not None:
                    g = r
        if capture is not None:
            for i in capture.get(id(leaf), ()):
                results[i] = g
            if not accumulate:
                continue
        if not accumulate:
            continue
        if not create_graph:
            arr = g._data
            base = _root_base(arr)
            flags = arr.flags
            if base in protected or not (flags.c_contiguous and flags.writeable):
                arr = arr.copy()
            else:
                protected.add(base)
            if leaf.grad is None:
                leaf.grad = Tensor._make(arr)
            else:
                leaf.grad._data = _add_arrays(leaf.grad._data, arr)
        else:
            leaf.grad = g if leaf.grad is None else leaf.grad + g

    if capture is not None and not accumulate:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears to not "
                                   f"have been used in the graph. Set allow_unused=True if this "
                                   f"is the desired behavior.")
        return results
    return None


def _node_hooks(node, g, create_graph: bool):
    """Tensor hooks, retain_grad and pre-hooks of a node, in torch's order."""
    if node._hooks:
        for hook in node._hooks:
            r = hook(g)
            if r is not None:
                g = r
    if node._retained is not None:
        t = node._retained()
        if t is not None:
            # a copy: g may be a read-only broadcast or flow on into a leaf's .grad
            gd = g if create_graph else Tensor._make(g._data.copy())
            t.grad = gd if t.grad is None else t.grad + gd
    if node._prehooks:
        for hook in node._prehooks:
            r = hook((g,))
            if r is not None:
                g = r[0]
    return g


def _sum(a, b, create_graph: bool):
    """a + b for gradients: a recorded op only when the gradient itself is differentiated."""
    if create_graph:
        return a + b
    return Tensor._make(_add_arrays(a._data, b._data))


def _add_arrays(a, b):
    """a + b on arrays, kept an array: NumPy turns the sum of two 0-d arrays into a scalar."""
    out = a + b
    return out if out.ndim else xp_of(out).asarray(out)


def _add_leaf(leaf_grads, leaf, g, create_graph: bool = False):
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, g]
    else:
        entry[1] = _sum(entry[1], g, create_graph)


def _release_children(node, deps, ready):
    for e in node.next:
        if isinstance(e, Function):
            n = deps[e] - 1
            deps[e] = n
            if n == 0:
                ready.append(e)


def _check(node, g, shape, dtype):
    """A backward rule must return a gradient of its input's shape; cast to the input's dtype."""
    a = g._data
    if a.shape != shape:
        raise RuntimeError(f"{node.name()}: backward returned a gradient of shape {tuple(a.shape)} "
                           f"for an input of shape {tuple(shape)}")
    if a.dtype != dtype:
        return g.to(Tensor._dtype_of(dtype))
    return g


Tensor = None  # the Tensor class; set by chainrule.tensor once it exists (import cycle)
