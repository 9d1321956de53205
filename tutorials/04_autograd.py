# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 4. Autograd: gradients by recording
#
# ## Goal
#
# Compute derivatives of any NDArray program: record it, call `backward`, read `x.grad`. Then the
# finer points that training code relies on: accumulating gradients with `grad_req='add'`,
# gradients of gradients, writing an op's backward yourself with `autograd.Function`, and checking
# any gradient against finite differences, which is how you find a wrong gradient rule.
#
# Time: about 40 minutes.

# %%
import os
import tempfile

import numpy as np

import minimx as mx
from minimx import autograd, nd

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"   # nothing here is slow
OUT = os.environ.get("MINIMX_TUTORIAL_OUT", tempfile.gettempdir())

# %% [markdown]
# ## Code
#
# ### Record, backward, read the gradient
#
# Three steps. `x.attach_grad()` allocates `x.grad` and marks `x` as a variable we want the
# derivative for. Ops run inside `autograd.record()` are written to a *tape*. `y.backward()` walks
# the tape backwards, applying each op's gradient rule (the chain rule, one op at a time).
#
# For $y = x^3 + 2x$ we expect $dy/dx = 3x^2 + 2$.

# %%
x = nd.array([1.0, 2.0, 3.0])
x.attach_grad()
with autograd.record():
    y = x ** 3 + 2 * x
y.backward()          # y is not a scalar: this means the gradient of y.sum()
print("dy/dx =", x.grad.asnumpy(), " expected", 3 * x.asnumpy() ** 2 + 2)

# %% [markdown]
# The tape is freed by `backward` (it can hold a lot of memory). A second `backward` over the
# same graph is an error unless the first one passed `retain_graph=True`.

# %%
try:
    y.backward()
    second_backward_error = None
except mx.MXNetError as err:
    second_backward_error = str(err)
print(second_backward_error)

# %% [markdown]
# A *head gradient* weights the outputs: `y.backward(g)` computes the gradient of `(g * y).sum()`.

# %%
with autograd.record():
    y = x ** 3 + 2 * x
y.backward(nd.array([1.0, 0.0, 10.0]))
head_weighted = x.grad.asnumpy()
print(head_weighted)

# %% [markdown]
# ### `grad_req`: write or add
#
# By default each `backward` *overwrites* `x.grad` (`grad_req='write'`). With `'add'` it adds to
# it, which lets you sum gradients over several small batches before one update (and is what
# Gluon does for a Parameter shared by two layers). You reset it yourself: `x.grad[:] = 0`.

# %%
x.attach_grad(grad_req="add")
for _ in range(3):
    with autograd.record():
        loss = (x * x).sum()
    loss.backward()
accumulated = x.grad.asnumpy()
print("after 3 backward passes:", accumulated, " one pass gives", 2 * x.asnumpy())
x.grad[:] = 0

# %% [markdown]
# ### Training mode
#
# `record()` also switches on *training mode* (`autograd.is_training()`), which layers such as
# Dropout and BatchNorm read. Outside it, Dropout is the identity.

# %%
ones = nd.ones((1, 1000))
with autograd.record():
    dropped = nd.Dropout(ones, p=0.5)
    in_record = (autograd.is_recording(), autograd.is_training())
kept = nd.Dropout(ones, p=0.5)
print("inside record:", in_record, " kept fraction", (dropped.asnumpy() > 0).mean())

# %% [markdown]
# ### Gradients of gradients
#
# `autograd.grad(heads, variables, create_graph=True)` returns the gradients as arrays that are
# themselves recorded, so you can differentiate them again. Gradient rules in minimx are written
# with ordinary ops, which is why this works for every op with no extra code.
#
# For $y = \sin x$: $dy/dx = \cos x$, $d^2y/dx^2 = -\sin x$.
#
# NB: in MXNet 1.9.1 only some ops (sin, cos, tanh, log, relu, ...) have differentiable gradient
# rules, so `x ** 3` would fail there with "non-differentiable"; in minimx every op's gradient is
# built from ops and can be differentiated again. We use `sin` so that the code runs on both.

# %%
x = nd.array([1.0, 2.0, 3.0])
x.attach_grad()
with autograd.record():
    y = nd.sin(x)
    dy_dx = autograd.grad(y, [x], create_graph=True)[0]
dy_dx.backward()
second = x.grad.asnumpy()
print("dy/dx =", dy_dx.asnumpy(), " d2y/dx2 =", second)

# %% [markdown]
# ### Your own backward: `autograd.Function`
#
# Sometimes you want to choose the gradient: for numerical stability, for speed, or on purpose
# (a "straight-through" estimator). Subclass `autograd.Function`, write `forward` and `backward`,
# and call a fresh instance per use. Here, a sigmoid that saves its output and uses
# $\sigma'(x) = \sigma(x)(1 - \sigma(x))$, and a rounding op whose gradient we *define* as 1.

