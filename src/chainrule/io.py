"""Saving and loading: ``chainrule.save`` / ``chainrule.load`` in the safetensors format, and
PyTorch state_dict interop. Never pickle: a file holds tensor bytes and JSON text only, so
loading it cannot run code.

The safetensors layout::

    8 bytes   N, the length of the header (unsigned, little-endian)
    N bytes   the header, a JSON object (padded with spaces to a multiple of 8 bytes):
                {name: {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
                 "__metadata__": {str: str}}
    the rest  the tensors' raw little-endian bytes, back to back; ``data_offsets`` count from
              the start of this part, and the tensors cover it exactly

How ``save`` maps an object onto it: every tensor and NumPy array inside the object is one named
entry, named by its path of keys joined with dots (``{'model': {'layer1.weight': t}}`` stores
``t`` as ``'model.layer1.weight'``; a flat state_dict keeps its own keys, so torch tools read it
as they read their own files). Everything else -- dicts (str or int keys), lists, tuples,
numbers, strings, None, and references to the named entries -- is JSON text under the metadata
key ``'chainrule'``. Keys round-trip through that JSON, so names only need to be unique and
readable: when two paths give the same name (``{'a.b': x, 'a': {'b': y}}``) the later one gets
a ``~1`` suffix.
"""
from __future__ import annotations

import json
import math
import os
import sys
from collections import OrderedDict
from typing import Any, Callable, Mapping

from . import backend
from .backend import np, from_np_dtype
from .tensor import Tensor

__all__ = ["save", "load", "load_torch_state_dict", "to_torch_state_dict",
           "from_torch_state_dict"]

_FORMAT_VERSION = 1
_METADATA_KEY = "chainrule"
_MAX_HEADER = 100_000_000            # bytes, the limit the safetensors library enforces too

# safetensors dtype codes with a NumPy equivalent (BF16 and the F8 types have none)
_DTYPES = {"BOOL": np.dtype(np.bool_), "U8": np.dtype(np.uint8), "I8": np.dtype(np.int8),
           "I16": np.dtype(np.int16), "U16": np.dtype(np.uint16), "I32": np.dtype(np.int32),
           "U32": np.dtype(np.uint32), "I64": np.dtype(np.int64), "U64": np.dtype(np.uint64),
           "F16": np.dtype(np.float16), "F32": np.dtype(np.float32),
           "F64": np.dtype(np.float64)}
_CODES = {dt: code for code, dt in _DTYPES.items()}



