# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 10. Adding an op, end to end
#
# ## Goal
#
# Add a new operator to minimx and watch every layer pick it up: one declaration in the op table
# (shape rule, dtype rule, parameters, test domain), a gradient rule, a numpy reference kernel
# registered in the backends' kernel tables, a generated `mx.nd`-style wrapper, autograd, and
# finally the generated tests of `tests/` checking the new op (and catching two planted bugs).
#
# Our op is **squareplus** (Barron, 2021), a smooth ReLU made of nothing but a square root:
#
# $$\mathrm{squareplus}(x) = \frac{x + \sqrt{x^2 + b}}{2}, \qquad b > 0.$$
#
# It is not in MXNet, so we really are adding something. Time: about 40 minutes.

# %%
import inspect
import os
import sys
import tempfile

import numpy as np

import minimx as mx
from minimx import autograd
from minimx._kernels import get_backend
from minimx.ndarray.invoke import invoke
from minimx.ops import elemwise, gradutil_elemwise, opdef
from minimx.ops.opdef import REQUIRED, Domain, OpDef, Param, same_shape
from minimx.ops.params import Float
from minimx._kernels.reference import elemwise as reference_elemwise

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(mx.__file__)))


def where(obj):
    """'file:first-last' of a Python function or class, relative to the repository."""
    lines, first = inspect.getsourcelines(obj)
    path = os.path.relpath(inspect.getsourcefile(obj), ROOT)
    return f"{path}:{first}-{first + len(lines) - 1}"


def statement(path, start):
    """The top-level statement of a source file that begins with ``start``, and its line range."""
    with open(os.path.join(ROOT, path)) as f:
        text = f.read().splitlines()
    first = next(i for i, line in enumerate(text) if line.startswith(start))
    last = first + 1
    while last < len(text) and (text[last].startswith((" ", ")")) or not text[last].strip()):
        last += 1
    while not text[last - 1].strip():
        last -= 1
    return "\n".join(text[first:last]), f"{path}:{first + 1}-{last}"


# %% [markdown]
# ## Code
#
# ### How an existing op is made: `hard_sigmoid`
#
# `hard_sigmoid` (`out = clip(alpha * x + beta, 0, 1)`) is the smallest op with parameters. Three
# pieces of code make it, in three files:
#
# 1. **the declaration**, in `minimx/ops/elemwise.py`. `_unary` is a helper that calls
#    `OpDef(name, shape=same_shape, ...)`; the `OpDef` record (`minimx/ops/opdef.py`) holds the
#    parameters with MXNet's defaults, the shape rule (the output has the input's shape), the
#    dtype rule (`float_dtype`: floating point only), the gradient rule, a one-line formula for
#    the docstring and the `Domain` the generated tests draw inputs from;
# 2. **the gradient rule**, in `minimx/ops/gradutil_elemwise.py`, written with ops (`F` is
#    `mx.nd`), so that it is itself differentiable;
# 3. **the kernel**, in `minimx/_kernels/reference/elemwise.py`: numpy on buffers, listed in
#    that module's `KERNELS` table. The CPU backend copies the reference table and has no Cython
#    version of this op, so this function is what runs.

# %%
decl, decl_at = statement("minimx/ops/elemwise.py", "hard_sigmoid = _unary(")
print("declaration  ", decl_at)
print(decl)
print("\n_unary       ", where(elemwise._unary))
print("OpDef        ", where(opdef.OpDef))
print("grad rule    ", where(gradutil_elemwise.hard_sigmoid))
print(inspect.getsource(gradutil_elemwise.hard_sigmoid))
print("kernel       ", where(reference_elemwise.hard_sigmoid))
print(inspect.getsource(reference_elemwise.hard_sigmoid))
hs = opdef.get_op("hard_sigmoid")
print("kernel in the cpu table is the reference one:",
      get_backend("cpu").kernels["hard_sigmoid"] is reference_elemwise.hard_sigmoid)

