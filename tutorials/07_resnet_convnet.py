# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 7. The classic MXNet convnet walkthrough: a small ResNet
#
# ## Goal
#
# Write, train, evaluate, save, reload and use a ResNet-style convolutional network the way the
# MXNet 1.x tutorials do: a `HybridSequential` stem (7x7 convolution with stride 2, BatchNorm,
# max pooling), plain convolution blocks, residual blocks, `Flatten` and `Dense`, trained with
# `SoftmaxCrossEntropyLoss` and `Trainer('sgd', {'learning_rate': 0.01})`, evaluated with
# `mx.metric.Accuracy`. Everything below is MXNet 1.x code: change the import line to
# `import mxnet as mx` and it runs on Apache MXNet unchanged (there it trains on MNIST, which has
# the same image layout as the digits bundled with minimx).
#
# Time: about 45 minutes.

# %%
import os
import tempfile
import time

import numpy as np

import minimx as mx          # the one line to change for Apache MXNet: import mxnet as mx
from minimx import autograd, gluon, init, nd
from minimx.gluon import nn
from minimx.gluon.data.vision import transforms

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"
OUT = os.environ.get("MINIMX_TUTORIAL_OUT", tempfile.gettempdir())
mx.random.seed(7)
np.random.seed(7)
ctx = mx.cpu()               # mx.gpu(0) to train on a GPU

# %% [markdown]
# ## Code
#
# ### Data
#
# `Digits(upsample=True)` gives 28x28 images laid out as MNIST's (a 20x20 digit centred in a
# 4-pixel border), so this cell is the only place where minimx and MXNet differ: MXNet has no
# bundled digits and uses `MNIST` (downloaded once). `ToTensor` makes float32 (1, 28, 28) in
# [0, 1]; `Normalize` centres it.

# %%
vision = gluon.data.vision
if hasattr(vision, "Digits"):                      # minimx: bundled, nothing to download
    train_raw, test_raw = vision.Digits(train=True, upsample=True), vision.Digits(train=False,
                                                                                    upsample=True)
else:                                              # Apache MXNet
    train_raw, test_raw = vision.MNIST(train=True), vision.MNIST(train=False)

transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.13, 0.31)])
batch_size = 64
train_data = gluon.data.DataLoader(train_raw.transform_first(transform), batch_size=batch_size,
                                   shuffle=True)
test_data = gluon.data.DataLoader(test_raw.transform_first(transform), batch_size=256)
print(len(train_raw), "training images,", len(test_raw), "test images")

# %% [markdown]
# ### The network
#
# A residual block computes $\mathrm{relu}(x + F(x))$, where $F$ is two 3x3 convolutions with
# BatchNorm. The identity path lets gradients pass straight through, which is what lets ResNets
# grow deep. When the block changes the number of channels or the resolution, a 1x1 convolution
# projects $x$ to the new shape first.
#
# The block is a `HybridBlock`: its `hybrid_forward` uses only `F.` ops and child blocks, so
# `hybridize()` can trace it into a graph.

# %%
class Residual(nn.HybridBlock):
    """relu(x + bn(conv(relu(bn(conv(x)))))), with a 1x1 projection when the shape changes."""
    def __init__(self, channels, strides=1, in_channels=0, **kwargs):
        super(Residual, self).__init__(**kwargs)
        with self.name_scope():
            self.conv1 = nn.Conv2D(channels, kernel_size=3, strides=strides, padding=1,
                                   use_bias=False, in_channels=in_channels)
            self.bn1 = nn.BatchNorm()
            self.conv2 = nn.Conv2D(channels, kernel_size=3, padding=1, use_bias=False)
            self.bn2 = nn.BatchNorm()
            if strides != 1 or in_channels != channels:
                self.project = nn.Conv2D(channels, kernel_size=1, strides=strides,
                                         use_bias=False, in_channels=in_channels)
            else:
                self.project = None

    def hybrid_forward(self, F, x):
        y = F.Activation(self.bn1(self.conv1(x)), act_type="relu")
        y = self.bn2(self.conv2(y))
        if self.project is not None:
            x = self.project(x)
        return F.Activation(x + y, act_type="relu")


def conv_block(channels):
    """Conv 3x3 -> BatchNorm -> ReLU, the plain building block."""
    block = nn.HybridSequential()
    block.add(nn.Conv2D(channels, kernel_size=3, padding=1, use_bias=False),
              nn.BatchNorm(),
              nn.Activation("relu"))
    return block


def build_net():
    net = nn.HybridSequential()
    with net.name_scope():
        # stem: 28x28 -> 14x14 (7x7 conv, stride 2) -> 7x7 (3x3 max pool, stride 2)
        net.add(nn.Conv2D(32, kernel_size=7, strides=2, padding=3, use_bias=False),
                nn.BatchNorm(),
                nn.Activation("relu"),
                nn.MaxPool2D(pool_size=3, strides=2, padding=1))
        net.add(conv_block(32))
        net.add(Residual(32, in_channels=32))                # 7x7, 32 channels
        net.add(Residual(64, strides=2, in_channels=32))     # 4x4, 64 channels
        net.add(nn.Flatten(),
                nn.Dense(10))
    return net


net = build_net()
net.initialize(init.Xavier(magnitude=2.24), ctx=ctx)
net.summary(nd.zeros((1, 1, 28, 28), ctx=ctx))
net.hybridize()

