"""The graph half of ``mx.test_utils``: check a symbol's forward and backward against expected arrays.

These are the helpers MXNet's own operator tests are written with::

    x = mx.sym.var('x'); y = mx.sym.exp(x)
    check_symbolic_forward(y, [np.zeros(3)], [np.ones(3)])
    check_symbolic_backward(y, [np.zeros(3)], [np.ones(3)], [np.ones(3)])

``mx.test_utils`` re-exports everything here.
"""
import os

import numpy as np

from . import autograd
from . import ndarray as nd
from .base import MXNetError
from .context import cpu
from .ndarray import NDArray

__all__ = ["check_symbolic_forward", "check_symbolic_backward", "simple_forward", "numeric_grad",
           "same_array", "assert_allclose", "assert_almost_equal_ignore_nan",
           "check_gluon_hybridize_consistency", "retry", "setenv", "getenv", "list_gpus",
           "new_orthonormal_matrix_2d", "compare_ndarray_tuple", "collapse_sum_like", "var_check"]


def _np(x):
    return x.asnumpy() if isinstance(x, NDArray) else np.asarray(x)


def _as_dict(names, values, what):
    if values is None:
        return {}
    if isinstance(values, dict):
        return {k: _np(v) for k, v in values.items()}
    if len(values) != len(names):
        raise MXNetError(f"{what}: got {len(values)} arrays for {len(names)} names {names}")
    return {n: _np(v) for n, v in zip(names, values)}


def _bind(sym, location, aux_states, ctx, dtype, grad_req="null"):
    ctx = ctx or cpu()
    args = {k: nd.array(v, ctx=ctx, dtype=dtype or v.dtype)
            for k, v in _as_dict(sym.list_arguments(), location, "location").items()}
    aux = {k: nd.array(v, ctx=ctx, dtype=dtype or v.dtype)
           for k, v in _as_dict(sym.list_auxiliary_states(), aux_states, "aux_states").items()}
    grads = None
    if grad_req != "null":
        grads = {k: nd.zeros(v.shape, ctx=ctx, dtype=v.dtype) for k, v in args.items()}
    return sym.bind(ctx, args, args_grad=grads, grad_req=grad_req, aux_states=aux)


def check_symbolic_forward(sym, location, expected, rtol=1e-4, atol=None, aux_states=None,
                           ctx=None, equal_nan=False, dtype=np.float32):
    """Run ``sym`` on ``location`` (list in ``list_arguments`` order, or dict) and compare outputs."""
    from .test_utils import assert_almost_equal
    ex = _bind(sym, location, aux_states, ctx, dtype)
    outputs = [o.asnumpy() for o in ex.forward(is_train=False)]
    expected = [expected[k] for k in sym.list_outputs()] if isinstance(expected, dict) else expected
    for name, out, exp in zip(sym.list_outputs(), outputs, expected):
        assert_almost_equal(out, _np(exp), rtol, atol, ("EXPECTED_%s" % name, "FORWARD_%s" % name),
                            equal_nan=equal_nan)
    return outputs


def check_symbolic_backward(sym, location, out_grads, expected, rtol=1e-5, atol=None,
                            aux_states=None, grad_req="write", ctx=None, grad_stypes=None,
                            equal_nan=False, dtype=np.float32):
    """Run forward and backward with ``out_grads``; compare the input gradients with ``expected``."""
    from .test_utils import assert_almost_equal
    ex = _bind(sym, location, aux_states, ctx, dtype, grad_req=grad_req)
    ex.forward(is_train=True)
    ex.backward([nd.array(_np(g), dtype=dtype or _np(g).dtype) for g in out_grads]
                if isinstance(out_grads, (list, tuple)) else
                [nd.array(_np(out_grads[k])) for k in sym.list_outputs()])
    expected = _as_dict(sym.list_arguments(), expected, "expected")
    grads = {k: v.asnumpy() for k, v in ex.grad_dict.items()}
    for name, exp in expected.items():
        assert_almost_equal(grads[name], exp, rtol, atol,
                            ("EXPECTED_%s" % name, "BACKWARD_%s" % name), equal_nan=equal_nan)
    return grads


def simple_forward(sym, ctx=None, is_train=False, **inputs):
    """The outputs of ``sym`` on numpy ``inputs`` as numpy arrays (one array if one output)."""
    ctx = ctx or cpu()
    feed = {k: nd.array(v, ctx=ctx) for k, v in inputs.items()}
    with autograd.pause(train_mode=is_train):
        outs = [o.asnumpy() for o in sym.eval(ctx=ctx, **feed)]
    return outs[0] if len(outs) == 1 else outs


