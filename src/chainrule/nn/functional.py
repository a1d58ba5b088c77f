"""torch.nn.functional: the functional forms of the layers, with torch's names, arguments and
defaults. Most are chainrule's ops (activations, softmax family, losses, dropout, conv, pooling,
normalisation); the ones composed here are the activations' ``inplace`` forms, ``linear``,
``bilinear``, ``embedding``, ``prelu`` and the distance functions."""
from __future__ import annotations

from .. import ops as _ops
from ..autograd.grad_mode import no_grad
from ..backend import np
from ..ops import elementwise as _ew
from ..ops._util import Tensor, op_error, describe
from ..ops.dropout import dropout, dropout1d, dropout2d, dropout3d
from ..ops.elementwise import (gelu, softplus, sigmoid, tanh, logsigmoid, where, clamp)
from ..ops.indexing import one_hot
from ..ops.linalg import einsum, mm
from ..ops.loss import (cross_entropy, nll_loss, mse_loss, l1_loss, smooth_l1_loss, huber_loss,
                        binary_cross_entropy, binary_cross_entropy_with_logits, kl_div)
from ..ops import reduction as _reduction
from ..ops.shape import pad

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "softplus",
           "silu", "mish", "sigmoid", "tanh", "hardtanh", "hardsigmoid", "hardswish",
           "logsigmoid", "softsign", "tanhshrink", "threshold", "prelu", "softmax", "softmin",
           "log_softmax", "linear", "bilinear", "embedding", "dropout", "dropout1d", "dropout2d",
           "dropout3d", "normalize", "cosine_similarity", "pairwise_distance", "cross_entropy",
           "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "one_hot",
           "pad", "gumbel_softmax"]


# ======================================================================== activations
def _maybe_inplace(result_of, input: Tensor, inplace: bool, name: str) -> Tensor:
    """``result_of(input)``, or written into ``input`` when ``inplace`` (torch's rules for
    in-place ops: a leaf that requires grad refuses, a saved input raises at backward)."""
    if not inplace:
        return result_of(input)
    return input._inplace(result_of(input._snapshot(name + "_")), name + "_")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0)."""
    return _maybe_inplace(_ew.relu, input, inplace, "relu")


def relu_(input: Tensor) -> Tensor:
    """In-place relu."""
    return relu(input, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6)."""
    return _maybe_inplace(_ew.relu6, input, inplace, "relu6")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where input > 0, else negative_slope * input."""
    return _maybe_inplace(lambda x: _ew.leaky_relu(x, negative_slope), input, inplace,
                          "leaky_relu")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where input > 0, else alpha * (exp(input) - 1)."""
    return _maybe_inplace(lambda x: _ew.elu(x, alpha), input, inplace, "elu")


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(input, alpha) with the self-normalising constants."""
    return _maybe_inplace(_ew.selu, input, inplace, "selu")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where input > 0, else alpha * (exp(input / alpha) - 1) = alpha * elu(x / alpha)."""
    if alpha == 0:
        raise op_error(RuntimeError, "celu: ZeroDivisionError (alpha must not be 0)")
    return _maybe_inplace(lambda x: _ew.elu(x / alpha, 1.0) * alpha, input, inplace, "celu")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """input * sigmoid(input)."""
    return _maybe_inplace(_ew.silu, input, inplace, "silu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * tanh(softplus(input))."""
    return _maybe_inplace(_ew.mish, input, inplace, "mish")


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clamp(input, min_val, max_val)."""
    if min_val > max_val:
        raise op_error(ValueError, f"hardtanh: min_val ({min_val}) cannot be greater than "
                                   f"max_val ({max_val})")
    return _maybe_inplace(lambda x: _ew.hardtanh(x, min_val, max_val), input, inplace,
                          "hardtanh")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """clamp(input / 6 + 1/2, 0, 1)."""
    return _maybe_inplace(_ew.hardsigmoid, input, inplace, "hardsigmoid")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * hardsigmoid(input)."""
    return _maybe_inplace(_ew.hardswish, input, inplace, "hardswish")


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """input where input > threshold, else value."""
    return _maybe_inplace(lambda x: where(x > threshold, x, value), input, inplace, "threshold")


def softsign(input: Tensor) -> Tensor:
    """input / (1 + |input|)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """input - tanh(input)."""
    return input - tanh(input)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """input where input >= 0, else weight * input, with one learned slope per channel (dim 1)
    or one shared slope (weight of 1 element)."""
    n = weight.numel()
    if weight.ndim > 1:
        raise op_error(RuntimeError, f"prelu: weight should be a scalar or 1-D, got "
                                     f"{describe(weight)}")
    if n != 1:
        c = input.shape[1] if input.ndim >= 2 else (input.shape[0] if input.ndim == 1 else 1)
        if n != c:
            raise op_error(RuntimeError, f"prelu: Mismatch of parameter numbers and input "
                                         f"channel size. Found parameter numbers = {n} and "
                                         f"channel size = {c}.")
        if input.ndim >= 2:
            weight = weight.reshape((1, n) + (1,) * (input.ndim - 2))
    else:
        weight = weight.reshape(())
    return where(input._data >= 0, input, weight * input)


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (computed in ``dtype`` when given)."""
    return _reduction.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x_i - logsumexp(x) along ``dim``, stable (computed in ``dtype`` when given)."""
    return _reduction.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-input) along ``dim``."""
    return softmax(-input, dim, dtype=dtype)


# ======================================================================== linear maps
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight^T + bias over the last dim of input: (*, in) -> (*, out) with weight
    (out, in) and bias (out,)."""
    if weight.ndim != 2:
        raise op_error(RuntimeError, f"linear: weight must be 2-D (out_features, in_features), "
                                     f"got {describe(weight)}")
    shape = input.shape
    if not shape or shape[-1] != weight.shape[1]:
        rows = 1 if len(shape) < 2 else shape[:-1].numel()
        raise op_error(RuntimeError, f"linear: mat1 and mat2 shapes cannot be multiplied "
                                     f"({rows}x{shape[-1] if shape else 0} and "
                                     f"{weight.shape[1]}x{weight.shape[0]}): input "
                                     f"{describe(input)}, weight {describe(weight)}")
    if input.ndim == 2:
        out = mm(input, weight.t())
    elif input.ndim == 1:
        out = input.matmul(weight.t())
    else:                                   # (*, in) as one matrix: one GEMM, no batch sums
        out = mm(input.reshape(-1, shape[-1]), weight.t()).reshape(*shape[:-1], weight.shape[0])
    return out if bias is None else out + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_o = input1^T A_o input2 + b_o: (*, in1), (*, in2), weight (out, in1, in2) -> (*, out)."""
    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] or \
            input2.shape[-1] != weight.shape[2] or input1.shape[:-1] != input2.shape[:-1]:
        raise op_error(RuntimeError, f"bilinear: expected input1 (*, in1), input2 (*, in2) and "
                                     f"weight (out, in1, in2), got {describe(input1)}, "
                                     f"{describe(input2)}, {describe(weight)}")
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


