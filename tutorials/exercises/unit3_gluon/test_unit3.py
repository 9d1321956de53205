"""Tests of unit 3 (Gluon): the block against numpy, the loop against a target accuracy."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minimx as mx
from minimx.gluon import nn
from residual_mlp import ResidualMLP, accuracy, load_digits, train

TARGET_ACCURACY = 0.90


def np_block(block, x):
    """The block's formula in numpy, from its own parameters."""
    w1, b1 = block.fc1.weight.data().asnumpy(), block.fc1.bias.data().asnumpy()
    w2, b2 = block.fc2.weight.data().asnumpy(), block.fc2.bias.data().asnumpy()
    h = np.maximum(x @ w1.T + b1, 0)
    return np.maximum(x + h @ w2.T + b2, 0)


def reference_accuracy(net, data):
    correct = total = 0
    for x, y in data:
        correct += (net(x).asnumpy().argmax(axis=1) == y.asnumpy()).sum()
        total += x.shape[0]
    return correct / total


def small_net():
    net = nn.HybridSequential()
    net.add(nn.Dense(64, activation="relu"), nn.Dense(10))
    net.initialize(mx.init.Xavier())
    return net


@pytest.mark.ex3_1
def test_block_shapes_and_parameters():
    block = ResidualMLP(6, 16)
    block.initialize()
    out = block(mx.nd.ones((4, 6)))
    assert out.shape == (4, 6)
    assert block.fc1.weight.shape == (16, 6) and block.fc2.weight.shape == (6, 16)
    assert len(block.collect_params()) == 4


@pytest.mark.ex3_1
@given(units=st.integers(1, 6), hidden=st.integers(1, 8), batch=st.integers(1, 4), data=st.data())
def test_block_matches_numpy(units, hidden, batch, data):
    # Catches a missing skip connection, a missing or misplaced relu, a transposed weight.
    x = data.draw(hnp.arrays(np.float32, (batch, units), elements=st.floats(-3, 3, width=32)))
    block = ResidualMLP(units, hidden)
    block.initialize(mx.init.Uniform(1.0))
    np.testing.assert_allclose(block(mx.nd.array(x)).asnumpy(), np_block(block, x), rtol=1e-4, atol=1e-5)


@pytest.mark.ex3_1
def test_block_hybridizes():
    block = ResidualMLP(5, 7)
    block.initialize(mx.init.Uniform(1.0))
    x = mx.nd.random.uniform(-1, 1, shape=(3, 5))
    eager = block(x).asnumpy()
    block.hybridize()
    np.testing.assert_allclose(block(x).asnumpy(), eager, rtol=1e-5, atol=1e-6)


@pytest.mark.ex3_2
def test_training_reaches_target_accuracy():
    mx.random.seed(0)
    np.random.seed(0)
    train_data, test_data = load_digits()
    net = small_net()
    history = train(net, train_data, epochs=5, learning_rate=0.1)
    assert len(history) == 5
    assert history[-1] < history[0], f"the loss did not go down: {history}"
    acc = reference_accuracy(net, test_data)
    assert acc >= TARGET_ACCURACY, f"test accuracy {acc:.3f} < {TARGET_ACCURACY}"


@pytest.mark.ex3_3
def test_accuracy_of_a_fixed_net():
    _, test_data = load_digits(batch_size=50)   # the last batch is smaller: 359 = 7 * 50 + 9
    mx.random.seed(1)
    net = small_net()
    got = accuracy(net, test_data)
    assert isinstance(got, float)
    assert got == pytest.approx(reference_accuracy(net, test_data))


@pytest.mark.ex3_3
@given(labels=st.lists(st.integers(0, 2), min_size=1, max_size=12))
def test_accuracy_against_known_answers(labels):
    # An "oracle" net whose scores are the one-hot labels, with every third sample flipped wrong.
    labels = np.array(labels)
    scores = np.eye(3, dtype=np.float32)[labels]
    wrong = np.arange(len(labels)) % 3 == 2
    scores[wrong] = np.eye(3, dtype=np.float32)[(labels[wrong] + 1) % 3]
    dataset = mx.gluon.data.ArrayDataset(mx.nd.array(scores), mx.nd.array(labels))
    loader = mx.gluon.data.DataLoader(dataset, batch_size=5)
    got = accuracy(lambda x: x, loader)
    assert got == pytest.approx(1 - wrong.mean())
