"""``mx.test_utils``: MXNet 1.9.1's helpers for testing operators, on NDArrays.

Tolerances depend on the dtype as in MXNet (``default_rtols``/``default_atols``), and failures
report the worst elements. Two helpers differ in form, because minimx has no Symbol yet:

- ``check_numeric_gradient(f, location, ...)``: ``f`` is a callable over NDArrays that returns
  one NDArray (MXNet: a Symbol). ``location`` is a list (``f(*arrays)``) or a dict
  (``f(**arrays)``) of numpy arrays; ``aux_states`` (a list or dict) are passed after them, reset
  before every evaluation (the running statistics an op updates in place)::

      check_numeric_gradient(lambda x, w: mx.nd.dot(x, w), [np.ones((2, 3)), np.ones((3, 4))])

- ``check_consistency(f, ctx_list, ...)``: ``f`` is such a callable (or one per entry), and each
  entry of ``ctx_list`` is a Context, a backend name (``'cpu'``, ``'reference'``: run on that
  kernel backend) or MXNet's dict ``{'ctx': ..., 'backend': ..., '<arg>': shape, 'type_dict':
  {'<arg>': dtype}}``. Outputs and input gradients are compared with the most precise entry.
"""
import inspect
import numbers
import os
from contextlib import contextmanager

import numpy as np
import numpy.random as rnd
import numpy.testing as npt

from . import autograd
from .base import MXNetError
from .context import Context, current_context
from .engine import wait_all
from .ndarray import NDArray, array

__all__ = ["default_context", "set_default_context", "default_dtype", "default_rtols", "default_atols",
           "default_numeric_eps", "effective_dtype", "get_tolerance", "get_rtol", "get_atol", "get_etol",
           "get_tols", "random_arrays", "rand_shape_2d", "rand_shape_3d", "rand_shape_nd", "rand_ndarray",
           "np_reduce", "same", "almost_equal", "checkShapes", "locationError", "assert_almost_equal",
           "assert_exception", "environment", "check_numeric_gradient", "check_consistency"]


# -- contexts, dtypes and tolerances ---------------------------------------------------------------
def default_context():
    """Get default context for regression test (the current context)."""
    return current_context()


def set_default_context(ctx):
    """Set default context (for this thread, as ``with ctx:`` does)."""
    Context._default.value = ctx


def default_dtype():
    """Get default data type for regression test."""
    return np.float32


def default_rtols():
    """Get default relative tolerances for data comparisons involving each data type."""
    return {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-5,
            np.dtype(np.bool_): 0, np.dtype(np.int8): 0, np.dtype(np.uint8): 0, np.dtype(np.int32): 0,
            np.dtype(np.uint32): 0, np.dtype(np.int64): 0, np.dtype(np.uint64): 0}


def default_atols():
    """Get default absolute tolerances for data comparisons involving each data type."""
    return {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-20,
            np.dtype(np.bool_): 0, np.dtype(np.int8): 0, np.dtype(np.uint8): 0, np.dtype(np.int32): 0,
            np.dtype(np.uint32): 0, np.dtype(np.int64): 0, np.dtype(np.uint64): 0}


def default_numeric_eps():
    """Get default epsilon for finite difference gradient calculations with data type (powers of
    two: no bits are lost when added to an input)."""
    return {np.dtype(np.float16): 1.0 / 2**6, np.dtype(np.float32): 1.0 / 2**9,
            np.dtype(np.float64): 1.0 / 2**14}


def effective_dtype(dat):
    """The dtype that decides the tolerance of comparisons involving ``dat``.

    NB: MXNet returns float16 for float32 data on GPUs whose TensorFloat-32 trims the mantissa;
    minimx has no such device, so it is ``dat``'s dtype.
    """
    return np.dtype(dat.dtype)


def get_tolerance(dat, tol, default_tol):
    """``tol`` if it is a number, else ``tol[dtype]`` (a dict) or ``default_tol[dtype]``."""
    if isinstance(tol, numbers.Number):
        return tol
    dtype = effective_dtype(dat)
    tol = {} if tol is None else tol
    return tol.get(dtype, default_tol[dtype])


