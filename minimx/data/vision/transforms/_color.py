"""Colour transforms: brightness, contrast, saturation, hue, colour jitter and PCA lighting noise.

Each ``adjust_*`` function is the deterministic numpy computation of MXNet's C++ operator on an
(H, W, C) image, in float32 as MXNet computes it: results of integer images are clamped to the
dtype's range and truncated towards zero (MXNet's ``saturate_cast``), float images are not clamped.
The ``Random*`` transforms draw a factor and call them.
"""
import random

import numpy as np

from ....base import MXNetError
from ._base import Transform, like, to_numpy

__all__ = ["adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue", "adjust_lighting",
           "RandomBrightness", "RandomContrast", "RandomSaturation", "RandomHue", "RandomColorJitter",
           "RandomLighting"]

_GRAY = np.array([0.299, 0.587, 0.114], np.float32)
# AlexNet's PCA of ImageNet RGB: eigenvalue * eigenvector, one row per output channel
_EIG = (np.array([55.46, 4.794, 1.148], np.float32) *
        np.array([[-0.5675, 0.7192, 0.4009],
                  [-0.5808, -0.0045, -0.8140],
                  [-0.5836, -0.6948, 0.4203]], np.float32))


def _saturate(val, dtype):
    """float32 values back to ``dtype``: clamp and truncate for integers, as MXNet's saturate_cast."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.trunc(np.clip(val, info.min, info.max)).astype(dtype)
    return val.astype(dtype)


def _check_hwc(name, img):
    if img.ndim != 3:
        raise MXNetError("%s: the input image must have shape (height, width, channels), but got %s"
                         % (name, img.shape))


def adjust_brightness(img, alpha):
    """``out = in * alpha``."""
    return _saturate(img.astype(np.float32) * np.float32(alpha), img.dtype)


def adjust_contrast(img, alpha):
    """``out = in * alpha + (1 - alpha) * mean_gray``, mean_gray the image's mean luma."""
    x = img.astype(np.float32)
    h, w, c = img.shape
    gray_sum = (x[..., :3].astype(np.float64) @ _GRAY.astype(np.float64)).sum() if c > 1 else x.sum(dtype=np.float64)
    gray_mean = np.float32(gray_sum) / np.float32(h * w)
    beta = (np.float32(1) - np.float32(alpha)) * gray_mean
    return _saturate(x * np.float32(alpha) + beta, img.dtype)


def adjust_saturation(img, alpha):
    """``out = in * alpha + (1 - alpha) * gray``, per pixel.

    NB: MXNet 1.9.1's kernel assigns instead of summing the luma terms, so its "gray" is
    ``0.114 * blue`` alone; minimx reproduces that so that results match MXNet.
    """
    if img.shape[2] == 1:
        return img.copy()
    x = img.astype(np.float32)
    gray = x[..., 2:3] * _GRAY[2] * (np.float32(1) - np.float32(alpha))
    return _saturate(gray + x * np.float32(alpha), img.dtype)


def _rgb_to_hls(r, g, b):
    r, g, b = r / np.float32(255), g / np.float32(255), b / np.float32(255)
    vmax = np.maximum(np.maximum(r, g), b)
    vmin = np.minimum(np.minimum(r, g), b)
    diff = vmax - vmin
    l = (vmax + vmin) * np.float32(0.5)
    colour = diff > np.finfo(np.float32).eps
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(l < 0.5, diff / (vmax + vmin), diff / (np.float32(2) - vmax - vmin))
        d = np.float32(60) / diff
        h = np.where(vmax == r, (g - b) * d,
                     np.where(vmax == g, (b - r) * d + np.float32(120), (r - g) * d + np.float32(240)))
    h = np.where(h < 0, h + np.float32(360), h)
    return (np.where(colour, h, 0).astype(np.float32), l.astype(np.float32),
            np.where(colour, s, 0).astype(np.float32))


def _hls_to_rgb(h, l, s):
    p2 = np.where(l <= 0.5, l * (1 + s), l + s - l * s).astype(np.float32)
    p1 = (2 * l - p2).astype(np.float32)
    h = np.mod(h * np.float32(1.0 / 60.0), np.float32(6)).astype(np.float32)
    sector = np.minimum(h.astype(np.int64), 5)
    f = h - sector
    tab = np.stack([p2, p1, p1 + (p2 - p1) * (1 - f), p1 + (p2 - p1) * f]).astype(np.float32)
    # which of tab's four values each of (b, g, r) takes in each 60-degree sector (OpenCV's table)
    sectors = np.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])
    pick = lambda k: np.take_along_axis(tab, sectors[sector, k][None], 0)[0]
    grey = s == 0
    b, g, r = (np.where(grey, l, pick(k)) for k in range(3))
    return r * np.float32(255), g * np.float32(255), b * np.float32(255)


