# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 13. Data-parallel and distributed training
#
# ## Goal
#
# Train one model on several devices or processes at once, the way MXNet does it: every worker
# holds a full copy of the model, computes gradients on its own slice of the batch, the gradients
# are summed, and every copy takes the same step. You will see the key-value store
# (`mx.kv.create('local')`) sum gradients over two contexts of one process, train with
# `split_and_load` and check the result against plain single-device training, then write a
# training script, run it as two MPI processes with `python -m minimx.launch -n 2` and
# `kvstore='dist_sync'`, and check that both processes end with the same parameters as
# single-process training on the whole batches. Finally: what allreduce is, what the engine
# overlaps, and what a step costs.
#
# Time: about 45 minutes. The MPI part needs `pip install mpi4py mpich`; without it, that part is
# skipped with a message.

# %%
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import minimx as mx
from minimx import autograd, gluon, nd

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"   # fewer steps, same checks
OUT = os.environ.get("MINIMX_TUTORIAL_OUT", tempfile.gettempdir())
os.makedirs(OUT, exist_ok=True)
STEPS = 8 if FAST else 20     # 20 x 64 images: most of the 1438 training digits
GLOBAL_BATCH = 64

# %% [markdown]
# ## Code
#
# ### The key-value store
#
# A KVStore holds named arrays. `push(key, [a, b])` with values from several contexts *sums* them
# into the stored value; `pull(key, out=[...])` copies the stored value back out to every
# context. That is all data parallelism needs: push every copy's gradient, pull the sum.

# %%
ctxs = [mx.cpu(0), mx.cpu(1)]
kv = mx.kv.create("local")
kv.init("g", nd.zeros(3))
kv.push("g", [nd.array([1, 2, 3], ctx=ctxs[0]), nd.array([10, 20, 30], ctx=ctxs[1])])
pulled = [nd.zeros(3, ctx=c) for c in ctxs]
kv.pull("g", out=pulled)
for p in pulled:
    print(p.context, p.asnumpy())

# %% [markdown]
# Give the store an optimizer and a push *updates* the stored value with the summed gradient
# instead of replacing it: the weight lives in the store, and each context pulls the new weight.
# This is `update_on_kvstore`, what `gluon.Trainer` does with a `'device'` or `'local'` store.

# %%
kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))
kv.init("w", nd.ones(3))
kv.push("w", [nd.ones(3, ctx=ctxs[0]), nd.full((3,), 2.0, ctx=ctxs[1])])   # gradients 1 and 2
kv.pull("w", out=pulled)
print("w = 1 - 0.1 * (1 + 2) =", pulled[0].asnumpy())

# %% [markdown]
# NB: `mx.cpu(0)` and `mx.cpu(1)` are two contexts on the same processor: this lesson runs
# anywhere. With GPUs, write `[mx.gpu(0), mx.gpu(1)]` and each copy gets its own device.
#
# ### Data-parallel training on two contexts
#
# The network is initialised on both contexts (same values on each); `split_and_load` cuts each
# batch into one slice per context; each slice goes forward and backward on its own copy inside
# one `autograd.record()`; `trainer.step(global_batch)` sums the gradients through the kvstore and
# updates. The gradient of a sum of losses is the sum of the gradients, so the result must be
# exactly one step on the whole batch. Let us check that against one context.

# %%
digits = gluon.data.vision.Digits(train=True)
n_images = STEPS * GLOBAL_BATCH
images = np.stack([digits[i][0].asnumpy() for i in range(n_images)])
images = images.reshape(n_images, -1).astype(np.float32) / 255.0
labels = np.array([digits[i][1] for i in range(n_images)], dtype=np.float32)
print("images", images.shape, "labels", labels.shape)


def make_net(ctx):
    mx.random.seed(13)                    # every copy, every run: the same initial values
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(64, activation="relu", in_units=64), gluon.nn.Dense(10, in_units=64))
    net.initialize(mx.init.Xavier(), ctx=ctx)
    return net


