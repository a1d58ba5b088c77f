"""Train a reinforcement-learning agent: ``chainrule train dqn|dqn-cnn|q-learning --env NAME``.

    from chainrule.train_rl import RLConfig, RLTrainer
    summary = RLTrainer(RLConfig("dqn", "CartPole-v1", steps=50_000)).fit()

Models: ``dqn`` (an MLP Q-network, ``chainrule.rl.dqn.mlp_q_network``), ``dqn-cnn`` (the
MinAtar CNN Q-network for ``minatar-*`` environments) and ``q-learning`` (a Q-table for
environments with a discrete observation space). Options left at None take the model's
defaults (``DEFAULTS``). The run trains for ``steps`` environment steps in total (a run can stop
earlier when ``target_return`` is set and a periodic greedy evaluation reaches it), then
evaluates the greedy policy on ``final_eval_episodes`` (100) fresh episodes, which gives
``mean_return_100``.

Every ``eval_every`` steps the greedy policy plays ``eval_episodes`` episodes on separately
seeded environments (it does not touch the training run's state). The run folder ``out`` gets:

* ``config.json``: the ``RLConfig``;
* ``metrics.jsonl``: one line per finished training episode (``{"kind": "episode", "step",
  "episode", "return", "length", "epsilon", "loss"}``, loss = mean TD loss of the updates
  during the episode, None before learning starts) and one per evaluation (``{"kind": "eval",
  "step", "mean_return", "std_return", "episodes"}``);
* ``checkpoint.safetensors`` (``chainrule.save``, atomic, every ``checkpoint_every`` steps and
  at the end): networks, optimizer, replay buffer arrays, the generators of agent, buffer and
  environment, the environment step count (which fixes the epsilon schedule's position), the
  running episode (replayed on resume, see ``chainrule.rl.envs``) and the episode count;
* ``returns.png``: the training and evaluation returns against steps; for grid worlds also
  ``qtable.png``, the learned values and greedy policy.

``resume=True`` restores all of that and continues, so a run interrupted at a checkpoint and
resumed ends with bitwise the parameters of the uninterrupted run; ``steps`` may be raised.
"""
from __future__ import annotations

import dataclasses
import json
import math
import sys
import time

from .backend import np
from .train import ConfigError, RunFolder, _progress_bar, _write_atomic

__all__ = ["RLConfig", "RLTrainer", "RL_MODELS", "DEFAULTS", "evaluate_greedy"]

RL_MODELS = ("dqn", "dqn-cnn", "q-learning")
LOSSES = ("huber", "mse")
RESUMABLE_CHANGES = ("steps", "out", "target_return", "checkpoint_every")
FINAL_EVAL_EPISODES = 100
EVAL_SEED_OFFSET = 1_000_003          # evaluation episodes use seeds seed + offset + i

# per-model defaults of the options left at None. dqn: a fast CartPole recipe (a 256-256 MLP,
# bursts of gradient steps with a hard target update at each burst, as rl-baselines3-zoo's
# tuned DQN); dqn-cnn: MinAtar's DQN network and target copy every 1,000 steps, with one update
# every 4 steps at a higher learning rate (Atari DQN's rhythm) to fit a CPU budget;
# q-learning: alpha = lr.
DEFAULTS = {
    "dqn": dict(lr=2.3e-3, gamma=0.99, batch_size=64, buffer_size=100_000,
                learning_starts=1_000, train_frequency=256, gradient_steps=128,
                target_update=10, tau=1.0, eps_start=1.0, eps_end=0.04, eps_steps=8_000,
                hidden=[256, 256], eval_every=2_500, eval_episodes=20),
    "dqn-cnn": dict(lr=1e-3, gamma=0.99, batch_size=32, buffer_size=100_000,
                    learning_starts=5_000, train_frequency=4, gradient_steps=1,
                    target_update=1_000, tau=1.0, eps_start=1.0, eps_end=0.05,
                    eps_steps=50_000, hidden=None, eval_every=25_000, eval_episodes=20),
    "q-learning": dict(lr=0.1, gamma=0.99, batch_size=None, buffer_size=None,
                       learning_starts=0, train_frequency=1, gradient_steps=1,
                       target_update=None, tau=None, eps_start=1.0, eps_end=0.05,
                       eps_steps=None, hidden=None, eval_every=None, eval_episodes=10),
}


