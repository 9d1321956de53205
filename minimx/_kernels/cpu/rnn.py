"""The rnn family on the CPU backend: BLAS for the products, ``rnn_cell.pyx`` for each step's gates.

The algorithm is the numpy reference's (``_kernels/reference/rnn.py``, also the spec the tests
check against): the input half ``x @ W_i.T + b_i`` of every step is one GEMM up front, then per
step (in reverse when ``reverse``) one GEMM ``hp = h @ W_h.T`` and the pointwise gate work. What
differs is that work: the reference spends ~3/4 of an LSTM step in numpy temporaries (splits,
sigmoids through tanh, concatenates); here one fused Cython call per step (``rnn_cell``) reads
``xp[t]``, ``hp`` and ``b_h`` once and writes the new state straight into ``y[t]``, and each GEMM
writes into a preallocated buffer (``np.matmul(..., out=)``).

The backward needs each step's activations (s(i), s(f), tanh(g), s(o) and tanh(c) for LSTM;
r, z, n and h_n for GRU; the output alone for RNN). The op has no workspace output to carry them,
and it must stay correct when called alone, so the forward keeps them (for layers of up to
``KEEP_MAX_BYTES``) in a small process-wide store together with copies of its inputs, and the
backward takes them from there only when its forward inputs and attributes equal those copies
exactly; otherwise (called alone, inputs changed in place, evicted) it runs the forward again. This
saves the backward a third of its products; the price is that forwards never followed by a
backward (inference) leave up to ``KEEP_TOTAL_BYTES`` of activations in the store until evicted
(NB: MXNet's op returns a workspace output instead; an op output would be the cleaner carrier).
Then it walks the steps back with one fused call per step writing the gate gradients into
``dxp[t]`` and one GEMM ``dh = dhp @ W_h``. The weight gradients are one GEMM each over all
steps at the end: ``dW_h = dhp.T @ h_prev`` with ``h_prev`` the outputs shifted by one step (plus
``h0``), ``dW_h2r = dh_proj.T @ h_raw`` likewise.

Threads. A recurrent layer is a chain of small products (batch x hidden by hidden x gates, once
per step). Left to itself, BLAS starts a thread per core for each of them and spends longer
handing the work around than computing (50x slower on a busy two-core machine), and fights the
engine's workers for the cores. So ``gemm.limit_blas()`` pins BLAS to one thread, as for every
GEMM kernel of this backend. Where OpenBLAS lets ``blas_threads.blas_call`` raise the count for
one kernel, the layer asks the thread budget for as many threads as one step's product can use
(``gemm.threads_for``): with the engine idle, the 2x256 LSTM's 32x256x1024 products run on both
cores of a two-core machine. The gate kernels split the batch rows over OpenMP threads only for
large batches (``rnn_cell``).

float32 and float64 numpy inputs run here (strided views are copied first); anything else (other
dtypes, a 2-d ``x``, zero steps) falls back to the reference kernel.
"""
import os
import threading

import numpy as np

from ..reference.rnn import KERNELS as _REFERENCE
from ..reference.rnn import _unpack
from . import rnn_cell
from .blas_threads import blas_call
from .gemm import blas_threads, limit_blas, threads_for

__all__ = ["KERNELS", "KEEP_MAX_BYTES", "KEEP_TOTAL_BYTES"]

KEEP_MAX_BYTES = 64 << 20      # a forward larger than this keeps nothing: the backward recomputes
KEEP_TOTAL_BYTES = 128 << 20   # all kept forwards together; the oldest go first
_ATTRS = ("mode", "reverse", "projection_size", "lstm_state_clip_min", "lstm_state_clip_max")
_kept = []                     # [(signature, input copies, forward result, bytes)], oldest first
_kept_lock = threading.Lock()


def _forget_in_child():
    global _kept, _kept_lock
    _kept, _kept_lock = [], threading.Lock()     # a forked child: the lock may have been held


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def _prepared(arrays):
    """The arrays, C-contiguous (strided ones copied), when all are numpy arrays of one dtype,
    float32 or float64, and ``x`` is a non-empty (steps, batch, in) array; else None."""
    x = arrays[0]
    if type(x) is not np.ndarray or x.dtype not in (np.float32, np.float64) or x.ndim != 3 \
            or x.size == 0:
        return None
    if not all(type(a) is np.ndarray and a.dtype == x.dtype for a in arrays):
        return None
    return [np.ascontiguousarray(a) for a in arrays]


def _clip(attrs):
    lo, hi = attrs["lstm_state_clip_min"], attrs["lstm_state_clip_max"]
    clip = lo is not None and hi is not None
    return clip, (float(lo) if clip else 0.0), (float(hi) if clip else 0.0)


