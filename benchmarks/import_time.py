"""Time of `import chainrule` and of `import torch` in fresh interpreters (median of runs).

    python -m benchmarks.import_time
"""
from __future__ import annotations

import statistics
import subprocess
import sys


def import_seconds(module: str, runs: int = 7) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(runs)]
    return statistics.median(times)


def main():
    t_cr = import_seconds("chainrule")
    print(f"import chainrule: {t_cr:.3f} s (goal: under 0.3 s)")
    try:
        t_th = import_seconds("torch", runs=3)
        print(f"import torch:     {t_th:.3f} s")
    except subprocess.CalledProcessError:
        print("import torch:     (torch not installed)")


if __name__ == "__main__":
    main()
