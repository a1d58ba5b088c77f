"""chainrule.models: ready-made networks, built by name with ``build_model``.

    from chainrule.models import build_model
    model = build_model("cnn", hidden=128, dropout=0.25)
    model = build_model("resnet20", in_channels=3)      # CIFAR-style ResNet-20
    model = build_model("lstm", hidden_size=128)        # reads 28 x 28 images row by row
    model = build_model("vae", latent_dim=20)           # Bernoulli VAE; model.loss(x) = -ELBO

``MODELS`` maps each classifier's name to a class or a factory function that builds the model
from keyword arguments; ``GENERATIVE_MODELS`` does the same for the autoencoders and the VAE
family (ae, conv-ae, linear-ae, vae, beta-vae, iwae, gumbel-vae). ``build_model`` knows both.
"""
from __future__ import annotations

from typing import Callable

from ..nn import Module
from .autoencoders import (IWAE, VAE, Autoencoder, BetaVAE, ConvAutoencoder, GumbelVAE,
                           LinearAutoencoder, binarize)
from .cnn import CNN
from .mlp import MLP
from .resnet import (BasicBlock, ResNet, plain20, plain32, plain56, resnet20, resnet32,
                     resnet56)
from .rnn import SequenceClassifier, RNNClassifier, LSTMClassifier, GRUClassifier

__all__ = ["MLP", "CNN", "BasicBlock", "ResNet", "resnet20", "resnet32", "resnet56", "plain20",
           "plain32", "plain56", "SequenceClassifier", "RNNClassifier", "LSTMClassifier",
           "GRUClassifier", "Autoencoder", "ConvAutoencoder", "LinearAutoencoder", "VAE",
           "BetaVAE", "IWAE", "GumbelVAE", "binarize", "MODELS", "GENERATIVE_MODELS",
           "build_model"]

MODELS: dict[str, Callable[..., Module]] = {
    "mlp": MLP, "cnn": CNN,
    "resnet20": resnet20, "resnet32": resnet32, "resnet56": resnet56,
    "plain20": plain20, "plain32": plain32, "plain56": plain56,
    "rnn": RNNClassifier, "lstm": LSTMClassifier, "gru": GRUClassifier,
}


# Autoencoders and latent-variable models: kept apart from the classifiers in MODELS, because
# ``chainrule train`` offers every name of MODELS to its classification trainer.
GENERATIVE_MODELS: dict[str, Callable[..., Module]] = {
    "ae": Autoencoder, "conv-ae": ConvAutoencoder, "linear-ae": LinearAutoencoder,
    "vae": VAE, "beta-vae": BetaVAE, "iwae": IWAE, "gumbel-vae": GumbelVAE,
}


def build_model(name: str, **kwargs) -> Module:
    """The model registered as ``name`` (see ``MODELS`` and ``GENERATIVE_MODELS``), built with
    ``kwargs``."""
    factory = MODELS.get(name) or GENERATIVE_MODELS.get(name)
    if factory is None:
        raise ValueError(f"build_model: unknown model {name!r}; available: "
                         f"{', '.join(sorted({**MODELS, **GENERATIVE_MODELS}))}")
    return factory(**kwargs)
