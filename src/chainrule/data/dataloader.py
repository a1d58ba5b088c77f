"""``DataLoader``, the samplers and the collation rules, with ``torch.utils.data``'s names.

A DataLoader draws indices from a sampler, groups them with a ``BatchSampler``, fetches the
samples and merges them with ``collate_fn`` (``default_collate``: tensors are stacked, numbers
become tensors, tuples/lists/dicts are collated field by field). Loading runs in the calling
process: ``num_workers`` is validated and accepted for compatibility, but no worker processes
are started. When the dataset is a ``TensorDataset`` (or a ``Subset`` of one, as
``random_split`` makes) and the collation is the default one, each batch is one fancy index per
tensor instead of a stack of per-sample rows; the result is the same."""
from __future__ import annotations

import collections.abc
import copy
import math
from typing import Callable, Iterator

from ..autograd import grad_mode
from ..backend import np
from ..creation import as_tensor, tensor
from ..random import Generator, rng
from ..tensor import Tensor
from ..ops.shape import stack
from .dataset import IterableDataset, Subset, TensorDataset, take_rows

__all__ = ["DataLoader", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "BatchSampler", "default_collate", "default_convert"]


# ======================================================================== samplers
def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value!r}")


def _check_bool(name: str, value) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} should be a boolean value, but got {name}={value!r}")


class Sampler:
    """Yields dataset indices (or, for a batch sampler, lists of them). Subclasses define
    ``__iter__`` and, when the count is known, ``__len__``."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices into ``data_source``: a fresh permutation every epoch, or, with
    ``replacement=True``, ``num_samples`` independent uniform draws. Without replacement and
    ``num_samples > len(data_source)``, whole permutations follow each other. Draws from
    ``generator`` or else from the global generator (``chainrule.manual_seed``)."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator: Generator | None = None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, gen = len(self.data_source), rng(self.generator)
        if self.replacement:
            yield from gen.integers(0, n, size=self.num_samples).tolist()
            return
        full, rest = divmod(self.num_samples, n)
        for _ in range(full):
            yield from gen.permutation(n).tolist()
        if rest:
            yield from gen.permutation(n)[:rest].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a fresh random order every epoch."""

    def __init__(self, indices, generator: Generator | None = None):
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator:
        for i in rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last, shorter one is
    dropped when ``drop_last``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        _check_positive_int("batch_size", batch_size)
        _check_bool("drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list]:
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


# ======================================================================== collation
_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                  "lists; found {}")


def _is_string_array(a) -> bool:
    return a.dtype.kind in "SaUO"


def _collate_tensors(batch: list) -> Tensor:
    """Stack along a new first dim: one NumPy stack for plain data, ``chainrule.stack`` (which
    records the graph, promotes dtypes and names a size mismatch) otherwise."""
    first = batch[0]._data
    if (grad_mode.is_grad_enabled() and any(t.requires_grad for t in batch)) or any(
            t._data.shape != first.shape or t._data.dtype != first.dtype for t in batch):
        return stack(batch, 0)
    return Tensor._make(np.stack([t._data for t in batch]))


