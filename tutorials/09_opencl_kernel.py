# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 9. Writing an OpenCL kernel
#
# ## Goal
#
# minimx runs `mx.gpu()` on OpenCL devices. In this tutorial you drive OpenCL yourself with
# pyopencl, and then look at how minimx does the same:
#
# * the five steps of every OpenCL program: **context** (and queue), **buffers**, **build**,
#   **launch**, **check** against numpy;
# * a matrix multiplication (GEMM) written three times, each designed to be faster than the last:
#   naive, tiled in local memory, and register-blocked; with its GFLOP/s at each step on the device
#   at hand;
# * minimx's own GEMM kernel (`minimx/_kernels/opencl/gemm.py`), and ops on `mx.gpu()` compared
#   with the same ops on `mx.cpu()`.
#
# You need `pyopencl` and an OpenCL device. Without a GPU, PoCL's CPU device does fine
# (`pip install 'minimx[pocl]'`): this tutorial selects it unless you set `MINIMX_OPENCL_DEVICE`
# yourself. Without pyopencl the tutorial says so and stops.
#
# Time: about 50 minutes.

# %%
import os
import sys
import tempfile
import time

# Which device mx.gpu(0) means: PoCL's CPU device unless you chose one. PoCL keeps compiled
# kernels in POCL_CACHE_DIR (minimx's default: a folder in the temporary directory).
os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")
os.environ.setdefault("POCL_CACHE_DIR", os.path.join(tempfile.gettempdir(), "minimx-pocl-cache"))

try:
    import pyopencl as cl
except ImportError as e:
    print(f"Skipping tutorial 9: pyopencl is not installed ({e}).")
    print("Install it with: pip install 'minimx[pocl]'  (pyopencl and PoCL's CPU device)")
    sys.exit(0)

import numpy as np

import minimx as mx
from minimx._kernels import opencl as mx_opencl
from minimx._kernels.opencl import device as mx_device

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"
OUT = os.environ.get("MINIMX_TUTORIAL_OUT", tempfile.gettempdir())
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(mx.__file__)))
N = 256 if FAST else 512          # square matrices N x N; a multiple of 64 for our kernels


def lines_of(path, needle, last_needle=None):
    """'file:first-last': the first line containing ``needle`` to the next containing
    ``last_needle`` (or just that line)."""
    with open(os.path.join(ROOT, path)) as f:
        text = f.read().splitlines()
    first = next(i for i, line in enumerate(text) if needle in line)
    last = first if last_needle is None else next(
        i for i in range(first + 1, len(text)) if last_needle in text[i])
    return f"{path}:{first + 1}-{last + 1}"


# %% [markdown]
# ## Code
#
# ### Step 1 of 5: platforms, devices, a context and a queue
#
# An OpenCL *platform* is one vendor's driver (PoCL, NVIDIA, ...); each has *devices*. A
# **context** groups the devices that share memory objects, and a **command queue** is where the
# host puts work for one device: copies and kernel launches. A queue runs its commands in order
# unless told otherwise; minimx relies on exactly that (see `minimx/_kernels/opencl/device.py`).
#
# We list everything, then take the device that `mx.gpu(0)` would use.

# %%
for p in cl.get_platforms():
    for d in p.get_devices():
        print(f"platform {p.name!r}: device {d.name!r} ({cl.device_type.to_string(d.type)}), "
              f"{d.max_compute_units} compute units, {d.local_mem_size // 1024} KiB local memory, "
              f"work-groups up to {d.max_work_group_size}")
device = mx_device.devices()[0]
print("MINIMX_OPENCL_DEVICE =", os.environ["MINIMX_OPENCL_DEVICE"], "->", device.name)
context = cl.Context([device])
queue = cl.CommandQueue(context)

# %% [markdown]
# ### Step 2 of 5: buffers
#
# Device memory is a `cl.Buffer`. `COPY_HOST_PTR` fills it from a numpy array at creation; the
# flags `READ_ONLY`/`WRITE_ONLY` are promises to the driver about how kernels use it.
# `cl.enqueue_copy(queue, dest, src)` copies either way; copying to the host blocks until the
# copy is done (and so until everything queued before it has run).

