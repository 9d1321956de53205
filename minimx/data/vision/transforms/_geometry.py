"""Transforms that move pixels: resize, crops, flips and rotations.

Sizes are given as MXNet gives them: an int ``s`` means (s, s), a tuple is (width, height), while
images are (H, W, C) arrays. Resampling is ``mx.image``'s (OpenCV's conventions, see its note).
"""
import random
from numbers import Number

import numpy as np

from ....base import MXNetError
from .... import image
from ._base import Transform, like, to_numpy

__all__ = ["Resize", "CenterCrop", "CropResize", "RandomResizedCrop", "RandomCrop", "RandomFlipLeftRight",
           "RandomFlipTopBottom", "Rotate", "RandomRotation"]


def _pair(size):
    return (size, size) if isinstance(size, Number) else tuple(size)


def _check_image(name, img, batch_ok=True):
    ok = (3, 4) if batch_ok else (3,)
    if img.ndim not in ok:
        want = "(H, W, C) or (N, H, W, C)" if batch_ok else "(H, W, C)"
        raise MXNetError("%s: the input image must be %s, but got shape %s" % (name, want, img.shape))


class Resize(Transform):
    """Resizes an image, or a batch of images, to the given size (use before ToTensor).

    Parameters
    ----------
    size : int or tuple of (W, H)
        The output size; an int means (size, size), unless ``keep_ratio``.
    keep_ratio : bool, default False
        With an int ``size``: resize the shorter edge to ``size`` and keep the aspect ratio.
    interpolation : int, default 1
        0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos (see ``mx.image``).

    Inputs:
        - **data**: (H, W, C) or (N, H, W, C).

    Outputs:
        - **out**: (h, w, C) or (N, h, w, C), the input's dtype.
    """
    _hybrid = True

    def __init__(self, size, keep_ratio=False, interpolation=1):
        self._keep = keep_ratio
        self._size = size
        self._interpolation = interpolation

    def _out_size(self, h, w):
        if isinstance(self._size, Number) or len(self._size) == 1:
            size = self._size if isinstance(self._size, Number) else self._size[0]
            if not self._keep:
                return size, size
            # the shorter edge becomes size, the longer one is scaled and truncated (MXNet's rule)
            return (size, int(h * size / w)) if h > w else (int(w * size / h), size)
        return tuple(self._size)

    def forward(self, x):
        img = to_numpy(x)
        _check_image("Resize", img)
        h, w = img.shape[-3], img.shape[-2]
        new_w, new_h = self._out_size(h, w)
        return like(x, image.resize_np(img, new_w, new_h, self._interpolation))


class CenterCrop(Transform):
    """Crops the centre of an image to ``size`` (W, H); a smaller image is scaled down to fit and
    the crop upsampled.

    Inputs:
        - **data**: (H, W, C).

    Outputs:
        - **out**: (H', W', C) with (W', H') = size.
    """

    def __init__(self, size, interpolation=1):
        self._args = (_pair(size), interpolation)

    def forward(self, x):
        _check_image("CenterCrop", x, batch_ok=False)
        return image.center_crop(x, *self._args)[0]


class CropResize(Transform):
    """Crops the rectangle at (x, y) of ``width`` x ``height`` and optionally resizes it to ``size``.

    Inputs:
        - **data**: (H, W, C) or (N, H, W, C).

    Outputs:
        - **out**: (height, width, C), or the resized size, batch axis kept.
    """
    _hybrid = True

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        self._x, self._y, self._width, self._height = x, y, width, height
        self._size = size
        self._interpolation = interpolation

    def forward(self, x):
        img = to_numpy(x)
        _check_image("CropResize", img)
        h, w = img.shape[-3], img.shape[-2]
        if self._x + self._width > w or self._y + self._height > h or self._x < 0 or self._y < 0:
            raise MXNetError("CropResize: the rectangle x=%d, y=%d, width=%d, height=%d does not fit in an "
                             "image of width %d, height %d" % (self._x, self._y, self._width, self._height, w, h))
        out = img[..., self._y:self._y + self._height, self._x:self._x + self._width, :]
        if self._size:
            size = _pair(self._size)
            interp = 1 if self._interpolation is None else self._interpolation
            out = image.resize_np(out, size[0], size[1], interp)
        return like(x, np.ascontiguousarray(out))


