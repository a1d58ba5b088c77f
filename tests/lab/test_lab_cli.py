"""``chainrule lab list`` and ``chainrule lab run``: names, PASS/FAIL lines, JSON, exit status."""
import json
import sys
import types

import pytest

from chainrule import lab
from chainrule.cli import main
from chainrule.lab import Check


@pytest.fixture
def fake_experiments(monkeypatch):
    """Two registered experiments: 'good' passes its check, 'bad' fails one of two."""
    def module(name, checks):
        mod = types.ModuleType(f"fake_lab_{name}")

        def run(quick, out):
            out.mkdir(parents=True, exist_ok=True)
            (out / "ran.txt").write_text(f"quick={quick}")
            return checks
        mod.run = run
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
        return mod.__name__
    monkeypatch.setattr(lab, "EXPERIMENTS", {
        "good": module("good", [Check("holds", True, 1.0, "<= 2")]),
        "bad": module("bad", [Check("holds", True, 1.0, "<= 2"),
                              Check("breaks", False, 3.0, "<= 2")]),
    })


def test_lab_list_prints_every_registered_name(capsys):
    assert main(["lab", "list"]) == 0
    assert capsys.readouterr().out.split() == sorted(lab.EXPERIMENTS)
    assert {"adding-problem", "resnet-degradation"} <= set(lab.EXPERIMENTS)


def test_lab_run_passes_and_fails_by_its_checks(fake_experiments, tmp_path, capsys):
    assert main(["lab", "run", "good", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "PASS  holds" in out and "FAIL" not in out
    assert (tmp_path / "good" / "ran.txt").read_text() == "quick=True"
    assert main(["lab", "run", "bad", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  breaks: measured 3" in out and "1 check(s) failed" in out
    assert (tmp_path / "bad" / "ran.txt").read_text() == "quick=False"


def test_lab_run_all_json(fake_experiments, tmp_path, capsys):
    assert main(["lab", "run", "all", "--json", "--out", str(tmp_path)]) == 1
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["failed"] == 1 and set(report["experiments"]) == {"good", "bad"}
    assert [c["status"] for c in report["experiments"]["bad"]["checks"]] == ["PASS", "FAIL"]


def test_lab_run_unknown_name(capsys):
    with pytest.raises(SystemExit) as e:
        main(["lab", "run", "no-such-experiment"])
    assert e.value.code == 2
    assert "unknown experiment 'no-such-experiment'" in capsys.readouterr().err
