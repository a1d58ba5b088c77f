"""The lab report: every registered experiment run once, written as one self-contained HTML page.

``chainrule lab report [--quick] [--out DIR] [--only NAME ...]`` runs the experiments of
``chainrule.lab.EXPERIMENTS`` (each into ``DIR/<name>``) and writes

* ``DIR/report.html``: a header with the summary (checks passed and failed, date, quick or full,
  the machine), a table of every check, then one section per experiment with its claim (the
  module docstring, rendered), its checks, its numbers (the JSON files it wrote) and its plots
  (every PNG it wrote, embedded as ``data:`` URIs). No external resources, no JavaScript: the
  file can be mailed, archived or opened offline.
* ``DIR/report.json``: the same checks, machine-readable.

An experiment that raises does not stop the report: it is recorded as one failed check named
``runs without error`` whose detail is the error message (the traceback goes into its section).

    from chainrule.lab import report
    summary = report.build("runs/lab", quick=True)      # {"passed": ..., "failed": ..., ...}
"""
from __future__ import annotations

import base64
import datetime
import html
import inspect
import json
import math
import os
import platform
import re
import sys
import time
import traceback
from pathlib import Path

from ._checks import Check

__all__ = ["build", "render_html", "docstring_html", "machine", "PASS_COLOUR", "FAIL_COLOUR"]

PASS_COLOUR = "#1a7f37"    # background of PASS cells (the screenshot test looks for it)
FAIL_COLOUR = "#cf222e"
MAX_JSON_CHARS = 60_000    # raw JSON shown per file (the rest is cut, with a note)
MAX_TABLE_ROWS = 80        # rows of the flattened-numbers table per JSON file
ERROR_CHECK = "runs without error"


# ====================================================================== running
def machine() -> dict:
    """What the report ran on: host, OS, CPU, Python, NumPy and chainrule versions."""
    from .. import __version__
    from ..backend import np

    return {"host": platform.node(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "chainrule": __version__}


def _run_one(name: str, quick: bool, out: Path) -> dict:
    """Run experiment ``name`` into ``out``; an exception becomes a failed check."""
    from .. import lab as lab_pkg

    record = {"out": str(out), "module": lab_pkg.EXPERIMENTS.get(name), "doc": "",
              "error": None, "traceback": None}
    started = time.perf_counter()
    try:
        module = lab_pkg.experiment(name)
        record["doc"] = inspect.getdoc(module) or ""
        checks = list(module.run(quick=quick, out=out))
        for c in checks:
            if not isinstance(c, Check):
                raise TypeError(f"run() returned {type(c).__name__} {c!r}, expected Check")
    except Exception as e:  # noqa: BLE001 -- one broken experiment must not kill the report
        record["error"] = f"{type(e).__name__}: {e}"
        record["traceback"] = traceback.format_exc()
        checks = [Check(ERROR_CHECK, False, None, "no exception", record["error"])]
    record["seconds"] = time.perf_counter() - started
    record["checks"] = [c.to_dict() for c in checks]
    return record


def build(out: str | Path = "runs/lab", quick: bool = False, only=None, log=None) -> dict:
    """Run the experiments (all registered ones, or those named in ``only``) into
    ``out/<name>``, write ``out/report.html`` and ``out/report.json``; returns the summary
    (``passed``, ``failed``, ``html``, ``json``, ``experiments`` ...). Progress goes to ``log``
    (None: ``sys.stdout``), one line per experiment and one per check."""
    from .. import lab as lab_pkg

    out = Path(out)
    names = sorted(lab_pkg.EXPERIMENTS) if not only else list(dict.fromkeys(only))
    unknown = [n for n in names if n not in lab_pkg.EXPERIMENTS]
    if unknown:
        raise ValueError(f"unknown experiment(s) {', '.join(map(repr, unknown))}; available: "
                         f"{', '.join(sorted(lab_pkg.EXPERIMENTS))}")
    log = sys.stdout if log is None else log
    started = time.perf_counter()
    experiments = {}
    for name in names:
        rec = experiments[name] = _run_one(name, quick, out / name)
        print(f"{name} ({rec['seconds']:.1f} s, files in {rec['out']})", file=log, flush=True)
        for c in rec["checks"]:
            print(f"  {_check_line(c)}", file=log, flush=True)
    checks = [c for rec in experiments.values() for c in rec["checks"]]
    summary = {
        "quick": bool(quick),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "seconds": time.perf_counter() - started,
        "passed": sum(c["passed"] for c in checks),
        "failed": sum(not c["passed"] for c in checks),
        "experiments": experiments,
    }
    out.mkdir(parents=True, exist_ok=True)
    page = render_html(summary, out)
    _write_atomic(out / "report.html", page)
    _write_atomic(out / "report.json",
                  json.dumps(_for_json(summary), indent=2, default=_jsonable) + "\n")
    summary["html"], summary["json"] = str(out / "report.html"), str(out / "report.json")
    print(f"{summary['passed']} check(s) passed, {summary['failed']} failed; "
          f"report: {summary['html']}", file=log, flush=True)
    return summary


def _check_line(c: dict) -> str:
    return str(Check(c["name"], c["passed"], c["measured"], c["expected"], c["detail"]))


def _for_json(summary: dict) -> dict:
    """``summary`` without the docstrings (the page has them)."""
    return {**summary, "experiments": {
        name: {k: v for k, v in rec.items() if k != "doc"}
        for name, rec in summary["experiments"].items()}}


def _jsonable(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return str(x)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# ====================================================================== docstrings -> HTML
_CODE = re.compile(r"``(.+?)``|`([^`\n]+)`")
_STRONG = re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])")
_EM = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_ITEM = re.compile(r"^(\s*)([*-]|\d{1,2}[.)])\s+(\S.*)$")


