"""Output shapes and receptive fields of convolution / pooling stacks, computed from the layers'
settings alone (no forward pass).

Per spatial dim, a layer with kernel k, stride s, padding p and dilation d has the effective
kernel k_eff = d (k - 1) + 1 and maps an input of size n to

    n_out = floor((n + 2p - k_eff) / s) + 1         (ceil in a pooling's ceil_mode, where the
                                                      last window must start inside the input or
                                                      its left padding, as torch)

and the field of its input (size r, jump j, centre of the first position's field start) to

    r_out = r + (k_eff - 1) j,    j_out = j s,    start_out = start + ((k_eff - 1) / 2 - p) j.

Coordinates are input indices (pixel i's centre is i), so the model's input has r = 1, j = 1,
start = 0, and output position o of a layer sees the input indices
[start + o j - (r - 1) / 2, start + o j + (r - 1) / 2] (clipped to the input).

A transposed convolution (ConvTranspose) maps n to (n - 1) s - 2p + k_eff + output_padding and
has j_out = j / s, start_out = start + (p - (k_eff - 1) / 2) j / s; how many of its inputs an
output sees depends on the output's position modulo s, and r_out = r + span j uses the largest
span (the widest spread of kernel taps m d that fall on the same residue modulo s, over s).
Pointwise layers (activations, dropout, batch / instance / group norm, Identity) keep the field;
Flatten and Linear end the spatial part (no field after them).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from .. import nn

__all__ = ["Field", "LayerField", "ReceptiveField", "receptive_field", "output_shape"]

_POINTWISE = (nn.Identity, nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU,
              nn.GELU, nn.SiLU, nn.Mish, nn.Tanh, nn.Sigmoid, nn.Hardtanh, nn.Hardsigmoid,
              nn.Hardswish, nn.LogSigmoid, nn.Softplus, nn.Softsign, nn.Tanhshrink, nn.Threshold,
              nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.BatchNorm1d,
              nn.BatchNorm2d, nn.InstanceNorm1d, nn.InstanceNorm2d, nn.GroupNorm)
_SPATIAL_DIMS = {nn.Conv1d: 1, nn.Conv2d: 2, nn.Conv3d: 3, nn.ConvTranspose1d: 1,
                 nn.ConvTranspose2d: 2, nn.ConvTranspose3d: 3, nn.MaxPool1d: 1, nn.MaxPool2d: 2,
                 nn.AvgPool1d: 1, nn.AvgPool2d: 2, nn.AdaptiveAvgPool1d: 1,
                 nn.AdaptiveAvgPool2d: 2, nn.AdaptiveAvgPool3d: 3, nn.AdaptiveMaxPool1d: 1,
                 nn.AdaptiveMaxPool2d: 2}
_SPEC_KINDS = ("conv", "pool", "conv_transpose", "pointwise", "flatten")


def _num(x: Fraction):
    """An exact value as an int when whole, else a float."""
    return int(x) if x.denominator == 1 else float(x)


@dataclass(frozen=True)
class Field:
    """The part of the input that a layer's output positions see, per spatial dim: size ``r``,
    jump ``j`` (input pixels between neighbouring outputs) and ``start`` (centre of output 0's
    field), all exact fractions."""

    r: tuple
    j: tuple
    start: tuple

    @classmethod
    def identity(cls, nd: int) -> "Field":
        """The input itself: every position sees one pixel, its own."""
        one, zero = Fraction(1), Fraction(0)
        return cls((one,) * nd, (one,) * nd, (zero,) * nd)

    def values(self) -> tuple:
        """(r, j, start) as tuples of ints (floats where not whole)."""
        return tuple(tuple(_num(v) for v in t) for t in (self.r, self.j, self.start))


def _per_dim(value, nd: int, what: str, where: str) -> tuple:
    """``value`` (an int or a sequence of nd ints) as a tuple of nd ints."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd
    if len(items) != nd or not all(isinstance(v, int) and not isinstance(v, bool)
                                   for v in items):
        raise ValueError(f"{where}: {what} must be an int or {nd} ints (one per spatial dim), "
                         f"got {value!r}")
    return items


def _check_shape(shape: tuple, nd: int, where: str) -> None:
    if len(shape) != nd + 2:
        raise ValueError(f"{where}: expected a {nd + 2}-D input (N, C, {nd} spatial dims), got "
                         f"shape {tuple(shape)}")


