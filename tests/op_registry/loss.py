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


# ---------------------------------------------------------------- class-index losses (more)
NLL_TARGET_WITH_IGNORED = np.array([2, 0, -1, 4])


def _nll(**kw):
    return lambda T, x, y: T.nn.functional.nll_loss(x.log_softmax(1), y, **kw)


CASES += [
    OpCase("nll_loss", _nll(), (F(4, 5), I(5, 4))),
    OpCase("nll_loss.sum", _nll(reduction="sum"), (F(4, 5), I(5, 4))),
    OpCase("nll_loss.none", _nll(reduction="none"), (F(4, 5), I(5, 4))),
    OpCase("nll_loss.weight", lambda T, x, y, w: T.nn.functional.nll_loss(x, y, weight=w),
           (F(4, 5), I(5, 4), P(5, grad=False))),
    OpCase("nll_loss.ignore_index", lambda T, x: T.nn.functional.nll_loss(
        x, T.tensor(NLL_TARGET_WITH_IGNORED), ignore_index=-1), (F(4, 5),)),
    OpCase("nll_loss.spatial", _nll(), (F(2, 3, 2, 2), I(3, 2, 2, 2))),
    OpCase("nll_loss.unbatched", lambda T, x: T.nn.functional.nll_loss(x, T.tensor(1)),
           (F(5),)),
    OpCase("cross_entropy.label_smoothing.weight_ignore",
           lambda T, x, w: T.nn.functional.cross_entropy(
               x, T.tensor(TARGET_WITH_IGNORED), weight=w, label_smoothing=0.2),
           (F(4, 5), P(5, grad=False))),
    OpCase("cross_entropy.label_smoothing.none", _ce(label_smoothing=0.3, reduction="none"),
           (F(4, 5), I(5, 4))),
    OpCase("cross_entropy.label_smoothing.spatial_sum",
           _ce(label_smoothing=0.1, reduction="sum"), (F(2, 3, 2, 2), I(3, 2, 2, 2))),
    OpCase("cross_entropy.probs.weight_smoothing",
           lambda T, x, p, w: T.nn.functional.cross_entropy(x, p.softmax(1), weight=w,
                                                            label_smoothing=0.1),
           (F(4, 5), F(4, 5), P(5, grad=False))),
]

# ---------------------------------------------------------------- regression losses
CASES += [
    OpCase("mse_loss.sum", lambda T, a, b: T.nn.functional.mse_loss(a, b, reduction="sum"),
           (F(3, 4), F(3, 4))),
    OpCase("mse_loss.none", lambda T, a, b: T.nn.functional.mse_loss(a, b, reduction="none"),
           (F(3, 4), F(3, 4))),
    OpCase("mse_loss.weight", lambda T, a, b, w: T.nn.functional.mse_loss(a, b, weight=w),
           (F(3, 4), F(3, 4), P(3, 4, grad=False))),
    OpCase("l1_loss", lambda T, a, b: T.nn.functional.l1_loss(a, b), (F(3, 4), F(3, 4))),
    OpCase("l1_loss.none", lambda T, a, b: T.nn.functional.l1_loss(a, b, reduction="none"),
           (F(3, 4), F(3, 4))),
    OpCase("l1_loss.weight_sum", lambda T, a, b, w: T.nn.functional.l1_loss(
        a, b, reduction="sum", weight=w), (F(3, 4), F(3, 4), P(3, 4, grad=False))),
    OpCase("smooth_l1_loss", lambda T, a, b: T.nn.functional.smooth_l1_loss(a, b, beta=0.7),
           (F(3, 4), F(3, 4))),
    OpCase("smooth_l1_loss.none", lambda T, a, b: T.nn.functional.smooth_l1_loss(
        a, b, reduction="none"), (F(3, 4), F(3, 4))),
    OpCase("smooth_l1_loss.beta0", lambda T, a, b: T.nn.functional.smooth_l1_loss(
        a, b, reduction="sum", beta=0.0), (F(3, 4), F(3, 4))),
    OpCase("huber_loss", lambda T, a, b: T.nn.functional.huber_loss(a, b, delta=0.8),
           (F(3, 4), F(3, 4))),
    OpCase("huber_loss.sum", lambda T, a, b: T.nn.functional.huber_loss(
        a, b, reduction="sum", delta=1.5), (F(3, 4), F(3, 4))),
    OpCase("huber_loss.weight_none", lambda T, a, b, w: T.nn.functional.huber_loss(
        a, b, reduction="none", weight=w), (F(3, 4), F(3, 4), P(3, 4, grad=False))),
]

# ---------------------------------------------------------------- binary and KL losses
CASES += [
    OpCase("binary_cross_entropy", lambda T, x, y: T.nn.functional.binary_cross_entropy(
        x.sigmoid(), y.sigmoid()), (F(3, 4), F(3, 4))),
    OpCase("binary_cross_entropy.weight_sum",
           lambda T, x, y, w: T.nn.functional.binary_cross_entropy(
               x.sigmoid(), y.sigmoid(), weight=w, reduction="sum"),
           (F(3, 4), F(3, 4), P(4, grad=False))),
    OpCase("binary_cross_entropy.none", lambda T, x, y: T.nn.functional.binary_cross_entropy(
        x.sigmoid(), y.sigmoid(), reduction="none"), (F(3, 4), F(3, 4, grad=False))),
    OpCase("binary_cross_entropy_with_logits",
           lambda T, x, y: T.nn.functional.binary_cross_entropy_with_logits(x, y.sigmoid()),
           (F(3, 4), F(3, 4))),
    OpCase("binary_cross_entropy_with_logits.weights",
           lambda T, x, y, w, pw: T.nn.functional.binary_cross_entropy_with_logits(
               x, y.sigmoid(), weight=w, pos_weight=pw, reduction="none"),
           (F(3, 4), F(3, 4), P(3, 4, grad=False), P(4, grad=False))),
    OpCase("kl_div.batchmean", lambda T, x, y: T.nn.functional.kl_div(
        x.log_softmax(1), y.softmax(1), reduction="batchmean"), (F(3, 4), F(3, 4))),
    OpCase("kl_div.sum", lambda T, x, y: T.nn.functional.kl_div(
        x.log_softmax(1), y.softmax(1), reduction="sum"), (F(3, 4), F(3, 4))),
    OpCase("kl_div.none.log_target", lambda T, x, y: T.nn.functional.kl_div(
        x.log_softmax(1), y.log_softmax(1), reduction="none", log_target=True),
           (F(3, 4), F(3, 4))),
]
