"""mx.test_utils: MXNet 1.9.1's names, defaults and messages (values observed in MXNet), and the
minimx forms of check_numeric_gradient and check_consistency (callables over NDArrays)."""
import os

import numpy as np
import pytest

import minimx as mx

tu = mx.test_utils


# -- tolerances ------------------------------------------------------------------------------------
def test_default_tolerances_are_mxnets():
    assert tu.default_rtols()[np.dtype("float16")] == 1e-2
    assert tu.default_rtols()[np.dtype("float32")] == 1e-4
    assert tu.default_rtols()[np.dtype("float64")] == 1e-5
    assert tu.default_atols()[np.dtype("float16")] == 1e-1
    assert tu.default_atols()[np.dtype("float32")] == 1e-3
    assert tu.default_atols()[np.dtype("float64")] == 1e-20
    assert tu.default_rtols()[np.dtype("int32")] == 0
    assert tu.get_rtol() == 1e-5 and tu.get_atol() == 1e-20
    assert tu.get_rtol(dtype=np.dtype("float16")) == 0.01
    assert tu.get_rtol(0.3) == 0.3 and tu.get_atol(0.2, np.dtype("float32")) == 0.2
    assert tu.effective_dtype(mx.nd.zeros((1,))) == np.dtype("float32")
    assert tu.effective_dtype(np.zeros(1, np.float16)) == np.dtype("float16")


def test_get_tols_takes_the_looser_dtype():
    assert tu.get_tols(np.float16(1), np.zeros(2, np.float32), None, None) == (0.01, 0.1)
    assert tu.get_tols(np.zeros(2), np.zeros(2), 1e-3, None) == (1e-3, 1e-20)
    assert tu.get_tols(np.zeros(2, np.float32), 1.0, {np.dtype("float32"): 0.5}, None) == (0.5, 1e-3)
    assert tu.get_tolerance(np.zeros(1), None, tu.default_rtols()) == 1e-5


# -- comparisons ---------------------------------------------------------------------------------
def test_almost_equal_uses_float64_defaults_as_mxnet():
    assert not tu.almost_equal(np.float32([1.0]), np.float32([1.00002]))        # MXNet: False
    assert tu.almost_equal(np.float32([1.0]), np.float32([1.00002]), rtol=1e-4)
    assert tu.almost_equal(mx.nd.array([1, 2]), np.array([1, 2]))
    assert tu.almost_equal(np.array([np.nan]), np.array([np.nan]), equal_nan=True)
    assert not tu.almost_equal(np.array([np.nan]), np.array([np.nan]))


def test_same():
    assert tu.same(np.ones(2), np.ones(2))
    assert tu.same(mx.nd.ones((2,)), np.ones(2))
    assert not tu.same(np.ones(2), np.ones(3))


def test_assert_almost_equal_passes_within_the_dtype_tolerance():
    tu.assert_almost_equal(mx.nd.array([1, 2]), np.array([1, 2.0001], dtype=np.float32))
    tu.assert_almost_equal(np.array([1.0, np.nan]), np.array([1.0, np.nan]), equal_nan=True)
    tu.assert_almost_equal(np.array([True, False]), np.array([True, False]))
    tu.assert_almost_equal(np.float16([1.0]), np.float16([1.05]))          # float16: atol 0.1
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(np.float64([1.0]), np.float64([1.0001]))


def test_assert_almost_equal_reports_the_worst_mismatches():
    a = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    b = a.copy()
    b[2] += 0.5
    b[0] += 0.01
    with pytest.raises(AssertionError) as err:
        tu.assert_almost_equal(a, b, names=("x", "y"))
    message = str(err.value)
    # the same lines as MXNet 1.9.1's message (which prints the list to stdout)
    assert ("Error 370.370361 exceeds tolerance rtol=1.000000e-04, atol=1.000000e-03 "
            "(mismatch 50.000000%)") in message
    assert "Location of maximum error: (2,), x=3.00000000, y=3.50000000" in message
    assert "2: Error 9.08264" in message and "Location of error: (0,), x=1.00000000" in message
    assert "ACTUAL" in message and "DESIRED" in message