def get_rtol(rtol=None, dtype=np.dtype(np.float64)):
    """Get default numerical threshold for regression test."""
    return default_rtols()[dtype] if rtol is None else rtol


def get_atol(atol=None, dtype=np.dtype(np.float64)):
    """Get default numerical threshold for regression test."""
    return default_atols()[dtype] if atol is None else atol


def get_etol(etol=None):
    """Get default fraction of mismatching elements allowed (0)."""
    return 0 if etol is None else etol


def get_tols(x, y, rtol, atol):
    """The tolerances to compare ``x`` with ``y``: the given ones, else the larger default of
    the two dtypes."""
    x = np.array(x) if isinstance(x, numbers.Number) else x
    y = np.array(y) if isinstance(y, numbers.Number) else y
    rtol = max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols()))
    atol = max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols()))
    return rtol, atol


# -- random data -----------------------------------------------------------------------------------
def random_arrays(*shapes):
    """Generate some random numpy arrays (float32, standard normal); one array for one shape."""
    arrays = [np.array(np.random.randn(), dtype=default_dtype()) if len(s) == 0
              else np.random.randn(*s).astype(default_dtype()) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    low = 0 if allow_zero_size else 1
    return rnd.randint(low, dim0 + 1), rnd.randint(low, dim1 + 1)


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    low = 0 if allow_zero_size else 1
    return rnd.randint(low, dim0 + 1), rnd.randint(low, dim1 + 1), rnd.randint(low, dim2 + 1)


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    low = 0 if allow_zero_size else 1
    return tuple(int(s) for s in rnd.randint(low, dim + 1, size=num_dim))


def rand_ndarray(shape, stype="default", density=None, dtype=None, modifier_func=None,
                 shuffle_csr_indices=False, distribution=None, ctx=None):
    """A random dense NDArray of ``shape`` (standard normal values, as MXNet's dense case).

    NB: MXNet also makes sparse 'csr' and 'row_sparse' arrays here (``density``,
    ``modifier_func``, ``shuffle_csr_indices`` and ``distribution`` are for those); minimx has
    dense arrays only and raises for them.
    """
    if stype != "default":
        raise MXNetError(f"rand_ndarray: stype={stype!r} is a sparse storage type, and minimx has "
                         "dense arrays only: use stype='default'")
    return array(random_arrays(shape), dtype=dtype, ctx=ctx or default_context())


def np_reduce(dat, axis, keepdims, numpy_reduce_func):
    """Reduce ``dat`` over ``axis`` (None, an int or a list) one axis at a time with a numpy
    reduction such as ``np.sum``; ``keepdims`` keeps the reduced axes with size 1."""
    if isinstance(axis, int):
        axis = [axis]
    else:
        axis = list(axis) if axis is not None else range(len(dat.shape))
    ret = dat
    for i in reversed(sorted(axis)):
        ret = numpy_reduce_func(ret, axis=i)
    if keepdims:
        keepdims_shape = list(dat.shape)
        for i in axis:
            keepdims_shape[i] = 1
        ret = ret.reshape(tuple(keepdims_shape))
    return ret


# -- comparisons ---------------------------------------------------------------------------------
def _numpy(x):
    return x.asnumpy() if isinstance(x, NDArray) else x


def same(a, b):
    """Test if two arrays (numpy or NDArray) are the same: equal shapes and elements."""
    return np.array_equal(_numpy(a), _numpy(b))


def checkShapes(a, b):
    if a.shape != b.shape:
        raise AssertionError(npt.build_err_msg(
            [a, b], err_msg=f"a.shape = {a.shape} and b.shape = {b.shape} are not equal"))


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """Test if two arrays are almost equal: ``|a - b| <= atol + rtol * |b|`` everywhere.

    NB: as in MXNet, the default tolerances here are float64's whatever the dtype (1e-5, 1e-20);
    ``assert_almost_equal`` picks them by dtype.
    """
    a, b = _numpy(a), _numpy(b)
    if not use_broadcast:
        checkShapes(a, b)
    return np.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol), equal_nan=equal_nan)


