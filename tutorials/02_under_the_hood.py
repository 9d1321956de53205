# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 2. Under the hood: what happens in `mx.nd.array([2]) + mx.nd.array([3])`
#
# ## Goal
#
# Follow one addition through every layer of minimx, from the Python operator to the C loop that
# adds two floats, and know which file (and which lines) to open at each step. After this
# tutorial the rest of the code base is a set of variations on one path.
#
# The layers, top to bottom (see `ARCHITECTURE.md` for the full picture):
#
# ```
# NDArray.__add__  ->  invoke  ->  op table (shape + dtype rules)  ->  engine (reads/writes)  ->  kernel
# ```
#
# Time: about 45 minutes, most of it reading the files named below.

# %%
import inspect
import os

import numpy as np

import minimx as mx
from minimx import autograd
from minimx.ndarray import creation, invoke, ndarray, tape
from minimx.ops import elemwise, opdef
from minimx.engine import threaded, var

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"   # nothing here is slow; kept for uniformity
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(mx.__file__)))


def where(obj):
    """'file:first-last' of a Python function or class, relative to the repository."""
    lines, first = inspect.getsourcelines(obj)
    path = os.path.relpath(inspect.getsourcefile(obj), ROOT)
    return f"{path}:{first}-{first + len(lines) - 1}"


def where_in_text(path, start, stop=None):
    """'file:first-last' of the block of a text file (a .pyx) that starts with ``start``.

    Cython functions have no Python source lines to inspect, so we search the file. The block ends
    before the next line that starts in column 0 with ``stop`` (default: ``cdef`` or ``def``).
    """
    with open(os.path.join(ROOT, path)) as f:
        text = f.read().splitlines()
    first = next(i for i, line in enumerate(text) if line.startswith(start))
    last = first + 1
    while last < len(text) and not (text[last].startswith(stop or ("cdef ", "def ", "KERNELS"))):
        last += 1
    while not text[last - 1].strip():
        last -= 1
    return f"{path}:{first + 1}-{last}"


# %% [markdown]
# ## Code
#
# The line ranges in this text were right when it was written; every cell also prints the
# ranges computed from the code you have, so use those if the two disagree.
#
# ### Step 0: making the inputs
#
# `mx.nd.array([2])` (`minimx/ndarray/creation.py`, `array`, lines 27-55) converts the list with
# numpy (float32 by default) and calls `from_numpy` (lines 58-67). That allocates an empty array
# and pushes a tiny engine op, `_from_numpy`, that copies the values in. Even creating an array is
# an engine op: it *writes* the new array's variable, so any later reader waits for it.

# %%
print("array      ", where(creation.array))
print("from_numpy ", where(creation.from_numpy))
a = mx.nd.array([2])
b = mx.nd.array([3])

# %% [markdown]
# ### Step 1: `NDArray.__add__`
#
# `minimx/ndarray/ndarray.py`, lines 304-307. The operator does no arithmetic; it only picks the op:
# `broadcast_add` for two arrays (`_plus_scalar` for `a + 1`) and calls `invoke`.

# %%
print("NDArray.__add__", where(ndarray.NDArray.__add__))
print(inspect.getsource(ndarray.NDArray.__add__))

# %% [markdown]
# ### Step 2: the op table
#
# `broadcast_add` is one declaration, `minimx/ops/elemwise.py` line 125, made with the helper
# `_binary` (lines 99-103). The `OpDef` record (`minimx/ops/opdef.py`, lines 101-212) holds
# everything about the op: its inputs, the shape rule `broadcast_shape` (lines 34-50), the dtype
# rule, the kernel name each backend must provide, the gradient rule (in
# `minimx/ops/gradutil_elemwise.py`: for addition the head gradient goes to both inputs), the
# formula for its docstring and the input domain the generated tests draw from.
#
# The rules are plain functions: we can call them ourselves.

# %%
op = opdef.get_op("broadcast_add")
print("OpDef      ", where(opdef.OpDef))
print("_binary    ", where(elemwise._binary))
print("shape rule ", where(elemwise.broadcast_shape))
print(f"name={op.name} inputs={op.inputs} kernel={op.kernel!r} formula={op.formula!r}")
print("shape rule on (1,) and (1,):", op.shape({}, (1,), (1,)))
print("shape rule on (3, 1) and (4,):", op.shape({}, (3, 1), (4,)))
print("dtype rule:", op.dtype({}, np.dtype("float32"), np.dtype("float32")))

