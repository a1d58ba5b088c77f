"""Version counters shared by tensors of the same memory, as torch's: views (slices, reshape,
transpose, expand, ...) and detach() share one counter with their base, so an in-place change
through any of them is seen by a backward that saved another; ``.data`` does not share (torch's
documented difference from detach()). Each scenario runs in chainrule and, where torch is
installed, in torch, and both must agree on whether backward raises."""
import numpy as np
import pytest

import chainrule as cr

MODIFIED = "modified by an inplace operation"


def _saved_input_via_slice(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1
    y = h * h                                   # saves h
    with lib.no_grad():
        h[1:].mul_(2)
    return y


def _saved_input_via_reshape(lib):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    h = x * 1
    y = (h * h).sum()
    with lib.no_grad():
        h.reshape(4).add_(1)
    return y


def _saved_input_via_transpose_of_detach(lib):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    c = lib.tensor([[5.0, 6.0], [7.0, 8.0]])
    y = x * c                                   # saves c
    c.detach().t().mul_(2)
    return y


def _saved_output_via_view(lib):
    x = lib.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()                                 # saves its output
    with lib.no_grad():
        y.view(2)[0:1].mul_(3)
    return y


def _base_modified_after_view_saved(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1
    v = h[0:2]
    y = v * v                                   # saves the view v
    with lib.no_grad():
        h.add_(1)                               # writes v's memory through its base
    return y


def _modified_through_data(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    c = lib.tensor([3.0, 4.0])
    y = x * c
    c.data.mul_(2)                              # .data: not tracked (torch's rule)
    return y


def _copy_is_independent(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = h * h
    with lib.no_grad():
        h.clone().mul_(2)                       # new memory: nothing to flag
        (h + 0).mul_(2)
    return y


SCENARIOS = [(_saved_input_via_slice, True), (_saved_input_via_reshape, True),
             (_saved_input_via_transpose_of_detach, True), (_saved_output_via_view, True),
             (_base_modified_after_view_saved, True), (_modified_through_data, False),
             (_copy_is_independent, False)]


def _raises(lib, build) -> bool:
    y = build(lib)
    try:
        y.sum().backward()
    except RuntimeError as e:
        assert MODIFIED in str(e)
        return True
    return False


@pytest.mark.parametrize("build,raises", SCENARIOS, ids=lambda v: getattr(v, "__name__", ""))
def test_backward_sees_writes_through_shared_memory(build, raises):
    assert _raises(cr, build) is raises


@pytest.mark.parametrize("build,raises", SCENARIOS, ids=lambda v: getattr(v, "__name__", ""))
def test_torch_agrees(build, raises):
    torch = pytest.importorskip("torch")
    assert _raises(torch, build) is raises


def test_version_numbers_are_shared_like_torchs():
    x = cr.zeros(4)
    v = x.view(2, 2)
    d = x.detach()
    v.add_(1)
    d[0:2].mul_(3)
    assert x._version == v._version == d._version == 2
    assert np.array_equal(x.numpy(), [3.0, 3.0, 1.0, 1.0])
    assert x.clone()._version == 0
    assert x.data._version == 0
