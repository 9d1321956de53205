"""The op-table suite on the OpenCL backend: every op with a native OpenCL kernel, every dtype and
parameter set of its Domain, against the CPU backend's kernel on the same hypothesis-drawn inputs.

Inputs go to the device at offset 1 of a larger buffer, so the kernels' offset handling is checked
too; inputs an op mutates (optimizer states) are compared after the call. Ops without an OpenCL
kernel run through the host fallback, which is the CPU kernel itself, so they are not repeated
here, nor are the cases a native kernel hands to the fallback (float16, integer math): they
skip. Skipped, with the reason, when pyopencl or a device is missing.
"""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

os.environ.setdefault("POCL_CACHE_DIR", tempfile.mkdtemp(prefix="minimx-pocl-"))
os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")

from minimx._kernels import get_backend, opencl  # noqa: E402
from minimx.ops import all_ops  # noqa: E402
from op_inputs import draw_inputs  # noqa: E402

_REASON = opencl.missing_reason()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=f"OpenCL backend unavailable: {_REASON}")
CPU = get_backend("cpu")


def _cases():
    if _REASON is not None:
        return [pytest.param(None, None, 0, id="no-opencl")]
    native = opencl.native_kernels()
    return [pytest.param(op, dtype, i, id=f"{op.name}-{dtype}-{i}")
            for op in all_ops() if op.kernel in native
            for dtype in op.domain.dtypes for i, _ in enumerate(op.domain.attrs)]


def _on_device(cl, x):
    """``x`` on the device, as a window at offset 1 of a one-longer buffer."""
    big = cl.alloc((x.size + 1,), x.dtype)
    view = cl.view(big, 1, x.shape)
    cl.from_numpy(x, view)
    return view


def _wide(x):
    return x if x.dtype == np.bool_ else x.astype(np.float64)


@pytest.mark.parametrize("op,dtype,attrs_i", _cases())
@given(data=st.data())
@settings(max_examples=2, deadline=None)
def test_native_kernel_matches_cpu(op, dtype, attrs_i, data):
    cl = opencl.backend_for(0)
    raw = dict(op.domain.attrs[attrs_i])
    if not op.inputs and any(p.name == "dtype" for p in op.params):
        raw.setdefault("dtype", dtype)
    inputs = draw_inputs(data, op, dtype, raw)
    if op.key_var_num_args:
        raw[op.key_var_num_args] = len(inputs)
    attrs = op.parse(raw)
    if op.train_aware:
        attrs = dict(attrs, is_train=False)
    if op.random and (not op.train_aware or attrs.get("mode") == "always"):   # draws differ
        pytest.skip("a random draw: the CPU and OpenCL streams differ (test_opencl_nn_kernels)")
    shapes = op.shape(attrs, *[x.shape for x in inputs])
    dtypes = op.dtype(attrs, *[x.dtype for x in inputs])
    shapes = shapes if isinstance(shapes, list) else [shapes]
    dtypes = dtypes if isinstance(dtypes, list) else [dtypes] * len(shapes)

    cpu_ins = tuple(np.ascontiguousarray(x.copy()) for x in inputs)
    cpu_outs = tuple(np.zeros(s, d) for s, d in zip(shapes, dtypes))
    CPU.kernels[op.kernel](cpu_ins, cpu_outs, attrs)

    dev_ins = tuple(_on_device(cl, np.ascontiguousarray(x)) for x in inputs)
    dev_outs = tuple(_on_device(cl, np.zeros(s, d)) for s, d in zip(shapes, dtypes))
    if cl.kernels[op.kernel].native(dev_ins, dev_outs, attrs) is NotImplemented:
        pytest.skip("this dtype/parameter case runs through the host fallback (the CPU kernel)")

    rtol = op.domain.rtol or {"float16": 1e-2, "float32": 1e-4}.get(str(np.dtype(dtype)), 1e-7)
    atol = op.domain.atol or {"float16": 1e-2, "float32": 1e-5}.get(str(np.dtype(dtype)), 1e-9)
    for k, (c, d) in enumerate(zip(cpu_outs + cpu_ins, dev_outs + dev_ins)):
        got = cl.to_numpy(d)
        assert got.dtype == c.dtype
        np.testing.assert_allclose(_wide(got), _wide(c), rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"{op.name}: OpenCL and CPU kernels disagree "
                                           f"(array {k}, attrs {raw})")