def _check_channels(shape: tuple, in_channels: int | None, where: str) -> None:
    if in_channels is not None and shape[1] != in_channels:
        raise ValueError(f"{where}: expected input{list(shape)} to have {in_channels} channels, "
                         f"but got {shape[1]} channels instead")


class _Sliding:
    """A convolution or pooling window (see the module docstring for the formulas)."""

    def __init__(self, where: str, nd: int, kernel, stride, padding, dilation,
                 ceil_mode: bool = False, pool: bool = False,
                 channels: tuple = (None, None)) -> None:
        self.where, self.nd, self.pool, self.ceil_mode = where, nd, pool, bool(ceil_mode)
        self.in_channels, self.out_channels = channels
        self.k = _per_dim(kernel, nd, "kernel_size", where)
        self.s = _per_dim(stride, nd, "stride", where)
        self.d = _per_dim(dilation, nd, "dilation", where)
        if isinstance(padding, str) and (pool or padding not in ("same", "valid")):
            raise ValueError(f"{where}: padding must be ints" + ("" if pool else
                             " or 'same' / 'valid'") + f", got {padding!r}")
        if padding == "valid":
            padding = 0
        if padding == "same":
            if any(s != 1 for s in self.s):
                raise ValueError(f"{where}: padding='same' is not supported for strided "
                                 f"convolutions")
            total = tuple(d * (k - 1) for d, k in zip(self.d, self.k))
            self.pad_left, self.pad_total = tuple(t // 2 for t in total), total
        else:
            p = _per_dim(padding, nd, "padding", where)
            self.pad_left, self.pad_total = p, tuple(2 * v for v in p)
        for name, vals, low in (("kernel_size", self.k, 1), ("stride", self.s, 1),
                                ("dilation", self.d, 1), ("padding", self.pad_left, 0)):
            if any(v < low for v in vals):
                raise ValueError(f"{where}: {name} must be >= {low}, got {vals}")
        self.k_eff = tuple(d * (k - 1) + 1 for d, k in zip(self.d, self.k))
        if pool and any(2 * p > k for p, k in zip(self.pad_left, self.k)):
            raise ValueError(f"{where}: pad should be at most half of kernel size (torch "
                             f"checks the kernel, not the dilated one), but got "
                             f"padding={self.pad_left}, kernel_size={self.k}")

    def _out_len(self, i: int, n: int) -> int:
        s, room = self.s[i], n + self.pad_total[i] - self.k_eff[i]
        if not self.ceil_mode:
            return room // s + 1 if room >= 0 else 0
        out = -(-room // s) + 1 if room >= 0 else 0
        if out > 0 and (out - 1) * s >= n + self.pad_left[i]:
            out -= 1
        return out

    def out_shape(self, shape: tuple) -> tuple:
        _check_shape(shape, self.nd, self.where)
        _check_channels(shape, self.in_channels, self.where)
        spatial = tuple(self._out_len(i, n) for i, n in enumerate(shape[2:]))
        if any(n < 1 for n in spatial):
            raise ValueError(f"{self.where}: input of spatial size {tuple(shape[2:])} with "
                             f"kernel_size={self.k}, dilation={self.d}, padding="
                             f"{self.pad_left}, stride={self.s} gives output size {spatial}; "
                             f"the input is too small")
        channels = shape[1] if self.out_channels is None else self.out_channels
        return (shape[0], channels) + spatial

    def field(self, f: Field, spatial: tuple | None) -> Field:
        return Field(
            tuple(r + (k - 1) * j for r, k, j in zip(f.r, self.k_eff, f.j)),
            tuple(j * s for j, s in zip(f.j, self.s)),
            tuple(st + (Fraction(k - 1, 2) - p) * j
                  for st, k, p, j in zip(f.start, self.k_eff, self.pad_left, f.j)))


class _Transposed:
    """A transposed convolution (see the module docstring for the formulas)."""

    def __init__(self, where: str, nd: int, kernel, stride, padding, output_padding, dilation,
                 channels: tuple = (None, None)) -> None:
        self.where, self.nd = where, nd
        self.in_channels, self.out_channels = channels
        self.k = _per_dim(kernel, nd, "kernel_size", where)
        self.s = _per_dim(stride, nd, "stride", where)
        self.p = _per_dim(padding, nd, "padding", where)
        self.op = _per_dim(output_padding, nd, "output_padding", where)
        self.d = _per_dim(dilation, nd, "dilation", where)
        for name, vals, low in (("kernel_size", self.k, 1), ("stride", self.s, 1),
                                ("dilation", self.d, 1), ("padding", self.p, 0),
                                ("output_padding", self.op, 0)):
            if any(v < low for v in vals):
                raise ValueError(f"{where}: {name} must be >= {low}, got {vals}")
        if any(o >= max(s, d) for o, s, d in zip(self.op, self.s, self.d)):
            raise ValueError(f"{where}: output padding must be smaller than either stride or "
                             f"dilation, got output_padding={self.op}, stride={self.s}, "
                             f"dilation={self.d}")
        self.k_eff = tuple(d * (k - 1) + 1 for d, k in zip(self.d, self.k))

    def out_shape(self, shape: tuple) -> tuple:
        _check_shape(shape, self.nd, self.where)
        _check_channels(shape, self.in_channels, self.where)
        spatial = tuple((n - 1) * s - 2 * p + k + o
                        for n, s, p, k, o in zip(shape[2:], self.s, self.p, self.k_eff, self.op))
        if any(n < 1 for n in spatial):
            raise ValueError(f"{self.where}: input of spatial size {tuple(shape[2:])} gives "
                             f"output size {spatial}; expected every size >= 1")
        channels = shape[1] if self.out_channels is None else self.out_channels
        return (shape[0], channels) + spatial

    def _span(self, i: int) -> int:
        """The most input positions (minus one) that one output position sees, in dim i."""
        taps: dict[int, list[int]] = {}
        for m in range(self.k[i]):
            taps.setdefault(m * self.d[i] % self.s[i], []).append(m * self.d[i])
        return max((max(t) - min(t)) // self.s[i] for t in taps.values())

    def field(self, f: Field, spatial: tuple | None) -> Field:
        return Field(
            tuple(r + self._span(i) * j for i, (r, j) in enumerate(zip(f.r, f.j))),
            tuple(j / s for j, s in zip(f.j, self.s)),
            tuple(st + (p - Fraction(k - 1, 2)) * j / s
                  for st, p, k, j, s in zip(f.start, self.p, self.k_eff, f.j, self.s)))


class _Adaptive:
    """Adaptive pooling to ``output_size``: a plain pooling with kernel = stride = n / out when
    the output size divides the input size; otherwise its windows vary and no field is given."""

    def __init__(self, where: str, nd: int, output_size) -> None:
        self.where, self.nd = where, nd
        sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (
            (output_size,) * nd)
        if len(sizes) != nd or not all(v is None or (isinstance(v, int) and v >= 1)
                                       for v in sizes):
            raise ValueError(f"{where}: output_size must be a positive int or {nd} of them "
                             f"(None keeps a size), got {output_size!r}")
        self.sizes = sizes

    def out_shape(self, shape: tuple) -> tuple:
        _check_shape(shape, self.nd, self.where)
        return tuple(shape[:2]) + tuple(n if o is None else o
                                        for n, o in zip(shape[2:], self.sizes))

    def field(self, f: Field, spatial: tuple | None) -> Field | None:
        if spatial is None:
            return None
        outs = tuple(n if o is None else o for n, o in zip(spatial, self.sizes))
        if any(n % o for n, o in zip(spatial, outs)):
            return None
        kernel = tuple(n // o for n, o in zip(spatial, outs))
        return _Sliding(self.where, self.nd, kernel, kernel, 0, 1, pool=True).field(f, spatial)


class _Pointwise:
    """A layer that works position by position: the shape and the field stay."""

    nd = None

    def __init__(self, where: str) -> None:
        self.where = where

    def out_shape(self, shape: tuple) -> tuple:
        return tuple(shape)

    def field(self, f: Field, spatial: tuple | None) -> Field:
        return f


class _Flatten:
    """``Flatten(start_dim, end_dim)``: the spatial part ends here."""

    nd = None

    def __init__(self, where: str, start_dim: int = 1, end_dim: int = -1) -> None:
        self.where, self.start_dim, self.end_dim = where, start_dim, end_dim

    def out_shape(self, shape: tuple) -> tuple:
        n = len(shape)
        lo = self.start_dim + n if self.start_dim < 0 else self.start_dim
        hi = self.end_dim + n if self.end_dim < 0 else self.end_dim
        if not (0 <= lo < n and 0 <= hi < n and lo <= hi):
            raise ValueError(f"{self.where}: start_dim={self.start_dim}, end_dim={self.end_dim} "
                             f"do not fit a {n}-D input of shape {tuple(shape)}")
        merged = 1
        for v in shape[lo:hi + 1]:
            merged *= v
        return tuple(shape[:lo]) + (merged,) + tuple(shape[hi + 1:])

    def field(self, f: Field, spatial: tuple | None) -> None:
        return None


class _Linear:
    """``Linear(in_features, out_features)`` on the last dim: the spatial part ends here."""

    nd = None

    def __init__(self, where: str, in_features: int, out_features: int) -> None:
        self.where, self.in_features, self.out_features = where, in_features, out_features

    def out_shape(self, shape: tuple) -> tuple:
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"{self.where}: expected the last dim of the input to be "
                             f"in_features={self.in_features}, got shape {tuple(shape)}")
        return tuple(shape[:-1]) + (self.out_features,)

    def field(self, f: Field, spatial: tuple | None) -> None:
        return None


def _module_nd(module: nn.Module) -> int | None:
    for cls, nd in _SPATIAL_DIMS.items():
        if isinstance(module, cls):
            return nd
    return None


def _from_module(module: nn.Module, nd: int, where: str):
    """The geometry of a chainrule layer, or None for a type it does not know."""
    m = module
    if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        return _Sliding(where, nd, m.kernel_size, m.stride, m.padding, m.dilation,
                        channels=(m.in_channels, m.out_channels))
    if isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
        return _Transposed(where, nd, m.kernel_size, m.stride, m.padding, m.output_padding,
                           m.dilation, channels=(m.in_channels, m.out_channels))
    if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)):
        return _Sliding(where, nd, m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode,
                        pool=True)
    if isinstance(m, (nn.AvgPool1d, nn.AvgPool2d)):
        return _Sliding(where, nd, m.kernel_size, m.stride, m.padding, 1, m.ceil_mode,
                        pool=True)
    if isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
                      nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)):
        return _Adaptive(where, nd, m.output_size)
    if isinstance(m, _POINTWISE):
        return _Pointwise(where)
    if isinstance(m, nn.Flatten):
        return _Flatten(where, m.start_dim, m.end_dim)
    if isinstance(m, nn.Linear):
        return _Linear(where, m.in_features, m.out_features)
    return None


