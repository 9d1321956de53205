"""Gradient rules checked against float64 central differences, generated from the op table.

For every op with a gradient rule, every float64 parameter set of its Domain and both CPU backends
(Cython and numpy reference), hypothesis draws the inputs (sometimes as views into a larger
variable); the test then compares ``autograd.backward`` (head gradients: random weights ``w`` on each
differentiable output) with central differences of ``sum(w * op(inputs))``. Ops declared
``NO_GRAD``, with no rule yet (``grad=None``), or with ``Domain(grad=False)`` are skipped.
``test_the_harness_catches_a_wrong_rule`` shows the check fails when a rule is wrong.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx.ndarray.invoke import invoke
from minimx.ops import all_ops, get_op
from minimx.symbol.node import _AUX as _AUX_STATES
from op_inputs import draw_inputs

EPS = 1e-6


def _differentiable(op):
    # random ops draw anew on every call: central differences need repeatable outputs
    return callable(op.grad) and op.domain.grad and op.kernel is not None and not op.random


def _cases():
    for op in all_ops():
        if not _differentiable(op) or "float64" not in op.domain.dtypes:
            continue
        for i, _ in enumerate(op.domain.attrs):
            yield pytest.param(op, i, id=f"{op.name}-{i}")


def _outputs(op, attrs, arrays):
    out = invoke(op, arrays, attrs)
    outs = out if isinstance(out, list) else [out]
    n = op.num_visible(attrs) if op.num_visible is not None else len(outs)
    return outs[:n] if isinstance(out, list) else outs


def _float_inputs(op, inputs):
    """Indices of inputs to differentiate: float, not mutated in place, not auxiliary states
    (BatchNorm's running statistics: no gradient, as in MXNet)."""
    mutated = op.mutates(op.parse({}), len(inputs)) if callable(op.mutates) else op.mutates
    mutated = tuple(mutated) + _AUX_STATES.get(op.name, ())
    return [i for i, x in enumerate(inputs) if x.dtype.kind == "f" and i not in mutated]


def check_gradient(op, attrs, inputs, rng, rtol=1e-4, atol=1e-6, ctx=None, views=False):
    """Compare the op's gradient rule with central differences; raise AssertionError if they differ.

    ``ctx`` (default: the current context) picks the backend the forward and backward run on.
    With ``views``, each differentiated input is a window (offset 1) of a larger variable, so the
    gradient must also flow back through the view.
    """
    inputs = [np.ascontiguousarray(x) for x in inputs]   # reshape(-1) below must be a view
    wrt = _float_inputs(op, inputs)
    arrays = [mx.nd.array(x, ctx=ctx, dtype=x.dtype) for x in inputs]
    bases = {}
    for i in wrt:
        if views and inputs[i].size:
            flat = np.concatenate([np.zeros(1, inputs[i].dtype), inputs[i].reshape(-1)])
            bases[i] = mx.nd.array(flat, ctx=ctx, dtype=flat.dtype)
            bases[i].attach_grad()
        else:
            arrays[i].attach_grad()
    with mx.autograd.record():
        for i, base in bases.items():
            arrays[i] = base._view(1, inputs[i].shape)     # recorded as a view of the variable
        outs = _outputs(op, attrs, arrays)
    weights = [rng.standard_normal(o.shape) for o in outs]
    mx.autograd.backward(outs, [mx.nd.array(w, ctx=o.context, dtype=o.dtype)
                                for w, o in zip(weights, outs)])

    def objective(values):
        with mx.autograd.train_mode():   # the same mode as the recorded forward
            ys = _outputs(op, attrs, [mx.nd.array(v, ctx=ctx, dtype=v.dtype) for v in values])
        return sum(float((y.asnumpy().astype(np.float64) * w).sum()) for y, w in zip(ys, weights))

    for i in wrt:
        analytic = (bases[i].grad.asnumpy()[1:].reshape(inputs[i].shape) if i in bases
                    else arrays[i].grad.asnumpy())
        numeric = np.zeros_like(inputs[i], dtype=np.float64)
        flat = inputs[i].reshape(-1)
        for k in range(flat.size):
            plus = [x.copy() for x in inputs]
            minus = [x.copy() for x in inputs]
            plus[i].reshape(-1)[k] += EPS
            minus[i].reshape(-1)[k] -= EPS
            numeric.reshape(-1)[k] = (objective(plus) - objective(minus)) / (2 * EPS)
        np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"{op.name}: gradient of input {op.inputs[min(i, len(op.inputs) - 1)]} "
                                           f"differs from central differences")


@pytest.fixture(params=["cpu", "reference"])
def backend_ctx(request, monkeypatch):
    """A fresh cpu context whose ops run on the named backend (MINIMX_BACKEND is read per context)."""
    monkeypatch.setenv("MINIMX_BACKEND", request.param)
    ctx = mx.Context("cpu", 0)
    assert ctx.backend.name == request.param
    return ctx


@pytest.mark.parametrize("op,attrs_i", list(_cases()))
@given(data=st.data())
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_gradient_matches_central_differences(op, attrs_i, data, backend_ctx):
    raw = dict(op.domain.attrs[attrs_i])
    inputs = draw_inputs(data, op, "float64", raw)
    if op.key_var_num_args:
        raw[op.key_var_num_args] = len(inputs)
    attrs = op.parse(raw)
    seed = data.draw(st.integers(0, 2**32 - 1), label="weights")
    views = data.draw(st.booleans(), label="inputs are views")
    check_gradient(op, attrs, inputs, np.random.default_rng(seed),
                   rtol=op.domain.rtol or 1e-4, atol=op.domain.atol or 1e-6, ctx=backend_ctx,
                   views=views)


def test_the_harness_catches_a_wrong_rule(monkeypatch):
    op = get_op("broadcast_mul")
    right = op.grad

    def wrong(F, attrs, inputs, outputs, out_grads):
        g = right(F, attrs, inputs, outputs, out_grads)
        return [g[0] * 1.01, g[1]]
    monkeypatch.setattr(op, "grad", wrong)
    rng = np.random.default_rng(0)
    inputs = [rng.uniform(-2, 2, (3, 4)), rng.uniform(-2, 2, (1, 4))]
    with pytest.raises(AssertionError, match="broadcast_mul"):
        check_gradient(op, {}, inputs, rng)


def test_every_op_declares_its_gradient_or_says_it_has_none():
    """Every op has a rule or says NO_GRAD; the only exceptions are backward ops whose own
    (second-order) gradient MXNet does not have either."""
    missing = {op.name for op in all_ops() if op.grad is None and op.kernel is not None}
    print(f"\n{len(missing)} ops without a gradient rule: {' '.join(sorted(missing))}")
    assert missing <= {"_backward_BilinearSampler", "_ctc_loss_grad"}, missing