# %%
rng = np.random.default_rng(0)
A = rng.standard_normal((N, N)).astype(np.float32)
B = rng.standard_normal((N, N)).astype(np.float32)
mf = cl.mem_flags
A_buf = cl.Buffer(context, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=A)
B_buf = cl.Buffer(context, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=B)
C_buf = cl.Buffer(context, mf.WRITE_ONLY, size=A.nbytes)
expected = A.astype(np.float64) @ B.astype(np.float64)
print(f"3 buffers of {A.nbytes // 1024} KiB on {device.name}")

# %% [markdown]
# ### Steps 3 and 4 of 5: build and launch a naive GEMM
#
# A kernel is a C function marked `__kernel`, run once per **work item** of an index space (the
# *global size*). Here the space is N x N, one work item per element of C: item `(j, i)` computes
# `C[i, j]` as a dot product of row i of A and column j of B, straight from global memory.
#
# `cl.Program(context, source).build(options)` compiles the source for the device, at run time;
# `-D` options define macros, as for a C compiler. A launch is `kernel(queue, global_size,
# local_size, *args)`: scalars go as sized numpy scalars (`np.int32`), buffers as they are. It
# returns at once; `queue.finish()` waits.

# %%
NAIVE = r"""
__kernel void gemm_naive(const int N, __global const float* A, __global const float* B,
                         __global float* C) {
  const int j = get_global_id(0), i = get_global_id(1);
  float acc = 0.0f;
  for (int k = 0; k < N; k++)
    acc += A[i * N + k] * B[k * N + j];
  C[i * N + j] = acc;
}
"""
t = time.perf_counter()
naive = cl.Kernel(cl.Program(context, NAIVE).build(), "gemm_naive")
print(f"built in {time.perf_counter() - t:.2f} s")


def run_gemm(kernel, global_size, local_size, repeat=3):
    """Launch ``kernel`` on A, B -> C: the result, and the best of ``repeat`` timed runs in GFLOP/s."""
    args = (np.int32(N), A_buf, B_buf, C_buf)
    kernel(queue, global_size, local_size, *args)            # the first launch also warms up
    queue.finish()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        kernel(queue, global_size, local_size, *args)
        queue.finish()
        best = min(best, time.perf_counter() - t)
    C = np.empty((N, N), np.float32)
    cl.enqueue_copy(queue, C, C_buf)                         # blocking: waits for the kernel
    return C, 2.0 * N ** 3 / best / 1e9


C_naive, gflops_naive = run_gemm(naive, (N, N), None)
err_naive = np.abs(C_naive - expected).max()
print(f"naive: {gflops_naive:.2f} GFLOP/s, max error {err_naive:.1e}")

# %% [markdown]
# Step 5 of 5, the check, is the last line: the same product by numpy (in float64), compared. Always
# check a kernel against a trusted result before you time it; a fast wrong kernel is easy to write.
#
# Each work item reads 2N floats from global memory to do 2N flops: the naive kernel is bound by
# memory traffic. Neighbouring work items read the same row of A and the same columns of B, over
# and over.
#
# ### A faster GEMM: tiles in local memory
#
# **Local memory** is a small, fast memory shared by the work items of one **work-group** (the
# *local size*: here TS x TS = 16 x 16 items). The group computes a TS x TS tile of C. It walks K in
# steps of TS: every item loads one element of the A tile and one of the B tile into local memory,
# the group waits at a `barrier` until both tiles are complete, then each item does TS
# multiply-adds from local memory, and waits again before the tiles are overwritten. Each element
# loaded from global memory is now used TS times.

# %%
TILED = r"""
__kernel __attribute__((reqd_work_group_size(TS, TS, 1)))
void gemm_tiled(const int N, __global const float* A, __global const float* B,
                __global float* C) {
  const int tj = get_local_id(0), ti = get_local_id(1);
  const int j = get_global_id(0), i = get_global_id(1);
  __local float As[TS][TS], Bs[TS][TS];
  float acc = 0.0f;
  for (int k0 = 0; k0 < N; k0 += TS) {
    As[ti][tj] = A[i * N + k0 + tj];          /* one element of each tile per work item */
    Bs[ti][tj] = B[(k0 + ti) * N + j];
    barrier(CLK_LOCAL_MEM_FENCE);             /* the tiles are complete */
    for (int kk = 0; kk < TS; kk++)
      acc += As[ti][kk] * Bs[kk][tj];
    barrier(CLK_LOCAL_MEM_FENCE);             /* everyone is done with them */
  }
  C[i * N + j] = acc;
}
"""
TS = 16
tiled = cl.Kernel(cl.Program(context, TILED).build(options=[f"-DTS={TS}"]), "gemm_tiled")
C_tiled, gflops_tiled = run_gemm(tiled, (N, N), (TS, TS))
err_tiled = np.abs(C_tiled - expected).max()
print(f"tiled: {gflops_tiled:.2f} GFLOP/s, max error {err_tiled:.1e}")