_SPEC_ARGS = {   # positional order of a tuple spec after its kind, with defaults
    "conv": (("kernel_size", None), ("stride", 1), ("padding", 0), ("dilation", 1),
             ("out_channels", None)),
    "pool": (("kernel_size", None), ("stride", None), ("padding", 0), ("dilation", 1),
             ("ceil_mode", False)),
    "conv_transpose": (("kernel_size", None), ("stride", 1), ("padding", 0),
                       ("output_padding", 0), ("dilation", 1), ("out_channels", None)),
    "pointwise": (),
    "flatten": (("start_dim", 1), ("end_dim", -1)),
}


def _spec_args(spec, where: str) -> tuple[str, dict]:
    """A tuple ``('conv', 3, 2)`` or dict ``{'type': 'conv', 'kernel_size': 3, 'stride': 2}``
    as its kind and its full set of arguments."""
    if isinstance(spec, dict):
        kind, given = spec.get("type"), {k: v for k, v in spec.items() if k != "type"}
    else:
        kind, given = spec[0] if spec else None, None
    if kind not in _SPEC_KINDS:
        raise ValueError(f"{where}: unknown layer spec {spec!r}; the type must be one of "
                         f"{list(_SPEC_KINDS)}")
    names = [name for name, _ in _SPEC_ARGS[kind]]
    if given is None:
        if len(spec) - 1 > len(names):
            raise ValueError(f"{where}: {kind!r} takes at most {len(names)} values "
                             f"({', '.join(names)}), got {spec!r}")
        given = dict(zip(names, spec[1:]))
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown} for {kind!r}; expected some of "
                         f"{names}")
    args = {name: given.get(name, default) for name, default in _SPEC_ARGS[kind]}
    if "kernel_size" in args and args["kernel_size"] is None:
        raise ValueError(f"{where}: {kind!r} needs a kernel_size")
    return kind, args


