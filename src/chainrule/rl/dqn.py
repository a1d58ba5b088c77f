"""Deep Q-learning (DQN, Mnih et al. 2015) with the usual options.

The Q-network Q_theta(s, .) maps an observation to one value per action. Each update takes a
batch of transitions (s, a, r, s', terminated) and regresses Q_theta(s, a) on the Bellman target

    y = r + gamma * (1 - terminated) * max_a' Q_target(s', a')

computed without gradient by the target network Q_target (a lagged copy of Q_theta, or Q_theta
itself when the target network is switched off). Double DQN (van Hasselt et al. 2016) picks the
action with the online net and evaluates it with the target net, which removes the max's upward
bias:  y = r + gamma (1 - terminated) Q_target(s', argmax_a' Q_theta(s', a')).

The loss is the Huber loss (``smooth_l1_loss``, quadratic for |error| < 1, linear beyond) or the
squared error, averaged over the batch; gradients are clipped to a global L2 norm
(``clip_grad_norm_``) before the Adam step. The target network follows by a hard copy
(tau = 1) every C environment steps or by Polyak averaging theta_target <- tau theta +
(1 - tau) theta_target. Exploration is epsilon-greedy with epsilon decayed linearly
(``LinearSchedule``).
"""
from __future__ import annotations

import copy
import json

from ..backend import np

__all__ = ["bellman_targets", "LinearSchedule", "DQNAgent", "mlp_q_network",
           "minatar_q_network"]

LOSSES = ("huber", "mse")


def bellman_targets(rewards, terminated, next_q_target, gamma: float, next_q_online=None):
    """The DQN regression targets of a batch, as a float32 array (B,).

    ``rewards`` (B,), ``terminated`` (B,) bool/0-1, ``next_q_target`` (B, A) = Q_target(s', .).
    Without ``next_q_online``: y = r + gamma (1 - terminated) max_a' Q_target(s', a').
    With ``next_q_online`` (B, A) = Q_online(s', .) (Double DQN):
    y = r + gamma (1 - terminated) Q_target(s', argmax_a' Q_online(s', a')).
    A truncated (time-limit) transition is not terminated: it bootstraps.
    """
    rewards = np.asarray(rewards, dtype=np.float32)
    done = np.asarray(terminated, dtype=np.float32)
    next_q_target = np.asarray(next_q_target, dtype=np.float32)
    if next_q_target.ndim != 2 or next_q_target.shape[0] != rewards.shape[0]:
        raise ValueError(f"bellman_targets: next_q_target must be (B, A) with B = "
                         f"{rewards.shape[0]}, got {next_q_target.shape}")
    if next_q_online is None:
        bootstrap = next_q_target.max(axis=1)
    else:
        next_q_online = np.asarray(next_q_online)
        if next_q_online.shape != next_q_target.shape:
            raise ValueError(f"bellman_targets: next_q_online has shape {next_q_online.shape}, "
                             f"next_q_target {next_q_target.shape}")
        best = next_q_online.argmax(axis=1)
        bootstrap = next_q_target[np.arange(len(best)), best]
    return (rewards + np.float32(gamma) * (1 - done) * bootstrap).astype(np.float32)


class LinearSchedule:
    """epsilon(t) = start + (end - start) min(1, t / duration): linear from ``start`` at step 0
    to ``end`` at step ``duration``, then constant."""

    def __init__(self, start: float, end: float, duration: int) -> None:
        if duration < 0:
            raise ValueError(f"LinearSchedule: duration must be >= 0, got {duration}")
        self.start, self.end, self.duration = float(start), float(end), int(duration)

    def __call__(self, t: int) -> float:
        if self.duration == 0:
            return self.end
        return self.start + (self.end - self.start) * min(1.0, t / self.duration)


def mlp_q_network(obs_dim: int, n_actions: int, hidden=(120, 84)):
    """obs_dim -> hidden... -> n_actions with ReLU between (CleanRL's CartPole Q-network)."""
    from .. import nn

    layers, width = [], obs_dim
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, n_actions))
    return nn.Sequential(*layers)