def _inline(text: str) -> str:
    """Escape ``text`` for HTML; ``code`` / `code` spans become <code>, **x** <strong>, *x* <em>."""
    parts, pos = [], 0
    for m in _CODE.finditer(text):
        parts.append(_emphasis(html.escape(text[pos:m.start()], quote=False)))
        parts.append(f"<code>{html.escape(m.group(1) or m.group(2), quote=False)}</code>")
        pos = m.end()
    parts.append(_emphasis(html.escape(text[pos:], quote=False)))
    return "".join(parts)


def _emphasis(escaped: str) -> str:
    escaped = _STRONG.sub(r"<strong>\1</strong>", escaped)
    return _EM.sub(r"<em>\1</em>", escaped)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _pre(lines: list[str]) -> str:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    cut = min(_indent(s) for s in lines if s.strip())
    return "<pre>" + html.escape("\n".join(s[cut:] for s in lines)) + "</pre>"


def docstring_html(doc: str) -> str:
    """Our docstring style as HTML: blank-line separated paragraphs (lines joined), bullet
    lists (lines starting with ``* ``, ``- `` or ``1. ``, continued by indented lines),
    preformatted blocks (lines indented by 4 or more), inline ``code``, ``**bold**`` and
    ``*italic*``. The first paragraph (the summary line) gets class ``lead``. Everything is
    HTML-escaped."""
    lines = inspect.cleandoc(doc or "").expandtabs(4).splitlines()
    out: list[str] = []
    para: list[str] = []
    items: list[list] = []        # the open list's items, each a list of parts:
    #                               a list of text lines, or a string of HTML (a code block)
    list_kind = None
    item_indent = 0
    first = True

    def flush_para():
        nonlocal para, first
        if para:
            cls = ' class="lead"' if first else ""
            out.append(f"<p{cls}>{_inline(' '.join(s.strip() for s in para))}</p>")
            first = False
            para = []

    def flush_list():
        nonlocal items, list_kind, first
        if items:
            lis = "".join("<li>" + "".join(
                part if isinstance(part, str) else _inline(" ".join(part)) for part in item)
                + "</li>" for item in items)
            out.append(f"<{list_kind}>{lis}</{list_kind}>")
            first = False
        items, list_kind = [], None

    i, prev_blank = 0, True
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush_para()
            prev_blank = True
            i += 1
            continue
        ind, m = _indent(line), _ITEM.match(line)
        content_indent = item_indent + 2
        if m and (ind <= item_indent + 1 if items else ind < 4):
            flush_para()
            kind = "ul" if m.group(2) in "*-" else "ol"
            if items and kind != list_kind:
                flush_list()
            if not items:
                list_kind, item_indent = kind, ind
            items.append([[m.group(3)]])
        elif items and ind >= content_indent + 4:           # a code block inside the item
            block = []
            while i < len(lines) and (not lines[i].strip()
                                      or _indent(lines[i]) >= content_indent + 4):
                block.append(lines[i])
                i += 1
            items[-1].append(_pre(block))
            prev_blank = False
            continue
        elif items and ((ind >= content_indent and (not prev_blank or ind < 4))
                        or (not prev_blank and ind > item_indent)
                        or (not prev_blank and ind == 0 and not m)):
            if isinstance(items[-1][-1], str):                 # text after a code block
                items[-1].append([])
            items[-1][-1].append(line.strip())                # continuation (or lazy) line
        elif ind >= 4:                                         # a preformatted block
            flush_para()
            flush_list()
            block = []
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) >= 4):
                block.append(lines[i])
                i += 1
            out.append(_pre(block))
            first = False
            prev_blank = False
            continue
        else:
            flush_list()
            para.append(line)
        prev_blank = False
        i += 1
    flush_para()
    flush_list()
    return "\n".join(out)


