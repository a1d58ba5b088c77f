"""Environments for chainrule.rl behind one small interface, ``Env``.

``make_env(name, seed, **kwargs)`` builds

* a gymnasium environment (``CartPole-v1``, ``FrozenLake-v1``, ``CliffWalking-v1``, ...; keyword
  arguments go to ``gymnasium.make``, e.g. ``is_slippery=False`` for the deterministic
  FrozenLake; a task registered without a time limit, such as CliffWalking, is truncated after
  ``DEFAULT_MAX_STEPS`` steps so that a looping greedy policy still ends), or
* a MinAtar game (``minatar-breakout``, ``minatar-space_invaders``, ...; the ``minatar``
  package): sticky actions with probability 0.1 and difficulty ramping as in the MinAtar paper,
  the game's minimal action set, and the (10, 10, C) bool frame transposed to (C, 10, 10)
  (channels first, as Conv2d wants; the networks get it as float32).

``Env.reset() -> obs`` and ``Env.step(a) -> (obs, reward, terminated, truncated)``, with
``obs_shape``, ``obs_dtype``, ``n_actions`` and, for a discrete observation space,
``n_states`` (the observation is then an int).

Exact checkpoints. A running episode cannot be serialised in general, but it can be replayed:
the environment's random generator is recorded before every reset, together with the actions
taken since. ``get_state()`` returns both (JSON text plus an int64 array) and ``set_state``
restores the generator, resets and replays the actions, which reproduces the episode's state
and the generator's position exactly for these (deterministic given their generator)
environments.

gymnasium and minatar are imported inside the functions, so ``import chainrule`` does not
import them.
"""
from __future__ import annotations

import json

from ..backend import np

__all__ = ["Env", "make_env", "grid_layout", "random_policy_returns", "MINATAR_PREFIX",
           "MINATAR_MAX_STEPS", "DEFAULT_MAX_STEPS"]

MINATAR_PREFIX = "minatar-"
MINATAR_MAX_STEPS = 10_000            # truncation limit of a MinAtar episode
DEFAULT_MAX_STEPS = 1_000             # ... of a gymnasium task registered without one


class Env:
    """The interface of ``make_env``'s environments (see the module docstring)."""

    name: str
    obs_shape: tuple[int, ...]
    obs_dtype: np.dtype
    n_actions: int
    n_states: int | None = None

    def __init__(self) -> None:
        self._start_rng = ""              # generator state before the episode's reset
        self._start_extra: dict = {}
        self._actions: list[int] = []
        self.episode_steps = 0

    # subclasses: _reset(), _step(a), _rng_state(), _set_rng_state(text)
    def reset(self):
        self._start_rng = self._rng_state()
        self._start_extra = self._extra_state()
        self._actions = []
        self.episode_steps = 0
        return self._reset()

    def step(self, action: int):
        self._actions.append(int(action))
        self.episode_steps += 1
        return self._step(int(action))

    def _extra_state(self) -> dict:
        return {}

    def _set_extra_state(self, extra: dict) -> None:
        pass

    def get_state(self) -> dict:
        """What ``set_state`` needs to put this environment back where it is now."""
        return {"rng": self._start_rng, "extra": json.dumps(self._start_extra),
                "actions": np.asarray(self._actions, dtype=np.int64)}

    def set_state(self, state: dict):
        """Replay the current episode from its start; returns the current observation."""
        actions = state["actions"]
        actions = actions.numpy() if hasattr(actions, "numpy") else np.asarray(actions)
        self._set_rng_state(state["rng"])
        self._set_extra_state(json.loads(state["extra"]))
        obs = self.reset()
        for a in actions.tolist():
            obs = self.step(a)[0]
        return obs

    def close(self) -> None:
        pass


class GymEnv(Env):
    """A gymnasium environment; the seed goes to its first ``reset``."""

    def __init__(self, name: str, seed: int = 0, **kwargs) -> None:
        super().__init__()
        import gymnasium as gym

        self.name = name
        if gym.spec(name).max_episode_steps is None and "max_episode_steps" not in kwargs:
            kwargs["max_episode_steps"] = DEFAULT_MAX_STEPS
        self.env = gym.make(name, **kwargs)
        self.env.reset(seed=seed)          # seeds the environment's generator
        self.env.action_space.seed(seed)
        space = self.env.observation_space
        if not isinstance(self.env.action_space, gym.spaces.Discrete):
            raise ValueError(f"make_env: {name} has action space {self.env.action_space}; "
                             f"DQN and Q-learning need a Discrete one")
        self.n_actions = int(self.env.action_space.n)
        if isinstance(space, gym.spaces.Discrete):
            self.n_states = int(space.n)
            self.obs_shape, self.obs_dtype = (), np.dtype(np.int64)
        else:
            self.obs_shape, self.obs_dtype = tuple(space.shape), np.dtype(np.float32)

    def _obs(self, obs):
        return int(obs) if self.n_states is not None else np.asarray(obs, dtype=np.float32)

    def _reset(self):
        return self._obs(self.env.reset()[0])

    def _step(self, action: int):
        obs, reward, terminated, truncated, _ = self.env.step(action)
        return self._obs(obs), float(reward), bool(terminated), bool(truncated)

    def _rng_state(self) -> str:
        return json.dumps(self.env.unwrapped.np_random.bit_generator.state)

    def _set_rng_state(self, text: str) -> None:
        self.env.unwrapped.np_random.bit_generator.state = json.loads(text)

    def close(self) -> None:
        self.env.close()


