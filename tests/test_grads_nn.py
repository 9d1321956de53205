"""Gradient rules of the nn family: what finite differences cannot show.

MXNet's loss-output ops (SoftmaxOutput, the regression outputs, MakeLoss) have a backward that is a
loss gradient, not the forward's derivative, and ignores the head gradient; the expected values
below were observed in real MXNet 1.9.1. Also: train vs predict mode (Dropout, rrelu), inputs that
get no gradient (labels, softmax's length, BlockGrad), and second derivatives (create_graph).
Plain derivatives are checked against central differences by tests/test_op_grads.py.
"""
import numpy as np
import pytest

import minimx as mx
from numeric import central_differences as fd

X = [[1., 2., 0.5], [0., -1., 3.], [2., 2., 1.], [0.3, 0.1, -0.2]]
LABEL = [0, 2, 1, 2]


def grad_of(f, *arrays, head=None, train_mode=True):
    """Gradients of ``f(*arrays)`` with head gradient ``head`` (ones by default), as numpy."""
    xs = [mx.nd.array(a, dtype=np.asarray(a).dtype if isinstance(a, np.ndarray) else "float32")
          for a in arrays]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record(train_mode=train_mode):
        y = f(*xs)
    y.backward(None if head is None else mx.nd.array(head, dtype=y.dtype))
    return [x.grad.asnumpy() for x in xs] if len(xs) > 1 else xs[0].grad.asnumpy()


# -- activations -------------------------------------------------------------------------------
ACT_X = [[0.5, -1., 2.], [0., -0.2, -0.3]]
MXNET_ACT = {   # x.grad for head gradient 1, from MXNet 1.9.1
    "relu": [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]],
    "sigmoid": [[0.235003710, 0.196611941, 0.104993574], [0.25, 0.247516572, 0.244458318]],
    "softrelu": [[0.622459352, 0.268941432, 0.880797088], [0.5, 0.450165987, 0.425557494]],
    "softsign": [[0.444444448, 0.25, 0.111111112], [1.0, 0.694444418, 0.591716051]],
    "tanh": [[0.786447704, 0.419974297, 0.070650816], [1.0, 0.961043000, 0.915136933]],
}


@pytest.mark.parametrize("act", sorted(MXNET_ACT))
def test_activation_gradient_matches_mxnet(act):
    g = grad_of(lambda x: mx.nd.Activation(x, act_type=act), ACT_X)
    np.testing.assert_allclose(g, MXNET_ACT[act], rtol=1e-5, atol=1e-6)


MXNET_LEAKY = {
    "elu": [[1.0, 0.091969870, 1.0], [0.25, 0.204682678, 0.185204566]],
    "gelu": [[0.867495060, -0.083315432, 1.085231900], [0.5, 0.342531711, 0.267672271]],
    "leaky": [[1.0, 0.25, 1.0], [0.25, 0.25, 0.25]],
}


@pytest.mark.parametrize("act", sorted(MXNET_LEAKY))
def test_leaky_relu_gradient_matches_mxnet(act):
    g = grad_of(lambda x: mx.nd.LeakyReLU(x, act_type=act), ACT_X)
    np.testing.assert_allclose(g, MXNET_LEAKY[act], rtol=1e-5, atol=1e-6)


def test_selu_gradient_is_the_derivative():
    # NB: MXNet 1.9.1 gives lambda * (out + alpha) on the negative side (0.5904 at x = -1), which
    # is not selu's derivative; minimx gives lambda * alpha * e^x (0.6468 at x = -1).
    lam, alpha = 1.0507009873554805, 1.6732632423543772
    x = np.array(ACT_X)
    g = grad_of(lambda a: mx.nd.LeakyReLU(a, act_type="selu"), x.astype(np.float32))
    np.testing.assert_allclose(g, np.where(x > 0, lam, lam * alpha * np.exp(x)), rtol=1e-5)


def test_prelu_gradients_of_data_and_gamma_match_mxnet():
    gx, ggamma = grad_of(lambda x, g: mx.nd.LeakyReLU(x, g, act_type="prelu"),
                         [[0.5, -1., 2.], [1., -0.2, -0.3]], [0.1, 0.2, 0.3],
                         head=[[1, 2, 3], [4, 5, 6]])
    np.testing.assert_allclose(gx, [[1.0, 0.4, 3.0], [4.0, 1.0, 1.8]], rtol=1e-6)
    np.testing.assert_allclose(ggamma, [0.0, -3.0, -1.8], rtol=1e-6)