# ====================================================================== numbers, plots
def _fmt(x, digits: int = 4) -> str:
    """A value for a table cell: numbers to ``digits`` significant figures, short lists
    inline, long lists summarised."""
    if x is None:
        return "\u2014"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return str(x)
        if x == 0 or 1e-3 <= abs(x) < 1e5:
            return f"{x:.{digits}g}"
        return f"{x:.{digits - 1}e}"
    if isinstance(x, (list, tuple)):
        if len(x) <= 6 and all(not isinstance(v, (list, tuple, dict)) for v in x):
            return "[" + ", ".join(_fmt(v, digits) for v in x) + "]"
        flat = _numbers(x)
        if flat and len(flat) == _count(x):
            return (f"{len(x)} values, {_fmt(x[0], digits)} \u2026 {_fmt(x[-1], digits)} "
                    f"(min {_fmt(min(flat), digits)}, max {_fmt(max(flat), digits)})")
        return f"{len(x)} items"
    if isinstance(x, dict):
        return f"{len(x)} entries"
    return str(x)


def _numbers(x) -> list[float]:
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _numbers(item)]
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return [float(x)] if math.isfinite(x) else []
    return []


def _count(x) -> int:
    return sum(_count(v) for v in x) if isinstance(x, (list, tuple)) else 1


def _flatten(data, prefix: str = "", depth: int = 0) -> list[tuple[str, object]]:
    """(dotted key, value) rows of nested dicts, down to 4 levels."""
    if isinstance(data, dict) and depth < 4:
        rows = []
        for k, v in data.items():
            rows += _flatten(v, f"{prefix}.{k}" if prefix else str(k), depth + 1)
        return rows
    return [(prefix or "(value)", data)]


def _value_html(v) -> str:
    """A table cell's content: a list of records (dicts) as a small table of its own, a list of
    checks as a pointer to the checks table, anything else by ``_fmt``."""
    if (isinstance(v, list) and v and all(isinstance(r, dict) for r in v)):
        if all({"name", "passed"} <= set(r) or {"name", "status"} <= set(r) for r in v):
            return f"{len(v)} checks (in the checks table)"
        keys = list(dict.fromkeys(k for r in v for k in r))
        if len(v) <= 40 and len(keys) <= 12:
            head = "".join(f"<th>{html.escape(str(k))}</th>" for k in keys)
            body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(k)))}</td>"
                                            for k in keys) + "</tr>" for r in v)
            return f'<table class="records"><tr>{head}</tr>{body}</table>'
    return html.escape(_fmt(v))


def _json_html(path: Path, rel: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError) as e:
        return (f'<p class="error">{html.escape(rel)}: cannot read '
                f"({html.escape(str(e))})</p>")
    rows = _flatten(data)
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{_value_html(v)}</td></tr>"
                   for k, v in rows[:MAX_TABLE_ROWS])
    more = (f'<p class="note">{len(rows) - MAX_TABLE_ROWS} more rows in the raw JSON.</p>'
            if len(rows) > MAX_TABLE_ROWS else "")
    pretty = json.dumps(data, indent=1)
    cut = ""
    if len(pretty) > MAX_JSON_CHARS:
        cut = f"\n\u2026 ({len(pretty) - MAX_JSON_CHARS:,} more characters in {rel})"
        pretty = pretty[:MAX_JSON_CHARS]
    return (f'<h4>{html.escape(rel)}</h4><table class="numbers">{body}</table>{more}'
            f"<details><summary>raw JSON ({len(text):,} bytes)</summary>"
            f"<pre>{html.escape(pretty + cut)}</pre></details>")


