"""Tabular Q-learning finds the optimal policy of a small MDP: compared with value iteration.

Claim. For a finite MDP with transition model P(s', r | s, a), the optimal action values are the
fixed point of the Bellman optimality operator

    Q*(s, a) = sum_{s', r} P(s', r | s, a) [r + gamma (1 - terminal(s')) max_a' Q*(s', a')],

which value iteration reaches by applying the operator until it stops changing (a
gamma-contraction in the max norm). Q-learning never sees P: from sampled transitions it
updates Q(s, a) <- Q(s, a) + alpha (r + gamma (1 - terminated) max_a' Q(s', a') - Q(s, a)),
a stochastic approximation of the same operator, and with enough exploration its greedy policy
becomes optimal.

Measured here on gymnasium's grid worlds (their P is public, ``env.unwrapped.P``):

* FrozenLake 4x4, deterministic: Q-learning's greedy policy reaches the goal (return 1), and
  the learned V(S) = max_a Q(S, a) equals V*(S) = gamma^5 (the shortest path has 6 moves) to
  1e-3;
* CliffWalking (gamma = 1): the greedy return is the optimal -13 (the path along the cliff);
* slippery FrozenLake (full variant only): the exact probability that the greedy policy
  reaches the goal within the 100-step limit (dynamic programming over time with P, no
  sampling) is at least 90% of the optimal policy's, whose success probability (about 0.74)
  is computed the same way.

``q_learning.json`` holds the numbers; ``q_learning_<task>.png`` draw max_a Q and the greedy
policy of each grid (S start, G goal, H hole, C cliff).

    python -m chainrule.lab.q_learning [--quick] [--out DIR]
"""
from __future__ import annotations

import io
import json
from pathlib import Path

from ..rl.qlearning import success_probability, transition_model, value_iteration
from ._checks import Check, at_least, at_most, experiment_main

NAME = "q-learning"
GAMMA = 0.99
TASKS = {   # name: (env, env_args, gamma, q-learning options)
    "frozenlake-deterministic": ("FrozenLake-v1", {"is_slippery": False}, GAMMA,
                                 dict(steps=20_000, lr=0.1)),
    "cliffwalking": ("CliffWalking-v1", {}, 1.0, dict(steps=30_000, lr=0.5, eps_end=0.1)),
    "frozenlake-slippery": ("FrozenLake-v1", {"is_slippery": True}, GAMMA,
                            dict(steps=300_000, lr=0.02, eps_steps=150_000)),
}
FULL = {"tasks": list(TASKS), "seed": 0, "steps": {}}
QUICK = {"tasks": ["frozenlake-deterministic", "cliffwalking"], "seed": 0,
         "steps": {"frozenlake-deterministic": 8_000, "cliffwalking": 10_000}}
HORIZON = 100                   # FrozenLake 4x4's time limit (success_probability's default)
V_TOL = 1e-3
SUCCESS_FRACTION = 0.9


def measure(tasks, seed: int, out: Path, steps: dict | None = None) -> dict:
    """Train Q-learning on each task (``chainrule.train_rl``; ``steps`` overrides the task's
    budget) and compare with the optimum."""
    import shutil

    from ..train_rl import RLConfig, RLTrainer

    result = {"seed": seed, "tasks": {}}
    for task in tasks:
        env_name, env_args, gamma, opts = TASKS[task]
        opts = {**opts, "steps": (steps or {}).get(task, opts["steps"])}
        run_dir = out / f"run-{task}"
        trainer = RLTrainer(RLConfig("q-learning", env_name, dict(env_args), seed=seed,
                                     gamma=gamma, eval_every=opts["steps"],
                                     out=str(run_dir), **opts),
                            log=io.StringIO())
        summary = trainer.fit()
        if (run_dir / "qtable.png").exists():
            shutil.copyfile(run_dir / "qtable.png", out / f"q_learning_{task}.png")
        q = trainer.agent.q
        env = trainer.env
        P = transition_model(env)
        q_star = value_iteration(P, env.n_states, env.n_actions, gamma)
        start = int(env.reset())
        row = {"env": env_name, "env_args": env_args, "gamma": gamma, **opts,
               "greedy_return": summary["mean_return_100"],
               "v_start": float(q[start].max()), "v_star_start": float(q_star[start].max()),
               "optimal_return": None}
        if env_name == "FrozenLake-v1":
            row["success"] = success_probability(P, q.argmax(axis=1), start)
            row["optimal_success"] = success_probability(P, q_star.argmax(axis=1), start)
            row["optimal_return"] = row["optimal_success"] if env_args.get("is_slippery") \
                else 1.0
        else:
            row["optimal_return"] = -13.0
        result["tasks"][task] = row
    return result


def checks(r: dict) -> list[Check]:
    found = []
    t = r["tasks"]
    if "frozenlake-deterministic" in t:
        d = t["frozenlake-deterministic"]
        found += [
            at_least("deterministic FrozenLake: greedy policy reaches the goal",
                     d["greedy_return"], 1.0, "mean return of 100 greedy episodes"),
            at_most("deterministic FrozenLake: V(S) = V*(S) = gamma^5",
                    abs(d["v_start"] - d["v_star_start"]), V_TOL,
                    f"|V(S) - V*(S)|, V*(S) = {d['v_star_start']:.6f} by value iteration")]
    if "cliffwalking" in t:
        c = t["cliffwalking"]
        found.append(at_least("CliffWalking: greedy return is the optimal -13",
                              c["greedy_return"], c["optimal_return"],
                              "the shortest path along the cliff, gamma = 1"))
    if "frozenlake-slippery" in t:
        s = t["frozenlake-slippery"]
        found.append(at_least("slippery FrozenLake: success near the optimal policy's",
                              s["success"] / s["optimal_success"], SUCCESS_FRACTION,
                              f"exact P(goal within {HORIZON} steps): {s['success']:.3f} "
                              f"learned vs {s['optimal_success']:.3f} optimal"))
    return found


def run(quick: bool = False, out: Path | str = "runs/lab/q-learning") -> list[Check]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    budget = QUICK if quick else FULL
    r = measure(budget["tasks"], budget["seed"], out, budget["steps"])
    found = checks(r)
    (out / "q_learning.json").write_text(json.dumps(
        {"quick": quick, "budget": budget, **r, "checks": [c.to_dict() for c in found]},
        indent=1))
    return found


def main(argv=None) -> int:
    return experiment_main(run, NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
