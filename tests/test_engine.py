"""The dependency engine: ordering, parallelism, failures, backpressure, stress.

Programs of random reads and writes must give identical results on the threaded engine and on the
naive engine (the oracle); failures surface exactly at the waits that depend on them.
"""
import random
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx.base import MXNetError
from minimx.engine import NaiveEngine, ThreadedEngine, Var, push
from minimx.engine.var import Opr


def _engines():
    return [("threaded", lambda: ThreadedEngine(cpu_workers=3, max_inflight=64)),
            ("naive", NaiveEngine)]


# -- the four rules -----------------------------------------------------------------------------
def test_readers_run_together_and_writers_alone():
    v, ready = Var(), []
    r1, r2, w, r3 = (Opr(None, (), (), n, None) for n in ("r1", "r2", "w", "r3"))
    for op in (r1, r2, w, r3):
        op.wait = 1
    assert v.append_read(r1) and v.append_read(r2)     # rule 1: readers share
    assert not v.append_write(w)                       # rule 2: the writer waits for them
    assert not v.append_read(r3)                       # a later reader waits behind the writer
    v.complete_read(ready)
    assert ready == []                                 # one reader still runs
    v.complete_read(ready)                             # rule 3: the last reader lets the writer go
    assert ready == [w]
    v.complete_write(ready)                            # rule 4: the writer lets the readers go
    assert ready == [w, r3]


def test_write_after_write_keeps_push_order():
    v, ready = Var(), []
    ops = [Opr(None, (), (), str(i), None) for i in range(3)]
    for op in ops:
        op.wait = 1
    assert v.append_write(ops[0])
    assert not v.append_write(ops[1]) and not v.append_write(ops[2])
    v.complete_write(ready)
    assert ready == [ops[1]]
    v.complete_write(ready)
    assert ready == [ops[1], ops[2]]


def test_push_rejects_a_variable_listed_twice():
    v = Var()
    with pytest.raises(MXNetError, match="listed twice"):
        push(lambda: None, reads=(v,), writes=(v,))
    with pytest.raises(MXNetError, match="listed twice"):
        push(lambda: None, reads=(v, v))
    with pytest.raises(MXNetError, match="not an engine Var"):
        push(lambda: None, writes=(object(),))


# -- random programs: threaded == naive ------------------------------------------------------------
def _run_program(engine, program, nvars, jitter):
    """Each op reads some cells and writes f(read values, op id) into others."""
    cells = [0] * nvars
    vars_ = [Var() for _ in range(nvars)]
    rnd = random.Random(7)
    for op_id, (reads, writes) in enumerate(program):
        delay = rnd.random() * jitter

        def fn(reads=reads, writes=writes, op_id=op_id, delay=delay):
            total = sum(cells[r] for r in reads) + op_id
            if delay:
                time.sleep(delay)
            for w in writes:
                cells[w] = (cells[w] * 31 + total) % 1000003
        engine.push(fn, tuple(vars_[r] for r in reads), tuple(vars_[w] for w in writes),
                    None, f"op{op_id}", op_id % 3 == 0)
    engine.wait_all()
    return cells


programs = st.integers(3, 8).flatmap(lambda n: st.tuples(st.just(n), st.lists(
    st.tuples(st.sets(st.integers(0, n - 1), max_size=3), st.sets(st.integers(0, n - 1), min_size=1, max_size=2)),
    min_size=1, max_size=60)))


@given(programs)
@settings(max_examples=30, deadline=None)
def test_random_programs_match_the_naive_engine(prog):
    nvars, raw = prog
    program = [(tuple(sorted(r - w)), tuple(sorted(w))) for r, w in raw]
    expected = _run_program(NaiveEngine(), program, nvars, 0)
    engine = ThreadedEngine(cpu_workers=3, max_inflight=8)
    try:
        assert _run_program(engine, program, nvars, 0.0005) == expected
    finally:
        engine.shutdown()


# -- parallelism -------------------------------------------------------------------------------
def test_independent_ops_run_in_parallel():
    engine = ThreadedEngine(cpu_workers=2, max_inflight=64)
    try:
        a, b = Var(), Var()
        start = time.perf_counter()
        engine.push(lambda: time.sleep(0.5), (), (a,), None, "sleep_a")
        engine.push(lambda: time.sleep(0.5), (), (b,), None, "sleep_b")
        engine.wait_all()
        assert time.perf_counter() - start < 0.9     # one after the other would take 1.0 s
    finally:
        engine.shutdown()


