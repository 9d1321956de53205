# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 5. Gluon: Parameters, Blocks and friends
#
# ## Goal
#
# Build networks the way MXNet users do: understand what a `Parameter` is, how a `Block` finds its
# parameters and children, why a layer can be created before it knows its input size (deferred
# initialisation), stack layers with `Sequential`, write your own `Block` and `HybridBlock`, save
# and load weights, and read a model's `summary`.
#
# Time: about 45 minutes.

# %%
import os
import tempfile

import numpy as np

from minimx import autograd, gluon, init, nd
from minimx.gluon import nn

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"   # nothing here is slow
OUT = os.environ.get("MINIMX_TUTORIAL_OUT", tempfile.gettempdir())

# %% [markdown]
# ## Code
#
# ### Parameters
#
# A `Parameter` is a named array that training will change: it holds its value (one copy per
# context), its gradient, and settings such as `grad_req` and `lr_mult`. It has no value until it
# is initialised with an `Initializer`.

# %%
p = gluon.Parameter("weight", shape=(2, 3))
p.initialize(init=init.Constant(0.5))
print(p)
print(p.data())
print("grad:", p.grad().shape, "grad_req:", p.grad_req, "lr_mult:", p.lr_mult)

# %% [markdown]
# ### A layer is a Block that owns Parameters
#
# `nn.Dense(4)` creates a weight of shape `(4, in_units)` and a bias of shape `(4,)`. We did not
# say `in_units`, so the weight's shape is `(4, 0)`: the 0 means "not known yet". Initialising
# such a layer is *deferred*: nothing is allocated, and reading the weight is an error that says
# why.

# %%
dense = nn.Dense(4, activation="relu")
print(dense, "| weight", dense.weight.name, dense.weight.shape)
dense.initialize()
try:
    dense.weight.data()
    deferred_error = None
except gluon.parameter.DeferredInitializationError as err:
    deferred_error = str(err)
print(deferred_error[:90], "...")

# %% [markdown]
# The first forward pass sees the input, infers `in_units = 5`, and finishes the initialisation.

# %%
x = nd.ones((2, 5))
y = dense(x)
print(dense, "| weight", dense.weight.shape, "| output", y.shape)

# %% [markdown]
# ### Sequential
#
# `nn.Sequential` chains blocks: the output of one is the input of the next. Names come from
# prefixes: the container is `sequential0_`, its children `sequential0_dense0_`, ... (numbered per
# name scope), exactly as in MXNet 1.x.

# %%
net = nn.Sequential()
with net.name_scope():
    net.add(nn.Dense(8, activation="relu"), nn.Dense(3))
net.initialize(init.Xavier())
out = net(nd.ones((1, 6)))
print(net)
print(net.collect_params())

# %% [markdown]
# ### Your own Block
#
# Subclass `nn.Block`, create children and parameters in `__init__` (inside `name_scope()` so
# they get this block's prefix), and write `forward`. Assigning a Block or Parameter to an
# attribute is all it takes to register it: `Block.__setattr__` notices.
#
# `forward` is ordinary Python: here, a residual connection and a scale that is itself a
# Parameter, created with `self.params.get`.

# %%
class ScaledResidual(nn.Block):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.hidden = nn.Dense(units, activation="tanh")
            self.scale = self.params.get("scale", shape=(1,), init=init.One())

    def forward(self, x):
        return x + self.scale.data() * self.hidden(x)


block = ScaledResidual(3)
block.initialize()
res_in = nd.array([[1.0, -1.0, 0.5]])
res_out = block(res_in)
print(block)
print(sorted(block.collect_params().keys()))

# %% [markdown]
# A `HybridBlock` writes `hybrid_forward(self, F, x, ...)` with `F.<op>` calls only, and receives
# its parameters as keyword arguments. Written that way, `hybridize()` can trace it into a graph
# (tutorial 11); without it, `F` is simply `mx.nd`. Gradients flow through either kind.