# %% [markdown]
# ### Faster again: register blocking
#
# The tiled kernel still does one load from local memory per multiply-add. Now each work item
# computes an R x R block of C (R = 4) and keeps it in **registers** (`acc[R][R]`, a private
# array). For each `kk`, it loads R values of A and R values of B from local memory and does R*R
# multiply-adds: 16 for 8 loads. The group's tile grows to T x T = 64 x 64 with a work-group of
# (T/R) x (T/R) = 16 x 16 items, so the global size shrinks by R in each direction. An item's R rows
# are spread W = T/R apart, so that neighbouring items read neighbouring addresses.

# %%
REGISTER = r"""
#define W (T / R)
__kernel __attribute__((reqd_work_group_size(W, W, 1)))
void gemm_reg(const int N, __global const float* A, __global const float* B, __global float* C) {
  const int tx = get_local_id(0), ty = get_local_id(1), tid = ty * W + tx;
  const int i0 = get_group_id(1) * T, j0 = get_group_id(0) * T;
  __local float As[TK][T], Bs[TK][T];
  float acc[R][R];
  for (int r = 0; r < R; r++)
    for (int c = 0; c < R; c++) acc[r][c] = 0.0f;
  for (int k0 = 0; k0 < N; k0 += TK) {
    for (int l = tid; l < T * TK; l += W * W) {   /* the group loads both tiles together */
      As[l % TK][l / TK] = A[(i0 + l / TK) * N + k0 + l % TK];
      Bs[l / T][l % T] = B[(k0 + l / T) * N + j0 + l % T];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int kk = 0; kk < TK; kk++) {
      float a[R], b[R];
      for (int r = 0; r < R; r++) a[r] = As[kk][ty + r * W];
      for (int c = 0; c < R; c++) b[c] = Bs[kk][tx + c * W];
      for (int r = 0; r < R; r++)
        for (int c = 0; c < R; c++) acc[r][c] = mad(a[r], b[c], acc[r][c]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < R; c++) C[(i0 + ty + r * W) * N + j0 + tx + c * W] = acc[r][c];
}
"""
T, TK, R = 64, 16, 4
reg = cl.Kernel(cl.Program(context, REGISTER).build(options=[f"-DT={T}", f"-DTK={TK}",
                                                            f"-DR={R}"]), "gemm_reg")
