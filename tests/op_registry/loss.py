"""Registry cases: fused losses (cross-entropy) and losses built from other ops."""
import numpy as np

from op_registry import OpCase, F, P, I

TARGET_WITH_IGNORED = np.array([1, -100, 3, 0])


def _ce(**kw):
    return lambda T, x, y: T.nn.functional.cross_entropy(x, y, **kw)


def _ce_weighted(**kw):
    return lambda T, x, y, w: T.nn.functional.cross_entropy(x, y, weight=w, **kw)


def _ce_ignore(T, x):
    return T.nn.functional.cross_entropy(x, T.tensor(TARGET_WITH_IGNORED), ignore_index=-100)


CASES = [
    OpCase("cross_entropy", _ce(), (F(4, 5), I(5, 4))),
    OpCase("cross_entropy.sum", _ce(reduction="sum"), (F(4, 5), I(5, 4))),
    OpCase("cross_entropy.none", _ce(reduction="none"), (F(4, 5), I(5, 4))),
    OpCase("cross_entropy.weight", _ce_weighted(), (F(4, 5), I(5, 4), P(5, grad=False))),
    OpCase("cross_entropy.ignore_index", _ce_ignore, (F(4, 5),)),
    OpCase("cross_entropy.spatial", _ce(), (F(2, 3, 2, 2), I(3, 2, 2, 2))),
    OpCase("cross_entropy.label_smoothing", _ce(label_smoothing=0.1), (F(4, 5), I(5, 4))),
    OpCase("cross_entropy.probs",
           lambda T, x, p: T.nn.functional.cross_entropy(x, p.softmax(1)), (F(4, 5), F(4, 5))),
    OpCase("mse_loss", lambda T, a, b: T.nn.functional.mse_loss(a, b), (F(3, 4), F(3, 4))),
    OpCase("cross_entropy.unbatched", lambda T, x: T.nn.functional.cross_entropy(
        x, T.tensor(2)), (F(5),)),
]


def _double_backward(loss_fn):
    """d/dx of <dL/dx, v>: reaches the fused backward ops (CrossEntropyBackward)."""
    def fn(T, x, v, *rest):
        (g,) = T.autograd.grad(loss_fn(T, x, *rest), x, create_graph=True)
        return (g * v).sum() + g.sum()
    return fn


CASES += [
    OpCase("cross_entropy.double_backward", _double_backward(_ce()),
           (F(4, 5), F(4, 5), I(5, 4))),
    OpCase("cross_entropy.none.double_backward",
           _double_backward(lambda T, x, y: _ce(reduction="none")(T, x, y).square().sum()),
           (F(4, 5), F(4, 5), I(5, 4))),
]