class MinAtarEnv(Env):
    """A MinAtar game (``minatar.Environment``) with its minimal action set, channels-first
    bool frames and truncation after ``max_steps`` steps."""

    def __init__(self, game: str, seed: int = 0, sticky_action_prob: float = 0.1,
                 difficulty_ramping: bool = True, max_steps: int = MINATAR_MAX_STEPS) -> None:
        super().__init__()
        from minatar import Environment

        self.name = MINATAR_PREFIX + game
        self.env = Environment(game, sticky_action_prob=sticky_action_prob,
                               difficulty_ramping=difficulty_ramping)
        self.env.seed(seed)
        self.actions = list(self.env.minimal_action_set())
        self.n_actions = len(self.actions)
        h, w, c = self.env.state_shape()
        self.obs_shape, self.obs_dtype = (c, h, w), np.dtype(np.bool_)
        self.max_steps = max_steps

    def _obs(self):
        return np.ascontiguousarray(self.env.state().transpose(2, 0, 1), dtype=np.bool_)

    def _reset(self):
        self.env.reset()
        return self._obs()

    def _step(self, action: int):
        reward, terminal = self.env.act(self.actions[action])
        truncated = not terminal and self.episode_steps >= self.max_steps
        return self._obs(), float(reward), bool(terminal), bool(truncated)

    def _rng_state(self) -> str:
        s = self.env.random.get_state(legacy=False)
        return json.dumps({"key": s["state"]["key"].tolist(), "pos": int(s["state"]["pos"]),
                           "has_gauss": int(s["has_gauss"]), "gauss": float(s["gauss"])})

    def _set_rng_state(self, text: str) -> None:
        s = json.loads(text)
        self.env.random.set_state(("MT19937", np.asarray(s["key"], dtype=np.uint32), s["pos"],
                                   s["has_gauss"], s["gauss"]))

    def _extra_state(self) -> dict:
        return {"last_action": int(self.env.last_action)}

    def _set_extra_state(self, extra: dict) -> None:
        if "last_action" in extra:
            self.env.last_action = extra["last_action"]


def make_env(name: str, seed: int = 0, **kwargs) -> Env:
    """The environment ``name`` seeded with ``seed`` (see the module docstring)."""
    if name.startswith(MINATAR_PREFIX):
        game = name[len(MINATAR_PREFIX):].replace("-", "_")
        if game == "spaceinvaders":
            game = "space_invaders"
        try:
            return MinAtarEnv(game, seed, **kwargs)
        except ModuleNotFoundError as e:
            if e.name and e.name.startswith("minatar"):
                raise ValueError(f"make_env: unknown MinAtar game {game!r} (or the minatar "
                                 f"package is not installed: {e})") from None
            raise
    import gymnasium as gym

    try:
        return GymEnv(name, seed, **kwargs)
    except (gym.error.Error, TypeError) as e:
        raise ValueError(f"make_env: cannot make {name!r}: {e}") from None


def random_policy_returns(name: str, episodes: int, seed: int = 0, **kwargs) -> list[float]:
    """Undiscounted returns of the uniform random policy over ``episodes`` episodes."""
    env = make_env(name, seed, **kwargs)
    rng = np.random.Generator(np.random.PCG64(seed))
    returns = []
    for _ in range(episodes):
        env.reset()
        total, done = 0.0, False
        while not done:
            _, r, terminated, truncated = env.step(int(rng.integers(env.n_actions)))
            total += r
            done = terminated or truncated
        returns.append(total)
    env.close()
    return returns


# (row, column) step of each action, by environment family
_GRID_MOVES = {"FrozenLake": [(0, -1), (1, 0), (0, 1), (-1, 0)],        # left down right up
               "CliffWalking": [(-1, 0), (0, 1), (1, 0), (0, -1)]}      # up right down left


def grid_layout(env: Env) -> dict | None:
    """For a grid world (FrozenLake, CliffWalking): ``{"shape": (rows, cols), "cells": list of
    row strings with S start, G goal, H hole, C cliff, F free, "moves": (row, col) step per
    action}``; ``None`` for other environments."""
    family = env.name.split("-")[0].split("8x8")[0]
    if not isinstance(env, GymEnv) or family not in _GRID_MOVES:
        return None
    raw = env.env.unwrapped
    if family == "FrozenLake":
        cells = ["".join(c.decode() for c in row) for row in raw.desc]
    else:
        rows, cols = raw.shape
        cells = []
        for r in range(rows):
            row = ["F"] * cols
            if r == rows - 1:
                row = ["S"] + ["C"] * (cols - 2) + ["G"]
            cells.append("".join(row))
    return {"shape": (len(cells), len(cells[0])), "cells": cells, "moves": _GRID_MOVES[family]}
