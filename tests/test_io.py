"""chainrule.save / chainrule.load (safetensors, never pickle) and torch state_dict interop:
exact round trips of nested objects and every dtype, readable tensor names, atomic writes, a
clear ValueError for every kind of damaged or tampered file, cross-checks against the
safetensors package and torch, and training resumed from a checkpoint equal to uninterrupted
training."""
import io as stdio
import json
import math
import os
import pickle
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
import chainrule.io as crio
from chainrule import nn, optim

CR_DTYPES = [cr.float16, cr.float32, cr.float64, cr.int8, cr.int16, cr.int32, cr.int64,
             cr.uint8, cr.bool]
NP_ONLY_DTYPES = [np.uint16, np.uint32, np.uint64]


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.fixture
def path(tmp_path):
    return tmp_path / "ckpt.safetensors"


def random_array(dtype, shape, seed=0):
    """Values that use every bit pattern class of the dtype (negative, fractional, extremes)."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return np.asarray(rng.random(shape) < 0.5)
    if dt.kind == "f":
        return np.asarray(rng.standard_normal(shape) * 1e3, dtype=dt)
    info = np.iinfo(dt)
    return np.asarray(rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True))


def assert_same(a, b):
    """Equal type, structure, keys in order, and byte-identical tensors/arrays."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, (cr.Tensor, np.ndarray)):
        x, y = np.asarray(a), np.asarray(b)
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def read_header(path) -> dict:
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8:8 + n])


