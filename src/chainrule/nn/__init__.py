"""chainrule.nn: the Module system, layers, losses, initialisation and utilities, with torch.nn's
names, arguments, parameter names and default initialisation. The functional forms live in
``chainrule.nn.functional``."""
from . import functional, init, utils  # noqa: F401
from .parameter import Parameter
from .module import Module
from .container import Sequential, ModuleList, ModuleDict, ParameterList
from .linear import Identity, Linear, Bilinear, Flatten, Unflatten
from .activation import (ReLU, ReLU6, LeakyReLU, PReLU, ELU, SELU, CELU, GELU, SiLU, Mish, Tanh,
                         Sigmoid, Hardtanh, Hardsigmoid, Hardswish, LogSigmoid, Softplus,
                         Softsign, Tanhshrink, Threshold, Softmax, Softmin, LogSoftmax)
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from .sparse import Embedding
from .loss import (L1Loss, MSELoss, SmoothL1Loss, HuberLoss, CrossEntropyLoss, NLLLoss, BCELoss,
                   BCEWithLogitsLoss, KLDivLoss)
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .pooling import (MaxPool1d, MaxPool2d, MaxUnpool1d, MaxUnpool2d, AvgPool1d, AvgPool2d,
                      AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d,
                      AdaptiveMaxPool2d)
from .normalization import (BatchNorm1d, BatchNorm2d, InstanceNorm1d, InstanceNorm2d, LayerNorm,
                            GroupNorm)
from .upsampling import Upsample, UpsamplingNearest2d
from .rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell

__all__ = [
    "Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "Identity",
    "Linear", "Bilinear", "Flatten", "Unflatten", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU",
    "SELU", "CELU", "GELU", "SiLU", "Mish", "Tanh", "Sigmoid", "Hardtanh", "Hardsigmoid",
    "Hardswish", "LogSigmoid", "Softplus", "Softsign", "Tanhshrink", "Threshold", "Softmax",
    "Softmin", "LogSoftmax", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "Embedding",
    "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
    "ConvTranspose2d", "ConvTranspose3d", "MaxPool1d", "MaxPool2d", "MaxUnpool1d", "MaxUnpool2d",
    "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "BatchNorm1d", "BatchNorm2d", "InstanceNorm1d",
    "InstanceNorm2d", "LayerNorm", "GroupNorm", "Upsample", "UpsamplingNearest2d", "RNNBase",
    "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
]
