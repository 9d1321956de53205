"""Tests of unit 5 (im2col and pooling): a naive loop and minimx's own ops as the oracles."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minimx as mx
from im2col import conv2d, im2col, max_pool2d, out_size


@st.composite
def conv_cases(draw):
    """An input, a weight, stride and padding with at least one output pixel."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 1)), draw(st.integers(0, 1))
    h, w = draw(st.integers(max(1, kh - 2 * ph), 6)), draw(st.integers(max(1, kw - 2 * pw), 6))
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    elems = st.floats(-2, 2, width=32)
    x = draw(hnp.arrays(np.float32, (n, c, h, w), elements=elems))
    weight = draw(hnp.arrays(np.float32, (f, c, kh, kw), elements=elems))
    return x, weight, (sh, sw), (ph, pw)


def naive_im2col(x, kernel, stride, pad):
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, pad
    oh, ow = out_size(h, kh, sh, ph), out_size(w, kw, sw, pw)
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.zeros((n, c * kh * kw, oh * ow), x.dtype)
    for ci in range(c):
        for i in range(kh):
            for j in range(kw):
                for y in range(oh):
                    for z in range(ow):
                        cols[:, (ci * kh + i) * kw + j, y * ow + z] = xpad[:, ci, y * sh + i, z * sw + j]
    return cols


@pytest.mark.ex5_1
def test_im2col_example():
    x = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    cols = im2col(x, (2, 2))
    np.testing.assert_array_equal(cols[0], [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]])


@pytest.mark.ex5_1
@given(case=conv_cases())
def test_im2col_matches_naive_loops(case):
    x, weight, stride, pad = case
    kernel = weight.shape[2:]
    np.testing.assert_array_equal(im2col(x, kernel, stride, pad), naive_im2col(x, kernel, stride, pad))


@pytest.mark.ex5_1
@given(case=conv_cases())
def test_conv2d_matches_library(case):
    # Catches rows in another order than weight.reshape(F, -1), a lost stride or padding.
    x, weight, stride, pad = case
    f, _, kh, kw = weight.shape
    bias = np.linspace(-1, 1, f).astype(np.float32)
    ref = mx.nd.Convolution(mx.nd.array(x), mx.nd.array(weight), mx.nd.array(bias), kernel=(kh, kw),
                            stride=stride, pad=pad, num_filter=f).asnumpy()
    np.testing.assert_allclose(conv2d(x, weight, bias, stride, pad), ref, rtol=1e-4, atol=1e-4)


@pytest.mark.ex5_2
def test_max_pool_example():
    x = np.array([[[[1, 2, 0, 1], [3, 4, 1, 0], [0, -1, 5, 6], [-2, -3, 7, 8]]]], dtype=np.float32)
    np.testing.assert_array_equal(max_pool2d(x, (2, 2), (2, 2))[0, 0], [[4, 1], [0, 8]])


@pytest.mark.ex5_2
@given(case=conv_cases(), kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)))
def test_max_pool_matches_library(case, kernel, stride):
    x = case[0] - 3   # all negative: catches a pool that starts from 0 instead of -inf
    kernel = (min(kernel[0], x.shape[2]), min(kernel[1], x.shape[3]))
    ref = mx.nd.Pooling(mx.nd.array(x), kernel=kernel, stride=stride, pool_type="max",
                        pooling_convention="valid").asnumpy()
    out = max_pool2d(x, kernel, stride)
    assert out.shape == ref.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, ref)
