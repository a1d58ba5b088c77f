"""The adding problem experiment: its data, its checks, and the quick variant end to end."""
import json

import numpy as np
import pytest

from chainrule.lab import adding_problem as A


def test_adding_batch_targets_are_the_marked_sums():
    x, y = A.adding_batch(50, 12, np.random.default_rng(0))
    assert x.shape == (50, 12, 2) and y.shape == (50, 1)
    markers = x[..., 1]
    np.testing.assert_array_equal(markers.sum(1), 2)
    first, second = markers[:, :6].argmax(1), markers[:, 6:].argmax(1) + 6
    assert (markers[:, :6].sum(1) == 1).all() and (markers[:, 6:].sum(1) == 1).all()
    rows = np.arange(50)
    np.testing.assert_allclose(y[:, 0], x[rows, first, 0] + x[rows, second, 0], rtol=1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        A.adding_batch(3, 1, np.random.default_rng(0))


def test_checks_pass_and_fail_on_made_up_results():
    def result(cell, length, mse):
        return {"cell": cell, "length": length, "final_mse": mse}
    good = [result("lstm", 200, 0.002), result("gru", 200, 0.004), result("rnn", 200, 0.16)]
    assert all(c.passed for c in A.checks(good, quick=False))
    bad = [result("lstm", 200, 0.05), result("gru", 200, 0.004), result("rnn", 200, 0.001)]
    outcome = {c.name: c.passed for c in A.checks(bad, quick=False)}
    assert outcome == {"lstm solves T=200": False, "gru solves T=200": True,
                       "rnn fails T=200": False}


def test_quick_run_writes_json_and_plot(tmp_path):
    checks = A.run(quick=True, out=tmp_path)
    data = json.loads((tmp_path / "adding_problem.json").read_text())
    assert {r["cell"] for r in data["results"]} == {"rnn", "lstm", "gru"}
    for r in data["results"]:
        assert r["curve"][0][0] == 0 and r["curve"][-1][0] == A.QUICK["steps"][10]
        # the untrained net is no better than the constant answer 1
        assert r["curve"][0][1] > 0.5 * A.BASELINE_MSE
    assert [c["name"] for c in data["checks"]] == [c.name for c in checks]
    assert all(c.passed for c in checks), [str(c) for c in checks]
    pytest.importorskip("matplotlib")
    assert (tmp_path / "adding_problem.png").stat().st_size > 1000