def test_dependent_ops_do_not_overlap():
    engine = ThreadedEngine(cpu_workers=4, max_inflight=64)
    try:
        v, log = Var(), []
        for i in range(20):
            def fn(i=i):
                log.append(("start", i))
                time.sleep(0.001)
                log.append(("end", i))
            engine.push(fn, (), (v,), None, "w")
        engine.wait_all()
        assert log == [x for i in range(20) for x in (("start", i), ("end", i))]
    finally:
        engine.shutdown()


def test_profiling_records_start_end_and_thread():
    engine = ThreadedEngine(cpu_workers=2, max_inflight=64)
    try:
        engine.profiling = True
        engine.push(lambda: time.sleep(0.01), (), (Var(),), None, "slow_op")
        engine.wait_all()
        (name, start, end, thread), = engine.records
        assert name == "slow_op" and end - start >= 0.009 and thread.startswith("minimx-cpu")
    finally:
        engine.shutdown()


# -- failures ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,make", _engines())
def test_failure_surfaces_at_dependent_waits_only(name, make):
    engine = make()
    bad, downstream, independent = Var(), Var(), Var()

    def boom():
        raise ValueError("bad value")
    engine.push(boom, (), (bad,), None, "exploding_op")
    engine.push(lambda: None, (bad,), (downstream,), None, "reader")
    engine.push(lambda: None, (), (independent,), None, "fine")
    engine.wait_for_var(independent)                      # not affected
    for v in (bad, downstream):
        with pytest.raises(MXNetError, match=r"exploding_op .*test_engine.py:\d+.*ValueError: bad value"):
            engine.wait_for_var(v)
    engine.wait_all()     # raised at the waits above already: wait_all returns (as MXNet's does)
    out = Var()
    done = []
    engine.push(lambda: done.append(1), (independent,), (out,), None, "later")
    engine.wait_for_var(out)
    assert done == [1]
    engine.shutdown()


def test_failure_in_a_worker_does_not_kill_it():
    engine = ThreadedEngine(cpu_workers=1, max_inflight=64)
    try:
        for i in range(5):
            engine.push(lambda: 1 / 0, (), (Var(),), None, "div")
        v, done = Var(), []
        engine.push(lambda: done.append(1), (), (v,), None, "ok")
        engine.wait_for_var(v)
        assert done == [1]
        with pytest.raises(MXNetError, match="ZeroDivisionError"):
            engine.wait_all()
    finally:
        engine.shutdown()


# -- backpressure and stress -------------------------------------------------------------------
def test_backpressure_bounds_queued_ops():
    engine = ThreadedEngine(cpu_workers=1, max_inflight=16)
    try:
        gate, peak = threading.Event(), []
        v = Var()
        engine.push(gate.wait, (), (v,), None, "gate")
        pusher = threading.Thread(target=lambda: [
            engine.push(lambda: None, (), (v,), None, "w") for _ in range(100)])
        pusher.start()
        time.sleep(0.2)
        peak.append(engine._queued)
        assert pusher.is_alive()              # blocked: the queue is full
        assert peak[0] <= 16
        gate.set()
        pusher.join(10)
        assert not pusher.is_alive()
        engine.wait_all()
    finally:
        engine.shutdown()


def test_ten_thousand_ops_from_several_threads_without_deadlock():
    engine = ThreadedEngine(cpu_workers=2, max_inflight=256)
    try:
        vars_ = [Var() for _ in range(16)]
        counts = [0] * 16
        lock = threading.Lock()

        def pusher(seed):
            rnd = random.Random(seed)
            for _ in range(2500):
                i = rnd.randrange(16)
                r = rnd.randrange(16)
                reads = () if r == i else (vars_[r],)

                def fn(i=i):
                    with lock:
                        counts[i] += 1
                engine.push(fn, reads, (vars_[i],), None, "inc", rnd.random() < 0.5)
        threads = [threading.Thread(target=pusher, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        engine.wait_all()
        assert sum(counts) == 10000
    finally:
        engine.shutdown()


def test_waitall_does_not_raise_a_failure_a_wait_already_raised(engine_kind):
    # MXNet 1.9.1: once asnumpy() has raised an op's failure, waitall() returns normally.
    later = mx.nd.linalg.potrf(mx.nd.array([[-1.0, 0], [0, -1]])) * 2
    with pytest.raises(mx.MXNetError):
        later.asnumpy()
    mx.nd.waitall()
    mx.nd.linalg.potrf(mx.nd.array([[-1.0, 0], [0, -1]]))
    with pytest.raises(mx.MXNetError, match="potrf"):
        mx.nd.waitall()
