"""NDArray basics with MXNet 1.x's semantics: creation, attributes, printing, copies and views,
contexts, async errors, pickling."""
import pickle

import numpy as np
import pytest

import minimx as mx
from minimx.ndarray.invoke import invoke
from minimx.ops.opdef import OpDef


def test_array_dtype_rules_follow_mxnet():
    assert mx.nd.array([1, 2]).dtype == np.float32
    assert mx.nd.array(np.array([1, 2], dtype=np.int64)).dtype == np.float32     # legacy quirk
    assert mx.nd.array(np.array([1.5], dtype=np.float64)).dtype == np.float32
    assert mx.nd.array([1, 2], dtype="int32").dtype == np.int32
    src = mx.nd.array([1, 2], dtype=np.float64)
    assert mx.nd.array(src).dtype == np.float64                                   # NDArray keeps it
    assert mx.nd.array(3.0).shape == (1,)                                         # no 0-d arrays


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "uint8", "int8", "int32", "int64", "bool"])
def test_every_dtype_round_trips(dtype):
    x = np.arange(6).reshape(2, 3).astype(dtype)
    a = mx.nd.array(x, dtype=dtype)
    assert a.dtype == np.dtype(dtype).type
    np.testing.assert_array_equal(a.asnumpy(), x)


def test_unsupported_dtype_names_the_choices():
    with pytest.raises(mx.MXNetError, match="unsupported dtype.*float32"):
        mx.nd.zeros((2,), dtype="complex64")


def test_attributes():
    a = mx.nd.zeros((2, 3, 4))
    assert (a.shape, a.size, a.ndim, a.context, a.ctx, a.stype) == ((2, 3, 4), 24, 3, mx.cpu(0), mx.cpu(0), "default")
    assert a.T.shape == (4, 3, 2)
    b = mx.nd.ones((5,))
    assert b.T is b


def test_repr_matches_mxnet():
    a = mx.nd.array([[1, 2]])
    assert repr(a) == "\n[[1. 2.]]\n<NDArray 1x2 @cpu(0)>"
    assert str(mx.nd.zeros((2,), ctx=mx.cpu(1))).endswith("<NDArray 2 @cpu(1)>")


def test_asscalar_and_conversions():
    x = mx.nd.array([2.5])
    assert isinstance(x.asscalar(), np.float32) and x.asscalar() == 2.5
    assert float(x) == 2.5 and int(x) == 2 and bool(x)
    with pytest.raises(mx.MXNetError, match="exactly one element"):
        mx.nd.ones((2,)).asscalar()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mx.nd.ones((2,)))
    assert not bool(mx.nd.zeros((0,)))


def test_asnumpy_is_a_copy():
    a = mx.nd.ones((3,))
    n = a.asnumpy()
    n[0] = 7
    assert a.asnumpy()[0] == 1


def test_creation_functions():
    np.testing.assert_array_equal(mx.nd.arange(5).asnumpy(), np.arange(5, dtype=np.float32))
    np.testing.assert_array_equal(mx.nd.arange(1, 7, 2).asnumpy(), [1, 3, 5])
    np.testing.assert_array_equal(mx.nd.arange(0, 3, repeat=2).asnumpy(), [0, 0, 1, 1, 2, 2])
    np.testing.assert_allclose(mx.nd.linspace(0, 1, 5).asnumpy(), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(mx.nd.eye(2, 3, 1).asnumpy(), np.eye(2, 3, 1))
    np.testing.assert_array_equal(mx.nd.full((2, 2), 7).asnumpy(), np.full((2, 2), 7))
    assert mx.nd.full((2,), 7, dtype="int32").dtype == np.int32
    assert mx.nd.zeros(3).shape == (3,) and mx.nd.ones((2, 0)).shape == (2, 0)
    assert mx.nd.empty((2, 3)).shape == (2, 3)
    z = mx.nd.zeros_like(mx.nd.ones((2, 2), dtype="int64"))
    assert z.dtype == np.int64 and z.asnumpy().sum() == 0


def test_copy_copyto_and_contexts():
    a = mx.nd.array([1, 2, 3])
    b = a.copy()
    b += 1
    np.testing.assert_array_equal(a.asnumpy(), [1, 2, 3])
    c = mx.nd.zeros((3,))
    a.copyto(c)
    np.testing.assert_array_equal(c.asnumpy(), [1, 2, 3])
    d = a.copyto(mx.cpu(1))
    assert d.context == mx.cpu(1)
    assert a.as_in_context(mx.cpu(0)) is a
    with pytest.raises(mx.MXNetError, match="different contexts"):
        a + d
    with pytest.raises(mx.MXNetError, match="shape mismatch"):
        a.copyto(mx.nd.zeros((4,)))


def test_default_context_block():
    with mx.cpu(2):
        assert mx.current_context() == mx.cpu(2)
        assert mx.nd.zeros((1,)).context == mx.cpu(2)
    assert mx.current_context() == mx.cpu(0)


def test_gpu_without_opencl_is_a_clear_error():
    if mx.num_gpus() > 0:
        pytest.skip("an OpenCL device is present (tests/test_opencl_*.py cover it)")
    with pytest.raises(mx.MXNetError, match="OpenCL"):
        mx.nd.zeros((2,), ctx=mx.gpu(0))


def test_reshape_is_a_view_with_mxnet_codes():
    a = mx.nd.arange(24).reshape((2, 3, 4))
    assert a.reshape((0, -1)).shape == (2, 12)
    assert a.reshape((-3, 4)).shape == (6, 4)
    assert a.reshape((-4, 1, 2, -2)).shape == (1, 2, 3, 4)
    assert a.reshape(-1, 6).shape == (4, 6)
    v = a.reshape((6, 4))
    v[:] = 0
    assert a.asnumpy().sum() == 0
    with pytest.raises(mx.MXNetError, match="elements"):
        a.reshape((5, 5))


def test_inplace_arithmetic_writes_the_same_array():
    a = mx.nd.ones((2, 2))
    before = a
    a += 2
    a *= mx.nd.array([1, 2])
    assert a is before
    np.testing.assert_array_equal(a.asnumpy(), [[3, 6], [3, 6]])
    with pytest.raises(mx.MXNetError, match="out= has shape"):
        a += mx.nd.ones((3, 2, 2))


def test_reflected_scalar_arithmetic():
    a = mx.nd.array([1, 2, 4])
    np.testing.assert_allclose((1 - a).asnumpy(), [0, -1, -3])
    np.testing.assert_allclose((8 / a).asnumpy(), [8, 4, 2])
    np.testing.assert_allclose((2 ** a).asnumpy(), [2, 4, 16])
    np.testing.assert_allclose((np.float32(2) * a).asnumpy(), [2, 4, 8])
    np.testing.assert_array_equal((a > 1).asnumpy(), [0, 1, 1])
    with pytest.raises(TypeError):
        a + "x"


def test_pickle_round_trip():
    a = mx.nd.array([[1, 2], [3, 4]], dtype="int32", ctx=mx.cpu(1))
    b = pickle.loads(pickle.dumps(a))
    assert b.context == mx.cpu(1) and b.dtype == np.int32
    np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())