# ---------------------------------------------------------------------------- public API
def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` to ``path`` as a safetensors file, atomically.

    ``obj`` may nest dicts (str or int keys; OrderedDicts stay OrderedDicts), lists and tuples
    of tensors, NumPy arrays and plain values (int, float, bool, str, None), e.g.
    ``{'model': model.state_dict(), 'optimizer': opt.state_dict(), 'epoch': 3}``. The file is
    written to a temporary file in the same folder, flushed and fsynced, then renamed over
    ``path``: a failed save leaves the old file as it was.
    """
    path = _check_path(path, "save")
    encoder = _Encoder()
    try:
        structure = encoder.encode(obj, ())
    except RecursionError:
        raise ValueError("chainrule.save: the object is nested too deeply to store") from None
    metadata = {"format": "pt",
                _METADATA_KEY: json.dumps({"version": _FORMAT_VERSION, "object": structure},
                                          allow_nan=False)}
    _write_atomic(path, lambda f: _write_safetensors(f, encoder.arrays, metadata))


def load(path: str | os.PathLike, map_location=None, weights_only: bool = True) -> Any:
    """Read an object written by ``save``; tensors come back as new chainrule tensors without
    grad. A safetensors file from another tool (``safetensors.torch.save_file``) loads as a dict
    of its tensors by name.

    ``map_location`` may be None, ``'cpu'`` or a ``chainrule.device``. ``weights_only`` is
    accepted for torch's signature: the format holds data only, so both values read the same
    way and nothing is ever executed. A damaged or tampered file raises a ValueError that names
    the file and what is wrong with it.
    """
    path = _check_path(path, "load")
    if map_location is not None and not isinstance(map_location, (str, backend.device)):
        raise TypeError(f"chainrule.load: map_location must be None, a str or a device, got "
                        f"{type(map_location).__name__}")
    backend.check_device(map_location, "chainrule.load")
    if not isinstance(weights_only, bool):
        raise TypeError(f"chainrule.load: weights_only must be a bool, got "
                        f"{type(weights_only).__name__}")
    if _is_torch_file(path):
        raise _bad(path, "this is a torch.save (pickle) file, which chainrule.load never "
                         "unpickles; read a state_dict from it with "
                         "chainrule.io.load_torch_state_dict")
    arrays, metadata = _read_safetensors(path)
    if metadata is None or _METADATA_KEY not in metadata:
        return _tensors_by_name(path, arrays)
    return _Decoder(path, arrays).decode_document(metadata[_METADATA_KEY])


def load_torch_state_dict(path: str | os.PathLike) -> "OrderedDict[str, Tensor]":
    """The tensors of a PyTorch checkpoint by name, as chainrule tensors, ready for
    ``model.load_state_dict``.

    Reads a safetensors file (``safetensors.torch.save_file``, ``chainrule.save``) directly, and
    a ``.pt``/``.pth`` file of ``torch.save`` with ``torch.load(path, weights_only=True)``,
    torch's loader that accepts tensors and containers only (this needs torch installed).
    """
    path = _check_path(path, "load_torch_state_dict")
    if not _is_torch_file(path):
        arrays, _ = _read_safetensors(path)
        return OrderedDict(_tensors_by_name(path, arrays))
    try:
        import torch
    except ImportError:
        raise ImportError(f"load_torch_state_dict: {path} was written by torch.save; reading it "
                          f"needs torch (pip install torch), or save it as safetensors") from None
    state_dict = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state_dict, Mapping):
        raise ValueError(f"load_torch_state_dict: {path} holds a {type(state_dict).__name__}, "
                         f"not a state_dict")
    return from_torch_state_dict(state_dict)


def to_torch_state_dict(state_dict: Mapping[str, Any]) -> "OrderedDict[str, Any]":
    """A copy of a chainrule state_dict (tensors or NumPy arrays by name) as torch tensors, for
    ``torch_model.load_state_dict``."""
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch_state_dict needs torch (pip install torch)") from None
    out = OrderedDict()
    for key, value in state_dict.items():
        if isinstance(value, Tensor):
            value = value._data
        elif not isinstance(value, np.ndarray):
            raise TypeError(f"to_torch_state_dict: {key!r} is a {type(value).__name__}, "
                            f"expected a chainrule Tensor or NumPy array")
        out[key] = torch.from_numpy(np.array(value, dtype=value.dtype.newbyteorder("=")))
    return out


def from_torch_state_dict(state_dict: Mapping[str, Any]) -> "OrderedDict[str, Tensor]":
    """A copy of a torch state_dict (torch tensors by name) as chainrule tensors."""
    torch = sys.modules.get("torch")
    out = OrderedDict()
    for key, value in state_dict.items():
        if torch is None or not isinstance(value, torch.Tensor):
            raise TypeError(f"from_torch_state_dict: {key!r} is a {type(value).__name__}, "
                            f"expected a torch.Tensor")
        try:
            array = value.detach().cpu().numpy()
        except TypeError:
            raise TypeError(f"from_torch_state_dict: {key!r} has dtype {value.dtype}, which "
                            f"NumPy cannot hold; convert it first (e.g. .float())") from None
        try:
            from_np_dtype(array.dtype)
        except TypeError as e:
            raise TypeError(f"from_torch_state_dict: {key!r}: {e}") from None
        out[key] = Tensor._make(array.copy())
    return out


# ---------------------------------------------------------------------------- object <-> JSON
def _where(path: tuple) -> str:
    return "obj" + "".join(f"[{k!r}]" for k in path)


class _Encoder:
    """Turns an object into a JSON structure plus the arrays it refers to by name.

    Plain values are themselves; everything else is a one-key object: ``{"dict": [[key, value],
    ...]}``, ``{"odict": ...}``, ``{"list": [...]}``, ``{"tuple": [...]}``, ``{"tensor": name}``,
    ``{"array": name}`` and ``{"float": "inf" | "-inf" | "nan"}`` (JSON has no such numbers).
    """

    def __init__(self) -> None:
        self.arrays: dict[str, Any] = {}
        self._open: set[int] = set()          # containers on the current path (cycle check)

    def encode(self, obj: Any, path: tuple) -> Any:
        if obj is None or isinstance(obj, bool):
            return obj
        if isinstance(obj, (int, str)):
            return int(obj) if isinstance(obj, int) else str(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"float": repr(float(obj))}
        if isinstance(obj, Tensor):
            return {"tensor": self._add(obj._data, path)}
        if isinstance(obj, np.ndarray):
            return {"array": self._add(obj, path)}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self._open:
                raise ValueError(f"chainrule.save: {_where(path)} contains itself (a cycle)")
            self._open.add(id(obj))
            try:
                return self._encode_container(obj, path)
            finally:
                self._open.discard(id(obj))
        hint = " (use .item() for a NumPy scalar)" if isinstance(obj, np.generic) else ""
        raise TypeError(f"chainrule.save: cannot store a {type(obj).__name__} at {_where(path)}"
                        f"{hint}; supported are dicts, lists, tuples, tensors, NumPy arrays, "
                        f"int, float, bool, str and None")

    def _encode_container(self, obj, path: tuple) -> dict:
        if isinstance(obj, dict):
            for key in obj:
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(f"chainrule.save: {_where(path)} has a key {key!r} of type "
                                    f"{type(key).__name__}; keys must be str or int")
            items = [[self.encode(k, ()), self.encode(v, path + (k,))] for k, v in obj.items()]
            return {"odict" if isinstance(obj, OrderedDict) else "dict": items}
        tag = "tuple" if isinstance(obj, tuple) else "list"
        return {tag: [self.encode(v, path + (i,)) for i, v in enumerate(obj)]}

    def _add(self, array, path: tuple) -> str:
        """Store ``array`` under a new name made from ``path``; return the name."""
        dt = array.dtype.newbyteorder("=")
        if dt not in _CODES:
            raise TypeError(f"chainrule.save: {_where(path)} has dtype {array.dtype}, which the "
                            f"format cannot store (supported: "
                            f"{', '.join(str(d) for d in _CODES)})")
        base = ".".join(str(k) for k in path) or "tensor"
        name, n = base, 0
        while name in self.arrays or name == "__metadata__":
            n += 1
            name = f"{base}~{n}"
        self.arrays[name] = array
        return name


class _Decoder:
    """Rebuilds the object from the JSON structure, checking every node (a tampered structure
    raises a ValueError naming the file and the place)."""

    def __init__(self, path: str, arrays: dict[str, Any]) -> None:
        self.path = path
        self.arrays = arrays
        self.used: set[str] = set()

    def bad(self, where: tuple, what: str) -> ValueError:
        return _bad(self.path, f"metadata structure at {_where(where)}: {what}")

    def decode_document(self, text: str) -> Any:
        try:
            doc = _strict_json(text)
        except (ValueError, RecursionError) as e:
            raise _bad(self.path, f"the '{_METADATA_KEY}' metadata is not valid JSON "
                                  f"({e})") from None
        if not isinstance(doc, dict) or set(doc) != {"version", "object"}:
            raise _bad(self.path, f"the '{_METADATA_KEY}' metadata must be an object with "
                                  f"'version' and 'object'")
        if doc["version"] != _FORMAT_VERSION:
            raise _bad(self.path, f"format version {doc['version']!r} is not supported (this "
                                  f"chainrule reads version {_FORMAT_VERSION})")
        try:
            obj = self.decode(doc["object"], ())
        except RecursionError:
            raise _bad(self.path, "the metadata structure is nested too deeply") from None
        unused = [name for name in self.arrays if name not in self.used]
        if unused:
            raise _bad(self.path, f"tensor {unused[0]!r} is not referenced by the metadata "
                                  f"structure")
        return obj

    def decode(self, node: Any, where: tuple) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or len(node) != 1:
            raise self.bad(where, f"expected a plain value or a one-key object, got "
                                  f"{json.dumps(node)[:80]}")
        ((tag, value),) = node.items()
        if tag in ("list", "tuple"):
            if not isinstance(value, list):
                raise self.bad(where, f"'{tag}' must hold a JSON array")
            items = [self.decode(v, where + (i,)) for i, v in enumerate(value)]
            return tuple(items) if tag == "tuple" else items
        if tag in ("dict", "odict"):
            return self._decode_dict(tag, value, where)
        if tag in ("tensor", "array"):
            return self._take(tag, value, where)
        if tag == "float" and value in ("inf", "-inf", "nan"):
            return float(value)
        raise self.bad(where, f"unknown node {json.dumps(node)[:80]}")

    def _decode_dict(self, tag: str, value: Any, where: tuple) -> dict:
        out = OrderedDict() if tag == "odict" else {}
        if not isinstance(value, list):
            raise self.bad(where, f"'{tag}' must hold a JSON array of [key, value] pairs")
        for pair in value:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise self.bad(where, f"'{tag}' entries must be [key, value] pairs")
            key = pair[0]
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise self.bad(where, f"dict key {json.dumps(key)[:80]} is not a str or int")
            if key in out:
                raise self.bad(where, f"dict key {key!r} appears twice")
            out[key] = self.decode(pair[1], where + (key,))
        return out

    def _take(self, tag: str, name: Any, where: tuple):
        if not isinstance(name, str) or name not in self.arrays:
            raise self.bad(where, f"refers to a tensor {name!r} that the file does not hold")
        if name in self.used:
            raise self.bad(where, f"refers to tensor {name!r} a second time")
        self.used.add(name)
        array = self.arrays[name]
        if tag == "array":
            return array
        return _as_tensor(self.path, name, array)


def _as_tensor(path: str, name: str, array) -> Tensor:
    try:
        from_np_dtype(array.dtype)
    except TypeError:
        raise _bad(path, f"tensor {name!r} has dtype {_CODES[array.dtype]}, which chainrule "
                         f"tensors do not support") from None
    return Tensor._make(array)


def _tensors_by_name(path: str, arrays: dict[str, Any]) -> dict[str, Tensor]:
    return {name: _as_tensor(path, name, a) for name, a in arrays.items()}


# ---------------------------------------------------------------------------- safetensors
def _write_safetensors(f, arrays: dict[str, Any], metadata: dict[str, str]) -> None:
    """Write the header and the arrays' bytes. The data is laid out widest item first, so every
    tensor starts at a multiple of its item size (the header is padded to 8 bytes)."""
    layout = sorted(arrays, key=lambda name: -arrays[name].dtype.itemsize)
    offsets, pos = {}, 0
    for name in layout:
        offsets[name] = [pos, pos + arrays[name].nbytes]
        pos += arrays[name].nbytes
    header: dict[str, Any] = {"__metadata__": metadata}
    for name, a in arrays.items():
        header[name] = {"dtype": _CODES[a.dtype.newbyteorder("=")], "shape": list(a.shape),
                        "data_offsets": offsets[name]}
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("ascii")
    text += b" " * (-len(text) % 8)
    f.write(len(text).to_bytes(8, "little"))
    f.write(text)
    for name in layout:
        a = arrays[name]
        f.write(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")))


def _read_safetensors(path: str) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The arrays (by name, in header order) and the metadata of a safetensors file, every
    part of it checked."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise _bad(path, f"truncated: {size} bytes, too short for the 8-byte header length")
        n = int.from_bytes(f.read(8), "little")
        if n > _MAX_HEADER:
            raise _bad(path, f"the header length {n} is over the {_MAX_HEADER}-byte limit")
        if 8 + n > size:
            raise _bad(path, f"truncated: the header is {n} bytes but only {size - 8} follow "
                             f"the header length")
        entries, metadata = _parse_header(path, f.read(n), size - 8 - n)
        arrays = {}
        for name, (dt, shape, begin) in entries.items():
            f.seek(8 + n + begin)
            arrays[name] = _read_array(path, f, name, dt, shape)
    return arrays, metadata


def _read_array(path: str, f, name: str, dt, shape: tuple):
    """Read one tensor's bytes straight into a new array (native byte order)."""
    stored = np.dtype(np.uint8) if dt == np.bool_ else dt.newbyteorder("<")
    array = np.empty(shape, stored)
    if array.nbytes and f.readinto(array.reshape(-1).view(np.uint8)) != array.nbytes:
        raise _bad(path, f"truncated while reading tensor {name!r}")
    if dt == np.bool_:
        if array.size and array.max() > 1:
            raise _bad(path, f"tensor {name!r} of dtype BOOL holds bytes other than 0 and 1")
        return array.view(np.bool_)
    return array.astype(dt, copy=False)


def _parse_header(path: str, raw: bytes, data_size: int):
    """Check the header against the format and the data size: every entry well formed, the
    tensors covering the data exactly (no byte out of range, overlapping, or left over)."""
    try:
        header = _strict_json(raw.decode("utf-8"))
    except (ValueError, RecursionError) as e:
        raise _bad(path, f"the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise _bad(path, "the header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(v, str) for v in metadata.values())):
        raise _bad(path, "'__metadata__' must map strings to strings")
    entries, spans = {}, []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise _bad(path, f"tensor {name!r} must have exactly 'dtype', 'shape' and "
                             f"'data_offsets'")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if code not in _DTYPES:
            raise _bad(path, f"tensor {name!r} has unknown dtype {code!r} (readable: "
                             f"{', '.join(_DTYPES)})")
        if not (isinstance(shape, list) and all(_is_count(s) for s in shape)):
            raise _bad(path, f"tensor {name!r} has an invalid shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))
                and offsets[0] <= offsets[1]):
            raise _bad(path, f"tensor {name!r} has invalid data_offsets {offsets!r}")
        begin, end = offsets
        if end > data_size:
            raise _bad(path, f"truncated or offsets out of range: tensor {name!r} ends at byte "
                             f"{end} of the data, which has {data_size} bytes")
        dt = _DTYPES[code]
        if math.prod(shape) * dt.itemsize != end - begin:
            raise _bad(path, f"tensor {name!r}: shape {shape} of {code} needs "
                             f"{math.prod(shape) * dt.itemsize} bytes but data_offsets span "
                             f"{end - begin}")
        entries[name] = (dt, tuple(shape), begin)
        spans.append((begin, end, name))
    pos = 0
    for begin, end, name in sorted(spans):
        if begin < pos:
            raise _bad(path, f"tensor {name!r} overlaps the tensor before it (data_offsets "
                             f"{[begin, end]})")
        if begin > pos:
            raise _bad(path, f"{begin - pos} unused bytes before tensor {name!r}")
        pos = end
    if pos != data_size:
        raise _bad(path, f"{data_size - pos} bytes after the last tensor")
    return entries, metadata


def _strict_json(text: str) -> Any:
    """json.loads that refuses duplicate keys and the non-standard NaN/Infinity."""
    def pairs(items):
        out = {}
        for k, v in items:
            if k in out:
                raise ValueError(f"duplicate key {k!r}")
            out[k] = v
        return out

    def constant(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)


def _is_count(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


# ---------------------------------------------------------------------------- files
def _bad(path: str, what: str) -> ValueError:
    return ValueError(f"cannot load {path}: {what}")


def _check_path(path, op: str) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"chainrule.{op}: path must be a str or os.PathLike, got "
                        f"{type(path).__name__}")
    return os.fspath(path)


def _is_torch_file(path: str) -> bool:
    """Whether ``path`` was written by torch.save: a zip archive, or (the legacy format) a bare
    pickle, whose first byte is the PROTO opcode 0x80. A safetensors file has '{' at byte 8."""
    with open(path, "rb") as f:
        head = f.read(9)
    return head.startswith(b"PK\x03\x04") or (head[:1] == b"\x80" and head[8:9] != b"{")


def _write_atomic(path: str, write: Callable) -> None:
    """Run ``write(file)`` on a temporary file beside ``path``, fsync it and rename it over
    ``path``; on any failure the temporary file is removed and ``path`` is untouched."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.urandom(6).hex()}.tmp")
    try:
        with open(tmp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if os.name == "posix":              # make the rename itself durable
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
