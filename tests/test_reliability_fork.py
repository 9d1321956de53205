"""Fork, Ctrl-C and exit with the engine busy (issue 10, part 1).

Every scenario runs in a fresh Python process under a timeout, so a hang fails the test instead of
freezing the suite, and a SIGINT never reaches pytest. Each script prints ``OK <name>`` lines; the
test checks that every expected line is there.

- fork: ``os.fork`` while ops are in flight (on the threaded and the naive engine), from the main
  thread, from a second thread while another pushes, and from inside an op; DataLoader workers
  started while the engine is busy. Parent and child both go on computing.
- Ctrl-C: SIGINT from a timer thread while ``waitall`` / ``wait_to_read`` waits for a 3 s op, and
  while an op runs on the main thread (naive engine, inline op). The interrupt propagates at once,
  the engine serves afterwards, and an interrupted op's output reads as failed.
- exit: the interpreter exits (normally, or by an uncaught KeyboardInterrupt) with ops in flight,
  one of them sleeping for an hour.
"""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 60          # seconds for one script; each normally takes a few seconds

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

PRELUDE = """
import os, signal, sys, threading, time
import numpy as np
import minimx as mx
from minimx import engine, gluon
KIND = sys.argv[1]
engine.set_engine(KIND)

def busy(n=30):
    # a chain of ops in flight: y = 0 + 1 + 1 ... (n times), plus a large product
    y = mx.nd.zeros((200, 200))
    for _ in range(n):
        y = y + 1
    a = mx.nd.ones((400, 400))
    return y, mx.nd.dot(a, a)

big = mx.nd.ones((400, 400))
(big * 2).sum().wait_to_read()     # parallel kernels (OpenMP, GEMM pool) ran before the forks
mx.nd.dot(big, big).wait_to_read()

def ok(name):
    print("OK", name, flush=True)
"""


def run_script(body, *args, expect_rc=0, timeout=TIMEOUT):
    """Run PRELUDE + body in a new interpreter; returns (stdout, seconds)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)] + list(args),
                              capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"hung for {timeout} s; output so far:\n{e.stdout}\n{e.stderr}")
    took = time.monotonic() - start
    assert proc.returncode == expect_rc, (proc.returncode, proc.stdout, proc.stderr[-3000:])
    return proc.stdout, took


def oks(stdout):
    return [line.split(None, 1)[1] for line in stdout.splitlines() if line.startswith("OK ")]


FORK = """
def child_then_exit(check):
    # runs in the child: any failure or hang shows as a non-zero status / a timeout
    try:
        check()
        os._exit(0)
    except BaseException:
        import traceback
        print("CHILD FAILED", traceback.format_exc(), flush=True)
        os._exit(3)
    finally:
        os._exit(4)

def fork_and_check(check, in_parent=None):
    pid = os.fork()
    if pid == 0:
        child_then_exit(check)
    if in_parent is not None:
        in_parent()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status

# 1. ops in flight in the main thread; the child sees their results, whole
y, d = busy()
slow_var, done = engine.new_var(), []
engine.push(lambda: (time.sleep(0.3), done.append(1)), (), (slow_var,), name="slow")

def child():
    assert done == [1], done                       # the fork waited for the slow op
    assert float(y.sum().asscalar()) == 30 * 200 * 200
    assert float(d[0, 0].asscalar()) == 400
    z = mx.nd.dot(d, d)                            # the child's own engine serves
    assert float(z[3, 5].asscalar()) == 400.0 ** 3
    assert float((big * 3)[7, 9].asscalar()) == 3  # an OpenMP kernel
    if KIND == "threaded":
        # kernels run on the child's new worker threads, where more threads are safe: the
        # split GEMM then uses the child's own thread pool
        from minimx.threads import set_kernel_threads
        set_kernel_threads(2)
        assert float(mx.nd.dot(big, big)[0, 0].asscalar()) == 400
    engine.wait_for_var(slow_var)
    mx.nd.waitall()

def parent():
    y2 = y + 1
    assert float(y2.mean().asscalar()) == 31

fork_and_check(child, parent)
ok("fork with ops in flight")

# 2. fork from a second thread while the main thread keeps pushing
stop = threading.Event()
def forker():
    for _ in range(5):
        fork_and_check(lambda: mx.nd.waitall() or float((mx.nd.ones((8, 8)) * 3).sum().asscalar()))
    stop.set()
t = threading.Thread(target=forker)
t.start()
acc = mx.nd.zeros((50, 50))
pushes = 0
while not stop.is_set():
    acc = acc + 1
    pushes += 1
t.join(30)
assert not t.is_alive()
assert float(acc[0, 0].asscalar()) == pushes
ok("fork from a thread while another pushes")

# 3. a failed op: the child inherits the failure on its variable
bad = engine.new_var()
def boom():
    raise ValueError("injected")
engine.push(boom, (), (bad,), name="boom")
def child_sees_failure():
    try:
        engine.wait_for_var(bad)
    except mx.MXNetError as e:
        assert "boom" in str(e) and "injected" in str(e), e
    else:
        raise AssertionError("no error")
fork_and_check(child_sees_failure)
try:
    mx.nd.waitall()
except mx.MXNetError:
    pass
ok("fork after a failed op")

# 4. an op that forks (it cannot wait for itself)
status = []
def forking_op():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    status.append(os.waitpid(pid, 0)[1])
v = engine.new_var()
engine.push(forking_op, (), (v,), name="forking_op")
engine.wait_for_var(v)
assert status == [0], status
assert float((mx.nd.ones((4,)) + 1).sum().asscalar()) == 8
ok("an op that forks")

