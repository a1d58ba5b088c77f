"""Registry cases: indexing, setitem, gather/scatter, index_*, masks, triangles, sorting."""
from op_registry import OpCase, F, I, B, K


def _setitem(T, a, key, value):
    """A differentiable assignment: c = a.clone(); c[key] = value (a and value get gradients)."""
    c = a.clone()
    c[key] = value
    return c


CASES = [
    # ---------------------------------------------------------------- getitem: basic
    OpCase("getitem.int", lambda T, a: a[1], (F(3, 4),)),
    OpCase("getitem.negative_int", lambda T, a: a[-1, 2], (F(3, 4),)),
    OpCase("getitem.slice", lambda T, a: a[1:3, ::2], (F(4, 5),)),
    OpCase("getitem.negative_slice_bounds", lambda T, a: a[-3:-1, -2:], (F(4, 5),)),
    # torch refuses negative steps: compared with flip
    OpCase("getitem.negative_step", lambda T, a: a[::-1, 1], (F(4, 3),),
           torch_fn=lambda T, a: T.flip(a, [0])[:, 1]),
    OpCase("getitem.negative_step2", lambda T, a: a[:, 4:0:-2], (F(3, 5),),
           torch_fn=lambda T, a: T.flip(a, [1])[:, 0:4:2]),
    OpCase("getitem.none_ellipsis", lambda T, a: a[None, ..., 1], (F(2, 3, 4),)),
    OpCase("getitem.ellipsis_middle", lambda T, a: a[1, ..., None, 0:2], (F(2, 3, 4),)),
    OpCase("getitem.scalar_result", lambda T, a: a[0, 1] * a[2, 3], (F(3, 4),)),
    OpCase("getitem.0d_index", lambda T, a, i: a[i[0], :, i[1]], (F(3, 2, 4), I(3, 2))),
    # ---------------------------------------------------------------- getitem: advanced
    OpCase("getitem.index_tensor_duplicates", lambda T, a, i: a[i], (F(3, 4), I(3, 7))),
    OpCase("getitem.index_list", lambda T, a: a[[0, 2, 2, -1]], (F(3, 4),)),
    OpCase("getitem.index_2d", lambda T, a, i: a[i], (F(4, 3), I(4, 2, 3))),
    OpCase("getitem.index_with_slice", lambda T, a, i: a[1:, i], (F(3, 4, 2), I(4, 5))),
    OpCase("getitem.index_pair", lambda T, a, i, j: a[i, j], (F(3, 4), I(3, 5), I(4, 5))),
    OpCase("getitem.index_pair_broadcast", lambda T, a, i, j: a[i, j],
           (F(3, 4), I(3, 2, 1), I(4, 3))),
    OpCase("getitem.index_separated", lambda T, a, i, j: a[i, :, j],
           (F(2, 3, 4), I(2, 5), I(4, 5))),
    OpCase("getitem.index_adjacent_after_slice", lambda T, a, i, j: a[:, i, j],
           (F(2, 3, 4), I(3, 5), I(4, 5))),
    # torch selects the ints first (NumPy would move the indexed dim to the front)
    OpCase("getitem.int_with_index", lambda T, a, i: a[1, :, i], (F(2, 3, 4), I(4, 5))),
    OpCase("getitem.int_with_mask", lambda T, a, m: a[:, 0, m], (F(2, 3, 4), B(4))),
    OpCase("getitem.mask", lambda T, a, m: a[m], (F(3, 4), B(3, 4))),
    OpCase("getitem.mask_rows", lambda T, a, m: a[m], (F(5, 2), B(5))),
    OpCase("getitem.mask_then_slice", lambda T, a, m: a[:, m, 1:], (F(2, 4, 3), B(4))),
    # ---------------------------------------------------------------- setitem / index_put
    OpCase("setitem.slice", lambda T, a, b: _setitem(T, a, slice(1, 3), b), (F(4, 3), F(2, 3))),
    OpCase("setitem.broadcast_value", lambda T, a, b: _setitem(T, a, (slice(None), 0), b),
           (F(3, 4), F(1))),
    OpCase("setitem.number", lambda T, a: _setitem(T, a, (0, slice(1, None)), 2.5), (F(3, 4),)),
    OpCase("setitem.index", lambda T, a, b: _setitem(T, a, [2, 0], b), (F(3, 4), F(2, 4))),
    OpCase("setitem.int_with_index", lambda T, a, b: _setitem(T, a, (0, slice(None), [3, 1]), b),
           (F(2, 3, 4), F(3, 2))),
    OpCase("setitem.mask_scalar_tensor", lambda T, a, m, b: _setitem(T, a, m, b),
           (F(3, 4), B(3, 4), F())),
    OpCase("setitem.value_only", lambda T, b: _setitem(T, T.zeros(3, 4, dtype=b.dtype),
                                                       (1, slice(None, None, 2)), b), (F(2),)),
    OpCase("index_put", lambda T, a, i, b: T.index_put(a, (T.tensor(i),), b), (F(5, 2), K([4, 1]),
                                                                     F(2, 2))),
    OpCase("index_put.accumulate", lambda T, a, i, j, b: T.index_put(a, (i, j), b, True),
           (F(3, 4), I(3, 6), I(4, 6), F(6))),
    OpCase("index_put_", lambda T, a, i, b: a.clone().index_put_((i,), b, accumulate=True),
           (F(3, 4), I(3, 5), F(4))),
    # ---------------------------------------------------------------- gather / scatter
    OpCase("gather", lambda T, a, i: T.gather(a, 1, i), (F(3, 4), I(4, 3, 6))),
    OpCase("gather.dim0_smaller_index", lambda T, a, i: a.gather(0, i), (F(4, 3), I(4, 2, 2))),
    OpCase("gather.3d_negative_dim", lambda T, a, i: T.gather(a, -1, i),
           (F(2, 3, 4), I(4, 2, 3, 2))),
    OpCase("scatter_add", lambda T, a, i, b: T.scatter_add(a, 0, i, b),
           (F(3, 4), I(3, 5, 4), F(5, 4))),
    # only src's leading (2, 3) block is read; torch's backward fails on a larger src, so torch
    # is given that block
    OpCase("scatter_add.src_larger", lambda T, a, i, b: a.scatter_add(1, i, b),
           (F(3, 4), I(4, 2, 3), F(3, 5)),
           torch_fn=lambda T, a, i, b: a.scatter_add(1, i, b[:2, :3])),
    OpCase("scatter_add_", lambda T, a, i, b: a.clone().scatter_add_(1, i, b),
           (F(3, 4), I(4, 3, 6), F(3, 6))),
    # distinct indices per row: with duplicates "the last write wins" has no derivative
    OpCase("scatter.src", lambda T, a, i, b: T.scatter(a, 1, T.tensor(i), b),
           (F(3, 4), K([[2, 0], [1, 3], [0, 1]]), F(3, 2))),
    OpCase("scatter.src_larger", lambda T, a, i, b: T.scatter(a, 0, T.tensor(i), b),
           (F(3, 4), K([[2, 0], [1, 2]]), F(3, 3)),
           torch_fn=lambda T, a, i, b: T.scatter(a, 0, T.tensor(i), b[:2, :2])),
    OpCase("scatter.value", lambda T, a, i: T.scatter(a, 1, i, 2.5), (F(3, 4), I(4, 3, 2))),
    OpCase("scatter_", lambda T, a, i, b: a.clone().scatter_(0, T.tensor(i), b),
           (F(3, 2), K([[2, 1]]), F(1, 2))),
    # ---------------------------------------------------------------- index_* along a dim
    OpCase("index_select", lambda T, a, i: T.index_select(a, 1, i), (F(3, 4), I(4, 6))),
    OpCase("index_select.dim0", lambda T, a, i: a.index_select(0, i), (F(3, 2, 2), I(3, 4))),
    OpCase("index_add", lambda T, a, i, b: T.index_add(a, 0, i, b, alpha=0.5),
           (F(3, 4), I(3, 5), F(5, 4))),
    OpCase("index_add.dim1", lambda T, a, i, b: a.index_add(1, i, b),
           (F(2, 3, 2), I(3, 4), F(2, 4, 2))),
    OpCase("index_add_", lambda T, a, i, b: a.clone().index_add_(1, i, b),
           (F(3, 4), I(4, 3), F(3, 3))),
    OpCase("index_fill", lambda T, a, i: T.index_fill(a, 1, i, -1.5), (F(3, 4), I(4, 3))),
    OpCase("index_fill.tensor_value", lambda T, a, i, v: a.index_fill(0, i, v),
           (F(3, 4), I(3, 2), F())),
    OpCase("index_fill_", lambda T, a, i: a.clone().index_fill_(1, i, 0.0),
           (F(3, 4), I(4, 2))),
    # ---------------------------------------------------------------- masks, take
    OpCase("masked_fill", lambda T, a, m: T.masked_fill(a, m, 0.5), (F(3, 4), B(3, 4))),
    OpCase("masked_fill.broadcast_mask", lambda T, a, m: a.masked_fill(m, -2.0),
           (F(3, 4), B(4))),
    OpCase("masked_fill.broadcast_input", lambda T, a, m: a.masked_fill(m, -2.0),
           (F(4), B(2, 4))),
    OpCase("masked_fill.tensor_value", lambda T, a, m, v: T.masked_fill(a, m, v),
           (F(3, 4), B(3, 1), F())),
    OpCase("masked_fill_", lambda T, a, m: a.clone().masked_fill_(m, 0.0), (F(3, 4), B(3, 4))),
    OpCase("masked_select", lambda T, a, m: T.masked_select(a, m), (F(3, 4), B(3, 4))),
    OpCase("masked_select.broadcast", lambda T, a, m: a.masked_select(m), (F(3, 1), B(2, 3, 4))),
    OpCase("take", lambda T, a, i: T.take(a, i), (F(3, 4), I(12, 2, 5))),
    OpCase("take_along_dim", lambda T, a, i: T.take_along_dim(a, i, 1), (F(3, 4), I(4, 3, 5))),
    OpCase("take_along_dim.broadcast", lambda T, a, i: T.take_along_dim(a, i, dim=0),
           (F(4, 3), I(4, 2, 1))),
    OpCase("take_along_dim.flat", lambda T, a, i: T.take_along_dim(a, i), (F(3, 4), I(12, 7))),
    # ---------------------------------------------------------------- triangles
    OpCase("tril", lambda T, a: T.tril(a), (F(4, 4),)),
    OpCase("tril.batched_negative", lambda T, a: a.tril(-1), (F(2, 3, 4),)),
    OpCase("triu", lambda T, a: T.triu(a, 1), (F(3, 5),)),
    OpCase("triu_", lambda T, a: a.clone().triu_(), (F(4, 3),)),
    # ---------------------------------------------------------------- sorting
    OpCase("sort", lambda T, a: T.sort(a, 1), (F(3, 5),)),
    OpCase("sort.descending_dim0", lambda T, a: a.sort(dim=0, descending=True).values,
           (F(4, 3),)),
    OpCase("topk", lambda T, a: T.topk(a, 2, dim=0), (F(5, 3),)),
    OpCase("topk.smallest", lambda T, a: a.topk(3, largest=False).values, (F(2, 6),)),
    OpCase("kthvalue", lambda T, a: T.kthvalue(a, 2, 1), (F(3, 5),)),
    OpCase("kthvalue.keepdim", lambda T, a: a.kthvalue(3, 0, keepdim=True).values, (F(4, 3),)),
]
