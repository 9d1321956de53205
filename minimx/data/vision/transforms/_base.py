"""The transform base class, the containers (Compose, HybridCompose, RandomApply) and the tensor
transforms (Cast, ToTensor, Normalize).

NB: in MXNet every transform is a gluon ``Block`` or ``HybridBlock``. The data layer must not import
gluon, so minimx's transforms are plain callables with the same constructor arguments, the same
``transform(x)`` call and a Block-like ``repr``; ``hybridize()`` is accepted and does nothing (there
is nothing to compile: each transform is a few numpy lines).

A transform takes an NDArray and returns an NDArray (a numpy array in gives a numpy array out, which
MXNet does not allow). Random transforms draw from Python's ``random`` module (``random.seed``
makes them repeatable); MXNet's C++ image operators draw from MXNet's own generator instead.
"""
import random

import numpy as np

from ....base import MXNetError, normalize_dtype
from ....ndarray import NDArray
from ....ndarray import array as _nd_array

__all__ = ["Transform", "Compose", "HybridCompose", "HybridSequential", "RandomApply", "Cast", "ToTensor",
           "Normalize", "to_numpy", "like"]


def to_numpy(x):
    """The pixels of ``x`` (an NDArray or anything numpy takes) as a numpy array."""
    return x.asnumpy() if isinstance(x, NDArray) else np.asarray(x)


def like(x, result):
    """``result`` as the caller's kind of array: NDArray in, NDArray out; numpy in, numpy out."""
    if isinstance(x, NDArray):
        return _nd_array(result, ctx=x.context, dtype=result.dtype)
    return result


def _indent(text):
    return text.replace("\n", "\n  ")


class Transform:
    """A picklable callable with gluon ``Block``'s calling convention: ``out = transform(x)``.

    Subclasses define ``forward(x)``. ``_hybrid = True`` marks those that are HybridBlocks in MXNet
    (Compose groups them, as MXNet does).
    """
    _hybrid = False

    def __call__(self, x, *args):
        return self.forward(x, *args)

    def forward(self, x, *args):
        raise NotImplementedError

    def hybridize(self, active=True, **kwargs):
        """Accepted for MXNet compatibility; a minimx transform has nothing to compile."""

    def _children(self):
        return []

    def __repr__(self):
        body = "\n".join("  (%d): %s" % (i, _indent(repr(c))) for i, c in enumerate(self._children()))
        return "%s(\n%s\n)" % (type(self).__name__, body)


class HybridSequential(Transform):
    """Runs transforms one after another (what MXNet's Compose wraps each run of hybrid ones in)."""
    _hybrid = True

    def __init__(self, transforms=()):
        self._transforms = list(transforms)

    def add(self, *transforms):
        self._transforms.extend(transforms)

    def _children(self):
        return self._transforms

    def __len__(self):
        return len(self._transforms)

    def __getitem__(self, i):
        return self._transforms[i]

    def forward(self, x, *args):
        for t in self._transforms:
            x = t(x, *args) if args else t(x)
        return x


class Compose(HybridSequential):
    """Sequentially composes transforms: ``Compose([Resize(32), ToTensor()])(img)``.

    Parameters
    ----------
    transforms : list of transforms
        Applied in order; each one's output is the next one's input.

    Inputs:
        - **data**: what the first transform takes.

    Outputs:
        - **out**: what the last transform returns.

    Runs of consecutive hybrid transforms are grouped into a ``HybridSequential`` child, as in MXNet
    (so ``repr`` shows the same tree).
    """
    _hybrid = False

    def __init__(self, transforms):
        super().__init__()
        run = []
        for t in list(transforms) + [None]:
            if t is not None and getattr(t, "_hybrid", False):
                run.append(t)
                continue
            if len(run) == 1:
                self.add(run[0])
            elif len(run) > 1:
                self.add(HybridSequential(run))
            run = []
            if t is not None:
                self.add(t)