class RandomResizedCrop(Transform):
    """Crops a random part of the image (random area fraction and aspect ratio), resized to ``size``.

    Parameters
    ----------
    size : int or tuple of (W, H)
        The output size.
    scale : tuple of two floats, default (0.08, 1.0)
        The range of the fraction of the image's area the crop covers.
    ratio : tuple of two floats, default (3/4, 4/3)
        The range of the crop's aspect ratio (width / height), drawn log-uniformly.
    interpolation : int, default 1
        The resize method (see ``mx.image``).

    Inputs:
        - **data**: (H, W, C).

    Outputs:
        - **out**: (H', W', C) with (W', H') = size.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=1):
        self._args = (_pair(size), scale, ratio, interpolation)

    def forward(self, x):
        _check_image("RandomResizedCrop", x, batch_ok=False)
        return image.random_size_crop(x, *self._args)[0]


class RandomCrop(Transform):
    """Pads the image (optionally), then crops a random ``size`` (W, H) part of it (MXNet 2's transform).

    Parameters
    ----------
    size : int or tuple of (W, H)
        The crop size; a smaller image is upsampled to it.
    pad : int or tuple of 4 ints, optional
        Padding before cropping: an int pads all four sides, a tuple is (top, bottom, left, right).
    pad_value : number, default 0
        The value of padded pixels.
    interpolation : int, default 1
        The resize method for the upsampling case.

    Inputs:
        - **data**: (H, W, C).

    Outputs:
        - **out**: (H', W', C) with (W', H') = size.
    """

    def __init__(self, size, pad=None, pad_value=0, interpolation=1):
        self._args = (_pair(size), interpolation)
        if isinstance(pad, Number):
            pad = (pad, pad, pad, pad)
        elif pad is not None and len(pad) < 4:
            raise ValueError("pad must be an int or a tuple (top, bottom, left, right), got %r" % (pad,))
        self._pad = pad
        self._pad_value = pad_value

    def forward(self, x):
        _check_image("RandomCrop", x, batch_ok=False)
        if self._pad:
            top, bottom, left, right = self._pad[:4]
            img = np.pad(to_numpy(x), ((top, bottom), (left, right), (0, 0)), mode="constant",
                         constant_values=self._pad_value)
            x = like(x, img)
        return image.random_crop(x, *self._args)[0]


class _RandomFlip(Transform):
    _hybrid = True
    _axis = None
    _name = None

    def forward(self, x):
        img = to_numpy(x)
        _check_image(self._name, img, batch_ok=False)
        if random.random() < 0.5:
            return x
        return like(x, np.ascontiguousarray(np.flip(img, axis=self._axis)))


class RandomFlipLeftRight(_RandomFlip):
    """Flips an (H, W, C) image left to right with probability 0.5."""
    _axis = 1
    _name = "RandomFlipLeftRight"


class RandomFlipTopBottom(_RandomFlip):
    """Flips an (H, W, C) image top to bottom with probability 0.5."""
    _axis = 0
    _name = "RandomFlipTopBottom"


def _check_float_tensor(x):
    if np.dtype(x.dtype) != np.float32:
        raise TypeError("This transformation only supports float32. Consider calling it after ToTensor")


class Rotate(Transform):
    """Rotates a float32 (C, H, W) tensor, or (N, C, H, W) batch, by ``rotation_degrees``
    counter-clockwise, keeping its shape (see ``mx.image.imrotate`` for ``zoom_in``/``zoom_out``).
    """

    def __init__(self, rotation_degrees, zoom_in=False, zoom_out=False):
        self._args = (rotation_degrees, zoom_in, zoom_out)

    def forward(self, x):
        _check_float_tensor(x)
        return image.imrotate(x, *self._args)


class RandomRotation(Transform):
    """Rotates a float32 (C, H, W) tensor by an angle drawn from ``angle_limits`` (degrees).

    Parameters
    ----------
    angle_limits : tuple of (lower, upper)
        The range of the angle, lower < upper.
    zoom_in, zoom_out : bool, default False
        Zoom so that no padding shows, or so that the whole image stays in view.
    rotate_with_proba : float, default 1.0
        The probability of rotating at all.

    Inputs:
        - **data**: (C, H, W) or (N, C, H, W), float32 (use after ToTensor).

    Outputs:
        - **out**: the same shape.
    """

    def __init__(self, angle_limits, zoom_in=False, zoom_out=False, rotate_with_proba=1.0):
        lower, upper = angle_limits
        if lower >= upper:
            raise ValueError("`angle_limits` must be an ordered tuple")
        if rotate_with_proba < 0 or rotate_with_proba > 1:
            raise ValueError("Probability of rotating the image should be between 0 and 1")
        self._args = (angle_limits, zoom_in, zoom_out)
        self._rotate_with_proba = rotate_with_proba

    def forward(self, x):
        # numpy's generator, as MXNet's RandomRotation uses
        if np.random.random() > self._rotate_with_proba:
            return x
        _check_float_tensor(x)
        return image.random_rotate(x, *self._args)
