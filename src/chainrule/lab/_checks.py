"""``Check``: one measured comparison of an experiment, which passes or fails; and the small
pieces every experiment's ``run`` and plots share (output folder, ``NAME.json``, pyplot, PNG)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
from pathlib import Path
from typing import Any

__all__ = ["Check", "at_least", "at_most", "experiment_main", "output_dir", "pyplot",
           "save_figure", "write_numbers"]


@dataclasses.dataclass(frozen=True)
class Check:
    """The outcome of one comparison: ``name`` says what is claimed, ``measured`` is the number
    (or numbers) the experiment got, ``expected`` the condition it had to meet (as text, e.g.
    ``">= 10"``), ``detail`` anything a reader needs to judge it (units, what was compared)."""

    name: str
    passed: bool
    measured: Any
    expected: str
    detail: str = ""

    @property
    def status(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def to_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "passed": self.passed,
                "measured": self.measured, "expected": self.expected, "detail": self.detail}

    def __str__(self) -> str:
        measured = (f"{self.measured:.4g}" if isinstance(self.measured, float)
                    else str(self.measured))
        text = f"{self.status}  {self.name}: measured {measured}, expected {self.expected}"
        return f"{text} ({self.detail})" if self.detail else text


def at_least(name: str, measured: float, bound: float, detail: str = "") -> Check:
    """``measured >= bound`` (a NaN fails)."""
    return Check(name, bool(measured >= bound) and not math.isnan(measured), float(measured),
                 f">= {bound:.4g}", detail)


def at_most(name: str, measured: float, bound: float, detail: str = "") -> Check:
    """``measured <= bound`` (a NaN fails)."""
    return Check(name, bool(measured <= bound) and not math.isnan(measured), float(measured),
                 f"<= {bound:.4g}", detail)


def experiment_main(run, name: str, doc: str, argv=None, **run_kwargs) -> int:
    """``python -m chainrule.lab.<module> [--quick] [--out DIR]`` for an experiment's ``run``:
    prints its checks; exit status 1 when any fails. ``run_kwargs`` go to ``run``."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the small CI variant")
    ap.add_argument("--out", default=f"runs/lab/{name}", metavar="DIR",
                    help="output folder (default: %(default)s)")
    args = ap.parse_args(argv)
    found = run(args.quick, Path(args.out), **run_kwargs)
    for c in found:
        print(c)
    return 0 if all(c.passed for c in found) else 1


def output_dir(out: Path | str) -> Path:
    """``out`` as a ``Path``, created (with its parents) if missing."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_numbers(path: Path, quick: bool, budget: Any, numbers: dict, found: list[Check],
                  indent: int | None = 1) -> Path:
    """Write an experiment's ``NAME.json``: ``{"quick", "budget", **numbers, "checks"}``, the
    checks as ``Check.to_dict``."""
    path.write_text(json.dumps({"quick": quick, "budget": budget, **numbers,
                                "checks": [c.to_dict() for c in found]}, indent=indent))
    return path


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend, or None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def save_figure(fig, path: Path, dpi: int) -> Path:
    """Lay out ``fig``, save it to ``path`` at ``dpi``, close it; return ``path``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