def default_collate(batch):
    """Merge a list of samples into a batch, as torch's ``default_collate``:

    tensors -> stacked along a new dim 0; NumPy arrays -> tensors, stacked; NumPy scalars ->
    a tensor of their dtype; Python floats -> float64, ints -> int64, bools -> bool tensors;
    strings -> left as a list; dicts -> a dict of collated fields; namedtuples -> the same
    namedtuple of collated fields; tuples -> a *list* of collated fields (torch's rule); other
    sequences -> the same type of collated fields (their elements must have equal lengths)."""
    if not isinstance(batch, (list, tuple)) or not batch:
        raise TypeError(f"default_collate: expected a non-empty list of samples, got "
                        f"{batch!r:.80}")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _collate_tensors(batch)
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if _is_string_array(elem):
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        if isinstance(elem, np.ndarray) and elem.ndim:
            return default_collate([as_tensor(b) for b in batch])
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=np.float64)
    if isinstance(elem, int):                       # bool is an int: a bool tensor, as torch
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: default_collate([d[key] for d in batch]) for key in elem}
        return _same_mapping_type(elem, fields)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               "equal size")
        fields = [default_collate(list(s)) for s in zip(*batch)]
        return fields if isinstance(elem, tuple) else _same_sequence_type(elem, fields)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def _same_mapping_type(elem, fields: dict):
    """``fields`` in ``elem``'s mapping type when it can be built that way, else a dict."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(fields)
            return clone
        return type(elem)(fields)
    except TypeError:
        return fields


def _same_sequence_type(elem, fields: list):
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            clone[:] = fields
            return clone
        return type(elem)(fields)
    except TypeError:
        return fields


def default_convert(data):
    """What a DataLoader without batching (``batch_size=None``) does to each sample: NumPy
    arrays and scalars become tensors, containers are converted element by element (tuples
    become lists, as in torch), everything else is returned unchanged."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)):
        return data if _is_string_array(data) else as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _same_mapping_type(data, {k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _same_sequence_type(data, [default_convert(d) for d in data])
    return data


# ======================================================================== DataLoader
def _tensor_rows(dataset):
    """``(tensors, index_map)`` when ``dataset`` is a TensorDataset, maybe inside Subsets
    (``index_map`` turns the loader's indices into rows of the tensors; None: identity);
    ``None`` for any other dataset."""
    maps = []
    while isinstance(dataset, Subset):
        maps.append(np.asarray(dataset.indices, dtype=np.int64))
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset or not dataset.tensors:
        return None
    index_map = None
    for m in maps:                       # outermost subset first: compose inwards
        index_map = m if index_map is None else m[index_map]
    return dataset.tensors, index_map


class DataLoader:
    """Iterate over ``dataset`` in batches.

    ``batch_size`` samples per batch (``None``: no batching, each sample passes through
    ``default_convert``); ``shuffle`` draws a fresh order each epoch from ``generator`` or the
    global generator; ``sampler`` / ``batch_sampler`` choose the indices yourself;
    ``collate_fn`` merges a list of samples (``default_collate``); ``drop_last`` drops the last
    incomplete batch. ``len(loader)`` is the number of batches. ``num_workers`` and
    ``pin_memory`` are accepted for torch compatibility; loading always runs in this process.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False,
                 sampler=None, batch_sampler=None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, generator: Generator | None = None):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be non-negative; use "
                             f"num_workers=0 to disable multiprocessing (got {num_workers!r})")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got "
                            f"{type(collate_fn).__name__}")
        _check_bool("drop_last", drop_last)
        self._is_stream = isinstance(dataset, IterableDataset)
        if self._is_stream and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle, "
                             f"sampler and batch_sampler options, but got shuffle={shuffle!r}, "
                             f"sampler={sampler!r}, batch_sampler={batch_sampler!r}")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size = None
        elif batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: batch_size=None option disables auto-batching "
                                 "and is mutually exclusive with drop_last")
        else:
            _check_positive_int("batch_size", batch_size)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if sampler is None and not self._is_stream:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_sampler is None and batch_size is not None and not self._is_stream:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = generator
        self._auto_collation = batch_size is not None or batch_sampler is not None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __iter__(self) -> Iterator:
        if self._is_stream:
            return self._iter_stream()
        if not self._auto_collation:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        rows = _tensor_rows(self.dataset) if self.collate_fn is default_collate else None
        if rows is not None:
            return self._iter_tensor_rows(*rows)
        return (self._fetch(indices) for indices in self.batch_sampler)

    def _fetch(self, indices: list):
        if hasattr(self.dataset, "__getitems__"):
            samples = self.dataset.__getitems__(indices)
        else:
            samples = [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def _iter_tensor_rows(self, tensors, index_map) -> Iterator[list]:
        """The fast path: one fancy index per tensor and batch; the same lists of stacked
        tensors that ``default_collate`` makes of TensorDataset samples."""
        for indices in self.batch_sampler:
            idx = np.asarray(indices, dtype=np.int64)
            if index_map is not None:
                idx = index_map[idx]
            yield [take_rows(t, idx) for t in tensors]

    def _iter_stream(self) -> Iterator:
        if not self._auto_collation:
            yield from (self.collate_fn(s) for s in self.dataset)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self._is_stream:
            if not hasattr(self.dataset, "__len__"):
                raise TypeError(f"DataLoader: the IterableDataset {type(self.dataset).__name__}"
                                f" has no __len__, so the number of batches is unknown")
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)