# %%
class Affine(nn.HybridBlock):
    """y = x * gamma + beta, per feature."""
    def __init__(self, features, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.gamma = self.params.get("gamma", shape=(features,), init=init.Constant(2.0))
            self.beta = self.params.get("beta", shape=(features,), init=init.Zero())

    def hybrid_forward(self, F, x, gamma, beta):
        return F.broadcast_add(F.broadcast_mul(x, gamma), beta)


affine = Affine(3)
affine.initialize()
a_in = nd.array([[1.0, 2.0, 3.0]])
with autograd.record():
    a_out = affine(a_in).sum()
a_out.backward()
print("d out / d gamma =", affine.gamma.grad().asnumpy())
affine.hybridize()
a_hybrid = affine(a_in)

# %% [markdown]
# ### Saving and loading
#
# `save_parameters` writes MXNet's binary `.params` format, keyed by the attribute path of each
# parameter (`hidden.weight`), not by its prefixed name, so a freshly constructed model (with
# different name counters) loads it fine. Real MXNet reads these files, and minimx reads MXNet's.

# %%
path = os.path.join(OUT, "minimx_tutorial05_block.params")
block.save_parameters(path)
print(sorted(nd.load(path).keys()))
clone = ScaledResidual(3)
clone.load_parameters(path)
clone_out = clone(res_in)
print("prefix of the clone:", clone.prefix, "| same output:", np.allclose(clone_out.asnumpy(),
                                                                          res_out.asnumpy()))

# %% [markdown]
# ### Summary of a model
#
# `summary(x)` runs one forward pass and prints every layer's output shape and parameter count.

# %%
import contextlib
import io

net.summary(nd.ones((1, 6)))
with contextlib.redirect_stdout(io.StringIO()) as printed:   # the same table, kept for the Check
    net.summary(nd.ones((1, 6)))
summary_text = printed.getvalue()

# %% [markdown]
# ## Check

# %%
assert (p.data().asnumpy() == 0.5).all() and p.grad().shape == (2, 3)
assert deferred_error is not None and "deferred" in deferred_error
assert dense.weight.shape == (4, 5) and y.shape == (2, 4)
np.testing.assert_allclose(                                   # Dense is relu(x W^T + b)
    y.asnumpy(), np.maximum(x.asnumpy() @ dense.weight.data().asnumpy().T
                            + dense.bias.data().asnumpy(), 0), rtol=1e-6)
assert sorted(net.collect_params().keys()) == [
    "sequential0_dense0_bias", "sequential0_dense0_weight",
    "sequential0_dense1_bias", "sequential0_dense1_weight"]
assert net[0].weight.shape == (8, 6) and out.shape == (1, 3)
n_params = sum(int(np.prod(v.shape)) for v in net.collect_params().values())
assert n_params == 8 * 6 + 8 + 3 * 8 + 3 == 83
assert "Total params: 83" in summary_text and "Dense-2" in summary_text
W, b = block.hidden.weight.data().asnumpy(), block.hidden.bias.data().asnumpy()
np.testing.assert_allclose(res_out.asnumpy(),
                           res_in.asnumpy() + np.tanh(res_in.asnumpy() @ W.T + b), rtol=1e-5)
assert sorted(block.collect_params().keys()) == [
    "scaledresidual0_dense0_bias", "scaledresidual0_dense0_weight", "scaledresidual0_scale"]
np.testing.assert_allclose(affine.gamma.grad().asnumpy(), [1.0, 2.0, 3.0])
np.testing.assert_allclose(a_hybrid.asnumpy(), [[2.0, 4.0, 6.0]])
assert sorted(nd.load(path).keys()) == ["hidden.bias", "hidden.weight", "scale"]
assert clone.prefix != block.prefix
np.testing.assert_array_equal(clone_out.asnumpy(), res_out.asnumpy())

# %% [markdown]
# ## Under the hood
#
# * `minimx/gluon/parameter.py`: a `Parameter` keeps its init request while its shape has zeros;
#   `_finish_deferred_init` allocates once the shape is complete.
# * `minimx/gluon/block.py`: `Block.__setattr__` registers children and parameters; `name_scope`
#   and the per-scope counters give MXNet's names; `save_parameters` walks the attribute tree.
# * `minimx/gluon/hybrid_block.py`: `HybridBlock.forward` calls the layer's `infer_shape` on the
#   first call (that is how Dense learns `in_units`), finishes deferred init, then calls
#   `hybrid_forward(F=mx.nd, ...)` with the parameters' data.
# * `minimx/gluon/nn/dense.py` is the example layer: `__init__` declares parameters,
#   `hybrid_forward` is one `F.FullyConnected` call.
# * `minimx/gluon/summary.py` puts a forward hook on every layer (containers excepted), runs one
#   forward pass and prints what the hooks collected.
#
# ## Summary
#
# * Parameters hold values, gradients and training settings; they need `initialize`.
# * Unknown input sizes are 0 in a shape; the first forward pass fills them in.
# * `Sequential` chains blocks; custom blocks register children by attribute assignment.
# * `HybridBlock.hybrid_forward(F, x, **params)` with `F.` ops only can be hybridized.
# * `save_parameters`/`load_parameters` use structural names and MXNet's file format.
#
# ## Exercises
#
# 1. Give `nn.Dense` its `in_units` and check that `initialize` now allocates at once.
# 2. Share one `Dense` between two places in a `Sequential` (add the same object twice). How many
#    parameters does `summary` report, and what does `collect_params()` list?
# 3. Write `ScaledResidual` as a `HybridBlock` and hybridize it. What must change in `forward`?
# 4. Freeze the hidden layer of `block` (`grad_req = 'null'`) and show that its gradient is no
#    longer computed.