def _spec_nd(spec) -> int | None:
    """The number of spatial dims a spec's tuple-valued arguments imply, if any."""
    values = spec.values() if isinstance(spec, dict) else spec[1:]
    lengths = {len(v) for v in values if isinstance(v, (tuple, list))}
    return lengths.pop() if len(lengths) == 1 else None


def _from_spec(spec, nd: int, where: str):
    kind, a = _spec_args(spec, where)
    if kind == "conv":
        return _Sliding(where, nd, a["kernel_size"], a["stride"], a["padding"], a["dilation"],
                        channels=(None, a["out_channels"]))
    if kind == "pool":
        stride = a["kernel_size"] if a["stride"] is None else a["stride"]
        return _Sliding(where, nd, a["kernel_size"], stride, a["padding"], a["dilation"],
                        a["ceil_mode"], pool=True)
    if kind == "conv_transpose":
        return _Transposed(where, nd, a["kernel_size"], a["stride"], a["padding"],
                           a["output_padding"], a["dilation"], channels=(None, a["out_channels"]))
    if kind == "flatten":
        return _Flatten(where, a["start_dim"], a["end_dim"])
    return _Pointwise(where)


def _layer_list(layers) -> list:
    """``layers`` (a Module, a Sequential or a list of layers and specs) as a flat list."""
    if isinstance(layers, nn.Module):
        layers = [layers]
    elif isinstance(layers, (tuple, list)) and layers and isinstance(layers[0], str):
        raise TypeError(f"receptive_field: expected a list of layers, got the single spec "
                        f"{layers!r}; wrap it in a list")
    elif not isinstance(layers, (tuple, list)):
        raise TypeError(f"receptive_field: expected a Sequential, a Module or a list of layers "
                        f"and specs, got {type(layers).__name__}")
    flat, stack = [], list(reversed(layers))
    while stack:
        layer = stack.pop()
        if isinstance(layer, nn.Sequential):
            stack.extend(reversed(list(layer)))
        elif isinstance(layer, (nn.Module, tuple, list, dict)):
            flat.append(layer)
        else:
            raise TypeError(f"receptive_field: a layer must be a chainrule Module, a tuple spec "
                            f"or a dict spec, got {type(layer).__name__}")
    return flat


