"""Loss functions (torch.nn.functional's). Cross-entropy and binary cross-entropy are Functions
with a stable fused forward and torch's backward; the others are composites of elementwise ops
(so every order of derivative is exact). Every loss takes ``reduction`` 'mean' | 'sum' | 'none'
and torch's deprecated ``size_average`` / ``reduce`` pair."""
from __future__ import annotations

import warnings

from ..autograd.function import Function
from ..backend import np
from ._util import Tensor, op_error, describe
from .elementwise import where, xlogy, exp, logsigmoid, clamp, log, log1p

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]

_REDUCTIONS = ("none", "mean", "sum")


# ======================================================================== shared helpers
def _reduction(size_average, reduce, reduction: str, op: str) -> str:
    """The reduction to use: ``reduction``, unless the legacy ``size_average``/``reduce`` pair
    is given (then torch's mapping and its deprecation warning)."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", stacklevel=3)
    if reduction not in _REDUCTIONS:
        raise op_error(ValueError, f"{op}: {reduction} is not a valid value for reduction")
    return reduction


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _weighted_reduce(losses: Tensor, weight, input: Tensor, reduction: str, op: str) -> Tensor:
    """Reduce ``losses * weight`` ('mean' divides by the summed weights, as torch); plain
    ``_reduce`` without a weight."""
    if weight is None:
        return _reduce(losses, reduction)
    if weight.shape != input.shape:
        raise op_error(ValueError, f"{op}: Weights and input must have the same size "
                                   f"(weight {describe(weight)}, input {describe(input)}).")
    losses = losses * weight
    return losses.sum() / weight.sum() if reduction == "mean" else _reduce(losses, reduction)


def _warn_size_mismatch(input: Tensor, target: Tensor, op: str) -> None:
    if input.shape != target.shape:
        warnings.warn(f"{op}: Using a target size ({target.shape}) that is different to the "
                      f"input size ({input.shape}). This will likely lead to incorrect results "
                      f"due to broadcasting. Please ensure they have the same size.",
                      stacklevel=3)


def _check_tensors(op: str, **tensors) -> None:
    for name, t in tensors.items():
        if not isinstance(t, Tensor):
            raise op_error(TypeError, f"{op}(): argument '{name}' must be Tensor, not "
                                      f"{type(t).__name__}")


# ======================================================================== class-index losses
class CrossEntropy(Function):
    """L = mean_n -log softmax(x_n)[y_n] (class indices, 'mean'/'sum'/'none', ignore_index,
    weights);  dL/dx_n = (softmax(x_n) - onehot(y_n)) * w_{y_n} / normaliser."""

    op_name = "cross_entropy"

    def forward(ctx, x, target, weight, reduction, ignore_index):
        z = x - x.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        valid = target != ignore_index
        every = bool(valid.all())           # (the usual case: nothing ignored)
        safe_t = target if every else np.where(valid, target, 0)
        rows = np.arange(target.shape[0])
        picked = logp[rows, safe_t]         # (plain indexing: ~10x take_along_axis's speed)
        w = weight[safe_t].astype(x.dtype) if weight is not None else \
            np.ones(target.shape, x.dtype)
        if not every:
            w = np.where(valid, w, 0).astype(x.dtype)
        losses = -picked * w
        ctx.reduction = reduction
        ctx.target = (rows, safe_t)
        ctx.save_for_backward(x, w)
        if reduction == "none":
            return losses
        if reduction == "sum":
            return np.asarray(losses.sum(), dtype=x.dtype)
        ctx.denom = w.sum()
        with np.errstate(invalid="ignore", divide="ignore"):     # all ignored: nan, as torch
            return np.asarray(losses.sum() / ctx.denom, dtype=x.dtype)

    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        scale = w._data if ctx.reduction != "mean" else w._data / ctx.denom
        return CrossEntropyBackward.apply(grad, x, ctx.target, scale[:, None], ctx.reduction)


class CrossEntropyBackward(Function):
    """The gradient of cross-entropy as one op: z = (softmax(x) - onehot(t)) * s * g, with s the
    per-row weight (over the normaliser) and g the incoming gradient (a number, or one per row
    for reduction='none').  dz/dg = sum over classes of (softmax(x) - onehot) * s;  dz/dx is
    softmax's backward applied to c = gz * s * g: p * (c - sum_j c_j p_j). ``target`` is the
    pair (rows, class per row) that indexes the ones of onehot(t)."""

    def forward(ctx, g, x, target, scale, reduction):
        z = np.exp(x - x.max(axis=1, keepdims=True))
        p = z / z.sum(axis=1, keepdims=True)
        p[target] -= 1
        ctx.target, ctx.scale, ctx.reduction = target, scale, reduction
        ctx.save_for_backward(g, x)
        gcol = g[:, None] if reduction == "none" else g
        return p * (scale * gcol)

    def backward(ctx, grad):
        g, x = ctx.saved_tensors
        ng, nx = ctx.needs_input_grad[:2]
        p = x.softmax(1)
        onehot = np.zeros(x._data.shape, dtype=x._data.dtype)
        onehot[ctx.target] = 1
        gg = gx = None
        if ng:
            d = grad * (p - onehot) * ctx.scale
            gg = d.sum(1) if ctx.reduction == "none" else d.sum()
        if nx:
            c = grad * ctx.scale * (g.unsqueeze(1) if ctx.reduction == "none" else g)
            gx = p * (c - (c * p).sum(1, keepdim=True))
        return gg, gx


def _move_class_dim(input: Tensor, target: Tensor):
    """(N, C, d1, ...) -> (N*d1*..., C) and the target flattened, as torch's losses accept."""
    if input._data.ndim > 2:
        c = input._data.shape[1]
        perm = (0,) + tuple(range(2, input._data.ndim)) + (1,)
        return input.permute(perm).reshape(-1, c), target.reshape(-1)
    return input, target