# 5. DataLoader workers started while ops are in flight, with nd ops in the transform
y, d = busy()
data = np.arange(40 * 5, dtype=np.float32).reshape(40, 5)
ds = gluon.data.ArrayDataset(data, np.arange(40)).transform_first(lambda x: (x * 2).sum())
for epoch in range(2):
    loader = gluon.data.DataLoader(ds, batch_size=8, num_workers=2)
    got = np.concatenate([b.asnumpy() for b, _ in loader])
    np.testing.assert_allclose(got, (data * 2).sum(axis=1))
    del loader
assert float(y.mean().asscalar()) == 30
ok("DataLoader workers while busy")
"""


@pytest.mark.parametrize("kind", ["threaded", "naive"])
def test_fork_with_ops_in_flight_does_not_hang(kind):
    out, took = run_script(FORK, kind)
    assert oks(out) == ["fork with ops in flight", "fork from a thread while another pushes",
                        "fork after a failed op", "an op that forks",
                        "DataLoader workers while busy"], out
    print(f"{kind}: {took:.1f} s")


INTERRUPT = """
def sigint_in(seconds):
    threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT)).start()

def long_op(seconds, var, done):
    engine.push(lambda: (time.sleep(seconds), done.append(1)), (), (var,), name="long_op")

if KIND == "threaded":
    # 1. waitall interrupted while a long op runs on a worker
    v, done = engine.new_var(), []
    long_op(3.0, v, done)
    y, _ = busy()
    start = time.monotonic()
    sigint_in(0.5)
    try:
        mx.nd.waitall()
        raise AssertionError("waitall was not interrupted")
    except KeyboardInterrupt:
        took = time.monotonic() - start
    assert took < 2.5 and not done, (took, done)     # at once, not when the op ended
    mx.nd.waitall()                                  # the engine still serves; nothing failed
    assert done == [1]
    engine.wait_for_var(v)
    assert float(y.sum().asscalar()) == 30 * 200 * 200
    ok("waitall interrupted")

    # 2. wait_to_read interrupted
    v, done = engine.new_var(), []
    long_op(1.0, v, done)
    x = mx.nd.ones((3,))
    engine.push(lambda: None, (v,), (x._chunk,), name="after_long")
    sigint_in(0.2)
    try:
        x.wait_to_read()
        raise AssertionError("wait_to_read was not interrupted")
    except KeyboardInterrupt:
        pass
    assert float(x.sum().asscalar()) == 3 and done == [1]
    ok("wait_to_read interrupted")

# 3. an op running on the main thread (every op on the naive engine; an inline op, which runs at
#    once on an idle variable, on the threaded one) interrupted
v, done = engine.new_var(), []
sigint_in(0.5)
start = time.monotonic()
try:
    engine.push(lambda: (time.sleep(3.0), done.append(1)), (), (v,), name="main_thread_op",
                inline=True)
    raise AssertionError("not interrupted")
except KeyboardInterrupt:
    assert time.monotonic() - start < 2.5 and not done
try:
    mx.nd.waitall()                 # the interrupt was raised already: not raised again here
except (KeyboardInterrupt, mx.MXNetError) as e:
    raise AssertionError("raised twice: %r" % e)
try:
    engine.wait_for_var(v)          # but the output may be half-written: reading it fails
    raise AssertionError("the interrupted op's output reads as good")
except mx.MXNetError as e:
    assert "main_thread_op" in str(e) and "KeyboardInterrupt" in str(e), e
mx.nd.waitall()
assert float((mx.nd.ones((5,)) * 2).sum().asscalar()) == 10
ok("op on the main thread interrupted")
"""


@pytest.mark.parametrize("kind", ["threaded", "naive"])
def test_ctrl_c_during_a_wait_propagates_and_the_engine_serves_on(kind):
    out, _ = run_script(INTERRUPT, kind)
    want = (["waitall interrupted", "wait_to_read interrupted"] if kind == "threaded" else []) + \
        ["op on the main thread interrupted"]
    assert oks(out) == want, out


EXIT = """
v = engine.new_var()
engine.push(lambda: time.sleep(3600), (), (v,), name="sleeps_an_hour")
y, d = busy(200)
a = mx.nd.ones((1000, 1000))
outs = [mx.nd.dot(a, a) for _ in range(10)]
ok("pushed")
if sys.argv[2] == "interrupt":
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    mx.nd.waitall()            # interrupted; the KeyboardInterrupt is not caught
"""


@pytest.mark.parametrize("how", ["normal", "interrupt"])
def test_interpreter_exit_with_ops_in_flight_does_not_hang(how):
    # an uncaught KeyboardInterrupt ends Python by SIGINT (rc -2), as it should
    rc = 0 if how == "normal" else -signal.SIGINT
    out, took = run_script(EXIT, "threaded", how, expect_rc=rc, timeout=TIMEOUT)
    assert oks(out) == ["pushed"]
    assert took < TIMEOUT


def test_fork_while_another_thread_holds_the_host_pool_lock():
    """The child gets a fresh host-pool lock: a large allocation there must not hang."""
    out, _ = run_script("""
from minimx._kernels.hostpool import POOL
POOL._lock.acquire()        # as if another thread were inside the pool at the fork
pid = os.fork()
if pid == 0:
    a = POOL.empty((1 << 20,), np.float32)
    a[:] = 1
    os._exit(0 if float(a.sum()) == 1 << 20 else 3)
POOL._lock.release()
_, status = os.waitpid(pid, 0)
assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
ok("pool lock")
""", "naive")
    assert oks(out) == ["pool lock"]