class HybridCompose(HybridSequential):
    """Sequentially composes hybrid transforms (MXNet 2's name; every member must be hybrid).

    Parameters
    ----------
    transforms : list of transforms
        Each must be one MXNet defines as a HybridBlock (Cast, ToTensor, Normalize, Resize, the flips
        and the colour transforms); others raise ValueError, as in MXNet.
    """

    def __init__(self, transforms):
        for t in transforms:
            if not getattr(t, "_hybrid", False):
                raise ValueError("%s is not a HybridBlock, try use `Compose` instead" % type(t).__name__)
        super().__init__(transforms)


class RandomApply(Transform):
    """Applies ``transforms`` with probability ``p``, else returns the input unchanged."""

    def __init__(self, transforms, p=0.5):
        self.transforms = transforms
        self.p = p

    def _children(self):
        return [self.transforms]

    def forward(self, x):
        if self.p < random.random():
            return x
        return self.transforms(x)


class Cast(Transform):
    """Casts the input to ``dtype`` (default 'float32').

    Inputs:
        - **data**: any shape and dtype.

    Outputs:
        - **out**: the same shape, of type ``dtype``.
    """
    _hybrid = True

    def __init__(self, dtype="float32"):
        self._dtype = dtype

    def forward(self, x):
        if isinstance(x, NDArray):
            return x.astype(normalize_dtype(self._dtype))
        return np.asarray(x).astype(normalize_dtype(self._dtype))


class ToTensor(Transform):
    """Converts an (H, W, C) image with values 0..255 to a float32 (C, H, W) tensor with values 0..1.

    ``out[c, h, w] = in[h, w, c] / 255``; a batch (N, H, W, C) becomes (N, C, H, W).

    Inputs:
        - **data**: (H, W, C) or (N, H, W, C), usually uint8.

    Outputs:
        - **out**: (C, H, W) or (N, C, H, W), float32.
    """
    _hybrid = True

    def forward(self, x):
        img = to_numpy(x)
        if img.ndim not in (3, 4):
            raise MXNetError("ToTensor: the input must be (H, W, C) or (N, H, W, C), got shape %s"
                             % (img.shape,))
        axes = (2, 0, 1) if img.ndim == 3 else (0, 3, 1, 2)
        out = np.ascontiguousarray(img.transpose(axes), dtype=np.float32) / np.float32(255.0)
        return like(x, out)


class Normalize(Transform):
    """Normalizes a (C, H, W) tensor per channel: ``out[c] = (in[c] - mean[c]) / std[c]``.

    Parameters
    ----------
    mean : float or tuple of floats, default 0.0
        One value for every channel, or one per channel.
    std : float or tuple of floats, default 1.0
        Likewise.

    Inputs:
        - **data**: (C, H, W) or (N, C, H, W) with C = 1 or 3 (use after ToTensor).

    Outputs:
        - **out**: the same shape.
    """
    _hybrid = True

    def __init__(self, mean=0.0, std=1.0):
        self._mean = mean
        self._std = std

    def forward(self, x):
        img = to_numpy(x)
        if img.ndim not in (3, 4):
            raise MXNetError("Normalize: the input must be (C, H, W) or (N, C, H, W), got shape %s"
                             % (img.shape,))
        channels = img.shape[-3]
        if channels not in (1, 3):
            raise MXNetError("Normalize: the channel axis (first of C, H, W) must have 1 or 3 elements, "
                             "but got input with shape %s; apply ToTensor first" % (img.shape,))
        mean = np.atleast_1d(np.asarray(self._mean, np.float32))
        std = np.atleast_1d(np.asarray(self._std, np.float32))
        for name, v in (("mean", mean), ("std", std)):
            if v.size not in (1, channels):
                raise MXNetError("Normalize: invalid %s for input with shape %s: it must have either 1 or "
                                 "%d elements, but got %s" % (name, img.shape, channels, v.tolist()))
        out = (img.astype(np.float32) - mean.reshape(-1, 1, 1)) / std.reshape(-1, 1, 1)
        return like(x, out.astype(np.float32))
