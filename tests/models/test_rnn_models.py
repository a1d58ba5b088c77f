"""chainrule.models.rnn: the row-by-row sequence classifiers (``rnn``, ``lstm``, ``gru``) —
shapes, parameter counts, errors, parity with the same net in torch, and a smoke training."""
from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.cli import main
from chainrule.models import (MODELS, GRUClassifier, LSTMClassifier, RNNClassifier,
                              SequenceClassifier, build_model)

CELLS = {"rnn": (RNNClassifier, nn.RNN, 1), "lstm": (LSTMClassifier, nn.LSTM, 4),
         "gru": (GRUClassifier, nn.GRU, 3)}


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def recurrent_parameters(gates: int, input_size: int, hidden: int, num_layers: int = 1,
                         directions: int = 1) -> int:
    """weight_ih (G H, in), weight_hh (G H, H), bias_ih and bias_hh (G H) per layer and
    direction; layers after the first read ``directions * H`` features."""
    total, width = 0, input_size
    for _ in range(num_layers):
        total += directions * gates * hidden * (width + hidden + 2)
        width = directions * hidden
    return total


# ============================================================================ registry, build
def test_registered_names_build_the_right_cell():
    for name, (factory, cell, _) in CELLS.items():
        assert MODELS[name] is factory
        model = build_model(name)
        assert isinstance(model, SequenceClassifier) and model.cell == name
        assert type(model.rnn) is cell
        assert model.rnn.batch_first is True
        assert (model.rnn.input_size, model.rnn.hidden_size) == (28, 128)
        assert (model.head.in_features, model.head.out_features) == (128, 10)


def test_build_lstm_with_hidden_size_64():
    model = build_model("lstm", hidden_size=64)
    assert type(model.rnn) is nn.LSTM and model.rnn.hidden_size == 64
    assert model.head.in_features == 64
    assert count(model) == recurrent_parameters(4, 28, 64) + 64 * 10 + 10
    assert tuple(model(chainrule.randn(2, 1, 28, 28)).shape) == (2, 10)


# ============================================================================ parameter counts
def test_lstm_and_gru_parameter_counts():
    assert count(LSTMClassifier()) == 4 * 128 * (28 + 128) + 2 * 4 * 128 + 128 * 10 + 10 == 82186
    assert count(GRUClassifier()) == 3 * 128 * (28 + 128) + 2 * 3 * 128 + 128 * 10 + 10 == 61962
    assert count(RNNClassifier()) == 128 * (28 + 128) + 2 * 128 + 1290


def test_state_dict_names():
    model = build_model("gru", num_layers=2, bidirectional=True)
    rnn_keys = [f"rnn.{w}_{k}_l{layer}{sfx}" for layer in (0, 1) for sfx in ("", "_reverse")
                for w in ("weight", "bias") for k in ("ih", "hh")]
    assert sorted(model.state_dict()) == sorted(rnn_keys + ["head.weight", "head.bias"])


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("num_layers, bidirectional", [(1, True), (2, False), (2, True)])
def test_counts_with_layers_and_directions(name, num_layers, bidirectional):
    gates = CELLS[name][2]
    d = 2 if bidirectional else 1
    model = build_model(name, input_size=5, hidden_size=6, num_layers=num_layers,
                        bidirectional=bidirectional, num_classes=3)
    assert count(model) == recurrent_parameters(gates, 5, 6, num_layers, d) + d * 6 * 3 + 3


# ============================================================================ shapes
@pytest.mark.parametrize("name", list(CELLS))
def test_image_batches_give_logits(name):
    chainrule.manual_seed(0)
    model = build_model(name, hidden_size=16)
    x = chainrule.randn(3, 1, 28, 28)
    y = model(x)
    assert tuple(y.shape) == (3, 10) and y.dtype == chainrule.float32
    # an image is read as the sequence of its rows: the same as passing (N, 28, 28)
    np.testing.assert_array_equal(y.detach().numpy(), model(x.squeeze(1)).detach().numpy())


@pytest.mark.parametrize("name", list(CELLS))
def test_sequences_of_any_length(name):
    model = build_model(name, input_size=7, hidden_size=5, num_classes=4)
    for length in (1, 3, 11):
        assert tuple(model(chainrule.randn(2, length, 7)).shape) == (2, 4)


@pytest.mark.parametrize("name", list(CELLS))
def test_bidirectional_head_reads_both_directions(name):
    model = build_model(name, input_size=6, hidden_size=8, bidirectional=True, num_classes=3)
    assert model.rnn.bidirectional
    assert (model.head.in_features, model.head.out_features) == (16, 3)
    assert tuple(model.head.weight.shape) == (3, 16)
    assert tuple(model(chainrule.randn(4, 5, 6)).shape) == (4, 3)


