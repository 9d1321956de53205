"""Elementwise fusion on the CPU: a hybridized block's groups of elementwise ops run as one
program of ``_kernels/cpu/fused.pyx``'s interpreter (``symbol/fusion_cpu.py``) and give the SAME
BITS as the unfused plan (every step its own kernel), in inference and training; memory is then
planned on the fused steps.

Mutation check (by hand): break one opcode in ``fused.pyx`` (e.g. ``SUB`` computing
``a[i] + b[i]``), rebuild with ``MINIMX_ONLY=fused python3 setup.py build_ext --inplace``: the
opcode and property tests fail; restore and rebuild.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx import autograd, gluon
from minimx._kernels.cpu import fused as cpu_fused
from minimx.symbol.fusion import FUSED_AWAY
from minimx.symbol.fusion_cpu import _ACTIVATION, _C_BINARY, _CYTHON_UNARY, _REFERENCE_UNARY, \
    _SCALAR

SMALL, BIG = (3, 100), (5, 600)     # below and above NUMPY_MIN: libm and numpy transcendentals


def _plan(net):
    return next(iter(net._cached_op.plans.values()))


def _values(shape, dtype, seed=0, scale=3.0):
    """Normal values with the awkward ones sprinkled in: +-0, NaN, +-inf, huge, tiny."""
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(shape) * scale).astype(dtype)
    flat = a.reshape(-1)
    special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1e30, -1e-30, 0.5, 1.0, -1.0], dtype)
    flat[rng.choice(flat.size, 40, replace=False)] = np.resize(special, 40)
    return a


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def _unfused(net, *args):
    """The same plan again with fusion off: every step runs its own kernel."""
    plan = _plan(net)
    fusable, plan.fusable, plan._modes = plan.fusable, None, {}
    try:
        out = net(*args)
        return [o.asnumpy() for o in out] if isinstance(out, (list, tuple)) else out.asnumpy()
    finally:
        plan.fusable, plan._modes = fusable, {}


def _fused_steps(plan, training=False):
    mode = plan._mode(tuple(plan.var_index) if training else (), training)
    return [s for s in mode.steps if s is not None and s is not FUSED_AWAY
            and s.op.name == "_fused_elemwise"]


class _Chain(gluon.HybridBlock):
    def hybrid_forward(self, F, x, y):
        return F.relu(x * 2 + 1) * F.sigmoid(y) - 0.5


# -- every opcode, through a fused group, against its own kernel ---------------------------------
_CASES = [("unary", n) for n in sorted(_CYTHON_UNARY) + sorted(_REFERENCE_UNARY)]
_CASES += [("act", n) for n in sorted(_ACTIVATION)]
_CASES += [("binary", "broadcast_" + n) for n in _C_BINARY]
_CASES += [("scalar", n) for n in sorted(_SCALAR)]


def _apply(F, kind, name, a, b):
    if kind == "unary":
        return getattr(F, name)(a)
    if kind == "act":
        return F.Activation(a, act_type=name)
    if kind == "binary":
        return getattr(F, name)(a, b)
    return getattr(F._internal, name)(a, scalar=-1.5 if "power" not in name else 2.5)


@pytest.mark.parametrize("kind,name", _CASES)
def test_every_opcode_gives_its_kernels_bits(kind, name):
    class Net(gluon.HybridBlock):
        def hybrid_forward(self, F, x, *y):
            # negative (exact) makes a group of two; the op is the group's root
            return _apply(F, kind, name, F.negative(x), y[0] if y else None)
    for shape, dtype in ((SMALL, "float32"), (BIG, "float32"), (BIG, "float64")):
        args = [mx.nd.array(_values(shape, dtype, 1), dtype=dtype)]
        if kind == "binary":
            args.append(mx.nd.array(_values(shape, dtype, 2), dtype=dtype))
        net = Net()
        net.hybridize()
        fused = net(*args).asnumpy()
        plan = _plan(net)
        assert plan.fusion_report() == {"nodes": 2, "after": 1, "groups": 1}, (name, shape)
        (step,) = _fused_steps(plan)
        assert isinstance(step.kernel.fused, cpu_fused.Program)
        # the interpreter itself (not the one-by-one fallback) computes it
        direct = np.empty(shape, dtype)
        var = dict(zip(plan.var_index, args))
        assert step.kernel.fused([var[i]._data for i, _ in step.refs], [direct], {}) is None
        unfused = _unfused(net, *args)
        np.testing.assert_array_equal(_bits(fused), _bits(unfused), err_msg=f"{name} {shape}")
        np.testing.assert_array_equal(_bits(direct), _bits(unfused), err_msg=f"{name} {shape}")


# -- property: random chains and trees, fused against the same plan unfused -------------------
_UNARY = ["relu", "sigmoid", "tanh", "exp", "log", "sqrt", "rsqrt", "square", "negative", "abs",
          "reciprocal", "sin", "cos", "log1p", "expm1", "softsign"]
_ACT = ["relu", "sigmoid", "tanh", "softrelu", "softsign"]
_BINARY = ["elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div", "broadcast_maximum",
           "broadcast_minimum", "broadcast_power", "broadcast_greater"]
_SCALARS = ["_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
            "_rdiv_scalar", "_power_scalar", "_rpower_scalar", "_maximum_scalar",
            "_minimum_scalar", "_greater_scalar", "_lesser_equal_scalar"]
_step = st.one_of(
    st.tuples(st.just("unary"), st.sampled_from(_UNARY), st.integers(0, 10)),
    st.tuples(st.just("act"), st.sampled_from(_ACT), st.integers(0, 10)),
    st.tuples(st.just("binary"), st.sampled_from(_BINARY), st.integers(0, 10)),
    st.tuples(st.just("scalar"), st.sampled_from(_SCALARS),
              st.sampled_from([0.5, 2.0, -1.25, 3.0, 0.0])))


def _build(F, x, y, program):
    vals = [x, y, x * y]     # every input is used; operands reach back: trees and diamonds
    for kind, name, arg in program:
        v = vals[-1]
        if kind == "unary":
            v = getattr(F, name)(v)
        elif kind == "act":
            v = F.Activation(v, act_type=name)
        elif kind == "binary":
            v = getattr(F, name)(v, vals[arg % len(vals)])
        else:
            v = getattr(F._internal, name)(v, scalar=arg)
        vals.append(v)
    return vals[-1]


@settings(max_examples=25, deadline=None)
@given(program=st.lists(_step, min_size=2, max_size=8),
       dtype=st.sampled_from(["float32", "float64"]), big=st.booleans())
def test_random_groups_fused_equal_unfused_bit_for_bit(program, dtype, big):
    class Net(gluon.HybridBlock):
        def hybrid_forward(self, F, x, y):
            return _build(F, x, y, program)
    shape = BIG if big else SMALL
    x, y = (mx.nd.array(_values(shape, dtype, s, 1.5), dtype=dtype) for s in (3, 4))
    net = Net()
    net.hybridize()
    fused = net(x, y).asnumpy()
    report = _plan(net).fusion_report()
    assert report["groups"] >= 1 and report["after"] < report["nodes"]
    # One pass or many, each step rounds to the element type: the same bits (NaNs included).
    np.testing.assert_array_equal(_bits(fused), _bits(_unfused(net, x, y)))


# -- training: gradients through fused forward and backward plans --------------------------------
def test_gradients_through_fused_plans_equal_unfused_and_imperative():
    rng = np.random.default_rng(5)
    xs, ys = (rng.standard_normal((40, 70)).astype(np.float32) for _ in range(2))
    results = []
    for hybrid, fuse in ((False, False), (True, False), (True, True)):
        net = _Chain()
        if hybrid:
            net.hybridize()
        x, y = mx.nd.array(xs), mx.nd.array(ys)
        x.attach_grad()
        y.attach_grad()
        if hybrid:      # build the plan, then switch fusion on or off for it
            net(x, y)
            _plan(net).fusable, _plan(net)._modes = ("cpu" if fuse else None), {}
        with autograd.record():
            z = net(x, y)
            loss = (z * z).sum()
        loss.backward()
        results.append([z.asnumpy(), x.grad.asnumpy(), y.grad.asnumpy()])
    for a, b in zip(results[1], results[2]):
        np.testing.assert_array_equal(_bits(b), _bits(a))
    for a, b in zip(results[0], results[2]):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    plan = _plan(net)
    report = plan.fusion_report(training=True)
    assert report["groups"] >= 1 and report["nodes"] > report["after"] > 1
    # The backward graph is planned (and fused) too.
    mode = plan._mode(tuple(plan.var_index), True)
    bw = [p for _, p in mode.backward_plans.values()]
    assert bw and bw[0].fusion_report()["groups"] >= 1


def test_mlp_backward_fuses_the_relu_mask_and_the_product():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(16, activation="relu"), gluon.nn.Dense(4))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x = mx.nd.array(np.random.default_rng(0).standard_normal((8, 5)))
    with autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    (bw,) = [p for mode in _plan(net)._modes.values() for _, p in mode.backward_plans.values()]
    # relu's gradient: (y > 0) * dy: _greater_scalar and elemwise_mul become one step
    assert bw.fusion_report() == {"nodes": 7, "after": 6, "groups": 1}


# -- the fallback ---------------------------------------------------------------------------------
def test_a_declined_program_runs_the_steps_one_by_one():
    x, y = (mx.nd.array(_values(SMALL, "float32", s)) for s in (6, 7))
    net = _Chain()
    net.hybridize()
    fused = net(x, y).asnumpy()
    (step,) = _fused_steps(_plan(net))
    program = step.kernel.fused
    # The interpreter declines what it does not take: mixed dtypes, non-contiguous inputs ...
    out = np.empty(SMALL, np.float64)
    assert program([x._data, y._data], [out], {}) is NotImplemented
    out = np.empty(SMALL, np.float32)
    assert program([x._data, y._data.T.copy().T], [out], {}) is NotImplemented
    assert program([x._data], [out], {}) is NotImplemented
    # ... and then the step runs the original kernels, with the same bits.
    step.kernel.fused = lambda ins, outs, attrs: NotImplemented
    np.testing.assert_array_equal(_bits(net(x, y).asnumpy()), _bits(fused))


def test_programs_are_checked_when_built():
    O = cpu_fused.OPCODES
    with pytest.raises(mx.MXNetError, match="instruction 0"):
        cpu_fused.Program(1, [], [(O["add"], 1, 0, -1, 0)], 2)     # add needs two operands
    with pytest.raises(mx.MXNetError, match="instruction 0"):
        cpu_fused.Program(1, [], [(O["negative"], 2, 0, -1, 0)], 3)  # the last must write out
    with pytest.raises(mx.MXNetError, match="registers"):
        cpu_fused.Program(1, [], [(O["negative"], 1, 0, -1, 0)], 99)
    p = cpu_fused.Program(1, [2.0], [(O["mul"], 3, 0, 2, 0), (O["negative"], 1, 3, -1, 0)], 4)
    x = _values((7, 300), "float32")      # several blocks and a ragged last one
    out = np.empty_like(x)
    assert p([x], [out], {}) is None
    np.testing.assert_array_equal(_bits(out), _bits(-(x * np.float32(2))))


# -- memory planning on the fused steps, and the switch -------------------------------------------
class _DotThenChain(gluon.HybridBlock):
    def hybrid_forward(self, F, x, y):
        h = F.dot(x, y)         # not elementwise: its value dies inside the fused step
        return F.relu(h * 2 + 1) - 0.5


def test_memory_is_planned_on_the_fused_steps():
    x, y = (mx.nd.array(_values((32, 32), "float32", s, 1.0)) for s in (8, 9))
    x = mx.nd.array(np.nan_to_num(x.asnumpy(), posinf=1, neginf=-1))
    y = mx.nd.array(np.nan_to_num(y.asnumpy(), posinf=1, neginf=-1))
    net = _DotThenChain()
    net.hybridize()
    fused = net(x, y).asnumpy()
    plan = _plan(net)
    assert plan.fusion_report() == {"nodes": 5, "after": 2, "groups": 1}
    report = plan.memory_report()
    # dot's output (4 KiB) and the fused step's output: the head is pinned, but dot's buffer
    # would be overwritten in place if the head were not pinned; nothing else exists.
    assert report["naive_bytes"] == 2 * 32 * 32 * 4
    unfused = _unfused(net, x, y)
    np.testing.assert_array_equal(_bits(fused), _bits(unfused))
    plan.fusable, plan._modes = None, {}
    assert plan.memory_report()["naive_bytes"] == 5 * 32 * 32 * 4
    assert plan.fusion_report() is None


class _DotChainDot(gluon.HybridBlock):
    def hybrid_forward(self, F, x, y):
        h = F.relu(F.dot(x, y) * 2 + 1)     # fused; reads dot's dead output: in place
        return F.dot(h, y)


def test_a_fused_step_overwrites_its_dead_input_in_place():
    rng = np.random.default_rng(3)
    xs, ys = (rng.standard_normal((64, 64)).astype(np.float32) for _ in range(2))
    net = _DotChainDot()
    net.hybridize()
    fused = net(mx.nd.array(xs), mx.nd.array(ys)).asnumpy()
    plan = _plan(net)
    assert plan.fusion_report() == {"nodes": 5, "after": 3, "groups": 1}
    assert plan.memory_report()["in_place"] == 1
    np.testing.assert_array_equal(_bits(fused),
                                  _bits(_unfused(net, mx.nd.array(xs), mx.nd.array(ys))))
    h = np.maximum(xs @ ys * 2 + 1, 0)
    np.testing.assert_allclose(fused, h @ ys, rtol=1e-4, atol=1e-4)


def test_the_environment_switch_turns_cpu_fusion_off(monkeypatch):
    x, y = (mx.nd.array(_values(SMALL, "float32", s)) for s in (1, 2))
    monkeypatch.setenv("MINIMX_CPU_FUSION", "0")
    net = _Chain()
    net.hybridize()
    off = net(x, y).asnumpy()
    assert _plan(net).fusion_report() is None
    assert _plan(net).memory_report() is not None
    monkeypatch.setenv("MINIMX_CPU_FUSION", "1")
    net = _Chain()
    net.hybridize()
    on = net(x, y).asnumpy()
    assert _plan(net).fusion_report() == {"nodes": 6, "after": 1, "groups": 1}
    np.testing.assert_array_equal(_bits(on), _bits(off))


def test_large_arrays_run_in_threads_with_the_same_bits():
    from minimx.threads import set_kernel_threads
    x, y = (mx.nd.array(_values((400, 500), "float32", s)) for s in (10, 11))
    prev = set_kernel_threads(2)       # 200000 elements: prange over bands of blocks
    try:
        net = _Chain()
        net.hybridize()
        fused = net(x, y).asnumpy()
        assert _plan(net).fusion_report()["groups"] == 1
        np.testing.assert_array_equal(_bits(fused), _bits(_unfused(net, x, y)))
    finally:
        set_kernel_threads(prev)


def test_numpy_loops_are_found_and_agree_with_their_ufuncs():
    # Every loop the recipes name passed the first-use check on this numpy; a numpy that
    # routes a call elsewhere would turn these False and the programs using them would decline.
    for name in cpu_fused.NP_UFUNCS:
        assert cpu_fused.numpy_loop_ok(name, np.float32), name
        assert cpu_fused.numpy_loop_ok(name, np.float64), name


def test_a_group_needing_too_many_registers_runs_one_by_one():
    from minimx.symbol.fusion import _declined

    class Long(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            for k in range(cpu_fused.MAX_REGS + 6):     # each distinct scalar is a register
                x = x * (1 + k / 1024)
            return x
    x = mx.nd.array(_values(SMALL, "float64", 12), dtype="float64")
    net = Long()
    net.hybridize()
    fused = net(x).asnumpy()
    (step,) = _fused_steps(_plan(net))
    assert step.kernel.fused is _declined
    np.testing.assert_array_equal(_bits(fused), _bits(_unfused(net, x)))
