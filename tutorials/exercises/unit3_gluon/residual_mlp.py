"""Unit 3 - Gluon: a custom HybridBlock and a training loop on the bundled digits.

Exercises
---------
3.1 ``ResidualMLP``: a residual block ``out = relu(x + fc2(relu(fc1(x))))``.
3.2 ``train(net, train_data, epochs, learning_rate)``: the Gluon training loop.
3.3 ``accuracy(net, data)``: the fraction of correctly classified samples.

``load_digits`` (given) makes the DataLoaders. Run this unit's tests with
``python -m minimx.exercises grade --unit 3``.
"""
import minimx as mx
from minimx import gluon
from minimx.gluon import nn

__all__ = ["ResidualMLP", "train", "accuracy", "load_digits"]


class ResidualMLP(gluon.HybridBlock):
    """A two-layer MLP with a skip connection around it.

    ``out = relu(x + fc2(relu(fc1(x))))``

    Parameters
    ----------
    units : int
        The feature size of the input and of the output (the skip connection adds them).
    hidden : int
        The width of the inner layer.

    Inputs:
        - **x**: (batch, units)

    Outputs:
        - **out**: (batch, units)

    Notes
    -----
    Name the children ``self.fc1`` (``nn.Dense(hidden, activation='relu')``) and ``self.fc2``
    (``nn.Dense(units)``), created inside ``with self.name_scope():``. Write ``hybrid_forward``
    with ``F.<op>`` calls and operators only, so that ``net.hybridize()`` works.
    """

    def __init__(self, units, hidden, **kwargs):
        super().__init__(**kwargs)
        # BEGIN SOLUTION 3.1: in self.name_scope(), create self.fc1 and self.fc2 (see Notes)
        with self.name_scope():
            self.fc1 = nn.Dense(hidden, activation="relu")
            self.fc2 = nn.Dense(units)
        # END SOLUTION

    def hybrid_forward(self, F, x):
        # BEGIN SOLUTION 3.1: add x to fc2(fc1(x)) and apply F.relu to the sum
        return F.relu(x + self.fc2(self.fc1(x)))
        # END SOLUTION


def load_digits(batch_size=32):
    """The bundled digits as (train, test) DataLoaders of (batch, 64) float32 in [0, 1] and labels."""
    def flat(img, label):
        return img.reshape((64,)).astype("float32") / 255, label

    train_set = gluon.data.vision.Digits(train=True, transform=flat)
    test_set = gluon.data.vision.Digits(train=False, transform=flat)
    return (gluon.data.DataLoader(train_set, batch_size=batch_size, shuffle=True),
            gluon.data.DataLoader(test_set, batch_size=batch_size))


def train(net, train_data, epochs=5, learning_rate=0.1):
    """Train an initialised ``net`` with softmax cross-entropy and plain SGD.

    Parameters
    ----------
    net : Block
        Parameters already initialised; outputs (batch, classes) scores.
    train_data : DataLoader
        Yields ``(data, label)`` batches.
    epochs : int
    learning_rate : float

    Returns
    -------
    list of float
        The mean training loss of each epoch (it should go down).
    """
    # BEGIN SOLUTION 3.2: loss, Trainer('sgd'); per batch: record, backward, step(batch size)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": learning_rate})
    history = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for data, label in train_data:
            with mx.autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0])
            total += loss.sum().asscalar()
            count += data.shape[0]
        history.append(float(total / count))
    return history
    # END SOLUTION


def accuracy(net, data):
    """The fraction of samples in ``data`` whose highest score is at their label.

    Parameters
    ----------
    net : Block
    data : DataLoader
        Yields ``(data, label)`` batches.

    Returns
    -------
    float
        In [0, 1].
    """
    # BEGIN SOLUTION 3.3: count argmax(net(x), axis=1) == label; divide by the sample count
    correct, count = 0, 0
    for x, label in data:
        pred = net(x).argmax(axis=1)
        correct += int((pred == label.astype("float32")).sum().asscalar())
        count += x.shape[0]
    return correct / count
    # END SOLUTION