# %% [markdown]
# ### Step 1: the reference kernel
#
# A kernel is `kernel(inputs, outputs, attrs)`: a tuple of numpy input buffers, a tuple of
# preallocated output buffers to write into, and the parsed parameters. It returns nothing. We
# compute in the input's dtype, as MXNet's elementwise kernels do.

# %%
def squareplus_kernel(ins, outs, attrs):
    """``out = (x + sqrt(x * x + b)) / 2`` in the input's dtype."""
    x = ins[0]
    b = x.dtype.type(attrs["b"])
    np.copyto(outs[0], (x + np.sqrt(x * x + b)) * x.dtype.type(0.5), casting="unsafe")


x_np = np.linspace(-3, 3, 7, dtype=np.float32)
out_np = np.empty_like(x_np)
squareplus_kernel((x_np,), (out_np,), {"b": 4.0})
print("squareplus on", x_np, "->", out_np)

# %% [markdown]
# ### Step 2: the gradient rule
#
# `grad(F, attrs, inputs, outputs, out_grads)` returns one gradient per input. The derivative is
# $\frac12\left(1 + \frac{x}{\sqrt{x^2+b}}\right)$. With $s = \sqrt{x^2+b}$ the output is
# $y = (x+s)/2$, so $s = 2y - x$ and the derivative is simply $y / s$: the rule can reuse the
# forward's output instead of computing the square root again. That is why rules receive
# `outputs` (the rule of `exp`, `out_grads[0] * outputs[0]`, does the same).

# %%
def squareplus_grad(F, attrs, inputs, outputs, out_grads):
    """d/dx squareplus(x) = y / (2y - x), from the output y."""
    x, y = inputs[0], outputs[0]
    return [out_grads[0] * y / (2.0 * y - x)]


# %% [markdown]
# ### Step 3: the declaration
#
# One `OpDef` call. Making it registers the op under its name in `minimx.ops.opdef.REGISTRY`, the
# table `invoke` and everything else read. (A declaration is made once: run this cell twice and
# `OpDef` refuses, "op 'squareplus' declared twice"; we remove a leftover first so the notebook can
# be re-run.)
#
# The `Domain` is part of the declaration: it tells the generated tests which dtypes the op
# supports, which parameter sets to try, and where to draw inputs. `hard_sigmoid`'s Domain keeps
# inputs `away_from` its kinks (x = +-2.5 for the default alpha = 0.2, beta = 0.5; +-2 for
# alpha = 0.25), where a finite difference straddles two slopes and means nothing. Squareplus is
# smooth everywhere, so the whole interval [-3, 3] is fair game.

# %%
opdef.REGISTRY.pop("squareplus", None)
squareplus_op = OpDef(
    "squareplus",
    params=(Param("b", Float, 4.0, "curvature near 0 (b > 0); b -> 0 gives relu"),),
    shape=same_shape,
    dtype=elemwise.float_dtype,
    kernel="squareplus",
    grad=squareplus_grad,
    formula="out = (data + sqrt(data^2 + b)) / 2",
    doc="Squareplus, a smooth ReLU built from a square root (Barron, 2021).",
    domain=Domain(low=-3.0, high=3.0, dtypes=("float32", "float64"), attrs=[{}, {"b": 1.0}]),
    family="tutorial",
)
print(opdef.get_op("squareplus"), "params:", squareplus_op.param_names,
      "defaults:", squareplus_op.parse({}))

# %% [markdown]
# ### Step 4: registering the kernel
#
# Each backend has a kernel table, a plain dict from kernel name to function:
# `get_backend("reference").kernels` (numpy) and `get_backend("cpu").kernels` (Cython where it
# exists, the reference otherwise). In the library the reference kernel goes into the `KERNELS`
# dict at the end of `minimx/_kernels/reference/elemwise.py`, and the CPU table picks it up when
# it is built. Here, at run time, we put it into both tables ourselves.
#
# NB: minimx has no public registration function for user ops (MXNet has `mx.operator.CustomOp`
# and `mx.operator.register`); writing into the tables is the honest way to do it at run time.

# %%
for backend_name in ("reference", "cpu"):
    get_backend(backend_name).kernels["squareplus"] = squareplus_kernel
print("cpu context runs on the", mx.cpu().backend.name, "backend")