def _layer_name(layer) -> str:
    if isinstance(layer, nn.Module):
        return type(layer).__name__
    return str(layer.get("type") if isinstance(layer, dict) else layer[0] if layer else "")


@dataclass(frozen=True)
class LayerField:
    """One layer of a stack: its output shape (None when no input shape was given), and the
    size ``r``, jump ``j`` and ``start`` of its output's field per spatial dim (None once Flatten
    or Linear ended the spatial part, or after a layer whose field is unknown)."""

    index: int
    name: str
    output_shape: tuple | None
    r: tuple | None
    j: tuple | None
    start: tuple | None


def format_dims(values) -> str:
    """A per-dim tuple as '5' when all dims agree, else '5x3'; '--' for None."""
    if values is None:
        return "--"
    if len(set(values)) == 1:
        return str(values[0])
    return "x".join(str(v) for v in values)


class ReceptiveField(Sequence):
    """What ``receptive_field`` returns: one ``LayerField`` per layer (indexable, iterable);
    ``str()`` is a table."""

    def __init__(self, layers: list[LayerField]) -> None:
        self.layers = layers

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __str__(self) -> str:
        head = ("#", "layer", "output shape", "r", "j", "start")
        body = [(str(f.index), f.name, "--" if f.output_shape is None else str(
            list(f.output_shape)), format_dims(f.r), format_dims(f.j), format_dims(f.start))
            for f in self.layers]
        widths = [max(len(row[c]) for row in [head] + body) for c in range(len(head))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                         for row in [head] + body)

    __repr__ = __str__


