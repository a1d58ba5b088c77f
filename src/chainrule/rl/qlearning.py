"""Tabular Q-learning (Watkins 1989).

A table Q (n_states x n_actions), initialised to zero. After each transition (s, a, r, s'):

    Q(s, a) <- Q(s, a) + alpha * (r + gamma * (1 - terminated) * max_a' Q(s', a') - Q(s, a))

with learning rate ``alpha`` and discount ``gamma``; a truncated (time-limit) transition still
bootstraps. Actions are epsilon-greedy (a uniform action with probability epsilon, else
argmax_a Q(s, a) with ties broken uniformly at random, which matters while the table is still
all zeros). For a finite MDP Q-learning converges to Q* when every pair is visited infinitely
often and the step sizes satisfy the Robbins-Monro conditions; the greedy policy of Q* is
optimal. ``greedy_policy`` is that policy, drawn by ``chainrule.rl.plots.plot_q_table``.
"""
from __future__ import annotations

import json

from ..backend import np

__all__ = ["QLearning", "value_iteration", "success_probability", "transition_model"]


class QLearning:
    """The Q-table, its update and the epsilon-greedy choice (own seeded generator)."""

    def __init__(self, n_states: int, n_actions: int, alpha: float = 0.1, gamma: float = 0.99,
                 seed: int = 0) -> None:
        if not 0 < alpha <= 1:
            raise ValueError(f"QLearning: alpha must be in (0, 1], got {alpha!r}")
        if not 0 <= gamma <= 1:
            raise ValueError(f"QLearning: gamma must be in [0, 1], got {gamma!r}")
        self.q = np.zeros((n_states, n_actions), dtype=np.float64)
        self.alpha, self.gamma = float(alpha), float(gamma)
        self.rng = np.random.Generator(np.random.PCG64(seed))

    def greedy(self, state: int) -> int:
        """argmax_a Q(state, a), ties broken uniformly at random."""
        row = self.q[state]
        best = np.flatnonzero(row == row.max())
        return int(best[0] if len(best) == 1 else self.rng.choice(best))

    def act(self, state: int, epsilon: float) -> int:
        if self.rng.random() < epsilon:
            return int(self.rng.integers(self.q.shape[1]))
        return self.greedy(state)

    def update(self, state: int, action: int, reward: float, next_state: int,
               terminated: bool) -> float:
        """One Q-learning update; returns the TD error."""
        target = reward + (0.0 if terminated else self.gamma * self.q[next_state].max())
        error = target - self.q[state, action]
        self.q[state, action] += self.alpha * error
        return float(error)

    def greedy_policy(self):
        """The first argmax action of every state (int64 array)."""
        return self.q.argmax(axis=1)

    def state_dict(self) -> dict:
        return {"q": self.q, "rng": json.dumps(self.rng.bit_generator.state)}

    def load_state_dict(self, state: dict) -> None:
        q = state["q"]
        q = q.numpy() if hasattr(q, "numpy") else np.asarray(q)
        if q.shape != self.q.shape:
            raise ValueError(f"QLearning.load_state_dict: table of shape {q.shape}, expected "
                             f"{self.q.shape}")
        self.q[...] = q
        self.rng.bit_generator.state = json.loads(state["rng"])


# ---------------------------------------------------------------------------- exact solutions
def transition_model(env) -> list:
    """gymnasium's ``P[s][a] = [(prob, next_state, reward, terminated), ...]``."""
    return env.env.unwrapped.P


def value_iteration(P, n_states: int, n_actions: int, gamma: float, tol: float = 1e-12,
                    max_iter: int = 100_000):
    """Q* by repeated application of the Bellman optimality operator (until the max change is
    below ``tol``)."""
    q = np.zeros((n_states, n_actions))
    for _ in range(max_iter):
        v = q.max(axis=1)
        new = np.zeros_like(q)
        for s in range(n_states):
            for a in range(n_actions):
                new[s, a] = sum(p * (r + (0.0 if done else gamma * v[s2]))
                                for p, s2, r, done in P[s][a])
        change = np.abs(new - q).max()
        q = new
        if change < tol:
            break
    return q


def success_probability(P, policy, start: int, goal_reward: float = 1.0,
                        horizon: int = 100) -> float:
    """Exact probability that ``policy`` collects the goal reward within ``horizon`` steps
    from ``start`` (dynamic programming over the state distribution)."""
    n = len(policy)
    dist = np.zeros(n)
    dist[start] = 1.0
    reached = 0.0
    for _ in range(horizon):
        new = np.zeros(n)
        for s in np.flatnonzero(dist):
            for p, s2, r, done in P[s][int(policy[s])]:
                if r >= goal_reward:
                    reached += dist[s] * p
                elif not done:
                    new[s2] += dist[s] * p
        dist = new
    return float(reached)