def _check_class_target(input: Tensor, target: Tensor, weight, ignore_index: int,
                        op: str) -> None:
    """torch's checks of a class-index target: dtype, shape (N,) or (N, d1, ...), weight of
    size C, every target in [0, C) or ignore_index."""
    if target._data.dtype.kind not in "iu":
        raise op_error(RuntimeError, f"{op}: expected target dtype to be Long (class indices), "
                                     f"but got {target.dtype}")
    si, st = input._data.shape, target._data.shape
    if st[:1] != si[:1]:
        raise op_error(ValueError, f"{op}: Expected input batch_size ({si[0]}) to match target "
                                   f"batch_size ({st[0] if st else 0}).")
    if st != si[:1] + si[2:]:
        raise op_error(RuntimeError, f"{op}: Expected target size {list(si[:1] + si[2:])}, got "
                                     f"{list(st)}")
    c = si[1]
    if weight is not None and weight._data.shape != (c,):
        raise op_error(RuntimeError, f"{op}: weight tensor should be defined either for all {c} "
                                     f"classes or no classes but got weight tensor of shape: "
                                     f"{list(weight._data.shape)}")
    td = target._data
    bad = (td != ignore_index) & ((td < 0) | (td >= c))
    if bad.any():
        raise op_error(IndexError, f"{op}: Target {int(td[bad][0])} is out of bounds.")