def test_assert_almost_equal_checks_shapes_without_broadcast():
    tu.assert_almost_equal(np.ones((2, 3)), np.ones(3))
    with pytest.raises(AssertionError, match="are not equal"):
        tu.assert_almost_equal(np.ones((2, 3)), np.ones(3), use_broadcast=False)


def test_locationError():
    a, b = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    assert tu.locationError(a, b, (1,), ("p", "q")) == "Location of error: (1,), p=2.00000000, q=3.00000000"


def test_assert_exception():
    tu.assert_exception(lambda: 1 / 0, ZeroDivisionError)
    tu.assert_exception(int, ValueError, "x")
    with pytest.raises(AssertionError, match="did not raise"):
        tu.assert_exception(lambda: 1, ZeroDivisionError)


# -- random data, reductions, contexts -------------------------------------------------------------
def test_random_shapes_match_mxnet_for_a_seed():
    np.random.seed(3)
    assert tu.rand_shape_2d() == (9, 10)                       # MXNet 1.9.1, same seed
    assert tu.rand_shape_3d() == (4, 9, 9)
    assert tu.rand_shape_nd(4) == (1, 6, 4, 10)
    for _ in range(20):
        assert all(1 <= s <= 2 for s in tu.rand_shape_nd(3, dim=2))
        assert all(0 <= s <= 1 for s in tu.rand_shape_2d(1, 1, allow_zero_size=True))


def test_random_arrays_and_rand_ndarray():
    one = tu.random_arrays((2, 3))
    assert isinstance(one, np.ndarray) and one.shape == (2, 3) and one.dtype == np.float32
    two = tu.random_arrays((2,), ())
    assert [a.shape for a in two] == [(2,), ()]
    x = tu.rand_ndarray((2, 3))
    assert isinstance(x, mx.nd.NDArray) and x.shape == (2, 3) and x.dtype == np.float32
    assert tu.rand_ndarray((4,), dtype="float64").dtype == np.float64
    with pytest.raises(mx.MXNetError, match="dense arrays only"):
        tu.rand_ndarray((2, 3), stype="csr", density=0.5)


def test_np_reduce():
    x = np.arange(24).reshape(2, 3, 4)
    assert tu.np_reduce(x, (0, 2), True, np.sum).tolist() == [[[60], [92], [124]]]
    np.testing.assert_array_equal(tu.np_reduce(x, 1, False, np.max), x.max(axis=1))
    assert tu.np_reduce(x, None, False, np.sum) == x.sum()


def test_default_context_and_set_default_context():
    assert tu.default_context() == mx.cpu(0)
    try:
        tu.set_default_context(mx.cpu(2))
        assert tu.default_context() == mx.cpu(2)
        assert mx.nd.zeros((1,)).context == mx.cpu(2)
    finally:
        tu.set_default_context(mx.cpu(0))
    assert tu.default_context() == mx.cpu(0)


def test_environment_sets_and_restores():
    os.environ.pop("MINIMX_TEST_UTILS_A", None)
    os.environ["MINIMX_TEST_UTILS_B"] = "old"
    with tu.environment("MINIMX_TEST_UTILS_A", "1"):
        assert os.environ["MINIMX_TEST_UTILS_A"] == "1"
    assert "MINIMX_TEST_UTILS_A" not in os.environ
    with pytest.raises(KeyError):
        with tu.environment({"MINIMX_TEST_UTILS_A": "2", "MINIMX_TEST_UTILS_B": None}):
            assert "MINIMX_TEST_UTILS_B" not in os.environ
            raise KeyError("restored even on an exception")
    assert os.environ.pop("MINIMX_TEST_UTILS_B") == "old"
    assert "MINIMX_TEST_UTILS_A" not in os.environ


