"""Loss ops that need a fused, numerically stable forward and a direct backward."""
from __future__ import annotations

from ..autograd.function import Function
from ..backend import np
from ._util import Tensor, op_error, describe

__all__ = ["cross_entropy", "nll_loss", "mse_loss"]


class CrossEntropy(Function):
    """L = mean_n -log softmax(x_n)[y_n] (class indices, 'mean'/'sum'/'none', ignore_index,
    weights);  dL/dx_n = (softmax(x_n) - onehot(y_n)) * w_{y_n} / normaliser."""

    op_name = "cross_entropy"

    def forward(ctx, x, target, weight, reduction, ignore_index):
        z = x - x.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        valid = target != ignore_index
        safe_t = np.where(valid, target, 0)
        picked = np.take_along_axis(logp, np.expand_dims(safe_t, 1), axis=1).squeeze(1)
        w = weight[safe_t] if weight is not None else np.ones(target.shape, x.dtype)
        w = np.where(valid, w, 0).astype(x.dtype)
        losses = -picked * w
        ctx.reduction = reduction
        ctx.target = np.expand_dims(safe_t, 1)
        ctx.save_for_backward(x, w)
        if reduction == "none":
            return losses
        if reduction == "sum":
            return np.asarray(losses.sum(), dtype=x.dtype)
        ctx.denom = w.sum()
        return np.asarray(losses.sum() / ctx.denom, dtype=x.dtype)

    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        scale = w._data if ctx.reduction != "mean" else w._data / ctx.denom
        return CrossEntropyBackward.apply(grad, x, ctx.target, scale[:, None], ctx.reduction)


class CrossEntropyBackward(Function):
    """The gradient of cross-entropy as one op: z = (softmax(x) - onehot(t)) * s * g, with s the
    per-row weight (over the normaliser) and g the incoming gradient (a number, or one per row
    for reduction='none').  dz/dg = sum over classes of (softmax(x) - onehot) * s;  dz/dx is
    softmax's backward applied to c = gz * s * g: p * (c - sum_j c_j p_j)."""

    def forward(ctx, g, x, target, scale, reduction):
        z = np.exp(x - x.max(axis=1, keepdims=True))
        p = z / z.sum(axis=1, keepdims=True)
        np.put_along_axis(p, target, np.take_along_axis(p, target, axis=1) - 1, axis=1)
        ctx.target, ctx.scale, ctx.reduction = target, scale, reduction
        ctx.save_for_backward(g, x)
        gcol = g[:, None] if reduction == "none" else g
        return p * (scale * gcol)

    def backward(ctx, grad):
        g, x = ctx.saved_tensors
        ng, nx = ctx.needs_input_grad[:2]
        p = x.softmax(1)
        onehot = np.zeros(x._data.shape, dtype=x._data.dtype)
        np.put_along_axis(onehot, ctx.target, 1, axis=1)
        gg = gx = None
        if ng:
            d = grad * (p - onehot) * ctx.scale
            gg = d.sum(1) if ctx.reduction == "none" else d.sum()
        if nx:
            c = grad * ctx.scale * (g.unsqueeze(1) if ctx.reduction == "none" else g)
            gx = p * (c - (c * p).sum(1, keepdim=True))
        return gg, gx


