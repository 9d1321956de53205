"""No leaks (issue 10, part 4): training keeps memory flat; switching engines leaves no threads behind.

RSS is read from /proc (Linux); elsewhere these tests skip. The CI versions are short; the ``slow``
ones are the runs recorded in tests/RELIABILITY.md (``pytest -m slow tests/test_reliability_leaks.py
-s`` prints their measurements).
"""
import gc
import os
import threading

import numpy as np
import pytest

import minimx as mx
from minimx import autograd, engine, gluon

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"),
                                reason="RSS, thread and fd counts are read from /proc (Linux)")
TOLERANCE = 0.05     # RSS may grow by at most 5% after warm-up


def rss():
    """This process's resident set size, in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def native_threads():
    return len(os.listdir("/proc/self/task"))


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def train_mlp(steps, hybridize, samples=10):
    """Train a 2-layer MLP for `steps` steps; returns RSS (bytes) at `samples` evenly spaced steps."""
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(64, activation="relu"), gluon.nn.Dense(10))
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.RandomState(0)
    x = mx.nd.array(rng.randn(32, 20))
    y = mx.nd.array(rng.randint(0, 10, 32))
    every = max(1, steps // samples)
    measured = []
    for i in range(steps):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(32)
        if (i + 1) % every == 0:
            loss.wait_to_read()
            gc.collect()
            measured.append(rss())
    assert np.isfinite(loss.asnumpy()).all()
    return measured


def check_flat(measured, label):
    """After the first quarter (warm-up), RSS stays within TOLERANCE of its value then."""
    warm = measured[len(measured) // 4]
    peak = max(measured[len(measured) // 4:])
    growth = peak / warm - 1
    mib = [round(m / 2**20, 1) for m in measured]
    print(f"\n{label}: RSS MiB {mib}, growth after warm-up {growth:+.2%}")
    assert growth <= TOLERANCE, f"{label}: RSS grew {growth:.1%} after warm-up: {mib} MiB"


@pytest.fixture
def threaded_engine():
    old = engine.get_engine().name
    engine.set_engine("threaded")
    yield
    engine.set_engine(old)


@pytest.mark.usefixtures("threaded_engine")
@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_training_keeps_rss_flat(hybridize):
    check_flat(train_mlp(400, hybridize, samples=8), f"400 steps, hybridize={hybridize}")


@pytest.mark.slow
@pytest.mark.usefixtures("threaded_engine")
@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_training_keeps_rss_flat_long(hybridize):
    check_flat(train_mlp(2000, hybridize, samples=20), f"2000 steps, hybridize={hybridize}")


def _switch_engines(times):
    for i in range(times):
        engine.set_engine("threaded" if i % 2 == 0 else "naive")
        a = mx.nd.ones((64, 64))
        (mx.nd.dot(a, a) + 1).wait_to_read()    # start the workers of the new engine
        v = engine.new_var()
        engine.push(lambda: None, (), (v,), name="noop")
        engine.wait_for_var(v)
    mx.nd.waitall()


def _settled(count, baseline, tries=50):
    """A count that has come back to `baseline` (stopping threads take a moment to leave /proc)."""
    for _ in range(tries):
        n = count()
        if n <= baseline:
            return n
        threading.Event().wait(0.02)
    return count()


@pytest.mark.parametrize("times", [50])
def test_engine_switches_leave_no_threads_or_fds(times):
    old = engine.get_engine().name
    try:
        _switch_engines(2)        # warm-up: the first threaded engine, kernels' own pools
        engine.set_engine("naive")
        py_threads, os_threads, fds = threading.active_count(), native_threads(), open_fds()
        _switch_engines(times)
        engine.set_engine("naive")
        assert _settled(threading.active_count, py_threads) <= py_threads, \
            [t.name for t in threading.enumerate()]
        assert _settled(native_threads, os_threads) <= os_threads
        assert open_fds() <= fds
    finally:
        engine.set_engine(old)
