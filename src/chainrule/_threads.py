"""Intra-op threads: one large pass of an op (convolution, batch norm, max pooling, ReLU)
split into chunks that several threads run at once.

NumPy releases the GIL inside its loops, so two threads run two chunks of one op truly in
parallel. A lone GEMM needs none of this (the BLAS has its own threads); memory-bound passes
do: on a 2-core machine the CNN's batch norm and max-pool forwards run about 1.6x faster on
two threads, its ReLU 1.25x (``python -m benchmarks.cnn_layers [--threads 1]``). Results do
not depend on the thread count: each chunk writes its own rows, and per-chunk partial results
come back in chunk order, so reductions add them in the same order as one thread would.

Chunks that each call a GEMM (convolutions) run with the BLAS single-threaded meanwhile
(``run_chunks(..., blas=True)``, through threadpoolctl): the threads are then ours, one GEMM
per chunk, and no idle BLAS thread spins on the core that another chunk needs (``matmul``
keeps the BLAS's threads away from chainrule's passes in general). The CNN training step on 2
cores takes about 0.8x its one-thread time (``python -m benchmarks.threads``,
docs/performance.md).

``set_num_threads``/``get_num_threads`` are torch's. The default is torch's too: the
``OMP_NUM_THREADS`` environment variable when set, else the CPUs this process may run on.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import math
import os
import threading
import time

import numpy as np

__all__ = ["get_num_threads", "set_num_threads", "get_num_interop_threads",
           "set_num_interop_threads", "run_chunks", "row_chunks", "sum_parts", "map_flat",
           "matmul", "blas_on_one_thread"]

# A pass smaller than this runs on one thread: handing a chunk to another thread costs about
# 20-50 us, a memory-bound pass over 1 MiB about 100 us.
MIN_PARALLEL_BYTES = 1 << 20
# Products of at most this many multiply-adds (m n k) run on one thread inside OpenBLAS anyway
# (its GEMM_MULTITHREAD_THRESHOLD 4 x 65536): ``matmul`` leaves them alone.
BLAS_SERIAL_WORK = 4 * 65536
# Products below this (about 40 us on one core) run with the BLAS on one thread: a second BLAS
# thread saves them tens of microseconds, then spins for about 0.1 s (OpenBLAS's default
# thread timeout) on the core that chainrule's next parallel pass needs.
BLAS_THREADS_WORK = 1 << 22
BLAS_SPIN_SECONDS = 0.1
# Elementwise chunks (``map_flat``): small enough that what one ufunc of a chunk wrote is still
# in cache for the next.
FLAT_CHUNK_BYTES = 256 << 10


def _default_threads() -> int:
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.strip().isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):          # not Linux
        return max(1, os.cpu_count() or 1)


_state = {"threads": _default_threads(), "pool": None, "pool_size": 0, "pid": None,
          "blas": None, "blas_spins_until": 0.0}
_local = threading.local()      # .busy: this thread is already running chunks (no nesting)


def get_num_threads() -> int:
    """The number of threads an op may split its work across (torch.get_num_threads)."""
    return _state["threads"]


def set_num_threads(n: int) -> None:
    """Use at most ``n`` threads per op (torch.set_num_threads); 1 runs everything on the
    calling thread."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n!r}")
    _state["threads"] = n


def get_num_interop_threads() -> int:
    """torch.get_num_interop_threads: chainrule runs one op at a time, so this is only the
    number last set (torch's default: the CPUs)."""
    return _state.get("interop", _default_threads())


