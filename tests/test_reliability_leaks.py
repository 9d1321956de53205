"""No leaks (issue 10, part 4): training keeps memory flat; switching engines leaves no threads behind.

RSS is read from /proc (Linux); elsewhere these tests skip. The CI versions are short; the ``slow``
ones are the runs recorded in tests/RELIABILITY.md (``pytest -m slow tests/test_reliability_leaks.py
-s`` prints their measurements).
"""
import gc
import multiprocessing
import os
import tempfile
import threading
import time

import numpy as np
import pytest

# The OpenCL runs use PoCL's CPU device when there is no GPU (set before minimx starts OpenCL).
os.environ.setdefault("POCL_CACHE_DIR", tempfile.mkdtemp(prefix="minimx-pocl-"))
os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")

import minimx as mx  # noqa: E402
from minimx import autograd, engine, gluon  # noqa: E402
from minimx._kernels import opencl  # noqa: E402
from minimx.data import _shm  # noqa: E402

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


def train_mlp(steps, hybridize, samples=10, ctx=None):
    """Train a 2-layer MLP for `steps` steps; returns RSS (bytes) at `samples` evenly spaced steps."""
    ctx = ctx or mx.cpu()
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(64, activation="relu"), gluon.nn.Dense(10))
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if hybridize:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.RandomState(0)
    x = mx.nd.array(rng.randn(32, 20), ctx=ctx)
    y = mx.nd.array(rng.randint(0, 10, 32), ctx=ctx)
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
    start = time.perf_counter()
    check_flat(train_mlp(LONG_STEPS, hybridize, samples=20),
               f"cpu, {LONG_STEPS} steps, hybridize={hybridize}")
    print(f"took {time.perf_counter() - start:.0f} s")


LONG_STEPS = 10_000
OPENCL_STEPS = int(os.environ.get("MINIMX_LEAK_OPENCL_STEPS", "10000"))
_OPENCL = opencl.missing_reason()


@pytest.mark.slow
@pytest.mark.skipif(_OPENCL is not None, reason=f"OpenCL backend unavailable: {_OPENCL}")
@pytest.mark.usefixtures("threaded_engine")
@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_training_on_opencl_keeps_rss_flat_long(hybridize):
    start = time.perf_counter()
    check_flat(train_mlp(OPENCL_STEPS, hybridize, samples=20, ctx=mx.gpu()),
               f"OpenCL ({os.environ.get('MINIMX_OPENCL_DEVICE')}), {OPENCL_STEPS} steps, "
               f"hybridize={hybridize}")
    print(f"took {time.perf_counter() - start:.0f} s")


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


@pytest.mark.parametrize("times", [100])
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


def _children():
    """Pids of this process's live or unreaped (zombie) children, from /proc."""
    kids = set()
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as f:
                kids.update(int(p) for p in f.read().split())
        except OSError:
            pass
    return kids


def _loader_epoch(workers):
    data = np.arange(64 * 3, dtype=np.float32).reshape(64, 3)
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(data, np.arange(64)), batch_size=16,
                                   num_workers=workers)
    pids = [p.pid for p in loader._pool._procs]
    total = sum(float(x.sum().asscalar()) for x, _ in loader)
    assert total == float(data.sum())
    del loader
    gc.collect()
    return pids


def test_dataloader_cycles_leave_no_threads_fds_or_processes():
    _loader_epoch(2)                          # warm-up: imports, the shared-memory folder
    gc.collect()
    py_threads, os_threads, fds = threading.active_count(), native_threads(), open_fds()
    kids = _children()
    pids = []
    for _ in range(CYCLES):
        pids += _loader_epoch(2)
    assert len(set(pids)) == 2 * CYCLES
    # every worker is gone and reaped: not a child any more (a zombie is still listed)
    deadline = time.monotonic() + 10
    while _children() - kids and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not (_children() - kids), f"worker processes not reaped: {_children() - kids}"
    assert not [p for p in multiprocessing.active_children() if p.pid in pids]
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}"), f"worker {pid} still exists"
    assert _settled(threading.active_count, py_threads) <= py_threads, \
        [t.name for t in threading.enumerate()]
    assert _settled(native_threads, os_threads) <= os_threads
    assert _settled(open_fds, fds) <= fds, os.listdir("/proc/self/fd")
    leftovers = [f for f in os.listdir(_shm.SHM_DIR) if f.startswith(f"minimx-loader-{os.getpid()}-")]
    assert not leftovers


CYCLES = 100
