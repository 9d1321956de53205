"""numpy kernels of the vision family: resampling, cropping, region pooling, correlation of
feature maps, and the CTC loss.

Every image is NCHW. Sampling grids hold normalised coordinates: -1 is the first pixel centre and
+1 the last, so ``x_pixel = (x + 1) * (W - 1) / 2``. Kernels compute in float64 where that is the
clearer spec and store in the output's dtype.
"""
import numpy as np

from .conv import scatter

__all__ = ["KERNELS", "upsampling_bilinear_geometry", "crop_offsets", "affine_grid",
           "round_half_away", "correlation_geometry"]


# -- UpSampling, Crop --------------------------------------------------------------------------
def upsampling_bilinear_geometry(scale):
    """``(kernel, pad)`` of the Deconvolution that MXNet's bilinear UpSampling runs."""
    return 2 * scale - scale % 2, scale // 2      # scale // 2 == ceil((scale - 1) / 2)


def _nearest(x, scale):
    return x.repeat(scale, axis=2).repeat(scale, axis=3)


def upsampling(ins, outs, attrs):
    """Nearest: every input is repeated up to input 0's size times ``scale``, then the results
    are concatenated on channels (or summed). Bilinear: a per-channel transposed convolution
    with the given weight (MXNet initialises that weight to a bilinear filter)."""
    out = outs[0]
    if attrs["sample_type"] == "bilinear":
        scale = attrs["scale"]
        kernel, pad = upsampling_bilinear_geometry(scale)
        scatter(ins[0], ins[1], out, (kernel, kernel), (scale, scale), (1, 1), (pad, pad),
                groups=ins[0].shape[1])
        return
    begin = 0
    for i, x in enumerate(ins):
        up = _nearest(x, out.shape[2] // x.shape[2])
        if attrs["multi_input_mode"] == "sum":
            if i == 0:
                out[...] = up
            else:
                out += up
        else:
            out[:, begin:begin + x.shape[1]] = up
            begin += x.shape[1]


def crop_offsets(attrs, data_hw, out_hw):
    """The top-left corner of Crop's window: centred, or ``offset``."""
    if attrs["center_crop"]:
        return (data_hw[0] - out_hw[0]) // 2, (data_hw[1] - out_hw[1]) // 2
    return tuple(attrs["offset"])


def crop(ins, outs, attrs):
    out = outs[0]
    h, w = out.shape[2:]
    y, x = crop_offsets(attrs, ins[0].shape[2:], (h, w))
    out[...] = ins[0][:, :, y:y + h, x:x + w]


# -- BilinearSampler, GridGenerator, SpatialTransformer ---------------------------------------
def _bilinear_sample(data, gx, gy, out):
    """``out[n, c, i, j]``: data sampled at the normalised point ``(gx, gy)[n, i, j]``.

    Naive loop (MXNet's): for every output point take the 4 neighbours of the real-valued source
    position, weight each by its distance, and read 0 for a neighbour outside the image. Here
    the 4 neighbours are 4 vectorised gathers.
    """
    n, _, height, width = data.shape
    x = (gx.astype(np.float64) + 1) * (width - 1) / 2
    y = (gy.astype(np.float64) + 1) * (height - 1) / 2
    with np.errstate(invalid="ignore"):
        x0, y0 = np.floor(x), np.floor(y)
        left, top = x0.astype(np.int64), y0.astype(np.int64)
    wx, wy = 1 - (x - x0), 1 - (y - y0)          # weights of the left column and the top row
    batch = np.arange(n).reshape(n, 1, 1)
    acc = 0
    for dy, dx, weight in ((0, 0, wy * wx), (0, 1, wy * (1 - wx)),
                           (1, 0, (1 - wy) * wx), (1, 1, (1 - wy) * (1 - wx))):
        yy, xx = top + dy, left + dx
        inside = (yy >= 0) & (yy < height) & (xx >= 0) & (xx < width)
        value = data[batch, :, np.clip(yy, 0, height - 1), np.clip(xx, 0, width - 1)]   # (N,h,w,C)
        acc = acc + np.where(inside[..., None], value, 0) * weight[..., None]
    out[...] = np.moveaxis(acc, -1, 1)


def _corners(data, gx, gy):
    """The 4 neighbours of every sampling point: ``(rows, cols, inside, weight, d_weight/dx,
    d_weight/dy)`` for each, with x and y in pixels (see ``_bilinear_sample``)."""
    height, width = data.shape[2:]
    x = (gx.astype(np.float64) + 1) * (width - 1) / 2
    y = (gy.astype(np.float64) + 1) * (height - 1) / 2
    with np.errstate(invalid="ignore"):
        x0, y0 = np.floor(x), np.floor(y)
        left, top = x0.astype(np.int64), y0.astype(np.int64)
    wx, wy = 1 - (x - x0), 1 - (y - y0)
    # weight = (wy or 1 - wy) * (wx or 1 - wx); d wx / dx = -1, d wy / dy = -1
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
        fy, fx = (wy if dy == 0 else 1 - wy), (wx if dx == 0 else 1 - wx)
        sy, sx = (-1 if dy == 0 else 1), (-1 if dx == 0 else 1)
        yy, xx = top + dy, left + dx
        inside = (yy >= 0) & (yy < height) & (xx >= 0) & (xx < width)
        yield (np.clip(yy, 0, height - 1), np.clip(xx, 0, width - 1), inside, fy * fx,
               fy * sx, sy * fx)


def _bilinear_sample_backward(out_grad, data, gx, gy):
    """Gradients of ``_bilinear_sample`` w.r.t. data and the grid's x and y (normalised).

    Naive loop: for every output point and corner, add ``weight * out_grad`` to the corner's
    pixel, and ``d weight / dx * pixel * out_grad`` to the point's x gradient. Here: one
    ``np.add.at`` (a scatter that adds repeated indices) per corner.
    """
    n, channels, height, width = data.shape
    batch = np.broadcast_to(np.arange(n).reshape(n, 1, 1), gx.shape)
    g = np.moveaxis(out_grad.astype(np.float64), 1, -1)                  # (N, h, w, C)
    grad_data = np.zeros((n, height, width, channels))
    grad_x, grad_y = np.zeros(gx.shape), np.zeros(gx.shape)
    for rows, cols, inside, weight, d_dx, d_dy in _corners(data, gx, gy):
        value = np.where(inside[..., None], data[batch, :, rows, cols], 0)  # (N, h, w, C)
        np.add.at(grad_data, (batch[inside], rows[inside], cols[inside]),
                  (g * weight[..., None])[inside])
        dot = (g * value).sum(axis=-1)
        grad_x += dot * d_dx
        grad_y += dot * d_dy
    return (np.moveaxis(grad_data, -1, 1), grad_x * (width - 1) / 2, grad_y * (height - 1) / 2)


def backward_bilinear_sampler(ins, outs, attrs):
    """``(out_grad, data, grid) -> (grad_data, grad_grid)``, BilinearSampler's gradient."""
    out_grad, data, grid = ins
    grad_data, grad_x, grad_y = _bilinear_sample_backward(out_grad, data, grid[:, 0], grid[:, 1])
    outs[0][...] = grad_data
    outs[1][:, 0], outs[1][:, 1] = grad_x, grad_y


def bilinear_sampler(ins, outs, attrs):
    data, grid = ins
    _bilinear_sample(data, grid[:, 0], grid[:, 1], outs[0])


def affine_grid(height, width):
    """The target points ``(x, y, 1)`` of an affine grid, shape ``(3, height * width)``, row-major.

    NB: a size of 1 divides by zero, and MXNet's grid is then NaN too.
    """
    j = np.arange(height * width)
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = -1.0 + (j % width) * 2.0 / (width - 1)
        ys = -1.0 + (j // width) * 2.0 / (height - 1)
    return np.stack([xs, ys, np.ones(height * width)])


def grid_generator(ins, outs, attrs):
    """Affine: ``out[n] = theta[n] (2 x 3) @ (x, y, 1)`` on the target grid. Warp: the flow in
    pixels added to each pixel's own position, normalised to [-1, 1]."""
    data = ins[0]
    out, grid_dst = outs
    if attrs["transform_type"] == "affine":
        height, width = attrs["target_shape"]
        dst = affine_grid(height, width)
        grid_dst[...] = dst
        theta = data.reshape(-1, 2, 3).astype(np.float64)
        with np.errstate(invalid="ignore"):
            out[...] = (theta @ dst).reshape(out.shape)
        return
    height, width = data.shape[2:]
    grid_dst[0] = np.arange(width)[None, :]
    grid_dst[1] = np.arange(height)[:, None]
    half = np.array([(width - 1) / 2, (height - 1) / 2]).reshape(1, 2, 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[...] = (data + grid_dst[None].astype(np.float64)) / half - 1


def spatial_transformer(ins, outs, attrs):
    """GridGenerator (affine) then BilinearSampler, in one op; also returns both grids."""
    data, loc = ins
    out, grid_dst, grid_src = outs
    height, width = attrs["target_shape"]
    dst = affine_grid(height, width)
    grid_dst[...] = dst
    with np.errstate(invalid="ignore"):
        src = loc.reshape(-1, 2, 3).astype(np.float64) @ dst         # (N, 2, H * W)
    grid_src[...] = src
    n = data.shape[0]
    _bilinear_sample(data, src[:, 0].reshape(n, height, width), src[:, 1].reshape(n, height, width),
                     out)


# -- ROIPooling ----------------------------------------------------------------------------------
def round_half_away(x):
    """C's ``std::round``: halves go away from zero (numpy's ``round`` goes to even)."""
    x = np.asarray(x, dtype=np.float64)
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.int64)


def roi_pooling(ins, outs, attrs):
    """Max pooling over a ``pooled_size`` grid of cells in each region of interest.

    Naive loop (MXNet's): for each roi ``[batch, x1, y1, x2, y2]`` scale and round its corners,
    cut it into cells of ``height / pooled_h`` by ``width / pooled_w`` (floor of each start, ceil
    of each end), clip to the image and take each cell's maximum over all channels at once. An
    empty cell or a bad batch index gives 0 (and index -1); values are compared with ``>``
    against -FLT_MAX, as in MXNet.
    """
    data, rois = ins
    out, argmax = outs
    dtype = data.dtype.type
    batch, channels, height, width = data.shape
    pooled_h, pooled_w = out.shape[2:]
    lowest = np.asarray(-np.finfo(np.float32).max).astype(data.dtype)   # MXNet's -FLT_MAX
    corners = round_half_away(rois[:, 1:].astype(data.dtype) * np.float32(attrs["spatial_scale"]))
    out[...], argmax[...] = 0, -1
    for r in range(rois.shape[0]):
        b = int(rois[r, 0])
        start_w, start_h, end_w, end_h = corners[r].tolist()
        if not 0 <= b < batch:
            continue
        # The cell size is computed in the data's dtype, as MXNet does.
        bin_h = dtype(max(end_h - start_h + 1, 1)) / dtype(pooled_h)
        bin_w = dtype(max(end_w - start_w + 1, 1)) / dtype(pooled_w)
        for ph in range(pooled_h):
            h0 = min(max(int(np.floor(dtype(ph) * bin_h)) + start_h, 0), height)
            h1 = min(max(int(np.ceil(dtype(ph + 1) * bin_h)) + start_h, 0), height)
            for pw in range(pooled_w):
                w0 = min(max(int(np.floor(dtype(pw) * bin_w)) + start_w, 0), width)
                w1 = min(max(int(np.ceil(dtype(pw + 1) * bin_w)) + start_w, 0), width)
                if h1 <= h0 or w1 <= w0:
                    continue
                cell = data[b, :, h0:h1, w0:w1].reshape(channels, -1)
                cell = np.where(np.isnan(cell), -np.inf, cell)        # NaN never compares >
                k = cell.argmax(axis=1)
                best = cell[np.arange(channels), k]
                found = best > lowest
                out[r, :, ph, pw] = np.where(found, best, lowest)
                rows, cols = h0 + k // (w1 - w0), w0 + k % (w1 - w0)
                flat = ((b * channels + np.arange(channels)) * height + rows) * width + cols
                argmax[r, :, ph, pw] = np.where(found, flat, -1)


def backward_roi_pooling(ins, outs, attrs):
    """``(out_grad, argmax, data) -> grad_data``: each pooled cell's gradient goes to the pixel
    that was its maximum (``argmax``, a flat index into data; -1: none); data gives the shape."""
    out_grad, argmax = ins[0], ins[1].reshape(-1)
    grad = np.zeros(outs[0].size, dtype=np.float64)
    found = argmax >= 0
    np.add.at(grad, argmax[found], out_grad.reshape(-1)[found])      # repeats add up
    outs[0][...] = grad.reshape(outs[0].shape)


# -- Correlation ---------------------------------------------------------------------------------
def correlation_geometry(shape, attrs):
    """``(top_channels, top_h, top_w)`` of Correlation's output for data of ``shape`` (NCHW)."""
    pad, kernel, disp = attrs["pad_size"], attrs["kernel_size"], attrs["max_displacement"]
    border = disp + (kernel - 1) // 2
    top_h = -(-(shape[2] + 2 * pad - 2 * border) // attrs["stride1"])
    top_w = -(-(shape[3] + 2 * pad - 2 * border) // attrs["stride1"])
    grid = 2 * (disp // attrs["stride2"]) + 1
    return grid * grid, top_h, top_w


def correlation(ins, outs, attrs):
    """FlowNet's correlation: for each displacement ``(dy, dx)`` on a ``stride2`` grid, the mean
    over channels and a ``kernel`` window of ``data1 * data2`` shifted (or ``|data1 - data2|``).

    Naive loop (MXNet's): 7 nested loops over output position, batch, displacement, kernel
    offset and channel. Here: one vectorised product per displacement and kernel offset.
    """
    data1, data2 = ins
    out = outs[0]
    pad, kernel, disp = attrs["pad_size"], attrs["kernel_size"], attrs["max_displacement"]
    stride1, stride2 = attrs["stride1"], attrs["stride2"]
    padding = [(0, 0), (0, 0), (pad, pad), (pad, pad)]
    p1 = np.pad(data1.astype(np.float64), padding)
    p2 = np.pad(data2.astype(np.float64), padding)
    _, top_h, top_w = out.shape[1:]
    radius = disp // stride2
    grid = 2 * radius + 1
    span_h, span_w = stride1 * (top_h - 1) + 1, stride1 * (top_w - 1) + 1
    for tc in range(out.shape[1]):
        dx, dy = (tc % grid - radius) * stride2, (tc // grid - radius) * stride2
        acc = 0
        for h in range(kernel):
            for w in range(kernel):
                y, x = disp + h, disp + w
                a = p1[:, :, y:y + span_h:stride1, x:x + span_w:stride1]
                b = p2[:, :, y + dy:y + dy + span_h:stride1, x + dx:x + dx + span_w:stride1]
                acc = acc + ((a * b) if attrs["is_multiply"] else np.abs(a - b)).sum(axis=1)
        out[:, tc] = acc / (kernel * kernel * data1.shape[1])


def backward_correlation(ins, outs, attrs):
    """``(out_grad, data1, data2) -> (grad1, grad2)``: ``correlation``'s loops run again, each
    product (or absolute difference) sending ``out_grad / norm`` back to both of its factors."""
    out_grad, data1, data2 = ins
    pad, kernel, disp = attrs["pad_size"], attrs["kernel_size"], attrs["max_displacement"]
    stride1, stride2 = attrs["stride1"], attrs["stride2"]
    padding = [(0, 0), (0, 0), (pad, pad), (pad, pad)]
    p1 = np.pad(data1.astype(np.float64), padding)
    p2 = np.pad(data2.astype(np.float64), padding)
    g1, g2 = np.zeros_like(p1), np.zeros_like(p2)
    _, top_h, top_w = out_grad.shape[1:]
    radius = disp // stride2
    grid = 2 * radius + 1
    span_h, span_w = stride1 * (top_h - 1) + 1, stride1 * (top_w - 1) + 1
    norm = kernel * kernel * data1.shape[1]
    for tc in range(out_grad.shape[1]):
        dx, dy = (tc % grid - radius) * stride2, (tc // grid - radius) * stride2
        g = out_grad[:, tc:tc + 1].astype(np.float64) / norm
        for h in range(kernel):
            for w in range(kernel):
                y, x = disp + h, disp + w
                at1 = (slice(None), slice(None), slice(y, y + span_h, stride1),
                       slice(x, x + span_w, stride1))
                at2 = (slice(None), slice(None), slice(y + dy, y + dy + span_h, stride1),
                       slice(x + dx, x + dx + span_w, stride1))
                a, b = p1[at1], p2[at2]
                if attrs["is_multiply"]:
                    g1[at1] += g * b
                    g2[at2] += g * a
                else:
                    sign = np.sign(a - b)
                    g1[at1] += g * sign
                    g2[at2] -= g * sign
    height, width = data1.shape[2:]
    outs[0][...] = g1[:, :, pad:pad + height, pad:pad + width]
    outs[1][...] = g2[:, :, pad:pad + height, pad:pad + width]


# -- identity-forward ops ------------------------------------------------------------------------
def identity(ins, outs, attrs):
    """SVMOutput and IdentityAttachKLSparseReg: the forward pass passes data through."""
    outs[0][...] = ins[0]


# -- CTCLoss -------------------------------------------------------------------------------------
def _ctc_labels(ins, attrs, blank, alphabet):
    """Each sequence's labels, cut at its length (given, or the first padding value)."""
    label = ins[1].astype(np.int64)
    index = 2
    steps = np.full(label.shape[0], ins[0].shape[0], dtype=np.int64)
    if attrs["use_data_lengths"]:
        steps = ins[index].astype(np.int64)
        index += 1
        if ((steps < 0) | (steps > ins[0].shape[0])).any():
            raise ValueError(f"CTCLoss: data_lengths {steps.tolist()} must be in [0, "
                             f"{ins[0].shape[0]}] (the sequence length of data)")
    if attrs["use_label_lengths"]:
        lengths = ins[index].astype(np.int64)
        if ((lengths < 0) | (lengths > label.shape[1])).any():
            raise ValueError(f"CTCLoss: label_lengths {lengths.tolist()} must be in [0, "
                             f"{label.shape[1]}]")
    else:
        padding = 0 if blank == 0 else -1
        is_pad = label == padding
        lengths = np.where(is_pad.any(axis=1), is_pad.argmax(axis=1), label.shape[1])
    labels = [row[:n] for row, n in zip(label, lengths)]
    for row in labels:
        if ((row < 0) | (row >= alphabet) | (row == blank)).any():
            raise ValueError(f"CTCLoss: label {row.tolist()} has a value outside the alphabet "
                             f"[0, {alphabet}) or equal to the blank {blank}")
    return labels, steps


def _ctc_prepare(ins, attrs):
    """Log-softmax of data (float64), the blank, each sequence's labels and step count."""
    data = ins[0].astype(np.float64)                      # (T, N, alphabet)
    alphabet = data.shape[2]
    blank = 0 if attrs["blank_label"] == "first" else alphabet - 1
    labels, steps = _ctc_labels(ins, attrs, blank, alphabet)
    shifted = data - data.max(axis=2, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    return logp, blank, labels, steps


def _ctc_lattice(label, blank):
    """The extended label ``blank l1 blank l2 ... blank`` and, per state, whether it may be
    reached from two states back (skipping a blank between two different labels)."""
    ext = np.full(2 * len(label) + 1, blank)
    ext[1::2] = label
    skip = np.zeros(ext.size, dtype=bool)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    return ext, skip


def _ctc_alpha(logp_n, ext, skip, t_n):
    """Log forward variables ``alpha[t, s]``: all prefixes of alignments ending in state s at
    step t (emissions up to t included)."""
    alpha = np.full((t_n, ext.size), -np.inf)
    alpha[0, :2] = logp_n[0, ext[:2]]
    for t in range(1, t_n):
        prev1, prev2 = np.full(ext.size, -np.inf), np.full(ext.size, -np.inf)
        prev1[1:], prev2[2:] = alpha[t - 1, :-1], alpha[t - 1, :-2]
        prev2[~skip] = -np.inf
        alpha[t] = np.logaddexp(np.logaddexp(alpha[t - 1], prev1), prev2) + logp_n[t, ext]
    return alpha


def _ctc_impossible(label, t_n):
    """As warp-ctc (MXNet's CPU code): a label too long for its steps gets loss 0 (and gradient 0)."""
    repeats = int((label[1:] == label[:-1]).sum())
    return len(label) + repeats > t_n or t_n == 0


def ctc_loss(ins, outs, attrs):
    """``-log p(label | data)``: the sum over every alignment of the label (with blanks and
    repeats) of the product of per-step softmax probabilities (the standard CTC forward pass).

    The forward variables ``alpha[s]`` run over the extended label ``blank l1 blank l2 ... blank``
    in log space: at each step a state keeps its value, or takes its left neighbour's, or skips
    a blank between two different labels. As warp-ctc (MXNet's CPU code), a label too long for
    its sequence (length + repeats > steps) gets loss 0.
    """
    logp, blank, labels, steps = _ctc_prepare(ins, attrs)
    loss = outs[0]
    for n, (label, t_n) in enumerate(zip(labels, steps.tolist())):
        if _ctc_impossible(label, t_n):
            loss[n] = 0
            continue
        ext, skip = _ctc_lattice(label, blank)
        alpha = _ctc_alpha(logp[:, n], ext, skip, t_n)
        loss[n] = -np.logaddexp.reduce(alpha[-1, -2:])


def ctc_loss_grad(ins, outs, attrs):
    """``d loss[n] / d data[t, n, k] = softmax(data[t, n])[k] - gamma[t, k]`` (the CTC
    forward-backward algorithm), for the steps of each sequence; 0 after them.

    ``gamma[t, k]`` is the posterior probability that the alignment emits k at step t: the sum,
    over the states s of the extended label with ``ext[s] == k``, of ``alpha[t, s] * beta[t, s]
    / p``, where ``beta[t, s]`` (log space here) is the probability of finishing the label from
    state s at step t (emissions after t). Same inputs and parameters as CTCLoss.
    """
    logp, blank, labels, steps = _ctc_prepare(ins, attrs)
    grad = np.zeros(logp.shape)
    for n, (label, t_n) in enumerate(zip(labels, steps.tolist())):
        if _ctc_impossible(label, t_n):
            continue
        ext, skip = _ctc_lattice(label, blank)
        alpha = _ctc_alpha(logp[:, n], ext, skip, t_n)
        beta = np.full((t_n, ext.size), -np.inf)
        beta[-1, -2:] = 0.0
        for t in range(t_n - 2, -1, -1):
            nxt = beta[t + 1] + logp[t + 1, n, ext]      # continue from state s' at step t + 1
            next1, next2 = np.full(ext.size, -np.inf), np.full(ext.size, -np.inf)
            next1[:-1] = nxt[1:]
            next2[:-2] = np.where(skip[2:], nxt[2:], -np.inf)
            beta[t] = np.logaddexp(np.logaddexp(nxt, next1), next2)
        log_p = np.logaddexp.reduce(alpha[-1, -2:])
        posterior = np.exp(alpha + beta - log_p)                  # (t_n, states)
        gamma = np.zeros((t_n, logp.shape[2]))
        np.add.at(gamma.T, ext, posterior.T)                     # sum the states of each class
        grad[:t_n, n] = np.exp(logp[:t_n, n]) - gamma
    outs[0][...] = grad


KERNELS = {
    "UpSampling": upsampling, "Crop": crop, "BilinearSampler": bilinear_sampler,
    "GridGenerator": grid_generator, "SpatialTransformer": spatial_transformer,
    "ROIPooling": roi_pooling, "Correlation": correlation, "SVMOutput": identity,
    "IdentityAttachKLSparseReg": identity, "CTCLoss": ctc_loss,
    "_backward_BilinearSampler": backward_bilinear_sampler,
    "_backward_ROIPooling": backward_roi_pooling, "_backward_Correlation": backward_correlation,
    "_ctc_loss_grad": ctc_loss_grad,
}
