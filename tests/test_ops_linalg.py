"""The linalg family: dot, batch_dot, linalg_gemm2/gemm, FullyConnected, potrf, trsm, syrk,
khatri_rao, the mx.nd.linalg namespace, and the CPU GEMM's thread budget.

Expected values marked "MXNet 1.9.1" were printed by real MXNet for the same inputs.
"""
import threading
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minimx as mx
from minimx import engine
from minimx._kernels import get_backend
from minimx._kernels.cpu import gemm
from minimx.ops import get_op
from minimx.threads import budget

REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels


def nd(x, dtype="float32"):
    return mx.nd.array(np.asarray(x), dtype=dtype)


def arange(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)


# -- values observed in MXNet 1.9.1 --------------------------------------------------------------
def test_dot_transpose_a_nd_matches_mxnet():
    out = mx.nd.dot(nd(arange(4, 3, 2)), nd(arange(4, 3) / 10), transpose_a=True)
    assert out.shape == (3, 2, 3)     # lhs's first axis is contracted; lhs.shape[1:] stays
    np.testing.assert_allclose(out.asnumpy()[0], [[25.2, 28.8, 32.4], [27.0, 31.0, 35.0]],
                               rtol=1e-6)
    np.testing.assert_allclose(out.asnumpy()[2, 1], [34.2, 39.8, 45.4], rtol=1e-6)


def test_dot_transpose_b_nd_and_vectors_match_mxnet():
    out = mx.nd.dot(nd(arange(2, 3, 2) / 4), nd(arange(3, 2)), transpose_b=True)
    assert out.shape == (2, 3, 3)
    np.testing.assert_allclose(out.asnumpy()[1], [[1.75, 8.25, 14.75], [2.25, 10.75, 19.25],
                                                  [2.75, 13.25, 23.75]])
    vec = mx.nd.dot(nd([1, 2, 3]), nd([4, 5, 6]))
    assert vec.shape == (1,) and vec.asnumpy()[0] == 32.0     # legacy mode: no 0-d arrays


def test_dot_nd_contracts_last_with_first_axis():
    a, b = np.random.rand(2, 3, 4), np.random.rand(4, 5, 6)
    out = mx.nd.dot(nd(a, "float64"), nd(b, "float64"))
    assert out.shape == (2, 3, 5, 6)
    np.testing.assert_allclose(out.asnumpy(), np.tensordot(a, b, 1), rtol=1e-12)


def test_batch_dot_transposes_match_mxnet():
    e, f = nd(arange(2, 3, 2) / 3), nd(arange(2, 3, 2) - 5)
    np.testing.assert_allclose(mx.nd.batch_dot(e, f, transpose_a=True).asnumpy(),
                               [[[-10 / 3, -4 / 3], [-19 / 3, -10 / 3]],
                                [[80 / 3, 104 / 3], [89 / 3, 116 / 3]]], rtol=1e-6)
    out = mx.nd.batch_dot(e, f, transpose_b=True)
    assert out.shape == (2, 3, 3)
    np.testing.assert_allclose(out.asnumpy()[1, 2], [32 / 3, 74 / 3, 116 / 3], rtol=1e-6)


def test_fully_connected_matches_mxnet():
    x, w, b = nd(arange(2, 3, 2) / 10), nd(arange(4, 2) - 3), nd([1, -1, 0.5, 2])
    out = mx.nd.FullyConnected(x, w, b, num_hidden=4, flatten=False)
    assert out.shape == (2, 3, 4)
    np.testing.assert_allclose(out.asnumpy()[0, 0], [0.8, -1.0, 0.7, 2.4], atol=1e-6)
    np.testing.assert_allclose(out.asnumpy()[1, 2], [-4.2, -2.0, 3.7, 9.4], atol=1e-6)
    flat = mx.nd.FullyConnected(x, nd(arange(2, 6) / 7), num_hidden=2, no_bias=True)
    np.testing.assert_allclose(flat.asnumpy(), [[0.7857143, 2.0714288], [2.0714288, 6.442857]],
                               rtol=1e-6)


