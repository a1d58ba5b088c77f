"""``chainrule lab report``: the self-contained HTML page, its JSON, its exit status, the
docstring converter, and a screenshot of the page in headless Chromium (skipped without it)."""
import base64
import io
import json
import re
import shutil
import struct
import subprocess
import sys
import types
import zlib

import pytest

from chainrule import lab
from chainrule.cli import main
from chainrule.lab import Check, report
from chainrule.lab._checks import at_most

GOOD_DOC = """A fake claim: <b>two</b> & two make four.

Claim. For every x, ``x + x == 2 * x`` and a * b stays as it is; **bold** and *italic* work.

* first point, with a continuation
  line that belongs to it
* second point

    python -m fake <--quick>
"""


def tiny_png(rgb=(200, 30, 30), size=4) -> bytes:
    """A valid size x size PNG of one colour, made without any imaging library."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)       # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


@pytest.fixture
def fake_lab(monkeypatch):
    """Three registered experiments: 'good' passes (and writes a PNG and a JSON), 'bad' fails
    one of two checks, 'broken' raises."""
    def register(name, run, doc):
        mod = types.ModuleType(f"fake_report_{name}", doc)
        mod.run = run
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
        return mod.__name__

    def good(quick, out):
        out.mkdir(parents=True, exist_ok=True)
        (out / "good.png").write_bytes(tiny_png())
        (out / "good.json").write_text(json.dumps({
            "quick": quick, "loss": 0.125, "nested": {"depth": 3, "note": "<i>&"},
            "curve": [1.0 / (k + 1) for k in range(50)],
            "runs": [{"lr": 0.1, "loss": 0.5}, {"lr": 0.01, "loss": 0.25, "note": "<"}],
            "checks": [{"name": "holds", "passed": True}, {"name": "small", "passed": True}]}))
        return [Check("holds <script>alert(1)</script>", True, 1.0, "<= 2", "a & b"),
                at_most("stays small", 0.5, 1.0, "units")]

    def bad(quick, out):
        out.mkdir(parents=True, exist_ok=True)
        return [Check("holds", True, [1, 2], "<= 2"), at_most("breaks", 3.0, 2.0)]

    def broken(quick, out):
        raise RuntimeError("boom <x> & y")

    monkeypatch.setattr(lab, "EXPERIMENTS", {
        "good": register("good", good, GOOD_DOC),
        "bad": register("bad", bad, "A claim that fails."),
        "broken": register("broken", broken, "A claim whose code raises."),
    })


def build(tmp_path, **kw):
    return report.build(tmp_path, quick=True, log=io.StringIO(), **kw)


def test_report_records_every_check_and_the_error(fake_lab, tmp_path):
    summary = build(tmp_path)
    assert (summary["passed"], summary["failed"]) == (3, 2)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["quick"] is True and (data["passed"], data["failed"]) == (3, 2)
    assert list(data["experiments"]) == ["bad", "broken", "good"]
    assert [c["status"] for c in data["experiments"]["bad"]["checks"]] == ["PASS", "FAIL"]
    broken = data["experiments"]["broken"]
    assert broken["checks"] == [{"name": report.ERROR_CHECK, "status": "FAIL", "passed": False,
                                 "measured": None, "expected": "no exception",
                                 "detail": "RuntimeError: boom <x> & y"}]
    assert "Traceback" in broken["traceback"] and "doc" not in broken
    assert data["machine"]["cpus"] >= 1 and data["machine"]["chainrule"]


def test_report_html_is_self_contained_and_escaped(fake_lab, tmp_path):
    build(tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # no external resource, no script (the only <script> text is an escaped check name)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "<script" not in page and "@import" not in page and "url(" not in page
    assert "holds &lt;script&gt;alert(1)&lt;/script&gt;" in page
    # the summary, every check of every experiment, the error
    assert "<b>3</b> of <b>5</b> checks passed" in page and "quick variant" in page
    for name in ("holds", "stays small", "breaks", report.ERROR_CHECK):
        assert f"<td>{name}</td>" in page or f"{name} " in page
    assert page.count('<td class="fail">FAIL</td>') == 2 * 2      # summary table + sections
    assert page.count('<td class="pass">PASS</td>') == 3 * 2
    assert "RuntimeError: boom &lt;x&gt; &amp; y" in page
    # the plot, embedded byte for byte; the numbers, as a table and as raw JSON
    b64 = base64.b64encode(tiny_png()).decode()
    assert f'src="data:image/png;base64,{b64}"' in page
    assert "<th>nested.note</th><td>&lt;i&gt;&amp;</td>" in page
    assert "<th>loss</th><td>0.125</td>" in page
    assert "50 values, 1 \u2026 0.02 (min 0.02, max 1)" in page
    assert ('<table class="records"><tr><th>lr</th><th>loss</th><th>note</th></tr>'
            "<tr><td>0.1</td><td>0.5</td><td>\u2014</td></tr>"
            "<tr><td>0.01</td><td>0.25</td><td>&lt;</td></tr></table>") in page
    assert "<th>checks</th><td>2 checks (in the checks table)</td>" in page
    assert "<details><summary>raw JSON" in page
    # the claim: escaped, with its paragraphs, bullets and code block
    assert '<p class="lead">A fake claim: &lt;b&gt;two&lt;/b&gt; &amp; two make four.</p>' in page
    assert "<li>first point, with a continuation line that belongs to it</li>" in page
    assert "<pre>python -m fake &lt;--quick&gt;</pre>" in page


def test_report_only_and_unknown_names(fake_lab, tmp_path):
    summary = build(tmp_path, only=["good"])
    assert (summary["passed"], summary["failed"]) == (2, 0)
    assert list(json.loads((tmp_path / "report.json").read_text())["experiments"]) == ["good"]
    with pytest.raises(ValueError, match="unknown experiment\\(s\\) 'nope'; available: bad"):
        build(tmp_path, only=["good", "nope"])


def test_cli_lab_report_exit_status(fake_lab, tmp_path, capsys):
    assert main(["lab", "report", "--quick", "--out", str(tmp_path), "--only", "good"]) == 0
    out = capsys.readouterr().out
    assert "PASS  stays small" in out and f"report: {tmp_path / 'report.html'}" in out
    assert main(["lab", "report", "--out", str(tmp_path / "all")]) == 1
    out = capsys.readouterr().out
    assert "FAIL  breaks: measured 3" in out and "3 check(s) passed, 2 failed" in out
    assert (tmp_path / "all" / "report.html").exists()
    with pytest.raises(SystemExit) as e:
        main(["lab", "report", "--out", str(tmp_path), "--only", "nope"])
    assert e.value.code == 2 and "unknown experiment(s) 'nope'" in capsys.readouterr().err


def test_report_of_a_real_quick_experiment(tmp_path):
    summary = build(tmp_path, only=["xy-game"])
    assert summary["failed"] == 0 and summary["passed"] >= 5
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == len(list((tmp_path / "xy-game")
                                                          .glob("*.png"))) >= 1
    assert "<h4>xy_game.json</h4>" in page
    assert "<code>xy_game.png</code>" in page          # from the docstring
    assert "<pre>python -m chainrule.lab.xy_game [--quick] [--out DIR]</pre>" in page


# ---------------------------------------------------------------------- the converter
def test_docstring_html_paragraphs_lists_and_code():
    doc = ("Title line\ncontinued.\n\nText with ``a<b`` and `c` and x * y * z.\n"
           "**Bold** then *it*.\n\n* one\n  more\n* two\n\n1. first\n2. second\n\n"
           "    pre  line\n      indented <tag>\n\nLast.")
    assert report.docstring_html(doc).splitlines() == [
        '<p class="lead">Title line continued.</p>',
        "<p>Text with <code>a&lt;b</code> and <code>c</code> and x * y * z. "
        "<strong>Bold</strong> then <em>it</em>.</p>",
        "<ul><li>one more</li><li>two</li></ul>",
        "<ol><li>first</li><li>second</li></ol>",
        "<pre>pre  line", "  indented &lt;tag&gt;</pre>",
        "<p>Last.</p>"]


def test_docstring_html_code_block_inside_a_bullet_and_empty_doc():
    doc = "Title.\n\n* item:\n\n        a = b\n\n  still the item\n* next"
    assert report.docstring_html(doc) == (
        '<p class="lead">Title.</p>\n'
        "<ul><li>item:<pre>a = b</pre>still the item</li><li>next</li></ul>")
    assert report.docstring_html("") == "" and report.docstring_html(None) == ""


def test_docstring_html_of_every_registered_experiment():
    import importlib
    import inspect
    for module in lab.EXPERIMENTS.values():
        text = report.docstring_html(inspect.getdoc(importlib.import_module(module)))
        assert text.startswith('<p class="lead">') and "python -m chainrule.lab." in text, module
        # every '<' is a tag we made: the docstring's own are escaped
        assert set(re.findall(r"</?(\w+)", text)) <= {"p", "ul", "ol", "li", "pre", "code",
                                                      "strong", "em"}


# ---------------------------------------------------------------------- the screenshot
def colour(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium (headless)")
def test_report_screenshot_in_headless_chromium(fake_lab, tmp_path):
    image_module = pytest.importorskip("PIL.Image")
    build(tmp_path / "lab")
    shot = tmp_path / "shot.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1280,2000", (tmp_path / "lab" / "report.html").as_uri()],
        check=True, capture_output=True, timeout=180)
    with image_module.open(shot) as im:
        assert im.size == (1280, 2000)
        pixels = im.convert("RGB")
        counts = pixels.getcolors(maxcolors=1 << 20)
    assert len(counts) >= 50                      # text, tables, badges: not a blank page
    by_colour = {rgb: n for n, rgb in counts}
    white = by_colour.get((255, 255, 255), 0)
    assert white < 0.97 * 1280 * 2000

    def area(hex_colour, tol=3):
        target = colour(hex_colour)
        return sum(n for rgb, n in by_colour.items()
                   if max(abs(a - b) for a, b in zip(rgb, target)) <= tol)
    # the PASS cells (6) and FAIL cells (4) are solid blocks of their colours
    assert area(report.PASS_COLOUR) > 6 * 500
    assert area(report.FAIL_COLOUR) > 4 * 500
