"""chainrule.analysis: looking at models without training them.

* ``summary(model, input_size)``: a torchinfo-like table (output shapes, parameters counted
  once each, receptive field and jump per layer);
* ``receptive_field(layers, input_shape)`` / ``output_shape(layers, input_shape)``: the size
  formulas and receptive-field recurrences of conv / pool stacks, from layers or plain specs;
* ``kl_discrete``, ``js_discrete``, ``wasserstein1_1d``, ``wasserstein1_from_cdfs``,
  ``transport_plan``: divergences and distances between distributions (NumPy floats).

This package builds on ``nn``; nothing in ``nn`` or ``models`` imports it.
"""
from .divergences import (js_discrete, kl_discrete, transport_plan, wasserstein1_1d,
                          wasserstein1_from_cdfs)
from .receptive_field import LayerField, ReceptiveField, receptive_field, output_shape
from .summary import COLUMNS, LayerRow, ModelSummary, summary

__all__ = ["summary", "ModelSummary", "LayerRow", "COLUMNS", "receptive_field", "output_shape",
           "ReceptiveField", "LayerField", "kl_discrete", "js_discrete", "wasserstein1_1d",
           "wasserstein1_from_cdfs", "transport_plan"]
