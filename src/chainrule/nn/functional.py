"""torch.nn.functional's names for chainrule's ops (activations, softmax family, losses)."""
from __future__ import annotations

from ..ops.elementwise import (relu, relu6, leaky_relu, elu, selu, gelu, softplus, silu, mish,
                               sigmoid, tanh, hardtanh, hardsigmoid, hardswish, logsigmoid)
from ..ops.reduction import softmax, log_softmax
from ..ops.loss import cross_entropy, nll_loss, mse_loss
from ..ops.indexing import one_hot
from ..ops.shape import pad

__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "softplus", "silu", "mish",
           "sigmoid", "tanh", "hardtanh", "hardsigmoid", "hardswish", "logsigmoid", "softmax",
           "log_softmax", "cross_entropy", "nll_loss", "mse_loss", "one_hot", "pad"]
