"""chainrule's intra-op threads (chainrule._threads): the API, the chunk runner, and that the
ops which split their work (convolution, batch norm, max pooling, ReLU, matmul) give the same
results on two threads as on one. The suite runs with OMP_NUM_THREADS=1 (scripts/test), so
these tests switch threads on themselves, on arrays large enough to be split."""
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule import _threads


@pytest.fixture
def threads():
    """Run a test body under a given thread count, restoring the previous one."""
    before = cr.get_num_threads()
    _threads._state["blas_spins_until"] = 0.0       # no BLAS threads spinning from before

    def use(n):
        cr.set_num_threads(n)
    yield use
    cr.set_num_threads(before)


def test_set_and_get_num_threads(threads):
    threads(3)
    assert cr.get_num_threads() == 3
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(RuntimeError, match="positive integer"):
            cr.set_num_threads(bad)
    assert cr.get_num_threads() == 3


def test_interop_threads_are_remembered():
    before = cr.get_num_interop_threads()
    assert before >= 1
    cr.set_num_interop_threads(3)
    assert cr.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="positive integer"):
        cr.set_num_interop_threads(0)
    cr.set_num_interop_threads(before)


def test_run_chunks_keeps_order_and_uses_threads(threads):
    threads(2)
    import threading
    seen = set()

    def fn(r0, r1):
        seen.add(threading.get_ident())
        time.sleep(0.001)               # (lets the helper thread take chunks too)
        return (r0, r1)
    chunks = [(i, i + 1) for i in range(64)]
    assert _threads.run_chunks(fn, chunks) == chunks
    assert len(seen) == 2
    threads(1)
    seen.clear()
    assert _threads.run_chunks(fn, chunks) == chunks
    assert seen == {threading.get_ident()}          # one thread: the caller's


def test_run_chunks_raises_a_chunks_error_after_all_stop(threads):
    threads(2)
    done = []

    def fn(r0, r1):
        if r0 == 5:
            raise ValueError("chunk 5")
        done.append(r0)
    with pytest.raises(ValueError, match="chunk 5"):
        _threads.run_chunks(fn, [(i, i + 1) for i in range(40)])
    # a chunk raising inside another run_chunks call does not deadlock (nested runs are serial)
    inner = _threads.run_chunks(lambda a, b: _threads.run_chunks(lambda c, d: c, [(a, b)] * 3),
                                [(i, i + 1) for i in range(4)])
    assert inner == [[i] * 3 for i in range(4)]


def test_small_work_stays_on_the_calling_thread(threads):
    threads(2)
    import threading
    seen = set()
    _threads.run_chunks(lambda a, b: seen.add(threading.get_ident()), [(0, 1), (1, 2)],
                        nbytes=1000)
    assert seen == {threading.get_ident()}


def test_matmul_matches_numpy(threads):
    threads(2)
    rng = np.random.default_rng(0)
    for shape_a, shape_b in (((300, 500), (500, 200)),      # large: the BLAS's threads
                             ((40, 600), (600, 90)),        # mid-size: the BLAS on one thread
                             ((8, 64, 96), (96, 80)),       # batched, mid-size
                             ((3, 4), (4, 5))):             # small: untouched
        a = rng.standard_normal(shape_a).astype(np.float32)
        b = rng.standard_normal(shape_b).astype(np.float32)
        np.testing.assert_allclose(_threads.matmul(a, b), a @ b, rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError):
        _threads.matmul(np.ones((3, 4)), np.ones((5, 6)))


def test_parallel_passes_wait_while_blas_threads_spin(threads):
    """After a product large enough for the BLAS's own threads, chainrule's passes run on the
    calling thread until those threads would have gone to sleep."""
    import threading
    threads(2)
    big = np.ones((300, 300), np.float32)
    _threads.matmul(big, big)
    seen = set()
    _threads.run_chunks(lambda a, b: seen.add(threading.get_ident()),
                        [(i, i + 1) for i in range(32)])
    assert seen == {threading.get_ident()}
    assert _threads._state["blas_spins_until"] > 0


