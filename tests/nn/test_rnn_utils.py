"""nn.utils.rnn: padding and packing variable-length batches, against torch."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.nn.utils import rnn as R

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn

LENGTHS = (2, 5, 3)


def _pair(lengths=LENGTHS, feat=3, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, feat)) for n in lengths]
    return ([cr.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    cs, ts = _pair()
    pc = R.pad_sequence(cs, batch_first=batch_first, padding_value=-2.0, padding_side=side)
    pt = TR.pad_sequence(ts, batch_first=batch_first, padding_value=-2.0, padding_side=side)
    np.testing.assert_array_equal(_np(pc), _np(pt))
    w = np.random.default_rng(1).standard_normal(tuple(pc.shape))
    (pc * cr.tensor(w)).sum().backward()
    (pt * torch.tensor(w)).sum().backward()
    for c, t in zip(cs, ts):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_and_unpack_round_trip_matches_torch(batch_first, enforce_sorted):
    lengths = (5, 3, 2) if enforce_sorted else LENGTHS
    cs, ts = _pair(lengths)
    pc = R.pad_sequence(cs, batch_first=batch_first)
    pt = TR.pad_sequence(ts, batch_first=batch_first)
    kc = R.pack_padded_sequence(pc, list(lengths), batch_first=batch_first,
                                enforce_sorted=enforce_sorted)
    kt = TR.pack_padded_sequence(pt, list(lengths), batch_first=batch_first,
                                 enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(_np(kc.data), _np(kt.data))
    np.testing.assert_array_equal(kc.batch_sizes.numpy(), kt.batch_sizes.numpy())
    if enforce_sorted:
        assert kc.sorted_indices is None and kt.sorted_indices is None
    else:
        np.testing.assert_array_equal(kc.sorted_indices.numpy(), kt.sorted_indices.numpy())
        np.testing.assert_array_equal(kc.unsorted_indices.numpy(), kt.unsorted_indices.numpy())
    uc, lc = R.pad_packed_sequence(kc, batch_first=batch_first, padding_value=7.0,
                                   total_length=6)
    ut, lt = TR.pad_packed_sequence(kt, batch_first=batch_first, padding_value=7.0,
                                    total_length=6)
    np.testing.assert_array_equal(_np(uc), _np(ut))
    np.testing.assert_array_equal(lc.numpy(), lt.numpy())
    w = np.random.default_rng(2).standard_normal(tuple(uc.shape))
    (uc * cr.tensor(w)).sum().backward()
    (ut * torch.tensor(w)).sum().backward()
    for c, t in zip(cs, ts):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy())


def test_pack_sequence_and_unpack_sequence():
    cs, ts = _pair((4, 1, 3))
    kc = R.pack_sequence(cs, enforce_sorted=False)
    kt = TR.pack_sequence(ts, enforce_sorted=False)
    np.testing.assert_array_equal(_np(kc.data), _np(kt.data))
    back = R.unpack_sequence(kc)
    assert [tuple(b.shape) for b in back] == [(4, 3), (1, 3), (3, 3)]
    for b, c in zip(back, cs):
        np.testing.assert_array_equal(_np(b), _np(c))
    assert list(kc.lengths()) == [4, 1, 3]
    parts = R.unpad_sequence(R.pad_sequence(cs), [4, 1, 3])
    assert [tuple(p.shape) for p in parts] == [(4, 3), (1, 3), (3, 3)]


def test_errors():
    cs, _ = _pair()
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        R.pack_padded_sequence(R.pad_sequence(cs), list(LENGTHS))
    with pytest.raises(ValueError, match="expected 3 lengths"):
        R.pack_padded_sequence(R.pad_sequence(cs), [5, 3], enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"lengths must lie in \[1, 5\]"):
        R.pack_padded_sequence(R.pad_sequence(cs), [6, 3, 2])
    with pytest.raises(RuntimeError, match="sequence 1 has shape"):
        R.pad_sequence([cr.zeros(2, 3), cr.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="empty list"):
        R.pad_sequence([])
    packed = R.pack_sequence(cs, enforce_sorted=False)
    with pytest.raises(ValueError, match="total_length"):
        R.pad_packed_sequence(packed, total_length=3)
    with pytest.raises(TypeError, match="PackedSequence"):
        R.pad_packed_sequence(cr.zeros(3, 2))
