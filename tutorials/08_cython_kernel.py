# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 8. Writing a Cython kernel
#
# ## Goal
#
# Read one of minimx's Cython kernels and know what every part of it is for, then write, compile
# and time a small kernel of your own, in this very file:
#
# * the **anatomy** of a kernel: a `def` wrapper that takes typed memoryviews, a `with nogil:`
#   block, a typed loop the C compiler can vectorise, and `prange` to spread it over threads;
# * the **reduction gotcha** of `prange`: one character decides whether a sum is right or wrong;
# * **`cython -a`**: the annotated HTML that shows, line by line, where Python is still involved;
# * **measuring** a kernel against numpy, honestly.
#
# You need Cython and a C compiler; you already have both if `pip install -e .` built minimx.
#
# Time: about 45 minutes.

# %%
import os
import re
import shutil
import sys
import sysconfig
import tempfile
import time

import numpy as np

import minimx as mx
from minimx.threads import kernel_threads

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"
OUT = os.environ.get("MINIMX_TUTORIAL_OUT", tempfile.gettempdir())
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(mx.__file__)))
N = 1_000_000 if FAST else 10_000_000      # elements the timed kernels run over


def where_in_text(path, start):
    """'file:first-last' of the block of a .pyx that starts with the line ``start``.

    The block ends before the next line that starts a top-level ``def``/``cdef`` (or a comment
    heading); Cython functions have no Python source lines for ``inspect`` to find.
    """
    with open(os.path.join(ROOT, path)) as f:
        text = f.read().splitlines()
    first = next(i for i, line in enumerate(text) if line.startswith(start))
    last = first + 1
    while last < len(text) and not text[last].startswith(("cdef ", "def ", "# --", "_COMBINE")):
        last += 1
    while not text[last - 1].strip():
        last -= 1
    return f"{path}:{first + 1}-{last}"


# %% [markdown]
# ## Code
#
# ### A real kernel, part by part
#
# Open `minimx/_kernels/cpu/reduce.pyx` (the kernels of `sum`, `mean`, `max`, `norm`, ...). Its
# module docstring tells the whole plan; here are the pieces every minimx kernel has. The line
# ranges below are computed from the file you have.
#
# 1. **The `def` wrapper** (`_reduce_typed`). A `def` function is what Python can call. Its
#    arguments are *typed memoryviews*: `const floating[::1] x` says "a C-contiguous
#    (`::1`) one-dimensional buffer of float or double, which I will not write". Cython checks
#    the dtype, the layout and the number of axes once, at the call, and from then on `x[i]` is a
#    plain C array access. `floating` is a *fused type*: Cython compiles the function twice, for
#    float32 and float64, and picks the right one from the argument.
# 2. **`with nogil:`**. Inside, no Python object may be touched, and the global interpreter lock
#    is released: another engine worker (tutorial 3) can run Python, or another kernel, at the
#    same time. Every function called in there is declared `noexcept nogil`.
# 3. **The typed loop** (`_row`, `_cols`). `cdef` functions over raw pointers, with `double`
#    accumulators; the compiler unrolls and vectorises them. No bounds checks: the directives in
#    `setup.py` turn them off (and `MINIMX_CYTHON_DEBUG=1` turns them back on while you develop).
# 4. **`prange`** (`_reduce3`). `for t in prange(ntasks, num_threads=n, schedule="static")` is an
#    OpenMP parallel loop. `n` comes from `minimx.threads.kernel_threads()`, so the kernel uses
#    only the cores that the engine's other ops leave free. Note *how* it reduces in parallel: each
#    task writes its **own** slot of `out`, and `_reduce` combines the partial results afterwards
#    with numpy. No two threads ever add into the same variable. We will see why that matters.
# 5. **The table** (`KERNELS` at the end of the file): op name -> kernel. A kernel is
#    `kernel(inputs, outputs, attrs)` over numpy buffers (tutorial 2); the wrapper `_simple` falls
#    back to the numpy reference for dtypes the Cython code does not cover.