def write_raw(path, header, data: bytes = b"", length=None):
    """A hand-made safetensors file (for damaged and tampered variants)."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    n = len(text) if length is None else length
    path.write_bytes(n.to_bytes(8, "little") + text + data)


# ---------------------------------------------------------------------------- round trips
def test_nested_checkpoint_round_trips_exactly(path):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=1e-3, betas=(0.8, 0.99), amsgrad=True)
    model(cr.randn(5, 3)).sum().backward()
    opt.step()
    obj = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
           "rng": cr.get_rng_state(), "history": [0.5, float("inf"), float("-inf"), -0.0, 1e-300],
           "flags": (True, False, None), "big": 2 ** 80, "name": "run-ü", "empty": {}, "nil": [],
           "array": np.arange(6.0).reshape(2, 3), 7: "int key"}
    cr.save(obj, path)
    back = cr.load(path)
    assert_same(obj, back)
    assert isinstance(back["model"], OrderedDict) and type(back["optimizer"]["state"]) is dict
    assert list(back["optimizer"]["state"]) == [0, 1, 2, 3, 4, 5]
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.99)


def test_nan_and_root_values_round_trip(path):
    cr.save([float("nan"), cr.tensor([1.0, float("nan")])], path)
    back = cr.load(path)
    assert math.isnan(back[0]) and np.isnan(back[1].numpy()[1])
    t = cr.arange(4)
    cr.save(t, path)
    assert_same(cr.load(path), t)
    cr.save(5, path)
    assert cr.load(path) == 5


@pytest.mark.parametrize("dtype", CR_DTYPES, ids=lambda d: d.name)
def test_every_tensor_dtype_round_trips_bytes(path, dtype):
    arrays = {f"s{i}": random_array(dtype.np_dtype, shape, seed=i)
              for i, shape in enumerate([(), (0,), (5,), (3, 0, 2), (2, 3, 4)])}
    obj = {k: cr.from_numpy(a) for k, a in arrays.items()}
    obj["strided"] = cr.from_numpy(random_array(dtype.np_dtype, (4, 6)))[:, ::2].T
    cr.save(obj, path)
    back = cr.load(path)
    assert_same(obj, back)
    assert all(t.dtype == dtype and not t.requires_grad for t in back.values())


@pytest.mark.parametrize("dtype", NP_ONLY_DTYPES + [np.float32, np.bool_],
                         ids=lambda d: np.dtype(d).name)
def test_numpy_arrays_round_trip_as_arrays(path, dtype):
    a = random_array(dtype, (3, 2))
    big_endian = a.astype(a.dtype.newbyteorder(">"))
    cr.save({"a": a, "be": big_endian, "f": np.asfortranarray(a)}, path)
    back = cr.load(path)
    for v in back.values():
        assert type(v) is np.ndarray and v.dtype == a.dtype and v.tobytes() == a.tobytes()


def test_loaded_tensors_are_writable_and_independent(path):
    t = cr.zeros(3)
    cr.save({"t": t}, path)
    back = cr.load(path)["t"]
    back.add_(1)
    assert t.tolist() == [0, 0, 0] and back.tolist() == [1, 1, 1]


def test_parameters_save_detached(path):
    p = nn.Parameter(cr.ones(2))
    cr.save({"p": p}, path)
    back = cr.load(path)["p"]
    assert type(back) is cr.Tensor and not back.requires_grad and back.tolist() == [1, 1]


def test_any_key_round_trips_and_names_stay_unique(path):
    a, b, c, d = (cr.full((1,), float(i)) for i in range(4))
    obj = {"a.b": a, "a": {"b": b}, "": {"%2E": c, "__metadata__": d}, "0": [a], 0: [b],
           "\ud800 \n\"": c}
    cr.save(obj, path)
    assert_same(obj, cr.load(path))
    names = [k for k in read_header(path) if k != "__metadata__"]
    assert len(names) == len(set(names)) == 7
    assert names[:2] == ["a.b", "a.b~1"]


def test_names_are_readable_paths(path):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(cr.randn(4, 2)).sum().backward()
    opt.step()
    cr.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
    header = read_header(path)
    assert header["model.0.weight"]["dtype"] == "F32"
    assert header["model.0.weight"]["shape"] == [3, 2]
    assert "optimizer.state.0.momentum_buffer" in header
    assert header["__metadata__"]["format"] == "pt"
    cr.save(model.state_dict(), path)        # a flat state_dict keeps its own keys
    assert set(read_header(path)) - {"__metadata__"} == set(model.state_dict())


def test_data_is_aligned_and_little_endian(path):
    cr.save({"u8": np.arange(3, dtype=np.uint8), "f64": np.array([1.5, -2.0]),
             "i16": np.array([1, -2, 3], dtype=np.int16)}, path)
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    assert n % 8 == 0
    header = read_header(path)
    for name, dt in [("u8", "<u1"), ("f64", "<f8"), ("i16", "<i2")]:
        begin, end = header[name]["data_offsets"]
        assert begin % np.dtype(dt).itemsize == 0
        assert np.frombuffer(raw[8 + n + begin:8 + n + end], dt).tolist() == \
            cr.load(path)[name].tolist()


# ---------------------------------------------------------------------------- save errors
@pytest.mark.parametrize("obj, match", [
    ({"a": object()}, r"cannot store a object at obj\['a'\]"),
    ({"a": [1, {2, 3}]}, r"cannot store a set at obj\['a'\]\[1\]"),
    ({"a": np.float32(1.0)}, r"\.item\(\) for a NumPy scalar"),
    ({"a": np.zeros(2, np.complex64)}, r"obj\['a'\] has dtype complex64"),
    ({"a": np.array(["x"])}, r"obj\['a'\] has dtype <U1"),
    ({(1, 2): cr.zeros(1)}, r"key \(1, 2\) of type tuple; keys must be str or int"),
    ({True: 1}, r"key True of type bool"),
])
def test_save_rejects_unsupported_objects_before_touching_the_file(path, obj, match):
    cr.save({"old": 1}, path)
    with pytest.raises(TypeError, match=match):
        cr.save(obj, path)
    assert cr.load(path) == {"old": 1}
    assert os.listdir(path.parent) == [path.name]


def test_save_rejects_cycles_and_bad_paths(path):
    loop = []
    loop.append({"x": loop})
    with pytest.raises(ValueError, match=r"obj\[0\]\['x'\] contains itself"):
        cr.save(loop, path)
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, got int"):
        cr.save({}, 3)
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, got BytesIO"):
        cr.load(stdio.BytesIO())


def test_shared_structure_is_fine(path):
    shared = [1, 2]
    cr.save({"a": shared, "b": shared}, path)
    assert cr.load(path) == {"a": [1, 2], "b": [1, 2]}


# ---------------------------------------------------------------------------- atomicity
@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failed_write_leaves_old_file_intact(path, monkeypatch, failing):
    cr.save({"w": cr.ones(3)}, path)
    before = path.read_bytes()

    def boom(*args):
        raise OSError(f"simulated {failing} failure")

    monkeypatch.setattr(crio.os, failing, boom)
    with pytest.raises(OSError, match="simulated"):
        cr.save({"w": cr.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]       # no temporary file left behind
    assert cr.load(path)["w"].tolist() == [1, 1, 1]


def test_failure_while_writing_data_leaves_old_file(path, monkeypatch):
    cr.save({"w": cr.ones(2)}, path)
    real = crio._write_safetensors

    def half_then_fail(f, arrays, metadata):
        real(f, arrays, metadata)
        raise KeyboardInterrupt
    monkeypatch.setattr(crio, "_write_safetensors", half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        cr.save({"w": cr.zeros(2)}, path)
    assert os.listdir(path.parent) == [path.name]
    assert cr.load(path)["w"].tolist() == [1, 1]


def test_save_creates_new_file_with_normal_permissions(path):
    cr.save({"x": 1}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# ---------------------------------------------------------------------------- damaged files
def good_file(path):
    cr.save({"a": cr.arange(4.0), "b": [cr.ones(2, dtype=cr.int64)], "n": 1}, path)
    return path.read_bytes()


@pytest.mark.parametrize("cut", [0, 5, 8, 20, -1, -9])
def test_truncated_file_is_a_clear_error(path, cut):
    raw = good_file(path)
    path.write_bytes(raw[:cut] if cut >= 0 else raw[:len(raw) + cut])
    with pytest.raises(ValueError, match=rf"cannot load {path}: truncated"):
        cr.load(path)


def test_trailing_bytes_are_rejected(path):
    path.write_bytes(good_file(path) + b"\0")
    with pytest.raises(ValueError, match="1 bytes after the last tensor"):
        cr.load(path)


F4 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize("header, data, match", [
    (b"{not json", b"", "the header is not valid JSON"),
    (b"\xff\xfe", b"", "the header is not valid JSON"),
    (b'{"x": NaN}', b"", "the header is not valid JSON"),
    (b'{"a": {}, "a": {}}', b"", "duplicate key 'a'"),
    (b"[1, 2]", b"", "the header is not a JSON object"),
    ({"a": {"dtype": "F32", "shape": [2]}}, b"", "must have exactly 'dtype', 'shape'"),
    ({"a": dict(F4, dtype="BF16")}, bytes(8), "unknown dtype 'BF16'"),
    ({"a": dict(F4, dtype="X")}, bytes(8), "unknown dtype 'X'"),
    ({"a": dict(F4, shape=[-2])}, bytes(8), "invalid shape"),
    ({"a": dict(F4, shape=[True, 2])}, bytes(8), "invalid shape"),
    ({"a": dict(F4, data_offsets=[8, 0])}, bytes(8), "invalid data_offsets"),
    ({"a": dict(F4, data_offsets=[0])}, bytes(8), "invalid data_offsets"),
    ({"a": dict(F4, data_offsets=[0, 16])}, bytes(8), "offsets out of range"),
    ({"a": dict(F4, shape=[3])}, bytes(8), "needs 12 bytes but data_offsets span 8"),
    ({"a": F4, "b": dict(F4, data_offsets=[4, 12])}, bytes(12), "'b' overlaps"),
    ({"a": dict(F4, data_offsets=[4, 12])}, bytes(12), "4 unused bytes before tensor 'a'"),
    ({"a": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x07",
     "holds bytes other than 0 and 1"),
    ({"__metadata__": {"k": 1}}, b"", "'__metadata__' must map strings to strings"),
    ({"a": {"dtype": "U16", "shape": [], "data_offsets": [0, 2]}}, bytes(2),
     "'a' has dtype U16, which chainrule tensors do not support"),
])
def test_damaged_header_is_a_clear_error(path, header, data, match):
    write_raw(path, header, data)
    with pytest.raises(ValueError, match=rf"cannot load {path}: .*{match}"):
        cr.load(path)


def test_huge_header_length_is_rejected(path):
    write_raw(path, b"{}", length=2 ** 40)
    with pytest.raises(ValueError, match="header length .* over the"):
        cr.load(path)


def tampered(structure):
    return {"__metadata__": {"chainrule": json.dumps(structure)},
            "t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


def doc(obj):
    return {"version": 1, "object": obj}


@pytest.mark.parametrize("structure, match", [
    ("not an object", "not valid JSON|must be an object"),
    ({"version": 1}, "must be an object with 'version' and 'object'"),
    ({"version": 99, "object": {"tensor": "t"}}, "format version 99 is not supported"),
    (doc({"pickle": "os.system"}), r"at obj: unknown node"),
    (doc({"tensor": "t", "extra": 1}), "expected a plain value or a one-key object"),
    (doc([{"tensor": "t"}]), "expected a plain value or a one-key object"),
    (doc({"list": {"tensor": "t"}}), "'list' must hold a JSON array"),
    (doc({"dict": [["k"]]}), r"'dict' entries must be \[key, value\] pairs"),
    (doc({"dict": {"k": 1}}), "'dict' must hold a JSON array"),
    (doc({"dict": [[[1], {"tensor": "t"}]]}), r"dict key \[1\] is not a str or int"),
    (doc({"dict": [["k", {"tensor": "t"}], ["k", 1]]}), "dict key 'k' appears twice"),
    (doc({"list": [{"tensor": "t"}, {"tensor": "t"}]}), r"at obj\[1\]: refers to tensor 't' "
                                                       "a second time"),
    (doc({"dict": [["x", {"tensor": "missing"}]]}),
     r"at obj\['x'\]: refers to a tensor 'missing' that the file does not hold"),
    (doc({"float": "1e999"}), "unknown node"),
    (doc(None), "tensor 't' is not referenced"),
])
def test_tampered_metadata_structure_is_a_clear_error(path, structure, match):
    header = tampered(structure)
    if isinstance(structure, str):
        header["__metadata__"]["chainrule"] = structure
    write_raw(path, header, bytes(8))
    with pytest.raises(ValueError, match=rf"cannot load {path}: .*({match})"):
        cr.load(path)


def nested_metadata_file(path, depth):
    header = tampered(None)
    header["__metadata__"]["chainrule"] = ('{"version": 1, "object": ' + '{"list": [' * depth
                                           + '{"tensor": "t"}' + ']}' * depth + '}')
    write_raw(path, header, bytes(8))


def test_deeply_nested_metadata_is_a_clear_error(path):
    nested_metadata_file(path, 400)
    assert isinstance(cr.load(path), list)              # deep but fine
    nested_metadata_file(path, 50000)
    with pytest.raises(ValueError, match="not valid JSON"):
        cr.load(path)

    def load_from_deep_stack(n):                        # no RecursionError escapes either way
        return load_from_deep_stack(n - 1) if n else cr.load(path)
    nested_metadata_file(path, 400)
    with pytest.raises(ValueError, match="nested too deeply|not valid JSON"):
        load_from_deep_stack(600)


def test_too_deep_object_is_a_clear_save_error(path):
    deep = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested too deeply"):
        cr.save(deep, path)


def test_load_argument_errors(path):
    cr.save({"x": 1}, path)
    assert cr.load(path, map_location="cpu") == {"x": 1}
    assert cr.load(path, map_location=cr.device("cpu"), weights_only=False) == {"x": 1}
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        cr.load(path, map_location="cuda")
    with pytest.raises(TypeError, match="map_location must be None, a str or a device"):
        cr.load(path, map_location={"cuda:0": "cpu"})
    with pytest.raises(TypeError, match="weights_only must be a bool"):
        cr.load(path, weights_only="yes")
    with pytest.raises(FileNotFoundError):
        cr.load(path.parent / "missing.safetensors")


def test_pickle_file_is_refused_without_unpickling(tmp_path):
    p = tmp_path / "evil.pt"
    p.write_bytes(pickle.dumps({"a": 1}, protocol=2))
    with pytest.raises(ValueError, match="torch.save \\(pickle\\) file, which chainrule.load "
                                         "never unpickles"):
        cr.load(p)


def test_save_and_load_are_top_level_and_import_nothing_heavy():
    assert cr.save is crio.save and cr.load is crio.load
    out = subprocess.run([sys.executable, "-c", "import sys, chainrule; print("
                          "[m for m in ('torch', 'safetensors', 'pickle') if m in sys.modules])"],
                         capture_output=True, text=True, check=True).stdout
    assert "torch" not in out and "safetensors" not in out


# ---------------------------------------------------------------------------- safetensors package
def test_safetensors_package_reads_chainrule_files(path):
    st = pytest.importorskip("safetensors.numpy")
    from safetensors import safe_open
    obj = {"model": {f"w{d.name}": cr.from_numpy(random_array(d.np_dtype, (2, 3)))
                     for d in CR_DTYPES}, "step": 4}
    cr.save(obj, path)
    arrays = st.load_file(str(path))
    assert set(arrays) == {f"model.w{d.name}" for d in CR_DTYPES}
    for d in CR_DTYPES:
        a = arrays[f"model.w{d.name}"]
        assert a.dtype == d.np_dtype and a.tobytes() == obj["model"][f"w{d.name}"].numpy().tobytes()
    with safe_open(str(path), "np") as f:
        assert json.loads(f.metadata()["chainrule"])["object"]["dict"][1] == ["step", 4]


def test_chainrule_reads_safetensors_package_files(path):
    st = pytest.importorskip("safetensors.numpy")
    arrays = {f"layer.{np.dtype(d).name}": random_array(d, (3, 2))
              for d in [d.np_dtype for d in CR_DTYPES]}
    arrays["empty"] = np.zeros((0, 4), np.float32)
    st.save_file(arrays, str(path), metadata={"format": "np"})
    back = cr.load(path)
    assert set(back) == set(arrays)
    for k, a in arrays.items():
        assert isinstance(back[k], cr.Tensor) and back[k].numpy().tobytes() == a.tobytes()
        assert back[k].numpy().dtype == a.dtype and back[k].shape == a.shape
    assert set(crio.load_torch_state_dict(path)) == set(arrays)


# ---------------------------------------------------------------------------- torch interop
def make_mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(6, 8), lib.nn.ReLU(), lib.nn.Linear(8, 3))


def make_cnn(lib):
    nn_ = lib.nn
    return nn_.Sequential(nn_.Conv2d(2, 4, 3, padding=1), nn_.BatchNorm2d(4), nn_.ReLU(),
                          nn_.MaxPool2d(2), nn_.Flatten(), nn_.Linear(4 * 3 * 3, 5))


def model_input(name, seed=0):
    shape = (4, 6) if name == "mlp" else (3, 2, 6, 6)
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def train_batchnorm(model, lib, name):
    """A few train-mode forwards so BatchNorm's running statistics are not the defaults."""
    model.train()
    for seed in range(3):
        model(lib.tensor(model_input(name, seed + 10)))
    model.eval()


