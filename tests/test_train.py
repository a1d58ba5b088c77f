"""chainrule.models (MLP, CNN, build_model), the training loop (chainrule.train) and the
``train`` / ``summary`` commands, run in-process on the embedded MNIST sample."""
from __future__ import annotations

import contextlib
import io
import json
import re

import numpy as np
import pytest

import chainrule
from chainrule.cli import main
from chainrule.models import CNN, MLP, MODELS, build_model
from chainrule.train import ConfigError, TrainConfig, Trainer, load_split, pixel_stats

# a CNN small enough for tests that still has every kind of state: conv, BatchNorm running
# statistics, dropout drawing from the global generator
TINY_CNN = ["--model-arg", "channels=[4,8]", "--model-arg", "hidden=16",
            "--model-arg", "dropout=0.5"]


def has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def train_cli(out, *args, capsys=None) -> dict:
    """``chainrule train ... --json --out OUT``; returns the JSON summary (last stdout line)."""
    assert main(["train", *args, "--out", str(out), "--json"]) == 0
    if capsys is None:
        return {}
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def checkpoint_arrays(out) -> dict:
    state = chainrule.load(out / "checkpoint.safetensors")
    return {k: np.asarray(v.numpy()) for k, v in state["model"].items()}


# ============================================================================ models
def torch_cnn(torch, channels=(32, 64), hidden=None, dropout=0.0):
    """The same CNN written in torch."""
    nn = torch.nn

    class TorchCNN(nn.Module):
        def __init__(self):
            super().__init__()
            blocks, width = [], 1
            for c in channels:
                blocks.append(nn.Sequential(nn.Conv2d(width, c, 3, padding=1, bias=False),
                                            nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2)))
                width = c
            flat = width * (28 // 2 ** len(channels)) ** 2
            head = [nn.Flatten()]
            if hidden is not None:
                head += [nn.Linear(flat, hidden), nn.ReLU(), nn.Dropout(dropout)]
                flat = hidden
            self.features = nn.Sequential(*blocks)
            self.classifier = nn.Sequential(*head, nn.Linear(flat, 10))

        def forward(self, x):
            return self.classifier(self.features(x))

    return TorchCNN()


@pytest.mark.parametrize("kwargs", [{}, {"hidden": 128, "dropout": 0.25}])
def test_cnn_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    chainrule.manual_seed(0)
    ours, theirs = CNN(**kwargs), torch_cnn(torch, **kwargs)
    ours_shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    assert ours_shapes == {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    n_ours = sum(p.numel() for p in ours.parameters())
    assert n_ours == sum(p.numel() for p in theirs.parameters())
    assert n_ours == (32 * 9 + 64 + 64 * 32 * 9 + 128 + (3136 * 128 + 128 + 1290 if kwargs
                                                          else 31370))
    # same weights -> same logits (eval mode: running statistics, no dropout)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    ours.eval(), theirs.eval()
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    y = ours(chainrule.tensor(x))
    assert tuple(y.shape) == (3, 10)
    np.testing.assert_allclose(y.detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_cnn_other_sizes():
    y = CNN(in_channels=3, num_classes=4, channels=(8,), input_size=9)(chainrule.randn(2, 3, 9, 9))
    assert tuple(y.shape) == (2, 4)


@pytest.mark.parametrize("kwargs, match", [
    ({"channels": ()}, "at least one conv block"),
    ({"dropout": 0.5}, "needs a hidden layer"),
    ({"input_size": 3}, "too small for 2 pooling steps"),
])
def test_cnn_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CNN(**kwargs)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_layers_and_parameter_names(activation):
    model = MLP(activation=activation)
    assert list(model.state_dict()) == [f"layers.{i}.{p}" for i in (1, 3, 5)
                                               for p in ("weight", "bias")]
    assert sum(p.numel() for p in model.parameters()) == 784 * 256 + 256 + 256 * 256 + 256 + 2570
    assert type(model.layers[2]).__name__ == {"relu": "ReLU", "tanh": "Tanh"}[activation]
    assert tuple(model(chainrule.zeros(5, 1, 28, 28)).shape) == (5, 10)


def test_mlp_bad_activation():
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(activation="gelu")


def test_build_model_registry():
    assert set(MODELS) >= {"mlp", "cnn"}
    assert isinstance(build_model("mlp", hidden=(8,)), MLP)
    assert isinstance(build_model("cnn", channels=(4, 8)), CNN)
    with pytest.raises(ValueError, match="unknown model 'resnet9'; available: .*cnn.*mlp"):
        build_model("resnet9")


# ============================================================================ training
def test_pixel_stats_are_the_mean_and_std_of_the_scaled_images():
    images = np.random.default_rng(1).integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    mean, std = pixel_stats(images)
    assert mean == pytest.approx((images / 255).mean(), rel=1e-14)
    assert std == pytest.approx((images / 255).std(), rel=1e-12)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """Two epochs of 5 steps of the MLP on the sample, through the CLI, with its stdout."""
    out = tmp_path_factory.mktemp("smoke")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        train_cli(out, "mlp", "--dataset", "mnist-sample", "--epochs", "2", "--max-steps", "5",
                  "--batch-size", "32")
    return out, stdout.getvalue().splitlines()


def test_smoke_run_writes_metrics_and_json(smoke_run):
    out, lines = smoke_run
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    for r in rows:
        assert set(r) == {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
                          "lr", "seconds"}
        assert r["lr"] == 1e-3 and r["seconds"] > 0
    assert rows[1]["train_loss"] < rows[0]["train_loss"]
    assert rows[1]["test_accuracy"] > 0.5          # 10 Adam steps of 32: far above chance
    summary = json.loads(lines[-1])
    assert summary["epochs"] == 2
    assert summary["test_accuracy"] == rows[1]["test_accuracy"]
    assert summary["test_loss"] == rows[1]["test_loss"]
    assert summary["seconds"] == pytest.approx(rows[0]["seconds"] + rows[1]["seconds"])
    assert any(line.startswith("epoch 2/2  train loss") for line in lines)


def test_smoke_run_config_and_curves(smoke_run):
    out, _ = smoke_run
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "mlp" and config["max_steps"] == 5 and config["batch_size"] == 32
    assert config["parameters"] == 269322
    assert config["dataset_sizes"] == {"train": 4000, "test": 1000}
    assert 0.1 < config["normalisation"]["mean"] < 0.15
    curves = out / "curves.png"
    if has_matplotlib():
        assert curves.read_bytes()[:4] == b"\x89PNG"
    else:
        assert not curves.exists()


def test_checkpoint_holds_the_state_that_scored_the_metrics(smoke_run):
    """A fresh model loaded from the checkpoint, evaluated by hand, gives the logged accuracy."""
    out, _ = smoke_run
    state = chainrule.load(out / "checkpoint.safetensors")
    assert int(state["epoch"]) == 2
    assert set(state["rng"]) == {"global", "loader"}
    assert int(state["optimizer"]["state"][0]["step"]) == 10
    model = MLP()
    model.load_state_dict(state["model"])
    config = json.loads((out / "config.json").read_text())
    images, labels = load_split("mnist-sample", train=False)
    norm = config["normalisation"]
    x = ((images.astype(np.float32) / 255 - norm["mean"]) / norm["std"]).astype(np.float32)
    with chainrule.no_grad():
        predicted = model(chainrule.tensor(x)).numpy().argmax(1)
    last = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    assert (predicted == labels).mean() == last["test_accuracy"]


def test_resume_reaches_the_uninterrupted_parameters(tmp_path, capsys):
    """2 epochs in one go == 1 epoch, then --resume to 2 (SGD momentum, BatchNorm, dropout)."""
    args = ["cnn", *TINY_CNN, "--optimizer", "sgd", "--lr", "0.05", "--max-steps", "3",
            "--batch-size", "16", "--seed", "3"]
    train_cli(tmp_path / "full", *args, "--epochs", "2")
    train_cli(tmp_path / "split", *args, "--epochs", "1")
    first = checkpoint_arrays(tmp_path / "split")
    resumed = train_cli(tmp_path / "split", *args, "--epochs", "2", "--resume", capsys=capsys)
    full, split = checkpoint_arrays(tmp_path / "full"), checkpoint_arrays(tmp_path / "split")
    assert full.keys() == split.keys()
    assert not np.array_equal(first["classifier.1.weight"], split["classifier.1.weight"])
    for k in full:
        assert np.array_equal(full[k], split[k]), k
    rows = [json.loads(x) for x in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2] and resumed["epochs"] == 2


def test_resume_after_an_interruption_with_a_scheduler(tmp_path, monkeypatch):
    """A run killed after logging epoch 3 but before its checkpoint resumes from epoch 2
    (cosine lr, AdamW), ends where the uninterrupted run ends, and logs epoch 3 once."""
    config = dict(model="mlp", epochs=3, max_steps=2, batch_size=16, optimizer="adamw",
                  scheduler="cosine", model_args={"hidden": [32]}, seed=5)
    log = io.StringIO()
    full = Trainer(TrainConfig(**config, out=str(tmp_path / "full")), log=log)
    full.fit()

    real_save = Trainer.save_checkpoint

    def save_but_not_the_third(self):
        if self.epoch == 3:
            raise KeyboardInterrupt
        real_save(self)

    monkeypatch.setattr(Trainer, "save_checkpoint", save_but_not_the_third)
    with pytest.raises(KeyboardInterrupt):
        Trainer(TrainConfig(**config, out=str(tmp_path / "cut")), log=log).fit()
    monkeypatch.setattr(Trainer, "save_checkpoint", real_save)
    logged = (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["epoch"] for r in logged] == [1, 2, 3]

    resumed = Trainer(TrainConfig(**config, out=str(tmp_path / "cut")), resume=True, log=log)
    assert resumed.epoch == 2
    assert resumed.fit()["epochs"] == 3
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), name
    assert [r["lr"] for r in resumed.metrics] == [r["lr"] for r in full.metrics]
    assert [r["test_loss"] for r in resumed.metrics] == [r["test_loss"] for r in full.metrics]
    logged = (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["epoch"] for r in logged] == [1, 2, 3]


def test_resume_is_a_no_op_when_the_run_is_done(smoke_run, capsys):
    out, _ = smoke_run
    before = (out / "metrics.jsonl").read_text()
    summary = train_cli(out, "mlp", "--epochs", "2", "--max-steps", "5", "--batch-size", "32",
                        "--resume", capsys=capsys)
    assert summary["epochs"] == 2 and (out / "metrics.jsonl").read_text() == before


# ============================================================================ errors
def run_error(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_resume_without_a_checkpoint(tmp_path, capsys):
    err = run_error(capsys, "train", "mlp", "--out", str(tmp_path), "--resume")
    assert "chainrule train: error: --resume: no checkpoint at" in err


def test_resume_with_other_settings(smoke_run, capsys):
    out, _ = smoke_run
    err = run_error(capsys, "train", "mlp", "--out", str(out), "--resume", "--max-steps", "5",
                    "--batch-size", "64")
    assert "made with other settings (batch_size: 32 -> 64)" in err


@pytest.mark.parametrize("argv, message", [
    (["--optimizer", "adam", "--momentum", "0.9"], "momentum applies to sgd and rmsprop"),
    (["--epochs", "0"], "epochs must be a positive integer, got 0"),
    (["--lr", "-1"], "lr must be positive"),
    (["--model-arg", "depth=3"], "model 'mlp': .*depth"),
])
def test_bad_training_options(tmp_path, capsys, argv, message):
    err = run_error(capsys, "train", "mlp", "--out", str(tmp_path), *argv)
    assert err.startswith("chainrule train: error:")
    assert re.search(message, err), err


def test_bad_config_in_python():
    with pytest.raises(ConfigError, match="unknown model 'vgg'"):
        TrainConfig("vgg")
    with pytest.raises(ConfigError, match="dataset must be one of mnist-sample, mnist, "
                                          "fashion-mnist; got 'cifar10'"):
        TrainConfig("mlp", dataset="cifar10")


def test_missing_dataset_files(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    err = run_error(capsys, "train", "mlp", "--dataset", "mnist", "--data-root",
                    str(tmp_path), "--out", str(tmp_path / "run"))
    assert "chainrule train: error: MNIST (train): could not find" in err


def test_model_arg_and_input_size_parsing(capsys):
    err = run_error(capsys, "train", "mlp", "--model-arg", "hidden")
    assert "expected KEY=VALUE, got 'hidden'" in err
    err = run_error(capsys, "summary", "cnn", "--input-size", "28,28")
    assert "expected C,H,W (three positive integers), got '28,28'" in err


# ============================================================================ summary
def test_summary_command(capsys):
    assert main(["summary", "cnn"]) == 0
    text = capsys.readouterr().out
    assert "Total params: 50,282" in text
    assert re.search(r"Conv2d: 3-5 +\[1, 64, 14, 14\] +18,432", text)
    assert main(["summary", "cnn", "--input-size", "3,32,32", "--model-arg", "in_channels=3",
                 "--model-arg", "input_size=32"]) == 0
    text = capsys.readouterr().out
    assert "Total params: 60,458" in text and "[1, 64, 8, 8]" in text
    assert main(["summary", "mlp", "--model-arg", "activation=tanh"]) == 0
    text = capsys.readouterr().out
    assert "Total params: 269,322" in text and "Tanh" in text


def test_summary_of_an_input_the_model_cannot_take(capsys):
    err = run_error(capsys, "summary", "cnn", "--input-size", "3,28,28")
    assert err.startswith("chainrule summary: error: summary: the forward pass of CNN failed")
    assert "--model-arg in_channels=3" in err
