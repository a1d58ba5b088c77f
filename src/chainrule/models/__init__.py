"""chainrule.models: ready-made networks, built by name with ``build_model``.

    from chainrule.models import build_model
    model = build_model("cnn", hidden=128, dropout=0.25)
    model = build_model("resnet20", in_channels=3)      # CIFAR-style ResNet-20
    model = build_model("lstm", hidden_size=128)        # reads 28 x 28 images row by row

``MODELS`` maps each name to a class or a factory function that builds the model from keyword
arguments.
"""
from __future__ import annotations

from typing import Callable

from ..nn import Module
from .cnn import CNN
from .mlp import MLP
from .resnet import (BasicBlock, ResNet, plain20, plain32, plain56, resnet20, resnet32,
                     resnet56)
from .rnn import SequenceClassifier, RNNClassifier, LSTMClassifier, GRUClassifier

__all__ = ["MLP", "CNN", "BasicBlock", "ResNet", "resnet20", "resnet32", "resnet56", "plain20",
           "plain32", "plain56", "SequenceClassifier", "RNNClassifier", "LSTMClassifier",
           "GRUClassifier", "MODELS", "build_model"]

MODELS: dict[str, Callable[..., Module]] = {
    "mlp": MLP, "cnn": CNN,
    "resnet20": resnet20, "resnet32": resnet32, "resnet56": resnet56,
    "plain20": plain20, "plain32": plain32, "plain56": plain56,
    "rnn": RNNClassifier, "lstm": LSTMClassifier, "gru": GRUClassifier,
}


def build_model(name: str, **kwargs) -> Module:
    """The model registered as ``name`` (see ``MODELS``), built with ``kwargs``."""
    if name not in MODELS:
        raise ValueError(f"build_model: unknown model {name!r}; available: "
                         f"{', '.join(sorted(MODELS))}")
    return MODELS[name](**kwargs)
