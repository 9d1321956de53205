"""Elementwise fusion on the OpenCL backend: a hybridized block's chains of elementwise ops run as
one generated kernel (``symbol/fusion.py``, ``_kernels/opencl/fused.py``) and give the unfused
values and gradients. Skipped, with the reason, when pyopencl or a device is missing."""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

os.environ.setdefault("POCL_CACHE_DIR", tempfile.mkdtemp(prefix="minimx-pocl-"))
os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")

import minimx as mx  # noqa: E402
from minimx import autograd, gluon  # noqa: E402
from minimx._kernels import opencl  # noqa: E402

_REASON = opencl.missing_reason()
pytestmark = pytest.mark.skipif(_REASON is not None,
                                reason=f"OpenCL backend unavailable: {_REASON}")


class _Chain(gluon.HybridBlock):
    def hybrid_forward(self, F, x, y):
        return F.relu(x * 2 + 1) * F.sigmoid(y) - 0.5


class _Pinned(gluon.HybridBlock):
    """``h`` is an output AND read by the rest of the chain: it must not be fused through."""

    def hybrid_forward(self, F, x):
        h = F.tanh(x * 3)
        return h, F.Activation(h + 1, act_type="softrelu") / 2


def _plan(net):
    return next(iter(net._cached_op.plans.values()))


def _inputs(dtype, shape=(4, 7), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for _ in range(2)]


def _launches(monkeypatch):
    """A list that grows by one per kernel launch on any OpenCL device."""
    from minimx._kernels.opencl.device import Device
    seen, launch = [], Device.launch

    def counting(self, *args):
        seen.append(args[0])
        return launch(self, *args)
    monkeypatch.setattr(Device, "launch", counting)
    return seen


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chain_is_one_kernel_with_the_cpu_and_imperative_values(dtype, monkeypatch):
    xs, ys = _inputs(dtype)
    imperative = _Chain()(mx.nd.array(xs, dtype=dtype), mx.nd.array(ys, dtype=dtype)).asnumpy()
    cpu_net = _Chain()
    cpu_net.hybridize()
    on_cpu = cpu_net(mx.nd.array(xs, dtype=dtype), mx.nd.array(ys, dtype=dtype)).asnumpy()
    net = _Chain()
    net.hybridize()
    x, y = (mx.nd.array(a, ctx=mx.gpu(), dtype=dtype) for a in (xs, ys))
    net(x, y).wait_to_read()            # build the plan and the program
    launches = _launches(monkeypatch)
    out = net(x, y).asnumpy()
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, on_cpu)
    np.testing.assert_allclose(out, imperative, rtol=1e-6)
    expected = np.maximum(xs * 2 + 1, 0) / (1 + np.exp(-ys)) - 0.5
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert _plan(net).fusion_report() == {"nodes": 6, "after": 1, "groups": 1}
    assert len(launches) == 1
    # The CPU fuses the same group (its interpreter: tests/test_fusion_cpu.py).
    assert _plan(cpu_net).fusion_report() == {"nodes": 6, "after": 1, "groups": 1}