def test_fully_connected_bias_may_be_a_column():
    x, w = np.random.rand(3, 4), np.random.rand(5, 4)
    out = mx.nd.FullyConnected(nd(x), nd(w), nd(np.ones((5, 1))), num_hidden=5)
    np.testing.assert_allclose(out.asnumpy(), x @ w.T + 1, rtol=1e-5)


def test_fully_connected_1d_data_is_a_batch_of_scalars():
    out = mx.nd.FullyConnected(nd([1, 2, 3]), nd([[2.0]]), num_hidden=1, no_bias=True)
    assert out.shape == (3, 1)      # MXNet views (3,) as batch 3 with 1 input unit
    np.testing.assert_allclose(out.asnumpy().ravel(), [2, 4, 6])


def test_gemm2_and_gemm_with_row_axis_0_match_mxnet():
    g, h = nd(arange(3, 2, 2)), nd(arange(2, 2, 3) / 2)
    out = mx.nd.linalg_gemm2(g, h, axis=0, alpha=0.5)
    assert out.shape == (3, 2, 3)
    np.testing.assert_allclose(out.asnumpy()[:, 1], [[8.25, 9.5, 10.75], [20.25, 23.5, 26.75],
                                                     [32.25, 37.5, 42.75]])
    out = mx.nd.linalg_gemm(g, h, mx.nd.ones((3, 2, 3)), axis=0, alpha=0.5, beta=-2)
    np.testing.assert_allclose(out.asnumpy()[0], [[-0.5, -0.25, 0.0], [6.25, 7.5, 8.75]])


def test_linalg_namespace_is_thin_over_the_ops():
    a, b, c = np.random.rand(2, 3, 4), np.random.rand(2, 5, 4), np.random.rand(2, 3, 5)
    out = mx.nd.linalg.gemm2(nd(a), nd(b), transpose_b=True, alpha=2.0)
    np.testing.assert_allclose(out.asnumpy(), 2 * a @ b.transpose(0, 2, 1), rtol=1e-5)
    out = mx.nd.linalg.gemm(nd(a), nd(b), nd(c), transpose_b=True, beta=0.5)
    np.testing.assert_allclose(out.asnumpy(), a @ b.transpose(0, 2, 1) + 0.5 * c, rtol=1e-5)
    s = mx.nd.linalg.syrk(nd(a), alpha=0.5)
    np.testing.assert_allclose(s.asnumpy(), 0.5 * a @ a.transpose(0, 2, 1), rtol=1e-5)
    spd = a[0, :, :3] @ a[0, :, :3].T + 3 * np.eye(3)
    lower = mx.nd.linalg.potrf(nd(spd, "float64")).asnumpy()
    np.testing.assert_allclose(lower, np.linalg.cholesky(spd), rtol=1e-12)
    x = mx.nd.linalg.trsm(nd(lower, "float64"), nd(c[0, :, :4], "float64"), alpha=2.0)
    np.testing.assert_allclose(lower @ x.asnumpy(), 2 * c[0, :, :4], rtol=1e-10)


def test_trsm_reads_only_the_triangle_and_solves_each_side():
    low = np.tril(np.random.rand(3, 3)) + 2 * np.eye(3)
    full = low + np.triu(np.random.rand(3, 3), 1)     # garbage above the diagonal is ignored
    b, b2 = np.random.rand(3, 4), np.random.rand(4, 3)
    f = lambda *a, **k: mx.nd.linalg_trsm(*[nd(x, "float64") for x in a], **k).asnumpy()  # noqa
    np.testing.assert_allclose(low @ f(full, b), b, atol=1e-12)
    np.testing.assert_allclose(low.T @ f(full, b, transpose=True), b, atol=1e-12)
    np.testing.assert_allclose(f(full, b2, rightside=True) @ low, b2, atol=1e-12)
    np.testing.assert_allclose(low.T @ f(full.T, b, lower=False), b, atol=1e-12)


def test_khatri_rao_is_columnwise_kronecker():
    a, b, c = np.random.rand(2, 3), np.random.rand(4, 3), np.random.rand(1, 3)
    out = mx.nd.khatri_rao(nd(a, "float64"), nd(b, "float64"), nd(c, "float64"))
    expected = np.einsum("ir,jr,kr->ijkr", a, b, c).reshape(8, 3)
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-12)
    assert mx.nd.khatri_rao(nd(a)).shape == (2, 3)