# %% [markdown]
# ### Step 3: `invoke`, the one interception point
#
# `minimx/ndarray/invoke.py`, `invoke`, lines 63-147. Its docstring at the top of the file lists
# the steps; in order:
#
# 1. find the context from the inputs (all must agree);
# 2. run the shape and dtype rules (a bad shape raises here, synchronously);
# 3. allocate the output on that context (`Chunk`, `minimx/ndarray/storage.py`);
# 4. look up the kernel in the context's backend table and push a closure
#    `partial(kernel, inputs, outputs, attrs)` to the engine, declaring that it **reads** `a` and
#    `b` and **writes** `c`;
# 5. if autograd is recording, link a tape node to the output (`minimx/ndarray/tape.py`,
#    `record`, lines 45-55);
# 6. return `c` at once.
#
# We can watch steps 4 and 5 by putting spies in two places: on the engine's `push` and on the
# kernel table entry. (Spying is only a teaching device: we restore both right after.)

# %%
print("invoke ", where(invoke.invoke))
print("record ", where(tape.record))

engine = mx.engine.get_engine()
kernels = mx.cpu().backend.kernels
real_push, real_kernel = engine.push, kernels["broadcast_add"]
pushes, kernel_calls = [], []


def spy_push(fn, reads, writes, ctx=None, name="op", inline=False):
    pushes.append((name, list(reads), list(writes), inline))
    return real_push(fn, reads, writes, ctx, name, inline)


def spy_kernel(ins, outs, attrs):
    kernel_calls.append(([x.copy() for x in ins], type(outs[0]).__name__, outs[0].shape))
    return real_kernel(ins, outs, attrs)


engine.push, kernels["broadcast_add"] = spy_push, spy_kernel
try:
    c = a + b
    c.wait_to_read()
finally:
    del engine.push                        # back to the class's method
    kernels["broadcast_add"] = real_kernel

for name, reads, writes, inline in pushes:
    print(f"pushed {name}: reads {len(reads)} vars, writes {len(writes)} var, inline={inline}")
print("kernel got", kernel_calls[0][0], "and wrote into a", kernel_calls[0][1], kernel_calls[0][2])
print("c =", c.asnumpy())

# %% [markdown]
# The engine saw exactly one op. What it reads and writes are the arrays' storage chunks, which
# *are* engine variables (`minimx/ndarray/storage.py`: `Chunk` subclasses `Var`). The kernel saw
# no NDArrays at all: plain numpy buffers in, a preallocated numpy buffer out.
#
# ### Step 4: the engine
#
# `minimx/engine/threaded.py`, `ThreadedEngine.push`, lines 59-95, applies the four rules of
# `minimx/engine/var.py` (`append_read` 60-67, `append_write` 70-77, `complete_read` 80-83,
# `complete_write` 86-89) to each variable. Our op is tiny (`inline=True`: invoke judged it below
# the inline limit) and nothing else uses `a`, `b` or `c`, so `_run_now` (lines 131-178) runs it
# right on our thread: a hand-off to a worker would cost more than adding two numbers. A big op
# would instead go to a worker's queue and be run by `_execute` (lines 206-237), whose `_finish`
# (lines 245-263) releases the variables and starts whatever was waiting on them.

# %%
for fn in (threaded.ThreadedEngine.push, threaded.ThreadedEngine._run_now,
           threaded.ThreadedEngine._execute, threaded.ThreadedEngine._finish,
           var.Var.append_read, var.Var.append_write, var.Var.complete_read, var.Var.complete_write):
    print(f"{fn.__qualname__:32s}", where(fn))

# %% [markdown]
# ### Step 5: the kernel
#
# The CPU backend's table (`minimx/_kernels/cpu/__init__.py`) starts as a copy of the numpy
# reference table (`minimx/_kernels/reference/`) and lets each Cython module replace the kernels
# it implements. For `broadcast_add` that is `minimx/_kernels/cpu/elemwise.pyx`:
#
# * `KERNELS` (line 408 on) maps `"broadcast_add"` to `BinaryKernel(ADD, ...)` (class at line 383);
# * `BinaryKernel.__call__` calls `_binary` (lines 314-343): with the GIL it checks dtypes and
#   aliasing (falling back to the numpy reference for anything unusual), collapses the broadcast
#   shape to as few axes as possible, then **releases the GIL** (`with nogil:`) and calls
# * `_broadcast` (lines 258-285), which splits rows over OpenMP threads with `prange` when the
#   array is large, and finally
# * `_vv` (lines 106-140): `for i in range(n): o[i] = a[i] + b[i]`, a loop the C compiler
#   vectorises.
#
# The numpy reference, `minimx/_kernels/reference/elemwise.py` (`_binary`, lines 93-99), is the
# specification the Cython kernel is tested against. We can call both ourselves, on numpy buffers.

# %%
pyx = "minimx/_kernels/cpu/elemwise.pyx"
for header in ("cdef class BinaryKernel", "cdef void _binary(", "cdef void _broadcast(",
               "cdef void _vv("):
    print(f"{header:26s}", where_in_text(pyx, header))
from minimx._kernels.reference import KERNELS as REFERENCE
from minimx._kernels.reference import elemwise as reference_elemwise
print("reference _binary         ", where(reference_elemwise._binary))

