"""mx.kv gradient compression: 2-bit quantization with residuals on the 'device' store (values
recorded from MXNet 1.9.1), packing 16 values per 32-bit word, MXNet's errors, and the Trainer with
compression_params. The 2-rank 'dist_sync' case is in test_kvstore.py."""
import sys
from pathlib import Path

import numpy as np
import pytest

import minimx as mx
from minimx import gluon

HERE = Path(__file__).resolve().parent
CTXS = [mx.cpu(0), mx.cpu(1)]


# ---- 2-bit gradient compression (values printed by MXNet 1.9.1's 'device' store) ---------------
PUSH = [0.3, -0.7, 1.4, 0.1, -0.2]


def _compressed_store(threshold=0.5):
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": threshold})
    return kv


def test_2bit_one_context_keeps_the_residual():
    kv = _compressed_store()
    kv.init(0, mx.nd.zeros(5))
    out, got = mx.nd.zeros(5), []
    for _ in range(4):
        kv.push(0, mx.nd.array(PUSH))
        kv.pull(0, out=out)
        got.append(out.asnumpy().tolist())
    assert got == [[0, -0.5, 0.5, 0, 0], [0.5, -0.5, 0.5, 0, 0],          # MXNet 1.9.1
                   [0, -0.5, 0.5, 0, -0.5], [0.5, -0.5, 0.5, 0, 0]]
    assert kv.comm_stats["bytes"] == 4 * 4      # 5 values: one 32-bit word per push


def test_2bit_two_contexts_each_with_its_residual_and_sgd():
    kv = _compressed_store()
    kv.init(0, mx.nd.zeros(5))
    out, got = mx.nd.zeros(5), []
    g = mx.nd.array(PUSH)
    for _ in range(4):
        kv.push(0, [g.copyto(CTXS[0]), (g * 2).copyto(CTXS[1])])
        kv.pull(0, out=out)
        got.append(out.asnumpy().tolist())
    assert got == [[0.5, -1, 1, 0, 0], [1, -1, 1, 0, -0.5],                # MXNet 1.9.1
                   [0.5, -1, 1, 0.5, -1], [1, -1, 1, 0, -0.5]]
    sgd = _compressed_store()
    sgd.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))
    sgd.init(0, mx.nd.ones(5))
    for expected in ([0.95, 1.1, 0.9, 1, 1], [0.85, 1.2, 0.8, 1, 1.05]):   # MXNet 1.9.1
        sgd.push(0, [g.copyto(CTXS[0]), (g * 2).copyto(CTXS[1])])
        sgd.pull(0, out=out)
        np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6)


def test_2bit_threshold_boundaries_and_2d_values():
    kv = _compressed_store()
    kv.init(0, mx.nd.zeros(6))
    out = mx.nd.zeros(6)
    kv.push(0, mx.nd.array([0.5, -0.5, 0.49999, -0.49999, 0.0, -0.0]))
    kv.pull(0, out=out)
    assert out.asnumpy().tolist() == [0.5, -0.5, 0, 0, 0, 0]               # >= t and <= -t
    kv.init(1, mx.nd.zeros((3, 7)))
    g2, out2 = mx.nd.array(np.linspace(-2, 2, 21).reshape(3, 7)), mx.nd.zeros((3, 7))
    expected = [[-1, -1, -.5, -.5, -.5, -.5, -.5, -.5, 0, 0, 0, 0, 0, .5, .5, .5, .5, .5, .5, 1, 1],
                [-1, -1, -1, -1, -1, -1, -.5, -.5, -.5, 0, 0, 0, .5, .5, .5, 1, 1, 1, 1, 1, 1]]
    for want in expected:                                                  # MXNet 1.9.1
        kv.push(1, [g2.copyto(CTXS[0]), (g2 * 0.3).copyto(CTXS[1])])
        kv.pull(1, out=out2)
        assert out2.asnumpy().ravel().tolist() == want


def test_2bit_packing_is_16_values_per_word():
    from minimx.kvstore.compression import pack_2bit, quantize_2bit, unpack_2bit
    rng = np.random.default_rng(0)
    grad = rng.standard_normal(1000).astype(np.float32)
    residual = np.zeros(1000, np.float32)
    codes = quantize_2bit(grad, residual, 0.7)
    words = pack_2bit(codes)
    assert words.dtype == np.uint32 and words.nbytes == 4 * 63           # ceil(1000 / 16) words
    values = unpack_2bit(words, 1000, 0.7)
    np.testing.assert_allclose(values + residual, grad, rtol=0, atol=1e-6)  # nothing is lost
    np.testing.assert_allclose(np.unique(values), [-0.7, 0, 0.7], rtol=1e-6)
    assert (values[np.abs(grad) < 0.7] == 0).all()   # one step of t at most per push: 2.5 -> 0.7


def test_2bit_errors_as_mxnet():
    kv = mx.kv.create("device")
    with pytest.raises(mx.MXNetError, match="Unknown type for gradient compression 1bit"):
        kv.set_gradient_compression({"type": "1bit"})          # MXNet 1.9.1 has no 1bit
    with pytest.raises(mx.MXNetError, match="threshold must be greater than 0"):
        kv.set_gradient_compression({"type": "2bit", "threshold": -1})
    with pytest.raises(mx.MXNetError, match="Required parameter type"):
        kv.set_gradient_compression({"threshold": 0.5})
    kv.set_gradient_compression({"type": "2bit"})              # default threshold 0.5
    assert kv._compression.threshold == 0.5
    kv.init(0, mx.nd.zeros(2, dtype="float16"))
    with pytest.raises(mx.MXNetError, match="only float32"):
        kv.push(0, mx.nd.ones(2, dtype="float16"))
    with pytest.raises(mx.MXNetError, match="not supported for this type of kvstore"):
        mx.kv.create("local").set_gradient_compression({"type": "2bit"})   # MXNet raises too


def test_trainer_with_compression_on_two_contexts():
    sys.path.insert(0, str(HERE))
    try:
        import dist_mlp_worker as worker
    finally:
        sys.path.remove(str(HERE))
    plain = worker.train_contexts(3, 2, None)
    packed = worker.train_contexts(3, 2, {"type": "2bit", "threshold": 0.01})
    single = worker.train(None, 3, None)
    for a, b, c in zip(plain.values(), packed.values(), single.values()):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)
        assert np.abs(a - b).max() > 1e-3        # compression changes the trajectory
    net = gluon.nn.Dense(2, in_units=2)
    net.initialize(ctx=CTXS)
    trainer = gluon.Trainer(net.collect_params(), "sgd", kvstore="local",
                            compression_params={"type": "2bit"})
    with pytest.raises(mx.MXNetError, match="not supported for this type"):
        trainer.step(1)                          # MXNet: 'local' does not compress
