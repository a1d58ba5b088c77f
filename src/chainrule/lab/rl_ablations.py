"""DQN's two stabilisers, replay memory and the target network, taken away one at a time.

Claim. DQN regresses Q_theta(s, a) on y = r + gamma (1 - terminated) max_a' Q_target(s', a').
Two parts of the recipe make this regression behave like supervised learning:

* Replay memory. Consecutive transitions of one episode are nearly the same state (CartPole's
  pole angle moves by ~0.01 rad per step), so a batch of the latest transitions is strongly
  autocorrelated: its lag-1 autocorrelation rho_1 = corr(x_t, x_{t+1}) is close to 1. A batch
  drawn uniformly from a large buffer mixes many episodes: its lag-1 autocorrelation is close
  to 0, as for i.i.d. samples.
* Target network. With a frozen copy Q_target, the targets y of a fixed batch stay exactly the
  same between two copies, so each gradient step solves a fixed regression problem. Without it
  (Q_target = Q_theta) every step changes the targets it chases.

and without them DQN learns worse at the same budget: measured as the greedy return (100
episodes) of full DQN, DQN without replay (each update on the latest batch) and DQN without a
target network after the same number of environment steps (``chainrule.train_rl``'s CartPole-v1
recipe; full DQN stops early once a periodic evaluation reaches 475, so it uses at most that
budget). Without the target network, the bursts of 128 updates that each bootstrap from the
network being updated make the Q-values diverge (the "deadly triad": function approximation,
bootstrapping, off-policy data).

Measured here: rho_1 of the pole angle over a batch of 64, sampled from a buffer of random-policy
transitions vs the latest 64; the largest change of a fixed batch's targets over K updates with
and without the target network; the three variants' greedy returns (quick: full DQN only, with
a small budget, against the uniform random policy). ``rl_ablations.png`` draws the two batches'
angle sequences and the return curves; ``rl_ablations.json`` holds the numbers.

    python -m chainrule.lab.rl_ablations [--quick] [--out DIR]
"""
from __future__ import annotations

import io
import json
from pathlib import Path

from ..backend import np
from ._checks import Check, at_least, at_most, experiment_main

NAME = "rl-ablations"
ENV = "CartPole-v1"
VARIANTS = {"DQN": {"target_return": 475.0}, "no replay memory": {"replay": False},
            "no target network": {"target_network": False}}
FULL = {"collect": 5_000, "batch": 64, "updates": 50, "steps": 40_000, "seed": 0,
        "variants": list(VARIANTS), "final_eval_episodes": 100}
QUICK = {"collect": 2_000, "batch": 64, "updates": 20, "steps": 3_000, "seed": 0,
         "variants": ["DQN"], "final_eval_episodes": 20}
DECORRELATED = 0.25      # |rho_1| of a replayed batch at most
CORRELATED = 0.8         # rho_1 of the latest batch at least
MOVING = 1e-3            # relative target change without a target network, at least
BEATS_RANDOM = 3.0       # full DQN's return / the random policy's, at least
MARGIN = 100.0           # full DQN's final return above each ablation's, at least (full)


