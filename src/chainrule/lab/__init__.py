"""chainrule.lab: claims of deep learning turned into experiments that measure them.

Each experiment is one module ``chainrule.lab.<name>`` whose docstring states the claim with its
math, and whose ``run(quick: bool, out: Path) -> list[Check]`` measures it: it writes PNG plots
and a JSON file of the measured numbers into ``out`` and returns named checks, each a
comparison that can fail (``Check``: name, passed, measured, expected, detail). ``quick=True`` is
a small version for CI (about a minute or less). Every module also runs as
``python -m chainrule.lab.<module> [--quick] [--out DIR]``.

    from chainrule import lab
    checks = lab.run("resnet-degradation", quick=True, out="runs/lab/resnet-degradation")
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from ._checks import Check

__all__ = ["Check", "EXPERIMENTS", "experiment", "run"]

# experiment name -> module (imported on first use: experiments pull in models and matplotlib)
EXPERIMENTS: dict[str, str] = {
    "resnet-degradation": "chainrule.lab.resnet_degradation",
    "adding-problem": "chainrule.lab.adding_problem",
    "xy-game": "chainrule.lab.xy_game",
    "lstm-gru": "chainrule.lab.lstm_gru",
    "divergences": "chainrule.lab.divergences",
    "gan-theory": "chainrule.lab.gan_theory",
    "gan-modes": "chainrule.lab.gan_modes",
    "computational-graph": "chainrule.lab.computational_graph",
    "mlp-jacobians": "chainrule.lab.mlp_jacobians",
    "vanishing-gradients": "chainrule.lab.vanishing_gradients",
    "autoencoders": "chainrule.lab.autoencoders",
    "receptive-field-and-shapes": "chainrule.lab.receptive_field",
    "convolution": "chainrule.lab.convolution",
    "batchnorm": "chainrule.lab.batchnorm",
    "q-learning": "chainrule.lab.q_learning",
    "rl-ablations": "chainrule.lab.rl_ablations",
}


def experiment(name: str) -> ModuleType:
    """The module of the experiment registered as ``name`` (see ``EXPERIMENTS``)."""
    if name not in EXPERIMENTS:
        raise ValueError(f"chainrule.lab: unknown experiment {name!r}; available: "
                         f"{', '.join(sorted(EXPERIMENTS))}")
    return importlib.import_module(EXPERIMENTS[name])


def run(name: str, quick: bool = False, out: str | Path | None = None) -> list[Check]:
    """Run experiment ``name`` (``out`` None: ``runs/lab/<name>``); returns its checks."""
    return experiment(name).run(quick=quick, out=Path(out or f"runs/lab/{name}"))