def _cnn_block_grads():
    """Forward and backward of conv -> batch norm -> relu -> max-pool -> conv on inputs big
    enough that every op splits its work; all results as arrays."""
    cr.manual_seed(0)
    x = cr.randn(24, 8, 28, 28, requires_grad=True)
    w1 = cr.randn(16, 8, 3, 3, requires_grad=True)
    w2 = cr.randn(24, 16, 3, 3, requires_grad=True)
    gamma, beta = cr.ones(16, requires_grad=True), cr.zeros(16, requires_grad=True)
    F = cr.nn.functional
    h = F.conv2d(x, w1, padding=1)
    h = F.batch_norm(h, None, None, gamma, beta, training=True)
    h = F.max_pool2d(F.relu(h), 2)
    y = F.conv2d(h, w2, padding=1)
    lin = cr.randn(24 * 14 * 14, 10, requires_grad=True)
    out = y.reshape(24, -1) @ lin
    (out * out).sum().backward()
    return [t.detach().numpy().copy() for t in (out, x.grad, w1.grad, w2.grad, gamma.grad,
                                                beta.grad, lin.grad)]


def test_ops_give_the_same_results_on_two_threads(threads):
    # the BLAS on one thread in both runs: its own threads may add a product's terms in
    # another order, which is not what this test is about
    with _threads.blas_on_one_thread():
        threads(1)
        one = _cnn_block_grads()
        threads(2)
        two = _cnn_block_grads()
    for a, b in zip(one, two):
        assert np.array_equal(a, b)


def test_elementwise_and_norm_bitwise_equal_across_threads(threads):
    rng = np.random.default_rng(1)
    x = cr.from_numpy(rng.standard_normal((32, 16, 32, 32)).astype(np.float32))
    g = cr.from_numpy(rng.standard_normal((32, 16, 32, 32)).astype(np.float32))
    results = []
    for n in (1, 2):
        threads(n)
        xi = x.detach().requires_grad_()
        w, b = cr.ones(16, requires_grad=True), cr.zeros(16, requires_grad=True)
        y = cr.nn.functional.relu(cr.nn.functional.batch_norm(xi, None, None, w, b,
                                                                training=True))
        p = cr.nn.functional.max_pool2d(y, 2)
        (p * g[:, :, ::2, ::2]).sum().backward()
        results.append([t.detach().numpy() for t in (y, p, xi.grad, w.grad, b.grad)])
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def _parallel_sum_in_child(queue):
    chunks = [(i, i + 1) for i in range(16)]
    queue.put(sum(_threads.run_chunks(lambda a, b: a, chunks)))


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_threads_work_in_a_forked_child(threads):
    """A forked child has none of its parent's helper threads: the pool is made again there
    instead of waiting forever on threads that do not exist."""
    import multiprocessing
    threads(2)
    _threads.run_chunks(lambda a, b: a, [(0, 1), (1, 2)])        # the parent's pool exists
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_parallel_sum_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == sum(range(16))


class _FakeBlas:
    """A BLAS handle with one process-wide thread count (threadpoolctl's interface)."""

    def __init__(self, n):
        self.num_threads = n

    def set_num_threads(self, n):
        self.num_threads = n


def test_blas_setting_restored_after_concurrent_callers(threads, monkeypatch):
    """Two user threads in blas_on_one_thread at once: the BLAS is on one thread while either
    is inside, and back at its setting when both have left, whichever leaves first. (A fake
    BLAS handle: OpenBLAS ignores thread counts set from threads other than the main one.)"""
    import threading
    fake = _FakeBlas(2)
    monkeypatch.setitem(_threads._state, "blas", [fake])
    inside, first_out = threading.Barrier(3), threading.Event()
    seen = []

    def user(leave_first):
        with _threads.blas_on_one_thread():
            inside.wait(timeout=10)
            seen.append(fake.num_threads)
            if not leave_first:
                first_out.wait(timeout=10)
                seen.append(fake.num_threads)       # the other one has left by now
        if leave_first:
            first_out.set()
    workers = [threading.Thread(target=user, args=(k == 0,)) for k in range(2)]
    for w in workers:
        w.start()
    inside.wait(timeout=10)
    for w in workers:
        w.join(timeout=10)
    assert seen == [1, 1, 1]
    assert fake.num_threads == 2
