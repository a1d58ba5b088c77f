"""``Check``: one measured comparison of an experiment, which passes or fails."""
from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path
from typing import Any

__all__ = ["Check", "at_least", "at_most", "experiment_main"]


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