# %%
REDUCE = "minimx/_kernels/cpu/reduce.pyx"
parts = {
    "def wrapper (typed memoryviews, nogil)": "def _reduce_typed(",
    "typed loop over one row": "cdef double _row(",
    "prange over tasks": "cdef void _reduce3(",
    "combine partial results": "def _reduce(",
    "kernel with numpy fallback": "def _simple(",
}
for label, header in parts.items():
    print(f"{label:40s}", where_in_text(REDUCE, header))
with open(os.path.join(ROOT, REDUCE)) as f:
    reduce_src = f.read()
wrapper = reduce_src[reduce_src.index("def _reduce_typed("):reduce_src.index("def _arg_typed(")]
print(wrapper)
print("threads a kernel may use right now:", kernel_threads())

# %% [markdown]
# ### The tools: Cython, a C compiler, OpenMP
#
# minimx's `setup.py` builds each `.pyx` with `-O3 -fno-math-errno` and OpenMP (`-fopenmp` for
# GCC and Clang on Linux; other flags on macOS and Windows), and the directives `boundscheck=False,
# wraparound=False, cdivision=True`. We use the same, and first check that the compiler accepts
# the OpenMP flag by compiling a four-line C program that calls the OpenMP runtime.

# %%
import Cython
from Cython.Build import cythonize
from setuptools import Extension
from setuptools.dist import Distribution

if sys.platform == "win32":
    OPENMP_COMPILE, OPENMP_LINK = ["/openmp"], []
elif sys.platform == "darwin":
    OPENMP_COMPILE, OPENMP_LINK = ["-Xpreprocessor", "-fopenmp"], ["-lomp"]
else:
    OPENMP_COMPILE, OPENMP_LINK = ["-fopenmp"], ["-fopenmp"]
# Fast mode compiles with -O1: half the compile time, but loops are not vectorised, so its
# timings below understate what -O3 gives.
OPTIMISE = ["-O1" if FAST else "-O3", "-fno-math-errno"] if sys.platform != "win32" else ["/O2"]
DIRECTIVES = {"language_level": 3, "boundscheck": False, "wraparound": False, "cdivision": True,
              "initializedcheck": False}

work = tempfile.mkdtemp(prefix="minimx_tutorial08_")
compiler_name = (sysconfig.get_config_var("CC") or "cc").split()[0]
print("Cython", Cython.__version__, "| C compiler:", shutil.which(compiler_name) or compiler_name)


def openmp_works():
    """Compile and link a tiny C program with the OpenMP flags; True if the compiler takes them."""
    try:
        from setuptools._distutils.ccompiler import new_compiler
        from setuptools._distutils.sysconfig import customize_compiler
    except ImportError:   # older setuptools: the standard library's distutils
        from distutils.ccompiler import new_compiler
        from distutils.sysconfig import customize_compiler
    cc = new_compiler()
    customize_compiler(cc)
    src = os.path.join(work, "omp_probe.c")
    with open(src, "w") as f:
        f.write("#include <omp.h>\nint main(void) { return omp_get_max_threads() > 0 ? 0 : 1; }\n")
    try:
        objs = cc.compile([src], output_dir=work, extra_postargs=OPENMP_COMPILE)
        cc.link_executable(objs, os.path.join(work, "omp_probe"), extra_postargs=OPENMP_LINK)
        return True
    except Exception as e:   # CompileError / LinkError: no OpenMP (Apple clang without libomp)
        print("OpenMP flags rejected:", str(e).splitlines()[-1])
        return False


OPENMP = openmp_works()
print("OpenMP flags work:", OPENMP, OPENMP_COMPILE, "| optimisation:", OPTIMISE)

