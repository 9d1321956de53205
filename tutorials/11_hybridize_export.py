# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 11. Hybridize and export: from Python code to a graph, and to Apache MXNet
#
# ## Goal
#
# A `HybridBlock` can run in two ways: *imperatively*, one `mx.nd` call after the other as Python
# reaches it, or as a *graph* that `hybridize()` traces once and then replays. After this lesson
# you can say what `F` is in `hybrid_forward(self, F, x)`, read the traced graph (its JSON nodes,
# `mx.viz.print_summary`, a picture), measure what running the graph buys, recognise the two
# classic hybridize mistakes from the errors minimx raises, and `export` a network to the
# `net-symbol.json` / `net-0000.params` pair that Apache MXNet 1.9.1 loads, and load it back
# with `SymbolBlock.imports`.
#
# Time: about 45 minutes.

# %%
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import minimx as mx
from minimx import autograd, gluon, nd
from minimx.gluon import nn

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"   # fewer timing repeats, same checks
OUT = os.environ.get("MINIMX_TUTORIAL_OUT", tempfile.gettempdir())
os.makedirs(OUT, exist_ok=True)
mx.random.seed(11)

# %% [markdown]
# ## Code
#
# ### What `F` is
#
# `hybrid_forward` receives a namespace `F` and computes with `F.<op>` only. Called on NDArrays,
# `F` is `mx.nd` and every line computes numbers straight away. After `hybridize()`, the *first*
# call runs `hybrid_forward` once with `F = mx.sym`: the inputs and Parameters are symbolic
# variables, each `F.` call adds a node to a graph instead of computing, and the graph is kept.
# Every later call replays the graph and does not run your Python at all. To see this, the block
# below logs which `F` it was called with.

# %%
calls = []