# %% [markdown]
# ### Step 5: the `mx.nd` wrapper
#
# `mx.nd.hard_sigmoid` is not written by hand: `tools/gen_nd_api.py` writes it, with MXNet's
# signature and a docstring made from the declaration, into `minimx/ndarray/gen_elemwise.py`. Its
# body is one `invoke` call. We ask the generator for our op's wrapper and run the text it gives.
# (For a real op you run `python3 tools/gen_nd_api.py && python3 tools/gen_sym_api.py`, which
# rewrite the files, `mx.sym` included.)

# %%
try:
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import gen_nd_api
    wrapper_src = gen_nd_api._wrapper(squareplus_op, "_squareplus_op")
except ImportError:        # an installed minimx without the repository's tools/ folder
    wrapper_src = ('def squareplus(data=None, b=4.0, out=None, name=None, **kwargs):\n'
                   '    return invoke(_squareplus_op, (data,), '
                   '_squareplus_op.parse(dict(kwargs, b=b)), out)\n')
print(wrapper_src)
# (The docstring's last line names the family module the op would be declared in; ours lives in
# this file, so "minimx.ops.tutorial" does not exist.)
namespace = {"invoke": invoke, "_squareplus_op": squareplus_op, "REQUIRED": REQUIRED}
exec(wrapper_src, namespace)
squareplus = namespace["squareplus"]

# %% [markdown]
# ### Step 6: using it
#
# The new op now behaves like every other: asynchronous through the engine, shape and dtype
# rules checked at the call, parameters parsed with a clear error, autograd through the rule.

# %%
x = mx.nd.array(np.linspace(-3, 3, 13), dtype="float64")
y = squareplus(x)
y1 = squareplus(x, b=1.0)
print("squareplus(x)      =", y.asnumpy().round(4))
print("squareplus(x, b=1) =", y1.asnumpy().round(4))

x.attach_grad()
with autograd.record():
    z = squareplus(x)
z.backward()
xs = x.asnumpy()
expected_grad = 0.5 * (1 + xs / np.sqrt(xs ** 2 + 4.0))
print("gradient           =", x.grad.asnumpy().round(4))

errors = {}
for label, call in (("int32 input", lambda: squareplus(mx.nd.array([1, 2], dtype="int32"))),
                    ("bad parameter", lambda: squareplus(x, b="wide")),
                    ("unknown parameter", lambda: squareplus(x, beta=1.0))):
    try:
        call()
    except mx.MXNetError as e:
        errors[label] = str(e)
        print(f"{label}: {str(e).splitlines()[0]}")

# %% [markdown]
# And it works with higher-order gradients for free, because the rule is written with ops that
# have rules of their own: the second derivative is $\frac{b}{2(x^2+b)^{3/2}}$.

# %%
with autograd.record():
    z = squareplus(x)
    (g,) = autograd.grad(z, [x], create_graph=True)
g.backward()
second = x.grad.asnumpy()
print("second derivative  =", second.round(4))

# %% [markdown]
# ### Step 7: the generated tests check it
#
# `tests/` does not list ops: it *generates* its cases from the op table. For every op,
# `tests/test_op_table.py::test_op` draws inputs from the op's `Domain` with hypothesis
# (`tests/op_inputs.py`, `draw_inputs`) and checks that (1) `invoke` gives outputs of the shapes
# and dtypes the rules promise, (2) the CPU kernel agrees with the numpy reference, (3) inputs that
# are views into a larger buffer give the same result. `tests/test_op_grads.py` compares the
# gradient rule with central differences in float64, on both CPU backends.
#
# Our op is in the table now, so these very test functions can check it. We call them the way
# pytest would, for each dtype and parameter set of the Domain. (Both kernel tables hold the same
# function for now, so check 2 is trivially true; it starts to matter when a faster CPU kernel
# arrives, as the second planted bug below shows.)

# %%
HAVE_TESTS = os.path.exists(os.path.join(ROOT, "tests", "test_op_table.py"))
try:
    import hypothesis
    from hypothesis import settings
