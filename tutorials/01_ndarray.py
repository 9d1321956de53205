# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 1. NDArray: the array every other part of minimx is built on
#
# ## Goal
#
# By the end of this tutorial you can create arrays, predict the shape that broadcasting gives,
# tell a *view* (which shares memory with its parent) from a *copy*, say which device an array
# lives on, and explain why `c = a + b` returns before `c` holds any numbers.
#
# Everything here is ordinary Apache MXNet 1.x code: replace `import minimx as mx` with
# `import mxnet as mx` and it runs the same (with the same results).
#
# Time: about 30 minutes.

# %%
import os
import re
import time

import numpy as np

import minimx as mx

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"   # set by tests/test_tutorials.py

# %% [markdown]
# ## Code
#
# ### Creating arrays
#
# `mx.nd.array` copies anything numpy understands. Unlike numpy, the default dtype is
# `float32`, even for a list of Python ints or a float64 numpy array: deep learning runs in single
# precision, and MXNet chose to make that the default everywhere.

# %%
a = mx.nd.array([[1, 2, 3], [4, 5, 6]])
print(a)
print("shape", a.shape, "size", a.size, "ndim", a.ndim, "dtype", a.dtype, "context", a.context)

zeros = mx.nd.zeros((2, 3))
ones = mx.nd.ones((2, 3), dtype="int32")
steps = mx.nd.arange(0, 6)
noise = mx.nd.random.uniform(low=-1, high=1, shape=(2, 3))
print(zeros.dtype, ones.dtype, steps.asnumpy(), noise.shape)

# %% [markdown]
# `asnumpy()` brings the values back as a numpy array. Keep this function in mind: it is also the
# moment your program *waits* for the values (more on that at the end).

# %%
print(type(a.asnumpy()), a.asnumpy().dtype)

# %% [markdown]
# ### Broadcasting
#
# A binary op lines the two shapes up on the right. Each axis must be equal, or 1 in one of the
# two arrays; an axis of size 1 is stretched (without copying) to match the other.

# %%
col = mx.nd.array([[10], [20], [30]])      # shape (3, 1)
row = mx.nd.arange(4).reshape((1, 4))      # shape (1, 4)
table = col + row                           # shape (3, 4)
print(table)

# %% [markdown]
# Shapes that do not line up fail *at the call*, with both shapes and a hint. This error is raised
# before anything is computed: the shape rule of every op runs right away, even though the
# computation itself is asynchronous.

# %%
try:
    mx.nd.ones((2, 3)) + mx.nd.ones((4, 3))
    broadcast_error = None
except mx.MXNetError as err:
    broadcast_error = str(err)
print(broadcast_error)

# %% [markdown]
# ### Views and copies
#
# Three rules, as in MXNet:
#
# 1. `reshape` and a basic slice along the *first* axis (`x[1:3]`, `x[1]`) return **views**: new
#    array objects over the same memory. Writing through a view changes the parent.
# 2. Other slices (`x[:, 1:3]`) and almost every op (`x + 1`, `x.T`) return **new arrays**.
# 3. `x[:] = v`, `x += y` and `out=` write **in place**; `x = x + y` makes a new array and
#    rebinds the name.

# %%
x = mx.nd.arange(12).reshape((3, 4))
v = x.reshape((4, 3))      # a view
v[0, 0] = 100
print("after v[0, 0] = 100, x[0, 0] is", x[0, 0].asscalar())

r = x[1]                   # a view of row 1
r[:] = -1
print(x)

cols = x[:, 1:3]           # a copy: columns are not one contiguous block
cols[:] = 0
print("x still has", x[:, 1:3].asnumpy().ravel().tolist(), "in columns 1-2")

c = x.copy()               # an explicit copy
c[:] = 7

# %% [markdown]
# In-place updates keep the same array object (and memory). This matters for parameters: a
# `Trainer` updates weights in place, so every reference to a weight sees the new values.

# %%
y = mx.nd.ones((2, 2))
before = id(y)
y += 1                     # in place
same_object = id(y) == before
y = y + 1                  # a new array, bound to the name y
new_object = id(y) != before
print(same_object, new_object, y.asnumpy())

# %% [markdown]
# ### Contexts
#
# Every array lives on a *context*: `mx.cpu()` or `mx.gpu(i)`. An op runs on the context of its
# inputs, and all inputs must share one. `as_in_context` and `copyto` move data; both are ops of
# their own, scheduled like any other.
#
# NB: minimx treats `cpu(0)` and `cpu(1)` as two devices and refuses to mix them in one op. MXNet
# 1.9.1 lets two CPU contexts mix (they share the same memory) and only refuses CPU with GPU.

# %%
print("GPUs visible:", mx.context.num_gpus())
on_cpu1 = x.as_in_context(mx.cpu(1))      # a second CPU "device": handy to practise with
print(x.context, "->", on_cpu1.context)
try:
    x + on_cpu1
    context_error = None
