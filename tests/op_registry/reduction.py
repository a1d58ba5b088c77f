"""Registry cases: reductions and the softmax family."""
from op_registry import OpCase, F

CASES = [
    OpCase("sum", lambda T, a: T.sum(a), (F(3, 4),)),
    OpCase("sum.dim", lambda T, a: a.sum(1), (F(3, 4),)),
    OpCase("sum.dims_keepdim", lambda T, a: a.sum((0, 2), keepdim=True), (F(2, 3, 4),)),
    OpCase("mean", lambda T, a: a.mean(), (F(3, 4),)),
    OpCase("mean.dim", lambda T, a: a.mean(-1, keepdim=True), (F(3, 4),)),
    OpCase("var", lambda T, a: a.var(1), (F(3, 4),)),
    OpCase("var.correction0", lambda T, a: T.var(a, (0, 1), correction=0), (F(3, 4),)),
    OpCase("std", lambda T, a: a.std(0, keepdim=True), (F(3, 4),)),
    OpCase("amax", lambda T, a: T.amax(a, 1), (F(3, 4),)),
    OpCase("amin", lambda T, a: T.amin(a, (0, 1)), (F(3, 4),)),
    OpCase("max", lambda T, a: T.max(a), (F(3, 4),)),
    OpCase("max.dim", lambda T, a: T.max(a, 1)[0], (F(3, 4),)),
    OpCase("min.dim_keepdim", lambda T, a: T.min(a, 0, keepdim=True).values, (F(3, 4),)),
    OpCase("logsumexp", lambda T, a: T.logsumexp(a, 1), (F(3, 4),)),
    OpCase("logsumexp.keepdim", lambda T, a: T.logsumexp(a, (0, 1), keepdim=True), (F(3, 4),)),
    OpCase("softmax", lambda T, a: T.softmax(a, 1), (F(3, 4),)),
    OpCase("softmax.dim0", lambda T, a: T.softmax(a, 0), (F(3, 4),)),
    OpCase("log_softmax", lambda T, a: T.log_softmax(a, -1), (F(3, 4),)),
]
