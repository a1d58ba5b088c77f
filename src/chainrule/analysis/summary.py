"""``summary``: a torchinfo-style table of a model, one row per layer call, with output shapes,
parameter counts and each output's receptive field and jump.

The rows come from a real forward pass (zeros of ``input_size``, or ``input_data``) under
``no_grad``, with a forward pre-hook and a forward hook on every module: the pre-hook opens a row
(so parents come before their children and a module called twice gets two rows, the second
marked recursive) and the hook fills in the output. Depth is the nesting of calls, and rows are
titled as torchinfo's: ``Conv2d: 2-3`` is the third row at depth 2.

Parameter counts differ from torchinfo in one way: every parameter is counted once. The totals
come from ``model.parameters()`` (which yields a shared parameter once, and also counts
parameters that no called module owns), so a weight tied between an Embedding and an output
Linear, or a module used twice, is not counted twice; a row whose parameters an earlier row
already showed says how many of them are shared.

Receptive fields: each tensor that a layer returns carries the field of its positions on the
input (``receptive_field``'s recurrences, applied per layer call). A tensor made between layers
by functional code (``F.relu(x)``, ``x + shortcut``) has no field of its own: when a module first
sees it (as its input, or as a container's output) it takes the largest field among the tensors
of its spatial size seen so far, which is exact for activations and for residual sums (whose
field is the union of the branches'). Flatten and Linear end the spatial part, and after a
layer of unknown geometry (or a functional pooling) the columns say ``--``.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field

from .. import nn
from ..autograd.grad_mode import no_grad
from ..backend import dtype as Dtype, get_default_dtype
from ..creation import zeros
from ..tensor import Tensor
from .receptive_field import Field, format_dims, layer_field

__all__ = ["summary", "ModelSummary", "LayerRow", "COLUMNS"]

COLUMNS = {"input_size": "Input Shape", "output_size": "Output Shape", "num_params": "Param #",
           "kernel_size": "Kernel Shape", "receptive_field": "Receptive Field", "jump": "Jump",
           "trainable": "Trainable"}
_DEFAULT_COLUMNS = ("output_size", "num_params", "receptive_field", "jump")
_NAME_WIDTH = 40


@dataclass
class LayerRow:
    """One row of the table: one call of one module.

    ``num_params`` / ``trainable_params`` count the module's parameters and its descendants'
    (each once). ``shown_params`` is what the Param # column shows: that count for a leaf or a
    row at the depth limit, the module's own parameters for a row whose children are shown, 0
    for a recursive call. ``shared_params`` is how many of the shown ones an earlier row already
    showed. ``receptive_field``, ``jump`` and ``start`` are per spatial dim (None when unknown)."""

    name: str
    type: str
    depth: int
    depth_index: int | None
    is_leaf: bool
    is_recursive: bool
    input_shape: list | None
    output_shape: list | None
    kernel_size: list | int | None
    num_params: int
    trainable_params: int
    shown_params: int
    shared_params: int
    receptive_field: tuple | None
    jump: tuple | None
    start: tuple | None

    @property
    def title(self) -> str:
        """torchinfo's 'Type: depth-index' ('Type' for the model itself)."""
        if self.depth == 0:
            return self.type
        return f"{self.type}: {self.depth}" + (
            f"-{self.depth_index}" if self.depth_index is not None else "")

    def cells(self) -> dict:
        """The row's value per column, as text."""
        return {
            "input_size": _shape_str(self.input_shape),
            "output_size": _shape_str(self.output_shape),
            "num_params": self._params_str(),
            "kernel_size": "--" if self.kernel_size is None else str(self.kernel_size),
            "receptive_field": format_dims(self.receptive_field),
            "jump": format_dims(self.jump),
            "trainable": ("--" if self.num_params == 0 else "False" if not self.trainable_params
                          else "True" if self.trainable_params == self.num_params
                          else "Partial"),
        }

    def _params_str(self) -> str:
        if self.is_recursive:
            return "(recursive)" if self.num_params else "--"
        if self.shown_params == 0:
            return "--"
        text = f"{self.shown_params:,}"
        if self.trainable_params == 0:
            text = f"({text})"
        if self.shared_params:
            text += f" ({self.shared_params:,} shared)"
        return text


def _shape_str(shape) -> str:
    return "--" if shape is None else str(list(shape))


