"""Gradients of the random, optimizer, init and vision families that the generated
finite-difference check (tests/test_op_grads.py) cannot show: MXNet's special gradients of
loss-output layers (SVMOutput, IdentityAttachKLSparseReg), CTCLoss against values observed in
real MXNet 1.9.1, the REINFORCE gradient of sample_multinomial, and which ops have none."""
import numpy as np
import pytest

import minimx as mx
from minimx.ops import NO_GRAD, all_ops, get_op

nd = mx.nd


def _grads(f, *arrays, head=None):
    for a in arrays:
        a.attach_grad()
    with mx.autograd.record():
        y = f(*arrays)
    y.backward(head)
    return [a.grad.asnumpy() for a in arrays]


# -- which ops have no gradient ----------------------------------------------------------------
@pytest.mark.parametrize("family", ["optim", "init"])
def test_optimizer_and_init_ops_have_no_gradient(family):
    ops = [op for op in all_ops() if op.family == family]
    assert ops
    assert all(op.grad == NO_GRAD for op in ops), [op.name for op in ops if op.grad != NO_GRAD]


def test_samplers_have_no_gradient_but_multinomial_has_one():
    ops = [op for op in all_ops() if op.family == "random"]
    with_rule = [op.name for op in ops if op.grad != NO_GRAD]
    assert with_rule == ["_sample_multinomial"]


def test_samplers_leave_a_zero_gradient_as_in_mxnet():
    mu, sigma = nd.array([0.0, 1.0]), nd.array([1.0, 2.0])
    g_mu, g_sigma = _grads(lambda m, s: nd.sample_normal(m, s, shape=(3,)), mu, sigma)
    np.testing.assert_array_equal(g_mu, [0, 0])          # MXNet: [0, 0] and [0, 0]
    np.testing.assert_array_equal(g_sigma, [0, 0])
    (g,) = _grads(lambda x: nd.random.normal_like(x) * x, nd.array([1.0, 2.0]))
    assert g.shape == (2,)                     # the sample is a constant: d(sample * x)/dx = sample


def test_multinomial_log_probability_gradient():
    """MXNet: d log p[s] / d p[k] = [s == k] / p[k], summed over the samples of each row; the
    samples themselves pass no gradient."""
    p = nd.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    p.attach_grad()
    head = np.array([[1.0, 2, 3, 4], [5, 6, 7, 8]])
    with mx.autograd.record():
        samples, logp = nd.sample_multinomial(p, shape=(4,), get_prob=True)
    logp.backward(nd.array(head))
    s = samples.asnumpy()
    expected = np.zeros((2, 3))
    for row in range(2):
        for j in range(4):
            expected[row, s[row, j]] += head[row, j] / p.asnumpy()[row, s[row, j]]
    np.testing.assert_allclose(p.grad.asnumpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(logp.asnumpy(), np.log(np.take_along_axis(p.asnumpy(), s, 1)),
                               rtol=1e-6)


def test_multinomial_of_one_distribution_and_no_samples_axis():
    p = nd.array([0.2, 0.3, 0.5])
    p.attach_grad()
    with mx.autograd.record():
        s, logp = nd.sample_multinomial(p, get_prob=True)
    logp.backward(nd.array([2.0]))
    expected = np.zeros(3)
    expected[int(s.asscalar())] = 2.0 / p.asnumpy()[int(s.asscalar())]
    np.testing.assert_allclose(p.grad.asnumpy(), expected, rtol=1e-6)
    q = nd.array([[0.2, 0.8], [0.5, 0.5]])
    q.attach_grad()
    with mx.autograd.record():
        s, logp = nd.sample_multinomial(q, get_prob=True)         # one sample per row: (2,)
    logp.backward(nd.array([1.0, 3.0]))
    got = q.grad.asnumpy()
    for row, k in enumerate(s.asnumpy()):
        assert got[row, k] == pytest.approx([1.0, 3.0][row] / q.asnumpy()[row, k], rel=1e-6)
        assert got[row, 1 - k] == 0


# -- SVMOutput, IdentityAttachKLSparseReg: MXNet's special gradients ---------------------------------
@pytest.mark.parametrize("use_linear,expected", [
    (False, [[2.1, 0.0, 0.0], [1.68, -0.14, 0.98]]),         # observed in MXNet 1.9.1
    (True, [[0.7, 0.0, 0.0], [0.7, -0.7, 0.7]])])
def test_svm_output_gradient_is_the_hinge_loss_gradient(use_linear, expected):
    data = nd.array([[0.5, -1.5, 2.0], [0.2, 0.9, -0.3]])
    label = nd.array([2, 1])
    (g,) = _grads(lambda d: nd.SVMOutput(d, label, margin=1.0, regularization_coefficient=0.7,
                                         use_linear=use_linear) * 3, data)   # head is ignored
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-7)