def adjust_hue(img, alpha):
    """Rotates each pixel's hue by ``alpha * 360`` degrees (through HLS, as MXNet does)."""
    if img.shape[2] == 1:
        return img.copy()
    x = img.astype(np.float32)
    h, l, s = _rgb_to_hls(x[..., 0], x[..., 1], x[..., 2])
    r, g, b = _hls_to_rgb((h + np.float32(alpha) * np.float32(360)).astype(np.float32), l, s)
    return _saturate(np.stack([r, g, b], axis=-1), img.dtype)


def adjust_lighting(img, alpha):
    """Adds AlexNet's PCA colour noise: ``out[c] = in[c] + sum_k eig[c, k] * alpha[k]``."""
    if img.shape[2] == 1:
        return img.copy()
    pca = (_EIG * np.asarray(alpha, np.float32)[None, :]).sum(axis=1, dtype=np.float32)
    return _saturate(img.astype(np.float32) + pca, img.dtype)


class _RandomEnhance(Transform):
    _hybrid = True
    _adjust = None

    def __init__(self, amount):
        self._args = (max(0, 1 - amount), 1 + amount)

    def forward(self, x):
        img = to_numpy(x)
        _check_hwc(type(self).__name__, img)
        alpha = random.uniform(*self._args)
        return like(x, type(self)._adjust(img, alpha))


class RandomBrightness(_RandomEnhance):
    """Multiplies an (H, W, C) image by a factor drawn from ``[max(0, 1 - brightness), 1 + brightness]``."""
    _adjust = staticmethod(adjust_brightness)

    def __init__(self, brightness):
        super().__init__(brightness)


class RandomContrast(_RandomEnhance):
    """Blends an (H, W, C) image with its mean grey by a factor from ``[max(0, 1 - contrast), 1 + contrast]``."""
    _adjust = staticmethod(adjust_contrast)

    def __init__(self, contrast):
        super().__init__(contrast)


class RandomSaturation(_RandomEnhance):
    """Blends each pixel with its grey by a factor from ``[max(0, 1 - saturation), 1 + saturation]``."""
    _adjust = staticmethod(adjust_saturation)

    def __init__(self, saturation):
        super().__init__(saturation)


class RandomHue(_RandomEnhance):
    """Rotates hue by ``alpha * 360`` degrees, alpha from ``[max(0, 1 - hue), 1 + hue]``.

    NB: these are MXNet 1.9.1's bounds: alpha near 1 is a near-full turn, so small ``hue`` gives small
    shifts around the identity.
    """
    _adjust = staticmethod(adjust_hue)

    def __init__(self, hue):
        super().__init__(hue)


class RandomColorJitter(Transform):
    """Jitters brightness, contrast, saturation and hue, in a random order; a zero amount skips one.

    Brightness, contrast and saturation factors are ``1 + uniform(-amount, amount)``; the hue shift
    is ``uniform(-hue, hue) * 360`` degrees.

    Inputs:
        - **data**: (H, W, C).

    Outputs:
        - **out**: the same shape and dtype.
    """
    _hybrid = True

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self._args = (brightness, contrast, saturation, hue)

    def forward(self, x):
        img = to_numpy(x)
        _check_hwc("RandomColorJitter", img)
        brightness, contrast, saturation, hue = self._args
        steps = [(brightness, adjust_brightness, True), (contrast, adjust_contrast, True),
                 (saturation, adjust_saturation, True), (hue, adjust_hue, False)]
        random.shuffle(steps)
        for amount, adjust, around_one in steps:
            if amount > 0:
                alpha = random.uniform(-amount, amount)
                img = adjust(img, 1 + alpha if around_one else alpha)
        return like(x, img)


class RandomLighting(Transform):
    """Adds AlexNet-style PCA lighting noise with weights drawn from N(0, alpha).

    Inputs:
        - **data**: (H, W, C).

    Outputs:
        - **out**: the same shape and dtype.
    """
    _hybrid = True

    def __init__(self, alpha):
        self._alpha = alpha

    def forward(self, x):
        img = to_numpy(x)
        _check_hwc("RandomLighting", img)
        alpha = [random.gauss(0, self._alpha) for _ in range(3)]
        return like(x, adjust_lighting(img, alpha))
