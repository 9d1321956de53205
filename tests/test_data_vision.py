"""gluon.data.vision datasets: small valid files of each real format written here, the download path
against a local HTTP server on 127.0.0.1 (including a corrupted download), and the bundled digits."""
import functools
import gzip
import hashlib
import http.server
import io
import os
import struct
import tarfile
import threading
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

import minimx as mx
from minimx.base import MXNetError
from minimx.data import _download
from minimx.data.vision import (CIFAR10, CIFAR100, MNIST, Digits, FashionMNIST, ImageFolderDataset,
                                ImageListDataset, ImageRecordDataset)
from minimx.data.vision import transforms as T
from minimx.data.vision.datasets import read_idx


# ---------------------------------------------------------------- writers of the real formats

def idx_bytes(array):
    """An IDX file: 00 00, type 0x08 (uint8), ndim, big-endian dims, then the bytes."""
    array = np.asarray(array, np.uint8)
    return struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">%dI" % array.ndim, *array.shape) + array.tobytes()


def mnist_arrays(n, seed):
    rs = np.random.RandomState(seed)
    return rs.randint(0, 256, (n, 28, 28)).astype(np.uint8), rs.randint(0, 10, n).astype(np.uint8)


def write_mnist(root, compress=True, n_train=5, n_test=3):
    root.mkdir(parents=True, exist_ok=True)
    out = {}
    for prefix, n, seed in (("train", n_train, 1), ("t10k", n_test, 2)):
        images, labels = mnist_arrays(n, seed)
        out[prefix] = (images, labels)
        for kind, arr, dims in (("images", images, 3), ("labels", labels, 1)):
            name = "%s-%s-idx%d-ubyte" % (prefix, kind, dims)
            data = idx_bytes(arr)
            if compress:
                (root / (name + ".gz")).write_bytes(gzip.compress(data))
            else:
                (root / name).write_bytes(data)
    return out


def cifar_records(n, label_bytes, seed):
    rs = np.random.RandomState(seed)
    images = rs.randint(0, 256, (n, 32, 32, 3)).astype(np.uint8)
    labels = rs.randint(0, 20 if label_bytes == 2 else 10, (n, label_bytes)).astype(np.uint8)
    if label_bytes == 2:
        labels[:, 1] = rs.randint(0, 100, n)
    planes = images.transpose(0, 3, 1, 2).reshape(n, 3072)     # R plane, G plane, B plane
    return images, labels, np.concatenate([labels, planes], axis=1).tobytes()


# ---------------------------------------------------------------- MNIST / FashionMNIST

@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_mnist_reads_idx_files(tmp_path, compress, cls):
    arrays = write_mnist(tmp_path, compress)
    train = cls(root=str(tmp_path))
    test = cls(root=str(tmp_path), train=False)
    assert len(train) == 5 and len(test) == 3
    img, label = train[2]
    assert isinstance(img, mx.nd.NDArray) and img.shape == (28, 28, 1) and img.dtype == np.uint8
    assert isinstance(label, np.int32)
    np.testing.assert_array_equal(img.asnumpy()[..., 0], arrays["train"][0][2])
    assert label == arrays["train"][1][2]
    np.testing.assert_array_equal(test[0][0].asnumpy()[..., 0], arrays["t10k"][0][0])
    scaled = cls(root=str(tmp_path), transform=lambda d, l: (d.astype("float32") / 255, l + 1))
    d, l = scaled[1]
    np.testing.assert_allclose(d.asnumpy()[..., 0], arrays["train"][0][1] / np.float32(255), rtol=1e-6)
    assert l == arrays["train"][1][1] + 1


def test_mnist_defaults_match_mxnet():
    import inspect
    from minimx import config
    root = inspect.signature(MNIST).parameters["root"].default
    assert root == os.path.join(config.data_dir(), "datasets", "mnist")     # $MXNET_HOME or ~/.mxnet
    assert inspect.signature(FashionMNIST).parameters["root"].default.endswith("fashion-mnist")
    assert inspect.signature(CIFAR100).parameters["fine_label"].default is False


def test_bad_idx_files_are_rejected(tmp_path):
    write_mnist(tmp_path)
    data = idx_bytes(np.zeros((5, 28, 28), np.uint8))
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(data[:-10]))
    with pytest.raises(MXNetError, match="truncated"):
        MNIST(root=str(tmp_path))
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x89PNG not idx")
    with pytest.raises(MXNetError, match="not an IDX file"):
        MNIST(root=str(tmp_path))
    (tmp_path / "bad.idx").write_bytes(idx_bytes(np.zeros((4, 28, 28), np.uint8)))
    assert read_idx(str(tmp_path / "bad.idx")).shape == (4, 28, 28)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((4, 28, 28)))))
    with pytest.raises(MXNetError, match="expected"):           # 4 images, 5 labels
        MNIST(root=str(tmp_path))