# %% [markdown]
# ### Our kernel
#
# We write a module with a few versions of one job: the sum of a float64 vector, plus an `axpy`
# (`y += a * x`, the hello-world of kernels). Read it top to bottom:
#
# * `sum_python` is Python code, untyped: Cython compiles it, but every `x[i]` and every `+`
#   still goes through Python objects.
# * `sum_typed` is the anatomy above in ten lines: typed memoryview, `cdef` locals, `with nogil`,
#   a plain loop.
# * `sum_wrong` and `sum_right` differ in **one line**: `total = total + x[i]` versus
#   `total += x[i]`. Cython's rule is that a variable updated *in place* (`+=`, `*=`, ...) inside
#   `prange` is a **reduction**: each thread gets its own copy starting at 0, and the copies are
#   added at the end. A variable that is *assigned* (`=`) inside `prange` is instead
#   **private**: each thread gets its own copy (Cython starts it at the value before the loop),
#   and after the loop the variable holds the copy of whichever thread ran the *last* iteration.
#   Each thread sums its own share correctly, and then one share wins. (Open the generated C
#   file and look for `lastprivate(__pyx_v_total)` on the OpenMP pragma.)
# * `sum_chunks` is what `reduce.pyx` does: one partial sum per chunk, written to its own slot,
#   added up afterwards. Its result does not depend on which thread ran which chunk.
# * `threads_used` asks OpenMP how many threads a `prange` really got (`threadid()` is the
#   thread's number in the team): `num_threads` is a request, which `OMP_THREAD_LIMIT` or a
#   compiler without OpenMP can turn down.

# %%
KERNEL_PYX = r'''
from cython.parallel cimport prange, threadid


def sum_python(x):
    total = 0.0
    for i in range(len(x)):
        total += x[i]
    return total


def sum_typed(const double[::1] x):
    cdef double total = 0.0
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            total += x[i]
    return total


def sum_wrong(const double[::1] x, int nthreads):
    cdef double total = 0.0
    cdef Py_ssize_t i
    with nogil:
        for i in prange(x.shape[0], num_threads=nthreads, schedule="static"):
            total = total + x[i]          # assignment: total is PRIVATE to each thread
    return total


def sum_right(const double[::1] x, int nthreads):
    cdef double total = 0.0
    cdef Py_ssize_t i
    with nogil:
        for i in prange(x.shape[0], num_threads=nthreads, schedule="static"):
            total += x[i]                 # in-place update: total is a REDUCTION
    return total


cdef double _chunk_sum(const double* p, Py_ssize_t n) noexcept nogil:
    cdef double total = 0.0
    cdef Py_ssize_t i
    for i in range(n):
        total += p[i]
    return total


def sum_chunks(const double[::1] x, double[::1] partial, int nthreads):
    cdef Py_ssize_t c, lo, hi, n = x.shape[0], k = partial.shape[0]
    with nogil:
        for c in prange(k, num_threads=nthreads, schedule="static"):
            lo = c * n // k                # assigned inside prange: private, and that is fine
            hi = (c + 1) * n // k
            partial[c] = _chunk_sum(&x[0] + lo, hi - lo)
    return sum(partial)


def threads_used(int[::1] seen):
    cdef Py_ssize_t i
    with nogil:
        for i in prange(64 * seen.shape[0], num_threads=seen.shape[0], schedule="static"):
            seen[threadid()] = 1           # each thread marks its own slot
    return sum(seen)


def axpy(double a, const double[::1] x, double[::1] y):
    cdef Py_ssize_t i, n = x.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"axpy: x has {n} elements but y has {y.shape[0]}")
    with nogil:
        for i in range(n):
            y[i] += a * x[i]
'''
pyx_path = os.path.join(work, "tut08_kernels.pyx")
with open(pyx_path, "w") as f:
    f.write(KERNEL_PYX)

# %% [markdown]
# ### Compiling it in-process
#
# `cythonize` turns the `.pyx` into C (and, with `annotate=True`, writes the same HTML report
# as the command `cython -a tut08_kernels.pyx`); setuptools' `build_ext` compiles and links the C
# into an extension module. This is exactly what `pip install -e .` does for minimx's kernels,
# only for one file. It takes a few seconds: most of the C is Cython's memoryview support code.

# %%
t = time.perf_counter()
ext = Extension("tut08_kernels", [pyx_path], extra_compile_args=OPTIMISE +
                (OPENMP_COMPILE if OPENMP else []), extra_link_args=OPENMP_LINK if OPENMP else [])
