"""The CPU recurrent-layer kernels (``_kernels/cpu/rnn.py`` + ``rnn_cell.pyx``) against the numpy
reference kernels (``_kernels/reference/rnn.py``, the spec), forward and backward, every mode."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minimx._kernels.cpu import rnn as cpu_rnn
from minimx._kernels.cpu import rnn_cell
from minimx._kernels.reference.rnn import KERNELS as REF

GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
TOL = {np.float32: 1e-5, np.float64: 1e-12}


def make_inputs(rng, mode, steps, batch, inp, hidden, proj, dtype, scale=1.0):
    g, p = GATES[mode] * hidden, proj or hidden
    shapes = [(steps, batch, inp), (g, inp), (g, p), (g,), (g,), (batch, p)]
    if mode == "lstm":
        shapes.append((batch, hidden))
        if proj:
            shapes.append((proj, hidden))
    return [(scale * rng.standard_normal(s)).astype(dtype) for s in shapes]


def make_attrs(mode, reverse=False, proj=None, clip=None, hidden=None):
    return dict(mode=mode, reverse=reverse, projection_size=proj, state_size=hidden,
                lstm_state_clip_min=None if clip is None else -clip,
                lstm_state_clip_max=None if clip is None else clip)


def forward(kernels, ins, attrs):
    x, h0 = ins[0], ins[5]
    outs = [np.full((x.shape[0], x.shape[1], h0.shape[1]), np.nan, x.dtype), np.full_like(h0, np.nan)]
    if attrs["mode"] == "lstm":
        outs.append(np.full_like(ins[6], np.nan))
    kernels["_rnn_layer"](ins, outs, attrs)
    return outs


def backward(kernels, ins, grads, attrs):
    outs = [np.full_like(a, np.nan) for a in ins]
    kernels["_backward_rnn_layer"](list(ins) + list(grads), outs, attrs)
    return outs


def assert_close(got, want, dtype):
    tol = TOL[dtype]
    for i, (a, b) in enumerate(zip(got, want)):
        assert a.dtype == b.dtype and a.shape == b.shape, i
        scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * scale, err_msg=f"output {i}")


def check_layer(ins, attrs, rng, alone=False):
    """Forward and backward of the CPU kernels equal the reference's; ``alone``: the backward
    finds no kept forward (it must run the forward itself)."""
    dtype = ins[0].dtype.type
    got = forward(cpu_rnn.KERNELS, ins, attrs)
    want = forward(REF, ins, attrs)
    assert_close(got, want, dtype)
    grads = [rng.standard_normal(o.shape).astype(dtype) for o in want]
    if alone:
        cpu_rnn._kept.clear()
    assert_close(backward(cpu_rnn.KERNELS, ins, grads, attrs), backward(REF, ins, grads, attrs),
                 dtype)


@given(mode=st.sampled_from(sorted(GATES)), reverse=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), steps=st.integers(1, 5),
       batch=st.integers(1, 6), inp=st.integers(1, 5), hidden=st.integers(1, 7),
       proj=st.one_of(st.none(), st.integers(1, 4)), clip=st.one_of(st.none(), st.floats(0.1, 2)),
       alone=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_layer_matches_reference(mode, reverse, dtype, steps, batch, inp, hidden, proj, clip,
                                 alone, seed):
    if mode != "lstm":
        proj = clip = None
    rng = np.random.default_rng(seed)
    ins = make_inputs(rng, mode, steps, batch, inp, hidden, proj, dtype)
    check_layer(ins, make_attrs(mode, reverse, proj, clip, hidden), rng, alone)


@pytest.mark.parametrize("mode", sorted(GATES))
def test_many_rows_use_threads(mode):
    """Batch x gates above the OpenMP threshold: rows split over threads, same results."""
    rng = np.random.default_rng(3)
    hidden = 65536 // (48 * GATES[mode]) + 1
    ins = make_inputs(rng, mode, 3, 48, 4, hidden, None, np.float32)
    ins[2] /= np.float32(np.sqrt(hidden))     # as initialisers do: a sum of 1000+ O(1) terms
    check_layer(ins, make_attrs(mode, reverse=True, hidden=hidden), rng)


@pytest.mark.parametrize("mode", sorted(GATES))
def test_saturated_and_nan_values(mode):
    """Pre-activations of +-100 saturate as numpy's do; a NaN input propagates where numpy's does."""
    rng = np.random.default_rng(5)
    ins = make_inputs(rng, mode, 3, 2, 3, 4, None, np.float32, scale=60.0)
    check_layer(ins, make_attrs(mode, clip=3.0 if mode == "lstm" else None, hidden=4), rng)
    ins[0][1, 0, 0] = np.nan
    got, want = forward(cpu_rnn.KERNELS, ins, make_attrs(mode, hidden=4)), \
        forward(REF, ins, make_attrs(mode, hidden=4))
    for a, b in zip(got, want):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gate_functions_accuracy(dtype):
    """rnn_tanh's gate (x + 0 + 0 -> tanh) against np.tanh over the whole range, and the LSTM
    gates' sigmoid through the input gate: within a few units in the last place."""
    x = np.concatenate([np.linspace(-20, 20, 4001), np.geomspace(1e-30, 0.5, 500),
                        -np.geomspace(1e-30, 0.5, 500), [0.0, 0.17328, 0.17329, 0.34657, 88, 200]])
    x = x.astype(dtype).reshape(1, -1)
    zero = np.zeros_like(x)
    out = np.empty_like(x)
    rnn_cell.rnn_forward(False, x, zero, zero[0], out)
    want = np.tanh(x.astype(np.float64))
    ulps = np.abs(out - want) / np.spacing(np.abs(want).astype(dtype))
    assert np.max(ulps[want != 0]) <= 4
    n = x.shape[1]                       # the input gate's s(x), read from the activations
    xp = np.zeros((1, 4 * n), dtype)
    xp[0, :n] = x[0]
    act, tc, c, h = (np.empty((1, 4 * n), dtype), np.empty((1, n), dtype),
                     np.zeros((1, n), dtype), np.empty((1, n), dtype))
    rnn_cell.lstm_forward(xp, np.zeros_like(xp), np.zeros(4 * n, dtype), c, c, h, act, tc, None,
                          False, 0.0, 0.0)
    sig = 1 / (1 + np.exp(-x[0].astype(np.float64)))
    ok = sig > np.finfo(dtype).tiny      # below that, both are 0 or a denormal
    ulps = np.abs(act[0, :n] - sig) / np.spacing(sig.astype(dtype))
    assert np.max(ulps[ok]) <= 4