@pytest.fixture
def failing_op(monkeypatch):
    """An op whose CPU kernel raises, registered for one test only."""
    from minimx.ops.opdef import REGISTRY

    def kernel(ins, outs, attrs):
        raise FloatingPointError("overflow in kernel")
    op = OpDef("_test_failing_op", shape=lambda attrs, data: data, kernel="_test_failing_op")
    monkeypatch.setitem(mx.current_context().backend.kernels, "_test_failing_op", kernel)
    yield op
    del REGISTRY["_test_failing_op"]


def test_async_error_surfaces_at_asnumpy_with_op_and_line(failing_op):
    x = mx.nd.ones((2,))
    y = invoke(failing_op, (x,), {})        # returns at once
    z = y + 1                               # downstream of the failure
    with pytest.raises(mx.MXNetError, match=r"_test_failing_op \(pushed at .*test_ndarray.py:\d+"):
        z.asnumpy()
    mx.nd.waitall()             # raised at asnumpy already: waitall returns (as MXNet's does)
    invoke(failing_op, (x,), {})
    with pytest.raises(mx.MXNetError, match="overflow in kernel"):
        mx.nd.waitall()                                     # a failure no wait has raised
    mx.nd.waitall()                                         # raised once, then clean
    assert (x + 1).asnumpy().tolist() == [2, 2]             # the engine still works


def test_shape_errors_name_the_op_the_shapes_and_a_hint():
    with pytest.raises(mx.MXNetError) as err:
        mx.nd.ones((2, 3)) + mx.nd.ones((4,))
    text = str(err.value)
    assert "broadcast_add" in text and "(2, 3)" in text and "(4,)" in text and "hint" in text


def test_unknown_parameter_lists_the_valid_ones():
    with pytest.raises(mx.MXNetError, match="unexpected parameter.*axes"):
        mx.nd.transpose(mx.nd.ones((2, 2)), axis=1)


def test_slice_assign_methods_write_in_place():
    x = mx.nd.zeros((3, 4))
    assert x.slice_assign(mx.nd.ones((2, 2)), (0, 1), (2, 3), (None, None)) is x
    x.slice_assign_scalar(5, (2, 0), (3, 2), (None, None))
    np.testing.assert_array_equal(x.asnumpy(), [[0, 1, 1, 0], [0, 1, 1, 0], [5, 5, 0, 0]])
    assert x.writable


@pytest.mark.parametrize("env,expected", [
    ({}, "ThreadedEngine 3"),
    ({"MINIMX_ENGINE_TYPE": "NaiveEngine"}, "NaiveEngine"),
    ({"MXNET_ENGINE_TYPE": "NaiveEngine"}, "NaiveEngine"),
    ({"MXNET_CPU_WORKER_NTHREADS": "5"}, "ThreadedEngine 5"),
])
def test_engine_is_chosen_from_the_environment(env, expected):
    import os
    import subprocess
    import sys
    clean = {k: v for k, v in os.environ.items() if "ENGINE" not in k and "WORKER" not in k}
    clean.setdefault("MINIMX_CPU_WORKER_NTHREADS", "3") if not env else None
    code = ("import minimx as mx; e = mx.engine.get_engine(); "
            "print(e.name, getattr(e, 'cpu_workers', ''))")
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == expected
