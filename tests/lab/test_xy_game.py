"""The xy-game experiment: its update maps, its checks on made-up numbers, the quick variant."""
import json
import math

import pytest

from chainrule.lab import xy_game as X


def test_gradient_is_autograd_of_xy():
    assert X.gradient(2.0, -3.0) == (-3.0, 2.0)


@pytest.mark.parametrize("method, matrix", [
    ("simultaneous", lambda e: ((1, -e), (e, 1))),
    ("alternating", lambda e: ((1, -e), (e, 1 - e * e))),
    ("extragradient", lambda e: ((1 - e * e, -e), (e, 1 - e * e))),
])
def test_each_step_is_the_linear_map_of_the_docstring(method, matrix):
    eta, x, y = 0.3, 0.7, -1.2
    (a, b), (c, d) = matrix(eta)
    nx, ny = X.step(method, x, y, eta)
    assert nx == pytest.approx(a * x + b * y, abs=1e-14)
    assert ny == pytest.approx(c * x + d * y, abs=1e-14)


def test_unknown_method_is_an_error():
    with pytest.raises(ValueError, match="unknown method 'adam'"):
        X.step("adam", 1.0, 1.0, 0.1)


def test_checks_pass_on_measured_and_fail_on_made_up_numbers():
    r = X.measure(0.2, 400)
    assert all(c.passed for c in X.checks(r)), [str(c) for c in X.checks(r)]
    bad = json.loads(json.dumps({k: v for k, v in r.items() if k != "paths"}))
    bad["simultaneous"]["max_factor_error"] = 1e-6      # grew, but not by exactly sqrt(1+eta^2)
    bad["alternating"]["max_norm"] = 2.0                # left the ellipse
    bad["extragradient"]["final_norm"] = 0.01           # did not converge
    outcome = {c.name: c.passed for c in X.checks(bad)}
    assert outcome == {
        "simultaneous GDA: norm grows by sqrt(1 + eta^2) per step": False,
        "simultaneous GDA: spirals outward": True,
        "alternating: conserves Q = x^2 + y^2 - eta x y": True,
        "alternating: stays bounded": False,
        "alternating: does not converge": True,
        "extragradient: converges to (0, 0)": False,
        "extragradient: contracts by sqrt(1 - eta^2 + eta^4) per step": False,
    }


def test_quick_run_writes_json_and_plot(tmp_path):
    checks = X.run(quick=True, out=tmp_path)
    data = json.loads((tmp_path / "xy_game.json").read_text())
    eta, steps = X.QUICK["eta"], X.QUICK["steps"]
    assert data["simultaneous"]["final_norm"] == pytest.approx(
        math.sqrt(2) * (1 + eta ** 2) ** (steps / 2), rel=1e-9)
    assert data["alternating"]["upper_bound"] == pytest.approx(math.sqrt(2), rel=1e-12)
    assert data["extragradient"]["final_norm"] < 1e-3
    assert [c["name"] for c in data["checks"]] == [c.name for c in checks]
    assert all(c.passed for c in checks), [str(c) for c in checks]
    pytest.importorskip("matplotlib")
    assert (tmp_path / "xy_game.png").stat().st_size > 1000
