"""The RL trainer: exact resume, truncation in the buffer, a short CartPole run that beats the
random policy, and ``chainrule train ... --json``."""
import json

import numpy as np
import pytest

pytest.importorskip("gymnasium")

import chainrule  # noqa: E402
from chainrule.rl.envs import random_policy_returns  # noqa: E402
from chainrule.train import ConfigError  # noqa: E402
from chainrule.train_rl import RLConfig, RLTrainer  # noqa: E402

SMALL = dict(hidden=[16], learning_starts=100, train_frequency=4, gradient_steps=2,
             target_update=50, buffer_size=400, batch_size=16, eps_steps=300,
             eval_every=300, eval_episodes=2, final_eval_episodes=2, checkpoint_every=300)


def state_of(out):
    return chainrule.load(f"{out}/checkpoint.safetensors")


def test_resume_equals_uninterrupted(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    full = RLTrainer(RLConfig("dqn", steps=700, out=str(a), **SMALL)).fit()
    RLTrainer(RLConfig("dqn", steps=300, out=str(b), **SMALL)).fit()
    resumed = RLTrainer(RLConfig("dqn", steps=700, out=str(b), **SMALL), resume=True).fit()
    sa, sb = state_of(a), state_of(b)
    for net in ("online", "target"):
        for key, value in sa["agent"][net].items():
            np.testing.assert_array_equal(value.numpy(), sb["agent"][net][key].numpy())
    for key in ("obs", "next_obs", "actions", "rewards", "terminated", "truncated"):
        np.testing.assert_array_equal(np.asarray(sa["buffer"][key]), np.asarray(sb["buffer"][key]))
    assert sa["agent"]["rng"] == sb["agent"]["rng"] and sa["buffer"]["rng"] == sb["buffer"]["rng"]
    assert full["mean_return_100"] == resumed["mean_return_100"]
    assert (full["env_steps"], full["episodes"]) == (resumed["env_steps"], resumed["episodes"])
    rows = lambda d: [{k: v for k, v in json.loads(line).items()}          # noqa: E731
                      for line in (d / "metrics.jsonl").read_text().splitlines()]
    assert rows(a) == rows(b)


def test_resume_refuses_other_settings(tmp_path):
    RLTrainer(RLConfig("dqn", steps=150, out=str(tmp_path), **SMALL)).fit()
    with pytest.raises(ConfigError, match="lr"):
        RLTrainer(RLConfig("dqn", steps=300, lr=0.5, out=str(tmp_path), **SMALL), resume=True)
    with pytest.raises(ConfigError, match="no checkpoint"):
        RLTrainer(RLConfig("dqn", out=str(tmp_path / "none"), **SMALL), resume=True)


def test_truncated_episodes_keep_their_last_observation(tmp_path):
    config = RLConfig("dqn", env_args={"max_episode_steps": 5}, steps=40, out=str(tmp_path),
                      **{**SMALL, "final_eval_episodes": 1})
    trainer = RLTrainer(config)
    trainer.fit()
    buf = trainer.buffer
    trunc = np.flatnonzero(buf.truncated[:40])
    assert len(trunc) >= 4 and not buf.terminated[trunc].any()
    for i in trunc[trunc < 39]:
        # the next slot starts a new episode: its obs is a fresh reset, not next_obs[i]
        assert not np.array_equal(buf.next_obs[i], buf.obs[i + 1])
        assert np.abs(buf.obs[i + 1]).max() <= 0.05           # CartPole resets in +-0.05
    inside = np.setdiff1d(np.arange(39), np.flatnonzero(buf.truncated | buf.terminated))
    np.testing.assert_array_equal(buf.next_obs[inside], buf.obs[inside + 1])


def test_short_cartpole_run_beats_the_random_policy(tmp_path):
    random_mean = float(np.mean(random_policy_returns("CartPole-v1", 100, seed=0)))
    config = RLConfig("dqn", steps=4_000, seed=0, eval_every=4_000, eval_episodes=1,
                      final_eval_episodes=20, out=str(tmp_path))
    result = RLTrainer(config).fit()
    assert random_mean < 30
    assert result["mean_return_100"] > 3 * random_mean
    metrics = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().split("\n")
               if line]
    assert {r["kind"] for r in metrics} == {"episode", "eval"}
    assert (tmp_path / "returns.png").stat().st_size > 1000