def minatar_q_network(in_channels: int, n_actions: int, size: int = 10):
    """The MinAtar paper's Q-network: Conv2d(C, 16, 3) + ReLU, Linear(16 (size-2)^2, 128) + ReLU,
    Linear(128, n_actions), for (N, C, size, size) frames."""
    from .. import nn

    return nn.Sequential(nn.Conv2d(in_channels, 16, 3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(16 * (size - 2) ** 2, 128), nn.ReLU(),
                         nn.Linear(128, n_actions))


class DQNAgent:
    """Online and target Q-networks, Adam, epsilon-greedy action choice and the DQN update.

    ``q_net`` is any chainrule module mapping float32 observations (N, ...) to (N, n_actions).
    ``tau`` 1: ``update_target`` copies the online weights (hard update; call it every C steps);
    ``tau`` < 1: Polyak averaging. ``target_network=False``: targets come from the online net
    itself (the ablation). ``seed`` seeds the exploration generator.
    """

    def __init__(self, q_net, n_actions: int, *, lr: float = 2.5e-4, gamma: float = 0.99,
                 double: bool = False, loss: str = "huber", max_grad_norm: float | None = 10.0,
                 tau: float = 1.0, target_network: bool = True, seed: int = 0) -> None:
        from ..optim import Adam

        if loss not in LOSSES:
            raise ValueError(f"DQNAgent: loss must be one of {LOSSES}, got {loss!r}")
        if not 0 < tau <= 1:
            raise ValueError(f"DQNAgent: tau must be in (0, 1], got {tau!r}")
        self.online = q_net
        self.target = copy.deepcopy(q_net) if target_network else None
        if self.target is not None:
            for p in self.target.parameters():
                p.requires_grad_(False)
        self.n_actions = int(n_actions)
        self.gamma, self.double, self.loss_name = float(gamma), bool(double), loss
        self.max_grad_norm, self.tau = max_grad_norm, float(tau)
        self.optimizer = Adam(self.online.parameters(), lr=lr)
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.updates = 0

    # ------------------------------------------------------------------ acting
    def q_values(self, obs, net=None):
        """Q(s, .) of a batch of observations as a NumPy array (no graph)."""
        from ..autograd import no_grad
        from ..creation import from_numpy

        net = self.online if net is None else net
        with no_grad():
            return net(from_numpy(np.ascontiguousarray(obs, dtype=np.float32))).numpy()

    def greedy(self, obs):
        """argmax_a Q(s, a) for a batch of observations (int64 array)."""
        return self.q_values(obs).argmax(axis=1)

    def act(self, obs, epsilon: float) -> int:
        """Epsilon-greedy action for one observation: a uniform random action with probability
        ``epsilon``, else the greedy one. One uniform draw per call (plus one for the random
        action), so a run is reproducible from the generator's state."""
        if self.rng.random() < epsilon:
            return int(self.rng.integers(self.n_actions))
        return int(self.greedy(np.asarray(obs)[None])[0])

    # ------------------------------------------------------------------ learning
    def targets(self, batch: dict):
        """``bellman_targets`` of a replay batch with this agent's networks and options."""
        target_net = self.online if self.target is None else self.target
        next_q_target = self.q_values(batch["next_obs"], target_net)
        next_q_online = None
        if self.double:
            next_q_online = (next_q_target if self.target is None
                             else self.q_values(batch["next_obs"]))
        return bellman_targets(batch["rewards"], batch["terminated"], next_q_target,
                               self.gamma, next_q_online)

    def update(self, batch: dict) -> float:
        """One gradient step on the TD loss of ``batch``; returns the loss."""
        from ..creation import from_numpy
        from ..nn.functional import mse_loss, smooth_l1_loss
        from ..nn.utils import clip_grad_norm_

        y = from_numpy(self.targets(batch))
        obs = from_numpy(np.ascontiguousarray(batch["obs"], dtype=np.float32))
        actions = from_numpy(np.asarray(batch["actions"], dtype=np.int64))
        q = self.online(obs).gather(1, actions[:, None]).squeeze(1)
        loss = (smooth_l1_loss if self.loss_name == "huber" else mse_loss)(q, y)
        self.optimizer.zero_grad()
        loss.backward()
        if self.max_grad_norm is not None:
            clip_grad_norm_(self.online.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.updates += 1
        return loss.item()

    def update_target(self) -> None:
        """theta_target <- tau theta + (1 - tau) theta_target (a copy when tau = 1)."""
        from ..autograd import no_grad

        if self.target is None:
            return
        with no_grad():
            for t, p in zip(self.target.parameters(), self.online.parameters()):
                if self.tau == 1.0:
                    t.copy_(p)
                else:
                    t.mul_(1.0 - self.tau).add_(p, alpha=self.tau)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        state = {"online": self.online.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "rng": json.dumps(self.rng.bit_generator.state), "updates": self.updates}
        if self.target is not None:
            state["target"] = self.target.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        self.online.load_state_dict(state["online"])
        if self.target is not None:
            self.target.load_state_dict(state["target"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = json.loads(state["rng"])
        self.updates = int(state["updates"])