def test_svm_output_on_3d_data_sees_rows_of_the_last_axis():
    data = nd.array(np.arange(12).reshape(2, 2, 3) / 6 - 1)
    (g,) = _grads(lambda d: nd.SVMOutput(d, nd.array([[0, 1], [2, 0]])), data)
    expected = [[[-4.0, 1 / 3, 2 / 3], [1.0, -8 / 3, 5 / 3]],        # MXNet 1.9.1
                [[2.0, 7 / 3, -4 / 3], [-1.0, 10 / 3, 11 / 3]]]
    np.testing.assert_allclose(g, expected, rtol=1e-5)


def test_kl_sparse_reg_updates_moving_avg_and_adds_the_penalty():
    data = nd.array([[0.2, 0.5, 0.9], [0.4, 0.1, 0.3]])
    moving_avg = nd.array([0.5, 0.5, 0.5])
    data.attach_grad()
    with mx.autograd.record():
        y = nd.IdentityAttachKLSparseReg(data, moving_avg)
    np.testing.assert_array_equal(y.asnumpy(), data.asnumpy())
    y.backward(nd.ones((2, 3)) * 2)
    # MXNet 1.9.1 (symbol executor; moving_avg is an auxiliary state there)
    np.testing.assert_allclose(moving_avg.asnumpy(), [0.48, 0.48, 0.51], rtol=1e-6)
    np.testing.assert_allclose(data.grad.asnumpy(), [[2.0015225, 2.0015225, 2.0016406]] * 2,
                               rtol=1e-6)


# -- CTCLoss ---------------------------------------------------------------------------------------
_CTC_DATA = (np.arange(24).reshape(4, 2, 3) * 0.37 % 1.3 - 0.6).astype("float32")
_CTC_CASES = [   # (params, label, data_lengths, loss, gradient) observed in MXNet 1.9.1, head (1.5, -1)
    ({}, [[1, 2], [2, 0]], None, [1.50567, 1.85552],
     [[[-0.1439, -0.54803, 0.69193], [0.25338, -0.20071, -0.05267]],
      [[0.1277, -0.26367, 0.13596], [0.2039, -0.47955, 0.27565]],
      [[0.06063, 0.14879, -0.20942], [0.02602, -0.31863, 0.2926]],
      [[0.01925, 0.47794, -0.49719], [0.1483, -0.20071, 0.05241]]]),
    ({"use_data_lengths": True}, [[1, 1], [2, 0]], [4, 3], [3.13193, 1.59969],
     [[[0.0757, -0.76763, 0.69193], [0.20091, -0.20071, -0.00019]],
      [[-0.38035, 0.09654, 0.28381], [0.15853, -0.47955, 0.32102]],
      [[-0.54709, -0.14484, 0.69193], [0.04961, -0.31863, 0.26902]],
      [[0.0757, -0.76763, 0.69193], [0.0, 0.0, 0.0]]]),
    ({"blank_label": "last"}, [[0, 1], [1, -1]], None, [1.73522, 2.43901],
     [[[-0.51272, 0.47794, 0.03478], [-0.50871, 0.1782, 0.33051]],
      [[-0.39693, 0.30524, 0.09169], [-0.33124, 0.30512, 0.02613]],
      [[0.14346, -0.31018, 0.16672], [-0.22009, 0.20273, 0.01736]],
      [[0.33013, -0.36491, 0.03478], [-0.50871, 0.07063, 0.43808]]]),
]


