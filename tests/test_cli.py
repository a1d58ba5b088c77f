"""The ``chainrule`` command, run in-process: ``demo`` and ``graph``."""
from __future__ import annotations

import json
import shutil

import pytest

from chainrule.cli import main, rosenbrock_closed_form


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    return out


def test_closed_form_at_the_demo_point():
    exact = rosenbrock_closed_form(-1.5, 2.0)
    assert exact == {"f": 12.5, "gradient": [-155.0, -50.0],
                     "hessian": [[1902.0, 600.0], [600.0, 200.0]]}


def test_demo_report_gradient_and_hessian(demo_run):
    report = json.loads((demo_run / "report.json").read_text())
    r = report["rosenbrock"]
    assert r["point"] == [-1.5, 2.0]
    assert r["f"] == pytest.approx(12.5, abs=1e-12)
    assert r["gradient"] == pytest.approx([-155.0, -50.0], abs=1e-9)
    assert r["hessian"][0] == pytest.approx([1902.0, 600.0], abs=1e-9)
    assert r["hessian"][1] == pytest.approx([600.0, 200.0], abs=1e-9)
    assert r["closed_form"] == rosenbrock_closed_form(-1.5, 2.0)
    assert (demo_run / "rosenbrock.dot").read_text().startswith("digraph")


def test_demo_training_loss_falls(demo_run):
    mlp = json.loads((demo_run / "report.json").read_text())["mlp"]
    assert mlp["final_loss"] < mlp["initial_loss"] / 2
    assert mlp["losses"][0] == mlp["initial_loss"] and mlp["losses"][-1] == mlp["final_loss"]
    assert len(mlp["losses"]) == mlp["steps"] + 1
    assert mlp["accuracy"] > 0.7
    plot = demo_run / "loss.png"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not plot.exists()
    else:
        assert plot.read_bytes()[:4] == b"\x89PNG"


def test_demo_prints_the_numbers(tmp_path, capsys, monkeypatch):
    import chainrule.cli as cli
    monkeypatch.setattr(cli, "_mlp_part", lambda out_dir, quick: {})   # Rosenbrock part only
    main(["demo", "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert "closed form" in text and "12.5" in text and "[-155, -50]" in text
    assert "[1902, 600]" in text and "[600, 200]" in text


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
