"""torch.nn.utils.rnn: batches of variable-length sequences, padded or packed.

A *padded* batch is (T, B, *) (or (B, T, *) with ``batch_first``) with each sequence's steps
first and ``padding_value`` after its length. A *packed* batch (``PackedSequence``) holds only
the real steps, time-major, sequences sorted by decreasing length: for each step t, the rows of
the ``batch_sizes[t]`` sequences longer than t, so ``data`` is (sum of lengths, *). The
recurrent layers (nn.RNN, nn.LSTM, nn.GRU) accept a ``PackedSequence`` and return one; their
final states are then taken at each sequence's own last step.

Packing and unpacking are differentiable: they are index ops on the data.
"""
from __future__ import annotations

from typing import NamedTuple

from ...backend import np
from ...tensor import Tensor

__all__ = ["PackedSequence", "pad_sequence", "unpad_sequence", "pack_padded_sequence",
           "pad_packed_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence(NamedTuple):
    """``data`` (sum of lengths, *): the steps, time-major; ``batch_sizes`` (T,) int64: how many
    sequences are longer than each step; ``sorted_indices`` / ``unsorted_indices`` (B,) int64 or
    None: the permutation from the caller's batch order to the decreasing-length order, and
    back (None when the batch was given sorted)."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> "PackedSequence":
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self) -> bool:
        return False

    def lengths(self):
        """The lengths in the caller's batch order, as an int64 array."""
        sizes = self.batch_sizes.numpy()
        lengths = (sizes[None, :] > np.arange(sizes[0])[:, None]).sum(1)
        if self.unsorted_indices is not None:
            lengths = lengths[self.unsorted_indices.numpy()]
        return lengths


def _lengths_array(lengths, op: str):
    if isinstance(lengths, Tensor):
        lengths = lengths.numpy()
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.dtype.kind not in "iu":
        raise ValueError(f"{op}: lengths must be a 1-D sequence of ints, got "
                         f"{lengths.dtype} of shape {lengths.shape}")
    return lengths.astype(np.int64)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors (L_i, *) of equal trailing dims into (T, B, *) (``batch_first``: (B, T, *)),
    T = max L_i, filling the rest of each with ``padding_value`` (after it, or before it with
    ``padding_side='left'``)."""
    from ...creation import full
    from ...ops import stack, cat

    op = "pad_sequence"
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError(f"{op}: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"{op}: padding_side must be 'left' or 'right', got {padding_side!r}")
    trailing = tuple(sequences[0].shape[1:])
    for i, s in enumerate(sequences):
        if s.ndim < 1 or tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"{op}: every sequence must be (L, {', '.join(map(str, trailing))}"
                               f"), but sequence {i} has shape {tuple(s.shape)}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = full((missing, *trailing), padding_value, dtype=s.dtype)
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The inverse of ``pad_sequence`` (right padding): a list of (L_i, *) tensors."""
    lengths = _lengths_array(lengths, "unpad_sequence")
    seqs = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [seqs[i, :int(n)] for i, n in enumerate(lengths)]


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (``batch_first``: (B, T, *)) of sequences of ``lengths``.
    With ``enforce_sorted`` the lengths must be decreasing; otherwise the batch is sorted here
    and the permutation is kept in the result."""
    from ...creation import tensor as make_tensor

    op = "pack_padded_sequence"
    lengths = _lengths_array(lengths, op)
    x = input.transpose(0, 1) if batch_first else input
    steps, batch = x.shape[0], x.shape[1]
    if lengths.shape[0] != batch:
        raise ValueError(f"{op}: expected {batch} lengths (one per sequence of the input "
                         f"{tuple(input.shape)}), got {lengths.shape[0]}")
    if lengths.size and (lengths.min() <= 0 or lengths.max() > steps):
        raise RuntimeError(f"{op}: lengths must lie in [1, {steps}] (the input's time steps), "
                           f"got {lengths.tolist()}")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(f"{op}: `lengths` array must be sorted in decreasing order when "
                               f"`enforce_sorted` is True; got {lengths.tolist()}. Pass "
                               f"enforce_sorted=False to pack unsorted sequences")
        order = None
        sorted_lengths = lengths
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_lengths = lengths[order]
    batch_sizes = (sorted_lengths[None, :] > np.arange(int(sorted_lengths[0]))[:, None]).sum(1)
    sorted_t = None if order is None else make_tensor(order)
    unsorted_t = None if order is None else make_tensor(np.argsort(order))
    layout = PackedSequence(None, make_tensor(batch_sizes.astype(np.int64)), sorted_t,
                            unsorted_t)
    return _pack_padded_like(x, layout)


def _packed_positions(sequence: PackedSequence) -> tuple:
    """(t_idx, b_idx): the padded (time, caller's batch) position of each row of
    ``sequence.data``; the one formula behind packing and unpacking."""
    sizes = sequence.batch_sizes.numpy()
    order = (np.arange(int(sizes[0])) if sequence.sorted_indices is None
             else sequence.sorted_indices.numpy())
    t_idx = np.repeat(np.arange(sizes.size), sizes)
    b_idx = np.concatenate([order[:n] for n in sizes])
    return t_idx, b_idx


def _pack_padded_like(padded: Tensor, like: PackedSequence) -> PackedSequence:
    """Pack a time-major padded (T, B, *) tensor (batch in the caller's order, T at least
    ``like``'s steps) with ``like``'s batch_sizes, sorted_indices and unsorted_indices (only
    those are read from ``like``). Differentiable (an index op on ``padded``)."""
    from ...creation import tensor as make_tensor

    t_idx, b_idx = _packed_positions(like)
    data = padded[make_tensor(t_idx), make_tensor(b_idx)]
    return PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None) -> tuple:
    """The inverse of ``pack_padded_sequence``: (padded (T, B, *) or (B, T, *), lengths (B,)
    int64) in the caller's batch order; ``total_length`` pads T further."""
    from ...creation import tensor as make_tensor, zeros

    op = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{op}: expected a PackedSequence, got {type(sequence).__name__}")
    data, sizes = sequence.data, sequence.batch_sizes.numpy()
    steps, batch = sizes.size, int(sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"{op}: expected total_length to be at least the length of the "
                             f"longest sequence ({steps}), got {total_length}")
        steps = total_length
    t_idx, b_idx = _packed_positions(sequence)
    flat = make_tensor(t_idx * batch + b_idx)
    out = zeros((steps * batch, *data.shape[1:]), dtype=data.dtype).index_add(0, flat, data)
    if padding_value != 0:
        filled = np.ones(steps * batch, dtype=bool)
        filled[t_idx * batch + b_idx] = False
        shape = (-1,) + (1,) * (data.ndim - 1)
        out = out + make_tensor(filled.reshape(shape), dtype=data.dtype) * padding_value
    out = out.reshape(steps, batch, *data.shape[1:])
    if batch_first:
        out = out.transpose(0, 1)
    return out, make_tensor(sequence.lengths())


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors (``pad_sequence`` then ``pack_padded_sequence``)."""
    sequences = list(sequences)
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The inverse of ``pack_sequence``: a list of (L_i, *) tensors in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
