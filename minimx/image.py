"""``mx.image``: read, decode, resize, crop and rotate images held as (H, W, C) NDArrays.

The pixel work is plain numpy (one resampling routine below serves every resize and crop); files are
decoded with Pillow, imported only when an image is read.

NB: MXNet does all of this in C++ with OpenCV. minimx follows OpenCV's conventions (pixel centres at
+0.5, border pixels repeated, ``interp`` codes 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos),
so bilinear results equal MXNet's for float images and are within one grey level of them for uint8
(OpenCV rounds through 11-bit fixed point); bicubic and area agree with MXNet likewise. Lanczos (4)
is computed as bicubic. Decoding goes through
Pillow, whose JPEG decoder may differ from OpenCV's by a grey level or two; PNG is exact.
"""
import functools
import io
import random
from numbers import Number

import numpy as np

from .base import MXNetError
from .ndarray import NDArray
from .ndarray import array as _nd_array

__all__ = ["imread", "imdecode", "imresize", "scale_down", "resize_short", "fixed_crop", "random_crop",
           "center_crop", "random_size_crop", "imrotate", "random_rotate", "resize_np", "rotate_np"]


# ----------------------------------------------------------------------------------------------
# numpy kernels: these take and return numpy arrays; the public functions wrap them.

@functools.lru_cache(maxsize=256)
def _axis_weights(n_in, n_out, interp, area_average=True):
    """The (n_out, n_in) matrix that resamples one axis: row i holds output pixel i's weights.

    For area (3), ``area_average`` says whether neither axis grows: OpenCV then averages areas,
    otherwise it uses a stepped linear rule on both axes. Cached (augmentation resizes to the same
    few sizes again and again), so the returned matrix is read-only.
    """
    scale = n_in / n_out
    weights = np.zeros((n_out, n_in), np.float64)
    rows = np.arange(n_out)
    if interp == 0:                                   # OpenCV's nearest: floor(i * scale)
        weights[rows, np.minimum((rows * scale).astype(np.int64), n_in - 1)] = 1.0
        return _frozen(weights)
    if interp == 3 and area_average:                  # area: the average over the covered span
        for i in rows:
            lo, hi = i * scale, (i + 1) * scale
            for j in range(int(np.floor(lo)), min(int(np.ceil(hi)), n_in)):
                weights[i, j] = min(hi, j + 1) - max(lo, j)
        return _frozen(weights / scale)
    src = (rows + 0.5) * scale - 0.5                  # pixel centres map to pixel centres
    if interp in (2, 4):                              # bicubic, a = -0.75 as in OpenCV
        a = -0.75
        base = np.floor(src).astype(np.int64)
        t = src - base
        for k in range(-1, 3):
            d = np.abs(t - k)
            w = np.where(d <= 1, ((a + 2) * d - (a + 3)) * d * d + 1,
                         np.where(d < 2, ((a * d - 5 * a) * d + 8 * a) * d - 4 * a, 0.0))
            np.add.at(weights, (rows, np.clip(base + k, 0, n_in - 1)), w)
        return _frozen(weights)
    if interp == 3:                                   # area when enlarging: OpenCV's stepped linear
        base = np.floor(rows * scale).astype(np.int64)
        t = (rows + 1) - (base + 1) / scale
        t = np.where(t <= 0, 0.0, t - np.floor(t))
        t = np.where(base >= n_in - 1, 0.0, t)
        base = np.minimum(base, n_in - 1)
    else:                                             # bilinear
        src = np.maximum(src, 0.0)
        base = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        t = src - base
    np.add.at(weights, (rows, base), 1.0 - t)
    np.add.at(weights, (rows, np.minimum(base + 1, n_in - 1)), t)
    return _frozen(weights)


def _frozen(weights):
    weights.flags.writeable = False
    return weights


