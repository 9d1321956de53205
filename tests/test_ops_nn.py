"""The nn ops: activations, the softmax family, dropout and the loss-output ops.

Expected values marked "MXNet" were observed with Apache MXNet 1.9.1 on the same inputs.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minimx as mx
from minimx._kernels import get_backend
from minimx.ndarray.invoke import call_op, seed_rngs
from minimx.ops import get_op

REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels

X5 = [[-2.0, -0.5, 0.0, 0.5, 2.0]]
X23 = [[1.0, 2.0, 3.0], [1.0, 1.0, -1.0]]


def nd(values, dtype="float32"):
    return mx.nd.array(np.asarray(values), dtype=dtype)


def close(result, expected, rtol=1e-5, atol=1e-6):
    result = result.asnumpy() if isinstance(result, mx.nd.NDArray) else result
    np.testing.assert_allclose(result, np.asarray(expected), rtol=rtol, atol=atol)


# Train mode for Dropout, rrelu and BatchNorm.
training = mx.autograd.train_mode


def leaky_relu(data, **params):
    """LeakyReLU without gamma, through the public wrapper (gamma is an optional input)."""
    return mx.nd.LeakyReLU(data, **params)


# -- defaults ------------------------------------------------------------------------------------
MXNET_DEFAULTS = {
    "LeakyReLU": {"act_type": "leaky", "slope": 0.25, "lower_bound": 0.125, "upper_bound": 0.334},
    "softmax": {"axis": -1, "temperature": None, "dtype": None, "use_length": False},
    "log_softmax": {"axis": -1, "temperature": None, "dtype": None, "use_length": False},
    "SoftmaxActivation": {"mode": "instance"},
    "SoftmaxOutput": {"grad_scale": 1.0, "ignore_label": -1.0, "multi_output": False,
                      "use_ignore": False, "preserve_shape": False, "normalization": "null",
                      "out_grad": False, "smooth_alpha": 0.0},
    "Dropout": {"p": 0.5, "mode": "training", "axes": (), "cudnn_off": False},
    "MakeLoss": {"grad_scale": 1.0, "valid_thresh": 0.0, "normalization": "null"},
    "LinearRegressionOutput": {"grad_scale": 1.0},
    "smooth_l1": {"scalar": 1.0},
}


@pytest.mark.parametrize("name", sorted(MXNET_DEFAULTS))
def test_mxnet_defaults(name):
    op = get_op(name)
    assert {p.name: p.parsed_default for p in op.params} == MXNET_DEFAULTS[name]


def test_aliases():
    assert get_op("Softmax") is get_op("SoftmaxOutput")
    assert get_op("stop_gradient") is get_op("BlockGrad")
    assert get_op("make_loss") is get_op("MakeLoss")
    assert get_op("add_n") is get_op("ElementWiseSum")
    assert mx.nd.add_n is mx.nd.ElementWiseSum


# -- Activation ------------------------------------------------------------------------------
MX_ACTIVATION = {   # MXNet
    "relu": [0.0, 0.0, 0.0, 0.5, 2.0],
    "sigmoid": [0.119203, 0.377541, 0.5, 0.622459, 0.880797],
    "tanh": [-0.964028, -0.462117, 0.0, 0.462117, 0.964028],
    "softrelu": [0.126928, 0.474077, 0.693147, 0.974077, 2.126928],
    "softsign": [-0.666667, -0.333333, 0.0, 0.333333, 0.666667],
}


@pytest.mark.parametrize("act_type", sorted(MX_ACTIVATION))
def test_activation_values(act_type):
    close(mx.nd.Activation(nd(X5), act_type=act_type), [MX_ACTIVATION[act_type]])


@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_activation_keeps_float_dtype(dtype):
    y = mx.nd.Activation(nd(X5, dtype), act_type="sigmoid")
    assert y.dtype == np.dtype(dtype)
    close(y, [MX_ACTIVATION["sigmoid"]], rtol=1e-3)


def test_activation_errors():
    with pytest.raises(mx.MXNetError, match="floating point"):
        mx.nd.Activation(nd(X5, "int32"), act_type="relu")
    with pytest.raises(mx.MXNetError, match="act_type"):
        mx.nd.Activation(nd(X5))
    with pytest.raises(mx.MXNetError, match="act_type"):
        mx.nd.Activation(nd(X5), act_type="swish")


def test_activation_extremes_stay_finite():
    x = nd([[-1000.0, 1000.0]])
    close(mx.nd.Activation(x, act_type="sigmoid"), [[0.0, 1.0]])
    close(mx.nd.Activation(x, act_type="softrelu"), [[0.0, 1000.0]])


# -- LeakyReLU -------------------------------------------------------------------------------
MX_LEAKY = {   # MXNet
    "leaky": [-0.5, -0.125, 0.0, 0.5, 2.0],
    "elu": [-0.216166, -0.098367, 0.0, 0.5, 2.0],
    "selu": [-1.520167, -0.691758, 0.0, 0.525351, 2.101402],
    "gelu": [-0.0455, -0.154269, 0.0, 0.345731, 1.9545],
    "rrelu": [-0.459, -0.11475, 0.0, 0.5, 2.0],     # prediction: slope (lower + upper) / 2
}


@pytest.mark.parametrize("act_type", sorted(MX_LEAKY))
def test_leaky_relu_values(act_type):
    y = leaky_relu(nd(X5), act_type=act_type)
    if act_type == "rrelu":   # MXNet's mx.nd shows rrelu's mask output too (zeros in prediction)
        y, mask = y
        close(mask, np.zeros((1, 5)))
    close(y, [MX_LEAKY[act_type]], atol=2e-6)


def test_leaky_relu_slope():
    close(leaky_relu(nd(X5), slope=0.1), [[-0.2, -0.05, 0.0, 0.5, 2.0]])
    close(leaky_relu(nd(X5), act_type="elu", slope=0.1),     # MXNet
          [[-0.08646648, -0.03934694, 0.0, 0.5, 2.0]])
    close(leaky_relu(nd(X5), act_type="selu", slope=0.1), [MX_LEAKY["selu"]])  # selu ignores it


def test_prelu_gamma_broadcasting():
    x = nd(np.arange(-6, 6).reshape(2, 3, 2))
    # (C,): one slope per channel, MXNet
    close(mx.nd.LeakyReLU(x, nd([0.1, 0.2, 0.3]), act_type="prelu"),
          [[[-0.6, -0.5], [-0.8, -0.6], [-0.6, -0.3]], [[0, 1], [2, 3], [4, 5]]])
    close(mx.nd.LeakyReLU(x, gamma=nd([[0.1, 0.2, 0.3]]), act_type="prelu").asnumpy().ravel()[:6],
          [-0.6, -0.5, -0.8, -0.6, -0.6, -0.3])                   # (1, C) is per channel too
    close(mx.nd.LeakyReLU(x, nd([0.5]), act_type="prelu").asnumpy().ravel()[:3], [-3, -2.5, -2])
    # NB: a (2,) gamma on (2, 3, 2) data does not match axis 1, so MXNet matches it to axis 0.
    y = mx.nd.LeakyReLU(nd(-np.ones((2, 3, 2))), nd([0.1, 0.2]), act_type="prelu").asnumpy()
    np.testing.assert_allclose(y[:, 0, 0], [-0.1, -0.2], rtol=1e-6)


@pytest.mark.parametrize("gamma_shape", [(3, 1), (3, 2), (2, 3, 2)])
def test_prelu_gamma_that_cannot_broadcast(gamma_shape):
    with pytest.raises(mx.MXNetError, match=r"gamma of shape .* cannot be broadcast .* axis 1"):
        mx.nd.LeakyReLU(mx.nd.ones((2, 3, 2)), mx.nd.ones(gamma_shape), act_type="prelu")


def test_leaky_relu_input_count_must_fit_act_type():
    with pytest.raises(mx.MXNetError, match="needs the gamma input"):
        leaky_relu(nd(X5), act_type="prelu")
    with pytest.raises(mx.MXNetError, match="takes only data"):
        mx.nd.LeakyReLU(nd(X5), nd([0.1]), act_type="leaky")
    with pytest.raises(mx.MXNetError, match="floating point"):
        leaky_relu(nd(X5, "int32"))


def test_leaky_relu_wrapper_without_gamma():
    close(mx.nd.LeakyReLU(nd(X5), act_type="leaky"), [MX_LEAKY["leaky"]])


def test_rrelu_training_draws_slopes_in_bounds():
    x = nd(-np.ones((4, 50)))
    with training():
        seed_rngs(7)
        y, mask = leaky_relu(x, act_type="rrelu", lower_bound=0.2, upper_bound=0.4)
        seed_rngs(7)
        y2, _ = leaky_relu(x, act_type="rrelu", lower_bound=0.2, upper_bound=0.4)
    m = mask.asnumpy()
    assert 0.2 <= m.min() and m.max() <= 0.4 and m.std() > 0.03
    close(y, -m)
    close(y2, y.asnumpy())     # the same seed gives the same slopes


# -- softmax, log_softmax, softmin -------------------------------------------------------------
def test_softmax_values():   # MXNet
    close(mx.nd.softmax(nd(X23)), [[0.090031, 0.244728, 0.665241], [0.468311, 0.468311, 0.063379]])
    close(mx.nd.softmax(nd(X23), temperature=2.0),
          [[0.186324, 0.307196, 0.50648], [0.422319, 0.422319, 0.155362]])
    close(mx.nd.softmax(nd(X23), axis=0), [[0.5, 0.731059, 0.982014], [0.5, 0.268941, 0.017986]])


def test_log_softmax_and_softmin_values():   # MXNet
    close(mx.nd.log_softmax(nd(X23)),
          [[-2.407604, -1.407604, -0.407604], [-0.758621, -0.758621, -2.758621]])
    close(mx.nd.log_softmax(nd(X23), temperature=0.5),
          [[-4.142931, -2.142932, -0.142932], [-0.702263, -0.702263, -4.702263]])
    close(mx.nd.softmin(nd(X23), temperature=2.0),
          [[0.50648, 0.307196, 0.186324], [0.211942, 0.211942, 0.576117]])


def test_softmax_is_stable_for_large_inputs():
    x = nd([1.0, 1000.0, -1000.0])
    close(mx.nd.softmax(x), [0.0, 1.0, 0.0])
    close(mx.nd.log_softmax(x), [-999.0, 0.0, -2000.0], atol=1e-4)


def test_softmax_dtypes():
    assert mx.nd.softmax(nd(X23)).dtype == np.float32
    assert mx.nd.softmax(nd(X23), dtype="float64").dtype == np.float64
    assert mx.nd.softmax(nd(X23, "float16"), dtype="float32").dtype == np.float32
    assert mx.nd.log_softmax(nd(X23, "float64")).dtype == np.float64
    with pytest.raises(mx.MXNetError, match="floating point"):
        mx.nd.softmax(nd(X23, "int32"))
    with pytest.raises(mx.MXNetError, match="dtype"):
        mx.nd.softmax(nd(X23), dtype="int32")


def test_softmax_axis_errors():
    with pytest.raises(mx.MXNetError, match="axis 2 is out of range for a 2-d input"):
        mx.nd.softmax(nd(X23), axis=2)
    with pytest.raises(mx.MXNetError, match="axis -3"):
        mx.nd.log_softmax(nd(X23), axis=-3)


def test_softmax_with_length():   # MXNet
    x = nd(np.arange(24).reshape(2, 3, 4) * 0.1)
    length = nd([[1, 2, 3, 0], [3, 3, 3, 3]], "int32")
    y = call_op("softmax", (x, length), (), {"axis": 1, "use_length": True})
    close(y, [[[1.0, 0.401312, 0.211983, 0.0], [0.0, 0.598688, 0.316241, 0.0],
               [0.0, 0.0, 0.471776, 0.0]],
              [[0.211983] * 4, [0.316241] * 4, [0.471776] * 4]])
    y = call_op("softmax", (nd(X23), nd([1, 2], "int32")), (), {"use_length": True})
    close(y, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    y = call_op("softmax", (nd(X23), nd([0, 2], "int64")), (), {"use_length": True})
    close(y, [[0.0, 0.0, 0.0], [0.5, 0.5, 0.0]])


def test_softmax_length_errors():
    with pytest.raises(mx.MXNetError, match="needs the length input"):
        mx.nd.softmax(nd(X23), use_length=True)
    with pytest.raises(mx.MXNetError, match="use_length is False"):
        call_op("softmax", (nd(X23), nd([1, 2], "int32")), (), {})
    with pytest.raises(mx.MXNetError, match=r"length has shape \(3,\)"):
        call_op("softmax", (nd(X23), nd([1, 2, 3], "int32")), (), {"use_length": True})
    with pytest.raises(mx.MXNetError, match="integer"):
        call_op("softmax", (nd(X23), nd([1, 2])), (), {"use_length": True})
    with pytest.raises(mx.MXNetError, match="only supported by softmax"):
        mx.nd.log_softmax(nd(X23), use_length=True)


def test_softmax_activation():   # MXNet
    x = nd(np.arange(12).reshape(2, 3, 2) * 0.5)
    close(mx.nd.SoftmaxActivation(x)[0], [[0.377541, 0.622459]] * 3)        # the last axis
    close(mx.nd.SoftmaxActivation(x, mode="channel")[0],
          [[0.090031, 0.090031], [0.244728, 0.244728], [0.665241, 0.665241]])
    with pytest.raises(mx.MXNetError, match="at least 3 axes"):
        mx.nd.SoftmaxActivation(nd(X23), mode="channel")


# -- SoftmaxOutput and softmax_cross_entropy ---------------------------------------------------
def test_softmax_output_forward():   # MXNet
    expected = [[0.090031, 0.244728, 0.665241], [0.468311, 0.468311, 0.063379]]
    close(mx.nd.SoftmaxOutput(nd(X23), nd([2, 0])), expected)
    close(mx.nd.Softmax(nd(X23), nd([2, 0])), expected)
    # 3-d data: a softmax over everything but the batch axis; the label drops the last axis
    x = nd(np.arange(12).reshape(2, 2, 3) * 0.5)
    close(mx.nd.SoftmaxOutput(x, mx.nd.zeros((2, 2)))[0],
          [[0.03399, 0.05604, 0.092395], [0.152334, 0.251155, 0.414085]])
    x = nd(np.arange(12).reshape(2, 3, 2) * 0.5)
    close(mx.nd.SoftmaxOutput(x, mx.nd.zeros((2, 2)), multi_output=True).asnumpy()[0, :, 0],
          [0.090031, 0.244728, 0.665241])
    close(mx.nd.SoftmaxOutput(x, mx.nd.zeros((2, 3)), preserve_shape=True).asnumpy()[0, 0],
          [0.377541, 0.622459])


def test_softmax_output_label_rules():
    x = mx.nd.ones((2, 3, 4, 5))
    mx.nd.SoftmaxOutput(x, mx.nd.zeros((2, 4, 5)), multi_output=True)
    mx.nd.SoftmaxOutput(x, mx.nd.zeros((2, 20)), multi_output=True)
    with pytest.raises(mx.MXNetError, match=r"multi_output .* \(2, 4, 5\) or \(2, 20\)"):
        mx.nd.SoftmaxOutput(x, mx.nd.zeros((2,)), multi_output=True)
    with pytest.raises(mx.MXNetError, match=r"label has shape \(3,\) .* \(2,\)"):
        mx.nd.SoftmaxOutput(nd(X23), nd([0, 1, 2]))
    with pytest.raises(mx.MXNetError, match="same dtype"):
        mx.nd.SoftmaxOutput(nd(X23, "float64"), nd([0, 1]))
    with pytest.raises(mx.MXNetError, match="at least 2 axes"):
        mx.nd.SoftmaxOutput(nd([1.0, 2.0]), nd([0.0, 0.0]))


def test_softmax_cross_entropy():   # MXNet
    y = mx.nd.softmax_cross_entropy(nd(X23), nd([2, 0]))
    assert y.shape == (1,)
    close(y, [1.16623])
    close(mx.nd.softmax_cross_entropy(nd(X23, "float64"), nd([2, 0], "float64")), [1.16623])
    close(mx.nd.softmax_cross_entropy(nd(X23), nd([1.7, 0.2])), [2.16623])   # labels truncate
    # NB: MXNet indexes the flat array at i * C + label, so label 5 of row 0 reads row 1.
    close(mx.nd.softmax_cross_entropy(nd(X23), nd([5, -1])), [3.16623])
    with pytest.raises(mx.MXNetError, match="2-d"):
        mx.nd.softmax_cross_entropy(mx.nd.ones((2, 3, 2)), nd([0, 1]))
    with pytest.raises(mx.MXNetError, match="one class index per row"):
        mx.nd.softmax_cross_entropy(nd(X23), nd([0, 1, 2]))


# -- Dropout ---------------------------------------------------------------------------------
def test_dropout_is_identity_in_prediction_and_for_p0():
    x = nd(np.arange(1, 9).reshape(2, 4))
    y = mx.nd.Dropout(x)
    assert isinstance(y, mx.nd.NDArray)
    close(y, x.asnumpy())
    with training():
        close(mx.nd.Dropout(x, p=0.0), x.asnumpy())


def test_dropout_scales_kept_values_in_training():
    x = mx.nd.ones((100, 100))
    with training():
        y = mx.nd.Dropout(x, p=0.25).asnumpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.03
    with training():
        y = mx.nd.Dropout(x.astype("float64"), p=0.5)
    assert y.dtype == np.float64
    assert set(np.unique(y.asnumpy())) <= {0.0, 2.0}


def test_dropout_always_mode_drops_in_prediction():
    y = mx.nd.Dropout(mx.nd.ones((50, 50)), p=0.5, mode="always").asnumpy()
    assert set(np.unique(y)) == {0.0, 2.0}


def test_dropout_axes_share_the_draw():
    with training():
        y = mx.nd.Dropout(mx.nd.ones((4, 8, 16)), p=0.5, axes=(1,)).asnumpy()
    assert (y == y[:, :1, :]).all()
    assert 0 < (y == 0).mean() < 1


def test_dropout_is_repeatable_per_seed():
    x = mx.nd.ones((20, 20))
    with training():
        seed_rngs(42)
        a = mx.nd.Dropout(x).asnumpy()
        b = mx.nd.Dropout(x).asnumpy()
        seed_rngs(42)
        c = mx.nd.Dropout(x).asnumpy()
    np.testing.assert_array_equal(a, c)
    assert (a != b).any()


def test_dropout_p1_gives_nan_like_mxnet():
    with training():
        assert np.isnan(mx.nd.Dropout(mx.nd.ones((2, 2)), p=1.0).asnumpy()).all()


def test_dropout_errors():
    with pytest.raises(mx.MXNetError, match=r"p must be in \[0, 1\]"):
        mx.nd.Dropout(mx.nd.ones((2, 2)), p=1.5)
    with pytest.raises(mx.MXNetError, match="axes entry 3 is out of range"):
        mx.nd.Dropout(mx.nd.ones((2, 2)), axes=(3,))
    with pytest.raises(mx.MXNetError, match="axes entry -1"):
        mx.nd.Dropout(mx.nd.ones((2, 2)), axes=(-1,))
    with pytest.raises(mx.MXNetError, match="floating point"):
        mx.nd.Dropout(nd([1, 2], "int32"))


# -- identity-forward ops, sums, regression outputs, smooth_l1 --------------------------------
@pytest.mark.parametrize("name", ["BlockGrad", "stop_gradient", "MakeLoss", "make_loss"])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_identity_forward(name, dtype):
    y = getattr(mx.nd, name)(nd([1, -2, 3], dtype))
    assert y.dtype == np.dtype(dtype)
    close(y, [1, -2, 3])


def test_block_grad_declares_no_gradient():
    assert get_op("BlockGrad").grad == "no_grad"


def test_element_wise_sum():
    a, b, c = nd([1, 2]), nd([3, 4]), nd([5, 6])
    close(mx.nd.ElementWiseSum(a, b, c), [9, 12])
    close(mx.nd.add_n(a), [1, 2])
    y = mx.nd.add_n(nd([1, 2], "int32"), nd([1, 2], "int32"))
    assert y.dtype == np.int32
    close(y, [2, 4])
    with pytest.raises(mx.MXNetError, match="same shape"):
        mx.nd.add_n(nd([1, 2]), nd([1, 2, 3]))
    with pytest.raises(mx.MXNetError, match="same dtype"):
        mx.nd.add_n(nd([1, 2], "int32"), nd([1, 2]))
    with pytest.raises(mx.MXNetError, match="at least one input"):
        mx.nd.add_n()


@pytest.mark.parametrize("name", ["LinearRegressionOutput", "MAERegressionOutput"])
def test_regression_outputs_identity(name):
    data = nd([[-1, 0.5], [2, 3]])
    close(getattr(mx.nd, name)(data, mx.nd.zeros((2, 2))), data.asnumpy())


def test_logistic_regression_output():   # MXNet
    close(mx.nd.LogisticRegressionOutput(nd([[-1, 0.5], [2, 3]]), mx.nd.zeros((2, 2))),
          [[0.268941, 0.622459], [0.880797, 0.952574]])


def test_regression_label_shapes():
    f = mx.nd.LinearRegressionOutput
    assert f(mx.nd.ones((2, 1)), mx.nd.ones((2,))).shape == (2, 1)     # MXNet allows these
    assert f(mx.nd.ones((2, 3, 4)), mx.nd.ones((2, 12))).shape == (2, 3, 4)
    with pytest.raises(mx.MXNetError, match="same first axis and the same number of elements"):
        f(mx.nd.ones((2, 3, 4)), mx.nd.ones((6, 4)))
    with pytest.raises(mx.MXNetError, match="floating point"):
        f(nd([[1]], "int32"), nd([[1]], "int32"))


MX_SMOOTH_L1 = {   # MXNet, on [-3, -0.5, -0.1, 0, 0.2, 0.7, 2]
    1.0: [2.5, 0.125, 0.005, 0.0, 0.02, 0.245, 1.5],
    2.0: [2.875, 0.375, 0.02, 0.0, 0.08, 0.575, 1.875],
    0.5: [1.125, 0.03125, 0.00125, 0.0, 0.005, 0.06125, 0.5],
}


@pytest.mark.parametrize("scalar", sorted(MX_SMOOTH_L1))
def test_smooth_l1(scalar):
    x = nd([-3, -0.5, -0.1, 0, 0.2, 0.7, 2])
    close(mx.nd.smooth_l1(x, scalar=scalar), MX_SMOOTH_L1[scalar])


def test_smooth_l1_default_and_ints():
    close(mx.nd.smooth_l1(nd([1, 2, 3, 4])), [0.5, 1.5, 2.5, 3.5])      # MXNet's docstring
    y = mx.nd.smooth_l1(nd([-3, 0, 2], "int32"))                          # MXNet: [2, 0, 1]
    assert y.dtype == np.int32
    close(y, [2, 0, 1])
    close(mx.nd.smooth_l1(nd([-3, 0.5]), scalar=0.0), [0, 0])


# -- Cython kernels against the numpy reference --------------------------------------------------
SOFTMAX_KERNELS = ["softmax", "log_softmax", "softmin"]


def _both(name, ins, out_dtype, params):
    attrs = get_op(name).parse(params)
    expect = [np.full(ins[0].shape, np.nan, out_dtype)]
    got = [np.full(ins[0].shape, np.nan, out_dtype)]
    REF[name](ins, expect, attrs)
    CPU[name](ins, got, attrs)
    return expect[0], got[0]


def _tolerance(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)


@given(shape=st.lists(st.integers(0, 7), min_size=1, max_size=4), data=st.data(),
       dtype=st.sampled_from([np.float32, np.float64]), name=st.sampled_from(SOFTMAX_KERNELS),
       temperature=st.sampled_from([None, 0.5, 3.0]))
def test_softmax_kernels_match_reference(shape, data, dtype, name, temperature):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = (np.random.default_rng(len(shape)).standard_normal(shape) * 4).astype(dtype)
    expect, got = _both(name, (x,), dtype, {"axis": axis, "temperature": temperature})
    np.testing.assert_allclose(got, expect, **_tolerance(dtype))


@pytest.mark.parametrize("shape,axis", [((257, 1000), -1), ((3, 300, 513), 1), ((1000, 3), 0)])
@pytest.mark.parametrize("name", SOFTMAX_KERNELS)
def test_softmax_kernels_large(shape, axis, name):
    # Large enough to run in parallel, with a tail of the 256-wide tile when the axis is inner.
    x = (np.random.default_rng(0).standard_normal(shape) * 10).astype(np.float32)
    expect, got = _both(name, (x,), np.float32, {"axis": axis})
    np.testing.assert_allclose(got, expect, rtol=2e-5, atol=2e-6)


def test_softmax_kernel_with_length_and_fallbacks():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 9)).astype(np.float32)
    length = np.array([0, 1, 4, 9, 12], np.int32)     # 12 > 9: the whole row
    expect, got = _both("softmax", (x, length), np.float32, {"use_length": True})
    np.testing.assert_allclose(got, expect, rtol=2e-5, atol=2e-6)
    assert (got[0] == 0).all() and got[1, 0] == 1
    # float16, and a dtype change, go to the reference
    expect, got = _both("softmax", (x.astype(np.float16),), np.float16, {})
    np.testing.assert_array_equal(got, expect)
    expect, got = _both("log_softmax", (x,), np.float64, {"dtype": "float64"})
    np.testing.assert_array_equal(got, expect)


def test_softmax_kernel_nan_and_inf_rows():
    x = np.array([[np.nan, 1, 2], [np.inf, 0, 1], [-np.inf, 0, 0]], np.float32)
    expect, got = _both("softmax", (x,), np.float32, {})
    np.testing.assert_allclose(got, expect, rtol=1e-6)
    # MXNet 1.9.1's float32 kernel: the NaN stays in its entry, the rest of its row is 0
    np.testing.assert_array_equal(got[:2], [[np.nan, 0, 0], [np.nan, 0, 0]])
    expect, got = _both("log_softmax", (x.T.copy(),), np.float32, {"axis": 0})   # the tile path
    np.testing.assert_allclose(got, expect, rtol=1e-6)
    np.testing.assert_allclose(got[:, 0], [np.nan, -89.72284, -88.72284], rtol=1e-6)
    np.testing.assert_array_equal(got[:, 1], [np.nan, -np.inf, -np.inf])


@pytest.mark.parametrize("params", [{}, {"multi_output": True}, {"preserve_shape": True}])
@pytest.mark.parametrize("batch", [3, 0])
def test_softmax_output_kernel_matches_reference(params, batch):
    x = np.random.default_rng(2).standard_normal((batch, 4, 5)).astype(np.float32)
    label = np.zeros((batch, 5) if params.get("multi_output") else (batch, 4), np.float32)
    expect, got = _both("SoftmaxOutput", (x, label), np.float32, params)
    np.testing.assert_allclose(got, expect, rtol=2e-5, atol=2e-6)
    for mode in ("instance", "channel"):
        expect, got = _both("SoftmaxActivation", (x,), np.float32, {"mode": mode})
        np.testing.assert_allclose(got, expect, rtol=2e-5, atol=2e-6)


def test_mx_nd_softmax_runs_on_both_backends_alike():
    x = np.random.default_rng(3).standard_normal((64, 700)).astype(np.float32)
    expect = np.empty_like(x)
    REF["softmax"]((x,), (expect,), get_op("softmax").parse({}))
    close(mx.nd.softmax(mx.nd.array(x)), expect, rtol=2e-5)