def _move_class_dim(input: Tensor, target):
    """(N, C, d1, ...) -> (N*d1*..., C) as torch's losses accept."""
    if input._data.ndim > 2:
        c = input._data.shape[1]
        perm = (0,) + tuple(range(2, input._data.ndim)) + (1,)
        return input.permute(perm).reshape(-1, c), target.reshape(-1), True
    return input, target, False


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Softmax cross-entropy of logits ``input`` (N, C) against class indices or probabilities
    ``target``: -sum_c t_c log softmax(input)_c."""
    if reduction not in ("mean", "sum", "none"):
        raise op_error(ValueError, f"cross_entropy: {reduction} is not a valid value for "
                                   f"reduction")
    if not isinstance(target, Tensor):
        raise op_error(TypeError, "cross_entropy: target must be a Tensor")
    squeeze_batch = input._data.ndim == 1
    if squeeze_batch:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    if target._data.dtype.kind == "f" or label_smoothing > 0:
        return _soft_cross_entropy(input, target, weight, ignore_index, reduction,
                                   label_smoothing, squeeze_batch)
    if target._data.dtype.kind not in "iu":
        raise op_error(RuntimeError, f"cross_entropy: expected target of integer class indices "
                                     f"or float probabilities, got {target.dtype}")
    shape_nd = target._data.shape
    x, t, moved = _move_class_dim(input, target)
    n, c = x._data.shape
    if t._data.shape != (n,):
        raise op_error(ValueError, f"cross_entropy: expected target of shape ({n},) for input "
                                   f"{describe(input)}, got {describe(target)}")
    td = t._data
    bad = (td != ignore_index) & ((td < 0) | (td >= c))
    if bad.any():
        raise op_error(IndexError, f"cross_entropy: target {int(td[bad][0])} is out of bounds "
                                   f"for {c} classes")
    w = weight._data if isinstance(weight, Tensor) else weight
    out = CrossEntropy.apply(x, td, w, reduction, ignore_index)
    if reduction == "none":
        out = out.reshape(shape_nd)
        if squeeze_batch:
            out = out.squeeze(0)
    return out


def _soft_cross_entropy(input, target, weight, ignore_index, reduction, eps, squeeze_batch):
    c = input._data.shape[1]
    logp = input.log_softmax(1)
    if target._data.dtype.kind == "f":
        if target._data.shape != input._data.shape:
            raise op_error(ValueError, f"cross_entropy: probability target {describe(target)} "
                                       f"must match input {describe(input)}")
        probs = target
        valid = None
    else:
        t = target._data
        valid = t != ignore_index
        onehot = np.zeros(input._data.shape, dtype=input._data.dtype)
        np.put_along_axis(onehot, np.expand_dims(np.where(valid, t, 0), 1), 1, axis=1)
        probs = Tensor._make(onehot)
    if eps > 0:
        probs = probs * (1 - eps) + eps / c
    shape = [1] * input._data.ndim
    shape[1] = c
    wl = logp * weight.reshape(shape) if weight is not None else logp
    losses = -(probs * wl).sum(1)
    if valid is not None:
        losses = losses * Tensor._make(valid.astype(input._data.dtype))
    if reduction == "none":
        return losses.squeeze(0) if squeeze_batch else losses
    if reduction == "sum":
        return losses.sum()
    if valid is not None:
        if weight is not None:
            denom = (weight._data[np.where(valid, target._data, 0)] * valid).sum()
        else:
            denom = valid.sum()
        return losses.sum() / float(denom)
    return losses.mean() if weight is None or True else losses.sum()


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean"):
    """-input[n, target[n]] averaged (weighted) over n: the loss on log-probabilities."""
    x, t, _ = _move_class_dim(input, target)
    td = t._data
    valid = td != ignore_index
    safe = np.where(valid, td, 0)
    picked = x.gather(1, Tensor._make(np.expand_dims(safe, 1))).squeeze(1)
    w = weight._data[safe] if isinstance(weight, Tensor) else np.ones(td.shape, x._data.dtype)
    w = Tensor._make(np.where(valid, w, 0).astype(x._data.dtype))
    losses = -picked * w
    if reduction == "none":
        return losses.reshape(target._data.shape)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / float(w._data.sum())


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """mean((input - target)**2)."""
    if input._data.shape != target._data.shape:
        import warnings
        warnings.warn(f"mse_loss: Using a target size ({tuple(target._data.shape)}) that is "
                      f"different to the input size ({tuple(input._data.shape)}). This will "
                      f"likely lead to incorrect results due to broadcasting.", stacklevel=2)
    d = (input - target).square()
    return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d
