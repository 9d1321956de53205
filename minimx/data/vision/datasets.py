"""Vision datasets read from their published file formats: MNIST and Fashion-MNIST (IDX), CIFAR-10
and CIFAR-100 (the binary version), folders and lists of PNG/JPEG images.

Files are looked up under ``root`` first. Only when one is missing is it downloaded, from MXNet's
dataset repository (``$MXNET_GLUON_REPO``, as MXNet does), checked against the SHA-1 MXNet publishes;
offline, the error lists the files and the folder to put them in. Files already under ``root`` are
used as they are (no checksum), so a copy made by hand, or a small test file, works.

Each sample is ``(image, label)``: the image a uint8 NDArray (H, W, C), the label a numpy int32, as
in MXNet; ``transform(image, label)``, when given, runs on every access.
"""
import os
import tarfile
import warnings
from numbers import Number

import numpy as np

from ... import config, image
from ...base import MXNetError
from ...ndarray import array as _nd_array
from .._download import download
from ..dataset import Dataset, RecordFileDataset, _DownloadedDataset
from ._readers import read_cifar_batch, read_idx

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageRecordDataset", "ImageFolderDataset",
           "ImageListDataset", "read_idx"]

def _missing_files_error(dataset, root, names, url, reason):
    return MXNetError(
        "%s: the files %s are not in %s, and downloading them failed (%s).\n"
        "  hint: download them (from %s) on a machine with network access and put them in that "
        "folder, or pass root= the folder that has them"
        % (dataset, ", ".join(names), root, reason, url))


def _repo_url(namespace, name):
    return "%sgluon/dataset/%s/%s" % (config.gluon_repo(), namespace, name)


