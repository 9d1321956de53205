# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 6. Training on real data: an MLP, then a LeNet, on handwritten digits
#
# ## Goal
#
# Put the pieces together into the training loop every Gluon program has: a `Dataset` and a
# `DataLoader` feed batches, a network computes scores, a loss measures them, `autograd` finds
# gradients and a `Trainer` updates the parameters, while a metric tracks accuracy. We train a
# multilayer perceptron and then a small convolutional network (LeNet) on the handwritten digits
# that ship with minimx, and reach at least 97% accuracy on images the networks never saw.
#
# Time: about 45 minutes.

# %%
import os
import tempfile
import time

import numpy as np

import minimx as mx
from minimx import autograd, gluon, init, nd
from minimx.gluon import nn
from minimx.gluon.data.vision import Digits, transforms

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"
OUT = os.environ.get("MINIMX_TUTORIAL_OUT", tempfile.gettempdir())
SEED = 42
mx.random.seed(SEED)       # weights and dropout
np.random.seed(SEED)       # the DataLoader's shuffling

# %% [markdown]
# ## Code
#
# ### The data
#
# `Digits` is the UCI handwritten digits set (the one scikit-learn bundles): 8x8 grey images,
# 1,438 for training and 359 for testing, with a fixed split. Samples come as `(image, label)`
# with a uint8 image of shape (8, 8, 1), laid out like MNIST. `transforms.ToTensor()` turns that
# into float32 (1, 8, 8) with values in [0, 1]: channels first, as convolutions want.
# `transform_first` applies it to the image only.

# %%
to_tensor = transforms.ToTensor()
train_set = Digits(train=True).transform_first(to_tensor)
test_set = Digits(train=False).transform_first(to_tensor)
image, label = train_set[0]
print(len(train_set), "training and", len(test_set), "test images;", image.shape, image.dtype,
      "label", label)

batch_size = 32
train_loader = gluon.data.DataLoader(train_set, batch_size=batch_size, shuffle=True)
test_loader = gluon.data.DataLoader(test_set, batch_size=128)
xb, yb = next(iter(train_loader))
print("one batch:", xb.shape, yb.shape)

# %% [markdown]
# A look at the first few training images:

# %%
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    fig, axes = plt.subplots(1, 8, figsize=(8, 1.4))
    for ax, i in zip(axes, range(8)):
        img, lab = train_set[i]
        ax.imshow(img[0].asnumpy(), cmap="gray_r")
        ax.set_title(str(lab))
        ax.axis("off")
    fig.savefig(os.path.join(OUT, "minimx_tutorial06_digits.png"))
    plt.close(fig)

# %% [markdown]
# ### The training loop
#
# One function trains any network. Per batch:
#
# 1. forward inside `autograd.record()`, the loss per example;
# 2. `loss.backward()`;
# 3. `trainer.step(batch_size)`: the optimizer update, with gradients divided by `batch_size`
#    (the loss is a sum over examples, so this makes the step a mean);
# 4. update the training accuracy.
#
# After each epoch we measure accuracy on the test set, outside `record()` (no tape, and layers
# like Dropout in prediction mode). The learning rate shrinks by `decay` after every epoch: big
# steps early, small ones at the end, so the last epochs settle instead of bouncing around.

# %%
def evaluate(net, loader):
    metric = mx.metric.Accuracy()
    for x, y in loader:
        metric.update(labels=y, preds=net(x))
    return metric.get()[1]


def fit(net, epochs, optimizer, optimizer_params, decay=0.7):
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), optimizer, optimizer_params)
    history = {"loss": [], "train_acc": [], "test_acc": []}
    for epoch in range(epochs):
        train_acc, total_loss, seen = mx.metric.Accuracy(), 0.0, 0
        start = time.perf_counter()
        for x, y in train_loader:
            with autograd.record():
                scores = net(x)
                loss = loss_fn(scores, y)
            loss.backward()
            trainer.step(x.shape[0])
            train_acc.update(labels=y, preds=scores)
            total_loss += loss.sum().asscalar()
            seen += x.shape[0]
        history["loss"].append(total_loss / seen)
        history["train_acc"].append(train_acc.get()[1])
        history["test_acc"].append(evaluate(net, test_loader))
        print(f"epoch {epoch}: loss {history['loss'][-1]:.3f} train acc "
              f"{history['train_acc'][-1]:.3f} test acc {history['test_acc'][-1]:.3f} "
              f"({time.perf_counter() - start:.1f} s)")
        trainer.set_learning_rate(trainer.learning_rate * decay)
    return history


# %% [markdown]
# ### A multilayer perceptron
#
# `Dense` flattens its input by default, so the (1, 8, 8) images go in as 64 numbers. One hidden
# layer of 128 ReLU units, then 10 scores, one per digit. The loss applies the softmax itself, so
# the network outputs raw scores.

# %%
mlp = nn.Sequential()
mlp.add(nn.Dense(128, activation="relu"), nn.Dense(10))
mlp.initialize(init.Xavier())
mlp_history = fit(mlp, epochs=6 if FAST else 15, optimizer="adam",
                  optimizer_params={"learning_rate": 0.01})

# %% [markdown]
# ### LeNet
#
# A convolutional network sees the image as an image: small filters slide over it, so a stroke is
# recognised wherever it is. LeNet's pattern is convolution, pooling, convolution, pooling, then
# dense layers. Our images are tiny (8x8), so the filters are 3x3 with padding 1 and each pooling
# halves the size: 8 -> 4 -> 2.