class Scorer(nn.HybridBlock):
    """softmax(2 * dense2(relu(dense1(x))) + 1): a small block with a few kinds of node."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.hidden = nn.Dense(16, activation="relu")
            self.out = nn.Dense(4)

    def hybrid_forward(self, F, x):
        calls.append((F.__name__, type(x).__name__))
        return F.softmax(self.out(self.hidden(x)) * 2 + 1)


net = Scorer()
net.initialize(mx.init.Xavier())
x = nd.random.uniform(shape=(2, 8))
y_imperative = net(x)                  # F = mx.nd
net.hybridize()
y_hybrid = net(x)                      # first call: trace with F = mx.sym, then run the graph
y_again = net(x)                       # replay: hybrid_forward is not called
for c in calls:
    print(c)
print("max |imperative - hybridized| =", np.abs(y_imperative.asnumpy() - y_hybrid.asnumpy()).max())

# %% [markdown]
# Three calls, two log lines: one imperative call and one trace. The third call never entered
# `hybrid_forward`. Anything Python does in there (a `print`, appending to a list, reading an
# attribute) therefore happens once, at trace time. Keep that in mind for the pitfalls below.
#
# ### The traced graph
#
# Calling a block on a symbol is public MXNet API: it traces `hybrid_forward` and returns the
# graph as an `mx.sym.Symbol`. Its JSON form is what `export` writes: a list of nodes, each with an
# `op` (`"null"` for a variable: an input or a Parameter), a `name`, its `attrs`, and its
# `inputs` as `[node index, output index, version]` triples.

# %%
sym = net(mx.sym.var("data"))
graph = json.loads(sym.tojson())
for i, node in enumerate(graph["nodes"]):
    print("%2d %-15s %-32s inputs %s" % (i, node["op"], node["name"],
                                          [src for src, _, _ in node["inputs"]]))
op_nodes = [n for n in graph["nodes"] if n["op"] != "null"]
var_nodes = [n for n in graph["nodes"] if n["op"] == "null"]
print(len(op_nodes), "op nodes,", len(var_nodes), "variables; arguments:", sym.list_arguments())

# %% [markdown]
# `Dense(16, activation="relu")` became two nodes (`FullyConnected`, then `Activation`); `* 2`
# and `+ 1` became `_mul_scalar` and `_plus_scalar`. The names are the Parameters' names, so the
# graph and the `.params` file meet by name.
#
# `mx.viz.print_summary` prints the graph as a table with output shapes (given the input shape)
# and parameter counts; `mx.viz.plot_network` draws it with graphviz, when that is installed.

# %%
mx.viz.print_summary(sym, shape={"data": (1, 8)})
try:
    import graphviz  # noqa: F401 - only to know whether the picture can be drawn

    dot = mx.viz.plot_network(sym, shape={"data": (1, 8)}, save_format="png")
    picture = dot.render(os.path.join(OUT, "minimx_tutorial11_graph"), cleanup=True)
    print("graph picture:", picture)
except ImportError:
    print("graphviz is not installed: no picture (pip install graphviz; apt-get install graphviz)")
except Exception as err:   # the Python package without the `dot` program
    print("graphviz could not render (%s): no picture" % type(err).__name__)

# %% [markdown]
# ### What running the graph buys
#
# Imperatively, each `F.` call goes through `invoke` (tutorial 2): parse the arguments, run the
# op's shape and dtype rules, allocate the output, push one op to the engine. For a small
# network on a small batch that per-op overhead, not the arithmetic, is most of the time.
#
# The hybridized block (read `minimx/gluon/cached_graph.py`, then `GraphPlan` in
# `minimx/symbol/executor.py`) does that work once per *input signature* (shapes, dtypes,
# context): it runs every node's shape and dtype rules, looks up every kernel, and keeps the
# result as a plan. A call then allocates the outputs, records the nodes on the autograd tape (so
# `backward` works through a hybridized block), and pushes the *whole graph as one engine op*,
# which MXNet calls a `CachedOp`. A new batch size is a new signature and gets its own plan.
#
# The profiler shows the difference: it counts engine ops by name.

# %%
def engine_ops(fn):
    """{op name: count} of the engine ops that running fn() pushes."""
    nd.waitall()                       # nothing earlier may land in the profile
    mx.profiler.set_config(profile_all=True, aggregate_stats=True,
                           filename=os.path.join(OUT, "minimx_tutorial11_profile.json"))
    mx.profiler.set_state("run")
    fn()
    nd.waitall()
    mx.profiler.set_state("stop")
    stats = json.loads(mx.profiler.dumps(reset=True, format="json"))["Time"]
    return {name: s["Count"] for ops in stats.values() for name, s in ops.items()}


def deep_mlp():
    block = nn.HybridSequential()
    for _ in range(6):
        block.add(nn.Dense(32, activation="relu"))
    block.add(nn.Dense(10))
    block.initialize(mx.init.Xavier())
    return block


mlp = deep_mlp()
small = nd.random.uniform(shape=(4, 32))
y_mlp_imperative = mlp(small)
ops_imperative = engine_ops(lambda: mlp(small))
mlp.hybridize()
y_mlp_hybrid = mlp(small)
ops_hybrid = engine_ops(lambda: mlp(small))
print("imperative:", ops_imperative)
print("hybridized:", ops_hybrid)

# %% [markdown]
# Thirteen engine ops (seven `FullyConnected`, six `Activation`) against one. Fewer, larger engine
# ops is the point: each push costs the same whatever the op does. Now the time per call, the best
# of a few repeats (this machine may be busy, so only the ratio means something, and only
# roughly):

# %%
def seconds_per_call(block, data, calls=50, repeats=3 if FAST else 7):
    block(data).wait_to_read()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            out = block(data)
        out.wait_to_read()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def copy_of(block, data):
    """A fresh, imperative deep_mlp holding the same Parameter values as `block`."""
    twin = deep_mlp()
    twin(data)                          # finish the deferred initialisation
    for p, q in zip(twin.collect_params().values(), block.collect_params().values()):
        p.set_data(q.data())
    return twin


imperative_mlp = copy_of(mlp, small)
t_imp = seconds_per_call(imperative_mlp, small)
t_hyb = seconds_per_call(mlp, small)
print("batch 4:   imperative %.0f us, hybridized %.0f us per call: %.1fx"
      % (t_imp * 1e6, t_hyb * 1e6, t_imp / t_hyb))
big = nd.random.uniform(shape=(1024 if FAST else 4096, 32))
t_imp_big = seconds_per_call(imperative_mlp, big, calls=5)
t_hyb_big = seconds_per_call(mlp, big, calls=5)
print("batch %d: imperative %.2f ms, hybridized %.2f ms per call: %.1fx"
      % (big.shape[0], t_imp_big * 1e3, t_hyb_big * 1e3, t_imp_big / t_hyb_big))

# %% [markdown]
# On a small batch the graph is clearly faster; on a large one the kernels dominate and the two
# come close. Gradients flow through the hybridized network exactly as through the imperative
# one:

# %%
def gradients(block, data):
    with autograd.record():
        loss = block(data).sum()
    loss.backward()
    return [p.grad().asnumpy().copy() for p in block.collect_params().values()]


grads_imperative, grads_hybrid = gradients(copy_of(mlp, small), small), gradients(mlp, small)
print("largest gradient difference:",
      max(np.abs(a - b).max() for a, b in zip(grads_imperative, grads_hybrid)))

# %% [markdown]
# What does the graph buy besides fewer hand-offs? Two passes run when a plan is built for an
# input signature (`minimx/symbol/graph_plan.py`):
#
# - **Memory planning** (`minimx/symbol/memory_plan.py`, MXNet's in-place and co-share moves):
#   a value's buffer is handed to a later value once nobody reads it any more, and an
#   elementwise node (`relu`, `+`, `Activation`) writes straight over an input that dies there.
#   Only the outputs, and in training the values the backward reads, keep buffers of their own.
#   `hybridize(static_alloc=True)` keeps the shared buffers from call to call.
# - **A cached backward** (`minimx/symbol/grad_graph.py`): every node's gradient rule is called
#   once with `F = mx.sym`, which traces the whole backward into a second graph. Under
#   `autograd.record()` the block then lands on the tape as ONE node, and `backward()` runs
#   that graph as one more engine op.
#
# `memory_report()` says what the planner saved for this MLP:

# %%
plan = next(iter(mlp._cached_op.plans.values()))
infer_report = plan.memory_report()
train_report = plan.memory_report(training=True)
print("inference: %(naive_bytes)d bytes of node outputs, %(planned_bytes)d after planning "
      "(%(in_place)d written in place)" % infer_report)
print("training:  %(naive_bytes)d bytes of node outputs, %(planned_bytes)d after planning"
      % train_report)
fusion = next(iter(net._cached_op.plans.values())).fusion_report()   # the Scorer's graph
print("Scorer's graph, elementwise fusion: %(nodes)d op nodes run as %(after)d kernels" % fusion)
with autograd.record():
    out = mlp(small)
print("the tape holds one node for the whole block:", type(out._node[0].op).__name__)

# %% [markdown]
# Training keeps more: the backward needs a layer's input to get its weight's gradient, and
# `relu`'s output to know where it let gradients through. On ResNet-18 the planner saves
# about three quarters of the forward's memory at inference and about a quarter in training
# (`bench/README.md`). A third pass fuses chains of elementwise nodes (`_mul_scalar` then
# `_plus_scalar` above) into one kernel, one loop over the data instead of two
# (`minimx/symbol/fusion.py`, `plan.fusion_report()`): on an OpenCL device (`mx.gpu()`) a
# generated kernel, on the CPU a small register machine written in Cython
# (`minimx/_kernels/cpu/fused.pyx`) that runs the whole chain block by block, each block's values
# staying in the L1 cache. A fourth splits off heavy branches that nothing else reads (a weight's
# gradient) as engine ops of their own, so they run beside the rest (`minimx/symbol/segments.py`).
#
# ### Pitfall 1: `x.shape` inside `hybrid_forward`
#
# While tracing, `x` is a symbol: an array that does not exist yet, so it has no shape. Code
# that works imperatively fails once hybridized, with an error that says what to use instead.

# %%
class FlattenByShape(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        return x.reshape((x.shape[0], -1))     # fine on NDArrays, impossible on a symbol


class FlattenByCode(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        return x.reshape((0, -1))              # 0: copy this dimension; -1: whatever is left


cube = nd.arange(24).reshape((2, 3, 4))
bad = FlattenByShape()
print("imperative:", bad(cube).shape)
bad.hybridize()
try:
    bad(cube)
    shape_error = None
except mx.MXNetError as err:
    shape_error = str(err)
print("hybridized: MXNetError:", shape_error)
good = FlattenByCode()
good.hybridize()
print("with reshape codes, hybridized:", good(cube).shape)

# %% [markdown]
# ### Pitfall 2: Python control flow on values
#
# `if x.sum() > 0:` asks Python for the truth value of an array. Imperatively the value exists;
# while tracing it does not, and the graph cannot record a Python `if` anyway: it records ops.
# Turn the branch into an op (`F.where` picks elementwise; `F.contrib.cond` and
# `F.contrib.foreach` exist for larger control flow).

# %%
class SignFlipIf(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        if x.sum() > 0:
            return x
        return -x


class SignFlipWhere(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        positive = F.broadcast_greater(F.sum(x).reshape((1, 1)), F.zeros((1, 1)))
        return F.where(F.broadcast_like(positive, x), x, -x)


neg = nd.array([[-1.0, -2.0], [0.5, -3.0]])
branchy = SignFlipIf()
branchy.hybridize()
try:
    branchy(neg)
    bool_error = None
except mx.MXNetError as err:
    bool_error = str(err)
print("MXNetError:", bool_error)
flipper = SignFlipWhere()
flipper.hybridize()
print(flipper(neg))

# %% [markdown]
# NB: Apache MXNet fails at the same two places with terser errors: `AttributeError: 'Symbol'
# object has no attribute 'shape'`, and `NotImplementedForSymbol: Function __bool__ ... is not
# implemented for Symbol`. minimx raises `MXNetError` with the way out in the message.
#
# The quiet version of this pitfall raises nothing: control flow on *Python* values (an
# attribute, a global, a random number) is decided once, at trace time, and frozen into the
# graph. Changing the attribute later changes nothing until the block is hybridized again.

# %%
class Scale(nn.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.double = False

    def hybrid_forward(self, F, x):
        return x * 2 if self.double else x


scale = Scale()
scale.hybridize()
ones = nd.ones((1, 2))
before = scale(ones).asnumpy()
scale.double = True
frozen = scale(ones).asnumpy()          # still the graph traced with double=False
scale.hybridize()                       # clears the cached graph: the next call traces again
retraced = scale(ones).asnumpy()
print("before", before, "| after the change", frozen, "| after re-hybridizing", retraced)

# %% [markdown]
# ### Export, and loading back
#
# `export(path)` writes the traced graph to `path-symbol.json` and the Parameters to
# `path-0000.params` (the number is an epoch), in MXNet's formats. The block must have been
# hybridized and called once: that is when the graph exists. `gluon.SymbolBlock.imports` reads
# the pair back into a block that runs the graph; it needs no Python class of the network.

# %%
prefix = os.path.join(OUT, "minimx_tutorial11_scorer")
sym_file, params_file = net.export(prefix)
print(os.path.basename(sym_file), os.path.getsize(sym_file), "bytes;",
      os.path.basename(params_file), os.path.getsize(params_file), "bytes")
print("arrays in the params file:", sorted(nd.load(params_file)))
loaded = gluon.SymbolBlock.imports(sym_file, ["data"], params_file)
y_loaded = loaded(x)
print("max |exported - original| =", np.abs(y_loaded.asnumpy() - y_hybrid.asnumpy()).max())

# %% [markdown]
# The `arg:` prefix marks arguments (weights, biases), `aux:` would mark auxiliary states such as
# BatchNorm's running mean and variance.
#
# **These files are MXNet's.** The folder `tests/fixtures/mxnet-1.9.1` of the minimx repository
# holds files written by Apache MXNet 1.9.1 itself, among them a two-layer MLP exported as
# `mlp-symbol.json` / `mlp-0000.params`, its weights as `mlp.params`, and an input with MXNet's
# output (`mlp_io.npz`). Building the same MLP in minimx, loading MXNet's weights and exporting
# gives the very same bytes; and minimx runs MXNet's export to MXNet's output. So real MXNet
# 1.9.1 loads what minimx exports (`tests/test_hybridize.py` checks both directions in CI, and
# the two files were also loaded in MXNet 1.9.1 by hand).

# %%
def find_fixtures():
    """The MXNet fixture folder, or None (an installed minimx has no tests folder)."""
    candidates = [os.environ.get("MINIMX_FIXTURES"), Path.cwd() / "tests/fixtures/mxnet-1.9.1"]
    try:
        candidates.append(Path(__file__).resolve().parent.parent / "tests/fixtures/mxnet-1.9.1")
    except NameError:                  # in a notebook there is no __file__
        pass
    candidates.append(Path(mx.__file__).resolve().parent.parent / "tests/fixtures/mxnet-1.9.1")
    for c in candidates:
        if c and (Path(c) / "mlp-symbol.json").exists():
            return Path(c)
    return None


fixtures = find_fixtures()
if fixtures is None:
    print("MXNet's fixture files are not here (run from a minimx checkout): skipping")
else:
    mxnet_mlp = nn.HybridSequential(prefix="mlp_")       # the prefix MXNet's script used
    with mxnet_mlp.name_scope():
        mxnet_mlp.add(nn.Dense(8, activation="relu", in_units=5), nn.Dense(3, in_units=8))
    mxnet_mlp.load_parameters(str(fixtures / "mlp.params"))
    mxnet_mlp.hybridize()
    io = np.load(fixtures / "mlp_io.npz")
    ours = mxnet_mlp(nd.array(io["x"])).asnumpy()
    our_sym, our_params = mxnet_mlp.export(os.path.join(OUT, "minimx_tutorial11_mlp"))
    same_json = Path(our_sym).read_text() == (fixtures / "mlp-symbol.json").read_text()
    same_params = Path(our_params).read_bytes() == (fixtures / "mlp-0000.params").read_bytes()
    theirs = gluon.SymbolBlock.imports(str(fixtures / "mlp-symbol.json"), ["data"],
                                       str(fixtures / "mlp-0000.params"))
    theirs_out = theirs(nd.array(io["x"])).asnumpy()
    print("symbol file identical to MXNet's:", same_json, "| params file identical:", same_params)
    print("MXNet's export run by minimx, max |difference| from MXNet's output:",
          np.abs(theirs_out - io["y"]).max())

# %% [markdown]
# To see it on Apache MXNet itself, run there
# `mx.gluon.SymbolBlock.imports(sym_file, ['data'], params_file)` on the files this lesson
# wrote, and compare with `y_hybrid`.
#
# ## Check

# %%
assert calls == [("minimx.ndarray", "NDArray"), ("minimx.symbol", "Symbol"),
                 ("minimx.symbol", "Symbol")], calls           # imperative, trace, net(sym)
np.testing.assert_allclose(y_hybrid.asnumpy(), y_imperative.asnumpy(), rtol=1e-5, atol=1e-6)
np.testing.assert_array_equal(y_again.asnumpy(), y_hybrid.asnumpy())
assert [n["op"] for n in op_nodes] == ["FullyConnected", "Activation", "FullyConnected",
                                       "_mul_scalar", "_plus_scalar", "softmax"]
assert len(var_nodes) == 5 and sym.list_arguments()[0] == "data"
assert infer_report["planned_bytes"] < infer_report["naive_bytes"]           # buffers shared
assert train_report["planned_bytes"] <= train_report["naive_bytes"]
assert fusion["after"] < fusion["nodes"]                                      # a fused chain
assert type(out._node[0].op).__name__ == "CachedOpGrad"                      # one tape node
assert sum(ops_imperative.values()) == 13, ops_imperative
assert sum(ops_hybrid.values()) < sum(ops_imperative.values()), ops_hybrid
np.testing.assert_allclose(y_mlp_hybrid.asnumpy(), y_mlp_imperative.asnumpy(), rtol=1e-5,
                           atol=1e-6)
assert t_hyb < 1.5 * t_imp, (t_hyb, t_imp)     # loose: the graph is not slower on small batches
for a, b in zip(grads_imperative, grads_hybrid):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
assert shape_error is not None and "x.shape is not available" in shape_error
assert good(cube).shape == (2, 12)
assert bool_error is not None and "no truth value" in bool_error
np.testing.assert_array_equal(flipper(neg).asnumpy(), -neg.asnumpy())
np.testing.assert_array_equal(flipper(-neg).asnumpy(), -neg.asnumpy())
assert before.tolist() == frozen.tolist() == [[1, 1]] and retraced.tolist() == [[2, 2]]
assert sym_file.endswith("-symbol.json") and params_file.endswith("-0000.params")
assert sorted(nd.load(params_file)) == sorted("arg:" + n for n in sym.list_arguments()[1:])
np.testing.assert_allclose(y_loaded.asnumpy(), y_hybrid.asnumpy(), rtol=1e-6)
if fixtures is not None:
    assert same_json and same_params
    np.testing.assert_allclose(ours, io["y"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(theirs_out, io["y"], rtol=1e-4, atol=1e-6)

# %% [markdown]
# ## Under the hood
#
# * `minimx/gluon/hybrid_block.py`: `HybridBlock.forward` calls `hybrid_forward(F=mx.nd, ...)`,
#   or, once hybridized, `_call_cached_graph`, which builds a `CachedGraph` on the first call;
#   `export` writes the cached graph and the Parameters.
# * `minimx/gluon/cached_graph.py`: the trace (`hybrid_forward(F=mx.sym, ...)` with the
#   Parameters as variables), shape inference for deferred Parameters, and one `GraphPlan` per
#   input signature.
# * `minimx/symbol/executor.py`: `GraphPlan` (rules once, kernels looked up once, the whole graph
#   pushed as one `CachedOp` engine op) and `run_graph`, the node-by-node path through `invoke`
#   for graphs the plan does not cover.
# * `minimx/symbol/symbol.py`: `Symbol.shape` and `Symbol.__bool__` raise the two pitfall errors;
#   `minimx/symbol/json_io.py` reads and writes MXNet's JSON; `minimx/visualization.py` is
#   `mx.viz`; `minimx/gluon/symbol_block.py` is `SymbolBlock.imports`.
#
# ## Summary
#
# * `F` is `mx.nd` imperatively, `mx.sym` while tracing; after the trace your Python does not run.
# * The traced graph is a list of nodes: variables (inputs, Parameters) and ops, by name.
# * Running it costs one engine op per call instead of one per node: a clear gain on small batches.
# * No `x.shape`, no `if` on array values in `hybrid_forward`; Python values freeze at trace time.
# * `export` writes MXNet's `-symbol.json`/`-0000.params`; `SymbolBlock.imports` loads them.
#
# ## Exercises
#
# 1. Add `print(x)` inside `Scorer.hybrid_forward`. What does it print while tracing, and how
#    often does it print over ten hybridized calls?
# 2. Call `mlp` on batches of sizes 4, 5 and 4 again. How many engine ops, and how many traces?
#    (Count the calls of `hybrid_forward` as above.)
# 3. Rewrite `SignFlipWhere` with `F.contrib.cond` and check it gives the same results.
# 4. Export tutorial 7's ResNet and load it with `SymbolBlock.imports`: where in the JSON are
#    BatchNorm's running statistics, and under which prefix in the params file?
# 5. Time `seconds_per_call` for batch sizes 1, 16, 256, 4096 and plot the ratio. Where does
#    hybridizing stop paying?