# -- defaults and errors -------------------------------------------------------------------------
def test_mxnet_defaults():
    d = get_op("dot").parse({})
    assert d["transpose_a"] is False and d["transpose_b"] is False and d["forward_stype"] is None
    g = get_op("linalg_gemm").parse({})
    assert (g["alpha"], g["beta"], g["axis"]) == (1.0, 1.0, -2)
    fc = get_op("FullyConnected").parse({"num_hidden": 3})
    assert fc["no_bias"] is False and fc["flatten"] is True
    t = get_op("linalg_trsm").parse({})
    assert (t["transpose"], t["rightside"], t["lower"], t["alpha"]) == (False, False, True, 1.0)
    assert get_op("linalg_gemm2") is get_op("_linalg_gemm2")
    with pytest.raises(mx.MXNetError, match="num_hidden"):
        get_op("FullyConnected").parse({})


@pytest.mark.parametrize("call, message", [
    (lambda: mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((4, 5))), r"\(2, 3\) x \(4, 5\)"),
    (lambda: mx.nd.dot(mx.nd.ones((3,)), mx.nd.ones((3,)), transpose_a=True),
     "cannot transpose vectors"),
    (lambda: mx.nd.batch_dot(mx.nd.ones((3, 4)), mx.nd.ones((4, 5))), "N >= 3"),
    (lambda: mx.nd.batch_dot(mx.nd.ones((2, 3, 4)), mx.nd.ones((3, 4, 5))), "batch axes"),
    (lambda: mx.nd.batch_dot(mx.nd.ones((2, 3, 4)), mx.nd.ones((2, 3, 5))), "mismatch"),
    (lambda: mx.nd.linalg_gemm2(mx.nd.ones((2, 3, 4)), mx.nd.ones((2, 4, 5)), axis=-1),
     "axis -1 is not a valid row axis"),
    (lambda: mx.nd.linalg_gemm2(mx.nd.ones((3, 4)), mx.nd.ones((5, 4))), "incompatible matrix"),
    (lambda: mx.nd.linalg_gemm(mx.nd.ones((3, 4)), mx.nd.ones((4, 5)), mx.nd.ones((3, 6))),
     r"C has shape \(3, 6\)"),
    (lambda: mx.nd.linalg_gemm(mx.nd.ones((3, 4)), mx.nd.ones((4, 5))), "input 'C' is missing"),
    (lambda: mx.nd.FullyConnected(mx.nd.ones((2, 3, 4)), mx.nd.ones((5, 4)), mx.nd.ones(5),
                                  num_hidden=5), r"must be \(5, 12\)"),
    (lambda: mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((5, 3)), mx.nd.ones(6),
                                  num_hidden=5), "bias has shape"),
    (lambda: mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((5, 3)), num_hidden=5),
     "expects three inputs"),
    (lambda: mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((5, 3)), mx.nd.ones(5),
                                  num_hidden=5, no_bias=True), "no_bias=True takes two"),
    (lambda: mx.nd.dot(mx.nd.ones((2, 3), dtype="int32"), mx.nd.ones((3, 2), dtype="int32")),
     "float16, float32 and float64"),
    (lambda: mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((3, 2), dtype="float64")), "same dtype"),
    (lambda: mx.nd.linalg_potrf(mx.nd.ones((3, 4))), "square"),
    (lambda: mx.nd.khatri_rao(mx.nd.ones((2, 3)), mx.nd.ones((4, 2))), "same number of columns"),
])
def test_bad_input_raises_mxnet_error(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()


# -- shape rules against MXNet's formulas (hypothesis) --------------------------------------------
small = st.integers(1, 4)


@given(st.lists(small, min_size=1, max_size=3), st.lists(small, min_size=0, max_size=2), small,
       st.booleans(), st.booleans())
def test_dot_shapes_follow_mxnet(front, back, k, ta, tb):
    if not front and not back:
        return
    lhs = (k,) + tuple(front) if ta else tuple(front) + (k,)
    rhs = tuple(back) + (k,) if tb else (k,) + tuple(back)
    if len(lhs) == 1 and len(rhs) == 1 and (ta or tb):
        return
    a, b = np.random.rand(*lhs), np.random.rand(*rhs)
    out = mx.nd.dot(nd(a, "float64"), nd(b, "float64"), transpose_a=ta, transpose_b=tb)
    assert out.shape == (tuple(front) + tuple(back) or (1,))
    a2 = a.reshape(k, -1).T if ta else a.reshape(-1, k)
    b2 = b.reshape(-1, k).T if tb else b.reshape(k, -1)
    np.testing.assert_allclose(out.asnumpy().ravel(), (a2 @ b2).ravel(), rtol=1e-12)


@given(st.lists(small, min_size=2, max_size=4), small, small, small, st.data())
def test_gemm2_shapes_and_values_for_every_row_axis(batch, m, k, n, data):
    nd_ = len(batch)
    axis = data.draw(st.sampled_from([a for a in range(-nd_, nd_ - 1) if a % nd_ != nd_ - 1]))
    row = axis % nd_
    ta, tb = data.draw(st.booleans()), data.draw(st.booleans())
    a_shape, b_shape = list(batch), list(batch)
    a_shape[row], a_shape[-1] = (k, m) if ta else (m, k)
    b_shape[row], b_shape[-1] = (n, k) if tb else (k, n)
    a, b = np.random.rand(*a_shape), np.random.rand(*b_shape)
    out = mx.nd.linalg_gemm2(nd(a, "float64"), nd(b, "float64"), transpose_a=ta, transpose_b=tb,
                             axis=axis).asnumpy()
    am, bm = np.moveaxis(a, row, -2), np.moveaxis(b, row, -2)
    am = am.swapaxes(-1, -2) if ta else am
    bm = bm.swapaxes(-1, -2) if tb else bm
    np.testing.assert_allclose(out, np.moveaxis(am @ bm, -2, row), rtol=1e-12)


# -- the CPU kernels against the reference -------------------------------------------------------
def _both(name, ins, out_shape, attrs):
    op = get_op(name)
    attrs = op.parse(attrs)
    outs = [np.full(out_shape, np.nan, ins[0].dtype) for _ in range(2)]
    REF[op.kernel](tuple(ins), (outs[0],), attrs)
    CPU[op.kernel](tuple(ins), (outs[1],), attrs)
    return outs


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (7, 13, 5), (300, 65, 257), (0, 3, 4),
                                     (3, 0, 4)])
@pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True), (True, True)])
def test_cpu_dot_matches_reference(dtype, m, k, n, ta, tb):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    ref, cpu = _both("dot", (a, b), (m, n), {"transpose_a": ta, "transpose_b": tb})
    tol = {"float16": 1e-2, "float32": 1e-4, "float64": 1e-12}[dtype]
    np.testing.assert_allclose(cpu, ref, rtol=tol, atol=tol * max(1, k))


@pytest.mark.parametrize("batch, m, k, n", [(5, 3, 4, 2), (1, 400, 60, 130), (3, 1, 200, 300),
                                            (0, 2, 3, 4)])
def test_cpu_batch_dot_gemm_fc_match_reference(batch, m, k, n):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((batch, k, m)).astype("float32")
    b = rng.standard_normal((batch, k, n)).astype("float32")
    c = rng.standard_normal((batch, m, n)).astype("float32")
    ref, cpu = _both("batch_dot", (a, b), (batch, m, n), {"transpose_a": True})
    np.testing.assert_allclose(cpu, ref, rtol=1e-4, atol=1e-3)
    attrs = {"transpose_a": True, "alpha": 0.5, "beta": -2.0}
    ref, cpu = _both("linalg_gemm", (a, b, c), (batch, m, n), attrs)
    np.testing.assert_allclose(cpu, ref, rtol=1e-4, atol=1e-3)
    x, w = a.reshape(-1, m), rng.standard_normal((n, m)).astype("float32")
    bias = rng.standard_normal(n).astype("float32")
    ref, cpu = _both("FullyConnected", (x, w, bias), (x.shape[0], n), {"num_hidden": n})
    np.testing.assert_allclose(cpu, ref, rtol=1e-4, atol=1e-3)