# -- check_numeric_gradient ----------------------------------------------------------------------
def test_check_numeric_gradient_with_a_list_and_a_dict():
    rng = np.random.default_rng(0)
    tu.check_numeric_gradient(lambda x, w: mx.nd.dot(x, w), [rng.random((2, 3)), rng.random((3, 4))])
    tu.check_numeric_gradient(lambda data: mx.nd.tanh(data), {"data": rng.random((2, 3))},
                              dtype=np.float64)
    tu.check_numeric_gradient(lambda x, w: mx.nd.dot(x, w), [rng.random((2, 3)), rng.random((3, 4))],
                              grad_nodes={"x": "add", "w": "null"})
    tu.check_numeric_gradient(lambda x, w: mx.nd.dot(x, w), [rng.random((2, 3)), rng.random((3, 4))],
                              grad_nodes=["w"])


def test_check_numeric_gradient_catches_a_wrong_gradient():
    wrong = mx.autograd.Function

    class Twice(wrong):                        # d(2x)/dx claimed to be 3
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            return dy * 3
    with pytest.raises(AssertionError, match="NUMERICAL_x"):
        tu.check_numeric_gradient(lambda x: Twice()(x), [np.ones(3)])


def test_check_numeric_gradient_passes_aux_states_and_rejects_symbols():
    def f(x, shift):
        return x * x + shift
    tu.check_numeric_gradient(f, [np.array([1.0, 2.0])], aux_states=[np.array([5.0, 5.0])])
    with pytest.raises(mx.MXNetError, match="callable"):
        tu.check_numeric_gradient("not a symbol", [np.ones(2)])
    with pytest.raises(mx.MXNetError, match="grad_nodes"):
        tu.check_numeric_gradient(f, [np.ones(2)], aux_states=[np.ones(2)], grad_nodes=["y"])
    with pytest.raises(ValueError, match="too small"):
        tu.check_numeric_gradient(lambda x: x * 2, [np.ones(2)], numeric_eps=1e-7)


# -- check_consistency -----------------------------------------------------------------------------
def test_check_consistency_across_backends_and_dtypes():
    def fc(data, w):
        return mx.nd.FullyConnected(data, w, num_hidden=4, no_bias=True)
    shapes = {"data": (2, 3), "w": (4, 3)}
    gt = tu.check_consistency(fc, [
        dict(shapes, ctx=mx.cpu(0), type_dict={"data": np.float64, "w": np.float64}),
        dict(shapes, ctx=mx.cpu(0), backend="reference"),
        dict(shapes, ctx=mx.cpu(0), type_dict={"data": np.float16, "w": np.float16})])
    assert sorted(gt) == ["data", "output0", "w"]
    assert gt["output0"].dtype == np.float64 and gt["output0"].shape == (2, 4)


def test_check_consistency_with_backend_names_and_given_inputs():
    x = np.random.default_rng(0).random((3, 2))
    gt = tu.check_consistency(lambda x: mx.nd.exp(x), ["cpu", "reference"], arg_params={"x": x})
    np.testing.assert_allclose(gt["output0"], np.exp(x), rtol=1e-6)


def test_check_consistency_catches_a_difference():
    x = {"x": np.ones((2, 2))}
    with pytest.raises(AssertionError):
        tu.check_consistency([lambda x: x * 2, lambda x: x * 2.1], [mx.cpu(0), mx.cpu(1)], arg_params=x)
    with pytest.raises(AssertionError):       # same outputs, different gradients
        tu.check_consistency([lambda x: x * 2, lambda x: x * mx.nd.BlockGrad(x * 2) / x],
                             [mx.cpu(0), mx.cpu(1)], arg_params=x)
    tu.check_consistency([lambda x: x * 2, lambda x: x * 2.1], [mx.cpu(0), mx.cpu(1)], arg_params=x,
                         raise_on_err=False)
    with pytest.raises(ValueError, match="at least 2"):
        tu.check_consistency(lambda x: x, [mx.cpu(0)], arg_params=x)