def locationError(a, b, index, names, maxError=False):
    """A line naming one mismatching element and both of its values."""
    maximum = "maximum " if maxError else ""
    return "Location of %serror: %s, %s=%.8f, %s=%.8f" % (maximum, str(index), names[0], a[index],
                                                          names[1], b[index])


def _find_max_violation(a, b, rtol, atol):
    """The index of the element furthest outside the tolerance, and by how many tolerances."""
    absdiff = np.where(np.equal(a, b), 0, np.abs(a - b))      # inf == inf, as np.allclose
    violation = absdiff / (atol + rtol * np.abs(b) + 1e-20)
    loc = np.argmax(violation)
    return tuple(int(i) for i in np.unravel_index(loc, violation.shape)), np.max(violation)


def assert_almost_equal(a, b, rtol=None, atol=None, names=("a", "b"), equal_nan=False,
                        use_broadcast=True, mismatches=(10, 10)):
    """Test that two arrays (numpy or NDArray) are almost equal; raise AssertionError if not.

    ``rtol``/``atol``: a number, a dict dtype -> number, or None (the larger of both dtypes'
    defaults, ``default_rtols()``/``default_atols()``). The message reports up to
    ``mismatches[0]`` of the worst elements (searching at most ``mismatches[1]``), the share of
    mismatching elements and both arrays. NB: MXNet prints the list of worst elements to stdout;
    minimx puts it in the message.
    """
    if not use_broadcast:
        checkShapes(a, b)
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = np.asarray(_numpy(a)), np.asarray(_numpy(b))
    if a.dtype == np.bool_ and b.dtype == np.bool_:
        np.testing.assert_equal(a, b)
        return
    if almost_equal(a, b, rtol, atol, equal_nan=equal_nan):
        return
    a, b = np.broadcast_arrays(a, b)
    index, rel = _find_max_violation(a, b, rtol, atol)
    lines = [f"*** Maximum errors for vector of size {a.size}:  rtol={rtol}, atol={atol}"]
    a_tmp, b_tmp = a.astype(np.float64), b.astype(np.float64)
    worst_index, worst, i = index, rel, 1
    while i <= a.size:
        if i <= mismatches[0]:
            lines.append("%3d: Error %f  %s" % (i, rel, locationError(a, b, index, names)))
        a_tmp[index] = b_tmp[index] = 0
        if almost_equal(a_tmp, b_tmp, rtol, atol, equal_nan=equal_nan):
            break
        i += 1
        if i <= mismatches[1] or mismatches[1] <= 0:
            index, rel = _find_max_violation(a_tmp, b_tmp, rtol, atol)
        else:
            break
    degree = "at least " if 0 < mismatches[1] < i else ""
    message = ("Error %f exceeds tolerance rtol=%e, atol=%e (mismatch %s%f%%).\n%s\n%s"
               % (worst, rtol, atol, degree, 100 * i / a.size,
                  locationError(a, b, worst_index, names, maxError=True), "\n".join(lines)))
    with np.printoptions(threshold=4, suppress=True):
        raise AssertionError(npt.build_err_msg([a, b], err_msg=message))