modules = cythonize([ext], annotate=True, quiet=True, compiler_directives=DIRECTIVES)
dist = Distribution({"name": "tut08_kernels", "ext_modules": modules})
build = dist.get_command_obj("build_ext")
build.build_lib, build.build_temp = work, os.path.join(work, "tmp")
build.ensure_finalized()
build.run()
build_s = time.perf_counter() - t
sys.path.insert(0, work)
import tut08_kernels as K   # noqa: E402
print(f"built {os.path.basename(K.__file__)} in {build_s:.1f} s")

# %% [markdown]
# ### Right and wrong reductions
#
# Same data, same thread count, the five sums. (`sum_python` on a slice: it is slow, see below.)

# %%
rng = np.random.default_rng(0)
x = rng.standard_normal(N)
threads = 2 if OPENMP else 1            # two threads show the gotcha even on one core
team = K.threads_used(np.zeros(threads, np.intc))
print(f"asked prange for {threads} threads, got {team}")
exact = float(np.sum(x))
partial = np.empty(8)
sums = {
    "numpy": exact,
    "sum_typed": K.sum_typed(x),
    "sum_wrong": K.sum_wrong(x, threads),
    "sum_right": K.sum_right(x, threads),
    "sum_chunks": K.sum_chunks(x, partial, threads),
}
for name, value in sums.items():
    print(f"{name:11s} {value: .10f}")