@dataclass
class _Call:
    """What the hooks record about one module call."""

    module: nn.Module
    name: str
    depth: int
    depth_index: int | None
    is_recursive: bool
    input_shape: list | None
    output_shape: list | None = None
    output_bytes: int = 0
    field: Field | None = None
    is_leaf: bool = dataclass_field(init=False)

    def __post_init__(self) -> None:
        self.is_leaf = next(iter(self.module.children()), None) is None


def _tensors(obj) -> list[Tensor]:
    """The tensors in ``obj`` (a tensor, or nested tuples / lists / dicts of them), in order."""
    found, stack = [], [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            found.append(item)
        elif isinstance(item, (tuple, list)):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
    return found


class _Recorder:
    """The hooks: one ``_Call`` per module call, nested by the call stack, with each output
    tensor's field kept in ``fields`` (by id, with the tensor, so ids are not reused)."""

    def __init__(self, names: dict[int, str]) -> None:
        self.names = names
        self.calls: list[_Call] = []
        self.stack: list[_Call] = []
        self.counters: dict[int, int] = {}
        self.ran: set[int] = set()
        self.fields: dict[int, tuple[Tensor, Field | None]] = {}

    def track_inputs(self, inputs: list[Tensor]) -> None:
        """The model's (N, C, *spatial) float inputs: each position sees itself."""
        for t in inputs:
            if t.is_floating_point() and t.ndim >= 3:
                self.fields[id(t)] = (t, Field.identity(t.ndim - 2))

    def field_of(self, t: Tensor) -> Field | None:
        """A tensor's field: its own when a layer made it or it was seen before, else (seen
        now, and kept) the largest among the fields of the tensors of its spatial size so far
        (see the module docstring)."""
        entry = self.fields.get(id(t))
        if entry is not None and entry[0] is t:
            return entry[1]
        found = None
        if t.ndim >= 3:
            same = [f for x, f in self.fields.values()
                    if f is not None and x.ndim == t.ndim and x.shape[2:] == t.shape[2:]]
            found = max(same, key=lambda f: f.r, default=None)
        self.fields[id(t)] = (t, found)
        return found

    def pre_hook(self, module: nn.Module, args: tuple) -> None:
        depth = len(self.stack)
        index = None
        if depth:
            index = self.counters[depth] = self.counters.get(depth, 0) + 1
        inputs = _tensors(args)
        for t in inputs:
            self.field_of(t)        # an input's field is fixed when a module first sees it
        call = _Call(module, self.names[id(module)], depth, index, id(module) in self.ran,
                     list(inputs[0].shape) if inputs else None)
        self.ran.add(id(module))
        self.calls.append(call)
        self.stack.append(call)

    def hook(self, module: nn.Module, args: tuple, output) -> None:
        call = self.stack.pop()
        outs = _tensors(output)
        call.output_shape = list(outs[0].shape) if outs else None
        call.output_bytes = sum(t.nbytes for t in outs)
        if call.is_leaf:
            inputs = _tensors(args)
            f_in = self.field_of(inputs[0]) if inputs else None
            f_out = None if f_in is None else layer_field(module, tuple(inputs[0].shape), f_in)
            for t in outs:
                self.fields[id(t)] = (t, f_out)
        else:
            for t in outs:
                self.field_of(t)
        call.field = self.field_of(outs[0]) if outs else None


def _run(model: nn.Module, inputs: list[Tensor], kwargs: dict, mode: str,
         names: dict[int, str]) -> list[_Call]:
    """One forward pass under no_grad in ``mode`` with the recorder's hooks; the modules'
    training flags and hooks are as before afterwards."""
    recorder = _Recorder(names)
    recorder.track_inputs(inputs)
    modules = list(model.modules())
    flags = [(m, m.training) for m in modules]
    handles = []
    try:
        for m in modules:
            handles.append(m.register_forward_pre_hook(recorder.pre_hook))
            handles.append(m.register_forward_hook(recorder.hook))
        model.train(mode == "train")
        with no_grad():
            model(*inputs, **kwargs)
    except Exception as e:
        ran = [f"{c.module._get_name()} ({c.name or 'model'})" for c in recorder.calls]
        raise RuntimeError(f"summary: the forward pass of {type(model).__name__} failed with "
                           f"{type(e).__name__}: {e}. Layers called so far: {ran}") from e
    finally:
        for h in handles:
            h.remove()
        for m, training in flags:
            m.training = training
    return recorder.calls


def _static_calls(model: nn.Module) -> list[_Call]:
    """Without an input: one row per module of the tree, depth by its dotted name."""
    calls, counters = [], {}
    for name, m in model.named_modules():
        depth = name.count(".") + 1 if name else 0
        index = None
        if depth:
            index = counters[depth] = counters.get(depth, 0) + 1
        calls.append(_Call(m, name, depth, index, False, None))
    return calls


def _unique_params(params) -> list:
    seen, out = set(), []
    for p in params:
        if p is not None and id(p) not in seen:
            seen.add(id(p))
            out.append(p)
    return out


def _rows(calls: list[_Call], depth: int) -> list[LayerRow]:
    """The table's rows (calls down to ``depth``), with the parameter columns filled in."""
    rows, shown_ids = [], set()
    for c in calls:
        if c.depth > depth:
            continue
        everything = _unique_params(c.module.parameters())
        if c.is_recursive:
            shown = []
        elif c.is_leaf or c.depth == depth:
            shown = everything
        else:
            shown = _unique_params(c.module._parameters.values())
        shared = sum(p.numel() for p in shown if id(p) in shown_ids)
        shown_ids.update(id(p) for p in shown)
        field_values = c.field.values() if c.field is not None else (None, None, None)
        kernel = getattr(c.module, "kernel_size", None)
        rows.append(LayerRow(
            name=c.name, type=c.module._get_name(), depth=c.depth, depth_index=c.depth_index,
            is_leaf=c.is_leaf, is_recursive=c.is_recursive, input_shape=c.input_shape,
            output_shape=c.output_shape,
            kernel_size=list(kernel) if isinstance(kernel, tuple) else kernel,
            num_params=sum(p.numel() for p in everything),
            trainable_params=sum(p.numel() for p in everything if p.requires_grad),
            shown_params=sum(p.numel() for p in shown), shared_params=shared,
            receptive_field=field_values[0], jump=field_values[1], start=field_values[2]))
    return rows


class ModelSummary:
    """What ``summary`` returns: ``rows`` (``LayerRow`` each), the totals (every parameter
    counted once) and the sizes in bytes; ``str()`` is the table.

    ``input_bytes`` and ``forward_backward_bytes`` (every leaf call's output, twice: the value
    and its gradient) are None when no forward pass ran."""

    def __init__(self, rows: list[LayerRow], total_params: int, trainable_params: int,
                 param_bytes: int, input_bytes: int | None, forward_backward_bytes: int | None,
                 col_names: tuple, col_width: int) -> None:
        self.rows = rows
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.non_trainable_params = total_params - trainable_params
        self.param_bytes = param_bytes
        self.input_bytes = input_bytes
        self.forward_backward_bytes = forward_backward_bytes
        self.col_names = col_names
        self.col_width = col_width

    @property
    def total_bytes(self) -> int:
        """Input, forward/backward and parameter bytes together."""
        return self.param_bytes + (self.input_bytes or 0) + (self.forward_backward_bytes or 0)

    def _name_width(self) -> int:
        """40, or the longest indented title rounded up to a multiple of 5 (torchinfo)."""
        longest = max((len(r.title) + 5 * r.depth + 1 for r in self.rows), default=0)
        return max(_NAME_WIDTH, -(-longest // 5) * 5)

    def _line(self, name: str, cells: dict, width: int) -> str:
        text = f"{name:<{width}} " + "".join(f"{cells[c]:<{self.col_width}} "
                                             for c in self.col_names)
        return text.rstrip()

    def __str__(self) -> str:
        width = self._name_width()
        rule = "=" * (width + self.col_width * len(self.col_names))
        lines = [rule, self._line("Layer (type:depth-idx)", COLUMNS, width), rule]
        for r in self.rows:
            prefix = ("" if r.depth == 0 else "├─" if r.depth == 1
                      else "│    " * (r.depth - 1) + "└─")
            lines.append(self._line(prefix + r.title, r.cells(), width))
        lines += [rule, f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.non_trainable_params:,}", rule]
        if self.input_bytes is not None:
            lines += [f"Input size (MB): {self.input_bytes / 1e6:,.2f}",
                      f"Forward/backward pass size (MB): "
                      f"{self.forward_backward_bytes / 1e6:,.2f}"]
        lines.append(f"Params size (MB): {self.param_bytes / 1e6:,.2f}")
        if self.input_bytes is not None:
            lines.append(f"Estimated Total Size (MB): {self.total_bytes / 1e6:,.2f}")
        lines.append(rule)
        return "\n".join(lines)

    __repr__ = __str__


def _is_shape(x) -> bool:
    return (isinstance(x, (tuple, list)) and len(x) > 0
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in x))


def _make_inputs(input_size, input_data, dtypes) -> list[Tensor] | None:
    """The forward pass's positional inputs: zeros of each size in ``input_size`` (in
    ``dtypes``, default the default dtype) or ``input_data``; None when neither is given."""
    if input_size is not None and input_data is not None:
        raise ValueError("summary: give input_size or input_data, not both")
    if input_data is not None:
        data = [input_data] if isinstance(input_data, Tensor) else input_data
        if not (isinstance(data, (tuple, list)) and all(isinstance(t, Tensor) for t in data)):
            raise TypeError(f"summary: input_data must be a Tensor or a list/tuple of Tensors, "
                            f"got {type(input_data).__name__}")
        if dtypes is not None:
            raise ValueError("summary: dtypes only applies to input_size (input_data has its "
                             "own dtypes)")
        return list(data)
    if input_size is None:
        if dtypes is not None:
            raise ValueError("summary: dtypes needs input_size")
        return None
    sizes = [input_size] if _is_shape(input_size) else input_size
    if not (isinstance(sizes, (tuple, list)) and sizes and all(_is_shape(s) for s in sizes)):
        raise ValueError(f"summary: input_size must be a shape with the batch dim first, e.g. "
                         f"(1, 3, 32, 32), or a list of shapes (one per input); got "
                         f"{input_size!r}")
    if dtypes is None:
        dtypes = [get_default_dtype()] * len(sizes)
    if (not isinstance(dtypes, (tuple, list)) or len(dtypes) != len(sizes)
            or not all(isinstance(d, Dtype) for d in dtypes)):
        raise ValueError(f"summary: dtypes must be a list of {len(sizes)} chainrule dtype(s), "
                         f"one per input, got {dtypes!r}")
    return [zeros(tuple(s), dtype=d) for s, d in zip(sizes, dtypes)]


def summary(model: nn.Module, input_size=None, input_data=None, dtypes=None, depth: int = 3,
            col_names=None, col_width: int = 25, mode: str = "eval", **kwargs) -> ModelSummary:
    """A torchinfo-like summary of ``model``: one row per layer call with its output shape,
    parameter count, receptive field and jump, then the totals (see the module docstring).

    ``input_size``: the input's shape with the batch dim, e.g. (1, 3, 32, 32), or a list of
    shapes for several inputs (zeros in ``dtypes``, one dtype per input, default the default
    dtype); or ``input_data``: a Tensor or a list of Tensors. With neither, no forward pass runs
    and the rows are the module tree without shapes. ``depth``: rows nested deeper are left out
    (their parameters still count). ``col_names``: some of ``COLUMNS`` ('input_size',
    'output_size', 'num_params', 'kernel_size', 'receptive_field', 'jump', 'trainable'); the
    default is output_size, num_params, receptive_field and jump, the last two only when some
    layer has a field. ``mode``: 'eval' or 'train' during the pass (the modules' own flags are
    restored afterwards). Other keyword arguments go to ``model.forward``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"summary: model must be a chainrule.nn.Module, got "
                        f"{type(model).__name__}")
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise ValueError(f"summary: depth must be an int >= 0, got {depth!r}")
    if col_names is not None:
        if isinstance(col_names, str):
            col_names = (col_names,)
        unknown = [c for c in col_names if c not in COLUMNS]
        if unknown:
            raise ValueError(f"summary: unknown column(s) {unknown}; choose from "
                             f"{list(COLUMNS)}")
    if not isinstance(col_width, int) or col_width < 1:
        raise ValueError(f"summary: col_width must be a positive int, got {col_width!r}")
    if mode not in ("eval", "train"):
        raise ValueError(f"summary: mode must be 'eval' or 'train', got {mode!r}")
    inputs = _make_inputs(input_size, input_data, dtypes)
    names: dict[int, str] = {}
    for name, m in model.named_modules():
        names.setdefault(id(m), name)
    if inputs is None:
        calls = _static_calls(model)
    else:
        calls = _run(model, inputs, kwargs, mode, names)
    rows = _rows(calls, depth)
    if col_names is None:
        has_field = any(r.receptive_field is not None for r in rows)
        col_names = tuple(c for c in _DEFAULT_COLUMNS
                          if has_field or c not in ("receptive_field", "jump"))
    params = list(model.parameters())
    return ModelSummary(
        rows, total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        param_bytes=sum(p.nbytes for p in params),
        input_bytes=None if inputs is None else sum(t.nbytes for t in inputs),
        forward_backward_bytes=None if inputs is None else 2 * sum(
            c.output_bytes for c in calls if c.is_leaf),
        col_names=tuple(col_names), col_width=col_width)