def assert_exception(f, exception_type, *args, **kwargs):
    """Test that ``f(*args, **kwargs)`` raises ``exception_type``."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)} did not raise {exception_type.__name__}")


@contextmanager
def environment(*args):
    """Set environment variables for the body of a ``with`` block, and restore them after (even
    on an exception). ``environment(name, value)`` or ``environment({name: value, ...})``; a value
    of None unsets the variable. Pending work is finished before the old values return."""
    if len(args) == 1 and isinstance(args[0], dict):
        env_vars = args[0]
    else:
        if len(args) != 2:
            raise ValueError("environment: expecting one dict, or a name and a value")
        env_vars = {args[0]: args[1]}
    snapshot = {name: os.environ.get(name) for name in env_vars}

    def set_environ(values):
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    set_environ(env_vars)
    try:
        yield
    finally:
        wait_all()            # ops pushed inside the block may still read the variables
        set_environ(snapshot)


# -- gradients and consistency ---------------------------------------------------------------------
def _callable(f, who):
    if not callable(f):
        raise MXNetError(f"{who}: minimx has no Symbol yet; pass a callable over NDArrays "
                         "(e.g. lambda x, w: mx.nd.dot(x, w)) instead of {type(f).__name__}")


def _names_and_values(f, location):
    """``(names, numpy values, by_name)``: a dict keeps its names; a list is named after the
    callable's parameters where it has them (else arg0, arg1, ...)."""
    if isinstance(location, dict):
        return list(location), [np.asarray(v) for v in location.values()], True
    try:
        params = [p.name for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [params[i] if i < len(params) else f"arg{i}" for i in range(len(location))]
    return names, [np.asarray(v) for v in location], False


def _call(f, names, arrays, by_name, aux):
    """``f`` on the arguments (by keyword for a dict location), then the aux states (by keyword
    when given as a dict, else positionally after the arguments)."""
    keywords = dict(aux) if isinstance(aux, dict) else {}
    extra = [] if isinstance(aux, dict) else list(aux)
    if by_name:
        keywords.update(zip(names, arrays))
        return f(*extra, **keywords)
    return f(*arrays, *extra, **keywords)


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=None, rtol=None, atol=None,
                           grad_nodes=None, use_forward_train=True, ctx=None, grad_stype_dict=None,
                           dtype=np.float32):
    """Verify a computation's backward pass against central finite differences.

    Parameters
    ----------
    sym : callable
        ``f(*arrays)`` (``f(**arrays)`` when ``location`` is a dict) returning one NDArray.
        NB: MXNet takes a Symbol here; minimx has none yet.
    location : list or dict of numpy.ndarray
        The point where the gradient is checked, one array per argument of ``f``.
    aux_states : list or dict of numpy.ndarray, optional
        Passed after the arguments and reset before every evaluation (states an op updates).
    numeric_eps : float, optional
        The finite-difference step (default by dtype: ``default_numeric_eps()``).
    rtol, atol : float, optional
        Tolerances (default by dtype).
    grad_nodes : list or dict, optional
        Names of the arguments to check (default: all); a dict maps names to 'write', 'add' or
        'null' grad_req.
    use_forward_train : bool
        Evaluate the finite differences in training mode.
    ctx : Context, optional
    grad_stype_dict : dict, optional
        Unused: gradients are dense in minimx.
    dtype : np.float16, np.float32 or np.float64

    The check, as in MXNet: ``loss = sum(f(x) * proj)`` with a random ``proj`` in [0.1, 1.1);
    its gradient by autograd is compared with ``(loss(x + eps/2) - loss(x - eps/2)) / eps``
    element by element.
    """
    _callable(sym, "check_numeric_gradient")
    if dtype not in (np.float16, np.float32, np.float64):
        raise ValueError(f"check_numeric_gradient: dtype must be float16, 32 or 64, got {dtype}")
    ctx = ctx or default_context()
    names, values, by_name = _names_and_values(sym, location)
    values = [np.ascontiguousarray(v, dtype=dtype) for v in values]
    if grad_nodes is None:
        grad_req = {n: "write" for n in names}
    elif isinstance(grad_nodes, dict):
        grad_req = dict(grad_nodes)
    else:
        grad_req = {n: "write" for n in grad_nodes}
    unknown = [n for n in grad_req if n not in names]
    if unknown:
        raise MXNetError(f"check_numeric_gradient: grad_nodes {unknown} are not among the "
                         f"arguments {names}")

    def aux():
        if isinstance(aux_states, dict):
            return {n: array(v, dtype=dtype, ctx=ctx) for n, v in aux_states.items()}
        return [array(v, dtype=dtype, ctx=ctx) for v in aux_states or ()]

    arrays = [array(v, dtype=dtype, ctx=ctx) for v in values]
    before = {}
    for name, x in zip(names, arrays):
        if name in grad_req:
            x.attach_grad(grad_req[name])
            before[name] = np.random.normal(0, 0.01, size=x.shape)
            x.grad[:] = before[name]
    with autograd.record(train_mode=True):
        out = _call(sym, names, arrays, by_name, aux())
    if isinstance(out, (list, tuple)):
        if len(out) != 1:
            raise MXNetError(f"check_numeric_gradient: f returned {len(out)} outputs; it must "
                             "return one (as MXNet asserts)")
        out = out[0]
    proj = np.random.rand(*out.shape) + 0.1
    out.backward(array(proj, dtype=out.dtype, ctx=ctx))
    eps = get_tolerance(out, numeric_eps, default_numeric_eps())
    if dtype in (np.float32, np.float16) and eps < 1e-5:
        raise ValueError(f"numeric_eps={eps} is too small for {np.dtype(dtype).name} finite "
                         "differences; use at least 1e-5")

    def loss(point):
        mode = autograd.train_mode() if use_forward_train else autograd.predict_mode()
        with mode:
            y = _call(sym, names, [array(v, dtype=dtype, ctx=ctx) for v in point], by_name, aux())
        y = y[0] if isinstance(y, (list, tuple)) else y
        return (y.asnumpy().astype(np.float64) * proj).sum()

    for k, (name, value) in enumerate(zip(names, values)):
        if name not in grad_req or value.dtype.kind != "f":
            continue
        numeric = np.zeros(value.shape, dtype=np.float64)
        for i in range(value.size):
            point = [v.copy() for v in values]
            point[k].reshape(-1)[i] += eps / 2
            plus = loss(point)
            point[k].reshape(-1)[i] -= eps
            numeric.reshape(-1)[i] = (plus - loss(point)) / eps
        got = arrays[k].grad.asnumpy()
        req = grad_req[name]
        if req == "add":
            got = got - before[name]
        elif req == "null":
            numeric = before[name]
        elif req != "write":
            raise ValueError(f"Invalid grad_req {req} for argument {name}")
        assert_almost_equal(numeric.astype(dtype), got, rtol, atol,
                            ("NUMERICAL_%s" % name, "BACKWARD_%s" % name))


