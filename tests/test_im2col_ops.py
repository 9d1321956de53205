"""``im2col``/``col2im``: values and gradients against MXNet 1.9.1, shape rules and errors.

Expected values were printed by MXNet 1.9.1 for the data and head gradients ``_data`` makes (both
ops under ``autograd.record``) and are recorded here, so the tests need no MXNet.
"""
import numpy as np
import pytest

import minimx as mx
from minimx.base import MXNetError

# geometry -> (im2col shape, sum, sum(cols * W), cols[1, :, 1], x.grad summed over N and C,
#              col2im(W) shape, col2im(W)[1, 1]) from MXNet 1.9.1 (see _data below)
EXPECTED = [({'kernel': (2, 3)},
             ((2, 12, 9), 16.0, 51.0,
              [3.0, -3.0, -2.0, 1.0, 2.0, 3.0, 2.0, 3.0, -3.0, 0.0, 1.0, 2.0],
              [[1.0, 2.0, -2.0, 2.0, 1.0], [-3.0, -1.0, 1.0, -1.0, -3.0],
               [1.0, 2.0, -2.0, 2.0, 1.0], [-2.0, 1.0, -1.0, 1.0, -2.0]],
              (2, 2, 4, 5),
              [[0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 2.0, -2.0, 2.0, 1.0],
               [-2.0, 1.0, -1.0, 1.0, -2.0]],
              0.0)),
            ({'dilate': (1, 2), 'kernel': (2, 2), 'pad': (1, 0), 'stride': (2, 1)},
             ((2, 8, 9), -10.0, -7.0, [0.0, 0.0, 3.0, -2.0, 0.0, 0.0, 2.0, -3.0],
              [[0.0, -1.0, -1.0, 0.0, -1.0], [0.0, -1.0, -1.0, 0.0, -1.0],
               [2.0, 1.0, -2.0, 2.0, 1.0], [2.0, 1.0, -2.0, 2.0, 1.0]],
              (2, 2, 4, 5),
              [[-1.0, 0.0, -1.0, -1.0, 0.0], [-1.0, 0.0, -1.0, -1.0, 0.0],
               [2.0, -2.0, 0.0, 2.0, -2.0], [2.0, -2.0, 0.0, 2.0, -2.0]],
              0.0)),
            ({'kernel': (3, 3), 'pad': (1, 1), 'stride': (2, 2)},
             ((2, 18, 6), 7.0, -26.0,
              [0.0, 0.0, 0.0, 3.0, -3.0, -2.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 2.0, 3.0, -3.0, 0.0,
               1.0, 2.0],
              [[2.0, 3.0, 1.0, 1.0, 0.0], [1.0, 0.0, -1.0, 1.0, 2.0], [-1.0, -3.0, -2.0, 0.0, 2.0],
               [1.0, 1.0, 0.0, -1.0, -1.0]],
              (2, 2, 4, 5),
              [[-1.0, -1.0, 0.0, 1.0, 1.0], [1.0, -1.0, -2.0, -2.0, 0.0],
               [2.0, 0.0, -2.0, -3.0, -1.0], [0.0, 1.0, 1.0, 3.0, 2.0]],
              0.0))]


def _data():
    x = mx.nd.array(np.arange(2 * 2 * 4 * 5).reshape((2, 2, 4, 5)) % 7 - 3.0)
    return x


@pytest.mark.parametrize("geo,want", EXPECTED, ids=[str(g) for g, _ in EXPECTED])
def test_im2col_col2im_match_mxnet(geo, want):
    shape, total, dot, col, xgrad, cshape, img = want[:7]
    x = _data()
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.im2col(x, **geo)
    w = mx.nd.array(np.arange(y.size).reshape(y.shape) % 5 - 2.0)
    y.backward(w)
    assert y.shape == shape and y.dtype == np.float32
    assert y.sum().asscalar() == total and (y * w).sum().asscalar() == dot
    np.testing.assert_array_equal(y[1, :, 1].asnumpy(), col)
    np.testing.assert_array_equal(x.grad.asnumpy().sum(axis=(0, 1)), xgrad)
    c = mx.nd.col2im(w, output_size=(4, 5), **geo)
    assert c.shape == cshape
    np.testing.assert_array_equal(c[1, 1].asnumpy(), img)
    np.testing.assert_array_equal(c.asnumpy(), x.grad.asnumpy())      # the gradient is col2im
    w.attach_grad()
    with mx.autograd.record():
        z = mx.nd.col2im(w, output_size=(4, 5), **geo)
    z.backward(x)
    np.testing.assert_array_equal(w.grad.asnumpy(), y.asnumpy())      # ... and col2im's is im2col


