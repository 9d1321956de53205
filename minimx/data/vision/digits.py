"""``Digits``: real handwritten digits that ship inside minimx, the offline stand-in for MNIST.

The 1,797 8x8 images of the UCI optical-recognition digits (the set scikit-learn bundles), stored in
``_digits/digits.npz`` (48 KB; source, licence and the split recipe in ``_digits/README.md``).

NB: not an MXNet dataset. It has MNIST's interface (``train=``, ``transform=``, samples of a uint8
(H, W, 1) NDArray and an int32 label), so MNIST code runs on it with one name changed; with
``upsample=True`` the images are MNIST's 28x28 too.
"""
import os

import numpy as np

from ...base import MXNetError
from ...image import resize_np
from ...ndarray import array as _nd_array
from ..dataset import _DownloadedDataset
from ._readers import check_npz

__all__ = ["Digits"]

_BUNDLED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_digits")
_FILE = "digits.npz"


class Digits(_DownloadedDataset):
    """The UCI handwritten digits bundled with minimx: 1,438 training and 359 test images, 10 classes.

    Each sample is ``(image, label)``: a uint8 NDArray of shape (8, 8, 1) (or (28, 28, 1) with
    ``upsample``) with values 0..255, and a numpy int32 digit.

    The original pixels count the "on" pixels of 4x4 blocks of a 32x32 bitmap (0..16); they are
    scaled to 0..255 (``round(v * 255 / 16)``) so that code written for MNIST's uint8 pixels, such
    as ``ToTensor``, works unchanged. The train/test split is fixed and stratified (20% of each
    class is test), so results are comparable between runs and machines.

    Parameters
    ----------
    root : str, optional
        A folder holding ``digits.npz``; by default the copy inside the package. Nothing is ever
        downloaded.
    train : bool, default True
        The training split, or the test split.
    transform : callable, optional
        Called as ``transform(image, label)`` on every access.
    upsample : bool or int, default False
        True: 28x28 images laid out as MNIST's (the digit resized bilinearly to 20x20 and centred
        with a 4-pixel border). An int ``s``: the digit resized to s x s, no border.

    Examples
    --------
    >>> train = mx.gluon.data.vision.Digits(train=True, upsample=True)
    >>> img, label = train[0]
    >>> img.shape, img.dtype
    ((28, 28, 1), <class 'numpy.uint8'>)
    """

    def __init__(self, root=None, train=True, transform=None, upsample=False):
        self._train = train
        self._upsample = upsample
        super().__init__(_BUNDLED if root is None else root, transform)

    def _get_data(self):
        path = os.path.join(self._root, _FILE)
        if not os.path.exists(path):
            raise MXNetError("Digits: %s is missing; it ships inside minimx (minimx/data/vision/_digits/). "
                             "Reinstall minimx, or pass root= a folder holding %s" % (path, _FILE))
        check_npz(path)      # np.load would allocate whatever size a damaged header claims
        try:
            with np.load(path) as f:
                rows = f["train_index"] if self._train else f["test_index"]
                pixels = f["images"][rows].astype(np.float64)
                labels = f["labels"][rows].astype(np.int32)
        except (KeyError, IndexError, ValueError, OSError, EOFError) as err:
            raise MXNetError("Digits: %s is damaged: %s: %s (expected the arrays images, labels, "
                             "train_index and test_index)" % (path, type(err).__name__, err)) from err
        images = np.rint(pixels * 255.0 / 16.0).astype(np.uint8)
        if self._upsample is True:
            digits = resize_np(images[..., None], 20, 20, interp=1)
            images = np.pad(digits[..., 0], ((0, 0), (4, 4), (4, 4)))
        elif self._upsample:
            size = int(self._upsample)
            images = resize_np(images[..., None], size, size, interp=1)[..., 0]
        self._data = _nd_array(np.ascontiguousarray(images[..., None]), dtype=np.uint8)
        self._label = labels