def _consistency_entry(entry, arg_params):
    """``(context, shapes, dtypes)`` of one entry of check_consistency's ``ctx_list``."""
    if isinstance(entry, dict):
        entry = dict(entry)
        ctx, backend = entry.pop("ctx", None), entry.pop("backend", None)
        types = entry.pop("type_dict", {})
        shapes = entry
    else:
        ctx, backend = (None, entry) if isinstance(entry, str) else (entry, None)
        shapes, types = {}, {}
    ctx = Context(ctx or default_context())      # a fresh object: it looks its backend up anew
    if backend is not None:
        with environment("MINIMX_BACKEND", backend):
            ctx.backend                          # noqa: B018  (resolved and kept under the variable)
    names = list(shapes) or list(arg_params)
    if not names:
        raise MXNetError("check_consistency: give the arguments' shapes in ctx_list's dicts, or "
                         "their values in arg_params")
    shapes = {n: tuple(shapes.get(n, np.shape(arg_params.get(n)))) for n in names}
    return ctx, shapes, {n: np.dtype(types.get(n, np.float32)) for n in names}


def check_consistency(sym, ctx_list, scale=1.0, grad_req="write", arg_params=None, aux_params=None,
                      rtol=None, atol=None, raise_on_err=True, ground_truth=None, equal_nan=False,
                      use_uniform=False, rand_type=np.float64):
    """Check that a computation gives the same outputs and input gradients on several contexts,
    backends or dtypes; compared with the entry of the most precise output (or ``ground_truth``,
    a dict of 'output<i>' and argument names to arrays). Returns that ground truth.

    ``sym`` is a callable over NDArrays called by keyword (or one per entry). NB: MXNet takes a
    Symbol. Inputs are drawn (normal with std ``scale``, or uniform in +-0.92 ``scale``) unless
    ``arg_params`` gives them; ``aux_params`` are passed by keyword too. The backward pass of every
    entry gets the first entry's outputs, cast to the least precise dtype, as head gradients.
    """
    if len(ctx_list) < 2:
        raise ValueError("check_consistency needs at least 2 entries in ctx_list")
    funcs = list(sym) if isinstance(sym, (list, tuple)) else [sym] * len(ctx_list)
    for f in funcs:
        _callable(f, "check_consistency")
    arg_params = dict(arg_params or {})
    entries = [_consistency_entry(e, arg_params) for e in ctx_list]
    for name, shape in sorted(entries[0][1].items()):
        if name not in arg_params:
            arg_params[name] = (np.random.uniform(-0.92 * scale, 0.92 * scale, size=shape)
                                if use_uniform else np.random.normal(size=shape, scale=scale)
                                ).astype(rand_type)
    aux_params = aux_params or {}

    def run(f, ctx, shapes, types, train):
        args = {n: array(arg_params[n], dtype=types[n], ctx=ctx) for n in shapes}
        aux = {n: array(v, ctx=ctx) for n, v in aux_params.items()}
        if train and grad_req != "null":
            for x in args.values():
                x.attach_grad(grad_req)
        with autograd.record(train_mode=train) if train else autograd.predict_mode():
            outs = f(**args, **aux)
        return (list(outs) if isinstance(outs, (list, tuple)) else [outs]), args

    results = [run(f, *e, train=False)[0] for f, e in zip(funcs, entries)]
    gt_idx = int(np.argmax([np.dtype(r[0].dtype).itemsize for r in results]))
    if ground_truth is None:
        gt = {f"output{i}": o.asnumpy() for i, o in enumerate(results[gt_idx])}
    else:
        gt = dict(ground_truth)

    def compare(i, name, got):
        try:
            assert_almost_equal(got, gt[name], rtol=rtol, atol=atol, equal_nan=equal_nan,
                                names=(f"ctx{i}_{name}", f"ctx{gt_idx}_{name}"))
        except AssertionError:
            if raise_on_err:
                raise
            print(f"check_consistency: {name} of entry {i} differs from entry {gt_idx}")

    for i, outs in enumerate(results):
        if i != gt_idx or ground_truth is not None:
            for k, o in enumerate(outs):
                compare(i, f"output{k}", o)
    if grad_req == "null":
        return gt
    runs = [run(f, *e, train=True) for f, e in zip(funcs, entries)]
    least = [min((r[0][k].dtype for r in runs), key=lambda d: np.dtype(d).itemsize)
             for k in range(len(runs[0][0]))]
    golden = [o.asnumpy().astype(d) for o, d in zip(runs[0][0], least)]
    for outs, args in runs:
        autograd.backward(outs, [array(g, dtype=o.dtype, ctx=o.context) for g, o in zip(golden, outs)])
    if ground_truth is None:
        gt.update({n: x.grad.asnumpy() for n, x in runs[gt_idx][1].items()})
    for i, (_, args) in enumerate(runs):
        if i != gt_idx or ground_truth is not None:
            for name, x in args.items():
                if name in gt:
                    compare(i, name, x.grad.asnumpy())
    return gt


# The graph half (check_symbolic_forward/backward, simple_forward, ...) lives in its own file.
from .test_utils_symbolic import (  # noqa: E402
    assert_allclose, assert_almost_equal_ignore_nan, check_gluon_hybridize_consistency,
    check_symbolic_backward, check_symbolic_forward, collapse_sum_like, compare_ndarray_tuple,
    getenv, list_gpus, new_orthonormal_matrix_2d, numeric_grad, retry, same_array, setenv,
    simple_forward, var_check,
)
from . import test_utils_symbolic as _symbolic  # noqa: E402

__all__ += _symbolic.__all__
