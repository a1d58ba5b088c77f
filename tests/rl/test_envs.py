"""Environments: the episode-replay state used by checkpoints, MinAtar frames, grid layouts."""
import subprocess
import sys

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from chainrule.rl.envs import grid_layout, make_env, random_policy_returns  # noqa: E402


def run(env, actions):
    out = []
    for a in actions:
        obs, r, term, trunc = env.step(a)
        out.append((np.asarray(obs).tolist(), r, term, trunc))
    return out


@pytest.mark.parametrize("name,kwargs", [("CartPole-v1", {}),
                                         ("FrozenLake-v1", {"is_slippery": True})])
def test_set_state_replays_the_running_episode(name, kwargs):
    env = make_env(name, seed=3, **kwargs)
    env.reset()
    run(env, [0, 1, 1])
    env.reset()                                   # the state holds this episode only
    run(env, [1, 0])
    state = env.get_state()
    twin = make_env(name, seed=123, **kwargs)
    twin.set_state(state)
    assert twin.episode_steps == 2
    actions = [0, 1, 0, 1, 1, 0]
    assert run(twin, actions) == run(env, actions)
    assert np.asarray(twin.reset()).tolist() == np.asarray(env.reset()).tolist()


def test_minatar_frames_and_replay():
    pytest.importorskip("minatar")
    env = make_env("minatar-breakout", seed=1)
    obs = env.reset()
    assert obs.shape == (4, 10, 10) and obs.dtype == np.bool_
    assert env.n_actions == 3                     # minimal action set: noop, left, right
    run(env, [1, 2, 2, 0, 1])
    twin = make_env("minatar-breakout", seed=9)
    twin.set_state(env.get_state())
    actions = [2, 2, 1, 0, 0, 1, 2, 0, 1, 1] * 3
    assert run(twin, actions) == run(env, actions)
    assert make_env("minatar-spaceinvaders").obs_shape == (6, 10, 10)


def test_truncated_is_not_terminated():
    env = make_env("FrozenLake-v1", seed=0, is_slippery=False, max_episode_steps=2)
    env.reset()
    assert env.step(0)[2:] == (False, False)      # left at the corner: stays on S
    assert env.step(0)[2:] == (False, True)       # time limit: truncated, not terminated
    env.reset()
    env.step(1)                                   # down to (1, 0)
    assert env.step(1)[2] is False
    env = make_env("FrozenLake-v1", seed=0, is_slippery=False)
    env.reset()
    env.step(2)
    _, r, term, trunc = env.step(1)               # (0,1) -> (1,1) is a hole
    assert (r, term, trunc) == (0.0, True, False)


def test_cliffwalking_gets_a_time_limit_and_grid_layouts():
    env = make_env("CliffWalking-v1")
    assert env.env.spec.max_episode_steps == 1000
    layout = grid_layout(env)
    assert layout["shape"] == (4, 12) and layout["cells"][3] == "S" + "C" * 10 + "G"
    lake = grid_layout(make_env("FrozenLake-v1"))
    assert lake["cells"] == ["SFFF", "FHFH", "FFFH", "HFFG"]
    assert grid_layout(make_env("CartPole-v1")) is None


def test_random_policy_on_cartpole_is_short():
    returns = random_policy_returns("CartPole-v1", 30, seed=0)
    assert 12 < np.mean(returns) < 35             # ~22 steps for the uniform policy


def test_unknown_environments_raise():
    with pytest.raises(ValueError, match="NoSuchEnv"):
        make_env("NoSuchEnv-v0")
    pytest.importorskip("minatar")
    with pytest.raises(ValueError, match="MinAtar"):
        make_env("minatar-nosuchgame")


def test_import_chainrule_and_rl_do_not_import_gymnasium():
    code = ("import sys, chainrule, chainrule.rl, chainrule.train_rl; "
            "print('gymnasium' in sys.modules, 'minatar' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