# %% [markdown]
# ### Training
#
# The loop from tutorial 6. BatchNorm behaves differently in training (batch statistics, and it
# updates its running averages) and in prediction (running averages); `autograd.record()` selects
# training mode for us.

# %%
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01})
epochs = 3 if FAST else 8
max_batches = 12 if FAST else None   # the fast run sees each training image about twice
history = []
for epoch in range(epochs):
    metric = mx.metric.Accuracy()
    cumulative_loss, start = 0.0, time.time()
    for i, (data, label) in enumerate(train_data):
        if max_batches is not None and i == max_batches:
            break
        data, label = data.as_in_context(ctx), label.as_in_context(ctx)
        with autograd.record():
            output = net(data)
            loss = loss_fn(output, label)
        loss.backward()
        trainer.step(data.shape[0])
        metric.update([label], [output])
        cumulative_loss += loss.mean().asscalar()
    name, acc = metric.get()
    history.append((cumulative_loss / (i + 1), acc))
    print("epoch %d: loss %.3f, training %s %.3f (%.1f s)"
          % (epoch, cumulative_loss / (i + 1), name, acc, time.time() - start))

# %% [markdown]
# ### Evaluation

# %%
def evaluate(model, loader):
    metric = mx.metric.Accuracy()
    for data, label in loader:
        output = model(data.as_in_context(ctx))
        metric.update([label.as_in_context(ctx)], [output])
    return metric.get()[1]


test_acc = evaluate(net, test_data)
print("test accuracy: %.3f" % test_acc)

# %% [markdown]
# ### Saving, loading, predicting
#
# `save_parameters` writes the weights (and BatchNorm's running statistics) to a `.params` file;
# a freshly built network of the same architecture loads them.

# %%
params_file = os.path.join(OUT, "minimx_tutorial07_resnet.params")
net.save_parameters(params_file)

net2 = build_net()
net2.load_parameters(params_file, ctx=ctx)
net2.hybridize()
reloaded_acc = evaluate(net2, test_data)
print("reloaded network's test accuracy: %.3f" % reloaded_acc)

image, true_label = test_raw[0]
x = transform(image).expand_dims(axis=0).as_in_context(ctx)
probabilities = nd.softmax(net2(x))[0]
predicted = int(probabilities.argmax(axis=0).asscalar())
print("predicted %d (p = %.2f), true label %d"
      % (predicted, probabilities[predicted].asscalar(), true_label))

# %% [markdown]
# ## Check

# %%
assert net[0].weight.shape == (32, 1, 7, 7)
out_shape = net(nd.zeros((2, 1, 28, 28), ctx=ctx)).shape
assert out_shape == (2, 10), out_shape
assert history[-1][0] < history[0][0], history            # the loss went down
assert test_acc >= (0.85 if FAST else 0.97), test_acc
assert abs(reloaded_acc - test_acc) < 1e-9, (reloaded_acc, test_acc)
np.testing.assert_allclose(net2(x).asnumpy(), net(x).asnumpy(), rtol=1e-5, atol=1e-5)
assert abs(probabilities.sum().asscalar() - 1) < 1e-5
# BatchNorm's running statistics were learned (not left at their initial 0 and 1) and saved
bn = net[1]
assert np.abs(bn.running_mean.data().asnumpy()).max() > 0
np.testing.assert_array_equal(net2[1].running_var.data().asnumpy(), bn.running_var.data().asnumpy())

# %% [markdown]
# ## Under the hood
#
# * `nn.Conv2D` (`minimx/gluon/nn/conv_layers.py`) calls the `Convolution` op: on the CPU an im2col
#   kernel (`minimx/_kernels/cpu/im2col.pyx`) unrolls patches so one GEMM computes every output.
# * `nn.BatchNorm` (`minimx/gluon/nn/norm_layers.py`) keeps `running_mean`/`running_var` as
#   Parameters with `grad_req='null'`; the op updates them in training mode only.
# * `hybridize()` (`minimx/gluon/cached_graph.py`) traces `hybrid_forward` with `F = mx.sym` on the
#   first call and then runs the recorded graph: `if self.project is not None` is plain Python,
#   decided once at trace time.
# * `save_parameters` writes MXNet's binary format (`minimx/ndarray/io.py`), so this file loads in
#   Apache MXNet and the other way round.
#
# ## Summary
#
# * A ResNet stage: stem (7x7/2 conv, BN, ReLU, 3x3/2 max pool), conv blocks, residual blocks
#   with projections where the shape changes, `Flatten`, `Dense`.
# * The same training loop trains it; BatchNorm switches mode with `autograd.record()`.
# * `save_parameters`/`load_parameters` round-trip weights and running statistics.
#
# ## Exercises
#
# 1. Remove the identity path (`return F.Activation(y, act_type="relu")`). Does it train as
#    well? Stack four more residual blocks with and without it.
# 2. Switch to `Trainer('sgd', {'learning_rate': 0.1, 'momentum': 0.9})`. How many epochs to
#    reach 97% now?
# 3. Replace `Flatten` + `Dense` by `GlobalAvgPool2D` + `Dense`: how many parameters does that
#    save (use `summary`)?
# 4. Call `net.export('resnet')` and load the files with `gluon.SymbolBlock.imports`. Do the
#    predictions match?