@pytest.mark.parametrize("params,label,lengths,loss,grad", _CTC_CASES)
def test_ctc_loss_gradient_matches_mxnet(params, label, lengths, loss, grad):
    data = nd.array(_CTC_DATA)
    ins = [nd.array(label)] + ([nd.array(lengths)] if lengths else [])
    data.attach_grad()
    with mx.autograd.record():
        out = nd.CTCLoss(data, *ins, **params)
    out.backward(nd.array([1.5, -1.0]))
    np.testing.assert_allclose(out.asnumpy(), loss, rtol=1e-5)
    np.testing.assert_allclose(data.grad.asnumpy(), grad, atol=2e-5)


def test_ctc_loss_gradient_of_an_impossible_label_is_zero():
    """MXNet gives loss 0 and an uninitialised gradient there; minimx gives 0."""
    data = nd.array(_CTC_DATA)
    (g,) = _grads(lambda d: nd.CTCLoss(d, nd.array([[1, 1, 1], [2, 0, 0]])), data)
    np.testing.assert_array_equal(g[:, 0], 0)
    assert np.abs(g[:, 1]).sum() > 0


@pytest.mark.parametrize("params", [{}, {"blank_label": "last"}, {"use_data_lengths": True},
                                    {"use_data_lengths": True, "use_label_lengths": True}])
def test_ctc_loss_gradient_matches_central_differences(params):
    rng = np.random.default_rng(0)
    data = rng.uniform(-2, 2, (5, 3, 4))
    first = params.get("blank_label", "first") == "first"
    label = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]], dtype=np.float64) - (0 if first else 1)
    if not first:
        label[label < 0] = -1
    extra = []
    if params.get("use_data_lengths"):
        extra.append(nd.array([5, 4, 3], dtype="float64"))
    if params.get("use_label_lengths"):
        extra.append(nd.array([3, 2, 1], dtype="float64"))
    head = rng.standard_normal(3)

    def loss(x):
        out = nd.CTCLoss(nd.array(x, dtype="float64"), nd.array(label, dtype="float64"), *extra,
                         **params)
        return float((out.asnumpy() * head).sum())
    x = nd.array(data, dtype="float64")
    (g,) = _grads(lambda d: nd.CTCLoss(d, nd.array(label, dtype="float64"), *extra, **params), x,
                  head=nd.array(head, dtype="float64"))
    numeric = np.zeros_like(data)
    for k in range(data.size):
        plus, minus = data.copy(), data.copy()
        plus.reshape(-1)[k] += 1e-6
        minus.reshape(-1)[k] -= 1e-6
        numeric.reshape(-1)[k] = (loss(plus) - loss(minus)) / 2e-6
    np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-7)


# -- the other vision ops: values a reader can check by hand ------------------------------------------
def test_crop_gradient_pads_the_window_with_zeros():
    data = nd.ones((1, 1, 3, 4))
    (g,) = _grads(lambda d: nd.Crop(d, h_w=(2, 2), offset=(1, 1)), data,
                  head=nd.array([[[[1, 2], [3, 4]]]]))
    np.testing.assert_array_equal(g[0, 0], [[0, 0, 0, 0], [0, 1, 2, 0], [0, 3, 4, 0]])


def test_nearest_upsampling_gradient_sums_each_block():
    data = nd.zeros((1, 1, 1, 2))
    head = nd.array(np.arange(8).reshape(1, 1, 2, 4))
    (g,) = _grads(lambda d: nd.UpSampling(d, scale=2, sample_type="nearest"), data, head=head)
    np.testing.assert_array_equal(g[0, 0], [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7]])


