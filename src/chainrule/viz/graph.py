"""Draw the autograd graph of a tensor as Graphviz DOT text (and render it with ``dot``).

``draw_graph(f)`` walks the graph behind ``f`` from ``f.grad_fn`` down to the leaves, through
each node's ``next`` (per input: the input's node, the leaf tensor itself, or ``None`` for a
constant), and writes

* one box per op: its name (``Mul``, ``Pow``, ...), its output shape and, for a small tensor,
  its value where the graph knows it (see below);
* one box per leaf tensor: its name (from ``params``, else ``leaf``), shape, value and ``.grad``;
* one edge per input of an op, from the input to the op, labelled with the *local* partial
  derivative d op / d input where the op's output and that input are single numbers. That
  number is what the op's own ``backward`` returns for an upstream gradient of 1 (run under
  ``no_grad``); it needs the tensors the op saved, so after a ``backward()`` without
  ``retain_graph=True`` the labels of ops that saved tensors are left out.

The graph does not keep the output tensor of every op (that would keep all activations alive),
so an op's value is shown where it is known: the drawn output itself, tensors the ops saved for
backward (their inputs, or their own output), tensors named in ``params`` or kept with
``retain_grad()``, and every op built inside ``with keep_values():``, which also records the
constants that entered an op (the ``100`` of ``100 * x``) so they can be drawn too.

All walks are iterative (a chain of 100,000 ops is fine). ``render``/``save_graph`` run the
Graphviz ``dot`` program when it is installed and otherwise write the ``.dot`` file.
"""
from __future__ import annotations

import contextlib
import math
import os
import re
import warnings
from pathlib import Path

from ..autograd import grad_mode
from ..autograd.function import Function, _OUTPUT
from ..backend import np
from ..tensor import Tensor

__all__ = ["draw_graph", "save_graph", "render", "keep_values"]

#: display names of op classes whose class name is not what a reader wrote
_ALIASES = {"Square": "Pow", "PowScalar": "Pow"}

_LEAF_STYLE = 'shape=box, style="rounded,filled", fillcolor="#dbeafe"'
_OP_STYLE = 'shape=box, style="rounded,filled", fillcolor="#f3f4f6"'
_ROOT_STYLE = 'shape=box, style="rounded,filled,bold", fillcolor="#fde68a"'
_CONST_STYLE = 'shape=plaintext, fontcolor="#6b7280"'


# ====================================================================== keep_values
@contextlib.contextmanager
def keep_values(max_constant_elements: int = 6):
    """Inside this block every graph node remembers its output value and its small constant
    inputs, so ``draw_graph`` can show the value of every op (micrograd style).

    This wraps ``Function.apply`` for the duration of the block (for every thread), so use it
    for small graphs you mean to look at, not for training: the values stay alive as long as
    the graph does.
    """
    original = Function.__dict__["apply"]
    run = original.__func__

    def apply(cls, *inputs, **params):
        out = run(cls, *inputs, **params)
        node = out.grad_fn
        if node is not None and getattr(node, "_viz_value", None) is None:
            node._viz_value = out._data
            consts = {}
            for i, x in enumerate(inputs):
                if node.next[i] is not None:
                    continue
                arr = x._data if isinstance(x, Tensor) else x
                size = getattr(arr, "size", 1)
                if size <= max_constant_elements:
                    consts[i] = arr
            node._viz_consts = consts
        return out

    Function.apply = classmethod(apply)
    try:
        yield
    finally:
        Function.apply = original