def test_prelu_shared_slope_sums_over_everything():
    x = np.random.default_rng(0).uniform(-2, 2, (2, 3, 4))
    g = grad_of(lambda a, s: mx.nd.LeakyReLU(a, s, act_type="prelu"), x, np.array([0.3]))
    np.testing.assert_allclose(g[1], [np.minimum(x, 0).sum()], rtol=1e-10)


def test_rrelu_uses_its_drawn_slopes_while_training_and_their_mean_otherwise():
    x = mx.nd.array(np.random.default_rng(1).uniform(-2, 2, (3, 5)))
    x.attach_grad()
    with mx.autograd.record():
        y, slopes = mx.nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.1, upper_bound=0.4)
    y.backward()
    xs, s = x.asnumpy(), slopes.asnumpy()
    assert ((s >= 0.1) & (s <= 0.4)).all() and np.unique(s).size > 1
    np.testing.assert_allclose(y.asnumpy(), np.where(xs > 0, xs, xs * s), rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), np.where(xs > 0, 1, s), rtol=1e-6)
    # NB: MXNet's predict-mode backward reads an unwritten mask (it gives x * mean slope).
    g = grad_of(lambda a: mx.nd.LeakyReLU(a, act_type="rrelu", lower_bound=0.1,
                                          upper_bound=0.4)[0], xs, train_mode=False)
    np.testing.assert_allclose(g, np.where(xs > 0, 1, 0.25), rtol=1e-6)


# -- the softmax family ------------------------------------------------------------------------
def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("axis,temperature", [(-1, None), (0, None), (1, 2.5)])
def test_softmax_family_gradient_is_the_vjp(name, axis, temperature):
    rng = np.random.default_rng(2)
    x, w = rng.uniform(-2, 2, (2, 3, 4)), rng.standard_normal((2, 3, 4))
    t = temperature or 1.0
    forward = {"softmax": lambda a: _np_softmax(a / t, axis),
               "log_softmax": lambda a: np.log(_np_softmax(a / t, axis)),
               "softmin": lambda a: _np_softmax(-a / t, axis)}[name]
    g = grad_of(lambda a: getattr(mx.nd, name)(a, axis=axis, temperature=temperature), x, head=w)
    np.testing.assert_allclose(g, fd(lambda a: (forward(a) * w).sum(), x), rtol=1e-6, atol=1e-8)


def test_softmax_with_length_masks_the_gradient_and_gives_length_none():
    x = mx.nd.array(np.random.default_rng(3).uniform(-1, 1, (2, 4)), dtype="float64")
    length = mx.nd.array([2, 3], dtype="int32")
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.softmax(x, length, use_length=True)
    w = np.arange(8.).reshape(2, 4)
    y.backward(mx.nd.array(w, dtype="float64"))
    g = x.grad.asnumpy()
    assert (g[0, 2:] == 0).all() and (g[1, 3:] == 0).all()
    for i, n in enumerate([2, 3]):
        p = _np_softmax(x.asnumpy()[i, :n], 0)
        np.testing.assert_allclose(g[i, :n], p * (w[i, :n] - (p * w[i, :n]).sum()), rtol=1e-10)


def test_softmax_dtype_output_gives_the_input_dtype_gradient():
    g = grad_of(lambda a: mx.nd.softmax(a, dtype="float64"), np.float32([[1, 2, 3]]),
                head=[[1., 0., 0.]])
    assert g.dtype == np.float32
    p = _np_softmax(np.array([[1., 2., 3.]]), 1)
    np.testing.assert_allclose(g, p * (np.array([[1, 0, 0]]) - p[0, 0]), rtol=1e-6)


def test_softmax_activation_channel_mode_is_softmax_over_axis_1():
    x = np.random.default_rng(4).uniform(-1, 1, (2, 3, 2))
    w = np.random.default_rng(5).standard_normal((2, 3, 2))
    a = grad_of(lambda v: mx.nd.SoftmaxActivation(v, mode="channel"), x, head=w)
    b = grad_of(lambda v: mx.nd.softmax(v, axis=1), x, head=w)
    np.testing.assert_allclose(a, b, rtol=1e-12)


# -- SoftmaxOutput: MXNet's special gradient -----------------------------------------------------
SO_PLAIN = [[-0.768776119, 0.628531694, 0.140244380], [0.046612620, 0.017147826, -0.063760459],
            [0.422318816, -0.577681184, 0.155362412], [0.412326664, 0.337584496, -0.749911189]]