def _batched(input: Tensor, target: Tensor, op: str):
    """Unbatched (C,) input with a 0-d target -> (1, C) and (1,); flag to undo it."""
    if input._data.ndim == 0:
        raise op_error(ValueError, f"{op}: Expected 1 or more dimensions for input (got 0)")
    if input._data.ndim == 1:
        if target._data.ndim != 0 and target._data.dtype.kind in "iu":
            raise op_error(ValueError, f"{op}: Expected a 0-d target for the unbatched input "
                                       f"{describe(input)}, got {describe(target)}")
        return input.unsqueeze(0), target.unsqueeze(0), True
    return input, target, False


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Softmax cross-entropy of logits ``input`` (N, C, d1, ...) against class indices
    (N, d1, ...) or class probabilities (same shape as input):
    -sum_c w_c t_c log softmax(input)_c, where with ``label_smoothing`` eps the target is
    (1 - eps) t + eps / C. 'mean' divides by the summed weights of the non-ignored targets
    (class indices) or by the number of samples (probabilities)."""
    _check_tensors("cross_entropy", input=input, target=target)
    reduction = _reduction(size_average, reduce, reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise op_error(RuntimeError, f"cross_entropy: label_smoothing must be between 0.0 and "
                                     f"1.0. Got: {label_smoothing}")
    input, target, squeeze = _batched(input, target, "cross_entropy")
    if target._data.dtype.kind == "f":
        if target._data.shape != input._data.shape:
            raise op_error(ValueError, f"cross_entropy: probability target {describe(target)} "
                                       f"must match input {describe(input)}")
        losses = _soft_cross_entropy(input, target, weight, label_smoothing)
        return _reduce(losses.squeeze(0) if squeeze else losses, reduction)
    _check_class_target(input, target, weight, ignore_index, "cross_entropy")
    if label_smoothing > 0:
        out = _smoothed_cross_entropy(input, target, weight, ignore_index, reduction,
                                      label_smoothing)
    else:
        x, t = _move_class_dim(input, target)
        w = weight._data if isinstance(weight, Tensor) else weight
        out = CrossEntropy.apply(x, t._data, w, reduction, ignore_index)
        if reduction == "none":
            out = out.reshape(target._data.shape)
    return out.squeeze(0) if squeeze and reduction == "none" else out


def _class_shaped(weight: Tensor, ndim: int) -> Tensor:
    """Weight (C,) shaped to broadcast along dim 1 of an ``ndim``-D input."""
    shape = [1] * ndim
    shape[1] = weight._data.shape[0]
    return weight.reshape(shape)


def _soft_cross_entropy(input, probs, weight, eps):
    """Per-sample -sum_c w_c p_c log softmax(x)_c for probability targets."""
    c = input._data.shape[1]
    logp = input.log_softmax(1)
    if eps > 0:
        probs = probs * (1 - eps) + eps / c
    if weight is not None:
        logp = logp * _class_shaped(weight, input.ndim)
    return -(probs * logp).sum(1)


def _smoothed_cross_entropy(input, target, weight, ignore_index, reduction, eps):
    """torch's label smoothing for class indices: (1 - eps) * nll + eps / C * (-sum_c w_c
    log p_c), the second term zero at ignored targets and 'mean' normalised like nll."""
    c = input._data.shape[1]
    logp = input.log_softmax(1)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    wl = logp * _class_shaped(weight, input.ndim) if weight is not None else logp
    valid = target._data != ignore_index
    smooth = -wl.sum(1) * Tensor._make(valid.astype(input._data.dtype))
    if reduction == "none":
        smooth_red = smooth
    elif reduction == "sum":
        smooth_red = smooth.sum()
    else:
        if weight is not None:
            denom = weight._data[target._data[valid]].sum()
        else:
            denom = valid.sum()
        smooth_red = smooth.sum() / float(denom)
    return nll * (1 - eps) + smooth_red * (eps / c)


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C, d1, ...) at class indices
    ``target`` (N, d1, ...): -w_{y_n} input[n, y_n], 'mean' divided by the summed weights of the
    non-ignored targets."""
    _check_tensors("nll_loss", input=input, target=target)
    reduction = _reduction(size_average, reduce, reduction, "nll_loss")
    input, target, squeeze = _batched(input, target, "nll_loss")
    _check_class_target(input, target, weight, ignore_index, "nll_loss")
    x, t = _move_class_dim(input, target)
    td = t._data
    valid = td != ignore_index
    safe = np.where(valid, td, 0)
    picked = x.gather(1, Tensor._make(np.expand_dims(safe, 1))).squeeze(1)
    w = weight._data[safe] if isinstance(weight, Tensor) else np.ones(td.shape, x._data.dtype)
    w = np.where(valid, w, 0).astype(x._data.dtype)
    losses = -picked * Tensor._make(w)
    if reduction == "none":
        losses = losses.reshape(target._data.shape)
        return losses.squeeze(0) if squeeze else losses
    if reduction == "sum":
        return losses.sum()
    total = w.sum()
    if total == 0:                          # every target ignored: nan, as torch
        return losses.sum() * float("nan")
    return losses.sum() / float(total)