except ImportError:
    HAVE_TESTS = False
print("repository tests available:", HAVE_TESTS)
checked = []
if HAVE_TESTS:
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    # No example database in your working folder; the tests' own settings still apply.
    settings.register_profile("tutorial10", database=None, deadline=None)
    settings.load_profile("tutorial10")
    import test_op_grads
    import test_op_table
    from op_inputs import draw_inputs   # noqa: F401  (what test_op uses to draw the inputs)

    def cpu_context(backend):
        """A cpu context whose ops run on ``backend`` (the test's ``backend_ctx`` fixture)."""
        before = os.environ.get("MINIMX_BACKEND")
        os.environ["MINIMX_BACKEND"] = backend
        try:
            ctx = mx.Context("cpu", 0)
            assert ctx.backend.name == backend
        finally:
            if before is None:
                del os.environ["MINIMX_BACKEND"]
            else:
                os.environ["MINIMX_BACKEND"] = before
        return ctx

    for dtype in squareplus_op.domain.dtypes:
        for i in range(len(squareplus_op.domain.attrs)):
            test_op_table.test_op(squareplus_op, dtype, i)
            checked.append(f"test_op[squareplus-{dtype}-{i}]")
    for backend in ("cpu", "reference"):
        for i in range(1 if FAST else len(squareplus_op.domain.attrs)):
            test_op_grads.test_gradient_matches_central_differences(
                squareplus_op, i, backend_ctx=cpu_context(backend))
            checked.append(f"test_gradient_matches_central_differences[squareplus-{i}-{backend}]")
print("passed:", *checked, sep="\n  ")

# %% [markdown]
# Passing tests prove little until we have seen them fail. Two planted bugs:
#
# * a gradient rule that forgets the factor $\frac12$ hidden in $y/(2y-x)$;
# * a "faster" CPU kernel that is right only for $x \ge 0$: it uses $|x|$ inside, a typical slip
#   when copying a formula. The reference kernel stays correct, so test 2 (CPU == reference) sees
#   the difference as soon as hypothesis draws a negative number.

# %%
caught = {}
if HAVE_TESTS:
    def wrong_grad(F, attrs, inputs, outputs, out_grads):
        x, y = inputs[0], outputs[0]
        return [out_grads[0] * 2.0 * y / (2.0 * y - x)]

    squareplus_op.grad = wrong_grad
    try:
        rng = np.random.default_rng(0)
        test_op_grads.check_gradient(squareplus_op, squareplus_op.parse({}),
                                     [rng.uniform(-3, 3, (3, 4))], rng)
    except AssertionError as e:
        caught["gradient"] = str(e)
    finally:
        squareplus_op.grad = squareplus_grad

    def wrong_kernel(ins, outs, attrs):
        x = ins[0]
        b = x.dtype.type(attrs["b"])
        np.copyto(outs[0], (np.abs(x) + np.sqrt(x * x + b)) * x.dtype.type(0.5), casting="unsafe")

    get_backend("cpu").kernels["squareplus"] = wrong_kernel
    try:
        test_op_table.test_op(squareplus_op, "float64", 0)
    except AssertionError as e:
        caught["kernel"] = str(e)
    finally:
        get_backend("cpu").kernels["squareplus"] = squareplus_kernel
for what, message in caught.items():
    print(f"planted {what} bug caught:", next(line for line in message.splitlines()
                                            if "squareplus" in line))

# %% [markdown]
# ## Check

