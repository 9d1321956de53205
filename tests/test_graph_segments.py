"""Independent branches of a hybridized graph run as separate engine ops (``symbol/segments.py``).

- an MLP's backward splits off its heavy weight gradients, each pushed right after the chain
  segment that computes its inputs;
- segments run in an order the engine can honour (every value read across segments is pinned
  and written by an earlier segment), a property over random graphs;
- segments plan their buffers apart, so two segments never share a slot;
- training with segments gives the values of training without them, and the segments really are
  separate engine ops.
"""
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx import autograd, engine, gluon, nd
from minimx.symbol.graph_plan import _crossing
from minimx.symbol.memory_plan import plan_segments
from minimx.symbol.segments import split_segments


class _Op:
    def __init__(self, kernel):
        self.name = self.kernel = kernel
        self.in_place = kernel == "relu"


class _Step:
    def __init__(self, kernel, refs, shape):
        self.op, self.refs, self.outs, self.mutated = _Op(kernel), refs, ((shape, "f"),), ()


def _meta(steps, var_shapes):
    return [((var_shapes[i], "f"),) if st is None else st.outs for i, st in enumerate(steps)]


def test_mlp_backward_splits_off_the_weight_gradients():
    # The backward of Dense(256)-relu-Dense(256)-relu-Dense(10) on a batch of 64, as traced.
    n = 64
    var_shapes = {0: (n, 10), 1: (256, 10), 2: (n, 256), 3: (256, 256), 4: (n, 256),
                  5: (n, 784)}
    steps = [None] * 6
    steps += [_Step("dot", ((0, 0), (1, 0)), (n, 256)),          # 6: dx2 = dy @ W2
              _Step("relu", ((6, 0), (2, 0)), (n, 256)),         # 7: mask
              _Step("dot", ((7, 0), (3, 0)), (n, 256)),          # 8: dx1
              _Step("relu", ((8, 0), (4, 0)), (n, 256)),         # 9: mask
              _Step("dot", ((9, 0), (5, 0)), (256, 784)),        # 10: dW0 (12.8M)
              _Step("sum", ((9, 0),), (256,)),                   # 11: db0
              _Step("dot", ((7, 0), (4, 0)), (256, 256)),        # 12: dW1 (4.2M)
              _Step("dot", ((0, 0), (2, 0)), (10, 256))]         # 13: dW2 (0.16M: light)
    meta = _meta(steps, var_shapes)
    segments = split_segments(steps, meta, list(range(6, 14)))
    # dW1 runs beside dx1's segment, dW0 beside the light rest; dW2 is too small to split off
    assert segments == [[6, 7], [12], [8, 9], [10], [11, 13]]
    assert sorted(i for s in segments for i in s) == list(range(6, 14))


def test_a_chain_is_one_segment():
    steps = [None, None, _Step("dot", ((0, 0), (1, 0)), (512, 512)),
             _Step("relu", ((2, 0),), (512, 512)),
             _Step("dot", ((3, 0), (1, 0)), (512, 512))]
    assert split_segments(steps, _meta(steps, {0: (512, 512), 1: (512, 512)}), [2, 3, 4]) is None


@st.composite
def _graphs(draw):
    """Random DAGs of light and heavy nodes over a few variables."""
    n_vars = draw(st.integers(1, 3))
    steps = [None] * n_vars
    big, small = (1024, 1024), (8,)
    for i in range(n_vars, n_vars + draw(st.integers(1, 16))):
        refs = tuple(draw(st.lists(st.sampled_from([(k, 0) for k in range(i)]), min_size=1,
                                   max_size=3)))
        heavy = draw(st.booleans()) and len(refs) >= 2
        steps.append(_Step("dot" if heavy else "relu", refs, big if heavy else small))
    var_shapes = {i: (1024, 1024) for i in range(n_vars)}
    return steps, _meta(steps, var_shapes)


@given(_graphs())
@settings(max_examples=300, deadline=None)
def test_segments_can_be_pushed_in_order_and_never_share_buffers(graph):
    steps, meta = graph
    ops = [i for i, s in enumerate(steps) if s is not None]
    segments = split_segments(steps, meta, ops)
    if segments is None:
        return
    assert sorted(i for s in segments for i in s) == ops          # every op once
    home = {i: k for k, s in enumerate(segments) for i in s}
    for k, seg in enumerate(segments):
        assert seg == sorted(seg)                                 # plan order inside
        for i in seg:
            for src, _ in steps[i].refs:
                if src in home:                                   # pushed before its readers
                    assert home[src] <= k
    pinned = _crossing(steps, segments)
    layout = plan_segments(steps, pinned, segments)
    for k, seg in enumerate(segments):
        for i in seg:
            for ref in steps[i].refs:
                if ref[0] in home and home[ref[0]] != k:   # read across segments: own buffer
                    assert ref not in layout.slot_of
    slots_of_segment = {}
    for value, slot in layout.slot_of.items():
        assert value not in pinned
        owner = slots_of_segment.setdefault(slot, home[value[0]])
        assert owner == home[value[0]], "two segments share a buffer"


def _mlp():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(256, activation="relu", in_units=784),
            gluon.nn.Dense(256, activation="relu", in_units=256),
            gluon.nn.Dense(10, in_units=256))
    return net


def _train(segments, monkeypatch, steps=3):
    monkeypatch.setenv("MINIMX_GRAPH_SEGMENTS", "1" if segments else "0")
    mx.random.seed(1)
    net = _mlp()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    rng = np.random.RandomState(0)
    x, y = nd.array(rng.randn(64, 784)), nd.array(rng.randint(0, 10, 64))
    for _ in range(steps):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(64)
    return net, [p.data().asnumpy() for p in net.collect_params().values()]


def test_training_with_segments_equals_training_without(monkeypatch):
    _, plain = _train(False, monkeypatch)
    net, split = _train(True, monkeypatch)
    for a, b in zip(plain, split):
        # the same kernels; a GEMM may run on one or two OpenBLAS threads (last-bit rounding)
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    plan = next(iter(net._cached_op.plans.values()))
    backward = [bp for m in plan._modes.values() for _, bp in m.backward_plans.values()]
    assert any(m.segments for bp in backward for m in bp._modes.values())


def test_segments_are_separate_engine_ops(monkeypatch):
    if engine.get_engine().name != "ThreadedEngine":
        pytest.skip("the threaded engine's pushes are counted")
    net, _ = _train(True, monkeypatch, steps=1)
    x = nd.ones((64, 784))
    pushed = []
    eng = engine.get_engine()
    push = eng.push

    def counting(fn, reads, writes, ctx=None, name="op", inline=False):
        pushed.append(name)
        return push(fn, reads, writes, ctx, name, inline)
    monkeypatch.setattr(eng, "push", counting)
    with autograd.record():
        out = net(x)
    out.backward()
    mx.nd.waitall()
    plan = next(iter(net._cached_op.plans.values()))
    seg_counts = [len(m.segments) for m in plan._modes.values()
                  for _, bp in m.backward_plans.values() for m in bp._modes.values()
                  if m.segments]
    assert seg_counts and pushed.count("CachedOp") == 1 + seg_counts[0], pushed