def numeric_grad(executor, location, aux_states=None, eps=1e-4, use_forward_train=True,
                 dtype=np.float32):
    """Central finite differences of the sum of an executor's outputs w.r.t. each argument."""
    grads = {}
    for name, value in location.items():
        base = _np(value).astype(np.float64)
        g = np.zeros_like(base)
        for i in range(base.size):
            for sign in (1, -1):
                moved = base.copy().reshape(-1)
                moved[i] += sign * eps / 2
                executor.arg_dict[name][:] = moved.reshape(base.shape).astype(dtype)
                out = sum(o.asnumpy().astype(np.float64).sum()
                          for o in executor.forward(is_train=use_forward_train))
                g.reshape(-1)[i] += sign * out / eps
        executor.arg_dict[name][:] = base.astype(dtype)
        grads[name] = g
    return grads


def same_array(array1, array2):
    """Whether two NDArrays share their memory (a write through one shows in the other)."""
    if array1.shape != array2.shape:
        return False
    array1[:] += 1
    same = np.array_equal(array1.asnumpy(), array2.asnumpy())
    array1[:] -= 1
    return same


def assert_allclose(actual, desired, rtol=1e-7, atol=0, equal_nan=True, err_msg="", verbose=True):
    """numpy's ``assert_allclose`` on arrays or NDArrays."""
    np.testing.assert_allclose(_np(actual), _np(desired), rtol, atol, equal_nan, err_msg, verbose)


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=("a", "b")):
    """`assert_almost_equal` after setting both arrays to 0 where either is NaN."""
    from .test_utils import assert_almost_equal
    a, b = np.copy(_np(a)), np.copy(_np(b))
    nan = np.logical_or(np.isnan(a), np.isnan(b))
    a[nan] = 0
    b[nan] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def check_gluon_hybridize_consistency(net_builder, data_l, numpy_func=None, test_grad=True,
                                      rtol=1e-4, atol=1e-4):
    """The same network imperative and hybridized gives the same outputs (and input gradients)."""
    saved = None
    results = []
    for hybridize in (False, True):
        net = net_builder()
        if saved is None:
            net.initialize()
            net(*data_l)
            saved = [p.data().copy() for p in net.collect_params().values()]
        else:
            net.initialize()
            net(*data_l)
            for p, v in zip(net.collect_params().values(), saved):
                p.set_data(v)
            net.hybridize()
        inputs = [x.copy() for x in data_l]
        for x in inputs:
            x.attach_grad()
        with autograd.record():
            out = net(*inputs)
        outs = out if isinstance(out, (list, tuple)) else [out]
        if test_grad:
            autograd.backward(outs)
        results.append(([o.asnumpy() for o in outs],
                        [x.grad.asnumpy() for x in inputs] if test_grad else []))
    for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    if numpy_func is not None:
        expected = numpy_func(*[x.asnumpy() for x in data_l])
        expected = expected if isinstance(expected, (list, tuple)) else [expected]
        for a, b in zip(results[0][0], expected):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def retry(n):
    """Decorator: run a (flaky, random) test up to ``n`` times before failing."""
    def decorate(f):
        def wrapper(*args, **kwargs):
            for i in range(n):
                try:
                    return f(*args, **kwargs)
                except AssertionError:
                    if i == n - 1:
                        raise
        wrapper.__name__ = f.__name__
        return wrapper
    return decorate


def getenv(name):
    """An environment variable's value, or None."""
    return os.environ.get(name)


def setenv(name, value):
    """Set (or with None, unset) an environment variable."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = str(value)


def list_gpus():
    """Indices of the GPUs minimx can use (OpenCL devices)."""
    from .context import num_gpus
    return list(range(num_gpus()))


def new_orthonormal_matrix_2d(n):
    """A random ``n x n`` orthonormal matrix."""
    q, _ = np.linalg.qr(np.random.uniform(-1, 1, (n, n)))
    return q


def compare_ndarray_tuple(t1, t2, rtol=None, atol=None):
    """Compare two (nested) tuples of arrays."""
    from .test_utils import assert_almost_equal
    if t1 is None or t2 is None:
        return
    if isinstance(t1, tuple):
        for s1, s2 in zip(t1, t2):
            compare_ndarray_tuple(s1, s2, rtol, atol)
    else:
        assert_almost_equal(t1, t2, rtol=rtol, atol=atol)


def collapse_sum_like(a, shape):
    """Sum ``a`` down to ``shape`` (undo broadcasting), as a gradient of a broadcast is."""
    assert len(a.shape) >= len(shape)
    if np.prod(shape) == 0 or a.size == 0:
        return np.zeros(shape, dtype=a.dtype)
    axes = []
    lead = len(a.shape) - len(shape)
    for i, s in enumerate(a.shape):
        if i < lead or shape[i - lead] == 1 and s != 1:
            axes.append(i)
    return np.sum(a, axis=tuple(axes)).reshape(shape)


def var_check(generator, sigma, nsamples=1000000):
    """The variance of ``generator(nsamples)`` is within 3 standard errors of ``sigma**2``."""
    samples = np.array(generator(nsamples))
    sample_var = samples.var(ddof=1)
    ret = (sample_var > sigma ** 2 - 3 * np.sqrt(2 * sigma ** 4 / (nsamples - 1))) and \
          (sample_var < sigma ** 2 + 3 * np.sqrt(2 * sigma ** 4 / (nsamples - 1)))
    return ret