# %%
xs64 = np.linspace(-3, 3, 13)
np.testing.assert_allclose(y.asnumpy(), (xs64 + np.sqrt(xs64 ** 2 + 4)) / 2, rtol=1e-12)
np.testing.assert_allclose(y1.asnumpy(), (xs64 + np.sqrt(xs64 ** 2 + 1)) / 2, rtol=1e-12)
assert np.all(y.asnumpy() > 0) and np.all(np.diff(y.asnumpy()) > 0)   # positive, increasing
np.testing.assert_allclose(out_np, (x_np + np.sqrt(x_np ** 2 + 4)) / 2, rtol=1e-6)
assert out_np.dtype == np.float32
np.testing.assert_allclose(second, 4.0 / (2 * (xs64 ** 2 + 4.0) ** 1.5), rtol=1e-10)
assert opdef.get_op("squareplus") is squareplus_op and squareplus_op.parse({}) == {"b": 4.0}
assert squareplus_op.shape({}, (2, 3)) == (2, 3)
assert "squareplus" in errors["int32 input"] and "floating point" in errors["int32 input"]
assert "'b'" in errors["bad parameter"] and "beta" in errors["unknown parameter"]
assert "def squareplus(data=None, b=4.0" in wrapper_src and "invoke(" in wrapper_src
assert mx.cpu().backend.kernels["squareplus"] is squareplus_kernel
np.testing.assert_allclose(expected_grad, 0.5 * (1 + xs64 / np.sqrt(xs64 ** 2 + 4)))
if HAVE_TESTS:
    assert len(checked) == 4 + (2 if FAST else 4), checked
    assert set(caught) == {"gradient", "kernel"}, caught          # both planted bugs are caught
    assert "central differences" in caught["gradient"]
    assert "cpu and reference kernels disagree" in caught["kernel"]
    assert squareplus_op.grad is squareplus_grad                  # the bugs are gone again
    np.testing.assert_allclose(squareplus(mx.nd.array([-1.0])).asnumpy(), [(-1 + 5 ** 0.5) / 2],
                               rtol=1e-6)

# %% [markdown]
# ## Under the hood
#
# To add squareplus to minimx for good, the same pieces go into files instead of cells:
#
# 1. the declaration next to its relatives in `minimx/ops/elemwise.py` (a new family is a new
#    module, listed in `minimx/ops/__init__.py`'s `FAMILIES`);
# 2. the gradient rule in `minimx/ops/gradutil_elemwise.py`;
# 3. the kernel in `minimx/_kernels/reference/elemwise.py` and its `KERNELS` dict; optionally a
#    Cython kernel in `minimx/_kernels/cpu/` (tutorial 8) and an OpenCL one in
#    `minimx/_kernels/opencl/` (tutorial 9); without one, `mx.gpu()` runs the CPU kernel through
#    the host fallback (`minimx/_kernels/opencl/fallback.py`);
# 4. `python3 tools/gen_nd_api.py && python3 tools/gen_sym_api.py` to write `mx.nd.squareplus`
#    and `mx.sym.squareplus` (hybridize then traces it like any op);
# 5. `python3 -m pytest tests/test_op_table.py tests/test_op_grads.py -k squareplus`: the cases
#    appear by themselves.
#
# NB: MXNet declares an op in C++ with `NNVM_REGISTER_OP(name)` and attributes that play the same
# roles: `FInferShape`, `FInferType`, `FCompute<cpu>`, `FGradient`. Its Python route for user
# ops is `mx.operator.CustomOp`, which runs numpy code in callbacks; minimx has no such class.
#
# ## Summary
#
# * An op is one `OpDef`: name, parameters with defaults, shape and dtype rules, kernel name,
#   gradient rule, test domain, formula.
# * Kernels are plain functions over numpy buffers, one table per backend; the numpy reference is
#   the specification every faster kernel is tested against.
# * Gradient rules are written with ops, so higher-order gradients come free.
# * The tests are generated from the table: declaring the Domain is writing the tests. Plant a bug
#   to see them bite.
#
# ## Exercises
#
# 1. Add the parameter check `b > 0`: where should it go so that `squareplus(x, b=-1)` fails at
#    the call with an `MXNetError`? (Hint: shape rules may call `fail(message, hint)`.)
# 2. Write the rule from the input alone, `0.5 * (1 + x / F.sqrt(F.square(x) + b))`, and time
#    `backward` for both versions on a million elements.
# 3. Add `float16` to the Domain's dtypes. What does the kernel compute in, and does `test_op`
#    still pass? What tolerance does it use for float16?
# 4. Declare `squareplus_b`, which takes `b` as a second *input* array instead of a parameter,
#    with broadcasting (`shape=elemwise.broadcast_shape`) and a gradient for both inputs.
