"""default_collate and default_convert against torch's: the same structure (container types
included), the same dtypes and values, and the same errors."""
import collections

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import default_collate, default_convert

torch = pytest.importorskip("torch")
from torch.utils.data import default_collate as torch_collate  # noqa: E402
from torch.utils.data import default_convert as torch_convert  # noqa: E402

Point = collections.namedtuple("Point", ["x", "y"])


def plain(obj):
    """A library-neutral picture of a collated batch: tensors as (dtype name, array),
    containers with their type name kept."""
    if isinstance(obj, (cr.Tensor, torch.Tensor)):
        return ("tensor", str(obj.dtype).split(".")[-1], obj.detach().numpy().tolist())
    if isinstance(obj, dict):
        return ("dict", {k: plain(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [plain(v) for v in obj])
    return ("leaf", type(obj).__name__, obj)


def batch_for(lib, kind):
    """The same batch of samples for chainrule or torch (only tensors differ)."""
    t = lib.tensor
    return {
        "tensors": [t([1.5, 2.0]), t([3.0, 4.0]), t([5.0, 6.5])],
        "int tensors": [t([[1, 2]]), t([[3, 4]])],
        "arrays": [np.arange(6, dtype=np.uint8).reshape(2, 3), np.ones((2, 3), np.uint8)],
        "float arrays": [np.linspace(0, 1, 4), np.zeros(4)],
        "0-d arrays": [np.array(1.5, np.float32), np.array(2.5, np.float32)],
        "numpy scalars": [np.float32(1.5), np.float32(-2.0)],
        "numpy ints": [np.int32(3), np.int32(4)],
        "numpy bools": [np.bool_(True), np.bool_(False)],
        "floats": [1.0, 2.5, -3.25],
        "ints": [1, 2, 3],
        "bools": [True, False],
        "strings": ["a", "bc"],
        "tuples": [(t([1.0, 2.0]), 3), (t([4.0, 5.0]), 6)],
        "lists": [[1, 2.5], [3, 4.5]],
        "dicts": [{"x": np.float64(1.0), "y": 2, "name": "p"},
                  {"x": np.float64(3.0), "y": 4, "name": "q"}],
        "namedtuples": [Point(1.0, t([1])), Point(2.0, t([2]))],
        "nested": [{"img": (np.zeros((2, 2)), [1, 2]), "meta": {"id": 1}},
                   {"img": (np.ones((2, 2)), [3, 4]), "meta": {"id": 2}}],
    }[kind]


KINDS = ["tensors", "int tensors", "arrays", "float arrays", "0-d arrays", "numpy scalars",
         "numpy ints", "numpy bools", "floats", "ints", "bools", "strings", "tuples", "lists",
         "dicts", "namedtuples", "nested"]


@pytest.mark.parametrize("kind", KINDS)
def test_collate_matches_torch(kind):
    ours = default_collate(batch_for(cr, kind))
    theirs = torch_collate(batch_for(torch, kind))
    assert plain(ours) == plain(theirs)


def test_collate_number_dtypes():
    assert default_collate([1.0, 2.0]).dtype == cr.float64
    assert default_collate([1, 2]).dtype == cr.int64
    assert default_collate([True, False]).dtype == cr.bool
    assert default_collate([np.uint8(1), np.uint8(2)]).dtype == cr.uint8


def test_collate_tuple_becomes_list_and_namedtuple_stays():
    out = default_collate([(1, 2.0), (3, 4.0)])
    assert type(out) is list and out[0].tolist() == [1, 3] and out[1].tolist() == [2.0, 4.0]
    p = default_collate([Point(1, 2), Point(3, 4)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]


def test_collate_keeps_the_graph():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], requires_grad=True)
    out = default_collate([a * 2, b])
    assert out.shape == (2, 2) and out.requires_grad
    (out * cr.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert a.grad.tolist() == [2.0, 4.0] and b.grad.tolist() == [3.0, 4.0]


def test_collate_mixed_dtypes_promote_like_torch():
    ours = default_collate([cr.tensor([1, 2]), cr.tensor([0.5, 1.5])])
    theirs = torch_collate([torch.tensor([1, 2]), torch.tensor([0.5, 1.5])])
    assert plain(ours) == plain(theirs)


@pytest.mark.parametrize("batch, exc, torch_batch", [
    ([[1, 2], [3]], RuntimeError, [[1, 2], [3]]),
    ([np.array(["a", "b"]), np.array(["c", "d"])], TypeError, None),
    ([object(), object()], TypeError, None),
])
def test_collate_errors_match_torch(batch, exc, torch_batch):
    with pytest.raises(exc, match="default_collate|each element"):
        default_collate(batch)
    with pytest.raises(exc):
        torch_collate(torch_batch if torch_batch is not None else batch)


def test_collate_unequal_tensor_shapes():
    with pytest.raises(RuntimeError, match="stack: expects each tensor to be equal size"):
        default_collate([cr.zeros(2), cr.zeros(3)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        torch_collate([torch.zeros(2), torch.zeros(3)])


def test_collate_empty_batch_is_an_error():
    with pytest.raises(TypeError, match="non-empty list"):
        default_collate([])


@pytest.mark.parametrize("sample", [
    np.arange(3, dtype=np.int16), np.float32(2.5), (np.zeros(2), 1, "s"),
    {"a": np.ones(2), "b": [np.int64(3)]}, Point(np.zeros(1), 2), np.array(["x"]), 3.5,
])
def test_default_convert_matches_torch(sample):
    assert plain(default_convert(sample)) == plain(torch_convert(sample))