def outputs(model, lib, name):
    with lib.no_grad():
        return np.asarray(model(lib.tensor(model_input(name))).detach().numpy())


MAKERS = {"mlp": make_mlp, "cnn": make_cnn}


@pytest.mark.parametrize("name", ["mlp", "cnn"])
@pytest.mark.parametrize("route", ["convert", "safetensors", "torch.save"])
def test_torch_state_dict_loads_into_chainrule(torch, tmp_path, name, route):
    torch.manual_seed(0)
    tm = MAKERS[name](torch)
    train_batchnorm(tm, torch, name)
    if route == "convert":
        sd = crio.from_torch_state_dict(tm.state_dict())
    elif route == "safetensors":
        st = pytest.importorskip("safetensors.torch")
        st.save_file(tm.state_dict(), str(tmp_path / "m.safetensors"))
        sd = crio.load_torch_state_dict(tmp_path / "m.safetensors")
    else:
        torch.save(tm.state_dict(), tmp_path / "m.pt")
        sd = crio.load_torch_state_dict(tmp_path / "m.pt")
    assert list(sd) == list(tm.state_dict()) or route == "safetensors"
    cm = MAKERS[name](cr)
    cm.load_state_dict(sd)
    cm.eval()
    for k, v in tm.state_dict().items():
        assert sd[k].numpy().tobytes() == v.numpy().tobytes() and str(sd[k].dtype)[10:] == \
            str(v.dtype)[6:]
    np.testing.assert_allclose(outputs(cm, cr, name), outputs(tm, torch, name), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("name", ["mlp", "cnn"])
@pytest.mark.parametrize("route", ["convert", "safetensors"])
def test_chainrule_state_dict_loads_into_torch(torch, path, name, route):
    cr.manual_seed(0)
    cm = MAKERS[name](cr)
    train_batchnorm(cm, cr, name)
    if route == "convert":
        sd = crio.to_torch_state_dict(cm.state_dict())
    else:
        st = pytest.importorskip("safetensors.torch")
        cr.save(cm.state_dict(), path)
        sd = st.load_file(str(path))
    tm = MAKERS[name](torch)
    tm.load_state_dict(sd)
    tm.eval()
    for k, v in cm.state_dict().items():
        assert sd[k].numpy().tobytes() == v.numpy().tobytes()
    np.testing.assert_allclose(outputs(tm, torch, name), outputs(cm, cr, name), rtol=1e-5,
                               atol=1e-6)


def test_legacy_torch_save_format_is_read(torch, tmp_path):
    sd = make_mlp(torch).state_dict()
    torch.save(sd, tmp_path / "old.pth", _use_new_zipfile_serialization=False)
    back = crio.load_torch_state_dict(tmp_path / "old.pth")
    assert list(back) == list(sd)
    assert all(back[k].numpy().tobytes() == v.numpy().tobytes() for k, v in sd.items())


def test_torch_interop_errors(torch, tmp_path):
    with pytest.raises(TypeError, match="'w' has dtype torch.bfloat16, which NumPy cannot hold"):
        crio.from_torch_state_dict({"w": torch.ones(2, dtype=torch.bfloat16)})
    with pytest.raises(TypeError, match="'w': dtype .*uint16.* is not supported"):
        crio.from_torch_state_dict({"w": torch.ones(2, dtype=torch.uint16)})
    with pytest.raises(TypeError, match="'w' is a ndarray, expected a torch.Tensor"):
        crio.from_torch_state_dict({"w": np.ones(2)})
    with pytest.raises(TypeError, match="'w' is a list, expected a chainrule Tensor or NumPy"):
        crio.to_torch_state_dict({"w": [1.0]})
    torch.save([torch.ones(1)], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="holds a list, not a state_dict"):
        crio.load_torch_state_dict(tmp_path / "list.pt")
    torch.save({"model": {"w": torch.ones(1)}}, tmp_path / "nested.pt")
    with pytest.raises(TypeError, match="'model' is a dict, expected a torch.Tensor"):
        crio.load_torch_state_dict(tmp_path / "nested.pt")


RAN = []


def _record_call():
    RAN.append(True)


class CodeOnLoad:
    """An object whose unpickling would call ``_record_call``."""

    def __reduce__(self):
        return (_record_call, ())


def test_torch_files_with_code_are_refused_without_running_it(torch, tmp_path):
    torch.save({"w": torch.ones(1), "x": CodeOnLoad()}, tmp_path / "evil.pt")
    with pytest.raises(Exception, match="Weights only load failed"):
        crio.load_torch_state_dict(tmp_path / "evil.pt")
    assert RAN == []


def test_torch_functions_without_torch_say_so(tmp_path, monkeypatch):
    pickle_file = tmp_path / "m.pt"
    pickle_file.write_bytes(pickle.dumps({}, protocol=2))
    monkeypatch.setitem(sys.modules, "torch", None)     # import torch fails
    with pytest.raises(ImportError, match="written by torch.save; reading it needs torch"):
        crio.load_torch_state_dict(pickle_file)
    with pytest.raises(ImportError, match="to_torch_state_dict needs torch"):
        crio.to_torch_state_dict({})
    with pytest.raises(TypeError, match="'w' is a Tensor, expected a torch.Tensor"):
        crio.from_torch_state_dict({"w": cr.ones(1)})


def test_to_torch_state_dict_copies(torch):
    t = cr.zeros(2)
    out = crio.to_torch_state_dict({"t": t, "a": np.arange(3)})
    out["t"] += 1
    assert t.tolist() == [0, 0] and out["a"].dtype == torch.int64


# ---------------------------------------------------------------------------- resuming training
def training_run(path, opt_name, steps, resume_at=None):
    """Train a small model with dropout (so the RNG matters) for ``steps`` steps; with
    ``resume_at``, stop there, checkpoint, rebuild everything from scratch and load it."""
    def build():
        model = nn.Sequential(nn.Linear(5, 8), nn.Dropout(0.3), nn.Tanh(), nn.Linear(8, 1))
        opt = (optim.Adam(model.parameters(), lr=0.01, amsgrad=True) if opt_name == "adam"
               else optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True))
        return model, opt, optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)

    cr.manual_seed(0)
    model, opt, sched = build()
    for step in range(steps):
        if step == resume_at:
            cr.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                     "scheduler": sched.state_dict(), "epoch": step,
                     "rng": cr.get_rng_state()}, path)
            cr.manual_seed(123)                      # a fresh process: nothing carried over
            model, opt, sched = build()
            ckpt = cr.load(path)
            model.load_state_dict(ckpt["model"])
            opt.load_state_dict(ckpt["optimizer"])
            sched.load_state_dict(ckpt["scheduler"])
            cr.set_rng_state(ckpt["rng"])
            assert ckpt["epoch"] == step
        x = cr.randn(16, 5)
        loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model.state_dict(), opt.state_dict()


@pytest.mark.parametrize("opt_name", ["adam", "sgd"])
def test_resumed_training_equals_uninterrupted(path, opt_name):
    straight = training_run(path, opt_name, 8)
    resumed = training_run(path, opt_name, 8, resume_at=4)
    assert_same(straight[0], resumed[0])
    assert_same(straight[1]["state"], resumed[1]["state"])
    assert straight[1]["param_groups"] == resumed[1]["param_groups"]