def test_cpu_gemm_with_inner_row_axis_matches_reference():
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal(s) for s in [(6, 3, 4), (5, 3, 4), (6, 3, 5)])
    attrs = {"axis": 0, "transpose_b": True, "alpha": 2.0, "beta": 0.5}
    ref, cpu = _both("linalg_gemm", (a, b, c), (6, 3, 5), attrs)
    np.testing.assert_allclose(cpu, ref, rtol=1e-12)


# -- the thread budget ---------------------------------------------------------------------------
def _record_blocks(monkeypatch):
    seen = []
    lock = threading.Lock()
    original = gemm.run_blocks

    def recording(fn, n, nthreads, *args, **kwargs):
        with lock:
            seen.append((threading.current_thread().name, n, nthreads))
        return original(fn, n, nthreads, *args, **kwargs)
    monkeypatch.setattr(gemm, "run_blocks", recording)
    return seen


def test_blas_is_limited_to_one_thread_at_first_use():
    import threadpoolctl
    mx.nd.dot(mx.nd.ones((64, 64)), mx.nd.ones((64, 64))).wait_to_read()
    for pool in threadpoolctl.threadpool_info():
        if pool["user_api"] == "blas":
            assert pool["num_threads"] == 1


def _blas_count():
    import threadpoolctl
    return [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]


def _known_lane(name, seconds_per_flop):
    """A blas_threads lane whose one-thread baseline is already measured."""
    from minimx._kernels.cpu import blas_threads
    st = blas_threads.lane_state(name)
    st.single, st.until, st.fails = seconds_per_flop, 0.0, 0
    return st


def test_overlapping_blas_windows_leave_blas_on_one_thread(monkeypatch):
    # OpenBLAS's thread count is process-wide: two kernels whose raised windows overlap must not
    # restore each other's value (the second one out would leave BLAS on two threads for good).
    from minimx._kernels.cpu.blas_threads import blas_call
    if not gemm.blas_threads():
        pytest.skip("numpy's BLAS has no openblas_set_num_threads_local")
    monkeypatch.setattr(budget, "waiting", 1)     # as if the main thread slept in a wait
    _known_lane("test-overlap", 1.0)          # a baseline no call can lose against
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((64, 784)).astype("float32"), \
        rng.standard_normal((784, 256)).astype("float32")
    out, inside = np.empty((64, 256), np.float32), []
    outer_in, inner_in, outer_done = threading.Event(), threading.Event(), threading.Event()

    def inner():                 # enters while `outer` runs, leaves after it
        inner_in.set()
        outer_done.wait(10)
        np.matmul(a, b, out=out)
        inside.append(_blas_count())

    def outer():
        outer_in.set()
        inner_in.wait(10)
        inside.append(_blas_count())

    t = threading.Thread(
        target=lambda: outer_in.wait(10) and blas_call(inner, 2, 1, "test-overlap"))
    t.start()
    blas_call(outer, 2, 1, "test-overlap")
    outer_done.set()
    t.join()
    assert inside == [[2], [2]]      # the inner window keeps its threads after the outer ends
    assert _blas_count() == [1]      # and the last one out restores one thread
    np.testing.assert_allclose(out, a @ b, rtol=1e-4, atol=1e-3)


def test_threaded_blas_backs_off_when_it_loses():
    # On a machine where another process holds a core, OpenBLAS's threads are ~100x slower than
    # one thread; a threaded call slower than twice the one-thread estimate turns threading off.
    from minimx._kernels.cpu.blas_threads import blas_call
    if not gemm.blas_threads():
        pytest.skip("numpy's BLAS has no openblas_set_num_threads_local")
    st = _known_lane("test-backoff", 1e-18)   # so fast a baseline that any threaded call loses
    seen = []
    blas_call(lambda: seen.append(_blas_count()), 2, 1000, "test-backoff")
    assert seen == [[2]] and st.lost == 1 and st.until > 0
    blas_call(lambda: seen.append(_blas_count()), 2, 1000, "test-backoff")
    assert seen[1] == [1]                     # backed off: one thread, and a fresh baseline
    assert st.single > 1e-18 and st.threaded == 1
    st = _known_lane("test-wins", 1.0)        # a call that wins keeps threading on
    blas_call(lambda: None, 2, 1000, "test-wins")
    blas_call(lambda: seen.append(_blas_count()), 2, 1000, "test-wins")
    assert seen[2] == [2] and st.lost == 0 and st.threaded == 2


