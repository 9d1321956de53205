"""mx.kv: the local store over two cpu contexts (values recorded from MXNet 1.9.1), the Trainer
through it, and over 2 MPI ranks (skipped without mpi4py/mpiexec): dist_sync training equal to one
process (overlapping communicator, push-order collectives, 2-bit compression), dist_async (rank 0
serves, no lockstep), and ranks that raise, are killed or stall. Compression on one process:
test_kvstore_compression.py."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minimx as mx
from minimx import gluon
from minimx import launch

HERE = Path(__file__).resolve().parent
CTXS = [mx.cpu(0), mx.cpu(1)]


def ones(shape, scale=1.0, ctx=None):
    return mx.nd.ones(shape, ctx=ctx) * scale


# ---- the local store (values as MXNet 1.9.1 prints them) -----------------------------------------
def test_push_sums_contexts_and_pull_copies():
    kv = mx.kv.create("local")
    assert (kv.type, kv.rank, kv.num_workers) == ("local", 0, 1)
    kv.init(3, ones((2, 3)))
    out = mx.nd.zeros((2, 3))
    kv.pull(3, out=out)
    assert (out.asnumpy() == 1).all()
    kv.push(3, [ones((2, 3), i + 1, ctx) for i, ctx in enumerate(CTXS)])
    outs = [mx.nd.zeros((2, 3), ctx=c) for c in CTXS]
    kv.pull(3, out=outs)
    for o in outs:
        assert (o.asnumpy() == 3).all()     # MXNet: 1 + 2 = 3 (replaces the stored 1)
    kv.push(3, ones((2, 3), 5))
    kv.push(3, ones((2, 3), 6))
    kv.pull(3, out=out)
    assert (out.asnumpy() == 6).all()       # MXNet: the last push wins without an updater


def test_updater_and_optimizer():
    kv = mx.kv.create("local")
    kv.init(3, ones((2, 3), 3))
    kv._set_updater(lambda key, grad, weight: weight.__iadd__(grad * 2))
    kv.push(3, ones((2, 3)))
    out = mx.nd.zeros((2, 3))
    kv.pull(3, out=out)
    assert (out.asnumpy() == 5).all()
    kv2 = mx.kv.create("device")
    kv2.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))
    kv2.init(0, ones((2,)))
    kv2.push(0, [ones((2,), ctx=c) for c in CTXS])
    b = mx.nd.zeros((2,))
    kv2.pull(0, out=b)
    np.testing.assert_allclose(b.asnumpy(), [0.8, 0.8], rtol=1e-6)      # MXNet: [0.8 0.8]
    outs = [mx.nd.zeros((2,), ctx=c) for c in CTXS]
    kv2.pushpull(0, [ones((2,), ctx=c) for c in CTXS], out=outs)
    for o in outs:
        np.testing.assert_allclose(o.asnumpy(), [0.6, 0.6], rtol=1e-6)  # MXNet: [0.6 0.6]


def test_pushpull_in_place_broadcast_and_key_forms():
    kv = mx.kv.create("local")
    kv.init(0, ones((2,)))
    vals = [ones((2,), ctx=CTXS[0]), ones((2,), 3, CTXS[1])]
    kv.pushpull(0, vals)
    assert [v.asnumpy().tolist() for v in vals] == [[4, 4], [4, 4]]
    outs = [mx.nd.zeros((2,), ctx=c) for c in CTXS]
    kv.broadcast(5, ones((2,), 7), out=outs)
    assert [o.asnumpy().tolist() for o in outs] == [[7, 7], [7, 7]]
    kvs = mx.kv.create("local")
    kvs.init(["a", "b"], [ones((2,)), ones((2,), 2)])
    got = [mx.nd.zeros((2,)), mx.nd.zeros((2,))]
    kvs.pull(["a", "b"], out=got)
    assert [g.asnumpy().tolist() for g in got] == [[1, 1], [2, 2]]


def test_errors_name_the_problem():
    kv = mx.kv.create("local")
    kv.init(3, ones((2, 3)))
    with pytest.raises(mx.MXNetError, match="duplicate init of key 3"):
        kv.init(3, ones((2, 3)))
    with pytest.raises(mx.MXNetError, match="key 99 has not been inited"):
        kv.push(99, ones((2,)))
    with pytest.raises(mx.MXNetError, match="shape mismatch"):
        kv.pull(3, out=mx.nd.zeros((2,)))
    with pytest.raises(mx.MXNetError, match="shape mismatch"):
        kv.push(3, ones((2,)))
    with pytest.raises(mx.MXNetError, match="Mixed key types"):
        kv.init("x", ones((2,)))
    with pytest.raises(AssertionError, match="inconsistent types of keys"):
        mx.kv.create("local").init([1, "x"], [ones((2,))] * 2)
    with pytest.raises(AssertionError, match="unexpected type for keys"):
        kv.init(4.5, ones((2,)))
    with pytest.raises(AssertionError):
        kv.pull(3)
    with pytest.raises(mx.MXNetError, match="Unknown KVStore type 'bogus'"):
        mx.kv.create("bogus")
    with pytest.raises(TypeError, match="name must be a string"):
        mx.kv.create(3)
    with pytest.raises(mx.MXNetError, match="not supported for this type"):
        kv.set_gradient_compression({"type": "2bit"})
    with pytest.raises(mx.MXNetError, match="row_sparse"):
        kv.row_sparse_pull(3, out=mx.nd.zeros((2, 3)), row_ids=mx.nd.array([0]))
    with pytest.raises(ValueError, match="Unknown capability: foo"):
        kv.is_capable("foo")
    assert kv.is_capable("optimizer")
    with pytest.raises(AssertionError):
        kv.save_optimizer_states("never-written.states")


def test_optimizer_states_round_trip(tmp_path):
    kv = mx.kv.create("device")
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    kv.init(0, ones((3,)))
    kv.push(0, ones((3,)))
    path = str(tmp_path / "kv.states")
    kv.save_optimizer_states(path, dump_optimizer=True)
    momentum = kv._updater.states[0].asnumpy()
    kv2 = mx.kv.create("device")
    kv2.set_optimizer(mx.optimizer.SGD(learning_rate=0.5))
    kv2.load_optimizer_states(path)
    np.testing.assert_allclose(kv2._updater.states[0].asnumpy(), momentum)
    assert kv2._updater.optimizer.momentum == 0.9


def test_register_custom_store():
    @mx.kv.KVStoreBase.register
    class MyStore(mx.kv.KVStoreBase):
        pass
    assert type(mx.kv.create("mystore")) is MyStore


# ---- gluon.Trainer through mx.kv ------------------------------------------------------------------
def _train(ctxs, kvstore, update_on_kvstore, steps=4):
    mx.random.seed(1)
    net = gluon.nn.Dense(3, in_units=5)
    net.initialize(mx.init.Xavier(), ctx=ctxs)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.3, "momentum": 0.9},
                            kvstore=kvstore, update_on_kvstore=update_on_kvstore)
    rng = np.random.default_rng(0)
    loss_fn = gluon.loss.L2Loss()
    for _ in range(steps):
        x, y = rng.standard_normal((8, 5)), rng.standard_normal((8, 3))
        parts = np.array_split(np.arange(8), len(ctxs))
        with mx.autograd.record():
            losses = [loss_fn(net(mx.nd.array(x[p], ctx=c)), mx.nd.array(y[p], ctx=c))
                      for p, c in zip(parts, ctxs)]
        for loss in losses:
            loss.backward()
        trainer.step(8)
    return [p.data(ctxs[-1]).asnumpy() for p in net.collect_params().values()], trainer


@pytest.mark.parametrize("kvstore,on_kv", [("device", None), ("local", False),
                                           ("kvobject", True), ("kvobject", False)])
def test_trainer_two_contexts_equals_one(kvstore, on_kv):
    one, _ = _train([mx.cpu(0)], None, None)
    store = mx.kv.create("device") if kvstore == "kvobject" else kvstore
    two, trainer = _train(CTXS, store, on_kv)
    assert isinstance(trainer._kvstore, mx.kv.KVStore)
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ---- distributed ---------------------------------------------------------------------------------
def test_dist_without_mpi_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)      # import mpi4py now fails
    for name in ("dist_sync", "dist_device_sync", "dist_async"):
        with pytest.raises(mx.MXNetError, match="pip install mpi4py mpich"):
            mx.kv.create(name)


def test_launch_builds_the_mpiexec_command():
    cmd = launch.mpiexec_command(3, ["train.py", "--epochs", "2"], hostfile="hosts",
                                 mpiexec="/nonexistent/mpiexec")
    assert cmd[:3] == ["/nonexistent/mpiexec", "-n", "3"]
    assert cmd[-4:] == [sys.executable, "train.py", "--epochs", "2"]
    assert "hosts" in cmd


def _mpi_available():
    try:
        import mpi4py.MPI  # noqa: F401
    except Exception:          # noqa: BLE001 - ImportError, or a missing libmpi.so
        return False
    return launch._find_mpiexec() is not None


needs_mpi = pytest.mark.skipif(not _mpi_available(), reason="needs mpi4py and mpiexec "
                               "(pip install mpi4py mpich)")


def _run_ranks(n, script, *args, timeout=120, **env_vars):
    root = str(HERE.parent)             # the ranks import this checkout's minimx
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, MINIMX_CPU_WORKER_NTHREADS="1", OMP_NUM_THREADS="1", PYTHONPATH=path,
               **env_vars)
    cmd = launch.mpiexec_command(n, [str(script)] + [str(a) for a in args])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


@needs_mpi
def test_two_ranks_train_like_one_process_on_the_whole_batches(tmp_path):
    sys.path.insert(0, str(HERE))
    try:
        import dist_mlp_worker as worker
    finally:
        sys.path.remove(str(HERE))
    prefix = tmp_path / "dist"
    proc = _run_ranks(2, HERE / "dist_mlp_worker.py", prefix, 10)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ranks = [np.load(f"{prefix}.rank{r}.npz") for r in range(2)]
    for r, res in enumerate(ranks):
        assert int(res["check_rank"]) == r and int(res["check_workers"]) == 2
        assert res["check_init"].tolist() == [10, 10, 10]      # rank 0's value everywhere
        assert res["check_push"].tolist() == [5, 5, 5]         # (1 + 1) + (2 + 1)
        # 2-bit: rank r pushes (r + 1) * PUSH; MXNet's 'device' store with these on two contexts
        assert res["check_compressed"].tolist() == [[0.5, -1, 1, 0, 0], [1, -1, 1, 0, -0.5],
                                                    [0.5, -1, 1, 0.5, -1], [1, -1, 1, 0, -0.5]]
        assert int(res["check_compressed_bytes"]) == 4 * 4      # one 32-bit word per push
        assert int(res["2bit_bytes"]) == 10 * 4 * (128 + 2 + 20 + 1)   # 16 values per word
        assert int(res["negotiated"]) != 0             # -1: MPI without THREAD_MULTIPLE
        assert int(res["ordered_calls"]) == 10 * 4     # one allreduce per key and step
    single = worker.train(None, 10, None)
    for on_kv in (True, False):
        for i, expected in enumerate(single.values()):
            for res in ranks:
                np.testing.assert_allclose(res[f"{on_kv}/{i}"], expected, rtol=1e-5, atol=1e-5)
    # each rank quantizes its own gradient: the same as one context per rank on one process
    packed = worker.train_contexts(10, 2, worker.COMPRESSION)
    for i, expected in enumerate(packed.values()):
        for res in ranks:
            np.testing.assert_allclose(res[f"2bit/{i}"], expected, rtol=1e-5, atol=1e-5)


@needs_mpi
def test_dist_async_applies_pushes_as_they_come(tmp_path):
    prefix = tmp_path / "async"
    steps = 20
    proc = _run_ranks(2, HERE / "dist_async_worker.py", prefix, steps, timeout=55)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fast, slow = [np.load(f"{prefix}.rank{r}.npz") for r in range(2)]
    for res in (fast, slow):
        assert res["init"].tolist() == [10, 10, 10]          # rank 0's value
        assert res["pushed"].tolist() == [7, 7, 7]           # 10 - 1 - 2: both pushes applied
        assert float(res["eval_after"]) < 0.5 * float(res["eval_before"])   # it trains
    assert int(fast["server_pushes"]) == 2 * steps * 4       # every push of 4 params, applied
    # no lockstep: rank 0 finished all its steps while rank 1 (100 ms naps) was still early on
    assert float(fast["end_time"]) < float(slow["times"][steps // 2])
    # so at the same step the ranks held different weights; at the end the same ones
    assert np.abs(fast["sums"] - slow["sums"])[1:].max() > 1e-3
    for i in range(4):
        np.testing.assert_array_equal(fast[f"param{i}"], slow[f"param{i}"])


@needs_mpi
@pytest.mark.parametrize("mode,message", [
    ("raise", "rank 1 failed; aborting all ranks"),           # our excepthook: MPI_Abort
    ("kill", "KILLED|Killed|signal 9|EXIT CODE: 9"),          # mpiexec ends the job
    ("stall", "rank 0 waited 3 s for the other ranks")])      # our collective timeout
def test_a_dying_rank_stops_the_others(mode, message):
    import re
    import time
    start = time.monotonic()
    proc = _run_ranks(2, HERE / "dist_dying_worker.py", mode, timeout=55,
                      MINIMX_KVSTORE_TIMEOUT="3")
    assert proc.returncode != 0
    assert f"rank 1 {mode}s at step 3" in proc.stdout
    assert "rank 0 finished" not in proc.stdout
    assert re.search(message, proc.stdout + proc.stderr), proc.stdout + proc.stderr
    assert time.monotonic() - start < 45     # a rank 1 that stalls sleeps 120 s


def test_launch_dry_run_prints_the_command(capsys):
    if launch._find_mpiexec() is None:
        with pytest.raises(SystemExit, match="pip install mpi4py mpich"):
            launch.main(["-n", "2", "--dry-run", "train.py"])
        return
    assert launch.main(["-n", "2", "--dry-run", "train.py", "--lr", "0.1"]) == 0
    out = capsys.readouterr().out
    assert " -n 2 " in out and out.rstrip().endswith("train.py --lr 0.1")


def test_device_store_over_an_opencl_and_a_cpu_context():
    os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")     # PoCL's CPU device in CI
    from minimx._kernels import opencl
    reason = opencl.missing_reason()
    if reason is not None:
        pytest.skip(f"OpenCL backend unavailable: {reason}")
    gpu = mx.gpu(0)
    kv = mx.kv.create("device")
    kv.init(0, mx.nd.zeros((3,), ctx=gpu))
    assert kv._store[0].context == gpu                  # 'device' keeps it where it was made
    kv.push(0, [ones((3,), ctx=gpu), ones((3,), 2, mx.cpu(0))])
    outs = [mx.nd.zeros((3,), ctx=gpu), mx.nd.zeros((3,), ctx=mx.cpu(0))]
    kv.pull(0, out=outs)
    assert [o.asnumpy().tolist() for o in outs] == [[3, 3, 3], [3, 3, 3]]