C_reg, gflops_reg = run_gemm(reg, (N // R, N // R), (T // R, T // R))
err_reg = np.abs(C_reg - expected).max()
print(f"register-blocked: {gflops_reg:.2f} GFLOP/s, max error {err_reg:.1e}")

t = time.perf_counter()
for _ in range(3):
    A @ B
gflops_numpy = 3 * 2.0 * N ** 3 / (time.perf_counter() - t) / 1e9
speeds = {"naive": gflops_naive, "tiled (local memory)": gflops_tiled,
          "register-blocked": gflops_reg, "numpy (BLAS, host)": gflops_numpy}
for name, g in speeds.items():
    print(f"{name:22s} {g:7.2f} GFLOP/s")

# %% [markdown]
# What to expect: on a GPU each step wins by a large factor, because global memory is far and
# local memory and registers are near. On PoCL's CPU device "local memory" is ordinary cached
# memory, so tiling alone gains less, while register blocking usually pays, because the R x R
# block of multiply-adds becomes vector instructions with few loads. When we ran this file on a
# quiet two-core machine (N = 256) we saw about 0.3, 0.6 and 3 GFLOP/s for the three steps; on a
# machine busy with other work the numbers jump around and even change order, so look at yours
# above, and run it twice. numpy's BLAS is hand-tuned assembly: being within a small factor of it
# is good for forty lines of OpenCL.
#
# Our kernels assume N is a multiple of 64. Real code cannot: minimx's kernel loads zeros outside
# the matrix instead.

# %%
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.barh(list(speeds), list(speeds.values()), color=["C0", "C0", "C0", "C7"])
    ax.set_xlabel(f"GFLOP/s, {N} x {N} float32 GEMM on {device.name[:30]}")
    fig.tight_layout()
    speeds_png = os.path.join(OUT, "09_gemm_steps.png")
    fig.savefig(speeds_png)
    print("wrote", speeds_png)
except ImportError:
    speeds_png = None

# %% [markdown]
# ### minimx's GEMM kernel
#
# `minimx/_kernels/opencl/gemm.py` is the register-blocked kernel made general (line ranges
# computed from your copy):
#
# * the kernel source `_SRC`: the same 64 x 64 x 16 tiles and 4 x 4 register blocks by default,
#   read through element **strides**, so a transposed input (`dot(a, b, transpose_b=True)`, or
#   FullyConnected's `x @ w.T`) costs no copy; a batch index (`get_group_id(2)`) for `batch_dot`;
#   loads that fill with zeros outside the matrix, so any M, N, K works; an optional bias;
# * the tile sizes are `-D` macros too, read from `MINIMX_OPENCL_GEMM=TM,TN,TK,RM,RN`, so you can
#   tune them for your device without touching the code;
# * `gemm()` builds the kernel once per device and option set (`Device.kernel`, a cache) and
#   launches it with `Device.launch`, which only enqueues: the engine's order is the queue's order.

# %%
GEMM = "minimx/_kernels/opencl/gemm.py"
for label, needle, last in (("kernel source _SRC", "_SRC = _PREAMBLE", '"""'),
                            ("  tile loads (zero padding)", "for (int k0 = 0", "barrier("),
                            ("  register block multiply-adds", "for (int kk = 0", "mad(a[r]"),
                            ("tile sizes from MINIMX_OPENCL_GEMM", "def _config", "return tuple"),
                            ("build + launch: gemm()", "def gemm(", "np.int32(a_strides"),
                            ("dot -> gemm with strides", "def dot(", "return None")):
    print(f"{label:36s}", lines_of(GEMM, needle, last))
print("Device.kernel (build cache)          ", lines_of("minimx/_kernels/opencl/device.py",
                                                        "def kernel(", "return k"))

# %% [markdown]
# ### Ops on `mx.gpu()`
#
# Everything above is hidden behind `ctx=mx.gpu()`. Arrays created there live in OpenCL buffers;
# ops on them are pushed to the engine like CPU ops and enqueued on the device's queue;
# `asnumpy()` copies back. Ops without an OpenCL kernel of their own run through the **host
# fallback** (copy to the host, CPU kernel, copy back) so every op works, natively or not.
# Let us run a small network layer both ways and compare.

# %%
gpu, cpu = mx.gpu(0), mx.cpu()
M, K_, N2 = (100, 70, 50) if FAST else (300, 200, 150)   # not multiples of any tile size
x_np = rng.standard_normal((M, K_)).astype(np.float32)
w_np = rng.standard_normal((N2, K_)).astype(np.float32)
b_np = rng.standard_normal(N2).astype(np.float32)
results = {}
for ctx in (cpu, gpu):
    x, w, b = (mx.nd.array(v, ctx=ctx) for v in (x_np, w_np, b_np))
    fc = mx.nd.FullyConnected(x, w, b, num_hidden=N2)         # x @ w.T + b: the GEMM kernel
    h = mx.nd.relu(fc)
    results[ctx.device_type] = {
        "dot": mx.nd.dot(x, w, transpose_b=True),
        "fully_connected": fc,
        "softmax": mx.nd.softmax(h),
        "sum": h.sum(axis=1),
        "a*b+1": x * x + 1,
    }
    print(f"ran on {ctx}: results live on", {v.context for v in results[ctx.device_type].values()})
mx.nd.waitall()
for name in results["cpu"]:
    diff = np.abs(results["gpu"][name].asnumpy() - results["cpu"][name].asnumpy()).max()
    print(f"{name:16s} max |gpu - cpu| = {diff:.1e}")
native = mx_opencl.native_kernels()
print("native OpenCL kernels:", {op: op in native for op in
                                  ("dot", "FullyConnected", "relu", "softmax", "sum")})

# %% [markdown]
# Moving data between devices is explicit, as in MXNet: `copyto` / `as_in_context`. And the
# speed of minimx's GEMM through `mx.nd.dot` on the device at hand, with the same N as above:

# %%
a_gpu = mx.nd.array(A, ctx=gpu)
b_gpu = mx.nd.array(B, ctx=gpu)
back = a_gpu.as_in_context(cpu)
c_gpu = mx.nd.dot(a_gpu, b_gpu)
c_gpu.wait_to_read()                                  # build + warm-up
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    mx.nd.dot(a_gpu, b_gpu).wait_to_read()
    best = min(best, time.perf_counter() - t)
gflops_minimx = 2.0 * N ** 3 / best / 1e9
print(f"mx.nd.dot on {gpu}: {gflops_minimx:.2f} GFLOP/s (our register-blocked kernel: "
      f"{gflops_reg:.2f})")
print("as_in_context(cpu):", back.context, back.shape)

# %% [markdown]
# ## Check

# %%
assert device.name and context.devices == [device]
for C_ in (C_naive, C_tiled, C_reg):                      # each step is still correct
    np.testing.assert_allclose(C_, expected, rtol=1e-4, atol=1e-3)
assert all(g > 0 for g in speeds.values())
for name in results["cpu"]:                                # gpu agrees with cpu
    assert results["gpu"][name].context == gpu and results["cpu"][name].context == cpu
    np.testing.assert_allclose(results["gpu"][name].asnumpy(), results["cpu"][name].asnumpy(),
                               rtol=1e-4, atol=1e-4, err_msg=name)
np.testing.assert_allclose(results["cpu"]["fully_connected"].asnumpy(),
                           x_np @ w_np.T + b_np, rtol=1e-4, atol=1e-4)
assert "dot" in native and "FullyConnected" in native     # GEMM runs natively on the device
np.testing.assert_allclose(c_gpu.asnumpy(), expected, rtol=1e-4, atol=1e-3)
assert back.context == cpu and np.array_equal(back.asnumpy(), A)
assert gflops_minimx > 0
assert speeds_png is None or os.path.exists(speeds_png)
with open(os.path.join(ROOT, GEMM)) as f:
    gemm_src = f.read()
assert "__local T As[TK][TM + 1]" in gemm_src and "mad(a[r], b[c]" in gemm_src

# %% [markdown]
# ## Under the hood
#
# * `minimx/_kernels/opencl/device.py`: which devices `mx.gpu(i)` means, and per device one
#   context, one in-order queue, a buffer pool (`pyopencl.tools.MemoryPool`) and the program cache.
# * `minimx/_kernels/opencl/array.py`: `CLArray`, a window (offset, shape, strides) of a pooled
#   buffer; it is what an OpenCL kernel receives instead of a numpy array.
# * `minimx/_kernels/opencl/elemwise.py`: elementwise kernels generated from one C expression
#   per op; `reduce.py`, `nn.py`, `conv.py` (im2col + this GEMM) and the others.
# * `minimx/_kernels/opencl/fallback.py`: the host fallback; `mx_opencl.fallback_report()` lists
#   which ops use it.
# * The engine treats the device like any other: each op reads and writes variables; because the
#   queue is in order, enqueueing in dependency order is enough.
#
# NB: MXNet's `mx.gpu()` means a CUDA device and its kernels are CUDA C++ (cuBLAS for GEMM).
# minimx uses OpenCL so that the same code runs on any GPU vendor, and on CPUs through PoCL.
#
# ## Summary
#
# * OpenCL = context + queue, buffers, programs built at run time, launches over a global index
#   space split into work-groups, copies back; check every kernel against numpy.
# * A GEMM gets fast by reuse: tiles in local memory (shared by a work-group), blocks of C in
#   registers (private to a work item).
# * minimx's GEMM is that kernel with strides, batching, edge padding and tunable tile sizes.
# * `mx.gpu()` ops give the same results as `mx.cpu()` ones; ops without a native kernel still
#   work through the host fallback.
#
# ## Exercises
#
# 1. Make the tiled kernel work for any N: load zeros outside the matrix (as `gemm.py` does) and
#    guard the final store. Check it with N = 100.
# 2. Try TS = 8 and TS = 32, and R = 2 and R = 8 (T = 16 R). Which is fastest on your device?
#    Then set `MINIMX_OPENCL_GEMM` and time `mx.nd.dot` again.
# 3. Time the kernels with OpenCL events instead of the host clock: create the queue with
#    `properties=cl.command_queue_properties.PROFILING_ENABLE` and read `event.profile.end -
#    event.profile.start`. How much of the host-timed figure was launch overhead?
# 4. `gemm.py` pads its local arrays to `[TK][TM + 1]`. On a GPU, why might the `+ 1` matter?
#    (Look up "local memory bank conflicts".)