def _png_html(path: Path, rel: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(rel)}">'
            f"<figcaption>{html.escape(rel)}</figcaption></figure>")


def _files(folder: Path, suffix: str) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.rglob(f"*{suffix}") if p.is_file()),
                  key=lambda p: (len(p.relative_to(folder).parts), str(p)))


# ====================================================================== the page
_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;
 color:#1f2328;background:#fff;margin:0}
main{max-width:1180px;margin:0 auto;padding:0 24px 48px}
header{background:#f6f8fa;border-bottom:1px solid #d0d7de;padding:20px 0 14px;margin-bottom:18px}
header .inner{max-width:1180px;margin:0 auto;padding:0 24px}
h1{margin:0 0 6px;font-size:26px}
h2{margin:36px 0 8px;padding-top:12px;border-top:2px solid #d0d7de;font-size:21px}
h3{font-size:16px;margin:18px 0 6px}
h4{font-size:14px;margin:12px 0 4px;font-family:ui-monospace,monospace}
.summary{font-size:18px;margin:6px 0}
.meta{color:#57606a;font-size:13px}
.badge{display:inline-block;padding:1px 10px;border-radius:12px;color:#fff;font-weight:600}
.pass{background:PASS;color:#fff;font-weight:600;text-align:center;width:4.5em}
.fail{background:FAIL;color:#fff;font-weight:600;text-align:center;width:4.5em}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13.5px}
th,td{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top;text-align:left}
table.checks{width:100%;table-layout:fixed}
table.checks td{overflow-wrap:anywhere}
table.checks thead th{background:#eaeef2}
table.numbers th{font-weight:normal;font-family:ui-monospace,monospace;background:#f6f8fa}
td.num{font-family:ui-monospace,monospace}
table.numbers,table.records{display:block;max-width:100%;overflow-x:auto}
table.records{margin:0;font-size:12.5px}
table.records th{background:#f6f8fa;font-family:inherit}
table.records td,table.records th{padding:1px 6px}
.claim{max-width:900px}
.claim p.lead{font-size:17px;font-weight:600}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;
 overflow-x:auto;font-size:13px;line-height:1.4}
code{font-family:ui-monospace,"Liberation Mono",monospace;font-size:90%;background:#eff1f3;
 padding:0 3px;border-radius:3px}
pre code{background:none;padding:0}
figure{display:inline-block;margin:8px 16px 8px 0;vertical-align:top;max-width:100%}
figure img{max-width:100%;border:1px solid #d0d7de}
figcaption{font-size:12px;color:#57606a;font-family:ui-monospace,monospace}
details{margin:4px 0 10px}
summary{cursor:pointer;color:#0969da}
.error{color:FAIL}
pre.error{border-color:FAIL;background:#ffebe9;color:#1f2328}
.note{color:#57606a;font-size:13px}
a{color:#0969da;text-decoration:none}
""".replace("PASS", PASS_COLOUR).replace("FAIL", FAIL_COLOUR)


def _anchor(name: str) -> str:
    return "exp-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _status_cell(c: dict) -> str:
    cls = "pass" if c["passed"] else "fail"
    return f'<td class="{cls}">{"PASS" if c["passed"] else "FAIL"}</td>'


def _check_rows(name: str | None, checks: list[dict]) -> str:
    rows = []
    for i, c in enumerate(checks):
        first = (f'<td rowspan="{len(checks)}"><a href="#{_anchor(name)}">{html.escape(name)}'
                 f"</a></td>" if name is not None and i == 0 else "")
        rows.append(f"<tr>{first}<td>{html.escape(str(c['name']))}</td>{_status_cell(c)}"
                    f'<td class="num">{html.escape(_fmt(c["measured"]))}</td>'
                    f'<td class="num">{html.escape(str(c["expected"]))}</td>'
                    f"<td>{html.escape(str(c['detail'] or ''))}</td></tr>")
    return "".join(rows)


def _table(checks_html: str, with_experiment: bool) -> str:
    head = "<th>experiment</th>" if with_experiment else ""
    widths = (11, 29, 6, 13, 13, 28) if with_experiment else (33, 6, 15, 15, 31)
    cols = "".join(f'<col style="width:{w}%">' for w in widths)
    return (f'<table class="checks"><colgroup>{cols}</colgroup><thead><tr>{head}<th>check</th>'
            f"<th>status</th>"
            f"<th>measured</th><th>expected</th><th>detail</th></tr></thead>"
            f"<tbody>{checks_html}</tbody></table>")


def render_html(summary: dict, out: str | Path) -> str:
    """The page for ``summary`` (as ``build`` makes it); files are read from ``out/<name>``."""
    out = Path(out)
    exps = summary["experiments"]
    n = summary["passed"] + summary["failed"]
    colour = PASS_COLOUR if summary["failed"] == 0 else FAIL_COLOUR
    verdict = ("all passed" if summary["failed"] == 0 else f"{summary['failed']} failed")
    m = summary["machine"]
    machine_text = (f"{m['host']} \u00b7 {m['platform']} \u00b7 {m['processor']} \u00b7 "
                    f"{m['cpus']} CPUs \u00b7 Python {m['python']} \u00b7 NumPy {m['numpy']} "
                    f"\u00b7 chainrule {m['chainrule']}")
    variant = "quick" if summary["quick"] else "full"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>chainrule lab report ({variant}, {html.escape(summary['date'])})</title>",
        f"<style>{_CSS}</style></head><body>",
        '<header><div class="inner"><h1>chainrule lab report</h1>',
        f'<p class="summary"><span class="badge" style="background:{colour}">{verdict}</span> '
        f"<b>{summary['passed']}</b> of <b>{n}</b> checks passed, "
        f"<b>{summary['failed']}</b> failed, in {len(exps)} experiment(s)</p>",
        f'<p class="meta">{html.escape(summary["date"])} \u00b7 {variant} variant '
        f"(<code>chainrule lab report{' --quick' if summary['quick'] else ''}</code>) "
        f"\u00b7 {summary['seconds']:.0f} s<br>{html.escape(machine_text)}</p>",
        "</div></header><main>",
        "<h2 id=\"checks\" style=\"border-top:none;margin-top:0\">All checks</h2>",
        _table("".join(_check_rows(name, rec["checks"]) for name, rec in exps.items()), True),
    ]
    for name, rec in exps.items():
        folder = out / name
        passed = sum(c["passed"] for c in rec["checks"])
        ok = passed == len(rec["checks"])
        parts.append(
            f'<section id="{_anchor(name)}"><h2>{html.escape(name)} '
            f'<span class="badge" style="background:{PASS_COLOUR if ok else FAIL_COLOUR};'
            f'font-size:13px">{passed}/{len(rec["checks"])}</span></h2>'
            f'<p class="meta"><code>{html.escape(str(rec.get("module") or ""))}</code> \u00b7 '
            f"{rec['seconds']:.1f} s \u00b7 files in <code>{html.escape(rec['out'])}</code></p>")
        if rec.get("doc"):
            parts.append(f'<h3>Claim</h3><div class="claim">{docstring_html(rec["doc"])}</div>')
        parts.append("<h3>Checks</h3>" + _table(_check_rows(None, rec["checks"]), False))
        if rec.get("error"):
            parts.append(f'<h3 class="error">Error</h3><pre class="error">'
                         f"{html.escape(rec.get('traceback') or rec['error'])}</pre>")
        pngs = _files(folder, ".png")
        if pngs:
            parts.append("<h3>Plots</h3>" + "".join(
                _png_html(p, p.relative_to(folder).as_posix()) for p in pngs))
        jsons = _files(folder, ".json")
        if jsons:
            parts.append("<h3>Numbers</h3>" + "".join(
                _json_html(p, p.relative_to(folder).as_posix()) for p in jsons))
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def main(argv=None) -> int:
    """``python -m chainrule.lab.report [--quick] [--out DIR] [--only NAME ...]``."""
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="runs/lab", metavar="DIR")
    ap.add_argument("--only", nargs="+", action="extend", default=None, metavar="NAME")
    args = ap.parse_args(argv)
    return 1 if build(args.out, args.quick, args.only)["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
