"""chainrule.train_gan and ``chainrule train gan|nsgan|wgan|wgan-gp``: short runs on the toy
distributions and the embedded MNIST sample, in-process."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

import chainrule
from chainrule.cli import main
from chainrule.data.toy import ring8
from chainrule.models.gan import GAN_VARIANTS
from chainrule.train import ConfigError
from chainrule.train_gan import GANRun, GANTrainConfig, build_gan

SMALL_TOY = ["--model-arg", "hidden=[32,32]"]
SMALL_DCGAN = ["--model-arg", "channels=4", "--model-arg", "latent_dim=8"]


def train_cli(out, *args, capsys) -> dict:
    assert main(["train", *args, "--out", str(out), "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def params(out) -> dict:
    state = chainrule.load(out / "checkpoint.safetensors")
    return {f"{net}.{k}": np.asarray(v.numpy())
            for net in ("generator", "discriminator") for k, v in state[net].items()}


@pytest.mark.parametrize("variant", sorted(GAN_VARIANTS))
def test_toy_run_reports_mode_coverage(tmp_path, capsys, variant):
    out = tmp_path / variant
    summary = train_cli(out, variant, "--dataset", "ring8", *SMALL_TOY, "--epochs", "2",
                        "--max-steps", "10", "--batch-size", "32", capsys=capsys)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    n_critic = GAN_VARIANTS[variant].n_critic
    assert [r["generator_steps"] for r in rows] == [10 // n_critic, 2 * (10 // n_critic)]
    assert summary["modes_total"] == 8 and 0 <= summary["modes_covered"] <= 8
    assert 0.0 <= summary["high_quality_fraction"] <= 1.0
    assert summary["generator_steps"] == rows[-1]["generator_steps"]
    expected = {"d_loss", "g_loss"} | ({"wasserstein"} if n_critic > 1 else set())
    expected |= {"gp"} if variant == "wgan-gp" else set()
    assert expected <= set(rows[-1])
    for k in expected:
        assert math.isfinite(rows[-1][k]), k
    assert (out / "samples.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "curves.png").exists()
    config = json.loads((out / "config.json").read_text())
    assert config["optimizer"] == GAN_VARIANTS[variant].optimizer
    assert config["trainer"]["n_critic"] == n_critic


@pytest.mark.parametrize("variant", ["nsgan", "wgan-gp"])
def test_resume_reaches_the_uninterrupted_parameters(tmp_path, capsys, variant):
    args = [variant, "--dataset", "ring8", *SMALL_TOY, "--max-steps", "10",
            "--batch-size", "16", "--seed", "3"]
    train_cli(tmp_path / "whole", *args, "--epochs", "2", capsys=capsys)
    train_cli(tmp_path / "split", *args, "--epochs", "1", capsys=capsys)
    resumed = train_cli(tmp_path / "split", *args, "--epochs", "2", "--resume", capsys=capsys)
    whole, split = params(tmp_path / "whole"), params(tmp_path / "split")
    assert whole.keys() == split.keys()
    for k in whole:
        np.testing.assert_array_equal(whole[k], split[k], err_msg=k)
    lines = (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["epoch"] for x in lines] == [1, 2]
    assert resumed["generator_steps"] == json.loads(lines[-1])["generator_steps"]


def test_dcgan_on_images_writes_a_sample_grid(tmp_path, capsys):
    out = tmp_path / "dcgan"
    summary = train_cli(out, "nsgan", "--dataset", "mnist-sample", *SMALL_DCGAN, "--epochs", "1",
                        "--max-steps", "3", "--batch-size", "8", capsys=capsys)
    assert summary["generator_steps"] == 3
    assert math.isfinite(summary["d_loss"]) and math.isfinite(summary["g_loss"])
    assert "modes_covered" not in summary
    assert (out / "samples.png").read_bytes()[:4] == b"\x89PNG"
    state = chainrule.load(out / "checkpoint.safetensors")
    assert "net.1.running_mean" in state["generator"]          # BatchNorm in the generator
    assert any("running_mean" in k for k in state["discriminator"])   # and in D (not wgan-gp)


def test_wgan_gp_discriminator_has_no_batchnorm():
    config = GANTrainConfig("wgan-gp", "mnist-sample", model_args={"channels": 4},
                            out="unused")
    _, D, _ = build_gan(config)
    assert not any("running_mean" in k for k in D.state_dict())


@pytest.mark.parametrize("variant", sorted(GAN_VARIANTS))
def test_first_steps_are_finite_and_the_critic_loss_falls(variant):
    """A few steps of each variant on ring8 (CI's smoke check of issue 6): every loss finite,
    and the discriminator / critic loss lower after 40 steps than in the first 10 (with the
    variants' own learning rates; seeds 0-3 all pass)."""
    chainrule.manual_seed(0)
    config = GANTrainConfig(variant, "ring8", model_args={"hidden": [64, 64]}, out="unused")
    _, _, gan = build_gan(config)
    data, g = ring8(), chainrule.Generator().manual_seed(0)
    d_losses = []
    for _ in range(40):
        out = gan.step(lambda: data.sample(64, generator=g))
        assert all(math.isfinite(v) for v in out.values()), out
        d_losses.append(out["d_loss"])
    assert np.mean(d_losses[-10:]) < np.mean(d_losses[:10]), d_losses


def test_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="wgan trains with rmsprop"):
        GANTrainConfig("wgan", "ring8", optimizer="adam", out=str(tmp_path))
    with pytest.raises(ConfigError, match="momentum and weight_decay do not apply"):
        GANTrainConfig("gan", "ring8", momentum=0.9, out=str(tmp_path))
    with pytest.raises(ConfigError, match="dataset must be one of"):
        GANTrainConfig("gan", "cifar10", out=str(tmp_path))
    with pytest.raises(ConfigError, match="unexpected keyword.*'width'"):
        GANRun(GANTrainConfig("gan", "ring8", model_args={"width": 3}, out=str(tmp_path)))
    with pytest.raises(ConfigError, match="n_critic must be a positive integer"):
        GANRun(GANTrainConfig("wgan", "ring8", model_args={"n_critic": 0},
                              out=str(tmp_path)))
    with pytest.raises(ConfigError, match="shorter than n_critic"):
        GANRun(GANTrainConfig("wgan", "ring8", max_steps=3, model_args={"hidden": [8]},
                              out=str(tmp_path))).fit()


def test_cli_rejects_toy_data_for_a_classifier(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "mlp", "--dataset", "ring8", "--out", str(tmp_path)])
    assert e.value.code == 2
    assert "dataset must be one of" in capsys.readouterr().err