def test_engine_worker_threads_blas_only_while_the_pusher_waits():
    # The main thread running Python next to a 2-thread GEMM makes three threads on two cores:
    # OpenBLAS's threads then stall. A worker raises the count only while a thread waits.
    from minimx._kernels.cpu.blas_threads import blas_call
    if not gemm.blas_threads():
        pytest.skip("numpy's BLAS has no openblas_set_num_threads_local")
    _known_lane("test-pusher", 1.0)
    seen = []

    def worker():
        blas_call(lambda: seen.append(_blas_count()), 2, 1000, "test-pusher")
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [[1]]          # nobody waits: the main thread is busy (here: in join)
    old = engine.get_engine().name
    engine.set_engine("threaded")
    try:
        x = mx.nd.ones((1, 1))
        gate = threading.Event()
        engine.get_engine().push(lambda: (gate.wait(10), worker()), (), (x._chunk,), None, "gemm")
        threading.Timer(0.2, gate.set).start()
        x.wait_to_read()          # the main thread sleeps in an engine wait meanwhile
    finally:
        engine.set_engine(old)
    assert seen == [[1], [2]]


@pytest.mark.skipif(mx.current_context().backend.name != "cpu",
                    reason="the GEMM thread split is the Cython/BLAS backend's")
def test_two_concurrent_dots_get_one_thread_each(monkeypatch):
    old = engine.get_engine().name
    engine.set_engine("threaded")
    try:
        if engine.get_engine().cpu_workers < 2:
            pytest.skip("needs two engine workers")
        monkeypatch.setattr(budget, "total", 2)        # as on a 2-core machine
        seen = _record_blocks(monkeypatch)
        x, y1 = mx.nd.ones((1024, 1024)), mx.nd.ones((1024, 1024))
        y2 = y1 * 2
        mx.nd.waitall()
        gate = threading.Event()      # hold x until all three products are pushed (no timing luck)
        engine.get_engine().push(gate.wait, (), (x._chunk,), None, "gate")
        a = mx.nd.dot(x, x)           # both products below read `a`: they become ready together
        r1 = mx.nd.dot(a, y1)
        r2 = mx.nd.dot(a, y2)
        gate.set()
        mx.nd.waitall()
        np.testing.assert_allclose(r2.asnumpy()[:2, :2], 2 * r1.asnumpy()[:2, :2])
        assert seen[0][2] == 2, seen           # alone: both cores
        assert [s[2] for s in seen[1:]] == [1, 1], seen     # together: one each
    finally:
        engine.set_engine(old)


# -- speed (slow: run with -m slow) --------------------------------------------------------------
@pytest.mark.slow
def test_2048_matmul_reaches_numpy_speed():
    """mx.nd.dot (1-thread BLAS, split over minimx's threads) vs numpy with all its BLAS threads.

    Interleaved in one process, so both see the same load: numpy's timings run inside
    ``threadpool_limits(os.cpu_count())``, which restores BLAS's default thread count for them.
    """
    import os
    import threadpoolctl
    n = 2048
    flops = 2 * n ** 3
    a = np.random.rand(n, n).astype(np.float32)
    b = np.random.rand(n, n).astype(np.float32)
    a_nd, b_nd = mx.nd.array(a), mx.nd.array(b)
    mx.nd.dot(a_nd, b_nd).wait_to_read()
    t_numpy, t_mx = [], []
    for _ in range(8):
        with threadpoolctl.threadpool_limits(os.cpu_count(), user_api="blas"):
            t = time.perf_counter()
            a @ b
            t_numpy.append(time.perf_counter() - t)
        t = time.perf_counter()
        mx.nd.dot(a_nd, b_nd).wait_to_read()
        t_mx.append(time.perf_counter() - t)
    ratio = np.median(t_numpy) / np.median(t_mx)
    print(f"\n2048x2048 float32 matmul on {os.cpu_count()} cores: numpy "
          f"{flops / np.median(t_numpy) / 1e9:.1f} GFLOP/s, mx.nd.dot "
          f"{flops / np.median(t_mx) / 1e9:.1f} GFLOP/s (medians), ratio {ratio:.3f}")
    assert ratio >= 0.8
