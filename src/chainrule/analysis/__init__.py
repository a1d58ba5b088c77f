"""chainrule.analysis: looking at models without training them.

* ``summary(model, input_size)``: a torchinfo-like table (output shapes, parameters counted
  once each, receptive field and jump per layer);
* ``receptive_field(layers, input_shape)`` / ``output_shape(layers, input_shape)``: the size
  formulas and receptive-field recurrences of conv / pool stacks, from layers or plain specs.

This package builds on ``nn``; nothing in ``nn`` or ``models`` imports it.
"""
from .receptive_field import LayerField, ReceptiveField, receptive_field, output_shape
from .summary import COLUMNS, LayerRow, ModelSummary, summary

__all__ = ["summary", "ModelSummary", "LayerRow", "COLUMNS", "receptive_field", "output_shape",
           "ReceptiveField", "LayerField"]
