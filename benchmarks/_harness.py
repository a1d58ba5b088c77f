"""Timing harness shared by the benchmarks: same work in chainrule and in torch, in one run.

Method (docs/performance.md): warm-ups first; then each library is timed in its own block (never
interleaved call by call: OpenBLAS threads spin for ~0.1 s after a call and would bill the other
library); several repeats; medians; torch gets as many threads as the BLAS NumPy uses. Where one
step is long enough, ``interleaved_times``/``paired_times`` alternate blocks of the libraries with
pauses between them, so that all see the same moments of a machine whose speed drifts by 2x
within seconds. The
allocator settings below are applied to both libraries alike (glibc otherwise returns big blocks
to the OS and page-faults on every step).
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time

_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "1000000000", "MALLOC_TRIM_THRESHOLD_": "1000000000"}


# This workplace pins OpenBLAS to its Haswell kernels (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) for
# old OpenBLAS builds; a current NumPy computes correctly without them and picks its AVX-512
# kernels. Benchmarks drop both (tests and CI keep them); `machine()` prints the kernel in use.
_OPENBLAS_PINS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def reexec_with_allocator_settings() -> None:
    """Restart the interpreter once with the glibc allocator settings in the environment and
    without the OpenBLAS kernel pins."""
    if all(os.environ.get(k) == v for k, v in _MALLOC.items()) and \
            not any(k in os.environ for k in _OPENBLAS_PINS):
        return
    env = {k: v for k, v in os.environ.items() if k not in _OPENBLAS_PINS}
    env.update(_MALLOC)
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def blas_kernel() -> str:
    """The OpenBLAS kernel family NumPy runs (via threadpoolctl when installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    return ", ".join(f"{i.get('internal_api')} {i.get('architecture')}"
                     for i in threadpool_info() if i.get("user_api") == "blas") or "unknown"


def threads() -> int:
    return int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1))


def setup_torch():
    """Import torch with as many threads as NumPy's BLAS. Call it only after the NumPy-side
    timings: once torch's OpenMP pool exists, its threads compete with OpenBLAS's on a small
    machine (seen here: NumPy steps 5-10x slower after ``torch.set_num_threads``)."""
    import torch
    if torch.get_num_threads() != threads():
        torch.set_num_threads(threads())
    return torch


def adam_classifier_step(lib, model, x, y, lr: float = 1e-3):
    """A function running one training step of ``model`` on (x, y) with ``lib`` (chainrule or
    torch): zero_grad, cross-entropy, backward, Adam step."""
    opt = lib.optim.Adam(model.parameters(), lr=lr)
    cross_entropy = lib.nn.functional.cross_entropy

    def step():
        opt.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def median_time(step, repeats: int = 30, warmup: int = 5, inner: int = 1) -> float:
    """Median seconds per call of ``step()`` (``inner`` calls per timing sample)."""
    for _ in range(warmup):
        step()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            step()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def interleaved_times(steps: list, rounds: int = 12, block: int = 5, warmup: int = 3,
                      pause: float = 0.2, inner: int = 1) -> list:
    """Time several steps in alternating blocks (``block`` samples of ``inner`` calls of each
    step in turn, a pause before each block; ``rounds`` times) so that all see the same moments
    of a noisy machine; the pauses outlast OpenBLAS's and OpenMP's spinning threads, so no
    library bills another. Returns, per step, its per-round median seconds per call."""
    for _ in range(warmup):
        for step in steps:
            step()
    medians = [[] for _ in steps]
    for _ in range(rounds):
        for step, meds in zip(steps, medians):
            time.sleep(pause)
            meds.append(median_time(step, block, warmup=0, inner=inner))
    return medians


def ratio_summary(a: list, b: list) -> dict:
    """From per-round times of two steps: their medians ("a", "b"), the median of the
    per-round ratios a/b ("ratio") and its lower and upper quartiles ("q1", "q3")."""
    ratios = sorted(x / y for x, y in zip(a, b))
    q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratios[0],) * 3
    return {"a": statistics.median(a), "b": statistics.median(b),
            "ratio": statistics.median(ratios), "q1": q1, "q3": q3}


def paired_times(step_a, step_b, rounds: int = 12, block: int = 5, warmup: int = 3,
                 pause: float = 0.2) -> dict:
    """Two steps timed in alternating blocks (``interleaved_times``), summarised by
    ``ratio_summary``: the ratio is step_a's time over step_b's."""
    return ratio_summary(*interleaved_times([step_a, step_b], rounds, block, warmup, pause))


def machine() -> str:
    import numpy as np
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, NumPy {np.__version__} ({blas_kernel()}), "
            f"threads={threads()}")


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(str(h).rjust(w) for h, w in zip(header, widths)))
    for r in rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths)))
