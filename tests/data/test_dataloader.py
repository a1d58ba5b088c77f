"""DataLoader and the samplers: batching, drop_last, len, reproducible shuffling, the
TensorDataset fast path (same batches as per-sample collation), streams, and every error."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (BatchSampler, DataLoader, Dataset, IterableDataset, RandomSampler,
                            SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                            default_collate, random_split)


def rows(n=10):
    """A TensorDataset whose sample i is (i, 10 * i + [0, 1, 2] as float, i % 3)."""
    x = np.arange(n * 3).reshape(n, 3) + 7 * np.arange(n)[:, None]
    x = cr.tensor(x.astype(np.float32))
    return TensorDataset(cr.arange(n), x, cr.arange(n) % 3)


def first_column(loader):
    return [b[0].tolist() for b in loader]


def per_sample(batch):
    """default_collate through a different function object: disables the fast path."""
    return default_collate(batch)


# ------------------------------------------------------------------ batching
@pytest.mark.parametrize("n, bs, drop_last, expected", [
    (10, 3, False, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]),
    (10, 3, True, [[0, 1, 2], [3, 4, 5], [6, 7, 8]]),
    (9, 3, True, [[0, 1, 2], [3, 4, 5], [6, 7, 8]]),
    (4, 10, False, [[0, 1, 2, 3]]),
    (4, 10, True, []),
])
def test_sequential_batches_and_len(n, bs, drop_last, expected):
    loader = DataLoader(rows(n), batch_size=bs, drop_last=drop_last)
    assert first_column(loader) == expected
    assert len(loader) == len(expected)


def test_batch_structure_is_torch_like():
    xb = next(iter(DataLoader(rows(), batch_size=4)))
    assert isinstance(xb, list) and len(xb) == 3
    assert xb[1].shape == (4, 3) and xb[1].dtype == cr.float32 and xb[0].dtype == cr.int64


def test_matches_torch_dataloader():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader, TensorDataset as TorchTD
    x = np.random.default_rng(0).normal(size=(11, 2, 3)).astype(np.float32)
    y = np.arange(11) % 4
    ours = DataLoader(TensorDataset(cr.tensor(x), cr.tensor(y)), batch_size=4)
    theirs = TorchLoader(TorchTD(torch.tensor(x), torch.tensor(y)), batch_size=4)
    assert len(ours) == len(theirs)
    for (a, b), (c, d) in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())


def test_batch_size_none_yields_converted_samples():
    loader = DataLoader([(np.float32(1.5), 2), (np.float32(3.0), 4)], batch_size=None)
    out = list(loader)
    assert len(loader) == 2 and isinstance(out[0], list)
    assert out[0][0].dtype == cr.float32 and out[0][0].item() == 1.5 and out[0][1] == 2


def test_plain_list_dataset_and_custom_collate():
    loader = DataLoader(list(range(7)), batch_size=3, collate_fn=lambda b: sum(b))
    assert list(loader) == [3, 12, 6]


# ------------------------------------------------------------------ shuffling
def test_shuffle_is_a_permutation_and_fresh_each_epoch():
    loader = DataLoader(rows(20), batch_size=6, shuffle=True)
    cr.manual_seed(1)
    epoch1 = sum(first_column(loader), [])
    epoch2 = sum(first_column(loader), [])
    assert sorted(epoch1) == list(range(20)) == sorted(epoch2)
    assert epoch1 != epoch2


def test_shuffle_reproducible_from_manual_seed():
    loader = DataLoader(rows(20), batch_size=6, shuffle=True)
    cr.manual_seed(123)
    a = first_column(loader)
    cr.manual_seed(123)
    assert first_column(loader) == a


def test_shuffle_reproducible_from_generator():
    def run(seed):
        g = cr.Generator().manual_seed(seed)
        return first_column(DataLoader(rows(20), batch_size=5, shuffle=True, generator=g))
    cr.manual_seed(0)
    a = run(7)
    cr.manual_seed(99)               # the global seed does not matter with a generator
    assert run(7) == a and run(8) != a


# ------------------------------------------------------------------ the TensorDataset fast path
def assert_same_batches(fast, slow):
    fast, slow = list(fast), list(slow)
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow):
        assert type(a) is type(b) and len(a) == len(b)
        for s, t in zip(a, b):
            assert s.dtype == t.dtype
            np.testing.assert_array_equal(s.numpy(), t.numpy())


@pytest.mark.parametrize("bs, drop_last", [(1, False), (4, False), (4, True), (32, False)])
def test_fast_path_equals_per_sample_collation(bs, drop_last):
    ds = rows(10)
    assert_same_batches(DataLoader(ds, batch_size=bs, drop_last=drop_last),
                        DataLoader(ds, batch_size=bs, drop_last=drop_last,
                                   collate_fn=per_sample))


def test_fast_path_through_nested_subsets_and_shuffle():
    ds = rows(30)
    train, _ = random_split(ds, [20, 10], generator=cr.Generator().manual_seed(0))
    inner = Subset(train, [19, 0, 5, 5, 7, 2])
    for sub in (train, inner):
        cr.manual_seed(3)
        fast = list(DataLoader(sub, batch_size=4, shuffle=True))
        cr.manual_seed(3)
        slow = list(DataLoader(sub, batch_size=4, shuffle=True, collate_fn=per_sample))
        assert_same_batches(fast, slow)
    assert [int(v) for v in DataLoader(inner, batch_size=6).__iter__().__next__()[0]] == \
        [train.indices[i] for i in [19, 0, 5, 5, 7, 2]]


def test_fast_path_keeps_the_graph():
    w = cr.ones(6, 2, requires_grad=True)
    loader = DataLoader(TensorDataset(w * 3.0), batch_size=4)
    (xb,) = next(iter(loader))
    xb.sum().backward()
    assert w.grad.tolist() == [[3.0, 3.0]] * 4 + [[0.0, 0.0]] * 2


def test_getitems_hook_is_used():
    class Batched(Dataset):
        calls = []

        def __getitem__(self, i):
            raise AssertionError("per-sample access not expected")

        def __getitems__(self, indices):
            self.calls.append(list(indices))
            return [(i, float(i)) for i in indices]

        def __len__(self):
            return 5

    out = list(DataLoader(Batched(), batch_size=2))
    assert Batched.calls == [[0, 1], [2, 3], [4]]
    assert out[0][0].tolist() == [0, 1] and out[2][1].dtype == cr.float64


# ------------------------------------------------------------------ samplers
def test_sequential_sampler():
    s = SequentialSampler(range(4))
    assert list(s) == [0, 1, 2, 3] and len(s) == 4


def test_random_sampler_permutation_and_generator():
    g = cr.Generator().manual_seed(5)
    s = RandomSampler(range(10), generator=g)
    a = list(s)
    assert sorted(a) == list(range(10)) and len(s) == 10
    g.manual_seed(5)
    assert list(s) == a


def test_random_sampler_num_samples_without_replacement_repeats_permutations():
    s = RandomSampler(range(4), num_samples=10)
    out = list(s)
    assert len(out) == len(s) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3] and len(set(out[8:])) == 2


def test_random_sampler_with_replacement():
    cr.manual_seed(0)
    out = list(RandomSampler(range(3), replacement=True, num_samples=200))
    assert len(out) == 200 and set(out) == {0, 1, 2}


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(replacement=1), TypeError, "replacement should be a boolean"),
    (dict(num_samples=0), ValueError, "num_samples should be a positive integer"),
    (dict(num_samples=2.5), ValueError, "num_samples should be a positive integer"),
])
def test_random_sampler_errors(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        RandomSampler(range(3), **kwargs)


def test_random_sampler_on_empty_dataset_is_an_error():
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler([])


def test_subset_random_sampler():
    s = SubsetRandomSampler([10, 20, 30, 40], generator=cr.Generator().manual_seed(1))
    out = list(s)
    assert sorted(out) == [10, 20, 30, 40] and len(s) == 4


@pytest.mark.parametrize("n, bs, drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                              (2, 5, False), (2, 5, True)])
def test_batch_sampler_matches_torch(n, bs, drop_last):
    torch = pytest.importorskip("torch")
    ours = BatchSampler(SequentialSampler(range(n)), bs, drop_last)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), bs,
                                           drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("bs, drop_last, msg", [
    (0, False, "batch_size should be a positive integer"),
    (True, False, "batch_size should be a positive integer"),
    (2, "yes", "drop_last should be a boolean"),
])
def test_batch_sampler_errors(bs, drop_last, msg):
    with pytest.raises(ValueError, match=msg):
        BatchSampler(range(3), bs, drop_last)


def test_loader_with_sampler_and_batch_sampler():
    ds = rows(6)
    loader = DataLoader(ds, batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert first_column(loader) == [[5, 4], [3, 2], [1, 0]]
    loader = DataLoader(ds, batch_sampler=[[0, 5], [1], [2, 3, 4]])
    assert first_column(loader) == [[0, 5], [1], [2, 3, 4]] and len(loader) == 3
    assert loader.batch_size is None


# ------------------------------------------------------------------ streams
class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


class SizedCount(Count):
    def __len__(self):
        return self.n


@pytest.mark.parametrize("bs, drop_last, expected", [
    (3, False, [[0, 1, 2], [3, 4, 5], [6]]), (3, True, [[0, 1, 2], [3, 4, 5]]),
])
def test_iterable_dataset_batches(bs, drop_last, expected):
    loader = DataLoader(SizedCount(7), batch_size=bs, drop_last=drop_last)
    assert [b.tolist() for b in loader] == expected and len(loader) == len(expected)


def test_iterable_dataset_without_batching_and_without_len():
    loader = DataLoader(Count(3), batch_size=None)
    assert list(loader) == [0, 1, 2]
    with pytest.raises(TypeError, match="has no __len__"):
        len(loader)
    assert len(DataLoader(SizedCount(3), batch_size=None)) == 3


def test_iterable_dataset_refuses_shuffle_and_samplers():
    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="IterableDataset: expected unspecified"):
            DataLoader(Count(3), **kwargs)


# ------------------------------------------------------------------ argument errors
@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(batch_sampler=[[0]], batch_size=2), ValueError, "mutually exclusive"),
    (dict(batch_sampler=[[0]], shuffle=True), ValueError, "mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), ValueError, "mutually exclusive"),
    (dict(batch_sampler=[[0]], sampler=[0]), ValueError, "mutually exclusive"),
    (dict(sampler=[0], shuffle=True), ValueError, "sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), ValueError, "batch_size=None"),
    (dict(batch_size=0), ValueError, "batch_size should be a positive integer"),
    (dict(num_workers=-1), ValueError, "num_workers option should be non-negative"),
    (dict(collate_fn=3), TypeError, "collate_fn must be callable"),
    (dict(drop_last=1), ValueError, "drop_last should be a boolean"),
])
def test_loader_argument_errors(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        DataLoader(rows(3), **kwargs)


def test_num_workers_loads_in_process():
    loader = DataLoader(rows(5), batch_size=2, num_workers=2, pin_memory=True)
    assert first_column(loader) == [[0, 1], [2, 3], [4]] and loader.num_workers == 2
