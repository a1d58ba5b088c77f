"""chainrule.train_generative and ``chainrule train`` for the autoencoders and the VAE
family, run in-process on the embedded MNIST sample."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

import chainrule
from chainrule import train_generative
from chainrule.cli import main
from chainrule.models import VAE
from chainrule.train import ConfigError
from chainrule.train_generative import (GenerativeTrainConfig, GenerativeTrainer,
                                        gumbel_temperature)

SMALL_VAE = ["--model-arg", "hidden=32", "--model-arg", "latent_dim=4"]


def has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(autouse=True)
def small_iwae_subset(monkeypatch):
    monkeypatch.setattr(train_generative, "IWAE_SUBSET", 100)


def train_cli(out, *args, capsys) -> dict:
    assert main(["train", *args, "--out", str(out), "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def checkpoint_arrays(out) -> dict:
    state = chainrule.load(out / "checkpoint.safetensors")
    return {k: np.asarray(v.numpy()) for k, v in state["model"].items()}


def is_png(path) -> bool:
    return path.read_bytes()[:4] == b"\x89PNG"


def test_vae_smoke_run(tmp_path, capsys):
    out = tmp_path / "vae"
    summary = train_cli(out, "vae", *SMALL_VAE, "--dataset", "mnist-sample", "--epochs", "1",
                        "--max-steps", "5", "--batch-size", "32", capsys=capsys)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 1
    keys = {"train_loss", "test_loss", "test_elbo", "test_iwae_k1", "test_iwae_k5",
            "test_iwae_k50"}
    assert set(rows[0]) == keys | {"epoch", "lr", "seconds"}
    assert set(summary) == keys | {"model", "dataset", "epochs", "seconds", "out"}
    for k in keys:
        assert math.isfinite(summary[k]) and summary[k] == rows[0][k], k
    # nats per binarised 784-pixel image: positive, and within reach of a random decoder's
    # 784 log 2 = 543 nats after 5 steps
    assert 0 < summary["test_loss"] < 784 * math.log(2) * 1.5
    assert summary["test_elbo"] == pytest.approx(-summary["test_loss"], rel=0.05)
    assert summary["model"] == "vae" and summary["epochs"] == 1
    state = chainrule.load(out / "checkpoint.safetensors")
    assert int(state["epoch"]) == 1
    assert int(state["optimizer"]["state"][0]["step"]) == 5
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "vae" and config["dataset_sizes"] == {"train": 4000, "test": 1000}
    if has_matplotlib():
        for name in ("samples.png", "reconstructions.png", "curves.png"):
            assert is_png(out / name), name


def test_ae_smoke_run(tmp_path, capsys):
    out = tmp_path / "ae"
    summary = train_cli(out, "ae", "--model-arg", "hidden=16", "--epochs", "2",
                        "--max-steps", "3", "--batch-size", "32", capsys=capsys)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert set(rows[0]) == {"epoch", "train_loss", "test_loss", "lr", "seconds"}
    assert 0 < summary["test_loss"] < 0.5          # MSE per pixel of [0, 1] images
    assert summary["test_loss"] == rows[1]["test_loss"]
    assert rows[1]["train_loss"] < rows[0]["train_loss"]
    assert (out / "checkpoint.safetensors").exists()
    if has_matplotlib():
        assert is_png(out / "reconstructions.png")
    assert not (out / "samples.png").exists()


def test_vae_resume_reaches_the_uninterrupted_parameters(tmp_path, capsys):
    args = ["vae", *SMALL_VAE, "--max-steps", "3", "--batch-size", "16", "--seed", "2"]
    train_cli(tmp_path / "full", *args, "--epochs", "2", capsys=capsys)
    train_cli(tmp_path / "split", *args, "--epochs", "1", capsys=capsys)
    first = checkpoint_arrays(tmp_path / "split")
    resumed = train_cli(tmp_path / "split", *args, "--epochs", "2", "--resume", capsys=capsys)
    full, split = checkpoint_arrays(tmp_path / "full"), checkpoint_arrays(tmp_path / "split")
    assert full.keys() == split.keys()
    assert not np.array_equal(first["decoder.0.weight"], split["decoder.0.weight"])
    for k in full:
        assert np.array_equal(full[k], split[k]), k
    rows = [json.loads(x) for x in (tmp_path / "split" / "metrics.jsonl").read_text()
            .splitlines()]
    full_rows = [json.loads(x) for x in (tmp_path / "full" / "metrics.jsonl").read_text()
                 .splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2] and resumed["epochs"] == 2
    assert [r["test_iwae_k5"] for r in rows] == [r["test_iwae_k5"] for r in full_rows]


def test_checkpoint_loads_into_a_fresh_vae(tmp_path, capsys):
    out = tmp_path / "vae"
    train_cli(out, "vae", *SMALL_VAE, "--epochs", "1", "--max-steps", "2", capsys=capsys)
    model = VAE(hidden=32, latent_dim=4)
    model.load_state_dict(chainrule.load(out / "checkpoint.safetensors")["model"])
    assert model.sample(3).shape == (3, 784)


def test_gumbel_vae_anneals_the_temperature(tmp_path):
    config = GenerativeTrainConfig("gumbel-vae", epochs=3, max_steps=1, batch_size=8,
                                   model_args={"hidden": 16, "latent_dim": 3,
                                               "categorical_dim": 4},
                                   out=str(tmp_path))
    trainer = GenerativeTrainer(config, log=open("/dev/null", "w"))
    summary = trainer.fit()
    temps = [r["temperature"] for r in trainer.metrics]
    assert temps == [1.0, math.exp(-0.3), math.exp(-0.6)]
    assert [gumbel_temperature(e) for e in (5, 100)] == [0.5, 0.5]
    assert math.isfinite(summary["test_elbo"]) and "test_iwae_k1" not in summary


def test_config_errors(capsys):
    with pytest.raises(ConfigError, match="unknown model 'mlp'"):
        GenerativeTrainConfig("mlp")
    with pytest.raises(ConfigError, match="GenerativeTrainConfig"):
        from chainrule.train import TrainConfig
        GenerativeTrainer(TrainConfig("mlp"))
    with pytest.raises(SystemExit):
        main(["summary", "vae"])
    assert "invalid choice: 'vae'" in capsys.readouterr().err


def test_evaluate_reports_bounds_that_rise_with_k(tmp_path, capsys):
    out = tmp_path / "vae"
    train_cli(out, "vae", *SMALL_VAE, "--epochs", "1", "--max-steps", "10", capsys=capsys)
    assert main(["evaluate", str(out), "--k", "1", "50", "1000", "--images", "16",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["model"] == "vae" and result["images"] == 16 and result["epochs"] == 1
    assert result["iwae_k1"] < result["iwae_k50"] < result["iwae_k1000"] < 0
    again = train_generative.evaluate_run(out, (1, 50, 1000), images=16)
    assert again == {k: result[k] for k in again}          # seeded: the same estimate
    other = train_generative.evaluate_run(out, (1,), images=16, seed=1)
    assert other["iwae_k1"] != result["iwae_k1"]


def test_iwae_bounds_chunks_large_k_without_changing_the_estimate(monkeypatch):
    chainrule.manual_seed(0)
    model = VAE(hidden=(16,), latent_dim=3)
    x = (chainrule.rand(6, 1, 28, 28) > 0.5).float()
    whole = train_generative.iwae_bounds(model, x, (200,), chainrule.Generator().manual_seed(4))
    monkeypatch.setattr(train_generative, "IWAE_SAMPLES_PER_CHUNK", 200)   # one image a chunk
    split = train_generative.iwae_bounds(model, x, (200,), chainrule.Generator().manual_seed(4))
    assert split[200] == pytest.approx(whole[200], abs=1.0)      # other draws, same quantity
    assert model.training                                        # mode restored


def test_evaluate_errors(tmp_path, capsys):
    with pytest.raises(ConfigError, match="has no config.json"):
        train_generative.evaluate_run(tmp_path / "missing")
    out = tmp_path / "ae"
    train_cli(out, "ae", "--epochs", "1", "--max-steps", "2", capsys=capsys)
    with pytest.raises(ConfigError, match="trained 'ae'; the IWAE bound needs one of"):
        train_generative.evaluate_run(out)
