"""TensorDataset, Subset, ConcatDataset and random_split (lengths, fractions with torch's
rounding, reproducibility, errors)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset,
                            random_split)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


# ------------------------------------------------------------------ TensorDataset
def test_tensor_dataset_rows():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    y = cr.tensor([7, 8, 9])
    ds = TensorDataset(x, y)
    assert len(ds) == 3
    a, b = ds[1]
    assert a.tolist() == [3.0, 4.0] and b.shape == () and b.item() == 8
    a, b = ds[-1]
    assert a.tolist() == [5.0, 6.0] and b.item() == 9
    a, _ = ds[[2, 0]]
    assert a.tolist() == [[5.0, 6.0], [1.0, 2.0]]


def test_tensor_dataset_row_of_a_leaf_that_requires_grad_is_recorded():
    w = cr.tensor([[1.0], [2.0]], requires_grad=True)
    (row,) = TensorDataset(w)[1]
    (row * 5).sum().backward()
    assert w.grad.tolist() == [[0.0], [5.0]]


def test_tensor_dataset_size_mismatch():
    with pytest.raises(ValueError, match=r"Size mismatch between tensors.*\[3, 2\]"):
        TensorDataset(cr.zeros(3, 2), cr.zeros(2))


def test_tensor_dataset_type_errors():
    with pytest.raises(TypeError, match="argument 1 is ndarray"):
        TensorDataset(cr.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="0-d tensor"):
        TensorDataset(cr.tensor(1.0))


# ------------------------------------------------------------------ Subset / ConcatDataset
def test_subset():
    sub = Subset(Squares(10), [9, 2, 4])
    assert len(sub) == 3 and sub[0] == 81 and sub[2] == 16
    assert Subset(Squares(10), [1, 2]).__getitems__([1, 0]) == [4, 1]


def test_subset_list_index_goes_to_the_wrapped_dataset():
    x = cr.arange(10) * 2
    sub = Subset(TensorDataset(x), [7, 1, 3])
    (rows,) = sub[[0, 2]]
    assert rows.tolist() == [14, 6]


def test_concat_dataset():
    cat = ConcatDataset([Squares(3), Squares(2), Squares(4)])
    assert len(cat) == 9 and cat.cumulative_sizes == [3, 5, 9]
    assert [cat[i] for i in range(9)] == [0, 1, 4, 0, 1, 0, 1, 4, 9]
    assert cat[-1] == 9 and cat[-9] == 0
    assert len(Squares(2) + Squares(5)) == 7


@pytest.mark.parametrize("build, exc, msg", [
    (lambda: ConcatDataset([]), ValueError, "should not be an empty iterable"),
    (lambda: ConcatDataset([Squares(2), IterableDataset()]), TypeError,
     "does not support IterableDataset"),
    (lambda: ConcatDataset([Squares(2)])[-3], ValueError, "should not exceed dataset length"),
    (lambda: ConcatDataset([Squares(2)])[2], IndexError, "out of range"),
    (lambda: IterableDataset() + IterableDataset(), TypeError, "concatenation"),
])
def test_concat_errors(build, exc, msg):
    with pytest.raises(exc, match=msg):
        build()


def test_abstract_methods_say_what_is_missing():
    with pytest.raises(NotImplementedError, match="must define __getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="must define __iter__"):
        iter(IterableDataset())


# ------------------------------------------------------------------ random_split
def test_random_split_lengths_disjoint_and_complete():
    parts = random_split(Squares(10), [6, 3, 1], generator=cr.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [6, 3, 1]
    joined = sorted(i for p in parts for i in p.indices)
    assert joined == list(range(10))


def test_random_split_reproducible():
    a = random_split(Squares(20), [15, 5], generator=cr.Generator().manual_seed(4))
    b = random_split(Squares(20), [15, 5], generator=cr.Generator().manual_seed(4))
    assert a[0].indices == b[0].indices
    cr.manual_seed(11)
    c = random_split(Squares(20), [15, 5])
    cr.manual_seed(11)
    assert random_split(Squares(20), [15, 5])[0].indices == c[0].indices


@pytest.mark.parametrize("n, fractions", [
    (10, [0.7, 0.3]), (11, [0.5, 0.5]), (10, [1 / 3] * 3), (7, [0.1, 0.2, 0.7]),
    (5, [0.25, 0.25, 0.25, 0.25]),
])
def test_random_split_fractions_like_torch(n, fractions):
    torch = pytest.importorskip("torch")
    ours = [len(p) for p in random_split(Squares(n), fractions)]
    theirs = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
    assert ours == theirs and sum(ours) == n


def test_random_split_warns_on_empty_split():
    with pytest.warns(UserWarning, match="length of split at index 2 is 0"):
        random_split(Squares(2), [0.5, 0.5, 0.0])


@pytest.mark.parametrize("lengths, msg", [
    ([5, 4], "Sum of input lengths"),
    ([1.2, -0.2], "Fraction at index 0 is not between 0 and 1"),
    ([0.5, 0.4], "lengths must be non-negative integers or fractions"),
    ([12, -2], "lengths must be non-negative integers"),
])
def test_random_split_errors(lengths, msg):
    with pytest.raises(ValueError, match=msg):
        random_split(Squares(10), lengths)