MXNET_SO = {   # x.grad of SoftmaxOutput(X, LABEL, **kw) for any head gradient, MXNet 1.9.1
    "plain": ({}, SO_PLAIN),
    "batch": ({"grad_scale": 2.0, "normalization": "batch"}, np.array(SO_PLAIN) * 0.5),
    "valid": ({"normalization": "valid"}, np.array(SO_PLAIN) * 0.25),
    "ignore_valid": ({"use_ignore": True, "ignore_label": 2, "normalization": "valid"},
                     [[-0.384388059, 0.314265847, 0.070122190], [0, 0, 0],
                      [0.211159408, -0.288840592, 0.077681206], [0, 0, 0]]),
    "ignore_null": ({"use_ignore": True, "ignore_label": 2},
                    [SO_PLAIN[0], [0, 0, 0], SO_PLAIN[2], [0, 0, 0]]),
    "smooth": ({"smooth_alpha": 0.1},
               [[-0.668776095, 0.578531682, 0.090244383], [-0.003387380, -0.032852173, 0.036239542],
                [0.372318804, -0.477681190, 0.105362415], [0.362326652, 0.287584484, -0.649911165]]),
    # NB: MXNet's out_grad=True multiplies by the output, not by the head gradient.
    "out_grad": ({"out_grad": True},
                 [[-0.177759409, 0.395052105, 0.019668486], [0.002172736, 0.000294048, -0.059695065],
                  [0.178353176, -0.243965641, 0.024137478], [0.170013279, 0.113963291, -0.187544376]]),
}


@pytest.mark.parametrize("case", sorted(MXNET_SO))
def test_softmax_output_gradient_matches_mxnet(case):
    kw, expected = MXNET_SO[case]
    gx, glabel = grad_of(lambda x, l: mx.nd.SoftmaxOutput(x, l, **kw), X, LABEL,
                         head=np.full((4, 3), 3.0))
    np.testing.assert_allclose(gx, expected, rtol=1e-5, atol=1e-7)
    assert (glabel == 0).all()


D3 = (np.arange(24.).reshape(2, 3, 4) / 10).astype(np.float32)


def test_softmax_output_3d_uses_the_first_labels_and_divides_by_the_label_size():
    # Softmax over all but axis 0; only label.flat[:2] is read; 'batch' divides by label.size = 6.
    g = grad_of(lambda x, l: mx.nd.SoftmaxOutput(x, l, normalization="batch"),
                D3, [[0, 1, 2], [3, 0, 1]])[0]
    np.testing.assert_allclose(g[:, 0, :2], [[-0.159111679, 0.008349568], [0.007555001, -0.158317104]],
                               rtol=1e-5)
    g = grad_of(lambda x, l: mx.nd.SoftmaxOutput(x, l, normalization="valid", use_ignore=True,
                                                  ignore_label=0), D3, [[0, 1, 2], [3, 0, 1]])[0]
    np.testing.assert_allclose(g[:, 0, :2], [[0, 0], [0.011332502, -0.237475649]], rtol=1e-5, atol=1e-8)


def test_softmax_output_multi_output_and_preserve_shape_match_mxnet():
    g = grad_of(lambda x, l: mx.nd.SoftmaxOutput(x, l, multi_output=True, normalization="batch"),
                D3, [[0, 1, 2, 1], [2, 0, 1, 1]])[0]
    np.testing.assert_allclose(g[0, :, :2], [[-0.098502159, 0.026497843], [0.039530132, -0.085469872],
                                             [0.058972031, 0.058972031]], rtol=1e-5)
    g = grad_of(lambda x, l: mx.nd.SoftmaxOutput(x, l, multi_output=True, normalization="valid",
                                                  use_ignore=True, ignore_label=1),
                D3, [[0, 1, 2, 1], [2, 0, 1, 1]])[0]
    np.testing.assert_allclose(g[0], [[-0.197004318, 0, 0.052995682, 0], [0.079060264, 0, 0.079060264, 0],
                                      [0.117944062, 0, -0.132055938, 0]], rtol=1e-5, atol=1e-8)
    g = grad_of(lambda x, l: mx.nd.SoftmaxOutput(x, l, preserve_shape=True, normalization="batch"),
                D3, [[0, 1, 2], [3, 0, 1]])[0]
    np.testing.assert_allclose(g[0, 0], [-0.131026968, 0.039387964, 0.043530434, 0.048108570], rtol=1e-5)