# ====================================================================== draw_graph
def draw_graph(output, params=None, show_values: bool = True, show_grads: bool = True, *,
               max_elements: int = 6, rankdir: str = "LR") -> str:
    """The autograd graph behind ``output`` (a Tensor or a sequence of Tensors) as DOT text.

    Args:
        output: the tensor(s) whose history is drawn; each is marked as an output.
        params: ``{name: tensor}`` (e.g. ``dict(model.named_parameters())``) naming leaves; a
            non-leaf tensor in it names (and gives the value and ``.grad`` of) the op that made it.
        show_values: print values of tensors with at most ``max_elements`` elements.
        show_grads: print ``.grad`` of leaves (and of retained non-leaf tensors) likewise.
        max_elements: the largest tensor whose numbers are printed.
        rankdir: Graphviz layout direction (``LR``: inputs on the left, output on the right).

    Returns:
        the DOT source; render it with ``save_graph`` / ``render`` or any Graphviz tool.
    """
    if isinstance(output, Tensor):
        outputs = [output]
    elif isinstance(output, (list, tuple)):
        outputs = list(output)
    else:
        outputs = [output]
    for t in outputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph: expected a Tensor or a sequence of Tensors, got "
                            f"{type(t).__name__}")
    names, named_ops = _names(params)
    roots = [t.grad_fn if t.grad_fn is not None else t for t in outputs]
    order = _topological(roots)
    ids = {id(obj): f"n{i}" for i, obj in enumerate(order)}
    known = _known_tensors(outputs, order, named_ops)

    lines = [
        "digraph chainrule {",
        f'  graph [rankdir={rankdir}, fontname="Helvetica", fontsize=11];',
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    edges = []
    labelled = False
    root_ids = {id(r) for r in roots}
    n_const = 0
    for obj in order:
        nid = ids[id(obj)]
        if isinstance(obj, Function):
            tensor_value, tensor_grad = known.get(id(obj), (None, None))
            text = [_op_title(obj), _shape(obj._out_shape)]
            if id(obj) in named_ops:
                text.insert(0, named_ops[id(obj)][0])
            if show_values and tensor_value is not None:
                text.extend(_numbers("value", tensor_value, max_elements))
            if show_grads and tensor_grad is not None:
                text.extend(_numbers("grad", tensor_grad, max_elements))
            style = _ROOT_STYLE if id(obj) in root_ids else _OP_STYLE
            lines.append(f'  {nid} [label="{_label(text)}", {style}];')
            partials = _local_derivatives(obj)
            for i, e in enumerate(obj.next):
                if e is None:
                    continue
                attrs = ""
                if partials is not None and partials[i] is not None:
                    attrs = f' [label="{_label([_num(partials[i])])}"]'
                    labelled = True
                edges.append(f"  {ids[id(e)]} -> {nid}{attrs};")
            for value in getattr(obj, "_viz_consts", {}).values():
                cid = f"c{n_const}"
                n_const += 1
                lines.append(f'  {cid} [label="{_label([_constant(value)])}", {_CONST_STYLE}];')
                edges.append(f'  {cid} -> {nid} [style=dashed, color="#9ca3af", arrowsize=0.6];')
        else:
            text = [names.get(id(obj), "leaf"), _shape(obj._data.shape)]
            if show_values:
                text.extend(_numbers("value", obj._data, max_elements))
            if show_grads and obj.grad is not None:
                text.extend(_numbers("grad", obj.grad._data, max_elements))
            style = _ROOT_STYLE if id(obj) in root_ids else _LEAF_STYLE
            lines.append(f'  {nid} [label="{_label(text)}", {style}];')
    lines.extend(edges)
    if labelled:
        lines.append('  label="edge labels: local derivative d(op) / d(input)"; labelloc=b;')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _names(params):
    """``{id(leaf): name}`` and ``{id(node): (name, tensor)}`` from a name -> tensor mapping."""
    names, named_ops = {}, {}
    if params is None:
        return names, named_ops
    items = params.items() if hasattr(params, "items") else params
    for name, t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph: params[{name!r}] is a {type(t).__name__}, not a Tensor")
        if t.grad_fn is None:
            names.setdefault(id(t), str(name))
        else:
            named_ops.setdefault(id(t.grad_fn), (str(name), t))
    return names, named_ops


def _topological(roots) -> list:
    """Every node and leaf reachable from ``roots``, inputs before the ops that use them
    (an iterative depth-first post-order: no recursion)."""
    order = []
    seen = set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        obj, expanded = stack.pop()
        if expanded:
            order.append(obj)
            continue
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        stack.append((obj, True))
        if isinstance(obj, Function):
            for e in reversed(obj.next):
                if e is not None and id(e) not in seen:
                    stack.append((e, False))
    return order


def _known_tensors(outputs, order, named_ops) -> dict:
    """``{id(node): (value array or None, grad array or None)}`` for the ops whose output the
    graph still knows (see the module docstring)."""
    nodes = {id(n) for n in order if isinstance(n, Function)}
    values, grads = {}, {}

    def note(t):
        node = t.grad_fn
        if node is not None and id(node) in nodes:
            values.setdefault(id(node), t._data)
            if t.grad is not None:
                grads.setdefault(id(node), t.grad._data)

    for t in outputs:
        note(t)
    for _, t in named_ops.values():
        note(t)
    for node in order:
        if not isinstance(node, Function):
            continue
        if node._retained is not None:
            t = node._retained()
            if t is not None:
                note(t)
        kept = getattr(node, "_viz_value", None)
        if kept is not None:
            values.setdefault(id(node), kept)
        for s in node._saved or ():
            if s is _OUTPUT:
                if node._out is not None:
                    values.setdefault(id(node), node._out)
            elif type(s) is tuple and s[0]._version == s[1]:
                note(s[0])
    return {k: (values.get(k), grads.get(k)) for k in set(values) | set(grads)}


def _local_derivatives(node):
    """Per input of ``node``: d(output)/d(input) as a float where the output and that input are
    single numbers, else ``None``; ``None`` for all when the node's backward can't run (its saved
    tensors were freed by a backward without ``retain_graph=True``)."""
    if math.prod(node._out_shape) != 1:
        return None
    if not any(e is not None and math.prod(_shape_of(e)) == 1 for e in node.next):
        return None
    ones = Tensor._make(np.ones(node._out_shape, dtype=node._out_dtype))
    try:
        with grad_mode.no_grad():
            grads = node.backward(ones)
    except Exception:  # freed graph, modified inputs, an op without backward: no labels
        return None
    if type(grads) is not tuple:
        grads = (grads,)
    out = []
    for i, e in enumerate(node.next):
        g = grads[i] if i < len(grads) else None
        if e is None or g is None or math.prod(_shape_of(e)) != 1:
            out.append(None)
        else:
            out.append(g._data.reshape(()).item())
    return out


def _shape_of(e) -> tuple:
    return e._out_shape if isinstance(e, Function) else e._data.shape


# ---------------------------------------------------------------------- text of the labels
def _op_title(node) -> str:
    name = type(node).__name__          # the class (name() gives torch's node names)
    title = _ALIASES.get(name, name)
    if name == "Square":
        title += " (**2)"
    elif name == "PowScalar" and hasattr(node, "p"):
        title += f" (**{_num(node.p)})"
    return title


def _shape(shape) -> str:
    return "shape (" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _num(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.4g}"


def _array_text(a) -> str:
    a = np.asarray(a)
    if a.ndim == 0:
        return _num(a.item())
    text = np.array2string(a, separator=", ", formatter={"all": lambda v: _num(v)})
    return re.sub(r"\s*\n\s*", " ", text)


def _numbers(what: str, a, max_elements: int) -> list:
    """``["value 2.5"]`` for a small array, ``[]`` for a big one."""
    a = _to_numpy(a)
    if a.size > max_elements:
        return []
    return [f"{what} {_array_text(a)}"]


def _constant(value) -> str:
    a = _to_numpy(value)
    return _array_text(a) if a.ndim else _num(a.item())


def _to_numpy(a):
    get = getattr(a, "get", None)        # a CuPy array
    return np.asarray(get() if callable(get) and not isinstance(a, np.ndarray) else a)


def _label(lines) -> str:
    """DOT label text: each line escaped, joined with DOT's centred line break."""
    return "\\n".join(s.replace("\\", "\\\\").replace('"', '\\"') for s in lines)


# ====================================================================== writing files
_FORMATS = ("svg", "png", "pdf")


def save_graph(dot_text: str, path, format: str | None = None) -> Path:
    """Write DOT text to ``path``; for ``.svg``/``.png``/``.pdf`` render it with Graphviz.

    ``format`` defaults to the file's suffix (``dot`` when it has none). When the ``dot``
    program is not on PATH (or fails), the DOT text is written next to ``path`` with the suffix
    ``.dot`` and a ``RuntimeWarning`` says so. Returns the path actually written.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "dot").lower()
    if fmt == "gv":
        fmt = "dot"
    if fmt != "dot" and fmt not in _FORMATS:
        raise ValueError(f"save_graph: unknown format {fmt!r} (expected one of dot, "
                         f"{', '.join(_FORMATS)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        _atomic_write(path, dot_text.encode())
        return path
    reason = _run_dot(dot_text, path, fmt)
    if reason is None:
        return path
    fallback = path.with_suffix(".dot")
    _atomic_write(fallback, dot_text.encode())
    warnings.warn(f"save_graph: {reason}; wrote the DOT source to {fallback} instead (render it "
                  f"with `dot -T{fmt} {fallback} -o {path}`)", RuntimeWarning, stacklevel=2)
    return fallback


def render(output, path, params=None, show_values: bool = True, show_grads: bool = True,
           format: str | None = None, **kwargs) -> Path:
    """``save_graph(draw_graph(output, params, ...), path)``: draw and write in one call."""
    dot = draw_graph(output, params, show_values, show_grads, **kwargs)
    return save_graph(dot, path, format)


def _run_dot(dot_text: str, path: Path, fmt: str):
    """Render with the ``dot`` program; ``None`` on success, else why it could not."""
    import shutil
    import subprocess

    exe = shutil.which("dot")
    if exe is None:
        return "the Graphviz program `dot` is not on PATH"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        proc = subprocess.run([exe, f"-T{fmt}", "-o", str(tmp)], input=dot_text.encode(),
                              capture_output=True, timeout=120)
        if proc.returncode != 0:
            return f"`dot` failed: {proc.stderr.decode(errors='replace').strip()}"
        os.replace(tmp, path)
        return None
    except (OSError, subprocess.SubprocessError) as e:
        return f"`dot` failed: {e}"
    finally:
        if tmp.exists():
            tmp.unlink()


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, fsync, rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