# %%
lenet = nn.Sequential()
lenet.add(nn.Conv2D(16, kernel_size=3, padding=1, activation="relu"),
          nn.MaxPool2D(pool_size=2),
          nn.Conv2D(32, kernel_size=3, padding=1, activation="relu"),
          nn.MaxPool2D(pool_size=2),
          nn.Flatten(),
          nn.Dense(64, activation="relu"),
          nn.Dense(10))
lenet.initialize(init.Xavier())
lenet.summary(nd.zeros((1, 1, 8, 8)))
lenet_history = fit(lenet, epochs=8 if FAST else 15, optimizer="adam",
                    optimizer_params={"learning_rate": 0.01})

# %% [markdown]
# ### Predictions and training curves

# %%
x_test, y_test = next(iter(gluon.data.DataLoader(test_set, batch_size=len(test_set))))
predicted = lenet(x_test).argmax(axis=1).astype("int32").asnumpy()
confusion = np.zeros((10, 10), dtype=int)
for t, p in zip(y_test.asnumpy(), predicted):
    confusion[t, p] += 1
print("confusion matrix (rows: true digit, columns: predicted)\n", confusion)

if plt is not None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
    for name, hist in (("MLP", mlp_history), ("LeNet", lenet_history)):
        left.plot(hist["loss"], label=name)
        right.plot(hist["test_acc"], label=name)
    left.set(title="training loss", xlabel="epoch")
    right.set(title="test accuracy", xlabel="epoch")
    right.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "minimx_tutorial06_curves.png"))
    plt.close(fig)

    # the 16 learned first-layer filters
    filters = lenet[0].weight.data().asnumpy()[:, 0]
    fig, axes = plt.subplots(2, 8, figsize=(8, 2))
    for ax, f in zip(axes.ravel(), filters):
        ax.imshow(f, cmap="bwr")
        ax.axis("off")
    fig.savefig(os.path.join(OUT, "minimx_tutorial06_filters.png"))
    plt.close(fig)

# %% [markdown]
# ## Check
#
# Both networks must generalise: at least 97% on the held-out test images (the fast run trains
# fewer epochs and still has to reach it with LeNet; the MLP gets a little slack there). The loss
# must have come down, and the accuracy we computed with `argmax` must match the metric's.

# %%
final_mlp, final_lenet = mlp_history["test_acc"][-1], lenet_history["test_acc"][-1]
print(f"final test accuracy: MLP {final_mlp:.3f}, LeNet {final_lenet:.3f}")
assert final_mlp >= (0.95 if FAST else 0.97), final_mlp
assert final_lenet >= 0.97, final_lenet
assert mlp_history["loss"][-1] < 0.5 * mlp_history["loss"][0]
assert lenet_history["loss"][-1] < 0.5 * lenet_history["loss"][0]
assert abs((predicted == y_test.asnumpy()).mean() - final_lenet) < 1e-9
assert confusion.sum() == len(test_set) == 359
assert xb.shape == (batch_size, 1, 8, 8) and xb.dtype == np.float32
assert 0.0 <= xb.min().asscalar() and xb.max().asscalar() <= 1.0
assert lenet[0].weight.shape == (16, 1, 3, 3) and lenet[5].weight.shape == (64, 32 * 2 * 2)

# %% [markdown]
# ## Under the hood
#
# * `minimx/data/vision/digits.py` reads the bundled `digits.npz`; `minimx/data/dataloader.py`
#   draws indices from a sampler (`sampler.py`), fetches samples and stacks them with
#   `batchify.py`.
# * `gluon.loss.SoftmaxCrossEntropyLoss` (`minimx/gluon/loss_classification.py`) is
#   `-pick(log_softmax(scores), label)` per example: two ops, the first a Cython kernel
#   (`minimx/_kernels/cpu/softmax.pyx`) that subtracts the row maximum for stability.
# * `Trainer.step` (`minimx/gluon/trainer.py`) scales gradients by `1/batch_size` and hands each
#   parameter to the optimizer, which runs one fused update op (`adam_update`) per parameter.
# * `Conv2D` runs the `Convolution` op; the CPU kernel (`minimx/_kernels/cpu/im2col.pyx`) lays
#   every input window out as a column (im2col) so one matrix product computes all outputs.
#
# ## Summary
#
# * Dataset -> `transform_first(ToTensor())` -> `DataLoader(batch_size, shuffle)` feeds batches.
# * The loop: `record` -> loss -> `backward` -> `trainer.step(batch_size)` -> metric.
# * Evaluate on held-out data outside `record`.
# * Convolutions beat a plain MLP on images with fewer parameters.
#
# ## Exercises
#
# 1. Replace Adam by `'sgd'` with `{'learning_rate': 0.1, 'momentum': 0.9}`. How many epochs does
#    LeNet need now?
# 2. Add `nn.Dropout(0.5)` after the first dense layer of the MLP. What happens to the gap between
#    training and test accuracy?
# 3. Use `Digits(upsample=True)` (28x28, MNIST's layout) and the classic LeNet (5x5 filters). Is it
#    better? How much slower?
# 4. Which digit pairs does the confusion matrix mix up? Plot a few misclassified images.