def test_softmax_output_labels_are_truncated_and_out_of_range_labels_have_no_target():
    x = [[1., 2., 0.5], [0., -1., 3.]]
    row1 = [0.046612620, 0.017147826, 0.936239541]
    for label, expected in (([0, 5], row1), ([0, -1], row1), ([0, 1.7], [0.046612620, -0.982852161, 0.936239541])):
        g = grad_of(lambda a, l: mx.nd.SoftmaxOutput(a, l), x, label)[0]
        np.testing.assert_allclose(g[1], expected, rtol=1e-5)
        np.testing.assert_allclose(g[0], SO_PLAIN[0], rtol=1e-5)


def test_softmax_cross_entropy_gradient_matches_mxnet():
    g = grad_of(lambda x, l: mx.nd.softmax_cross_entropy(x, l), X, LABEL, head=[2.0])
    np.testing.assert_allclose(g[0], np.array(SO_PLAIN) * 2, rtol=1e-5)
    assert (g[1] == 0).all()


# -- regression outputs, MakeLoss, BlockGrad, Dropout, sums --------------------------------------
R_X, R_L = [[0.5, -1., 2.], [1., 0.2, -0.3]], [[0., 1., 1.], [2., 0., 0.]]
MXNET_REGRESSION = {   # grad_scale=2, head gradient 5 (ignored); divided by 3 outputs per sample
    "LinearRegressionOutput": [[0.333333343, -1.333333373, 0.666666687],
                               [-0.666666687, 0.133333340, -0.200000018]],
    "LogisticRegressionOutput": [[0.414972901, -0.487372398, -0.079468653],
                                 [-0.845960975, 0.366555989, 0.283704996]],
    "MAERegressionOutput": [[0.666666687, -0.666666687, 0.666666687],
                            [-0.666666687, 0.666666687, -0.666666687]],
}


@pytest.mark.parametrize("name", sorted(MXNET_REGRESSION))
def test_regression_output_gradient_matches_mxnet(name):
    gx, gl = grad_of(lambda x, l: getattr(mx.nd, name)(x, l, grad_scale=2.0), R_X, R_L,
                     head=np.full((2, 3), 5.0))
    np.testing.assert_allclose(gx, MXNET_REGRESSION[name], rtol=1e-5)
    assert (gl == 0).all()


@pytest.mark.parametrize("kw,expected", [
    ({}, 1.0), ({"grad_scale": 2.0, "normalization": "batch"}, 1.0),
    ({"normalization": "valid", "valid_thresh": 0.4}, 1 / 3)])
def test_make_loss_gradient_is_the_scale_and_ignores_the_head(kw, expected):
    g = grad_of(lambda x: mx.nd.MakeLoss(x, **kw), R_X, head=np.full((2, 3), 5.0))
    np.testing.assert_allclose(g, np.full((2, 3), expected), rtol=1e-6)


def test_block_grad_stops_the_gradient():
    g = grad_of(lambda x: mx.nd.BlockGrad(x) * 2 + x * 3, R_X)
    np.testing.assert_allclose(g, np.full((2, 3), 3.0))


def test_dropout_gradient_uses_the_mask_in_training_and_is_identity_in_prediction():
    x = mx.nd.array(np.random.default_rng(6).uniform(1, 2, (20, 30)))
    w = np.random.default_rng(7).standard_normal((20, 30))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Dropout(x, p=0.3)
    y.backward(mx.nd.array(w))
    mask = y.asnumpy() / x.asnumpy()            # 0 or 1 / (1 - p)
    assert 0 < (mask == 0).mean() < 0.6
    np.testing.assert_allclose(x.grad.asnumpy(), w * mask, rtol=1e-5)
    np.testing.assert_allclose(grad_of(lambda a: mx.nd.Dropout(a, p=0.3), x.asnumpy(), head=w,
                                       train_mode=False), w, rtol=1e-6)
    g = grad_of(lambda a: mx.nd.Dropout(a, p=0.3, mode="always"), x.asnumpy(), head=w,
                train_mode=False)
    assert (g == 0).mean() > 0.1


def test_element_wise_sum_passes_the_gradient_to_every_input():
    gs = grad_of(lambda a, b, c: mx.nd.ElementWiseSum(a, b, c), R_X, R_L, R_X, head=R_L)
    for g in gs:
        np.testing.assert_allclose(g, R_L)


def test_smooth_l1_gradient_matches_mxnet():
    g = grad_of(lambda x: mx.nd.smooth_l1(x, scalar=1.0), [-2., -0.5, 0., 0.5, 2.])
    np.testing.assert_allclose(g, [-1.0, -0.5, 0.0, 0.5, 1.0])