# ======================================================================== regression losses
def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None):
    """(input - target)**2 (times ``weight``), reduced."""
    _check_tensors("mse_loss", input=input, target=target)
    reduction = _reduction(size_average, reduce, reduction, "mse_loss")
    _warn_size_mismatch(input, target, "mse_loss")
    return _weighted_reduce((input - target).square(), weight, input, reduction, "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
            weight=None):
    """|input - target| (times ``weight``), reduced; the gradient at 0 is 0."""
    _check_tensors("l1_loss", input=input, target=target)
    reduction = _reduction(size_average, reduce, reduction, "l1_loss")
    _warn_size_mismatch(input, target, "l1_loss")
    return _weighted_reduce((input - target).abs(), weight, input, reduction, "l1_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0):
    """With d = input - target: 0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta
    (beta = 0 is the L1 loss)."""
    _check_tensors("smooth_l1_loss", input=input, target=target)
    reduction = _reduction(size_average, reduce, reduction, "smooth_l1_loss")
    if beta < 0:
        raise op_error(RuntimeError, "smooth_l1_loss: smooth_l1_loss does not support negative "
                                     "values for beta.")
    _warn_size_mismatch(input, target, "smooth_l1_loss")
    d = input - target
    ad = d.abs()
    if beta == 0.0:
        return _reduce(ad, reduction)
    return _reduce(where(ad < beta, d.square() * (0.5 / beta), ad - 0.5 * beta), reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """With d = input - target: 0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta);
    times ``weight`` (input's shape; 'mean' then divides by the summed weights)."""
    _check_tensors("huber_loss", input=input, target=target)
    reduction = _reduction(None, None, reduction, "huber_loss")
    if delta <= 0:
        raise op_error(RuntimeError, "huber_loss: huber_loss does not support non-positive "
                                     "values for delta.")
    _warn_size_mismatch(input, target, "huber_loss")
    d = input - target
    ad = d.abs()
    losses = where(ad < delta, d.square() * 0.5, (ad - 0.5 * delta) * delta)
    return _weighted_reduce(losses, weight, input, reduction, "huber_loss")


# ======================================================================== binary losses
class BinaryCrossEntropy(Function):
    """l = -w (y log x + (1 - y) log(1 - x)) elementwise, each log clamped at -100 (as torch);
    dl/dx = w (x - y) / max(x (1 - x), 1e-12),  dl/dy = w (log(1 - x) - log x) (clamped logs).
    The clamps keep the loss and its gradient finite at x = 0 and x = 1."""

    op_name = "binary_cross_entropy"

    def forward(ctx, x, y, w):
        ctx.w = w
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        out = (y - 1) * log_1mx - y * log_x
        return out if w is None else out * w

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        if ctx.w is not None:
            grad = grad * Tensor._make(ctx.w)
        nx, ny = ctx.needs_input_grad[:2]
        gx = grad * (x - y) / clamp(x * (1 - x), min=1e-12) if nx else None
        gy = grad * (clamp(log1p(-x), min=-100) - clamp(log(x), min=-100)) if ny else None
        return gx, gy, None


def _weight_like(weight, target: Tensor, op: str):
    """A loss weight broadcast to the target's shape (as an array)."""
    if weight is None:
        return None
    w = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    try:
        return np.broadcast_to(w, target._data.shape).astype(target._data.dtype)
    except ValueError:
        raise op_error(RuntimeError, f"{op}: weight of shape {tuple(w.shape)} does not broadcast "
                                     f"to the target's shape {tuple(target.shape)}") from None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """-w (y log x + (1 - y) log(1 - x)) for probabilities ``input`` in [0, 1] (logs clamped
    at -100), reduced."""
    _check_tensors("binary_cross_entropy", input=input, target=target)
    reduction = _reduction(size_average, reduce, reduction, "binary_cross_entropy")
    if target.shape != input.shape:
        raise op_error(ValueError, f"binary_cross_entropy: Using a target size ({target.shape}) "
                                   f"that is different to the input size ({input.shape}) is "
                                   f"deprecated. Please ensure they have the same size.")
    for name, t in (("input", input), ("target", target)):
        if ((t._data < 0) | (t._data > 1)).any():
            raise op_error(RuntimeError, f"binary_cross_entropy: all elements of {name} should "
                                         f"be between 0 and 1")
    x = input._data
    if target._data.dtype != x.dtype:
        target = target.to(input.dtype)
    w = _weight_like(weight, target, "binary_cross_entropy")
    return _reduce(BinaryCrossEntropy.apply(input, target, w), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable formula:
    l = (1 - y) x - (1 + (pos_weight - 1) y) log sigmoid(x), times ``weight``; reduced."""
    _check_tensors("binary_cross_entropy_with_logits", input=input, target=target)
    reduction = _reduction(size_average, reduce, reduction, "binary_cross_entropy_with_logits")
    if target.shape != input.shape:
        raise op_error(ValueError, f"binary_cross_entropy_with_logits: Target size "
                                   f"({target.shape}) must be the same as input size "
                                   f"({input.shape})")
    log_sig = logsigmoid(input)
    if pos_weight is not None:
        log_sig = log_sig * ((pos_weight - 1) * target + 1)
    losses = (1 - target) * input - log_sig
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False):
    """KL(target || q) pointwise for log-probabilities ``input`` = log q:
    target (log target - input), or exp(target) (target - input) with ``log_target``.
    'batchmean' divides the sum by the batch size (the true KL divergence per sample)."""
    _check_tensors("kl_div", input=input, target=target)
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction, "kl_div")
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise op_error(ValueError, f"kl_div: {reduction} is not a valid value for reduction")
    if log_target:
        losses = exp(target) * (target - input)
    else:
        losses = xlogy(target, target) - target * input
    if reduction == "batchmean":
        total = losses.sum()
        return total / input.shape[0] if input.ndim != 0 else total
    return _reduce(losses, reduction)
