"""The ``chainrule`` command, run in-process: ``demo`` and ``graph``."""
from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import types

import pytest

from chainrule import lab
from chainrule.cli import main
from chainrule.lab.computational_graph import rosenbrock_closed_form
from chainrule.lab import Check


def test_closed_form_at_the_demo_point():
    exact = rosenbrock_closed_form(-1.5, 2.0)
    assert exact == {"f": 12.5, "gradient": [-155.0, -50.0],
                     "hessian": [[1902.0, 600.0], [600.0, 200.0]]}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """``chainrule demo --quick`` with the lab cut down to one fast experiment (xy-game); returns
    the folder and what the demo printed."""
    out = tmp_path_factory.mktemp("demo")
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(printed):
        mp.setattr(lab, "EXPERIMENTS", {"xy-game": lab.EXPERIMENTS["xy-game"]})
        assert main(["demo", "--quick", "--out", str(out)]) == 0
    return out, printed.getvalue()


def test_demo_trains_the_cnn(demo_run):
    out, _ = demo_run
    cnn = json.loads((out / "demo.json").read_text())["cnn"]
    assert cnn["model"] == "cnn" and cnn["dataset"] == "mnist-sample" and cnn["epochs"] == 1
    assert cnn["test_accuracy"] > 0.75          # 20 batches of Adam: 0.879 measured
    assert cnn["test_loss"] < 1.0               # chance: ln 10 = 2.30
    metrics = (out / "cnn" / "metrics.jsonl").read_text().splitlines()
    assert len(metrics) == 1 and json.loads(metrics[0])["test_accuracy"] == cnn["test_accuracy"]
    assert json.loads((out / "cnn" / "config.json").read_text())["max_steps"] == 20
    assert (out / "cnn" / "checkpoint.safetensors").stat().st_size > 100_000


def test_demo_writes_the_quick_lab_report(demo_run):
    out, _ = demo_run
    summary = json.loads((out / "demo.json").read_text())["lab"]
    data = json.loads((out / "lab" / "report.json").read_text())
    checks = data["experiments"]["xy-game"]["checks"]
    assert data["quick"] is True and list(data["experiments"]) == ["xy-game"]
    assert len(checks) == 7 and all(c["status"] == "PASS" for c in checks)
    assert (summary["passed"], summary["failed"]) == (7, 0)
    page = (out / "lab" / "report.html").read_text()
    assert summary["html"] == str(out / "lab" / "report.html")
    assert "<b>7</b> of <b>7</b> checks passed" in page and "data:image/png;base64," in page
    assert (out / "lab" / "xy-game" / "xy_game.json").exists()


def test_demo_prints_where_each_thing_is(demo_run):
    out, text = demo_run
    assert "[1/2] training the CNN" in text and "[2/2] the lab" in text
    assert "test accuracy 0.8" in text or "test accuracy 0.9" in text
    assert f"CNN run:    {out / 'cnn'}/" in text
    assert f"lab report: {out / 'lab' / 'report.html'} (7 of 7 checks passed" in text


def test_demo_exit_status_is_1_when_a_lab_check_fails(tmp_path, monkeypatch, capsys):
    import chainrule.train

    class FakeTrainer:                      # the training is tested above; skip it here
        def __init__(self, config):
            self.config = config

        def fit(self):
            return {"test_accuracy": 0.5, "epochs": 1, "seconds": 0.0, "out": self.config.out}

    def failing_run(quick, out):
        return [Check("fails", False, 2.0, "<= 1")]

    module = types.ModuleType("fake_demo_lab")
    module.run = failing_run
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(lab, "EXPERIMENTS", {"fake": module.__name__})
    monkeypatch.setattr(chainrule.train, "Trainer", FakeTrainer)
    assert main(["demo", "--quick", "--out", str(tmp_path)]) == 1
    assert "(0 of 1 checks passed" in capsys.readouterr().out
    assert json.loads((tmp_path / "demo.json").read_text())["lab"]["failed"] == 1


@pytest.mark.parametrize("fmt", ["dot", "svg", "png"])
def test_graph_writes_a_file(tmp_path, fmt, capsys):
    if fmt != "dot" and shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed")
    out = tmp_path / f"rosenbrock.{fmt}"
    assert main(["graph", "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith({"dot": b"digraph", "svg": b"<?xml", "png": b"\x89PNG"}[fmt])
    assert str(out) in capsys.readouterr().out
    if fmt == "dot":
        text = data.decode()
        assert text.count("->") == 11 and "grad -155" in text and "value 12.5" in text


def test_graph_format_option_and_fallback_without_graphviz(tmp_path, monkeypatch, capsys):
    assert main(["graph", "--out", str(tmp_path / "g"), "--format", "dot"]) == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["graph", "--out", str(tmp_path / "h.svg")]) == 0
    assert (tmp_path / "h.dot").exists() and not (tmp_path / "h.svg").exists()
    assert "not on PATH" in capsys.readouterr().err


def test_usage_errors():
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 2
    with pytest.raises(SystemExit):
        main(["graph", "--format", "jpeg"])
