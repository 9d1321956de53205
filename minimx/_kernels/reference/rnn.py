"""numpy kernels of the rnn family: one recurrent layer in one direction, forward and backward.

``_rnn_layer`` runs the whole time loop inside one kernel (the ``RNN`` op calls it once per layer
and direction) instead of a dozen small ops per step. ``ins`` are
``(x, i2h_weight, h2h_weight, i2h_bias, h2h_bias, h0[, c0][, h2r_weight])``: ``c0`` for LSTM,
``h2r_weight`` for LSTM with a projection. Gates are stacked along the weights' first axis in
MXNet's order (LSTM i, f, c, o; GRU r, z, n).

The naive loop, for each step t (in reverse when ``reverse``)::

    gates = x[t] @ W_i.T + b_i + h @ W_h.T + b_h
    h = act(gates)                                       # rnn_tanh / rnn_relu
    i, f, g, o = split(gates); c = s(f) c + s(i) tanh(g); h = s(o) tanh(c) [@ W_r.T]   # lstm
    r = s(x_r + h_r); z = s(x_z + h_z); n = tanh(x_n + r h_n); h = (1 - z) n + z h    # gru
    y[t] = h

Optimisation: the input half ``x @ W_i.T + b_i`` of every step is one matrix product up front.
The backward kernel runs the forward again (keeping each step's activations) and then walks the
steps in the opposite order (backpropagation through time); it needs no saved workspace.
"""
import numpy as np

__all__ = ["KERNELS"]


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1)     # no overflow warnings for large |x|


def _unpack(ins, attrs):
    x, wi, wh, bi, bh, h0 = ins[:6]
    lstm = attrs["mode"] == "lstm"
    c0 = ins[6] if lstm else None
    wr = ins[7] if lstm and attrs["projection_size"] else None
    return x, wi, wh, bi, bh, h0, c0, wr


def _order(attrs, steps):
    return range(steps - 1, -1, -1) if attrs["reverse"] else range(steps)


def _run(ins, attrs, keep):
    """The forward loop: (y, h_T, c_T, per-step caches if ``keep``)."""
    x, wi, wh, bi, bh, h, c, wr = _unpack(ins, attrs)
    mode, steps, batch = attrs["mode"], x.shape[0], x.shape[1]
    xp = (x.reshape(steps * batch, -1) @ wi.T + bi).reshape(steps, batch, -1)
    y = np.empty((steps, batch, h.shape[1]), x.dtype)
    lo, hi = attrs["lstm_state_clip_min"], attrs["lstm_state_clip_max"]
    caches = {}
    for t in _order(attrs, steps):
        hp = h @ wh.T + bh
        if mode in ("rnn_tanh", "rnn_relu"):
            a = xp[t] + hp
            new = np.tanh(a) if mode == "rnn_tanh" else np.maximum(a, 0)
            cache = (h, a, new)
        elif mode == "gru":
            xr, xz, xn = np.split(xp[t], 3, axis=1)
            hr, hz, hn = np.split(hp, 3, axis=1)
            r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
            n = np.tanh(xn + r * hn)
            new = (1 - z) * n + z * h
            cache = (h, r, z, n, hn)
        else:
            gi, gf, gg, go = np.split(xp[t] + hp, 4, axis=1)
            si, sf, tg, so = _sigmoid(gi), _sigmoid(gf), np.tanh(gg), _sigmoid(go)
            c_new = sf * c + si * tg
            inside = None
            if lo is not None and hi is not None:
                inside = (c_new >= lo) & (c_new <= hi)
                c_new = np.clip(c_new, lo, hi)
            tc = np.tanh(c_new)
            hr = so * tc
            new = hr @ wr.T if wr is not None else hr
            cache = (h, c, si, sf, tg, so, tc, inside, hr)
            c = c_new
        h = new
        y[t] = h
        if keep:
            caches[t] = cache
    return y, h, c, caches


def rnn_layer(ins, outs, attrs):
    """``outs = (y, h_T[, c_T])``."""
    y, h, c, _ = _run(ins, attrs, keep=False)
    outs[0][...] = y
    outs[1][...] = h
    if attrs["mode"] == "lstm":
        outs[2][...] = c


def backward_rnn_layer(ins, outs, attrs):
    """``ins`` = the forward's inputs, then ``dy, dh_T[, dc_T]``; ``outs`` = one gradient per
    forward input, in the same order."""
    mode = attrs["mode"]
    n_fwd = len(outs)
    fwd, grads = ins[:n_fwd], ins[n_fwd:]
    x, wi, wh, bi, bh, h0, c0, wr = _unpack(fwd, attrs)
    _, _, _, caches = _run(fwd, attrs, keep=True)
    dy, dh = grads[0], grads[1].copy()
    dc = grads[2].copy() if mode == "lstm" else None
    steps = x.shape[0]
    dxp = np.empty((steps,) + (x.shape[1], wi.shape[0]), x.dtype)
    dwh, dbh = np.zeros_like(wh), np.zeros_like(bh)
    dwr = np.zeros_like(wr) if wr is not None else None
    for t in reversed(list(_order(attrs, steps))):
        dnew = dy[t] + dh
        direct = 0      # what reaches the previous h other than through W_h (GRU's z * h)
        if mode in ("rnn_tanh", "rnn_relu"):
            h_prev, a, new = caches[t]
            dg = dnew * (1 - new * new) if mode == "rnn_tanh" else dnew * (a > 0)
            dxp[t] = dhp = dg
        elif mode == "gru":
            h_prev, r, z, n, hn = caches[t]
            dz = dnew * (h_prev - n) * z * (1 - z)
            dan = dnew * (1 - z) * (1 - n * n)
            dr = dan * hn * r * (1 - r)
            dxp[t] = np.concatenate([dr, dz, dan], axis=1)
            dhp = np.concatenate([dr, dz, dan * r], axis=1)
            direct = dnew * z
        else:
            h_prev, c_prev, si, sf, tg, so, tc, inside, hr = caches[t]
            if dwr is not None:
                dwr += dnew.T @ hr
                dnew = dnew @ wr
            dcn = dc + dnew * so * (1 - tc * tc)
            if inside is not None:
                dcn = dcn * inside
            dg = np.concatenate([dcn * tg * si * (1 - si), dcn * c_prev * sf * (1 - sf),
                                 dcn * si * (1 - tg * tg), dnew * tc * so * (1 - so)], axis=1)
            dxp[t] = dhp = dg
            dc = dcn * sf
        dwh += dhp.T @ h_prev
        dbh += dhp.sum(axis=0)
        dh = dhp @ wh + direct
    flat = dxp.reshape(-1, wi.shape[0])
    outs[0][...] = (flat @ wi).reshape(x.shape)
    outs[1][...] = flat.T @ x.reshape(flat.shape[0], -1)
    outs[2][...] = dwh
    outs[3][...] = flat.sum(axis=0)
    outs[4][...] = dbh
    outs[5][...] = dh
    if mode == "lstm":
        outs[6][...] = dc
        if dwr is not None:
            outs[7][...] = dwr


KERNELS = {"_rnn_layer": rnn_layer, "_backward_rnn_layer": backward_rnn_layer}