def resize_np(img, w, h, interp=1):
    """Resizes a numpy image of shape (H, W), (H, W, C) or (N, H, W, C) to width ``w``, height ``h``.

    The output keeps the input's dtype; integer images are rounded to nearest and clipped to the
    dtype's range (uint8: 0..255).
    """
    if interp not in (0, 1, 2, 3, 4):
        raise MXNetError("resize: unknown interpolation %r; use 0 nearest, 1 bilinear, 2 bicubic, "
                         "3 area or 4 Lanczos" % (interp,))
    if w <= 0 or h <= 0:
        raise MXNetError("resize: the output size must be positive, got width %d, height %d" % (w, h))
    batch = img.ndim == 4
    x = img if batch else img[None]
    if x.ndim == 3:
        x = x[..., None]
    n_h, n_w = x.shape[1], x.shape[2]
    shrinking = h <= n_h and w <= n_w
    wy, wx = _axis_weights(n_h, h, interp, shrinking), _axis_weights(n_w, w, interp, shrinking)
    # (N, C, H, W) planes: out = wy @ plane @ wx^T, one BLAS call per axis for the whole batch
    planes = x.transpose(0, 3, 1, 2).astype(np.float64)
    out = np.matmul(np.matmul(wy, planes), wx.T).transpose(0, 2, 3, 1)
    if np.issubdtype(img.dtype, np.integer):
        info = np.iinfo(img.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    out = out.astype(img.dtype)
    if img.ndim == 2:
        return out[0, ..., 0]
    return out if batch else out[0]


def _sample_bilinear(img, xs, ys):
    """Samples a (C, H, W) float image at real pixel positions, zero outside (MXNet's BilinearSampler)."""
    c, h, w = img.shape
    x0, y0 = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
    out = np.zeros((c,) + xs.shape, np.float64)
    for dy in (0, 1):
        for dx in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            weight = (1 - np.abs(xs - xi)) * (1 - np.abs(ys - yi))
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            vals = img[:, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
            out += np.where(inside, weight, 0.0) * vals
    return out


def rotate_np(img, degrees, zoom_in=False, zoom_out=False):
    """Rotates a (C, H, W) float image counter-clockwise about its centre; outside is 0.

    As MXNet's ``imrotate``: a grid centred on the image is rotated, then (``zoom_in``) scaled so no
    padding shows, or (``zoom_out``) so the whole image stays in view, and sampled bilinearly.
    """
    _, h, w = img.shape
    rad = np.pi * degrees / 180.0
    hs, ws = (h - 1) / 2.0, (w - 1) / 2.0
    hm, wm = np.mgrid[0:h, 0:w].astype(np.float64)
    hm, wm = hm - hs, wm - ws
    gx = (wm * np.cos(rad) - hm * np.sin(rad)) / ws
    gy = (wm * np.sin(rad) + hm * np.cos(rad)) / hs
    if zoom_in or zoom_out:
        rho, corner = np.hypot(h, w), np.arctan(h / w)
        max_x = max(abs(rho * np.cos(corner + abs(rad))), abs(rho * np.cos(corner - abs(rad))))
        max_y = max(abs(rho * np.sin(corner + abs(rad))), abs(rho * np.sin(corner - abs(rad))))
        scale = max(max_x / w, max_y / h) if zoom_out else min(w / max_x, h / max_y)
        gx, gy = gx * scale, gy * scale
    # BilinearSampler maps the normalised grid [-1, 1] back onto pixel positions
    out = _sample_bilinear(img.astype(np.float64), (gx + 1) * (w - 1) / 2, (gy + 1) * (h - 1) / 2)
    return out.astype(img.dtype)


# ----------------------------------------------------------------------------------------------
# the public, MXNet-named functions

def _decode(data, flag, to_rgb, what):
    try:
        from PIL import Image
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MXNetError("mx.image needs Pillow to decode %s: pip install Pillow" % what) from err
    try:
        with Image.open(io.BytesIO(data)) as im:
            # the header's size is allocated before the pixels are read: refuse absurd ones
            limit = Image.MAX_IMAGE_PIXELS
            if limit and im.width * im.height > limit:
                raise MXNetError("Cannot decode %s: its header claims %dx%d pixels, more than "
                                 "PIL.Image.MAX_IMAGE_PIXELS = %d (a damaged or hostile file)"
                                 % (what, im.width, im.height, limit))
            im = im.convert("L" if flag == 0 else "RGB")
            pixels = np.asarray(im, dtype=np.uint8)
    except MXNetError:
        raise
    except Exception as err:
        raise MXNetError("Cannot decode %s: %s (a PNG or JPEG file is expected)" % (what, err)) from err
    if flag == 0:
        pixels = pixels[:, :, None]
    elif not to_rgb:
        pixels = pixels[:, :, ::-1]
    return _nd_array(np.ascontiguousarray(pixels), dtype=np.uint8)


def imdecode(buf, flag=1, to_rgb=True, out=None):
    """Decodes an encoded image (PNG, JPEG, ...) to a uint8 NDArray of shape (H, W, 3), or (H, W, 1).

    Parameters
    ----------
    buf : bytes, bytearray, numpy.ndarray or NDArray
        The encoded file's bytes.
    flag : {0, 1}, default 1
        1: three colour channels; 0: one grey channel.
    to_rgb : bool, default True
        Channel order RGB (MXNet's default) or, when False, BGR (OpenCV's).
    out : NDArray, optional
        Written with the result when given.
    """
    if isinstance(buf, NDArray):
        buf = buf.asnumpy()
    if isinstance(buf, np.ndarray):
        buf = buf.astype(np.uint8).tobytes()
    if not isinstance(buf, (bytes, bytearray)):
        raise ValueError("buf must be of type bytes, bytearray or numpy.ndarray, got %s; "
                         "convert a str to bytes first" % type(buf).__name__)
    img = _decode(bytes(buf), flag, to_rgb, "an image buffer")
    if out is not None:
        out[:] = img
        return out
    return img


def imread(filename, flag=1, to_rgb=True, out=None):
    """Reads and decodes an image file to a uint8 NDArray of shape (H, W, 3), or (H, W, 1) if ``flag=0``.

    Example
    -------
    >>> mx.image.imread("flower.jpg")
    <NDArray 224x224x3 @cpu(0)>
    """
    try:
        with open(filename, "rb") as f:
            data = f.read()
    except OSError as err:
        raise MXNetError("imread: cannot read %s: %s" % (filename, err)) from err
    img = _decode(data, flag, to_rgb, "image file %s" % filename)
    if out is not None:
        out[:] = img
        return out
    return img


def _as_numpy(src):
    return src.asnumpy() if isinstance(src, NDArray) else np.asarray(src)


def _like(src, result):
    """Returns ``result`` as the caller's kind of array: NDArray in, NDArray out."""
    return _nd_array(result, dtype=result.dtype) if isinstance(src, NDArray) else result


def imresize(src, w, h, interp=1, out=None):
    """Resizes an (H, W, C) image to width ``w`` and height ``h`` (see the module note on ``interp``)."""
    result = _like(src, resize_np(_as_numpy(src), int(w), int(h), interp))
    if out is not None:
        out[:] = result
        return out
    return result


def _get_interp_method(interp, sizes=()):
    """Resolves MXNet's automatic (9) and random (10) interpolation codes to 0..4."""
    if interp == 9:
        if sizes:
            oh, ow, nh, nw = sizes
            if nh > oh and nw > ow:
                return 2
            if nh < oh and nw < ow:
                return 3
            return 1
        return 2
    if interp == 10:
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError("Unknown interp method %d" % interp)
    return interp


def scale_down(src_size, size):
    """Shrinks a crop ``size`` (w, h) to fit inside ``src_size`` (w, h), keeping its aspect ratio."""
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def resize_short(src, size, interp=2):
    """Resizes so that the shorter edge is ``size``, keeping the aspect ratio."""
    h, w = src.shape[0], src.shape[1]
    new_h, new_w = (size * h // w, size) if h > w else (size, size * w // h)
    return imresize(src, new_w, new_h, interp=_get_interp_method(interp, (h, w, new_h, new_w)))


def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """Crops the rectangle (x0, y0, w, h) and, if ``size`` (w, h) differs, resizes it to ``size``."""
    out = src[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != tuple(size):
        out = imresize(out, size[0], size[1], interp=_get_interp_method(interp, (h, w, size[1], size[0])))
    return out


def random_crop(src, size, interp=2):
    """Crops a random (w, h) rectangle (upsampling when the image is smaller); returns (crop, rect)."""
    h, w = src.shape[0], src.shape[1]
    new_w, new_h = scale_down((w, h), size)
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def center_crop(src, size, interp=2):
    """Crops the centred (w, h) rectangle (upsampling when the image is smaller); returns (crop, rect)."""
    h, w = src.shape[0], src.shape[1]
    new_w, new_h = scale_down((w, h), size)
    x0, y0 = int((w - new_w) / 2), int((h - new_h) / 2)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def random_size_crop(src, size, area, ratio, interp=2):
    """Crops a random rectangle of random area and aspect ratio, resized to ``size``; (crop, rect).

    ``area`` is (min, max) of the fraction of the image kept (a number means (area, 1.0)); ``ratio``
    is (min, max) of width/height, drawn log-uniformly. After ten draws that do not fit, the centre
    crop is taken, as in MXNet.
    """
    h, w = src.shape[0], src.shape[1]
    if isinstance(area, Number):
        area = (area, 1.0)
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * h * w
        new_ratio = np.exp(random.uniform(np.log(ratio[0]), np.log(ratio[1])))
        new_w = int(round(np.sqrt(target_area * new_ratio)))
        new_h = int(round(np.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


def imrotate(src, rotation_degrees, zoom_in=False, zoom_out=False):
    """Rotates a float32 (C, H, W) image, or an (N, C, H, W) batch, counter-clockwise by degrees.

    ``rotation_degrees`` is a number, or (for a batch) one angle per image. ``zoom_in`` scales so that
    no padding shows; ``zoom_out`` so that the whole image stays in view.
    """
    if zoom_in and zoom_out:
        raise ValueError("`zoom_in` and `zoom_out` cannot be both True")
    if np.dtype(src.dtype) != np.float32:
        raise TypeError("Only `float32` images are supported by this function")
    x = _as_numpy(src)
    if x.ndim == 3:
        if not isinstance(rotation_degrees, Number):
            raise TypeError("When a single image is passed the rotation angle is required to be a scalar.")
        return _like(src, rotate_np(x, rotation_degrees, zoom_in, zoom_out))
    if x.ndim != 4:
        raise ValueError("Only 3D and 4D are supported by this function")
    angles = [rotation_degrees] * len(x) if isinstance(rotation_degrees, Number) \
        else np.ravel(_as_numpy(rotation_degrees))
    if len(angles) != len(x):
        raise ValueError("The number of images must be equal to the number of rotation angles")
    return _like(src, np.stack([rotate_np(img, float(a), zoom_in, zoom_out) for img, a in zip(x, angles)]))


def random_rotate(src, angle_limits, zoom_in=False, zoom_out=False):
    """Rotates by an angle drawn uniformly from ``angle_limits`` (one per image for a batch).

    The angle comes from numpy's global generator, as in MXNet.
    """
    if src.ndim == 3:
        degrees = np.random.uniform(*angle_limits)
    else:
        degrees = np.random.uniform(*angle_limits, size=src.shape[0])
    return imrotate(src, degrees, zoom_in=zoom_in, zoom_out=zoom_out)