second_half = float(np.sum(x[N // 2:]))
print(f"sum of the second half of x: {second_half: .10f}   <- what sum_wrong returned")
print("sum_python on 1000 elements:", K.sum_python(x[:1000]), "numpy:", x[:1000].sum())

# %% [markdown]
# With two threads and `schedule="static"`, thread 1 sums the second half and runs the last
# iteration, so `sum_wrong` returns exactly the second half's sum. No error, no warning; the code
# even gives the right answer with one thread. That is why you should test every parallel kernel
# with at least two threads, against a reference.
#
# The three right answers may differ in the last few digits: adding in a different order rounds
# differently. `sum_chunks` at least gives the same bits on every run, because its chunks and
# their order are fixed; an OpenMP reduction may combine the threads' copies in any order.

# %%
again = [K.sum_chunks(x, partial, threads) for _ in range(3)]
print("sum_chunks three times:", again)

# %% [markdown]
# ### `cython -a`: where is Python still involved?
#
# The annotated HTML shows each source line with a shade of yellow: the more Python C-API calls
# the line compiles to, the darker. Click a line in a browser to see its C. We count the yellow
# lines of each function's *body* (the `def` line and `return` convert Python arguments and
# results, so they are always yellow). `with nogil:` is pale yellow too: it calls Python's C-API
# once to release the lock and once to take it back. The file is copied to `MINIMX_TUTORIAL_OUT`
# for you to open.

# %%
html_path = os.path.splitext(pyx_path)[0] + ".html"
with open(html_path) as f:
    html = f.read()
scores = {int(n): int(s) for s, n in
          re.findall(r'<pre class="cython line score-(\d+)"[^>]*>.*?<span class="">(\d+)</span>', html)}
source = KERNEL_PYX.splitlines()


def body_lines(func):
    """Line numbers (1-based, as in the HTML) of ``func``'s body, without its def and return."""
    start = next(i for i, line in enumerate(source) if line.startswith(f"def {func}(")) + 1
    lines = []
    for i in range(start, len(source)):
        text = source[i]
        if text and not text.startswith(" "):
            break
        if text.strip() and not text.strip().startswith("return"):
            lines.append(i + 1)
    return lines


yellow = {}
for func in ("sum_python", "sum_typed", "sum_right", "axpy"):
    lines = body_lines(func)
    yellow[func] = [n for n in lines if scores.get(n, 0) > 0]
    print(f"{func:11s} {len(yellow[func])} yellow of {len(lines)} body lines:",
          [source[n - 1].strip() for n in yellow[func]])
shutil.copy(html_path, os.path.join(OUT, "08_cython_annotation.html"))

# %% [markdown]
# `sum_python`'s loop lines are all yellow: every iteration boxes a float, calls `x[i]` through
# Python and adds two Python objects. In `sum_typed` the loop is white, pure C; only `with nogil:`
# is yellow. In `axpy` the error check is yellow too, and it runs once, not once per element. The
# rule of thumb: no yellow inside a loop.
#
# ### Measuring against numpy
#
# A fair comparison: same data, warm caches (one untimed call first), the best of a few runs.
# The result is a ratio for *this* machine at *this* moment; on a busy machine it moves. We assert
# nothing about speed, only that the results are right.

# %%
def best_time(fn, repeat=5):
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


y = rng.standard_normal(N)
y_numpy, y_cython = y.copy(), y.copy()
timings = {
    "np.sum": best_time(lambda: np.sum(x)),
    "sum_typed (1 thread)": best_time(lambda: K.sum_typed(x)),
    "sum_chunks (1 thread)": best_time(lambda: K.sum_chunks(x, partial, 1)),
    f"sum_chunks ({threads} threads)": best_time(lambda: K.sum_chunks(x, partial, threads)),
    "numpy y += 2.5 * x": best_time(lambda: np.add(y_numpy, 2.5 * x, out=y_numpy)),
    "axpy": best_time(lambda: K.axpy(2.5, x, y_cython)),
}
small = x[:10_000]
timings["sum_python (10k elements)"] = best_time(lambda: K.sum_python(small), repeat=2) * N / 10_000
for name, seconds in timings.items():
    print(f"{name:28s} {seconds * 1e3:9.2f} ms  ({N / seconds / 1e9:.2f} G elements/s)")
ratio_sum = timings["np.sum"] / timings["sum_typed (1 thread)"]
ratio_axpy = timings["numpy y += 2.5 * x"] / timings["axpy"]
print(f"sum_typed is {ratio_sum:.2f}x numpy's speed, axpy {ratio_axpy:.2f}x; "
      f"untyped Python is {timings['sum_python (10k elements)'] / timings['np.sum']:.0f}x slower")

# %% [markdown]
# What we saw on a two-core machine: `np.sum` beats `sum_typed` by 3x or more. Our loop has a
# single accumulator, so every add waits for the one before, and the compiler may not reorder
# floating-point adds to vectorise it; numpy's pairwise summation is unrolled and uses SIMD
# (`_row` in `reduce.pyx` uses 8 accumulators for the same reason). `axpy` usually beats numpy's
# `y += 2.5 * x`, which makes a temporary `2.5 * x` and so reads and writes memory more. Untyped
# Cython is a hundred times slower or worse. Two threads help only if two cores are free: on a
# machine busy with other work they can be *slower* than one (each waits for the other at the end
# of the loop), which is why minimx kernels ask `kernel_threads()` rather than always taking
# every core. A kernel earns its place by a fused loop (one pass instead of several), by threads
# when cores are idle, or by an operation numpy has no single call for.

# %%
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = [n for n in timings if not n.startswith("sum_python")]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.barh(names, [timings[n] * 1e3 for n in names])
    ax.set_xlabel(f"ms for {N:,} float64 elements (best of 5)")
    fig.tight_layout()
    bars_png = os.path.join(OUT, "08_kernel_timings.png")
    fig.savefig(bars_png)
    print("wrote", bars_png)
except ImportError:
    bars_png = None

# %% [markdown]
# ## Check

# %%
assert os.path.exists(os.path.join(ROOT, REDUCE)) and "with nogil:" in wrapper
assert "const floating[::1] x" in wrapper                   # a typed memoryview argument
assert "prange" in reduce_src and kernel_threads() >= 1
np.testing.assert_allclose(sums["sum_typed"], exact, rtol=1e-9)
np.testing.assert_allclose(sums["sum_right"], exact, rtol=1e-9)
np.testing.assert_allclose(sums["sum_chunks"], exact, rtol=1e-9)
assert again[0] == again[1] == again[2]                     # fixed chunks: the same bits
if team >= 2:                                               # the gotcha needs real threads
    assert abs(sums["sum_wrong"] - exact) > 1.0, sums
    np.testing.assert_allclose(sums["sum_wrong"], second_half, rtol=1e-9)
assert K.sum_wrong(x, 1) == K.sum_typed(x)                  # ...and hides with one thread
np.testing.assert_allclose(K.sum_python(x[:1000]), x[:1000].sum(), rtol=1e-12)
# axpy ran 1 + 5 times, numpy's update as often: the results agree
np.testing.assert_allclose(y_cython, y_numpy, rtol=1e-12, atol=1e-12)
try:
    K.axpy(1.0, x, y[:10])
    raise AssertionError("axpy accepted mismatched lengths")
except ValueError as e:
    assert "axpy" in str(e)
try:
    K.sum_typed(x.astype(np.float32))                       # memoryviews check the dtype
    raise AssertionError("sum_typed accepted float32")
except ValueError:
    pass
assert len(yellow["sum_python"]) == 3                                 # every line of it
for func in ("sum_typed", "sum_right", "axpy"):                       # loops are pure C
    assert not any(source[n - 1].strip().startswith(("for ", "total +=", "y[i]"))
                   for n in yellow[func]), (func, yellow[func])
assert all(source[n - 1].strip().startswith(("with nogil", "raise")) for n in yellow["axpy"])
assert os.path.exists(os.path.join(OUT, "08_cython_annotation.html"))
assert all(t > 0 for t in timings.values())
assert bars_png is None or os.path.exists(bars_png)
shutil.rmtree(work, ignore_errors=True)

# %% [markdown]
# ## Under the hood
#
# * `setup.py`: the compiler flags and directives of every minimx kernel, in one place;
#   `tools/build_kernel.sh NAME` rebuilds one module in place while you work on it.
# * `minimx/_kernels/cpu/__init__.py`: the CPU table starts as a copy of the numpy reference
#   (`minimx/_kernels/reference/`) and each Cython module replaces the kernels it implements. A
#   new kernel therefore starts life as a numpy function and is tested against it forever after.
# * `minimx/threads.py`: `kernel_threads()`, the share of cores a kernel may take now.
# * `minimx/_kernels/cpu/elemwise.pyx` and `im2col.pyx` show two more ways to split work over
#   `prange`: blocks of rows, and channels (`_im2col`: each channel writes only its own
#   output rows, so no two threads ever write the same memory).
# * `tests/test_op_table.py` runs every Cython kernel against its numpy reference on inputs drawn
#   by hypothesis (tutorial 10 shows it at work).
#
# NB: MXNet's CPU kernels are C++ (`mshadow` expression templates and OpenMP loops in
# `src/operator/`); the ideas are the same: release nothing, share no accumulator, test against
# a simple reference.
#
# ## Summary
#
# * A kernel = a `def` wrapper taking typed memoryviews + `with nogil:` + typed `cdef` loops.
# * `prange` needs OpenMP flags at compile and link time; threads come from `kernel_threads()`.
# * Inside `prange`, `s += v` is a reduction and `s = s + v` a private variable: a silent bug that
#   hides with one thread. Safer still: per-chunk partial results, combined afterwards.
# * `cython -a` shows where Python remains; no yellow inside loops.
# * Measure against numpy fairly (warm-up, best of several) and assert correctness, not speed.
#
# ## Exercises
#
# 1. Write `sum_wrong2`, which adds into `partial[0]` from every thread inside `prange`. Run it a
#    few times with 2 threads. Is it always wrong? Always wrong by the same amount? Why?
# 2. Read the reduction variable inside the loop of `sum_right` (`y[i] = total`). What does
#    Cython say when you compile it?
# 3. Give `sum_typed` four accumulators (`acc0 += x[i]; acc1 += x[i+1]; ...`) as `_row` in
#    `reduce.pyx` does. How does its speed compare with `np.sum` now?
# 4. Make `axpy` accept float32 as well with the fused type `floating` (as `reduce.pyx` does).
#    How many versions of the function does the HTML show?
# 5. Build with `boundscheck=True` (as `MINIMX_CYTHON_DEBUG=1` does) and call `axpy` with a `y`
#    that is one element short, skipping the length check. What happens, and what happens without
#    bounds checks?
