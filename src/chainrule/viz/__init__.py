"""Pictures of what chainrule computes: the autograd graph as Graphviz DOT (``draw_graph``).

Plotting helpers import matplotlib inside the functions that need it, so importing this package
stays cheap.
"""
from .graph import draw_graph, keep_values, render, save_graph

__all__ = ["draw_graph", "keep_values", "render", "save_graph"]