def test_gradients_reach_every_parameter():
    chainrule.manual_seed(0)
    model = build_model("lstm", input_size=4, hidden_size=3, num_layers=2, num_classes=2)
    nn.functional.cross_entropy(model(chainrule.randn(5, 6, 4)),
                                chainrule.tensor([0, 1, 1, 0, 1])).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and tuple(p.grad.shape) == tuple(p.shape), name
        assert np.abs(p.grad.numpy()).sum() > 0, name


# ============================================================================ errors
def test_unknown_cell():
    with pytest.raises(ValueError, match=r"SequenceClassifier: cell must be one of rnn, lstm, "
                                         r"gru, got 'transformer'"):
        SequenceClassifier("transformer")


def test_images_with_more_than_one_channel():
    with pytest.raises(ValueError, match=r"SequenceClassifier: images are read row by row and "
                                         r"must have one channel, got input of shape "
                                         r"\(2, 3, 28, 28\)"):
        build_model("gru", hidden_size=4)(chainrule.randn(2, 3, 28, 28))


@pytest.mark.parametrize("shape", [(28, 28, 1, 1, 1), (28,), (2, 28)])
def test_inputs_of_the_wrong_rank(shape):
    message = (r"SequenceClassifier: expected \(N, L, input_size\) sequences or \(N, 1, H, W\) "
               r"images, got input of shape " + re_shape(shape))
    with pytest.raises(ValueError, match=message):
        build_model("lstm", hidden_size=4)(chainrule.randn(*shape))


def re_shape(shape) -> str:
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


# ============================================================================ torch parity
def torch_classifier(torch, cell: str, **kwargs):
    """The same net written in torch: nn.<cell>(batch_first=True), Linear on out[:, -1]."""
    tnn = torch.nn
    rnn_cls = {"rnn": tnn.RNN, "lstm": tnn.LSTM, "gru": tnn.GRU}[cell]
    input_size, hidden = kwargs.get("input_size", 28), kwargs.get("hidden_size", 128)
    num_layers, bidirectional = kwargs.get("num_layers", 1), kwargs.get("bidirectional", False)

    class TorchClassifier(tnn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = rnn_cls(input_size, hidden, num_layers=num_layers, batch_first=True,
                               bidirectional=bidirectional)
            self.head = tnn.Linear(hidden * (2 if bidirectional else 1), 10)

        def forward(self, x):
            if x.ndim == 4:
                x = x.squeeze(1)
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    return TorchClassifier()


@pytest.mark.parametrize("cell, kwargs", [
    ("lstm", {}),
    ("gru", {"hidden_size": 32}),
    ("rnn", {"hidden_size": 32}),
    ("lstm", {"hidden_size": 16, "num_layers": 2, "bidirectional": True}),
])
def test_matches_torch_after_loading_the_state_dict(cell, kwargs):
    torch = pytest.importorskip("torch")
    chainrule.manual_seed(0)
    ours, theirs = SequenceClassifier(cell, **kwargs), torch_classifier(torch, cell, **kwargs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    xc = chainrule.tensor(x, requires_grad=True)
    xt = torch.from_numpy(x).requires_grad_()
    y, yt = ours(xc), theirs(xt)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    # and the same gradients for the input and every parameter
    weights = np.random.default_rng(1).standard_normal((3, 10)).astype(np.float32)
    (y * chainrule.tensor(weights)).sum().backward()
    (yt * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-3, atol=1e-5)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(),
                                   rtol=1e-3, atol=1e-5, err_msg=name)


# ============================================================================ training
def test_gru_smoke_training(tmp_path):
    """``chainrule train gru --dataset mnist-sample --epochs 1 --max-steps 5 --json``."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["train", "gru", "--dataset", "mnist-sample", "--epochs", "1",
                     "--max-steps", "5", "--json", "--out", str(tmp_path)]) == 0
    summary = json.loads(stdout.getvalue().strip().splitlines()[-1])
    assert summary["model"] == "gru" and summary["epochs"] == 1
    assert math.isfinite(summary["train_loss"]) and math.isfinite(summary["test_loss"])
    assert 0.0 <= summary["test_accuracy"] <= 1.0
    # five Adam steps barely move an LSTM/GRU off chance, but the loss is near ln 10
    assert abs(summary["train_loss"] - math.log(10)) < 0.5
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["parameters"] == 61962 and config["max_steps"] == 5
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["test_accuracy"] == summary["test_accuracy"]
