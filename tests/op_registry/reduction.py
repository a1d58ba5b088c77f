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

CASES += [
    # ---------------------------------------------------------------- products, cumulative
    OpCase("prod", lambda T, a: T.prod(a), (F(3, 4),)),
    OpCase("prod.dim", lambda T, a: a.prod(1), (F(3, 4),)),
    OpCase("prod.keepdim", lambda T, a: T.prod(a, 0, keepdim=True), (F(3, 4),)),
    OpCase("prod.zero", lambda T, a: a.prod(), (F(3, 4, zeros=(5,)),)),
    OpCase("prod.zeros_dim", lambda T, a: a.prod(-1), (F(3, 4, zeros=(1, 6, 8, 10)),)),
    OpCase("cumsum", lambda T, a: T.cumsum(a, 1), (F(3, 4),)),
    OpCase("cumsum.neg_dim", lambda T, a: a.cumsum(-2), (F(2, 3, 2),)),
    OpCase("cumprod", lambda T, a: T.cumprod(a, 1), (F(3, 4),)),
    OpCase("cumprod.zeros", lambda T, a: a.cumprod(1),
           (F(3, 5, zeros=(1, 3, 7, 10, 11, 12)),)),
    # ---------------------------------------------------------------- norms
    OpCase("norm", lambda T, a: a.norm(), (F(3, 4),)),
    OpCase("norm.fro_dim", lambda T, a: T.norm(a, "fro", dim=1), (F(3, 4),)),
    OpCase("norm.p1", lambda T, a: T.norm(a, 1, dim=0, keepdim=True), (F(3, 4),)),
    OpCase("norm.inf", lambda T, a: a.norm(float("inf"), 1), (F(3, 4),)),
    OpCase("norm.neg_inf", lambda T, a: a.norm(float("-inf")), (F(3, 4),)),
    OpCase("norm.p3", lambda T, a: a.norm(3, dim=(0, 1)), (F(3, 4),)),
    OpCase("norm.p_half", lambda T, a: a.norm(0.5, dim=1), (F(3, 4),)),
    OpCase("norm.p0", lambda T, a: a.norm(0, dim=1), (F(3, 4, zeros=(2,)),)),
    # an all-zero row: gradient 0 as torch; no second derivative exists there
    OpCase("norm.p2_with_zero", lambda T, a: a.norm(2, dim=1), (F(3, 4, zeros=(0, 1, 2, 3)),),
           gradgradcheck=False),
    OpCase("norm.p3_with_zero", lambda T, a: a.norm(3, dim=1), (F(3, 4, zeros=(1,)),)),
    OpCase("dist", lambda T, a, b: T.dist(a, b), (F(3, 4), F(4))),
    OpCase("dist.p1", lambda T, a, b: a.dist(b, 1), (F(3, 4), F(3, 4))),
]