def _forward(ins, attrs, keep):
    """The forward loop: ``(y, processing order, c_T, caches)``; caches (per processing step
    ``k``) only when ``keep``."""
    x, wi, wh, bi, bh, h0, c0, wr = _unpack(ins, attrs)
    mode, (steps, batch) = attrs["mode"], x.shape[:2]
    dt, g = x.dtype, wi.shape[0]
    xp = np.matmul(x.reshape(steps * batch, -1), wi.T)
    xp += bi
    xp = xp.reshape(steps, batch, g)
    y = np.empty((steps, batch, h0.shape[1]), dt)
    hp = np.empty((batch, g), dt)
    order = range(steps - 1, -1, -1) if attrs["reverse"] else range(steps)
    clip, lo, hi = _clip(attrs)
    cache = {}
    c = None
    if mode == "lstm":
        n = g // 4
        if keep:
            cache["c"] = cs = np.empty((steps + 1, batch, n), dt)   # cs[k] = c before step k
            cs[0] = c0
            cache["act"] = np.empty((steps, batch, g), dt)
            cache["tc"] = np.empty((steps, batch, n), dt)
            cache["craw"] = np.empty((steps, batch, n), dt) if clip else None
            cache["hr"] = np.empty((steps, batch, n), dt) if wr is not None else None
        else:
            c = c0.copy()
            hr = np.empty((batch, n), dt) if wr is not None else None
            act, tc = np.empty((batch, g), dt), np.empty((batch, n), dt)    # scratch
    elif mode == "gru":
        if keep:
            cache["act"] = np.empty((steps, batch, g), dt)
            cache["hn"] = np.empty((steps, batch, g // 3), dt)
        else:
            act, hn = np.empty((batch, g), dt), np.empty((batch, g // 3), dt)
    h = h0
    for k, t in enumerate(order):
        np.matmul(h, wh.T, out=hp)
        if mode == "lstm":
            if keep:
                craw = cache["craw"][k] if clip else None
                hr = cache["hr"][k] if wr is not None else None
                rnn_cell.lstm_forward(xp[t], hp, bh, cs[k], cs[k + 1], y[t] if hr is None else hr,
                                      cache["act"][k], cache["tc"][k], craw, clip, lo, hi)
            else:
                rnn_cell.lstm_forward(xp[t], hp, bh, c, c, y[t] if hr is None else hr,
                                      act, tc, None, clip, lo, hi)
            if wr is not None:
                np.matmul(hr, wr.T, out=y[t])
        elif mode == "gru":
            rnn_cell.gru_forward(xp[t], hp, bh, h, y[t], cache["act"][k] if keep else act,
                                 cache["hn"][k] if keep else hn)
        else:
            rnn_cell.rnn_forward(mode == "rnn_relu", xp[t], hp, bh, y[t])
        h = y[t]
    if mode == "lstm" and keep:
        c = cs[steps]
    return y, order, c, cache


def _signature(ins, attrs):
    return tuple(attrs[k] for k in _ATTRS), tuple(a.shape for a in ins), ins[0].dtype.str


def _keep_bytes(ins, attrs):
    """The bytes a kept forward holds: its caches, ``y`` and the input copies."""
    x, wi, h0 = ins[0], ins[1], ins[5]
    steps, batch, g = x.shape[0], x.shape[1], wi.shape[0]
    per_step = batch * (2 * g + h0.shape[1])              # act (+ c, tc, hr for LSTM), y
    return (steps * per_step + sum(a.size for a in ins)) * x.itemsize


def _keep(ins, attrs, result, nbytes):
    entry = (_signature(ins, attrs), [a.copy() for a in ins], result, nbytes)
    with _kept_lock:
        _kept.append(entry)
        while sum(e[3] for e in _kept) > KEEP_TOTAL_BYTES:
            _kept.pop(0)


def _take(ins, attrs):
    """The kept forward whose inputs equal ``ins`` (removed from the store), else None."""
    sig = _signature(ins, attrs)
    with _kept_lock:
        candidates = [e for e in _kept if e[0] == sig]
    for entry in reversed(candidates):                  # the latest first
        if all(np.array_equal(a, b) for a, b in zip(entry[1], ins)):
            with _kept_lock:
                at = [i for i, e in enumerate(_kept) if e is entry]
                if not at:                              # another thread took it
                    continue
                del _kept[at[0]]
            return entry[2]
    return None


def rnn_layer(ins_given, outs, attrs):
    """``outs = (y, h_T[, c_T])``."""
    ins = _prepared(ins_given)
    if ins is None:
        return _REFERENCE["_rnn_layer"](ins_given, outs, attrs)
    nbytes = _keep_bytes(ins, attrs)
    keep = nbytes <= KEEP_MAX_BYTES
    result = _forward(ins, attrs, keep=keep)
    if keep:
        _keep(ins, attrs, result, nbytes)
    y, order, c, _ = result
    outs[0][...] = y
    outs[1][...] = y[order[-1]]
    if attrs["mode"] == "lstm":
        outs[2][...] = c


def backward_rnn_layer(ins_given, outs, attrs):
    """``ins`` = the forward's inputs, then ``dy, dh_T[, dc_T]``; ``outs`` = one gradient per
    forward input, in the same order."""
    ins = _prepared(ins_given)
    if ins is None:
        return _REFERENCE["_backward_rnn_layer"](ins_given, outs, attrs)
    mode, n_fwd = attrs["mode"], len(outs)
    fwd, grads = ins[:n_fwd], ins[n_fwd:]
    x, wi, wh, bi, bh, h0, c0, wr = _unpack(fwd, attrs)
    y, order, _, cache = _take(fwd, attrs) or _forward(fwd, attrs, keep=True)
    (steps, batch), g, dt = x.shape[:2], wi.shape[0], x.dtype
    clip, lo, hi = _clip(attrs)
    h_prev = np.empty_like(y)         # h_prev[t]: the state step t started from
    if attrs["reverse"]:
        h_prev[:-1], h_prev[-1] = y[1:], h0
    else:
        h_prev[1:], h_prev[0] = y[:-1], h0
    dy = grads[0]
    dxp = np.empty((steps, batch, g), dt)
    dhp = np.empty_like(dxp) if mode == "gru" else dxp     # the recurrent half's gate gradients
    dh_gemm = np.empty_like(h0)
    d_b, d_c = grads[1], None         # the gradient of h from later steps: dh_T, then dhp @ W_h
    if mode == "lstm":
        dc = grads[2].copy()
        if wr is not None:
            dproj = np.empty_like(y)           # per step: the gradient of the projected h
            dnh = np.empty((batch, wr.shape[1]), dt)
    elif mode == "gru":
        ddir = np.empty_like(h0)               # z * dh: reaches h_prev without W_h
    for k in range(steps - 1, -1, -1):
        t = order[k]
        if mode == "lstm":
            d_a = dy[t]
            if wr is not None:
                np.add(dy[t], d_b, out=dproj[k])
                np.matmul(dproj[k], wr, out=dnh)
                d_a, d_b = dnh, None
            rnn_cell.lstm_backward(d_a, d_b, dc, cache["act"][k], cache["c"][k], cache["tc"][k],
                                   cache["craw"][k] if clip else None, dxp[t], clip, lo, hi)
        elif mode == "gru":
            rnn_cell.gru_backward(dy[t], d_b, d_c, h_prev[t], cache["act"][k], cache["hn"][k],
                                  dxp[t], dhp[t], ddir)
            d_c = ddir
        else:
            rnn_cell.rnn_backward(mode == "rnn_relu", dy[t], d_b, y[t], dxp[t])
        np.matmul(dhp[t], wh, out=dh_gemm)
        d_b = dh_gemm
    flat = dxp.reshape(-1, g)
    flat_h = dhp.reshape(-1, g)
    outs[0][...] = np.matmul(flat, wi).reshape(x.shape)
    outs[1][...] = np.matmul(flat.T, x.reshape(flat.shape[0], -1))
    outs[2][...] = np.matmul(flat_h.T, h_prev.reshape(flat.shape[0], -1))
    outs[3][...] = flat.sum(axis=0)
    outs[4][...] = flat_h.sum(axis=0)
    outs[5][...] = dh_gemm + ddir if mode == "gru" else dh_gemm
    if mode == "lstm":
        outs[6][...] = dc
        if wr is not None:
            # dproj is in processing order k, like the kept h before projection.
            outs[7][...] = np.matmul(dproj.reshape(-1, dproj.shape[2]).T,
                                     cache["hr"].reshape(-1, wr.shape[1]))


def _budgeted_blas(kernel):
    def run(ins, outs, attrs):
        limit_blas()
        x, wh = ins[0], ins[2]
        batch = x.shape[1] if x.ndim == 3 else 1
        nthreads = threads_for(batch * wh.size, batch) if blas_threads() else 1
        if nthreads > 1:
            flops = x.shape[0] * batch * wh.size      # the recurrent products: what threads help
            blas_call(lambda: kernel(ins, outs, attrs), nthreads, flops, "rnn")
        else:
            kernel(ins, outs, attrs)
    run.__name__ = run.__qualname__ = kernel.__name__
    run.__doc__ = kernel.__doc__
    return run


KERNELS = {name: _budgeted_blas(kernel) for name, kernel in
           (("_rnn_layer", rnn_layer), ("_backward_rnn_layer", backward_rnn_layer))}