class MNIST(_DownloadedDataset):
    """The MNIST handwritten digits (http://yann.lecun.com/exdb/mnist): 60,000 training and 10,000
    test images of 28x28 grey pixels.

    Each sample is ``(image, label)``: a uint8 NDArray of shape (28, 28, 1) and a numpy int32.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/mnist
        The folder with ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
        ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz`` (or the same names without
        ``.gz``); missing ones are downloaded there.
    train : bool, default True
        The training set, or the test set.
    transform : callable, optional
        Called as ``transform(image, label)`` on every access, e.g.
        ``lambda data, label: (data.astype('float32') / 255, label)``.
    """
    _namespace = "mnist"
    _files = {
        "train": (("train-images-idx3-ubyte.gz", "6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d"),
                  ("train-labels-idx1-ubyte.gz", "2a80914081dc54586dbdf242f9805a6b8d2a15fc")),
        "test": (("t10k-images-idx3-ubyte.gz", "c3a25af1f52dad7f726cce8cacb138654b760d48"),
                 ("t10k-labels-idx1-ubyte.gz", "763e7fa3757d93b0cdec073cef058b2004252c17")),
    }

    def __init__(self, root=os.path.join(config.data_dir(), "datasets", "mnist"), train=True, transform=None):
        self._train = train
        super().__init__(root, transform)

    def _find_or_download(self, name, sha1):
        for candidate in (name, name[:-3] if name.endswith(".gz") else name):
            path = os.path.join(self._root, candidate)
            if os.path.exists(path):
                return path
        url = _repo_url(self._namespace, name)
        try:
            return download(url, path=self._root, sha1_hash=sha1)
        except MXNetError as err:
            names = [n for n, _ in self._files["train" if self._train else "test"]]
            raise _missing_files_error(type(self).__name__, self._root, names, _repo_url(self._namespace, ""),
                                       err) from err

    def _get_data(self):
        (data_name, data_sha1), (label_name, label_sha1) = self._files["train" if self._train else "test"]
        data_file = self._find_or_download(data_name, data_sha1)
        label_file = self._find_or_download(label_name, label_sha1)
        label = read_idx(label_file)
        data = read_idx(data_file)
        if label.ndim != 1 or data.ndim != 3 or len(data) != len(label):
            raise MXNetError("%s: %s holds images of shape %s and %s labels of shape %s; expected (N, rows, "
                             "cols) images and N labels" % (type(self).__name__, data_file, data.shape,
                                                            label_file, label.shape))
        self._data = _nd_array(data.astype(np.uint8)[..., None], dtype=np.uint8)
        self._label = label.astype(np.int32)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (https://github.com/zalandoresearch/fashion-mnist), a drop-in
    replacement of MNIST: 28x28 grey images of clothing in 10 classes.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/fashion-mnist
        The folder with the four IDX files, named as MNIST's.
    train : bool, default True
        The training set, or the test set.
    transform : callable, optional
        Called as ``transform(image, label)`` on every access.
    """
    _namespace = "fashion-mnist"
    _files = {
        "train": (("train-images-idx3-ubyte.gz", "0cf37b0d40ed5169c6b3aba31069a9770ac9043d"),
                  ("train-labels-idx1-ubyte.gz", "236021d52f1e40852b06a4c3008d8de8aef1e40b")),
        "test": (("t10k-images-idx3-ubyte.gz", "626ed6a7c06dd17c0eec72fa3be1740f146a2863"),
                 ("t10k-labels-idx1-ubyte.gz", "17f9ab60e7257a1620f4ad76bbbaf857c3920701")),
    }

    def __init__(self, root=os.path.join(config.data_dir(), "datasets", "fashion-mnist"), train=True,
                 transform=None):
        super().__init__(root, train, transform)


class CIFAR10(_DownloadedDataset):
    """CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html): 50,000 training and 10,000 test
    colour images of 32x32 pixels in 10 classes, read from the binary version.

    Each sample is ``(image, label)``: a uint8 NDArray of shape (32, 32, 3) and a numpy int32. A
    record of the binary files is one label byte, then 1024 red, 1024 green and 1024 blue bytes.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/cifar10
        The folder with ``data_batch_1.bin`` ... ``data_batch_5.bin`` and ``test_batch.bin`` (directly
        or in ``cifar-10-batches-bin/``, as the archive unpacks), or with ``cifar-10-binary.tar.gz``;
        when neither is there the archive is downloaded and unpacked.
    train : bool, default True
        The training set, or the test set.
    transform : callable, optional
        Called as ``transform(image, label)`` on every access.
    """
    _namespace = "cifar10"
    _archive = ("cifar-10-binary.tar.gz", "fab780a1e191a7eda0f345501ccd62d20f7ed891")
    _subdir = "cifar-10-batches-bin"
    _train_files = ("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                    "data_batch_5.bin")
    _test_files = ("test_batch.bin",)
    _label_bytes = 1
    _classes = (10,)

    def __init__(self, root=os.path.join(config.data_dir(), "datasets", "cifar10"), train=True, transform=None):
        self._train = train
        super().__init__(root, transform)

    def _label_column(self):
        return 0

    def _read_batch(self, filename):
        images, labels = read_cifar_batch(filename, self._label_bytes, self._classes)
        return images, labels[:, self._label_column()].astype(np.int32)

    def _locate(self, names):
        """The folder under root that holds all ``names``, or None."""
        for folder in (self._root, os.path.join(self._root, self._subdir)):
            if all(os.path.exists(os.path.join(folder, n)) for n in names):
                return folder
        return None

    def _unpack(self, archive):
        """Extracts the .bin members of the archive into root (flat), refusing any other path."""
        try:
            with tarfile.open(archive) as tar:
                for member in tar.getmembers():
                    name = os.path.basename(member.name)
                    if member.isfile() and name.endswith(".bin"):
                        with tar.extractfile(member) as src, \
                                open(os.path.join(self._root, name), "wb") as dst:
                            while chunk := src.read(1 << 20):    # not the whole member at once
                                dst.write(chunk)
        except (tarfile.TarError, EOFError, OSError) as err:
            raise MXNetError("%s: cannot unpack %s: %s: %s (delete it to download it again)"
                             % (type(self).__name__, archive, type(err).__name__, err)) from err

    def _get_data(self):
        names = self._train_files if self._train else self._test_files
        folder = self._locate(names)
        if folder is None:
            archive = os.path.join(self._root, self._archive[0])
            if not os.path.exists(archive):
                url = _repo_url(self._namespace, self._archive[0])
                try:
                    archive = download(url, path=self._root, sha1_hash=self._archive[1])
                except MXNetError as err:
                    raise _missing_files_error(type(self).__name__, self._root, list(names) + [
                        "(or %s)" % self._archive[0]], url, err) from err
            self._unpack(archive)
            folder = self._locate(names)
            if folder is None:
                raise MXNetError("%s: %s does not contain %s" % (type(self).__name__, archive, ", ".join(names)))
        data, label = zip(*(self._read_batch(os.path.join(folder, n)) for n in names))
        self._data = _nd_array(np.ascontiguousarray(np.concatenate(data)), dtype=np.uint8)
        self._label = np.concatenate(label)


class CIFAR100(CIFAR10):
    """CIFAR-100: like CIFAR-10 but with 100 fine classes grouped into 20 coarse ones.

    A record is a coarse label byte, a fine label byte, then 3072 pixel bytes (``train.bin``,
    ``test.bin``, directly under root or in ``cifar-100-binary/``).

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/cifar100
        The folder with the files, or with ``cifar-100-binary.tar.gz``.
    fine_label : bool, default False
        The fine (100 classes) labels, or the coarse (20 super-classes) ones.
    train : bool, default True
        The training set, or the test set.
    transform : callable, optional
        Called as ``transform(image, label)`` on every access.
    """
    _namespace = "cifar100"
    _archive = ("cifar-100-binary.tar.gz", "a0bb982c76b83111308126cc779a992fa506b90b")
    _subdir = "cifar-100-binary"
    _train_files = ("train.bin",)
    _test_files = ("test.bin",)
    _label_bytes = 2
    _classes = (20, 100)      # coarse, fine

    def __init__(self, root=os.path.join(config.data_dir(), "datasets", "cifar100"), fine_label=False,
                 train=True, transform=None):
        self._fine_label = fine_label
        super().__init__(root, train, transform)

    def _label_column(self):
        return 1 if self._fine_label else 0


class ImageRecordDataset(RecordFileDataset):
    """Images in a RecordIO file: not supported by minimx (see ``RecordFileDataset``)."""

    def __init__(self, filename, flag=1, transform=None):
        super().__init__(filename)


class ImageFolderDataset(Dataset):
    """Images stored one folder per class::

        root/car/0001.jpg
        root/car/xxxa.png
        root/bus/123.jpg

    Folders are the classes, sorted by name (``synsets[i]`` is label i's name); files ending in
    .jpg, .jpeg or .png (any case) are read, others skipped with a warning.

    Parameters
    ----------
    root : str
        The folder of class folders.
    flag : {0, 1}, default 1
        1: decode to 3 colour channels (H, W, 3); 0: to one grey channel (H, W, 1).
    transform : callable, optional
        Called as ``transform(image, label)`` on every access.

    Attributes
    ----------
    synsets : list of str
        The class names.
    items : list of (filename, label)
        Every image, in order.
    """

    def __init__(self, root, flag=1, transform=None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._exts = [".jpg", ".jpeg", ".png"]
        if not os.path.isdir(self._root):
            raise MXNetError("ImageFolderDataset: %s is not a folder; it must hold one folder of images per "
                             "class" % self._root)
        self._list_images(self._root)

    def _list_images(self, root):
        self.synsets = []
        self.items = []
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn("Ignoring %s, which is not a directory." % path, stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn("Ignoring %s of type %s. Only support %s" % (filename, ext, ", ".join(self._exts)))
                    continue
                self.items.append((filename, label))

    def __getitem__(self, idx):
        img = image.imread(self.items[idx][0], self._flag)
        label = self.items[idx][1]
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self):
        return len(self.items)


class ImageListDataset(Dataset):
    """Images named by a list, each with a label (MXNet 2's dataset).

    Each sample is ``(image, label)``: a uint8 NDArray (H, W, C) and a float32 NDArray of the labels.

    Parameters
    ----------
    root : str, default '.'
        The folder image paths are relative to.
    imglist : str or list
        A ``.lst`` file under root (tab-separated lines: integer key, one or more labels, path), or a
        list whose items are ``[label, path]`` or ``[label_1, ..., label_k, path]``.
    flag : {0, 1}, default 1
        1: decode to 3 colour channels; 0: to one grey channel.
    transform : callable, optional
        Called as ``transform(image, label)`` on every access (a minimx addition).
    """

    def __init__(self, root=".", imglist=None, flag=1, transform=None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._items = []
        if isinstance(imglist, str):
            fname = os.path.join(self._root, imglist)
            with open(fname, "rt") as fin:
                for lineno, line in enumerate(fin, 1):
                    fields = line.strip().split("\t")
                    if not fields or fields == [""]:
                        continue
                    if len(fields) < 3:
                        raise MXNetError("ImageListDataset: %s line %d has %d tab-separated fields; expected "
                                         "'key<TAB>label(s)<TAB>path'" % (fname, lineno, len(fields)))
                    self._items.append(([float(v) for v in fields[1:-1]], fields[-1]))
        elif isinstance(imglist, (list, tuple)):
            for item in imglist:
                if len(item) > 2:
                    label = list(item[:-1])
                elif isinstance(item[0], Number):
                    label = [item[0]]
                else:
                    label = list(item[0])
                if not isinstance(item[-1], str):
                    raise MXNetError("ImageListDataset: the last element of each item must be the image path "
                                     "(a str), got %r" % (item[-1],))
                self._items.append((label, item[-1]))
        else:
            raise MXNetError("ImageListDataset: imglist must be a .lst file name or a list of [label, path], "
                             "got %r" % (imglist,))

    def __len__(self):
        return len(self._items)

    def __getitem__(self, idx):
        label, path = self._items[idx]
        img = image.imread(os.path.join(self._root, path), self._flag)
        label = _nd_array(np.asarray(label, np.float32), dtype=np.float32)
        if self._transform is not None:
            return self._transform(img, label)
        return img, label