def test_an_intermediate_that_is_an_output_is_not_fused_through():
    xs, _ = _inputs("float32")
    net = _Pinned()
    net.hybridize()
    h, o = net(mx.nd.array(xs, ctx=mx.gpu()))
    h_ref, o_ref = _Pinned()(mx.nd.array(xs))
    np.testing.assert_allclose(h.asnumpy(), h_ref.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(o.asnumpy(), o_ref.asnumpy(), rtol=1e-6)
    # (x*3 -> tanh) is one group ending at the output h; (+1 -> softrelu -> /2) another.
    assert _plan(net).fusion_report() == {"nodes": 5, "after": 2, "groups": 2}


def test_training_through_a_fused_block_gives_the_imperative_gradients():
    xs, ys = _inputs("float32", seed=1)
    grads = []
    for ctx, hybrid in ((mx.cpu(), False), (mx.gpu(), True)):
        net = _Chain()
        if hybrid:
            net.hybridize()
        x, y = mx.nd.array(xs, ctx=ctx), mx.nd.array(ys, ctx=ctx)
        x.attach_grad()
        y.attach_grad()
        with autograd.record():
            z = net(x, y)
            loss = z * z
        loss.backward()
        grads.append((z.asnumpy(), x.grad.asnumpy(), y.grad.asnumpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)
    report = _plan(net).fusion_report(training=True)
    # The backward reads relu's and sigmoid's outputs: fewer nodes fuse than in inference.
    assert report["groups"] >= 1 and report["nodes"] > report["after"] > 1


# -- property test: random chains, fused against the same plan unfused -------------------------
_UNARY = ["relu", "sigmoid", "tanh", "exp", "square", "negative", "abs", "softsign", "sin"]
_BINARY = ["elemwise_add", "elemwise_sub", "elemwise_mul", "broadcast_maximum", "broadcast_add"]
_SCALAR = ["_plus_scalar", "_rminus_scalar", "_mul_scalar", "_rdiv_scalar", "_maximum_scalar"]
_step = st.one_of(
    st.tuples(st.just("unary"), st.sampled_from(_UNARY), st.integers(0, 10)),
    st.tuples(st.just("binary"), st.sampled_from(_BINARY), st.integers(0, 10)),
    st.tuples(st.just("scalar"), st.sampled_from(_SCALAR),
              st.sampled_from([0.5, 2.0, -1.25, 3.0])))


def _build(F, x, y, program):
    vals = [x, y, x + y]     # every input is used (an unused one is no graph variable)
    for kind, name, arg in program:
        v = vals[-1]
        if kind == "unary":
            v = getattr(F, name)(v)
        elif kind == "binary":
            v = getattr(F, name)(v, vals[arg % len(vals)])
        else:
            v = getattr(F._internal, name)(v, scalar=arg)
        vals.append(v)
    return vals[-1]


@settings(max_examples=8, deadline=None)
@given(program=st.lists(_step, min_size=2, max_size=6),
       dtype=st.sampled_from(["float32", "float64"]))
def test_random_chains_fused_equal_unfused(program, dtype):
    class Net(gluon.HybridBlock):
        def hybrid_forward(self, F, x, y):
            return _build(F, x, y, program)
    xs, ys = (a / 2 for a in _inputs(dtype, shape=(3, 5), seed=len(program)))
    x, y = (mx.nd.array(a, ctx=mx.gpu(), dtype=dtype) for a in (xs, ys))
    net = Net()
    net.hybridize()
    fused = net(x, y).asnumpy()
    plan = _plan(net)
    assert plan.fusion_report()["after"] < plan.fusion_report()["nodes"]
    plan.fusable, plan._modes = False, {}        # the same plan, every step its own kernel
    unfused = net(x, y).asnumpy()
    assert _plan(net).fusion_report() is None
    # One kernel or many, each step rounds to the element type: the same bits (NaN included).
    np.testing.assert_array_equal(fused, unfused)


def test_a_declined_fused_kernel_runs_the_steps_one_by_one():
    from minimx.symbol.fusion import FUSED_AWAY
    xs, ys = _inputs("float32", seed=2)
    net = _Chain()
    net.hybridize()
    x, y = (mx.nd.array(a, ctx=mx.gpu()) for a in (xs, ys))
    fused = net(x, y).asnumpy()
    mode = next(iter(_plan(net)._modes.values()))
    calls = [s.kernel for s in mode.steps if s is not None and s is not FUSED_AWAY]
    assert len(calls) == 1
    # The generated kernel declines what it does not cover (here: mixed dtypes) ...
    out = mx.nd.zeros(xs.shape, ctx=mx.gpu(), dtype="float64")
    assert calls[0].fused([x._data, y._data], [out._data], {}) is NotImplemented
    # ... and the step then runs the original kernels, with the same result.
    calls[0].fused = lambda ins, outs, attrs: NotImplemented
    np.testing.assert_array_equal(net(x, y).asnumpy(), fused)
