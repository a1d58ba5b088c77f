"""The RL results of docs/results.md, one sweep per subcommand (runs one after another):

    python -m chainrule.rl.experiments cartpole  [--seeds 0 1 2] [--out runs/rl]
    python -m chainrule.rl.experiments ablations [--seeds 0 1 2] [--steps 40000]
    python -m chainrule.rl.experiments tabular   [--seeds 0 1 2]
    python -m chainrule.rl.experiments minatar   [--seeds 0] [--steps 100000]
    python -m chainrule.rl.experiments random

* ``cartpole``: DQN (``DEFAULTS['dqn']``) on CartPole-v1 per seed until a periodic greedy
  evaluation (20 episodes, every 2,500 steps) reaches 475, at most 60,000 steps; then the
  greedy policy's mean return over 100 fresh episodes (``mean_return_100``).
* ``ablations``: the same DQN without replay memory (each update on the latest batch) and
  without a target network (targets from the online net) for a fixed budget of ``--steps``;
  their greedy-evaluation curves with the full DQN's from ``cartpole`` in one plot (a full run
  that stopped at the target keeps its final 100-episode mean from then on: its policy no
  longer changes). Figure: ``OUT/rl_cartpole_ablations.png``.
* ``tabular``: Q-learning on FrozenLake 4x4 deterministic and slippery and on CliffWalking;
  the Q-table pictures of seed 0 are ``OUT/qtable_*.png``.
* ``minatar``: the CNN DQN on MinAtar Breakout against the uniform random policy (100
  episodes each).
* ``random``: the uniform random policy's return on each task (100 episodes).

Every sweep prints a markdown table and writes ``OUT/<sweep>.json``.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from ..backend import np

CARTPOLE = dict(steps=60_000, target_return=475.0)
TABULAR = {
    "frozenlake-deterministic": ("FrozenLake-v1", {"is_slippery": False},
                                 dict(steps=20_000, lr=0.1)),
    "frozenlake-slippery": ("FrozenLake-v1", {"is_slippery": True},
                            dict(steps=300_000, lr=0.02, eps_steps=150_000)),
    "cliffwalking": ("CliffWalking-v1", {}, dict(steps=50_000, lr=0.5, gamma=1.0,
                                                 eps_end=0.1)),
}


def _train(model: str, env: str, out: Path, seed: int, env_args=None, **options) -> dict:
    from ..train_rl import RLConfig, RLTrainer

    config = RLConfig(model, env, dict(env_args or {}), seed=seed, out=str(out), **options)
    result = RLTrainer(config).fit()
    result["evals"] = [(r["step"], r["mean_return"]) for r in _evals(out)]
    return result


def _evals(out: Path) -> list[dict]:
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()
            if line]
    return [r for r in rows if r["kind"] == "eval"]


def _stats(values) -> str:
    v = np.asarray(values, dtype=np.float64)
    return f"{v.mean():.1f} +- {v.std():.1f}"


def _write(out: Path, name: str, record: dict) -> None:
    (out / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")


def cartpole(seeds, out: Path) -> dict:
    runs = {s: _train("dqn", "CartPole-v1", out / f"cartpole-dqn-s{s}", s, **CARTPOLE)
            for s in seeds}
    print("\n| seed | steps to eval >= 475 | env steps | mean greedy return (100 ep) | "
          "updates | seconds |\n|---|---|---|---|---|---|")
    for s, r in runs.items():
        print(f"| {s} | {r['steps_to_target']} | {r['env_steps']} | "
              f"{r['mean_return_100']:.1f} +- {r['std_return_100']:.1f} | {r['updates']} | "
              f"{r['seconds']:.0f} |")
    print(f"| mean | | {_stats([r['env_steps'] for r in runs.values()])} | "
          f"{_stats([r['mean_return_100'] for r in runs.values()])} | | |")
    _write(out, "cartpole", {str(s): r for s, r in runs.items()})
    return runs


def _curve(evals, grid, final=None):
    """The eval returns on ``grid`` steps; after the run's last eval, ``final`` (its final
    100-episode mean) or the last value."""
    by_step = dict(evals)
    last_step = max(by_step)
    out, value = [], None
    for g in grid:
        if g in by_step:
            value = by_step[g]
        elif g > last_step and final is not None:
            value = final
        out.append(value)
    return out


def plot_ablations(full: dict, runs: dict, seeds, steps: int, path: Path):
    """The greedy-evaluation curves of the full DQN runs (``cartpole.json``) and of the
    ablations (``ablations.json``): mean over seeds with a min-max band."""
    from .plots import plot_return_curves

    grid = list(range(2_500, steps + 1, 2_500))
    curves = {"DQN (replay + target network)":
              (grid, [_curve(full[str(s)]["evals"], grid, full[str(s)]["mean_return_100"])
                      for s in seeds])}
    for name, by_seed in runs.items():
        curves[name] = (grid, [_curve(r["evals"], grid) for r in by_seed.values()])
    return plot_return_curves(curves, path, title=f"DQN ablations on CartPole-v1, "
                                                  f"{len(seeds)} seeds",
                              ylabel="greedy return (20 episodes, every 2,500 steps)")


def ablations(seeds, out: Path, steps: int) -> dict:
    full_file = out / "cartpole.json"
    if not full_file.exists():
        raise SystemExit(f"run `python -m chainrule.rl.experiments cartpole --out {out}` first")
    full = json.loads(full_file.read_text())
    variants = {"no replay memory": {"replay": False},
                "no target network": {"target_network": False}}
    runs = {name: {s: _train("dqn", "CartPole-v1", out / f"cartpole-{key}-s{s}", s,
                             steps=steps, **opts)
                   for s in seeds}
            for name, opts in variants.items()
            for key in [name.replace(" ", "-")]}
    plot_ablations(full, runs, seeds, steps, out / "rl_cartpole_ablations.png")
    print(f"\n| variant ({steps} steps) | mean greedy return (100 ep) per seed | mean | "
          f"best periodic eval |\n|---|---|---|---|")
    for name, by_seed in runs.items():
        finals = [r["mean_return_100"] for r in by_seed.values()]
        best = [max(v for _, v in r["evals"]) for r in by_seed.values()]
        print(f"| {name} | {', '.join(f'{v:.1f}' for v in finals)} | {_stats(finals)} | "
              f"{_stats(best)} |")
    finals = [full[str(s)]["mean_return_100"] for s in seeds]
    print(f"| full DQN (stops at 475, <= {CARTPOLE['steps']} steps) | "
          f"{', '.join(f'{v:.1f}' for v in finals)} | {_stats(finals)} | |")
    _write(out, "ablations", {name: {str(s): r for s, r in by.items()}
                              for name, by in runs.items()})
    return runs


def _exact_success(run: Path, env: str, env_args: dict, gamma: float) -> tuple:
    """Exact P(goal within 100 steps) of a FrozenLake run's greedy policy and of the optimal
    policy (value iteration on the environment's transition model)."""
    from ..io import load
    from .envs import make_env
    from .qlearning import success_probability, transition_model, value_iteration

    q = load(run / "checkpoint.safetensors")["agent"]["q"]
    q = q.numpy() if hasattr(q, "numpy") else np.asarray(q)
    e = make_env(env, 0, **env_args)
    P = transition_model(e)
    start = int(e.reset())
    q_star = value_iteration(P, e.n_states, e.n_actions, gamma)
    return (success_probability(P, q.argmax(axis=1), start),
            success_probability(P, q_star.argmax(axis=1), start))


def tabular(seeds, out: Path) -> dict:
    results = {}
    print("\n| task | steps | alpha | gamma | mean greedy return (100 ep) per seed | exact "
          "P(goal) of the greedy policy per seed (optimal policy) |\n|---|---|---|---|---|---|")
    for task, (env, env_args, opts) in TABULAR.items():
        by_seed = {s: _train("q-learning", env, out / f"qlearning-{task}-s{s}", s, env_args,
                             **opts) for s in seeds}
        first = out / f"qlearning-{task}-s{seeds[0]}" / "qtable.png"
        if first.exists():
            shutil.copyfile(first, out / f"qtable_{task}.png")
        returns = [r["mean_return_100"] for r in by_seed.values()]
        gamma = opts.get("gamma", 0.99)
        success = "-"
        if env.startswith("FrozenLake"):
            exact = [_exact_success(out / f"qlearning-{task}-s{s}", env, env_args, gamma)
                     for s in seeds]
            for s, (p, p_star) in zip(seeds, exact):
                by_seed[s]["exact_success"], by_seed[s]["optimal_success"] = p, p_star
            success = (f"{', '.join(f'{p:.3f}' for p, _ in exact)} ({exact[0][1]:.3f})")
        print(f"| {task} | {opts['steps']} | {opts['lr']} | {gamma} | "
              f"{', '.join(f'{v:.2f}' for v in returns)} | {success} |")
        results[task] = {str(s): r for s, r in by_seed.items()}
    _write(out, "tabular", results)
    return results


def minatar(seeds, out: Path, steps: int, game: str = "breakout") -> dict:
    from .envs import random_policy_returns

    env = f"minatar-{game}"
    random_returns = random_policy_returns(env, 100, seed=12345)
    runs = {s: _train("dqn-cnn", env, out / f"{env}-s{s}", s, steps=steps,
                      batch_size=32, eval_every=steps // 10)
            for s in seeds}
    print(f"\n| policy | env steps | mean return (100 ep) |\n|---|---|---|\n"
          f"| uniform random | - | {_stats(random_returns)} |")
    for s, r in runs.items():
        print(f"| CNN DQN, seed {s} | {r['env_steps']} | {r['mean_return_100']:.2f} +- "
              f"{r['std_return_100']:.2f} ({r['seconds']:.0f} s) |")
    _write(out, "minatar", {"random": random_returns, **{str(s): r for s, r in runs.items()}})
    return runs


RANDOM_TASKS = (("CartPole-v1", {}), ("FrozenLake-v1", {"is_slippery": False}),
                ("FrozenLake-v1", {"is_slippery": True}), ("CliffWalking-v1", {}),
                ("minatar-breakout", {}))


def random_baselines(out: Path, episodes: int = 100) -> dict:
    """The uniform random policy's return on every task of these sweeps."""
    from .envs import random_policy_returns

    results = {}
    print(f"\n| task | random policy's return ({episodes} episodes) |\n|---|---|")
    for env, env_args in RANDOM_TASKS:
        returns = random_policy_returns(env, episodes, seed=12345, **env_args)
        name = f"{env} {env_args}" if env_args else env
        print(f"| {name} | {np.mean(returns):.3f} +- {np.std(returns):.3f} |")
        results[name] = returns
    _write(out, "random", results)
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="chainrule's RL result sweeps")
    ap.add_argument("sweep", choices=("cartpole", "ablations", "tabular", "minatar", "random"))
    ap.add_argument("--seeds", type=int, nargs="+", default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--out", default="runs/rl")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = args.seeds or ([0] if args.sweep == "minatar" else [0, 1, 2])
    if args.sweep == "cartpole":
        cartpole(seeds, out)
    elif args.sweep == "ablations":
        ablations(seeds, out, args.steps or 40_000)
    elif args.sweep == "tabular":
        tabular(seeds, out)
    elif args.sweep == "random":
        random_baselines(out)
    else:
        minatar(seeds, out, args.steps or 100_000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
