"""Registry cases: reshaping and rearranging ops."""
from op_registry import OpCase, F

CASES = [
    OpCase("reshape", lambda T, a: a.reshape(4, 3), (F(3, 4),)),
    OpCase("reshape.infer", lambda T, a: a.reshape(-1, 2), (F(3, 4),)),
    OpCase("view", lambda T, a: a.view(2, 6), (F(3, 4),)),
    OpCase("expand", lambda T, a: a.expand(2, 3, 4), (F(3, 1),)),
    OpCase("permute", lambda T, a: a.permute(2, 0, 1), (F(2, 3, 4),)),
    OpCase("transpose", lambda T, a: a.transpose(0, 2), (F(2, 3, 4),)),
    OpCase("t", lambda T, a: a.t(), (F(2, 3),)),
    OpCase("squeeze", lambda T, a: a.squeeze(), (F(1, 3, 1),)),
    OpCase("unsqueeze", lambda T, a: a.unsqueeze(1), (F(2, 3),)),
    OpCase("flatten", lambda T, a: a.flatten(1), (F(2, 3, 4),)),
    OpCase("unflatten", lambda T, a: a.unflatten(1, (2, 2)), (F(3, 4),)),
    OpCase("movedim", lambda T, a: T.movedim(a, 0, 2), (F(2, 3, 4),)),
]