x, y = np.array([2.0], np.float32), np.array([3.0], np.float32)
out_cython, out_numpy = np.empty(1, np.float32), np.empty(1, np.float32)
kernels["broadcast_add"]((x, y), (out_cython,), {})
REFERENCE["broadcast_add"]((x, y), (out_numpy,), {})
print("Cython kernel:", out_cython, " numpy reference:", out_numpy)

# %% [markdown]
# ### Step 6: reading the result
#
# `c.asnumpy()` (`minimx/ndarray/ndarray.py`, lines 134-137) calls the engine's `wait_for_var`
# on `c`'s chunk (`threaded.py`, lines 266-286): it blocks until every op that writes `c` has
# run, re-raises that op's error if it failed, and then copies the buffer out.
#
# ### And with autograd on
#
# Inside `autograd.record()`, step 5 of `invoke` links a tape node to `c` that remembers the op,
# its inputs and outputs. `backward` later walks these nodes and calls each op's gradient rule.

# %%
print("asnumpy", where(ndarray.NDArray.asnumpy))
a.attach_grad()
with autograd.record():
    c2 = a + b
node, index = c2._node
print("tape node:", node.op.name, "inputs", [v.asnumpy() for v in node.inputs], "output", index)
c2.backward()
print("dc/da =", a.grad.asnumpy())

# %% [markdown]
# ## Check

# %%
assert c.asnumpy().tolist() == [5.0] and c.dtype == np.float32
assert op.kernel == "broadcast_add" and op.shape({}, (3, 1), (4,)) == (3, 4)
assert [p[0] for p in pushes] == ["broadcast_add"], pushes           # one engine op, nothing more
name, reads, writes, inline = pushes[0]
assert reads == [a._chunk, b._chunk] and writes == [c._chunk]        # reads a, b; writes c
assert all(isinstance(v, mx.engine.Var) for v in reads + writes)     # chunks are engine vars
assert len(kernel_calls) == 1 and kernel_calls[0][1] == "ndarray"     # the kernel sees numpy
assert [v.tolist() for v in kernel_calls[0][0]] == [[2.0], [3.0]]
if mx.cpu().backend.name == "cpu":                                   # not MINIMX_BACKEND=reference
    assert type(real_kernel).__name__ == "BinaryKernel"              # the Cython kernel runs
assert out_cython[0] == out_numpy[0] == 5.0
assert node.op is op and a.grad.asnumpy().tolist() == [1.0]
# the files named above exist, and the functions named are in them
for obj, path in ((creation.array, "minimx/ndarray/creation.py"),
                  (ndarray.NDArray.__add__, "minimx/ndarray/ndarray.py"),
                  (invoke.invoke, "minimx/ndarray/invoke.py"),
                  (elemwise.broadcast_shape, "minimx/ops/elemwise.py"),
                  (threaded.ThreadedEngine.push, "minimx/engine/threaded.py"),
                  (var.Var.append_write, "minimx/engine/var.py"),
                  (tape.record, "minimx/ndarray/tape.py")):
    assert where(obj).startswith(path + ":"), (obj, where(obj))
assert os.path.exists(os.path.join(ROOT, pyx))

# %% [markdown]
# ## Under the hood
#
# This whole tutorial *was* the under-the-hood section. Two design notes:
#
# * **One interception point.** Because every op passes through `invoke`, features that touch all
#   ops live in one place: shape errors, autograd recording, engine scheduling, backend choice.
#   NB: MXNet has two invoke paths (imperative and cached-op) chosen by an environment variable;
#   minimx has one.
# * **Kernels never see the framework.** A kernel is `kernel(inputs, outputs, attrs)` over
#   buffers. That is why we could call it directly, and why a new backend (OpenCL) only needs to
#   fill a table with the same names.
#
# ## Summary
#
# `a + b` -> `NDArray.__add__` picks `broadcast_add` -> `invoke` runs its `OpDef`'s shape and dtype
# rules, allocates `c`, pushes `partial(kernel, ...)` reading `a`, `b` and writing `c` -> the engine
# runs it when its variables allow (here at once, inline) -> the Cython kernel adds with the GIL
# released -> `c.asnumpy()` waits on `c`'s variable and copies the value out.
#
# For any other op, `python -m minimx.ops.locate NAME` prints the file and line of its
# declaration, its gradient rule and its kernel on every backend.
#
# ## Exercises
#
# 1. Repeat the spy experiment for `a + 1`. Which op is pushed, and what `attrs` does its kernel get?
# 2. Make `a` big (`mx.nd.ones((1000, 1000))`) and spy again. Is the op still pushed with
#    `inline=True`? Find the limit in `minimx/config.py`.
# 3. Run this file with `MINIMX_BACKEND=reference`. Which kernel runs now? What else changes?
# 4. Follow `mx.nd.dot(a, b)` the same way: which op module declares it, and which kernel file
#    does the CPU backend use for it?