def test_padding_layout_and_overlap_counts():
    y = mx.nd.im2col(mx.nd.arange(6).reshape((1, 1, 2, 3)), kernel=(2, 2), pad=(1, 1))
    np.testing.assert_array_equal(y.asnumpy()[0], [
        [0, 0, 0, 0, 0, 0, 1, 2, 0, 3, 4, 5], [0, 0, 0, 0, 0, 1, 2, 0, 3, 4, 5, 0],
        [0, 0, 1, 2, 0, 3, 4, 5, 0, 0, 0, 0], [0, 1, 2, 0, 3, 4, 5, 0, 0, 0, 0, 0]])
    z = mx.nd.col2im(mx.nd.ones((1, 4, 12)), output_size=(2, 3), kernel=(2, 2), pad=(1, 1))
    np.testing.assert_array_equal(z.asnumpy(), np.full((1, 1, 2, 3), 4.0))


@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_dtypes(dtype):
    x = _data().astype(dtype)
    y = mx.nd.im2col(x, kernel=(2, 3))
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(y[1, :, 1].asnumpy(), EXPECTED[0][1][3])
    assert mx.nd.col2im(y, output_size=(4, 5), kernel=(2, 3)).dtype == np.dtype(dtype)


def test_one_and_three_d_kernels_are_adjoint():
    """MXNet 1.9.1's CPU kernels fail on these; minimx computes them (checked by adjointness)."""
    rng = np.random.default_rng(1)
    for shape, geo in [((2, 3, 7), dict(kernel=(3,), stride=(2,), pad=(1,))),
                       ((1, 2, 3, 4, 5), dict(kernel=(2, 2, 3), dilate=(1, 1, 2), pad=(0, 1, 1)))]:
        x = rng.standard_normal(shape)
        cols = mx.nd.im2col(mx.nd.array(x, dtype="float64"), **geo)
        w = rng.standard_normal(cols.shape)
        back = mx.nd.col2im(mx.nd.array(w, dtype="float64"), output_size=shape[2:], **geo)
        np.testing.assert_allclose((cols.asnumpy() * w).sum(), (x * back.asnumpy()).sum(),
                                   rtol=1e-12)
    y = mx.nd.im2col(mx.nd.arange(12).reshape((1, 2, 6)), kernel=(3,))
    np.testing.assert_array_equal(y.asnumpy()[0, :3], [[0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5]])


@pytest.mark.parametrize("call", [
    lambda nd: nd.im2col(nd.ones((2, 2, 4, 5), dtype="int32"), kernel=(2, 3)),
    lambda nd: nd.im2col(nd.ones((2, 2, 4, 5)), kernel=(5, 3)),
    lambda nd: nd.im2col(nd.ones((2, 2, 4, 5)), kernel=(2, 3), stride=(1,)),
    lambda nd: nd.im2col(nd.ones((2, 2, 4, 5))),
    lambda nd: nd.col2im(nd.ones((1, 12, 6)), output_size=(4, 5), kernel=(2, 3)),
    lambda nd: nd.col2im(nd.ones((1, 12, 6)), kernel=(2, 3)),
    lambda nd: nd.col2im(nd.ones((1, 10, 9)), output_size=(4, 5), kernel=(2, 3)),
], ids=["int", "kernel-too-big", "stride-ndim", "no-kernel", "columns", "no-output-size",
        "rows"])
def test_errors(call):
    with pytest.raises(MXNetError):
        call(mx.nd)


def test_symbol():
    s = mx.sym.col2im(mx.sym.im2col(mx.sym.var("x"), kernel=(2, 3)), output_size=(4, 5),
                      kernel=(2, 3))
    out = s.bind(mx.cpu(), {"x": _data()}).forward()[0]
    want = mx.nd.col2im(mx.nd.im2col(_data(), kernel=(2, 3)), output_size=(4, 5), kernel=(2, 3))
    np.testing.assert_array_equal(out.asnumpy(), want.asnumpy())
