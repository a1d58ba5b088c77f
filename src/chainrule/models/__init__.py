"""chainrule.models: ready-made networks, built by name with ``build_model``.

    from chainrule.models import build_model
    model = build_model("cnn", hidden=128, dropout=0.25)
"""
from __future__ import annotations

from ..nn import Module
from .cnn import CNN
from .mlp import MLP

__all__ = ["MLP", "CNN", "MODELS", "build_model"]

MODELS: dict[str, type[Module]] = {"mlp": MLP, "cnn": CNN}


def build_model(name: str, **kwargs) -> Module:
    """The model registered as ``name`` (see ``MODELS``), built with ``kwargs``."""
    if name not in MODELS:
        raise ValueError(f"build_model: unknown model {name!r}; available: "
                         f"{', '.join(sorted(MODELS))}")
    return MODELS[name](**kwargs)