def train_on(ctx_list, steps=STEPS, net=None, trainer=None):
    if net is None:
        net = make_net(ctx_list)
        trainer = gluon.Trainer(net.collect_params(), "sgd",
                                {"learning_rate": 0.1, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for s in range(steps):
        rows = slice(s * GLOBAL_BATCH, (s + 1) * GLOBAL_BATCH)
        xs = gluon.utils.split_and_load(nd.array(images[rows]), ctx_list)
        ys = gluon.utils.split_and_load(nd.array(labels[rows]), ctx_list)
        with autograd.record():
            losses = [loss_fn(net(x), y) for x, y in zip(xs, ys)]
        autograd.backward(losses)
        trainer.step(GLOBAL_BATCH)
    return net, trainer


net_one, _ = train_on([mx.cpu(0)])
net_two, trainer_two = train_on(ctxs)
print("the trainer's kvstore:", trainer_two._kvstore.type if trainer_two._kvstore else None)
one = {k: p.data().asnumpy() for k, p in net_one.collect_params().items()}
two = {k: [p.data(c).asnumpy() for c in ctxs] for k, p in net_two.collect_params().items()}
for (name, value), copies in zip(one.items(), two.values()):
    print("%-32s copies agree: %s, max |two contexts - one| = %.1e"
          % (name, np.array_equal(copies[0], copies[1]), np.abs(copies[0] - value).max()))

# %% [markdown]
# The parameters are equal up to float32 rounding: the sum over two slices adds the same numbers
# in a different order.
#
# ### What the engine overlaps
#
# Nothing in the loop above waits. Forward and backward on `cpu(0)` and on `cpu(1)` are
# independent engine ops (they read and write different arrays), so the engine may run them side
# by side on its worker threads; the kvstore's copies and sums for one parameter wait only for
# that parameter's gradients, so they can run while backward still computes the gradients of
# earlier layers; and the update of a parameter waits only for its own sum. The profiler shows
# one step as a timeline.

# %%
net_p, trainer_p = train_on(ctxs, steps=1)         # a warm-up step, not profiled
nd.waitall()
mx.profiler.set_config(profile_all=True, aggregate_stats=True,
                       filename=os.path.join(OUT, "minimx_tutorial13_local.json"))
mx.profiler.set_state("run")
train_on(ctxs, steps=1, net=net_p, trainer=trainer_p)
nd.waitall()
mx.profiler.set_state("stop")
local_stats = json.loads(mx.profiler.dumps(format="json"))["Time"]
local_counts = {name: s["Count"] for ops in local_stats.values() for name, s in ops.items()}
print(local_counts)
try:
    picture = mx.profiler.plot_timeline(
        filename=os.path.join(OUT, "minimx_tutorial13_local_timeline.png"),
        title="one data-parallel step on two contexts")
    print("timeline:", picture)
except ImportError:
    print("matplotlib is not installed: no timeline picture")
mx.profiler.dumps(reset=True)

# %% [markdown]
# Each context ran every layer: two `FullyConnected` ops per context forward; the backward ops
# the engine ran in bulk (the `Bulk(...)` entries, one per context). The copies and additions are
# the kvstore's (and the data's), `sgd_mom_update` the optimizer's: once per parameter, on the
# store. The picture has one row per engine thread: on a machine with few cores the engine may
# have a single worker, and then the two contexts' ops simply take turns on it. On
# GPUs the forward/backward of the copies genuinely run at the same time; here both contexts
# share the same two cores, so there is nothing to gain in speed: the lesson is the arithmetic.
#
# ### Several processes: `dist_sync` over MPI
#
# Across processes (on one machine or many) each worker is a separate Python program running the
# same script. `mx.kv.create('dist_sync')` connects them; `kv.rank` (0, 1, ...) says which one this
# is and `kv.num_workers` how many there are. Each worker takes its share of every global batch,
# and the Trainer's `step` sums the gradients over all workers before updating.
#
# minimx does the sum with MPI's *allreduce*: every worker contributes an array and every worker
# receives the sum of all of them. (MXNet runs `dist_sync` with parameter servers that receive
# pushes and send back weights; with synchronous updates the arithmetic is the same.)
#
# Here is the whole training script. The tutorial writes it to a file and runs it as two
# processes; it also imports the same functions to train in this process, so the comparison is
# with the very same code.

# %%
TRAIN_SCRIPT = '''\
"""Data-parallel training over MPI (written by minimx tutorial 13).

Run: python -m minimx.launch -n 2 train_dist.py OUT_PREFIX STEPS
"""
import json
import sys
import time

import numpy as np

import minimx as mx
from minimx import autograd, gluon, nd

GLOBAL_BATCH = 64


def make_net():
    mx.random.seed(13)                  # every worker starts from the same values
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(64, activation="relu", in_units=64), gluon.nn.Dense(10, in_units=64))
    net.initialize(mx.init.Xavier())
    return net


def global_batches(steps):
    digits = gluon.data.vision.Digits(train=True)
    for s in range(steps):
        idx = range(s * GLOBAL_BATCH, (s + 1) * GLOBAL_BATCH)
        x = np.stack([digits[i][0].asnumpy() for i in idx]).reshape(GLOBAL_BATCH, -1) / 255.0
        y = np.array([digits[i][1] for i in idx])
        yield x.astype(np.float32), y.astype(np.float32)


def train(kvstore, steps, rank=0, workers=1):
    """Train; worker `rank` of `workers` uses rows rank, rank + workers, ... of each batch."""
    net = make_net()
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": 0.1, "momentum": 0.9}, kvstore=kvstore)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    pushed, finished = [], []
    for x, y in global_batches(steps):
        x, y = nd.array(x[rank::workers]), nd.array(y[rank::workers])
        start = time.perf_counter()
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(GLOBAL_BATCH)      # dist_sync: gradients summed over all workers
        pushed.append(time.perf_counter() - start)      # Python is done: all ops are queued
        nd.waitall()
        finished.append(time.perf_counter() - start)    # the engine is done too
    return net, pushed, finished


def param_arrays(net):
    """The parameters as numpy arrays, keyed by position (names depend on name counters)."""
    return {"param%d" % i: p.data().asnumpy() for i, p in enumerate(net.collect_params().values())}


def main(prefix, steps):
    kv = mx.kv.create("dist_sync")
    mx.profiler.set_config(profile_all=True, aggregate_stats=True,
                           filename="%s.rank%d.trace.json" % (prefix, kv.rank))
    mx.profiler.set_state("run")
    net, pushed, finished = train(kv, steps, kv.rank, kv.num_workers)
    mx.profiler.set_state("stop")
    mx.profiler.dump()
    stats = json.loads(mx.profiler.dumps(format="json"))["Time"]
    np.savez("%s.rank%d.npz" % (prefix, kv.rank), **param_arrays(net))
    with open("%s.rank%d.json" % (prefix, kv.rank), "w") as f:
        json.dump({"rank": kv.rank, "workers": kv.num_workers, "pushed": pushed,
                   "finished": finished, "stats": stats}, f)
    print("rank %d of %d: done, %.1f ms per step" % (kv.rank, kv.num_workers,
                                                  1e3 * np.mean(finished[1:])))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
'''
script = os.path.join(OUT, "minimx_tutorial13_train_dist.py")
with open(script, "w") as f:
    f.write(TRAIN_SCRIPT)
dist = {"__name__": "train_dist"}          # the same code, imported here
exec(compile(TRAIN_SCRIPT, script, "exec"), dist)

# %% [markdown]
# ### Launching two workers
#
# `python -m minimx.launch -n 2 script args` runs `mpiexec -n 2 python script args`, after
# finding the `mpiexec` that belongs to this Python. With Open MPI it adds two flags that Open MPI
# insists on: `--allow-run-as-root` when you are root (in a container, say) and `--oversubscribe`
# when you ask for more workers than there are cores; MPICH needs neither. `--dry-run` prints the
# command without running it. Each worker's engine gets one thread here
# (`MINIMX_CPU_WORKER_NTHREADS=1`), since two workers already share this machine's cores.

# %%
skip_reason = None
try:
    import mpi4py.MPI  # noqa: F401 - only to know whether MPI works here
except Exception as err:   # ImportError, or mpi4py without an MPI library
    skip_reason = "mpi4py cannot be imported (%s): pip install mpi4py mpich" % err
if skip_reason is None:
    dry = subprocess.run([sys.executable, "-m", "minimx.launch", "-n", "2", "--dry-run", script],
                         capture_output=True, text=True)
    if dry.returncode != 0:
        skip_reason = (dry.stdout + dry.stderr).strip() or "minimx.launch found no mpiexec"
    else:
        print("command:", dry.stdout.strip())

prefix = os.path.join(OUT, "minimx_tutorial13_dist")
ranks = []
if skip_reason is not None:
    print("SKIPPING the MPI part:", skip_reason)
else:
    env = dict(os.environ, MINIMX_CPU_WORKER_NTHREADS="1", OMP_NUM_THREADS="1")
    start = time.time()
    proc = subprocess.run([sys.executable, "-m", "minimx.launch", "-n", "2", script, prefix,
                           str(STEPS)], capture_output=True, text=True, env=env, timeout=300)
    print(proc.stdout.strip())
    print("two workers took %.1f s, start-up included" % (time.time() - start))
    if proc.returncode != 0:
        raise RuntimeError("the workers failed:\n" + proc.stdout + proc.stderr)
    for r in range(2):
        with open("%s.rank%d.json" % (prefix, r)) as f:
            ranks.append(dict(json.load(f), params=dict(np.load("%s.rank%d.npz" % (prefix, r)))))

# %% [markdown]
# Now the comparison: both workers must hold the same parameters, and those must equal what one
# process gets by training on the whole (concatenated) batches, with no kvstore at all.

# %%
single_net, _, _ = dist["train"](None, STEPS)
single = dist["param_arrays"](single_net)
for r in ranks:
    worst = max(np.abs(r["params"][k] - v).max() for k, v in single.items())
    print("rank %d: max |worker - single process| = %.1e" % (r["rank"], worst))

# %% [markdown]
# ### What a step costs
#
# Each step, each worker allreduces every gradient once: one collective per parameter (here 4:
# two weights, two biases), `4 bytes x (number of weights)` in all. A good allreduce (the ring
# algorithm) sends and receives about `2 (N - 1) / N` times the data per worker for N workers,
# in `2 (N - 1)` rounds: the bandwidth cost hardly grows with N, but every round pays the
# network's latency. Small models on fast machines are latency-bound (many small collectives),
# which is why frameworks bucket small gradients together; large models are bandwidth-bound. The
# profiles the workers wrote say how many allreduces ran and how long they took.

# %%
n_weights = sum(v.size for v in single.values())
print("gradient bytes per step: %d (%d parameters, %d weights)"
      % (4 * n_weights, len(single), n_weights))
for r in ranks:
    ops = {name: s for group in r["stats"].values() for name, s in group.items()}
    allreduce = ops.get("kvstore_allreduce", {"Count": 0, "Total": 0.0})
    print("rank %d: %d allreduces, %.2f ms each on average; a step: %.2f ms queued by Python, "
          "%.2f ms until the engine finished"
          % (r["rank"], allreduce["Count"], allreduce["Total"] / max(allreduce["Count"], 1),
             1e3 * np.mean(r["pushed"][1:]), 1e3 * np.mean(r["finished"][1:])))

# %% [markdown]
# An allreduce's time includes waiting for the slower worker: a collective finishes only when
# every worker has joined it, so one slow worker slows them all (a good reason to give workers
# equal shares). "Queued by Python" ends when `trainer.step` returns: forward, backward, the allreduces and the
# updates are all engine ops by then, and the Python thread is free to load the next batch. In
# minimx a gradient's allreduce is handed to the store's communicator thread as soon as the
# engine has computed that gradient. MPI needs every worker to issue its collectives in the same
# order, so each round the workers first agree which gradients are ready everywhere, then reduce
# them together, the highest `priority` first (the Trainer gives parameter i priority -i, as
# MXNet does), in one fused collective (`minimx/kvstore/negotiate.py`, modelled on Horovod).
# Communication therefore overlaps the rest of backward, as far as the backward's bulked engine
# ops let it (`bench/README.md` measures how much); with `MINIMX_KVSTORE_OVERLAP=0`, or an MPI
# without thread support, collectives run in push order instead.
#
# ## Check

# %%
for p in pulled:                                                     # 1 - 0.1 * (1 + 2)
    np.testing.assert_allclose(p.asnumpy(), [0.7, 0.7, 0.7], rtol=1e-6)
kv_sum = mx.kv.create("local")
kv_sum.init(0, nd.zeros(2))
kv_sum.push(0, [nd.array([1, 2], ctx=ctxs[0]), nd.array([3, 4], ctx=ctxs[1])])
kv_out = nd.zeros(2)
kv_sum.pull(0, out=kv_out)
assert kv_out.asnumpy().tolist() == [4, 6]                            # push sums over contexts
for (name, value), copies in zip(one.items(), two.values()):
    np.testing.assert_array_equal(copies[0], copies[1])               # the copies stay equal
    np.testing.assert_allclose(copies[0], value, rtol=1e-4, atol=1e-5)
initial = [p.data().asnumpy() for p in make_net([mx.cpu(0)]).collect_params().values()]
assert max(np.abs(v - i).max() for v, i in zip(one.values(), initial)) > 1e-3   # training moved
assert local_counts.get("FullyConnected", 0) == 4, local_counts       # 2 layers x 2 contexts
if skip_reason is None:
    assert len(ranks) == 2 and [r["rank"] for r in ranks] == [0, 1]
    assert all(r["workers"] == 2 for r in ranks)
    for name, value in single.items():
        np.testing.assert_array_equal(ranks[0]["params"][name], ranks[1]["params"][name])
        np.testing.assert_allclose(ranks[0]["params"][name], value, rtol=1e-4, atol=1e-5)
    for r in ranks:
        ops = {name: s for group in r["stats"].values() for name, s in group.items()}
        assert ops["kvstore_allreduce"]["Count"] == STEPS * len(single), ops
else:
    print("MPI part skipped:", skip_reason)

# %% [markdown]
# ## Under the hood
#
# * `minimx/kvstore/local.py`: `push` copies each context's value to the store's context and adds
#   them in context order; with an optimizer the stored weight is updated once; `pull` copies out.
# * `minimx/gluon/trainer.py`: with several contexts, `step` pushes each parameter's gradients and
#   pulls its new value (`update_on_kvstore`) or pulls the summed gradient and updates every copy.
# * `minimx/kvstore/dist.py`: `dist_sync` on mpi4py: `init` broadcasts rank 0's value
#   (`MPI_Bcast`), a push allreduces the context-summed gradient (`MPI_Iallreduce`) as an engine
#   op, and a rank that dies aborts the others instead of leaving them waiting.
# * `minimx/launch.py`: finds `mpiexec`, adds Open MPI's root and oversubscribe flags, runs it.
# * `tests/test_kvstore.py` with `tests/dist_mlp_worker.py`: the same check as this lesson, in CI.
#
# ## Summary
#
# * Data parallelism: a full model per worker, a slice of each batch each, gradients summed.
# * `kv.push` sums over contexts, `kv.pull` copies back; with an optimizer the store updates.
# * `split_and_load` + one `record()` + `trainer.step(global_batch)` = one step on the whole batch.
# * `dist_sync` sums over processes with allreduce; launch with `python -m minimx.launch -n N`.
# * Cost per step: one allreduce per parameter; latency for small models, bandwidth for large.
#
# ## Exercises
#
# 1. Train with `ctxs = [mx.cpu(0), mx.cpu(1), mx.cpu(2)]` and a global batch of 64. Still equal
#    to one context? (What does `split_and_load` do with 64 rows over 3 contexts?)
# 2. Pass `update_on_kvstore=False` to the Trainer. Where does the update happen now, and how many
#    optimizer ops does the profiler count per step?
# 3. Run the script with `-n 4`. Which flag does `--dry-run` add under Open MPI on a 2-core
#    machine? Does the time per step grow, and why?
# 4. Change the script so rank 1 forgets to call `trainer.step` once. What happens, and after how
#    long (see `kv.timeout` in `minimx/kvstore/dist.py`)?
# 5. Make the model 10 times wider and plot allreduce time against gradient bytes.