def test_roi_pooling_gradient_goes_to_each_maximum():
    data = nd.array(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
    rois = nd.array([[0, 0, 0, 3, 3], [0, 0, 0, 1, 1]])
    (g, g_rois) = _grads(lambda d, r: nd.ROIPooling(d, r, pooled_size=(1, 1), spatial_scale=1.0),
                         data, rois, head=nd.array([[[[2.0]]], [[[5.0]]]]))
    expected = np.zeros((4, 4))
    expected[3, 3], expected[1, 1] = 2.0, 5.0
    np.testing.assert_array_equal(g[0, 0], expected)
    np.testing.assert_array_equal(g_rois, 0)


def test_second_order_through_roi_pooling_backward():
    """``_backward_ROIPooling`` is linear in the head gradient, and has a rule: the gradient of
    ``sum(w * grad_data)`` w.r.t. the head is w at the maximum."""
    data = nd.array(np.arange(16).reshape(1, 1, 4, 4), dtype="float64")
    rois = nd.array([[0, 0, 0, 3, 3]], dtype="float64")
    head = nd.array([[[[3.0]]]], dtype="float64")
    data.attach_grad()
    head.attach_grad()
    w = nd.array(np.arange(16).reshape(1, 1, 4, 4) * 0.5, dtype="float64")
    with mx.autograd.record():
        out = nd.ROIPooling(data, rois, pooled_size=(1, 1), spatial_scale=1.0)
        (g,) = mx.autograd.grad(out, [data], head_grads=head, create_graph=True)
        total = (g * w).sum()
    total.backward()
    assert g.asnumpy()[0, 0, 3, 3] == 3.0
    np.testing.assert_allclose(head.grad.asnumpy(), [[[[7.5]]]])


@pytest.mark.parametrize("name", ["_backward_BilinearSampler", "_ctc_loss_grad"])
def test_backward_ops_without_a_second_order_rule_say_so(name):
    """As in MXNet (no FGradient on these backward ops), a second derivative raises."""
    assert get_op(name).grad is None


def test_second_order_through_bilinear_sampler_raises():
    data = nd.array(np.ones((1, 1, 3, 3)))
    grid = nd.array(np.zeros((1, 2, 2, 2)))
    data.attach_grad()
    grid.attach_grad()
    with mx.autograd.record():
        out = nd.BilinearSampler(data, grid)
        (g,) = mx.autograd.grad(out, [grid], create_graph=True)
        total = g.sum()
    with pytest.raises(mx.MXNetError, match="_backward_BilinearSampler has no gradient rule"):
        total.backward()


def test_second_order_through_correlation():
    """Correlation (is_multiply) is bilinear: d/d data2 of <w, d out / d data1 · head> is the
    backward of the other input; checked against central differences of the first derivative."""
    rng = np.random.default_rng(1)
    x1, x2 = rng.uniform(-1, 1, (1, 2, 3, 4)), rng.uniform(-1, 1, (1, 2, 3, 4))
    head = rng.uniform(-1, 1, (1, 9, 1, 2))
    w = rng.uniform(-1, 1, x1.shape)
    params = {"max_displacement": 1, "kernel_size": 1}

    def first(b):
        a, b = nd.array(x1, dtype="float64"), nd.array(b, dtype="float64")
        a.attach_grad()
        with mx.autograd.record():
            out = nd.Correlation(a, b, **params)
        out.backward(nd.array(head, dtype="float64"))
        return float((a.grad.asnumpy() * w).sum())
    a, b = nd.array(x1, dtype="float64"), nd.array(x2, dtype="float64")
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        out = nd.Correlation(a, b, **params)
        (g,) = mx.autograd.grad(out, [a], head_grads=nd.array(head, dtype="float64"),
                                create_graph=True)
        total = (g * nd.array(w, dtype="float64")).sum()
    total.backward()
    numeric = np.zeros_like(x2)
    for k in range(x2.size):
        plus, minus = x2.copy(), x2.copy()
        plus.reshape(-1)[k] += 1e-6
        minus.reshape(-1)[k] -= 1e-6
        numeric.reshape(-1)[k] = (first(plus) - first(minus)) / 2e-6
    np.testing.assert_allclose(b.grad.asnumpy(), numeric, rtol=1e-5, atol=1e-8)
