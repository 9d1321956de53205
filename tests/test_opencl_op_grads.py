"""The op table's gradient rules on the OpenCL backend, against float64 central differences.

``test_op_grads.py`` checks every rule on the two CPU backends; this file runs the same check
(``check_gradient``) with the forward, the backward and the differences all on ``mx.gpu(0)`` (PoCL's
CPU device in CI), for every differentiable op whose kernel is native on OpenCL. One example per
parameter set keeps it within CI's budget; skipped with the reason when OpenCL is missing.
"""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

os.environ.setdefault("POCL_CACHE_DIR", tempfile.mkdtemp(prefix="minimx-pocl-"))
os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")

import minimx as mx  # noqa: E402
from minimx._kernels import opencl  # noqa: E402
from op_inputs import draw_inputs  # noqa: E402
from test_op_grads import _cases, check_gradient  # noqa: E402

_REASON = opencl.missing_reason()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=f"OpenCL backend unavailable: {_REASON}")


def _native_cases():
    if _REASON is not None:
        return [pytest.param(None, 0, id="no-opencl")]
    native = opencl.native_kernels()
    return [c for c in _cases() if c.values[0].kernel in native]


@pytest.mark.parametrize("op,attrs_i", _native_cases())
@given(data=st.data())
@settings(max_examples=1, deadline=None)
def test_gradient_on_opencl_matches_central_differences(op, attrs_i, data):
    if not opencl.backend_for(0).storage.dev.fp64:
        pytest.skip("the OpenCL device has no float64")
    raw = dict(op.domain.attrs[attrs_i])
    inputs = draw_inputs(data, op, "float64", raw)
    if op.key_var_num_args:
        raw[op.key_var_num_args] = len(inputs)
    attrs = op.parse(raw)
    seed = data.draw(st.integers(0, 2**32 - 1), label="weights")
    check_gradient(op, attrs, inputs, np.random.default_rng(seed),
                   rtol=op.domain.rtol or 1e-4, atol=op.domain.atol or 1e-6, ctx=mx.gpu(0))