# -- second derivatives ---------------------------------------------------------------------------
def _second_derivative(f, x, w):
    """d/dx sum(grad(sum(w * f(x)))^2) through create_graph=True, as numpy."""
    xa = mx.nd.array(x, dtype="float64")
    xa.attach_grad()
    with mx.autograd.record():
        y = f(xa)
        s = (y * mx.nd.array(w, dtype="float64")).sum()
        g, = mx.autograd.grad(s, [xa], create_graph=True)
        z = (g * g).sum()
    z.backward()
    return xa.grad.asnumpy()


def _first_derivative(f, x, w):
    xa = mx.nd.array(x, dtype="float64")
    xa.attach_grad()
    with mx.autograd.record():
        s = (f(xa) * mx.nd.array(w, dtype="float64")).sum()
    s.backward()
    return xa.grad.asnumpy()


@pytest.mark.parametrize("f", [
    lambda x: mx.nd.softmax(x), lambda x: mx.nd.softmax(x, axis=0, temperature=1.7),
    lambda x: mx.nd.log_softmax(x), lambda x: mx.nd.log_softmax(x, axis=0, temperature=0.6),
    lambda x: mx.nd.softmin(x),
    lambda x: mx.nd.softmax_cross_entropy(x, mx.nd.array([1, 3, 0], dtype="float64")),
    lambda x: mx.nd.Activation(x, act_type="tanh"), lambda x: mx.nd.LeakyReLU(x, act_type="elu")],
    ids=["softmax", "softmax_axis0_T", "log_softmax", "log_softmax_axis0_T", "softmin", "sce", "tanh", "elu"])
def test_second_derivative_matches_differences_of_the_first(f):
    rng = np.random.default_rng(8)
    x = rng.uniform(-2, 2, (3, 4))
    w = rng.standard_normal(f(mx.nd.array(x, dtype="float64")).shape)
    numeric = fd(lambda a: (_first_derivative(f, a, w) ** 2).sum(), x)
    np.testing.assert_allclose(_second_derivative(f, x, w), numeric, rtol=1e-5, atol=1e-7)


# -- the fused softmax backward ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["_backward_softmax", "_backward_log_softmax"])
@pytest.mark.parametrize("shape,axis,temperature", [((3, 5, 7), 1, None), ((4, 6), -1, 2.0),
                                                    ((2, 3, 300), 1, 0.5), ((2, 1, 5), 1, None)])
def test_fused_softmax_backward_matches_the_composite_rule(name, shape, axis, temperature):
    from minimx.ndarray.invoke import call_op
    from minimx.ops.gradutil_nn import log_softmax_vjp, softmax_vjp
    rng = np.random.default_rng(9)
    g = mx.nd.array(rng.standard_normal(shape), dtype="float64")
    x = mx.nd.array(rng.uniform(-2, 2, shape), dtype="float64")
    log = name == "_backward_log_softmax"
    y = (mx.nd.log_softmax if log else mx.nd.softmax)(x, axis=axis, temperature=temperature)
    fused = call_op(name, [g, y], (), dict(axis=axis, temperature=temperature))
    composite = (log_softmax_vjp if log else softmax_vjp)(mx.nd, g, y, axis, temperature)
    np.testing.assert_allclose(fused.asnumpy(), composite.asnumpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["_backward_softmax", "_backward_log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("shape,axis", [((3, 5, 7), 1), ((4, 6), -1), ((2, 3, 300), 1),
                                        ((1000, 50), -1), ((0, 3), 1), ((2, 1, 5), 0)])
def test_cython_softmax_backward_matches_the_reference(name, dtype, shape, axis):
    from minimx._kernels import get_backend
    ref = get_backend("reference").kernels[name]
    cpu = get_backend("cpu").kernels[name]
    rng = np.random.default_rng(10)
    ins = [rng.standard_normal(shape).astype(dtype), rng.uniform(-3, 0, shape).astype(dtype)]
    for temperature in (None, 2.0):
        a, b = np.full(shape, 7, dtype), np.full(shape, 7, dtype)
        attrs = dict(axis=axis, temperature=temperature)
        ref(ins, [a], attrs)
        cpu(ins, [b], attrs)
        tol = {np.float64: 1e-12, np.float32: 1e-5, np.float16: 1e-3}[dtype]
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_fused_softmax_backward_rejects_mismatched_shapes():
    from minimx.ndarray.invoke import call_op
    with pytest.raises(mx.MXNetError, match="ograd has shape"):
        call_op("_backward_softmax", [mx.nd.ones((2, 3)), mx.nd.ones((3, 2))], (), {})