# %%
class Sigmoid(autograd.Function):
    def forward(self, x):
        y = 1 / (1 + nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y, = self.saved_tensors
        return dy * y * (1 - y)


class RoundStraightThrough(autograd.Function):
    """round(x) forward; pretend it was the identity backward."""
    def forward(self, x):
        return nd.round(x)

    def backward(self, dy):
        return dy


z = nd.array([-2.0, -0.3, 0.0, 0.7, 3.0])
z.attach_grad()
with autograd.record():
    s = Sigmoid()(z)
s.backward()
custom_grad = z.grad.asnumpy()

with autograd.record():
    s_builtin = nd.sigmoid(z)
s_builtin.backward()
builtin_grad = z.grad.asnumpy()

with autograd.record():
    r = RoundStraightThrough()(z) * 3
r.backward()
print("custom:", custom_grad, "\nbuiltin:", builtin_grad, "\nround (straight through):",
      z.grad.asnumpy())
straight_through = z.grad.asnumpy()

# %% [markdown]
# ### Checking a gradient numerically
#
# A gradient rule can be wrong in ways that still train, only worse. The test: compare autograd
# with central finite differences, $\partial f/\partial x_i \approx (f(x + h e_i) - f(x - h
# e_i)) / 2h$, in float64 so that rounding does not swamp the difference. minimx's own test
# suite does this for every op in the op table.

# %%
rng = np.random.default_rng(0)
W = nd.array(rng.standard_normal((4, 3)), dtype="float64")
x0 = rng.standard_normal(3)


def f(x):
    """A small network: sum(tanh(W x) ** 2)."""
    return (nd.tanh(nd.dot(W, x)) ** 2).sum()


x = nd.array(x0, dtype="float64")
x.attach_grad()
with autograd.record():
    out = f(x)
out.backward()
analytic = x.grad.asnumpy()

h = 1e-6
numeric = np.zeros_like(x0)
for i in range(len(x0)):
    e = np.zeros_like(x0)
    e[i] = h
    numeric[i] = (f(nd.array(x0 + e, dtype="float64")).asscalar()
                  - f(nd.array(x0 - e, dtype="float64")).asscalar()) / (2 * h)
print("autograd:", analytic, "\nnumeric: ", numeric)

# %% [markdown]
# A picture: tanh and the derivative autograd computes for it, $1 - \tanh^2$.

# %%
grid = nd.array(np.linspace(-4, 4, 81))
grid.attach_grad()
with autograd.record():
    t = nd.tanh(grid)
t.backward()
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(grid.asnumpy(), t.asnumpy(), label="tanh(x)")
    ax.plot(grid.asnumpy(), grid.grad.asnumpy(), label="autograd: d tanh / dx")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "minimx_tutorial04_tanh.png"))
    plt.close(fig)
except ImportError:
    pass

# %% [markdown]
# ## Check

# %%
xs = np.array([1.0, 2.0, 3.0])
assert second_backward_error is not None and "retain_graph" in second_backward_error
np.testing.assert_allclose(head_weighted, np.array([1.0, 0.0, 10.0]) * (3 * xs ** 2 + 2))
np.testing.assert_allclose(accumulated, 3 * 2 * xs)
assert in_record == (True, True) and not autograd.is_recording() and not autograd.is_training()
assert 0.35 < (dropped.asnumpy() > 0).mean() < 0.65
assert set(np.unique(dropped.asnumpy())) <= {0.0, 2.0}          # kept values are scaled by 1/(1-p)
assert (kept.asnumpy() == 1).all()                              # identity outside record
np.testing.assert_allclose(dy_dx.asnumpy(), np.cos(xs), rtol=1e-6)
np.testing.assert_allclose(second, -np.sin(xs), rtol=1e-6)
zs = np.array([-2.0, -0.3, 0.0, 0.7, 3.0])
sig = 1 / (1 + np.exp(-zs))
np.testing.assert_allclose(custom_grad, sig * (1 - sig), rtol=1e-5)
np.testing.assert_allclose(custom_grad, builtin_grad, rtol=1e-5)
np.testing.assert_allclose(straight_through, 3.0)
np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
np.testing.assert_allclose(grid.grad.asnumpy(), 1 - np.tanh(np.linspace(-4, 4, 81)) ** 2,
                           rtol=1e-5, atol=1e-6)

# %% [markdown]
# ## Under the hood
#
# * The tape is `minimx/ndarray/tape.py`: `invoke` links a `Node` (op, attrs, inputs, outputs)
#   to each output while recording. Nothing else is stored: no global graph object.
# * `minimx/ndarray/backward.py` sorts the nodes reachable from the heads in reverse topological
#   order and calls each op's `grad` rule from the op table (for `broadcast_add`, in
#   `minimx/ops/gradutil_elemwise.py`, the head gradient passes to both inputs, summed over
#   broadcast axes). The rules are made of ops, so the backward pass is itself asynchronous, runs
#   on any backend, and is recorded when `create_graph=True`.
# * `minimx/autograd/function.py`: a `Function` call runs `forward` with recording paused, then
#   links one tape node whose gradient rule is your `backward`.
#
# ## Summary
#
# * `attach_grad` + `record` + `backward` gives `x.grad`; `backward` frees the graph unless
#   `retain_graph=True`.
# * `grad_req='add'` accumulates; reset with `x.grad[:] = 0`.
# * `autograd.grad(..., create_graph=True)` gives differentiable gradients.
# * `autograd.Function` lets you write backward yourself.
# * Always check a new gradient against float64 finite differences.
#
# ## Exercises
#
# 1. Compute the third derivative of $\sin(x)$ at a few points with nested `autograd.grad`.
# 2. Introduce a bug in `Sigmoid.backward` (drop the `(1 - y)`); does the finite-difference check
#    catch it? Write the check as a function `check_grad(f, x0)` and use it.
# 3. Train a one-parameter model with `grad_req='add'` and four mini-batches per update. Is the
#    result the same as one batch four times larger?
# 4. Why does the numeric check use float64 and `h = 1e-6`? Try float32 and see what breaks.