@dataclasses.dataclass
class RLConfig:
    """Everything that defines an RL run (``config.json``). None means the model's default
    (``DEFAULTS``; for q-learning ``eps_steps`` defaults to half of ``steps`` and
    ``eval_every`` to a tenth). ``replay=False``: no replay memory, each update uses the latest
    ``batch_size`` transitions; ``target_network=False``: targets from the online net."""

    model: str
    env: str = "CartPole-v1"
    env_args: dict = dataclasses.field(default_factory=dict)
    steps: int = 50_000
    seed: int = 0
    lr: float | None = None
    gamma: float | None = None
    batch_size: int | None = None
    buffer_size: int | None = None
    learning_starts: int | None = None
    train_frequency: int | None = None
    gradient_steps: int | None = None
    target_update: int | None = None
    tau: float | None = None
    eps_start: float | None = None
    eps_end: float | None = None
    eps_steps: int | None = None
    hidden: list | None = None
    loss: str = "huber"
    max_grad_norm: float | None = 10.0
    double: bool = False
    replay: bool = True
    target_network: bool = True
    eval_every: int | None = None
    eval_episodes: int | None = None
    final_eval_episodes: int = FINAL_EVAL_EPISODES
    target_return: float | None = None
    checkpoint_every: int = 10_000
    out: str | None = None

    def __post_init__(self) -> None:
        if self.model not in RL_MODELS:
            raise ConfigError(f"unknown RL model {self.model!r}; available: "
                              f"{', '.join(RL_MODELS)}")
        for key, value in DEFAULTS[self.model].items():
            if getattr(self, key) is None:
                setattr(self, key, value)
        if self.model == "q-learning":
            if self.eps_steps is None:
                self.eps_steps = self.steps // 2
            if self.eval_every is None:
                self.eval_every = max(1, self.steps // 10)
        if self.hidden is not None:
            self.hidden = [int(h) for h in self.hidden]
        if self.loss not in LOSSES:
            raise ConfigError(f"loss must be one of {', '.join(LOSSES)}; got {self.loss!r}")
        for name in ("steps", "eval_every", "eval_episodes", "final_eval_episodes",
                     "checkpoint_every", "batch_size", "buffer_size", "train_frequency",
                     "gradient_steps", "target_update"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 1):
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be positive, got {self.lr!r}")
        if not 0 <= self.gamma <= 1:
            raise ConfigError(f"gamma must be in [0, 1], got {self.gamma!r}")
        if self.tau is not None and not 0 < self.tau <= 1:
            raise ConfigError(f"tau must be in (0, 1], got {self.tau!r}")
        if self.out is None:
            self.out = f"runs/{self.model}-{self.env}"


def _greedy_episodes(choose, env_name: str, env_args: dict, episodes: int, seed: int,
                     batched: bool) -> list[float]:
    """Returns of ``episodes`` greedy episodes, episode i on an environment seeded
    ``seed + i``. ``choose(obs_batch) -> actions`` is called on all running episodes at once
    when ``batched``, else one observation at a time."""
    from .rl.envs import make_env

    envs = [make_env(env_name, seed + i, **env_args) for i in range(episodes)]
    obs = [e.reset() for e in envs]
    returns = [0.0] * episodes
    running = list(range(episodes))
    while running:
        if batched:
            actions = choose(np.stack([obs[i] for i in running]))
        else:
            actions = [choose(obs[i]) for i in running]
        still = []
        for i, a in zip(running, actions):
            obs[i], r, terminated, truncated = envs[i].step(int(a))
            returns[i] += r
            if not (terminated or truncated):
                still.append(i)
        running = still
    for e in envs:
        e.close()
    return returns


def evaluate_greedy(agent, config: RLConfig, episodes: int) -> list[float]:
    """Undiscounted returns of the greedy policy of ``agent`` (a DQNAgent or QLearning) on
    ``episodes`` evaluation episodes (fixed seeds, independent of the training run)."""
    seed = config.seed + EVAL_SEED_OFFSET
    if config.model == "q-learning":
        policy = agent.greedy_policy()
        return _greedy_episodes(lambda s: policy[s], config.env, config.env_args, episodes,
                                seed, batched=False)
    return _greedy_episodes(agent.greedy, config.env, config.env_args, episodes, seed,
                            batched=True)


class RLTrainer:
    """One run of ``config`` (see the module docstring); ``fit()`` trains and evaluates."""

    def __init__(self, config: RLConfig, resume: bool = False, log=None) -> None:
        from .random import manual_seed
        from .rl.envs import make_env

        self.config = config
        self.files = RunFolder(config.out)
        self.files.returns = self.files.root / "returns.png"
        self.files.qtable = self.files.root / "qtable.png"
        self.log = log
        manual_seed(config.seed)
        self.env = make_env(config.env, config.seed, **config.env_args)
        self._build()
        self.step = 0
        self.episode = 0
        self.episode_return, self.episode_losses = 0.0, []
        self.metrics: list[dict] = []
        self.seconds = 0.0
        if resume:
            self._resume()
        else:
            self.files.root.mkdir(parents=True, exist_ok=True)
            self.files.write_metrics([])
            self.obs = self.env.reset()
        self._write_config()

    def _build(self) -> None:
        from .rl.buffer import ReplayBuffer
        from .rl.dqn import DQNAgent, LinearSchedule, minatar_q_network, mlp_q_network
        from .rl.qlearning import QLearning

        c, env = self.config, self.env
        self.schedule = LinearSchedule(c.eps_start, c.eps_end, c.eps_steps)
        self.buffer = None
        if c.model == "q-learning":
            if env.n_states is None:
                raise ConfigError(f"q-learning needs a discrete observation space; {c.env} "
                                  f"has observations of shape {env.obs_shape}")
            self.agent = QLearning(env.n_states, env.n_actions, alpha=c.lr, gamma=c.gamma,
                                   seed=c.seed)
            return
        if c.model == "dqn-cnn":
            if len(env.obs_shape) != 3:
                raise ConfigError(f"dqn-cnn needs image observations (C, H, W), e.g. "
                                  f"--env minatar-breakout; {c.env} has {env.obs_shape}")
            net = minatar_q_network(env.obs_shape[0], env.n_actions, env.obs_shape[1])
        else:
            if len(env.obs_shape) != 1:
                raise ConfigError(f"dqn needs vector observations; {c.env} has "
                                  f"{env.obs_shape or 'discrete states'} (use dqn-cnn for "
                                  f"images, q-learning for discrete states)")
            net = mlp_q_network(env.obs_shape[0], env.n_actions, c.hidden)
        self.agent = DQNAgent(net, env.n_actions, lr=c.lr, gamma=c.gamma, double=c.double,
                              loss=c.loss, max_grad_norm=c.max_grad_norm, tau=c.tau,
                              target_network=c.target_network, seed=c.seed)
        capacity = c.buffer_size if c.replay else c.batch_size
        self.buffer = ReplayBuffer(capacity, env.obs_shape, env.obs_dtype, seed=c.seed + 1)

    # ------------------------------------------------------------------ checkpoints
    def _write_config(self) -> None:
        _write_atomic(self.files.config,
                      json.dumps(dataclasses.asdict(self.config), indent=2) + "\n")

    def save_checkpoint(self) -> None:
        from .io import save
        from .random import get_rng_state

        state = {"agent": self.agent.state_dict(), "step": self.step, "episode": self.episode,
                 "episode_return": self.episode_return,
                 "episode_losses": list(self.episode_losses), "seconds": self.seconds,
                 "env": self.env.get_state(), "rng": get_rng_state()}
        if self.buffer is not None:
            state["buffer"] = self.buffer.state_dict()
        save(state, self.files.checkpoint)

    def _resume(self) -> None:
        from .io import load
        from .random import set_rng_state

        if not self.files.checkpoint.exists():
            raise ConfigError(f"--resume: no checkpoint at {self.files.checkpoint}")
        saved = json.loads(self.files.config.read_text()) if self.files.config.exists() else {}
        current = dataclasses.asdict(self.config)
        changed = [f"{k}: {saved[k]!r} -> {current[k]!r}" for k in current
                   if k in saved and k not in RESUMABLE_CHANGES and saved[k] != current[k]]
        if changed:
            raise ConfigError(f"--resume: the run in {self.files.root} was made with other "
                              f"settings ({'; '.join(changed)})")
        state = load(self.files.checkpoint)
        self.agent.load_state_dict(state["agent"])
        if self.buffer is not None:
            self.buffer.load_state_dict(state["buffer"])
        self.step, self.episode = int(state["step"]), int(state["episode"])
        self.episode_return = float(state["episode_return"])
        self.episode_losses = [float(v) for v in state["episode_losses"]]
        self.seconds = float(state["seconds"])
        set_rng_state(state["rng"])
        self.obs = self.env.set_state(state["env"])
        # lines logged after the checkpoint (an interrupted stretch) are dropped
        self.metrics = [r for r in self.files.read_metrics() if r["step"] <= self.step]
        self.files.write_metrics(self.metrics)

    # ------------------------------------------------------------------ training
    def _learn(self) -> None:
        """The updates due after step ``self.step`` (which counts the step just taken)."""
        c = self.config
        if c.model == "q-learning" or self.step <= c.learning_starts:
            return
        if self.step % c.train_frequency == 0:
            for _ in range(c.gradient_steps):
                batch = (self.buffer.sample(c.batch_size) if c.replay
                         else self.buffer.latest(c.batch_size))
                self.episode_losses.append(self.agent.update(batch))
        if self.step % c.target_update == 0:
            self.agent.update_target()

    def _env_step(self) -> tuple[float, bool]:
        """One environment step with the epsilon of the current step, stored and learned from;
        returns (reward, episode ended)."""
        c = self.config
        epsilon = self.schedule(self.step)
        action = self.agent.act(self.obs, epsilon)
        next_obs, reward, terminated, truncated = self.env.step(action)
        if c.model == "q-learning":
            self.agent.update(self.obs, action, reward, next_obs, terminated)
        else:
            self.buffer.add(self.obs, action, reward, next_obs, terminated, truncated)
        self.step += 1
        self._learn()
        self.episode_return += reward
        self.obs = next_obs
        return reward, terminated or truncated

    def _end_episode(self) -> dict:
        self.episode += 1
        losses = self.episode_losses
        row = {"kind": "episode", "step": self.step, "episode": self.episode,
               "return": self.episode_return, "length": self.env.episode_steps,
               "epsilon": self.schedule(self.step),
               "loss": math.fsum(losses) / len(losses) if losses else None}
        self.metrics.append(row)
        self.files.append_metrics(row)
        self.episode_return, self.episode_losses = 0.0, []
        self.obs = self.env.reset()
        return row

    def evaluate(self, episodes: int) -> dict:
        returns = evaluate_greedy(self.agent, self.config, episodes)
        return {"kind": "eval", "step": self.step, "mean_return": float(np.mean(returns)),
                "std_return": float(np.std(returns)), "episodes": episodes}

    def _episode_rows(self) -> list[dict]:
        return [r for r in self.metrics if r["kind"] == "episode"]

    def _eval_rows(self) -> list[dict]:
        return [r for r in self.metrics if r["kind"] == "eval"]

    def _reached_target(self) -> bool:
        """Whether the latest evaluation reached ``target_return``."""
        t = self.config.target_return
        if t is None:
            return False
        last = next((r for r in reversed(self.metrics) if r["kind"] == "eval"), None)
        return last is not None and last["mean_return"] >= t

    def fit(self) -> dict:
        """Train until ``steps`` (or ``target_return``), checkpointing on the way; then
        evaluate the greedy policy and return the summary."""
        c = self.config
        bar = _progress_bar(c.steps, f"{c.model} {c.env}")
        if bar is not None:
            bar.update(min(self.step, c.steps))
        recent: list[float] = [r["return"] for r in self._episode_rows()[-100:]]
        started = time.perf_counter()
        reached = self._reached_target()
        while self.step < c.steps and not reached:
            _, done = self._env_step()
            if bar is not None:
                bar.update()
            if done:
                row = self._end_episode()
                recent = (recent + [row["return"]])[-100:]
                if bar is not None:
                    bar.set_postfix(ret=f"{row['return']:.1f}",
                                    avg100=f"{sum(recent) / len(recent):.1f}",
                                    eps=f"{row['epsilon']:.3f}", refresh=False)
            if self.step % c.eval_every == 0:
                row = self.evaluate(c.eval_episodes)
                self.metrics.append(row)
                self.files.append_metrics(row)
                reached = self._reached_target()
                if bar is not None:
                    bar.write(f"step {self.step}: greedy return {row['mean_return']:.2f} "
                              f"+- {row['std_return']:.2f} over {row['episodes']} episodes")
            if self.step % c.checkpoint_every == 0:
                self.seconds += time.perf_counter() - started
                started = time.perf_counter()
                self.save_checkpoint()
                self.plot()
        if bar is not None:
            bar.close()
        self.seconds += time.perf_counter() - started
        self.save_checkpoint()
        final = evaluate_greedy(self.agent, c, c.final_eval_episodes)
        self.plot()
        result = self.summary(final)
        _write_atomic(self.files.root / "summary.json", json.dumps(result, indent=2) + "\n")
        print(f"{c.model} on {c.env}: greedy return {result['mean_return_100']:.2f} +- "
              f"{result['std_return_100']:.2f} over {len(final)} episodes after "
              f"{self.step} steps ({self.seconds:.1f} s)", file=self.log or sys.stdout,
              flush=True)
        return result

    def plot(self) -> None:
        from .rl.envs import grid_layout
        from .rl.plots import plot_q_table, plot_returns

        plot_returns(self._episode_rows(), self._eval_rows(), self.files.returns,
                     title=f"{self.config.model} on {self.config.env} (seed "
                           f"{self.config.seed})")
        if self.config.model == "q-learning":
            layout = grid_layout(self.env)
            if layout is not None:
                args = " ".join(f"{k}={v}" for k, v in self.config.env_args.items())
                plot_q_table(self.agent.q, layout, self.files.qtable,
                             title=f"Q-learning, {self.config.env} {args}\n"
                                   f"max_a Q(s, a) and the greedy policy")

    def summary(self, final_returns: list[float]) -> dict:
        c = self.config
        episodes = self._episode_rows()
        evals = self._eval_rows()
        reached = None
        if c.target_return is not None:
            reached = next((r["step"] for r in evals if r["mean_return"] >= c.target_return),
                           None)
        last = [r["return"] for r in episodes[-100:]]
        return {"model": c.model, "env": c.env, "env_args": c.env_args, "seed": c.seed,
                "env_steps": self.step, "episodes": self.episode,
                "mean_return_100": float(np.mean(final_returns)),
                "std_return_100": float(np.std(final_returns)),
                "eval_episodes": len(final_returns),
                "success_rate": float(np.mean(np.asarray(final_returns) > 0)),
                "train_return_last_100": float(np.mean(last)) if last else None,
                "steps_to_target": reached, "target_return": c.target_return,
                "updates": getattr(self.agent, "updates", None),
                "seconds": self.seconds, "out": str(self.files.root)}


# ============================================================================ command line
def add_rl_arguments(parser, key_value) -> None:
    """The options of ``chainrule train dqn|dqn-cnn|q-learning`` (beside the shared --seed,
    --out, --resume, --json, --lr and --batch-size); ``key_value`` parses ``KEY=VALUE`` (the
    command line's own parser for ``--model-arg``)."""
    g = parser.add_argument_group("reinforcement learning (dqn, dqn-cnn, q-learning)")
    g.add_argument("--env", default=None, metavar="NAME",
                   help="CartPole-v1, FrozenLake-v1, CliffWalking-v1 (gymnasium) or "
                        "minatar-breakout, minatar-space_invaders (default: CartPole-v1, or "
                        "minatar-breakout for dqn-cnn, FrozenLake-v1 for q-learning)")
    g.add_argument("--env-arg", type=key_value, action="append", default=[],
                   metavar="KEY=VALUE",
                   help="keyword argument of gymnasium.make, e.g. is_slippery=false")
    g.add_argument("--steps", type=int, default=None, metavar="N",
                   help="environment steps in total (default: 50000; q-learning 20000; "
                        "dqn-cnn 200000)")
    g.add_argument("--gamma", type=float, default=None, help="discount (default: 0.99)")
    g.add_argument("--buffer-size", type=int, default=None, metavar="N")
    g.add_argument("--learning-starts", type=int, default=None, metavar="N",
                   help="steps of pure exploration before the first update")
    g.add_argument("--train-frequency", type=int, default=None, metavar="K",
                   help="run --gradient-steps updates every K environment steps")
    g.add_argument("--gradient-steps", type=int, default=None, metavar="G")
    g.add_argument("--target-update", type=int, default=None, metavar="C",
                   help="update the target network every C environment steps")
    g.add_argument("--tau", type=float, default=None,
                   help="target update: 1 copies (hard), < 1 averages (soft)")
    g.add_argument("--eps-start", type=float, default=None)
    g.add_argument("--eps-end", type=float, default=None)
    g.add_argument("--eps-steps", type=int, default=None, metavar="N",
                   help="epsilon decays linearly over the first N steps")
    g.add_argument("--hidden", type=int, nargs="+", default=None, metavar="H",
                   help="hidden widths of the dqn MLP (default: 256 256)")
    g.add_argument("--loss", choices=LOSSES, default="huber")
    g.add_argument("--max-grad-norm", type=float, default=10.0,
                   help="clip the gradient's global L2 norm (default: %(default)s)")
    g.add_argument("--double", action="store_true", help="Double DQN targets")
    g.add_argument("--no-replay", action="store_true",
                   help="ablation: update on the latest batch instead of replayed samples")
    g.add_argument("--no-target-network", action="store_true",
                   help="ablation: Bellman targets from the online network")
    g.add_argument("--eval-every", type=int, default=None, metavar="N",
                   help="greedy evaluation every N steps")
    g.add_argument("--eval-episodes", type=int, default=None, metavar="N",
                   help="episodes of each periodic evaluation")
    g.add_argument("--final-eval-episodes", type=int, default=FINAL_EVAL_EPISODES,
                   metavar="N", help="episodes of the final greedy evaluation "
                                     "(default: %(default)s: mean_return_100)")
    g.add_argument("--target-return", type=float, default=None, metavar="R",
                   help="stop once a periodic evaluation reaches R")
    g.add_argument("--checkpoint-every", type=int, default=10_000, metavar="N")


DEFAULT_ENV = {"dqn": "CartPole-v1", "dqn-cnn": "minatar-breakout",
               "q-learning": "FrozenLake-v1"}
DEFAULT_STEPS = {"dqn": 50_000, "dqn-cnn": 200_000, "q-learning": 20_000}


def config_from_args(args) -> RLConfig:
    """The ``RLConfig`` of parsed ``chainrule train`` arguments."""
    env = args.env or DEFAULT_ENV[args.model]
    return RLConfig(
        model=args.model, env=env, env_args=dict(args.env_arg),
        steps=args.steps or DEFAULT_STEPS[args.model], seed=args.seed, lr=args.lr,
        gamma=args.gamma, batch_size=None if args.model == "q-learning" else args.batch_size,
        buffer_size=args.buffer_size, learning_starts=args.learning_starts,
        train_frequency=args.train_frequency, gradient_steps=args.gradient_steps,
        target_update=args.target_update, tau=args.tau, eps_start=args.eps_start,
        eps_end=args.eps_end, eps_steps=args.eps_steps, hidden=args.hidden, loss=args.loss,
        max_grad_norm=args.max_grad_norm, double=args.double, replay=not args.no_replay,
        target_network=not args.no_target_network, eval_every=args.eval_every,
        eval_episodes=args.eval_episodes, final_eval_episodes=args.final_eval_episodes,
        target_return=args.target_return, checkpoint_every=args.checkpoint_every,
        out=args.out or f"runs/{args.model}-{env}")


def run_from_args(args) -> dict:
    """``chainrule train dqn|dqn-cnn|q-learning``: train, print the summary (one JSON line,
    the last of stdout, with ``--json``); returns it."""
    config = config_from_args(args)
    log = sys.stderr if args.json else None
    result = RLTrainer(config, resume=args.resume, log=log).fit()
    if args.json:
        print(json.dumps(result))
    else:
        print(f"files in {result['out']}")
    return result