def _trace(layers, input_shape) -> list[LayerField]:
    flat = _layer_list(layers)
    if input_shape is not None:
        if not (isinstance(input_shape, (tuple, list)) and len(input_shape) >= 3
                and all(isinstance(v, int) and v >= 1 for v in input_shape)):
            raise ValueError(f"receptive_field: input_shape must be (N, C, *spatial) with "
                             f"positive ints, got {input_shape!r}")
        shape, nd = tuple(input_shape), len(input_shape) - 2
    else:
        shape = None
        dims = [_module_nd(x) if isinstance(x, nn.Module) else _spec_nd(x) for x in flat]
        nd = next((d for d in dims if d is not None), 1)
    field: Field | None = Field.identity(nd)
    rows = []
    for i, layer in enumerate(flat):
        where = f"receptive_field: layer {i} ({_layer_name(layer)})"
        if isinstance(layer, nn.Module):
            layer_nd = _module_nd(layer)
            if layer_nd is not None and layer_nd != nd:
                raise ValueError(f"{where}: a {layer_nd}-D layer in a stack over {nd} spatial "
                                 f"dims")
            geometry = _from_module(layer, nd, where)
            if geometry is None:
                raise TypeError(f"{where}: no geometry known for {type(layer).__name__}; "
                                f"supported: Conv, ConvTranspose, MaxPool, AvgPool, adaptive "
                                f"pooling, pointwise layers, Flatten, Linear")
        else:
            geometry = _from_spec(layer, nd, where)
        spatial = shape[2:] if shape is not None and len(shape) == nd + 2 else None
        if field is not None:
            field = geometry.field(field, spatial)
        if shape is not None:
            shape = geometry.out_shape(shape)
        values = field.values() if field is not None else (None, None, None)
        rows.append(LayerField(i, _layer_name(layer), shape, *values))
    return rows


def receptive_field(layers, input_shape: Sequence[int] | None = None) -> ReceptiveField:
    """Per layer of ``layers``: output shape, receptive field ``r``, jump ``j`` and ``start``
    (see the module docstring for the recurrences).

    ``layers`` is a ``Sequential``, a layer, or a list of chainrule layers (Conv1d/2d/3d,
    ConvTranspose1d/2d/3d, MaxPool1d/2d, AvgPool1d/2d, adaptive pooling, pointwise layers,
    Flatten, Linear; nested Sequentials are unrolled) and specs: tuples
    ``('conv', kernel_size, stride=1, padding=0, dilation=1, out_channels=None)``,
    ``('pool', kernel_size, stride=kernel_size, padding=0, dilation=1, ceil_mode=False)``,
    ``('conv_transpose', kernel_size, stride=1, padding=0, output_padding=0, dilation=1,
    out_channels=None)``, ``('pointwise',)``, ``('flatten', start_dim=1, end_dim=-1)``, or dicts
    ``{'type': 'conv', 'kernel_size': 3, ...}`` with the same names. Each value is an int or one
    int per spatial dim.

    ``input_shape`` is the batched input's shape (N, C, *spatial); without it the output shapes
    are None and the number of spatial dims comes from the layers (1 for all-int specs).
    """
    return ReceptiveField(_trace(layers, input_shape))


def output_shape(layers, input_shape: Sequence[int]) -> tuple:
    """The shape of ``layers``' output for an input of ``input_shape`` (N, C, *spatial), by
    torch's size formulas (floor, ceil_mode, padding, dilation, output_padding); a stack whose
    input is too small raises ValueError, where the real layers would fail. ``layers`` as in
    ``receptive_field``."""
    if input_shape is None:
        raise ValueError("output_shape: input_shape is required, e.g. (1, 3, 32, 32)")
    rows = _trace(layers, input_shape)
    return tuple(rows[-1].output_shape) if rows else tuple(input_shape)


def layer_field(module: nn.Module, input_shape: tuple, field: Field) -> Field | None:
    """The field of ``module``'s output given its input's shape and field, or None when the
    module's type has no known geometry or does not fit the input (used by ``summary``)."""
    nd = len(field.r)
    layer_nd = _module_nd(module)
    if (layer_nd is not None and layer_nd != nd) or len(input_shape) != nd + 2:
        return None
    geometry = _from_module(module, nd, type(module).__name__)
    return None if geometry is None else geometry.field(field, tuple(input_shape[2:]))