# ======================================================================== embedding
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of ``weight`` (num_embeddings, dim) at the integer indices ``input``:
    output shape (*input.shape, dim). The row ``padding_idx`` gets no gradient; with
    ``max_norm`` the looked-up rows whose ``norm_type``-norm exceeds it are first rescaled
    in place to that norm."""
    if scale_grad_by_freq or sparse:
        raise op_error(NotImplementedError, "embedding: scale_grad_by_freq and sparse gradients "
                                            "are not supported by chainrule")
    if not isinstance(input, Tensor) or input._data.dtype.kind not in "iu":
        what = describe(input) if isinstance(input, Tensor) else type(input).__name__
        raise op_error(RuntimeError, f"embedding: Expected tensor for argument #1 'indices' to "
                                     f"have one of the following scalar types: Long, Int; but "
                                     f"got {what} instead")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= n
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise op_error(IndexError, f"embedding: index out of range in self (indices in "
                                   f"[{idx.min()}, {idx.max()}], num_embeddings {n})")
    if max_norm is not None:
        _renorm_rows_(weight, idx, max_norm, norm_type)
    out = weight.index_select(0, input.reshape(-1)).reshape(*input.shape, weight.shape[1])
    if padding_idx is not None:
        pad_rows = (idx == padding_idx)[..., None]
        if pad_rows.any():
            out = where(pad_rows, out.detach(), out)
    return out


def _renorm_rows_(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Scale the rows ``idx`` of weight whose norm exceeds max_norm down to max_norm (in place,
    no gradient), as torch's embedding_renorm_."""
    rows = np.unique(idx)
    with no_grad():
        w = weight._data
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        over = norms > max_norm
        if over.any():
            scale = max_norm / (norms[over] + 1e-7)
            w[rows[over]] = w[rows[over]] * scale[:, None].astype(w.dtype)
            weight._version += 1


# ======================================================================== gumbel-softmax
def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """y = softmax((logits + g) / tau) along ``dim`` with g = -log(E), E ~ Exp(1) iid (Gumbel
    noise from chainrule's global generator). With ``hard`` the value is one_hot(argmax y) and
    the gradient is that of y (straight-through: y_hard - y.detach() + y)."""
    from ..random import rng
    if not isinstance(logits, Tensor):
        raise op_error(TypeError, f"gumbel_softmax: logits must be a Tensor, got "
                                  f"{type(logits).__name__}")
    if logits._data.dtype.kind != "f":
        raise op_error(TypeError, f"gumbel_softmax: expected floating-point logits, got "
                                  f"{describe(logits)}")
    a = logits._data
    gumbels = Tensor._make(-np.log(rng().standard_exponential(a.shape)).astype(a.dtype))
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    idx = np.expand_dims(np.argmax(y_soft._data, axis=dim), dim)
    y_hard = np.zeros_like(y_soft._data)
    np.put_along_axis(y_hard, idx, 1.0, axis=dim)
    return Tensor._make(y_hard) - y_soft.detach() + y_soft


# ======================================================================== distances
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """input / max(||input||_p over dim, eps)."""
    if out is not None:
        raise op_error(TypeError, "normalize: out= is not supported by chainrule")
    return input / clamp(input.norm(p, dim, keepdim=True), min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / ||x1|| * x2 / ||x2||) along dim, each norm at least eps."""
    n1 = clamp(x1.norm(2, dim, keepdim=True), min=eps)
    n2 = clamp(x2.norm(2, dim, keepdim=True), min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


# ======================================================================== conv, pooling, norms
# torch.nn.functional's conv / pool / norm functions are chainrule ops: take every one that
# the op families define (conv2d, max_pool2d, batch_norm, interpolate, ...).
for _family in _ops.FAMILIES:
    if _family.__name__.rsplit(".", 1)[-1] in ("conv", "pool", "norm"):
        globals().update({_name: getattr(_family, _name) for _name in _family.__all__})
        __all__ += [_name for _name in _family.__all__ if _name not in __all__]