def lag1_autocorrelation(x) -> float:
    """corr(x_t, x_{t+1}) over the sequence ``x`` (Pearson)."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.corrcoef(x[:-1], x[1:])[0, 1])


def random_transitions(n: int, seed: int):
    """A ReplayBuffer of ``n`` CartPole transitions of the uniform random policy."""
    from ..rl.buffer import ReplayBuffer
    from ..rl.envs import make_env

    env = make_env(ENV, seed)
    buf = ReplayBuffer(n, env.obs_shape, seed=seed)
    rng = np.random.default_rng(seed)
    obs = env.reset()
    for _ in range(n):
        a = int(rng.integers(env.n_actions))
        nxt, r, term, trunc = env.step(a)
        buf.add(obs, a, r, nxt, term, trunc)
        obs = env.reset() if term or trunc else nxt
    return buf


def target_drift(buf, batch: int, updates: int, target_network: bool, seed: int) -> float:
    """max |y_K - y_0| / max |y_0| for the targets y of one fixed batch, before and after
    ``updates`` gradient steps on other replayed batches (no target copy in between)."""
    from ..random import manual_seed
    from ..rl.dqn import DQNAgent, mlp_q_network

    manual_seed(seed)
    agent = DQNAgent(mlp_q_network(4, 2, (64, 64)), 2, lr=1e-3,
                     target_network=target_network, seed=seed)
    fixed = buf.sample(batch)
    y0 = agent.targets(fixed)
    for _ in range(updates):
        agent.update(buf.sample(batch))
    return float(np.abs(agent.targets(fixed) - y0).max() / np.abs(y0).max())


def measure(budget: dict) -> dict:
    from ..rl.envs import random_policy_returns
    from ..train_rl import RLConfig, RLTrainer

    seed, batch = budget["seed"], budget["batch"]
    buf = random_transitions(budget["collect"], seed)
    latest = buf.latest(batch)["obs"][:, 2]
    sampled = [buf.sample(batch)["obs"][:, 2] for _ in range(20)]
    result = {
        "budget": budget,
        "rho1_latest": lag1_autocorrelation(latest),
        "rho1_replayed": float(np.mean([lag1_autocorrelation(s) for s in sampled])),
        "angles_latest": latest.tolist(), "angles_replayed": sampled[0].tolist(),
        "drift_with_target": target_drift(buf, batch, budget["updates"], True, seed),
        "drift_without_target": target_drift(buf, batch, budget["updates"], False, seed),
        "random_return": float(np.mean(random_policy_returns(ENV, 100, seed=seed))),
        "variants": {}}
    for name in budget["variants"]:
        config = RLConfig("dqn", ENV, seed=seed, steps=budget["steps"],
                          final_eval_episodes=budget["final_eval_episodes"],
                          out=str(budget["out"] / f"run-{name.replace(' ', '-')}"),
                          **VARIANTS[name])
        trainer = RLTrainer(config, log=io.StringIO())
        summary = trainer.fit()
        result["variants"][name] = {
            "final_return": summary["mean_return_100"], "env_steps": summary["env_steps"],
            "evals": [(r["step"], r["mean_return"]) for r in trainer._eval_rows()]}
    return result


def checks(r: dict) -> list[Check]:
    v = r["variants"]
    found = [
        at_most("replay: a uniformly sampled batch is decorrelated", abs(r["rho1_replayed"]),
                DECORRELATED, "|lag-1 autocorrelation| of the pole angle, mean of 20 batches"),
        at_least("without replay: the latest transitions are correlated", r["rho1_latest"],
                 CORRELATED, "lag-1 autocorrelation of the pole angle over the latest batch"),
        at_most("target network: targets fixed between copies", r["drift_with_target"], 0.0,
                "max |y_K - y_0| / max |y_0| of one batch over K updates"),
        at_least("no target network: targets move with every update",
                 r["drift_without_target"], MOVING,
                 "max |y_K - y_0| / max |y_0| of one batch over K updates"),
        at_least("DQN beats the random policy", v["DQN"]["final_return"] / r["random_return"],
                 BEATS_RANDOM, f"greedy return {v['DQN']['final_return']:.1f} vs random "
                               f"{r['random_return']:.1f}")]
    for name in ("no replay memory", "no target network"):
        if name in v:
            found.append(at_least(f"DQN beats DQN with {name} at the same budget",
                                  v["DQN"]["final_return"] - v[name]["final_return"], MARGIN,
                                  f"greedy return {v['DQN']['final_return']:.1f} vs "
                                  f"{v[name]['final_return']:.1f}"))
    return found


def plot(r: dict, path: Path) -> Path | None:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig = Figure(figsize=(11, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 2, 1)
    ax.plot(r["angles_latest"], "o-", ms=3, label=f"latest 64 (rho_1 = {r['rho1_latest']:.2f})")
    ax.plot(r["angles_replayed"], "o-", ms=3,
            label=f"replayed 64 (rho_1 = {r['rho1_replayed']:.2f})")
    ax.set_xlabel("position in the batch")
    ax.set_ylabel("pole angle (rad)")
    ax.set_title("a training batch with and without replay")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(1, 2, 2)
    for i, (name, row) in enumerate(r["variants"].items()):
        if row["evals"]:
            steps, returns = zip(*row["evals"])
            ax.plot(steps, returns, "o-", ms=3, color=f"C{i}", label=name)
        ax.plot(row.get("env_steps", r["budget"]["steps"]), row["final_return"], "*", ms=12,
                color=f"C{i}",
                label=f"{name}: final {row['final_return']:.0f} "
                      f"({r['budget']['final_eval_episodes']} episodes)")
    ax.axhline(r["random_return"], color="gray", ls=":", label="random policy")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("greedy return (20 episodes)")
    ax.set_title(f"{ENV}, same budget, seed {r['budget']['seed']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path


def run(quick: bool = False, out: Path | str = "runs/lab/rl-ablations") -> list[Check]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    budget = {**(QUICK if quick else FULL), "out": out}
    r = measure(budget)
    found = checks(r)
    r["budget"] = {k: v for k, v in budget.items() if k != "out"}
    (out / "rl_ablations.json").write_text(json.dumps(
        {"quick": quick, **r, "checks": [c.to_dict() for c in found]}, indent=1))
    plot(r, out / "rl_ablations.png")
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