def test_bad_configs_raise():
    with pytest.raises(ConfigError, match="unknown RL model"):
        RLConfig("ppo")
    with pytest.raises(ConfigError, match="steps"):
        RLConfig("dqn", steps=0)
    with pytest.raises(ConfigError, match="tau"):
        RLConfig("dqn", tau=2.0)
    with pytest.raises(ConfigError, match="discrete observation"):
        RLTrainer(RLConfig("q-learning", "CartPole-v1", out="/tmp/never-written"))
    with pytest.raises(ConfigError, match="image observations"):
        RLTrainer(RLConfig("dqn-cnn", "CartPole-v1", out="/tmp/never-written"))
    with pytest.raises(ConfigError, match="vector observations"):
        RLTrainer(RLConfig("dqn", "FrozenLake-v1", out="/tmp/never-written"))


def test_cli_json(tmp_path, capsys):
    from chainrule.cli import main

    assert main(["train", "q-learning", "--env", "FrozenLake-v1", "--env-arg",
                 "is_slippery=false", "--steps", "3000", "--seed", "1", "--out", str(tmp_path),
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["env_steps"] == 3000 and result["model"] == "q-learning"
    assert 0.0 <= result["mean_return_100"] <= 1.0 and result["eval_episodes"] == 100
    assert result["env_args"] == {"is_slippery": False}


def test_cli_dqn_and_resume(tmp_path, capsys):
    from chainrule.cli import main

    args = ["train", "dqn", "--steps", "200", "--learning-starts", "50", "--train-frequency",
            "4", "--gradient-steps", "1", "--hidden", "8", "--eval-every", "100",
            "--eval-episodes", "1", "--final-eval-episodes", "3", "--out", str(tmp_path),
            "--json"]
    main(args)
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["env_steps"] == 200 and first["eval_episodes"] == 3
    main(args[:3] + ["400"] + args[4:] + ["--resume"])
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert second["env_steps"] == 400 and second["episodes"] > first["episodes"]


def test_dqn_cnn_on_minatar_smoke(tmp_path):
    pytest.importorskip("minatar")
    config = RLConfig("dqn-cnn", "minatar-breakout", steps=120, learning_starts=40,
                      train_frequency=4, batch_size=8, buffer_size=100, eval_every=120,
                      eval_episodes=1, final_eval_episodes=2, out=str(tmp_path))
    trainer = RLTrainer(config)
    result = trainer.fit()
    assert result["env_steps"] == 120 and result["updates"] == 20     # steps 44, 48, ..., 120
    assert trainer.buffer.obs.dtype == np.bool_ and trainer.buffer.obs.shape == (100, 4, 10, 10)
    weight = state_of(tmp_path)["agent"]["online"]["0.weight"]
    assert tuple(weight.shape) == (16, 4, 3, 3)


def test_batch_size_defaults_per_model():
    """--batch-size unset: 64 for the classifiers and DQN, 32 for the MinAtar CNN (its paper's
    setting); an explicit value wins."""
    from chainrule.cli import _parser
    from chainrule.train_rl import config_from_args

    parse = _parser().parse_args
    assert config_from_args(parse(["train", "dqn-cnn"])).batch_size == 32
    assert config_from_args(parse(["train", "dqn"])).batch_size == 64
    assert config_from_args(parse(["train", "dqn-cnn", "--batch-size", "8"])).batch_size == 8
    assert config_from_args(parse(["train", "q-learning"])).batch_size is None
    assert parse(["train", "mlp"]).batch_size is None          # resolved to 64 by train()
