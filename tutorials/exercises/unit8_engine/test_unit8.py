"""Tests of unit 8 (the engine's rules): minimx's real ThreadedEngine and a sequential run are
the oracles, on programs hypothesis draws."""
import threading
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine_rules import schedule, waves
from minimx.engine import ThreadedEngine, Var
from tiny_engine import TinyEngine

VARS = "abcd"


@st.composite
def programs(draw, max_ops=7):
    """Pushes (name, reads, writes): each op reads, writes or ignores each variable."""
    ops = []
    for i in range(draw(st.integers(1, max_ops))):
        roles = draw(st.lists(st.sampled_from("-rrw"), min_size=len(VARS), max_size=len(VARS)))
        ops.append((f"op{i}", [v for v, r in zip(VARS, roles) if r == "r"],
                    [v for v, r in zip(VARS, roles) if r == "w"]))
    return ops


def check_against_engine(pushes, steps, settle=0.03, timeout=3.0):
    """Run ``pushes`` on minimx's ThreadedEngine, each op blocked until the test releases it,
    and check that the ops start in the waves ``steps`` claims.

    Wave by wave: wait until every op claimed for this step has started (an op the engine holds
    back fails: it waits for an earlier op), give the engine ``settle`` seconds to start anything
    else that is ready (an op that starts too fails: it could have started earlier), then release
    the wave and go on to the next step.
    """
    assert len(steps) == len(pushes), f"schedule returned {len(steps)} steps for {len(pushes)} ops"
    assert all(s in range(len(pushes)) for s in steps), f"steps {steps}: each in 0..{len(pushes) - 1}"
    engine = ThreadedEngine(cpu_workers=len(pushes), max_inflight=10_000)
    variables = {v: Var() for v in VARS}
    started, cond = [], threading.Condition()
    release = [threading.Event() for _ in pushes]

    def op(i):
        def fn():
            with cond:
                started.append(i)
                cond.notify_all()
            release[i].wait(timeout * 3)
        return fn

    try:
        for i, (name, reads, writes) in enumerate(pushes):
            engine.push(op(i), [variables[v] for v in reads], [variables[v] for v in writes],
                        None, name, False)
        for step in range(max(steps) + 1):
            wave = {i for i, s in enumerate(steps) if s == step}
            with cond:
                ok = cond.wait_for(lambda: wave <= set(started), timeout)
                missing = sorted(wave - set(started))
            assert ok, (f"step {step}: {[pushes[i][0] for i in missing]} cannot start yet: they "
                        f"wait for an op that has not finished ({pushes})")
            time.sleep(settle)
            with cond:
                early = sorted(set(started) - {i for i, s in enumerate(steps) if s <= step})
            assert not early, (f"step {step}: the engine already started "
                               f"{[(pushes[i][0], steps[i]) for i in early]} (name, your step) "
                               f"({pushes})")
            for i in wave:
                release[i].set()
    finally:
        for e in release:
            e.set()
        engine.wait_all()
        engine.shutdown()


# -- 8.1: the earliest schedule --------------------------------------------------------------------

@pytest.mark.ex8_1
def test_schedule_examples():
    assert schedule([]) == []
    assert schedule([("w", [], ["a"]), ("r1", ["a"], ["b"]), ("r2", ["a"], ["c"]),
                     ("w2", [], ["a"])]) == [0, 1, 1, 2]
    assert schedule([("x", ["a"], []), ("y", ["a"], []), ("z", [], ["b"])]) == [0, 0, 0]  # reads
    assert schedule([("r", ["a"], ["b"]), ("w", [], ["a"])]) == [0, 1]      # write after read
    assert schedule([("w1", [], ["a"]), ("w2", [], ["a"])]) == [0, 1]       # write after write
    assert schedule([("w", [], ["a"]), ("n", [], []), ("r", ["a"], [])]) == [0, 0, 1]
    assert waves([("w", [], ["a"]), ("r1", ["a"], []), ("r2", ["a"], [])]) == [["w"], ["r1", "r2"]]


@pytest.mark.ex8_1
@settings(max_examples=12)
@given(pushes=programs())
def test_schedule_matches_the_threaded_engine(pushes):
    check_against_engine(pushes, schedule(pushes))


# -- 8.2: a tiny engine ----------------------------------------------------------------------------

@st.composite
def timed_programs(draw):
    """Ops (reads, writes, pause before reading, pause before writing)."""
    pause = st.sampled_from([0.0, 0.0, 0.001, 0.005])
    return [(reads, writes, draw(pause), draw(pause)) for _, reads, writes in draw(programs(8))]


def run_program(ops, engine=None):
    """Run ``ops`` on ``engine`` (one after another if None); returns the final variables.

    Op i sleeps, reads its variables (those it writes too), sleeps, and writes into each variable
    it writes a value that depends on everything it read, on i and on the variable.
    """
    state = {v: ord(v) for v in VARS}

    def body(i, reads, writes, pause_read, pause_write):
        def fn():
            time.sleep(pause_read)
            total = sum(state[v] * (k + 3) for k, v in enumerate(sorted(reads + writes)))
            time.sleep(pause_write)
            for k, v in enumerate(writes):
                state[v] = (total * 31 + i * 7 + k) % 1_000_003
        return fn

    for i, (reads, writes, p_read, p_write) in enumerate(ops):
        fn = body(i, list(reads), list(writes), p_read, p_write)
        if engine is None:
            fn()
        else:
            engine.push(fn, reads, writes)
    if engine is not None:
        engine.wait_all()
    return state


@pytest.mark.ex8_2
@settings(max_examples=15)
@given(ops=timed_programs())
# The three hazards, each with a pause that exposes an engine that ignores it:
@example(ops=[(["a"], ["b"], 0.1, 0.0), ([], ["a"], 0.0, 0.0)])        # write after read
@example(ops=[([], ["a"], 0.0, 0.1), (["a"], ["b"], 0.0, 0.0)])        # read after write
@example(ops=[([], ["a"], 0.0, 0.1), ([], ["a"], 0.0, 0.0)])           # write after write
@example(ops=[([], ["a"], 0.0, 0.05), (["a"], ["b"], 0.0, 0.0), (["a"], ["c"], 0.05, 0.0),
              ([], ["a"], 0.0, 0.0), (["a"], ["d"], 0.0, 0.0)])
def test_tiny_engine_matches_sequential_run(ops):
    assert run_program(ops, TinyEngine()) == run_program(ops)


def _elapsed(pushes):
    engine, t0 = TinyEngine(), time.perf_counter()
    for reads, writes in pushes:
        engine.push(lambda: time.sleep(0.3), reads, writes)
    engine.wait_all()
    return time.perf_counter() - t0


@pytest.mark.ex8_2
def test_tiny_engine_runs_independent_ops_and_readers_together():
    # Each op sleeps 0.3 s: two of them one after the other take 0.6 s.
    assert _elapsed([([], ["a"]), ([], ["b"]), (["c"], ["d"])]) < 0.55, "independent ops: serialised"
    assert _elapsed([(["a"], ["b"]), (["a"], ["c"])]) < 0.55, "two readers of one variable: serialised"


@pytest.mark.ex8_2
def test_tiny_engine_wait_all_raises_and_recovers():
    engine, seen = TinyEngine(), []
    engine.push(lambda: 1 / 0, [], ["a"])
    engine.push(lambda: seen.append(1), ["a"], [])
    with pytest.raises(ZeroDivisionError):
        engine.wait_all()
    assert seen == [1]
    engine.push(lambda: seen.append(2), ["a"], ["b"])
    engine.wait_all()                          # the error was reported once
    assert seen == [1, 2]
