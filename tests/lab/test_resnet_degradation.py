"""chainrule.lab.resnet_degradation in quick mode: files written, checks shaped and measured;
the check logic and the Check type on made-up numbers; the lab registry."""
from __future__ import annotations

import json
import math

import pytest

from chainrule import lab
from chainrule.lab import Check
from chainrule.lab import resnet_degradation as rd
from chainrule.lab._checks import at_least, at_most

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("resnet-degradation")
    lines: list[str] = []
    checks = rd.run(quick=True, out=out, log=lines.append)
    return out, checks, lines


def test_quick_run_writes_json_and_plots(quick):
    pytest.importorskip("matplotlib")
    out, checks, lines = quick
    for name in ("training_error.png", "grad_norms.png"):
        assert (out / name).read_bytes().startswith(PNG_MAGIC)
    record = json.loads((out / "results.json").read_text())
    assert record["experiment"] == "resnet-degradation" and record["quick"] is True
    assert record["budget"]["steps"] == rd.QUICK.steps
    assert record["plots"] == ["training_error.png", "grad_norms.png"]
    assert record["train_images"] == rd.QUICK.train_images
    assert set(record["final_train_error"]) == set(rd.NETS)
    for name in rd.NETS:
        run = record["runs"][name]
        assert len(run["errors"]) == len(run["losses"]) == rd.QUICK.steps
        assert all(0 <= e <= 1 for e in run["errors"])
        tail = run["errors"][-run["tail_steps"]:]
        assert record["final_train_error"][name] == pytest.approx(sum(tail) / len(tail))
        assert run["seconds"] > 0
        # one gradient norm per block: 3n blocks for 6n + 2 layers
        norms = record["grad_norms"]["per_block"][name]
        assert len(norms) == {"20": 9, "56": 27}[name[-2:]]
        assert all(v > 0 and math.isfinite(v) for v in norms)
        assert record["grad_norms"]["spread"][name] == pytest.approx(max(norms) / min(norms))
    # the JSON holds the same checks that run() returned
    assert record["checks"] == [c.to_dict() for c in checks]
    assert any(line.startswith(("PASS", "FAIL")) for line in lines)


def test_quick_run_checks_are_measured_comparisons(quick):
    _, checks, _ = quick
    assert len(checks) == 4
    names = [c.name for c in checks]
    assert len(set(names)) == 4
    assert all("[quick" in n for n in names[:3])          # training checks are marked quick
    for c in checks:
        assert isinstance(c, Check) and isinstance(c.passed, bool)
        assert isinstance(c.measured, float) and math.isfinite(c.measured)
        assert c.expected.startswith((">=", "<="))
        bound = float(c.expected.split()[1])
        assert c.passed == (c.measured >= bound if c.expected.startswith(">=")
                            else c.measured <= bound)
    # the gradient-norm check is the same in quick mode, and its measurement is the ratio
    spread = checks[3]
    assert spread.expected == f">= {rd.QUICK.spread_factor:.4g}"


def test_checks_fail_when_the_effect_is_absent():
    no_effect = {"plain20": 0.2, "plain56": 0.2, "resnet20": 0.1, "resnet56": 0.3}
    checks = rd.make_checks(no_effect, {"plain56": 20.0, "resnet56": 10.0}, rd.FULL, False)
    assert [c.passed for c in checks] == [False, False, False, False]
    assert checks[0].measured == pytest.approx(0.0)
    assert checks[1].measured == pytest.approx(0.2)
    assert checks[3].measured == pytest.approx(2.0)
    effect = {"plain20": 0.12, "plain56": 0.5, "resnet20": 0.07, "resnet56": 0.08}
    checks = rd.make_checks(effect, {"plain56": 2000.0, "resnet56": 15.0}, rd.FULL, False)
    assert all(c.passed for c in checks)
    assert not any("quick" in c.name for c in checks)


def test_a_diverged_net_fails_its_checks():
    nan = float("nan")
    checks = rd.make_checks({"plain20": 0.2, "plain56": nan, "resnet20": 0.1, "resnet56": nan},
                            {"plain56": nan, "resnet56": 10.0}, rd.FULL, False)
    assert not any(c.passed for c in checks)


def test_spread_and_per_block_gain():
    assert rd.spread([8.0, 2.0, 1.0, 4.0]) == 8.0
    assert rd.per_block_gain([8.0, 4.0, 2.0, 1.0]) == pytest.approx(2.0)


def test_check_type():
    c = at_least("ratio", 12.5, 10, "x / y")
    assert c.passed and c.status == "PASS"
    assert str(c) == "PASS  ratio: measured 12.5, expected >= 10 (x / y)"
    assert c.to_dict() == {"name": "ratio", "status": "PASS", "passed": True, "measured": 12.5,
                           "expected": ">= 10", "detail": "x / y"}
    assert not at_most("gap", 0.03, 0.02).passed
    assert at_most("gap", 0.02, 0.02).passed
    assert not at_least("ratio", float("nan"), 1.0).passed
    assert str(at_most("gap", 0.5, 0.1)) == "FAIL  gap: measured 0.5, expected <= 0.1"


def test_registry():
    assert lab.experiment("resnet-degradation") is rd
    assert set(lab.EXPERIMENTS) >= {"resnet-degradation"}
    with pytest.raises(ValueError, match="unknown experiment 'nope'; available: .*resnet"):
        lab.experiment("nope")


def test_main_parses_arguments_and_returns_the_exit_code(monkeypatch, tmp_path):
    calls = []

    def fake_run(quick, out, *, seed, log):
        calls.append((quick, out, seed))
        return [Check("a", True, 1.0, ">= 0"), Check("b", passed, 0.0, ">= 1")]

    monkeypatch.setattr(rd, "run", fake_run)
    passed = True
    assert rd.main(["--quick", "--out", str(tmp_path), "--seed", "3"]) == 0
    passed = False
    assert rd.main([]) == 1
    assert calls == [(True, tmp_path, 3), (False, rd.DEFAULT_OUT, 0)]
