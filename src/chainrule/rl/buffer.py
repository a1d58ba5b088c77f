"""Experience replay: a fixed-capacity ring buffer of transitions on NumPy arrays.

A transition is (s, a, r, s', terminated, truncated). Slot ``i`` of every array holds one
transition; the write position ``pos`` advances modulo ``capacity``, so once the buffer is full
the oldest transition is overwritten first. ``size = min(added, capacity)``.

Terminal vs truncated: ``next_obs`` is always the observation the environment returned for that
step (the real last state of an episode, never the first state of the next one). ``terminated``
means the MDP ended (no future reward: the Bellman target is r), ``truncated`` means the episode
was cut by a time limit (the state still has a future: the target bootstraps, r + gamma max Q).
Only ``terminated`` enters the target; ``truncated`` is kept for analysis and n-step variants.

Sampling is uniform with replacement over the ``size`` stored slots, from the buffer's own
seeded ``numpy.random.Generator``, so the same seed gives the same batches.
"""
from __future__ import annotations

import json

from ..backend import np

__all__ = ["ReplayBuffer"]

FIELDS = ("obs", "actions", "rewards", "next_obs", "terminated", "truncated")


class ReplayBuffer:
    """Ring buffer of ``capacity`` transitions with observations of ``obs_shape`` and
    ``obs_dtype`` (e.g. float32 for CartPole, bool for MinAtar frames).

    ``add`` stores one transition; ``sample(batch_size)`` draws indices uniformly from the stored
    ones and returns a dict of arrays; ``latest(n)`` returns the ``n`` newest transitions in the
    order they were added (training without replay); ``state_dict``/``load_state_dict`` save and
    restore everything, the sampling generator included.
    """

    def __init__(self, capacity: int, obs_shape: tuple[int, ...] = (), obs_dtype=np.float32,
                 seed: int = 0) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            raise ValueError(f"ReplayBuffer: capacity must be a positive int, got {capacity!r}")
        self.capacity = capacity
        self.obs_shape = tuple(int(d) for d in obs_shape)
        self.obs_dtype = np.dtype(obs_dtype)
        self.obs = np.zeros((capacity, *self.obs_shape), dtype=self.obs_dtype)
        self.next_obs = np.zeros((capacity, *self.obs_shape), dtype=self.obs_dtype)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=np.bool_)
        self.truncated = np.zeros(capacity, dtype=np.bool_)
        self.pos = 0          # next slot to write
        self.size = 0         # stored transitions
        self.added = 0        # transitions ever added
        self.rng = np.random.Generator(np.random.PCG64(seed))

    def __len__(self) -> int:
        return self.size

    def add(self, obs, action: int, reward: float, next_obs, terminated: bool,
            truncated: bool) -> None:
        """Store one transition in slot ``pos`` (overwriting the oldest once full)."""
        obs = np.asarray(obs)
        if obs.shape != self.obs_shape:
            raise ValueError(f"ReplayBuffer.add: obs has shape {obs.shape}, the buffer holds "
                             f"{self.obs_shape}")
        i = self.pos
        self.obs[i] = obs
        self.next_obs[i] = next_obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.terminated[i] = terminated
        self.truncated[i] = truncated
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        self.added += 1

    def _gather(self, idx) -> dict:
        return {name: getattr(self, name)[idx] for name in FIELDS}

    def sample(self, batch_size: int) -> dict:
        """``batch_size`` transitions drawn uniformly (with replacement) from the stored ones:
        a dict of arrays keyed by obs, actions, rewards, next_obs, terminated, truncated."""
        if self.size == 0:
            raise RuntimeError("ReplayBuffer.sample: the buffer is empty")
        return self._gather(self.rng.integers(0, self.size, size=batch_size))

    def latest(self, n: int) -> dict:
        """The ``min(n, size)`` newest transitions, oldest first."""
        if self.size == 0:
            raise RuntimeError("ReplayBuffer.latest: the buffer is empty")
        n = min(n, self.size)
        return self._gather((self.pos - n + np.arange(n)) % self.capacity)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """Arrays, positions and the generator's state (JSON text): what ``chainrule.save``
        stores without pickle."""
        return {**{name: getattr(self, name) for name in FIELDS},
                "pos": self.pos, "size": self.size, "added": self.added,
                "capacity": self.capacity,
                "rng": json.dumps(self.rng.bit_generator.state)}

    def load_state_dict(self, state: dict) -> None:
        if int(state["capacity"]) != self.capacity:
            raise ValueError(f"ReplayBuffer.load_state_dict: capacity {state['capacity']} in the "
                             f"state, {self.capacity} in this buffer")
        for name in FIELDS:
            value = state[name]
            value = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
            target = getattr(self, name)
            if value.shape != target.shape:
                raise ValueError(f"ReplayBuffer.load_state_dict: {name} has shape "
                                 f"{value.shape}, expected {target.shape}")
            target[...] = value
        self.pos, self.size, self.added = (int(state["pos"]), int(state["size"]),
                                           int(state["added"]))
        self.rng.bit_generator.state = json.loads(state["rng"])
