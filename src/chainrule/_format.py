"""torch-like printing of tensors: ``tensor([1.0000, 2.5000], requires_grad=True)``."""
from __future__ import annotations

from .backend import np, get_default_dtype

_PLAIN_DTYPES = ("int64", "bool")


def _format_array(a) -> str:
    kind = a.dtype.kind
    opts = dict(separator=", ", prefix="tensor(", threshold=1000, edgeitems=3,
                max_line_width=80)
    if kind == "f" and a.size:
        finite = a[np.isfinite(a)]
        if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e8:
            fmt = lambda v: _float_int(v)  # noqa: E731
        elif finite.size and (np.abs(finite).max() >= 1e8 or
                              np.abs(finite[finite != 0]).min(initial=1.0) < 1e-4):
            fmt = lambda v: f"{v:.4e}"  # noqa: E731
        else:
            fmt = lambda v: f"{v:.4f}" if np.isfinite(v) else _float_int(v)  # noqa: E731
        return np.array2string(a, formatter={"float_kind": fmt}, **opts)
    if kind == "b":
        return np.array2string(a, formatter={"bool": lambda v: "True" if v else "False"}, **opts)
    return np.array2string(a, **opts)


def _float_int(v) -> str:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.0f}."


def tensor_repr(t) -> str:
    a = t._data
    body = _format_array(a)
    extras = []
    if a.size == 0 and a.ndim != 1:
        body = "[]"
        extras.append(f"size={tuple(a.shape)}")
    name = t.dtype.name
    default = get_default_dtype().name
    if name not in _PLAIN_DTYPES and name != default:
        extras.append(f"dtype=chainrule.{name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