def set_num_interop_threads(n: int) -> None:
    """torch.set_num_interop_threads: accepted and remembered (chainrule has no inter-op
    parallelism: ops run one after another on the calling thread)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {n!r}")
    _state["interop"] = n


def _executor(workers: int):
    """The helper threads (a ThreadPoolExecutor, imported on first use: ~7 ms of import time),
    created on first use and again after a fork (a child process has none of its parent's
    threads)."""
    from concurrent.futures import ThreadPoolExecutor
    if _state["pool"] is None or _state["pid"] != os.getpid() or _state["pool_size"] < workers:
        if _state["pool"] is not None and _state["pid"] == os.getpid():
            _state["pool"].shutdown(wait=False)
        _state.update(pool=ThreadPoolExecutor(workers, thread_name_prefix="chainrule"),
                      pool_size=workers, pid=os.getpid())
    return _state["pool"]


def row_chunks(rows: int, row_bytes: int, chunk_bytes: int) -> list:
    """Ranges [r0, r1) of ``rows`` rows of ``row_bytes`` each, about ``chunk_bytes`` per range
    (never fewer than one row). They do not depend on the thread count, so neither do sums
    made of per-chunk parts."""
    step = max(1, chunk_bytes // max(1, row_bytes))
    return [(r0, min(rows, r0 + step)) for r0 in range(0, rows, step)] or [(0, 0)]


def sum_parts(parts: list):
    """The sum of per-chunk partial results (what ``run_chunks`` returns) in chunk order, so
    the same on any number of threads; None when the chunks return None."""
    return None if parts[0] is None else functools.reduce(np.add, parts)


def _blas_libraries() -> list:
    """threadpoolctl's handles on the BLAS libraries loaded (NumPy's), found once."""
    if _state["blas"] is None:
        from threadpoolctl import ThreadpoolController
        _state["blas"] = ThreadpoolController().select(user_api="blas").lib_controllers
    return _state["blas"]


_blas_lock = threading.Lock()
_blas_users = {"count": 0, "saved": []}    # callers inside blas_on_one_thread, the settings


@contextlib.contextmanager
def blas_on_one_thread():
    """The BLAS single-threaded while inside (for code that calls many GEMMs from chainrule's
    threads, or between chainrule's parallel passes). Callers on several threads at once share
    one setting: the first saves the BLAS's thread counts, the last puts them back."""
    libs = _blas_libraries()
    with _blas_lock:
        if _blas_users["count"] == 0:
            _blas_users["saved"] = [lib.num_threads for lib in libs]
            for lib in libs:
                lib.set_num_threads(1)
        _blas_users["count"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users["count"] -= 1
            if _blas_users["count"] == 0:
                for lib, n in zip(libs, _blas_users["saved"]):
                    lib.set_num_threads(n)


def run_chunks(fn, chunks: list, nbytes: int | None = None, blas: bool = False) -> list:
    """``[fn(r0, r1) for r0, r1 in chunks]``, the calls spread over up to ``get_num_threads()``
    threads (the calling one included), each taking the next chunk when it is free. One
    thread when there is a single chunk, when ``nbytes`` (the data the pass touches) is below
    ``MIN_PARALLEL_BYTES``, when called from inside another ``run_chunks``, or while the
    BLAS's own threads may still be spinning after a product ``matmul`` gave them. ``blas``: the
    chunks call the BLAS, which runs single-threaded while they do. An exception in any chunk
    is raised here, after every thread has stopped."""
    threads = min(get_num_threads(), len(chunks))
    if threads <= 1 or getattr(_local, "busy", False) or \
            (nbytes is not None and nbytes < MIN_PARALLEL_BYTES) or \
            time.perf_counter() < _state["blas_spins_until"]:
        return [fn(r0, r1) for r0, r1 in chunks]
    with blas_on_one_thread() if blas else contextlib.nullcontext():
        return _run_parallel(fn, chunks, threads)


def _run_parallel(fn, chunks: list, threads: int) -> list:
    results = [None] * len(chunks)
    order = itertools.count()           # next() is atomic under the GIL
    failed = []

    def work():
        _local.busy = True
        try:
            for i in iter(order.__next__, None):
                if i >= len(chunks) or failed:
                    return
                results[i] = fn(*chunks[i])
        except BaseException as e:      # stop the others; re-raised by the caller
            failed.append(e)
        finally:
            _local.busy = False

    helpers = [_executor(threads - 1).submit(work) for _ in range(threads - 1)]
    work()
    for h in helpers:
        if not h.cancel():              # not started yet (a helper busy elsewhere): skip it
            h.result()
    if failed:
        raise failed[0]
    return results


def map_flat(fn, out, *arrays, chunk_bytes: int = FLAT_CHUNK_BYTES):
    """``fn(out, *arrays)`` for an elementwise ``fn`` that writes ``out``, run over matching
    flat ranges of the arrays on several threads when all are C-contiguous, of one size and
    large enough (else in one call). Returns ``out``."""
    if get_num_threads() > 1 and out.nbytes >= MIN_PARALLEL_BYTES and out.flags.c_contiguous \
            and all(a.flags.c_contiguous and a.size == out.size for a in arrays):
        o, flat = out.reshape(-1), [a.reshape(-1) for a in arrays]
        run_chunks(lambda r0, r1: fn(o[r0:r1], *(a[r0:r1] for a in flat)),
                   row_chunks(out.size, out.itemsize, chunk_bytes))
    else:
        fn(out, *arrays)
    return out


def matmul(a, b):
    """``np.matmul(a, b)`` as chainrule runs its threads: products below ``BLAS_THREADS_WORK``
    run with the BLAS on one thread (OpenBLAS would thread those above ``BLAS_SERIAL_WORK``);
    larger ones get the BLAS's own threads, and chainrule's parallel passes then run on one
    thread for ``BLAS_SPIN_SECONDS``, while those threads spin. (Splitting a product across
    chainrule's threads instead measured slower than OpenBLAS's threading: waking a Python
    thread costs more than its spinning threads do.) With one thread (``set_num_threads(1)``),
    plain ``np.matmul``."""
    if get_num_threads() < 2 or a.ndim < 2 or b.ndim < 2 or getattr(_local, "busy", False) \
            or a.shape[-1] != b.shape[-2]:
        return np.matmul(a, b)
    (m, k), n = a.shape[-2:], b.shape[-1]
    work = m * k * n * max(math.prod(a.shape[:-2]), math.prod(b.shape[:-2]))
    if work <= BLAS_SERIAL_WORK or a.dtype.kind != "f" or b.dtype.kind != "f":
        return np.matmul(a, b)
    if work < BLAS_THREADS_WORK:
        with blas_on_one_thread():
            return np.matmul(a, b)
    _state["blas_spins_until"] = math.inf              # (a product may run for long)
    try:
        return np.matmul(a, b)
    finally:
        _state["blas_spins_until"] = time.perf_counter() + BLAS_SPIN_SECONDS