except mx.MXNetError as err:
    context_error = str(err)
print(context_error)

# %% [markdown]
# ### Asynchronous execution and `waitall`
#
# `c = mx.nd.dot(a, b)` does not compute anything on your thread. It checks shapes, allocates
# `c`, hands the work to the *dependency engine* and returns. The engine runs it on a worker
# thread. You only wait when you ask for values: `c.asnumpy()`, `c.wait_to_read()`,
# `print(c)`, or `mx.nd.waitall()` for everything.
#
# Let us measure it: push a chain of large matrix products, time how long the pushes take, then
# time how long it takes until the values are ready.

# %%
n = 600 if FAST else 1200
m = mx.nd.random.normal(shape=(n, n)) / np.sqrt(n)
mx.nd.waitall()

start = time.perf_counter()
z = m
for _ in range(6):
    z = mx.nd.dot(z, m)
pushed = time.perf_counter() - start
mx.nd.waitall()
finished = time.perf_counter() - start
print(f"6 products of {n}x{n}: pushed in {pushed * 1e3:.1f} ms, done after {finished * 1e3:.1f} ms")

# %% [markdown]
# ## Check
#
# Each claim above, as an assertion that fails if the library misbehaves.

# %%
assert a.dtype == np.float32 and a.shape == (2, 3) and a.context == mx.cpu()
assert ones.dtype == np.int32
assert mx.nd.array(np.arange(3, dtype=np.float64)).dtype == np.float32   # MXNet's default
np.testing.assert_array_equal(table.asnumpy(), np.array([[10], [20], [30]]) + np.arange(4))
assert broadcast_error is not None                    # the message names both shapes:
assert re.search(r"2,\s?3", broadcast_error) and re.search(r"4,\s?3", broadcast_error)

# views share memory, copies do not
assert x[0, 0].asscalar() == 100
np.testing.assert_array_equal(x[1].asnumpy(), [-1, -1, -1, -1])
np.testing.assert_array_equal(x[:, 1:3].asnumpy(), [[1, 2], [-1, -1], [9, 10]])
assert x.asnumpy().sum() != c.asnumpy().sum() and (c.asnumpy() == 7).all()
assert same_object and new_object and (y.asnumpy() == 3).all()

# contexts
assert on_cpu1.context == mx.cpu(1) and (on_cpu1.asnumpy() == x.asnumpy()).all()
if mx.__name__ == "minimx":                            # see the NB above: MXNet allows it
    assert context_error is not None and "context" in context_error

# asynchrony: with the threaded engine, pushing returns long before the work is done
expected = m.asnumpy().astype(np.float64)
ref = expected
for _ in range(6):
    ref = ref @ expected
np.testing.assert_allclose(z.asnumpy(), ref, rtol=1e-3, atol=1e-3)
engine_type = os.environ.get("MINIMX_ENGINE_TYPE") or os.environ.get("MXNET_ENGINE_TYPE", "")
if not engine_type.startswith("Naive"):     # the naive engine computes during the push
    assert pushed < 0.5 * finished, (pushed, finished)

# %% [markdown]
# ## Under the hood
#
# * An `NDArray` (`minimx/ndarray/ndarray.py`) is a window (offset, shape) onto a storage `Chunk`
#   (`minimx/ndarray/storage.py`). A view is a second window onto the same chunk, which is why a
#   write through `v` shows up in `x`.
# * The chunk *is* an engine variable. Because views share the chunk, the engine orders a write
#   through a view with every other read and write of the parent: views are safe under
#   asynchrony.
# * Every operator, from `+` to `dot`, goes through one function, `invoke`
#   (`minimx/ndarray/invoke.py`). Tutorial 2 follows one addition through it line by line.
#
# NB: numpy returns views for every basic slice; MXNet (and so minimx) only for slices that are
# one contiguous block of memory, i.e. along the first axis.

# %% [markdown]
# ## Summary
#
# * `mx.nd.array` defaults to float32; `asnumpy()` returns the values (and waits for them).
# * Broadcasting aligns shapes on the right; mismatched shapes fail at the call.
# * `reshape` and first-axis slices are views; other slices and ops make new arrays; `x[:] =`,
#   `+=` and `out=` write in place.
# * Arrays live on a context; ops need all inputs on one context.
# * Ops return immediately; the engine computes in the background; reading values waits.
#
# ## Exercises
#
# 1. Predict the shape of `mx.nd.ones((2, 1, 3)) * mx.nd.ones((4, 1))`, then check it.
# 2. Is `x[1:2, :]` a view? Write a test that decides it by writing through the result.
# 3. Run the timing cell with `MINIMX_ENGINE_TYPE=NaiveEngine` in the environment. How do
#    `pushed` and `finished` change, and why?
# 4. `x.T` is a copy in MXNet. What would go wrong if a later `x[:] = 0` had to update a transposed
#    view lazily? (Hint: think about which engine variable a view shares.)
