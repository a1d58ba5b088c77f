"""Recurrent classifiers: an image read row by row as a sequence (``SequenceClassifier``).

A 28 x 28 image becomes 28 time steps of 28 pixels; an RNN, LSTM or GRU reads them in order and
a linear head classifies from the last step's output (the usual "row-by-row MNIST" task).
"""
from __future__ import annotations

from .. import nn
from ..tensor import Tensor

__all__ = ["SequenceClassifier", "RNNClassifier", "LSTMClassifier", "GRUClassifier"]

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class SequenceClassifier(nn.Module):
    """``rnn``: ``nn.RNN`` (tanh), ``nn.LSTM`` or ``nn.GRU`` (by ``cell``) with ``batch_first``,
    over sequences (N, L, input_size); ``head``: ``Linear(hidden_size * directions,
    num_classes)`` on the output of the last time step.

    Image batches (N, 1, H, W) are read row by row: (N, H, W), so ``input_size`` = W. Output
    (N, num_classes) logits.
    """

    def __init__(self, cell: str = "lstm", input_size: int = 28, hidden_size: int = 128,
                 num_layers: int = 1, num_classes: int = 10, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"SequenceClassifier: cell must be one of {', '.join(_CELLS)}, "
                             f"got {cell!r}")
        self.cell = cell
        self.rnn = _CELLS[cell](input_size, hidden_size, num_layers=num_layers,
                                batch_first=True, dropout=dropout, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 4:
            if x.shape[1] != 1:
                raise ValueError(f"SequenceClassifier: images are read row by row and must "
                                 f"have one channel, got input of shape {tuple(x.shape)}")
            x = x.squeeze(1)
        if x.ndim != 3:
            raise ValueError(f"SequenceClassifier: expected (N, L, input_size) sequences or "
                             f"(N, 1, H, W) images, got input of shape {tuple(x.shape)}")
        out, _ = self.rnn(x)
        return self.head(out[:, -1, :])


def RNNClassifier(**kwargs) -> SequenceClassifier:
    """``SequenceClassifier`` with a tanh ``nn.RNN``."""
    return SequenceClassifier("rnn", **kwargs)


def LSTMClassifier(**kwargs) -> SequenceClassifier:
    """``SequenceClassifier`` with an ``nn.LSTM``."""
    return SequenceClassifier("lstm", **kwargs)


def GRUClassifier(**kwargs) -> SequenceClassifier:
    """``SequenceClassifier`` with an ``nn.GRU``."""
    return SequenceClassifier("gru", **kwargs)
