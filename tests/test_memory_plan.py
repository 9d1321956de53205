"""A hybridized graph's memory plan and cached backward (``symbol/memory_plan.py``,
``symbol/grad_graph.py``, ``symbol/graph_plan.py``).

- the planner never lets two live values share a buffer (a property over random graphs);
- every kernel it lets run in place gives the same result when its output IS its input;
- planned and cached-backward runs give the imperative values and gradients, and the plans
  report what they save (ResNet-18's figures are recorded in bench/README.md).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx import autograd, gluon, nd
from minimx._kernels import get_backend
from minimx.ops import all_ops
from minimx.symbol.memory_plan import may_run_in_place, plan_memory
from op_inputs import draw_inputs


class _FakeOp:
    def __init__(self, name, in_place):
        self.name, self.in_place = name, in_place


class _Step:
    def __init__(self, op, refs, outs, mutated=()):
        self.op, self.refs, self.outs, self.mutated = op, refs, outs, mutated


@st.composite
def _graphs(draw):
    """Random DAGs: a few variables, then op nodes reading earlier values; some pinned outputs."""
    n_vars = draw(st.integers(1, 3))
    steps, values = [None] * n_vars, [(i, 0) for i in range(n_vars)]
    sizes = st.sampled_from([(4,), (8,), (2, 4), (16,)])
    for i in range(n_vars, n_vars + draw(st.integers(1, 14))):
        refs = tuple(draw(st.lists(st.sampled_from(values), min_size=1, max_size=3)))
        elementwise = draw(st.booleans())
        n_out = 1 if elementwise else draw(st.integers(1, 2))
        outs = tuple((draw(sizes), np.float32) for _ in range(n_out))
        op = _FakeOp("relu" if elementwise else "Convolution", elementwise)
        steps.append(_Step(op, refs, outs))
        values += [(i, j) for j in range(n_out)]
    op_values = [v for v in values if steps[v[0]] is not None]
    pinned = set(draw(st.lists(st.sampled_from(op_values), max_size=3))) | {op_values[-1]}
    return steps, pinned


@given(_graphs())
@settings(max_examples=200, deadline=None)
def test_no_two_live_values_share_a_slot(graph):
    steps, pinned = graph
    layout = plan_memory(steps, pinned)
    last = {}
    for i, s in enumerate(steps):
        if s is not None:
            for r in s.refs:
                last[r] = i
    # Replay the graph: a slot holds one value at a time; a value may be overwritten only by a
    # node that reads it for the last time (in place) or after its last read.
    holder = {}
    for i, s in enumerate(steps):
        if s is None:
            continue
        for j, (shape, dtype) in enumerate(s.outs):
            slot = layout.slot_of.get((i, j))
            if slot is None:
                continue
            assert (i, j) not in pinned
            assert layout.slot_bytes[slot] >= int(np.prod(shape)) * 4
            old = holder.get(slot)
            if old is not None:
                assert last.get(old, -1) <= i, f"slot {slot}: {(i, j)} overwrites live {old}"
                if last.get(old, -1) == i:
                    assert may_run_in_place(s.op) and old in s.refs
            holder[slot] = (i, j)
    assert layout.planned_bytes <= layout.naive_bytes


_IN_PLACE = [op for op in all_ops() if op.kernel is not None and may_run_in_place(op)
             and op.inputs and not op.variadic]


@pytest.mark.parametrize("op", _IN_PLACE, ids=lambda op: op.name)
@given(data=st.data())
@settings(max_examples=3, deadline=None)
def test_in_place_kernels_may_overwrite_their_input(op, data):
    dtype = op.domain.dtypes[0]
    raw = dict(op.domain.attrs[data.draw(st.integers(0, len(op.domain.attrs) - 1))])
    inputs = draw_inputs(data, op, dtype, raw)
    attrs = op.parse(raw)
    shape = op.shape(attrs, *[x.shape for x in inputs])
    out_dtype = op.dtype(attrs, *[x.dtype for x in inputs])
    if isinstance(shape, list):
        return
    kernel = get_backend("cpu").kernels[op.kernel]
    want = np.empty(shape, out_dtype)
    kernel(tuple(x.copy() for x in inputs), (want,), attrs)
    for k, x in enumerate(inputs):
        if x.shape != tuple(shape) or x.dtype != np.dtype(out_dtype):
            continue
        ins = [y.copy() for y in inputs]
        kernel(tuple(ins), (ins[k],), attrs)           # the output is input k itself
        np.testing.assert_array_equal(ins[k], want, err_msg=f"{op.name} in place over input {k}")


def _mlp(bn=False):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(16, activation="relu"))
    if bn:
        net.add(gluon.nn.BatchNorm())
    net.add(gluon.nn.Dense(8, activation="tanh"), gluon.nn.Dense(3))
    return net


def _train(net, x, y, steps=3):
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    for _ in range(steps):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(x.shape[0])
    return [p.data().asnumpy() for p in net.collect_params().values()]


@pytest.mark.parametrize("bn", [False, True])
def test_cached_backward_trains_like_imperative(bn):
    x = nd.array(np.random.RandomState(0).randn(6, 5))
    y = nd.array([0, 1, 2, 0, 1, 2])
    results = []
    for hybrid in (False, True):
        mx.random.seed(3)
        net = _mlp(bn)
        net.initialize(mx.init.Xavier())
        if hybrid:
            net.hybridize()
        results.append(_train(net, x, y))
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    plan = next(iter(net._cached_op.plans.values()))
    modes = [m for (wanted, _), m in plan._modes.items() if wanted]
    assert modes and all(m.grad is not None for m in modes), "the backward was not cached"


def test_one_engine_op_per_backward():
    """Backward through a hybridized block is one tape node whose rule runs one bulk op."""
    net = _mlp()
    net.initialize()
    x = nd.ones((2, 5))
    net(x)
    net.hybridize()
    with autograd.record():
        out = net(x)
    assert type(out._node[0].op).__name__ == "CachedOpGrad"
    out.backward()
    assert net[0].weight.grad().shape == (16, 5)


def test_memory_report_of_resnet18():
    net = gluon.model_zoo.vision.resnet18_v1(classes=10)
    net.initialize()
    x = nd.ones((1, 3, 32, 32))
    net(x)
    net.hybridize()
    with autograd.record():
        net(x).backward()
    plan = next(iter(net._cached_op.plans.values()))
    infer, train = plan.memory_report(), plan.memory_report(training=True)
    # Inference keeps only the output; training keeps what the backward reads (conv inputs,
    # BatchNorm statistics, relu outputs), so it saves less.
    assert infer["saved_fraction"] > 0.6 and infer["in_place"] > 0
    assert 0.1 < train["saved_fraction"] < infer["saved_fraction"]


def test_static_alloc_keeps_outputs_apart():
    net = _mlp()
    net.initialize()
    net.hybridize(static_alloc=True)
    a = net(nd.ones((2, 5)))
    b = net(nd.ones((2, 5)) * 2)
    ref = _mlp()
    ref.initialize()
    for p, q in zip(ref.collect_params().values(), net.collect_params().values()):
        p.set_data(q.data())
    np.testing.assert_allclose(a.asnumpy(), ref(nd.ones((2, 5))).asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), ref(nd.ones((2, 5)) * 2).asnumpy(), rtol=1e-6)


def test_create_graph_through_a_hybridized_block_explains_itself():
    net = _mlp()
    net.initialize()
    net.hybridize()
    x = nd.ones((2, 5))
    x.attach_grad()
    with autograd.record():
        out = net(x)
        with pytest.raises(mx.MXNetError, match="hybridize"):
            autograd.grad(out, [x], create_graph=True)
