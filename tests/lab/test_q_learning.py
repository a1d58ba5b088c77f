"""The q-learning experiment: value iteration, exact success probabilities, checks, quick run."""
import json

import pytest

pytest.importorskip("gymnasium")

from chainrule.lab import q_learning as L  # noqa: E402
from chainrule.rl.envs import make_env  # noqa: E402


def test_value_iteration_on_deterministic_frozenlake():
    env = make_env("FrozenLake-v1", is_slippery=False)
    q = L.value_iteration(L.transition_model(env), 16, 4, 0.99)
    assert q[0].max() == pytest.approx(0.99 ** 5, abs=1e-12)      # 6 moves to G
    assert q[14, 2] == pytest.approx(1.0)                          # right from (3, 2) into G
    assert q[5].max() == 0.0                                       # a hole ends the episode


def test_optimal_success_on_slippery_frozenlake():
    env = make_env("FrozenLake-v1", is_slippery=True)
    P = L.transition_model(env)
    q = L.value_iteration(P, 16, 4, 0.99)
    best = L.success_probability(P, q.argmax(axis=1), 0)
    assert 0.70 < best < 0.78                       # the known ~0.74 of the optimal policy
    always_left = L.success_probability(P, [0] * 16, 0)
    assert always_left < 0.05
    # the deterministic lake: the optimal policy always succeeds, within 6 steps
    Pd = L.transition_model(make_env("FrozenLake-v1", is_slippery=False))
    qd = L.value_iteration(Pd, 16, 4, 0.99)
    assert L.success_probability(Pd, qd.argmax(axis=1), 0, horizon=6) == 1.0
    assert L.success_probability(Pd, qd.argmax(axis=1), 0, horizon=5) == 0.0


def test_checks_pass_on_measured_and_fail_on_made_up_numbers(tmp_path):
    r = L.measure(L.QUICK["tasks"], 0, tmp_path, L.QUICK["steps"])
    assert all(c.passed for c in L.checks(r)), [str(c) for c in L.checks(r)]
    bad = json.loads(json.dumps(r))
    bad["tasks"]["frozenlake-deterministic"]["greedy_return"] = 0.0
    bad["tasks"]["frozenlake-deterministic"]["v_start"] = 0.9
    bad["tasks"]["cliffwalking"]["greedy_return"] = -17.0            # the safe path
    bad["tasks"]["frozenlake-slippery"] = {"success": 0.5, "optimal_success": 0.74}
    outcome = {c.name: c.passed for c in L.checks(bad)}
    assert outcome == {
        "deterministic FrozenLake: greedy policy reaches the goal": False,
        "deterministic FrozenLake: V(S) = V*(S) = gamma^5": False,
        "CliffWalking: greedy return is the optimal -13": False,
        "slippery FrozenLake: success near the optimal policy's": False,
    }
    bad["tasks"]["frozenlake-slippery"] = {"success": 0.72, "optimal_success": 0.74}
    assert [c.passed for c in L.checks(bad)][-1]


def test_quick_run_writes_json_and_pictures(tmp_path):
    checks = L.run(quick=True, out=tmp_path)
    data = json.loads((tmp_path / "q_learning.json").read_text())
    assert data["tasks"]["cliffwalking"]["v_star_start"] == -13.0
    assert [c["name"] for c in data["checks"]] == [c.name for c in checks]
    assert all(c.passed for c in checks), [str(c) for c in checks]
    pytest.importorskip("matplotlib")
    for task in L.QUICK["tasks"]:
        assert (tmp_path / f"q_learning_{task}.png").stat().st_size > 1000