# ---------------------------------------------------------------- CIFAR

def test_cifar10_reads_binary_batches(tmp_path):
    expected = {}
    for i, name in enumerate(["data_batch_%d.bin" % k for k in range(1, 6)] + ["test_batch.bin"]):
        images, labels, raw = cifar_records(2 + i % 2, 1, seed=i)
        expected[name] = (images, labels[:, 0])
        (tmp_path / name).write_bytes(raw)
    train = CIFAR10(root=str(tmp_path))
    test = CIFAR10(root=str(tmp_path), train=False)
    assert len(train) == 2 + 3 + 2 + 3 + 2 and len(test) == 3
    img, label = train[2]                                       # first record of data_batch_2
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8 and isinstance(label, np.int32)
    np.testing.assert_array_equal(img.asnumpy(), expected["data_batch_2.bin"][0][0])
    assert label == expected["data_batch_2.bin"][1][0]
    np.testing.assert_array_equal(test[2][0].asnumpy(), expected["test_batch.bin"][0][2])
    (tmp_path / "test_batch.bin").write_bytes(b"\x00" * 3000)
    with pytest.raises(MXNetError, match="whole number"):
        CIFAR10(root=str(tmp_path), train=False)


def _tar_gz(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_cifar100_labels_and_archive_and_subfolder(tmp_path):
    images, labels, raw = cifar_records(4, 2, seed=3)
    _, _, raw_test = cifar_records(2, 2, seed=4)
    # the archive as published: files inside cifar-100-binary/
    (tmp_path / "cifar-100-binary.tar.gz").write_bytes(
        _tar_gz({"cifar-100-binary/train.bin": raw, "cifar-100-binary/test.bin": raw_test,
                 "../evil.bin": b"x"}))
    coarse = CIFAR100(root=str(tmp_path))
    fine = CIFAR100(root=str(tmp_path), fine_label=True)
    assert [int(coarse[i][1]) for i in range(4)] == labels[:, 0].tolist()
    assert [int(fine[i][1]) for i in range(4)] == labels[:, 1].tolist()
    np.testing.assert_array_equal(fine[3][0].asnumpy(), images[3])
    assert len(CIFAR100(root=str(tmp_path), train=False)) == 2
    assert not (tmp_path.parent / "evil.bin").exists()
    # files already unpacked in the archive's folder are found there too
    sub = tmp_path / "other" / "cifar-10-batches-bin"
    sub.mkdir(parents=True)
    _, lab, raw10 = cifar_records(3, 1, seed=5)
    (sub / "test_batch.bin").write_bytes(raw10)
    assert [int(l) for _, l in CIFAR10(root=str(tmp_path / "other"), train=False)] == lab[:, 0].tolist()


# ---------------------------------------------------------------- downloads from a local server

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/www on 127.0.0.1 (a free port) and yields (www folder, base URL)."""
    www = tmp_path / "www"
    www.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield www, "http://127.0.0.1:%d/" % httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _sha1(data):
    return hashlib.sha1(data).hexdigest()


def test_download_checks_sha1_and_leaves_no_corrupt_file(server, tmp_path):
    www, url = server
    (www / "a.bin").write_bytes(b"hello dataset")
    for folder in ("dest", "d2", "d3"):       # as in MXNet, a path that is not a folder names the file
        (tmp_path / folder).mkdir()
    dest = tmp_path / "dest"
    path = _download.download(url + "a.bin", path=str(dest), sha1_hash=_sha1(b"hello dataset"))
    assert Path(path) == dest / "a.bin" and Path(path).read_bytes() == b"hello dataset"
    (www / "a.bin").write_bytes(b"changed")          # the cached, valid file is not fetched again
    assert _download.download(url + "a.bin", path=str(dest), sha1_hash=_sha1(b"hello dataset")) == path
    with pytest.raises(MXNetError, match="SHA-1"):
        _download.download(url + "a.bin", path=str(tmp_path / "d2"), sha1_hash=_sha1(b"hello dataset"), retries=2)
    assert os.listdir(tmp_path / "d2") == []         # neither the file nor a partial one
    with pytest.raises(MXNetError, match="404|Not Found"):
        _download.download(url + "missing.bin", path=str(tmp_path / "d3"), retries=1)


def test_mnist_downloads_missing_files_from_the_repo(server, tmp_path, monkeypatch):
    www, url = server
    src = www / "gluon" / "dataset" / "mnist"
    arrays = write_mnist(src)
    files = {key: tuple((name, _sha1((src / name).read_bytes())) for name, _ in pairs)
             for key, pairs in MNIST._files.items()}
    monkeypatch.setattr(MNIST, "_files", files)
    monkeypatch.setenv("MXNET_GLUON_REPO", url)
    root = tmp_path / "root"
    test = MNIST(root=str(root), train=False)
    assert len(test) == 3
    np.testing.assert_array_equal(test[1][0].asnumpy()[..., 0], arrays["t10k"][0][1])
    assert sorted(os.listdir(root)) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    # a corrupted file on the server: rejected, nothing left on disk, the error says what to do
    (src / "train-images-idx3-ubyte.gz").write_bytes(b"corrupted")
    with pytest.raises(MXNetError) as err:
        MNIST(root=str(root), train=True)
    msg = str(err.value)
    assert "SHA-1" in msg and "train-images-idx3-ubyte.gz" in msg and str(root) in msg
    assert "train-images-idx3-ubyte.gz" not in os.listdir(root)
    assert not [n for n in os.listdir(root) if n.endswith(".part")]


def test_cifar_downloads_and_unpacks_the_archive(server, tmp_path, monkeypatch):
    www, url = server
    images, labels, raw = cifar_records(3, 1, seed=9)
    archive = _tar_gz({"cifar-10-batches-bin/test_batch.bin": raw})
    (www / "gluon" / "dataset" / "cifar10").mkdir(parents=True)
    (www / "gluon" / "dataset" / "cifar10" / "cifar-10-binary.tar.gz").write_bytes(archive)
    monkeypatch.setattr(CIFAR10, "_archive", ("cifar-10-binary.tar.gz", _sha1(archive)))
    monkeypatch.setenv("MXNET_GLUON_REPO", url)
    test = CIFAR10(root=str(tmp_path / "c"), train=False)
    np.testing.assert_array_equal(test[1][0].asnumpy(), images[1])


def test_offline_error_names_the_files_and_the_folder(tmp_path, monkeypatch):
    import socket
    with socket.socket() as s:                    # a port on 127.0.0.1 that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MXNET_GLUON_REPO", "http://127.0.0.1:%d/" % port)
    root = tmp_path / "offline"
    with pytest.raises(MXNetError) as err:
        FashionMNIST(root=str(root))
    msg = str(err.value)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", str(root), "root="):
        assert name in msg
    with pytest.raises(MXNetError, match="cifar-100-binary.tar.gz"):
        CIFAR100(root=str(tmp_path / "c100"))


# ---------------------------------------------------------------- image folders and lists

def _png(path, array):
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(str(path))


def test_image_folder_dataset(tmp_path):
    pytest.importorskip("PIL")
    rs = np.random.RandomState(0)
    imgs = {name: rs.randint(0, 256, (4, 5, 3)).astype(np.uint8) for name in ("a1", "a2", "b1")}
    _png(tmp_path / "cat" / "a1.png", imgs["a1"])
    _png(tmp_path / "cat" / "a2.PNG", imgs["a2"])
    _png(tmp_path / "dog" / "b1.png", imgs["b1"])
    (tmp_path / "dog" / "notes.txt").write_text("skip me")
    (tmp_path / "README").write_text("not a class")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = ImageFolderDataset(str(tmp_path))
    assert len(caught) == 2
    assert ds.synsets == ["cat", "dog"] and len(ds) == 3
    assert [label for _, label in ds.items] == [0, 0, 1]
    img, label = ds[2]
    assert img.shape == (4, 5, 3) and img.dtype == np.uint8 and label == 1
    np.testing.assert_array_equal(img.asnumpy(), imgs["b1"])
    grey = ImageFolderDataset(str(tmp_path), flag=0)[0][0]
    assert grey.shape == (4, 5, 1)
    t = ImageFolderDataset(str(tmp_path), transform=lambda d, l: (T.ToTensor()(d), l))
    assert t[0][0].shape == (3, 4, 5)
    with pytest.raises(MXNetError, match="not a folder"):
        ImageFolderDataset(str(tmp_path / "nope"))
    # JPEG files are read too (lossy: compare with a tolerance on a flat colour)
    flat = np.zeros((16, 16, 3), np.uint8) + np.array([200, 90, 30], np.uint8)
    _png(tmp_path / "jpegs" / "bird" / "x.jpg", flat)
    _png(tmp_path / "jpegs" / "bird" / "y.JPEG", flat)
    jpegs = ImageFolderDataset(str(tmp_path / "jpegs"))
    assert len(jpegs) == 2
    assert np.abs(jpegs[0][0].asnumpy().astype(int) - flat).max() <= 3


def test_image_list_dataset(tmp_path):
    pytest.importorskip("PIL")
    rs = np.random.RandomState(1)
    a = rs.randint(0, 256, (3, 3, 3)).astype(np.uint8)
    b = rs.randint(0, 256, (2, 6, 3)).astype(np.uint8)
    _png(tmp_path / "imgs" / "a.png", a)
    _png(tmp_path / "imgs" / "b.png", b)
    (tmp_path / "list.lst").write_text("0\t1.0\timgs/a.png\n5\t2\t7\timgs/b.png\n")
    ds = ImageListDataset(root=str(tmp_path), imglist="list.lst")
    assert len(ds) == 2
    img, label = ds[1]
    np.testing.assert_array_equal(img.asnumpy(), b)
    assert label.dtype == np.float32 and label.asnumpy().tolist() == [2.0, 7.0]
    ds2 = ImageListDataset(root=str(tmp_path), imglist=[[3, "imgs/a.png"], [1, 2, "imgs/b.png"]])
    assert ds2[0][1].asnumpy().tolist() == [3.0] and ds2[1][1].asnumpy().tolist() == [1.0, 2.0]
    np.testing.assert_array_equal(ds2[0][0].asnumpy(), a)
    (tmp_path / "bad.lst").write_text("0\timgs/a.png\n")
    with pytest.raises(MXNetError, match="tab-separated"):
        ImageListDataset(root=str(tmp_path), imglist="bad.lst")
    with pytest.raises(MXNetError, match="RecordIO"):
        ImageRecordDataset("x.rec")


# ---------------------------------------------------------------- the bundled digits

def test_digits_ship_with_a_fixed_split():
    train, test = Digits(), Digits(train=False)
    assert len(train) == 1438 and len(test) == 359
    img, label = train[0]
    assert img.shape == (8, 8, 1) and img.dtype == np.uint8 and isinstance(label, np.int32)
    x = train._data.asnumpy()
    assert x.min() == 0 and x.max() == 255
    assert set(np.unique(x)) <= set(np.rint(np.arange(17) * 255 / 16).astype(int).tolist())
    counts = np.bincount(test._label, minlength=10)
    assert counts.sum() == 359 and counts.min() >= 34            # stratified: ~20% of each class
    with np.load(Path(mx.data.vision.digits.__file__).parent / "_digits" / "digits.npz") as f:
        assert not set(f["train_index"].tolist()) & set(f["test_index"].tolist())
        assert len(f["images"]) == 1797
    assert np.array_equal(Digits()._label, train._label)             # the same every time


def test_digits_upsampled_for_mnist_code():
    up = Digits(train=False, upsample=True)
    img, label = up[5]
    assert img.shape == (28, 28, 1) and img.dtype == np.uint8
    pixels = img.asnumpy()[..., 0]
    assert pixels[:4].max() == 0 and pixels[:, :4].max() == 0 and pixels[4:24, 4:24].max() > 0
    assert Digits(upsample=16)[0][0].shape == (16, 16, 1)
    # MNIST's usual pipeline runs unchanged
    ds = Digits(train=False, upsample=True).transform_first(T.Compose([T.ToTensor(), T.Normalize(0.13, 0.31)]))
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32
    assert Digits(transform=lambda d, l: (d, l * 0))[3][1] == 0


def test_digits_are_real_labelled_digits():
    """A nearest-class-mean classifier gets most test digits right: images and labels line up."""
    train, test = Digits(), Digits(train=False)
    xtr = train._data.asnumpy().reshape(len(train), -1).astype(np.float64)
    xte = test._data.asnumpy().reshape(len(test), -1).astype(np.float64)
    means = np.stack([xtr[train._label == c].mean(0) for c in range(10)])
    pred = np.argmin(((xte[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    assert (pred == test._label).mean() > 0.85


def test_digits_missing_file_and_packaging(tmp_path):
    with pytest.raises(MXNetError, match="digits.npz"):
        Digits(root=str(tmp_path))
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]["minimx.data.vision"]
    assert "_digits/digits.npz" in shipped and "_digits/README.md" in shipped
    readme = (Path(mx.data.vision.digits.__file__).parent / "_digits" / "README.md").read_text()
    assert "CC BY 4.0" in readme and "UCI" in readme


def test_reachable_as_gluon_data_vision():
    assert mx.gluon.data.vision.MNIST is MNIST
    assert mx.gluon.data.vision.transforms.ToTensor is T.ToTensor
