"""The rl-ablations experiment: autocorrelation, target drift, checks, the quick run."""
import json

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from chainrule.lab import rl_ablations as L  # noqa: E402


def test_lag1_autocorrelation():
    assert L.lag1_autocorrelation(np.arange(10.0)) == pytest.approx(1.0)
    assert L.lag1_autocorrelation([1.0, -1.0] * 10) == pytest.approx(-1.0)
    x = np.random.default_rng(0).normal(size=20_000)
    assert abs(L.lag1_autocorrelation(x)) < 0.03


def test_target_drift_is_zero_only_with_a_target_network():
    buf = L.random_transitions(500, seed=1)
    assert L.target_drift(buf, 32, 5, True, seed=1) == 0.0
    assert L.target_drift(buf, 32, 5, False, seed=1) > 1e-3


def made_up(**variants):
    return {"rho1_replayed": 0.02, "rho1_latest": 0.95, "drift_with_target": 0.0,
            "drift_without_target": 0.5, "random_return": 22.0,
            "variants": {k: {"final_return": v, "evals": []} for k, v in variants.items()}}


def test_checks_fail_on_made_up_numbers():
    good = made_up(**{"DQN": 500.0, "no replay memory": 150.0, "no target network": 200.0})
    assert all(c.passed for c in L.checks(good))
    bad = made_up(**{"DQN": 50.0, "no replay memory": 150.0, "no target network": 10.0})
    bad.update(rho1_replayed=0.6, rho1_latest=0.3, drift_with_target=1e-6,
               drift_without_target=0.0)
    outcome = [c.passed for c in L.checks(bad)]
    assert outcome == [False, False, False, False, False, False, False]


def test_quick_run_writes_json_and_plot(tmp_path):
    checks = L.run(quick=True, out=tmp_path)
    data = json.loads((tmp_path / "rl_ablations.json").read_text())
    assert data["rho1_latest"] > 0.8 and abs(data["rho1_replayed"]) < 0.25
    assert data["budget"]["steps"] == L.QUICK["steps"] and list(data["variants"]) == ["DQN"]
    assert [c["name"] for c in data["checks"]] == [c.name for c in checks]
    assert all(c.passed for c in checks), [str(c) for c in checks]
    pytest.importorskip("matplotlib")
    assert (tmp_path / "rl_ablations.png").stat().st_size > 1000
