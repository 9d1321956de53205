"""gluon.contrib.nn, against values recorded from MXNet 1.9.1."""
import numpy as np
import pytest

import minimx as mx
from minimx.gluon.contrib import nn as cnn


def test_pixel_shuffles_match_mxnet():
    x = mx.nd.arange(2 * 8 * 2 * 3).reshape((2, 8, 2, 3))
    assert cnn.PixelShuffle2D(2)(x)[0, 0].asnumpy().tolist() == [
        [0, 6, 1, 7, 2, 8], [12, 18, 13, 19, 14, 20], [3, 9, 4, 10, 5, 11], [15, 21, 16, 22, 17, 23]]
    x = mx.nd.arange(2 * 6 * 4).reshape((2, 6, 4))
    assert cnn.PixelShuffle1D(3)(x)[0].asnumpy().tolist() == [
        [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11], [12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23]]
    y = cnn.PixelShuffle3D(2)(mx.nd.arange(32).reshape((1, 8, 1, 2, 2)))
    assert y.shape == (1, 1, 2, 4, 4)
    assert y.asnumpy().ravel().tolist()[:8] == [0, 4, 1, 5, 8, 12, 9, 13]
    assert repr(cnn.PixelShuffle2D((2, 3))) == "PixelShuffle2D((2, 3))"


@pytest.mark.parametrize("hybrid", [False, True])
def test_concurrent_concatenates_branches(hybrid):
    c = cnn.HybridConcurrent(axis=1) if hybrid else cnn.Concurrent(axis=1)
    c.add(mx.gluon.nn.Dense(2, in_units=3), cnn.Identity())
    c.initialize(mx.init.One())
    if hybrid:
        c.hybridize()
    assert c(mx.nd.ones((2, 3))).asnumpy().tolist() == [[3, 3, 1, 1, 1]] * 2


def test_syncbatchnorm_is_batchnorm_here_and_sparse_embedding_explains():
    bn = cnn.SyncBatchNorm(num_devices=2)
    bn.initialize()
    x = mx.nd.array(np.random.RandomState(0).rand(4, 3, 2))
    with mx.autograd.record():
        y = bn(x)
    mean = x.asnumpy().mean(axis=(0, 2), keepdims=True)
    std = np.sqrt(x.asnumpy().var(axis=(0, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y.asnumpy(), (x.asnumpy() - mean) / std, rtol=1e-4, atol=1e-5)
    with pytest.raises(mx.MXNetError, match="nn.Embedding"):
        cnn.SparseEmbedding(10, 3)