def test_other_dtypes_and_strided_inputs():
    """float16 runs the reference kernel (same bytes out); a strided x is copied, then runs here."""
    rng = np.random.default_rng(7)
    attrs = make_attrs("lstm", hidden=3)
    ins = make_inputs(rng, "lstm", 3, 2, 4, 3, None, np.float16)
    for a, b in zip(forward(cpu_rnn.KERNELS, ins, attrs), forward(REF, ins, attrs)):
        np.testing.assert_array_equal(a, b)
    ins = make_inputs(rng, "gru", 3, 2, 4, 3, None, np.float32)
    ins[0] = np.asfortranarray(ins[0])
    assert not ins[0].flags.c_contiguous
    check_layer(ins, make_attrs("gru", hidden=3), rng)


def test_kept_forward_is_used_only_for_equal_inputs():
    """The backward takes the forward's activations only when the inputs still equal the
    forward's: a weight changed in place in between makes it recompute (reference results)."""
    rng = np.random.default_rng(11)
    attrs = make_attrs("lstm", proj=2, clip=1.0, hidden=3)
    ins = make_inputs(rng, "lstm", 4, 3, 2, 3, 2, np.float64)
    cpu_rnn._kept.clear()
    forward(cpu_rnn.KERNELS, ins, attrs)
    assert len(cpu_rnn._kept) == 1
    ins[2] += 0.25                                     # h2h_weight, in place
    grads = [rng.standard_normal(o.shape) for o in forward(REF, ins, attrs)]
    assert_close(backward(cpu_rnn.KERNELS, ins, grads, attrs), backward(REF, ins, grads, attrs),
                 np.float64)
    assert len(cpu_rnn._kept) == 1                     # stale entry not used
    forward(cpu_rnn.KERNELS, ins, attrs)
    backward(cpu_rnn.KERNELS, ins, grads, attrs)
    assert len(cpu_rnn._kept) == 1                     # the matching one was taken
    cpu_rnn._kept.clear()


def test_cell_rejects_wrong_buffers():
    a = np.zeros((2, 8), np.float32)
    with pytest.raises(ValueError, match="c_in"):
        rnn_cell.lstm_forward(a, a, np.zeros(8, np.float32), np.zeros((2, 2), np.float64),
                              np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32), a,
                              np.zeros((2, 2), np.float32), None, False, 0.0, 0.0)
