"""Tests generated from the op table: every op, every dtype and parameter set of its Domain.

For each case hypothesis draws shapes (and a seed for the values); the test then checks that
1. the op runs through ``mx.nd`` (``invoke``) and its outputs have the shapes and dtypes its rules give,
2. the CPU backend's kernel agrees with the numpy reference kernel on the same inputs,
3. the op gives the same result on inputs that are views into a larger buffer (offset windows).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx._kernels import get_backend
from minimx.ndarray.invoke import invoke
from minimx.ops import all_ops
from op_inputs import draw_inputs as _draw_inputs

CPU, REF = get_backend("cpu"), get_backend("reference")


def _cases():
    for op in all_ops():
        for dtype in op.domain.dtypes:
            for i, _ in enumerate(op.domain.attrs):
                yield pytest.param(op, dtype, i, id=f"{op.name}-{dtype}-{i}")


def _run_kernel(backend, op, inputs, attrs, out_shapes, out_dtypes, seed):
    attrs = dict(attrs)
    if op.random:
        attrs["rng"] = backend.new_rng(seed)
    if op.train_aware:
        attrs.setdefault("is_train", False)
    ins = tuple(np.ascontiguousarray(x.copy()) for x in inputs)
    outs = tuple(np.zeros(s, d) for s, d in zip(out_shapes, out_dtypes))
    backend.kernels[op.kernel](ins, outs, attrs)
    return outs, ins


def _tolerance(op, dtype):
    rtol = op.domain.rtol or {"float16": 1e-2, "float32": 1e-4}.get(str(np.dtype(dtype)), 1e-7)
    atol = op.domain.atol or {"float16": 1e-2, "float32": 1e-5}.get(str(np.dtype(dtype)), 1e-9)
    return rtol, atol


@pytest.mark.parametrize("op,dtype,attrs_i", list(_cases()))
@given(data=st.data())
@settings(max_examples=4, deadline=None)
def test_op(op, dtype, attrs_i, data):
    raw_attrs = dict(op.domain.attrs[attrs_i])
    if not op.inputs or op.name.startswith(("_random", "_zeros", "_ones", "_full", "_arange",
                                             "_linspace", "_eye")):
        raw_attrs.setdefault("dtype", dtype) if any(p.name == "dtype" for p in op.params) else None
    if op.key_var_num_args:
        pass
    inputs = _draw_inputs(data, op, dtype, raw_attrs)
    if op.key_var_num_args:
        raw_attrs[op.key_var_num_args] = len(inputs)
    attrs = op.parse(raw_attrs)
    if op.kernel is None:
        pytest.skip("composite op: checked through the ops it is made of")

    # 1. through mx.nd: shapes and dtypes follow the op's rules
    arrays = [mx.nd.array(x, dtype=x.dtype) for x in inputs]
    result = invoke(op, arrays, attrs)
    outs = result if isinstance(result, list) else [result]
    shapes = op.shape(attrs, *[x.shape for x in inputs])
    dtypes = op.dtype(attrs, *[x.dtype for x in inputs])
    shapes = shapes if isinstance(shapes, list) else [shapes]
    dtypes = dtypes if isinstance(dtypes, list) else [dtypes] * len(shapes)
    for o, s, d in zip(outs, shapes, dtypes):
        assert o.shape == tuple(s)
        assert np.dtype(o.dtype) == np.dtype(d)
        o.wait_to_read()

    # 2. CPU kernel == reference kernel (random ops: same seed, same generator)
    seed = 1234
    cpu_outs, cpu_ins = _run_kernel(CPU, op, inputs, attrs, shapes, dtypes, seed)
    ref_outs, ref_ins = _run_kernel(REF, op, inputs, attrs, shapes, dtypes, seed)
    rtol, atol = _tolerance(op, dtype)
    for c, r in zip(cpu_outs + cpu_ins, ref_outs + ref_ins):
        np.testing.assert_allclose(c.astype(np.float64) if c.dtype != np.bool_ else c,
                                   r.astype(np.float64) if r.dtype != np.bool_ else r,
                                   rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"{op.name}: cpu and reference kernels disagree")

    # 3. inputs that are offset views into a larger buffer give the same result
    if inputs and not op.random and not op.mutates:
        views = []
        for x in inputs:
            # the values after one extra leading element: a window at offset 1 of a larger chunk
            flat = np.concatenate([np.zeros(1, x.dtype), x.reshape(-1)])
            big = mx.nd.array(flat, dtype=x.dtype)
            views.append(big._view(1, x.shape))
        again = invoke(op, views, attrs)
        again = again if isinstance(again, list) else [again]
        for a, b in zip(again, outs):
            np.testing.assert_allclose(a.asnumpy().astype(np.float64) if a.dtype != np.bool_ else a.asnumpy(),
                                       b.asnumpy().astype(np.float64) if b.dtype != np.bool_ else b.asnumpy(),
                                       rtol=rtol, atol=atol, equal_nan=True)
