"""Dataset files cannot hurt (issue 10, part 3): hostile and fuzzed inputs to every file reader in
minimx.data and minimx.image.

Readers: the IDX reader of MNIST / FashionMNIST (raw and gzip), the CIFAR-10/100 binary reader and
its archive unpacker, the bundled Digits' .npz reader, and ``mx.image.imread`` / ``imdecode``
(PNG, JPEG through Pillow). Each hostile file must raise MXNetError naming the file and the
problem, with a bounded peak allocation (tracemalloc) and no crash. The fuzz tests mutate good
files (hypothesis) and accept only a load or an MXNetError; ``-s`` prints the execution counts.
(RecordIO: minimx has no reader; ``ImageRecordDataset`` refuses at once, tested in test_data_vision.)
"""
import gzip
import io
import os
import struct
import tarfile
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

import minimx as mx
from minimx.base import MXNetError
from minimx.data.vision import _readers
from minimx.gluon.data.vision import CIFAR10, CIFAR100, MNIST, Digits, FashionMNIST

import byte_mutations

SLACK = 4 << 20          # bytes a reader may allocate beyond a few times its file's size
BIG = 2**32 - 1


def bounded(fn, *args, size):
    """fn(*args), asserting its peak traced allocation stays below 4 x size + SLACK."""
    tracemalloc.start()
    try:
        return fn(*args)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 4 * size + SLACK, f"{fn.__name__} allocated {peak} bytes for {size} bytes"


# ---- IDX (MNIST, FashionMNIST) ---------------------------------------------------------------
def idx(shape, body=None, code=0x08, ndim=None):
    head = bytes([0, 0, code, len(shape) if ndim is None else ndim])
    head += struct.pack(">%dI" % len(shape), *shape)
    if body is None:
        body = bytes(int(np.prod(shape)))
    return head + body


IDX_CASES = {
    "empty": (b"", "not an IDX file"),
    "three bytes": (b"\x00\x00\x08", "not an IDX file"),
    "png magic": (b"\x89PNG\r\n\x1a\n" + bytes(20), "not an IDX file"),
    "unknown type code 0x07": (idx((2,), code=0x07), "type code"),
    "zero dimensions": (idx((), b"\x05"), "0 dimensions"),
    "200 dimensions": (bytes([0, 0, 8, 200]) + bytes(800), "200 dimensions"),
    "dims cut short": (bytes([0, 0, 8, 3]) + bytes(6), "header is truncated"),
    "2**31 labels, 1 byte": (idx((2**31,), b"\x01"), "2147483648"),
    "2**31 images of 28x28": (idx((2**31, 28, 28), bytes(100)), "truncated or corrupt"),
    "dims of 2**32-1 (product overflows int64)": (idx((BIG,) * 4, bytes(16)), "truncated or corrupt"),
    "'negative' dim -1 (reads as 2**32-1)": (idx((BIG, 28), bytes(28)), "4294967295"),
    "a zero dim beside huge ones": (idx((0, BIG, BIG, BIG), b""), "truncated or corrupt"),
    "data shorter than the shape": (idx((4, 28, 28))[:-5], "truncated or corrupt"),
    "data longer than the shape": (idx((4, 28, 28)) + b"\x00", "holds more bytes"),
    "int32 data, odd length": (idx((3,), bytes(11), code=0x0C), "truncated or corrupt"),
}


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("case", list(IDX_CASES))
def test_hostile_idx_file_raises_mxneterror(case, gz, tmp_path):
    data, words = IDX_CASES[case]
    if gz:
        data = gzip.compress(data)
    path = tmp_path / "hostile-idx-ubyte"
    path.write_bytes(data)
    with pytest.raises(MXNetError) as err:
        bounded(_readers.read_idx, str(path), size=len(data))
    assert str(path) in str(err.value) and words in str(err.value), str(err.value)


def gzip_claiming(shape, payload_bytes):
    """A gzip IDX file whose header claims `shape` while holding `payload_bytes` zeros."""
    return gzip.compress(idx(shape, bytes(payload_bytes)), compresslevel=9)


@pytest.mark.parametrize("case", [
    ("a bomb: 10 GB claimed, 4 MB of zeros", (10_000, 1000, 1000), 4 << 20, "truncated or corrupt"),
    ("a cut stream", None, None, "corrupt or truncated"),
    ("a damaged stream (CRC)", None, None, "corrupt or truncated"),
], ids=lambda c: c[0])
def test_hostile_gzip_idx_raises_without_inflating(case, tmp_path):
    name, shape, payload, words = case
    good = gzip.compress(idx((20, 28, 28), bytes(range(256)) * 61 + bytes(64)))
    if name.startswith("a bomb"):
        data = gzip_claiming(shape, payload)
    elif name.startswith("a cut"):
        data = good[:len(good) // 2]
    else:
        data = good[:-8] + bytes(4) + good[-4:]          # wrong CRC32 in the trailer
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(data)
    with pytest.raises(MXNetError) as err:
        bounded(_readers.read_idx, str(path), size=len(data))
    assert str(path) in str(err.value) and words in str(err.value), str(err.value)


def write_mnist(root, n_images=5, n_labels=5, labels_shape=None):
    files = MNIST._files["train"]
    images = idx((n_images, 28, 28))
    labels = idx(labels_shape or (n_labels,), bytes(range(n_labels)) if labels_shape is None else None)
    (root / files[0][0]).write_bytes(gzip.compress(images))
    (root / files[1][0]).write_bytes(gzip.compress(labels))


@pytest.mark.parametrize("dataset", [MNIST, FashionMNIST])
@pytest.mark.parametrize("case", ["5 images, 4 labels", "labels of rank 2", "images of rank 1"])
def test_mismatched_mnist_files_raise_mxneterror(dataset, case, tmp_path):
    if case == "5 images, 4 labels":
        write_mnist(tmp_path, 5, 4)
    elif case == "labels of rank 2":
        write_mnist(tmp_path, 5, 5, labels_shape=(5, 2))
    else:
        write_mnist(tmp_path)
        (tmp_path / MNIST._files["train"][0][0]).write_bytes(gzip.compress(idx((5 * 784,))))
    with pytest.raises(MXNetError) as err:
        dataset(root=str(tmp_path))
    msg = str(err.value)
    assert "train-images-idx3-ubyte.gz" in msg and "train-labels-idx1-ubyte.gz" in msg, msg
    write_mnist(tmp_path)                                    # and a good pair still loads
    assert len(dataset(root=str(tmp_path))) == 5


# ---- CIFAR ------------------------------------------------------------------------------------
def cifar(n, label_bytes, labels=None):
    rng = np.random.RandomState(n)
    recs = rng.randint(0, 256, (n, label_bytes + 3072)).astype(np.uint8)
    recs[:, :label_bytes] = 0 if labels is None else labels
    return recs.tobytes()


CIFAR_CASES = {
    "empty": (CIFAR10, b"", "not a whole number"),
    "3000 bytes": (CIFAR10, bytes(3000), "not a whole number"),
    "two records and 5 bytes": (CIFAR10, cifar(2, 1) + bytes(5), "not a whole number"),
    # 3073 records of 3074 bytes are 3074 of 3073: only the label check sees it
    "CIFAR-100 records read as CIFAR-10": (CIFAR10, cifar(3073, 2, labels=[5, 50]), "only 10 classes"),
    "label 10 in CIFAR-10": (CIFAR10, cifar(3, 1, labels=[[0], [10], [1]]), "record 1 has label"),
    "label 255 in CIFAR-10": (CIFAR10, cifar(2, 1, labels=[[255], [0]]), "255"),
    "coarse label 20 in CIFAR-100": (CIFAR100, cifar(2, 2, labels=[[3, 7], [20, 5]]), "20 classes"),
    "fine label 100 in CIFAR-100": (CIFAR100, cifar(2, 2, labels=[[3, 100], [2, 5]]), "100 classes"),
}


@pytest.mark.parametrize("case", list(CIFAR_CASES))
def test_hostile_cifar_file_raises_mxneterror(case, tmp_path):
    dataset, data, words = CIFAR_CASES[case]
    name = "test_batch.bin" if dataset is CIFAR10 else "test.bin"
    (tmp_path / name).write_bytes(data)
    with pytest.raises(MXNetError) as err:
        bounded(lambda root: dataset(root, train=False), str(tmp_path), size=len(data))
    assert name in str(err.value) and words in str(err.value), str(err.value)


def test_cifar_directory_in_place_of_a_file_raises(tmp_path):
    (tmp_path / "test_batch.bin").mkdir()
    with pytest.raises(MXNetError, match="test_batch.bin.*cannot read"):
        CIFAR10(root=str(tmp_path), train=False)


@pytest.mark.parametrize("case", ["cut archive", "not an archive", "empty archive"])
def test_hostile_cifar_archive_raises_mxneterror(case, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = cifar(2, 1)
        info = tarfile.TarInfo("cifar-10-batches-bin/test_batch.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    good = buf.getvalue()
    data = {"cut archive": good[:len(good) // 2], "not an archive": b"PK\x03\x04 not a tar",
            "empty archive": b""}[case]
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(data)
    with pytest.raises(MXNetError, match="cifar-10-binary.tar.gz"):
        CIFAR10(root=str(tmp_path), train=False)
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(good)       # the good archive unpacks
    assert len(CIFAR10(root=str(tmp_path), train=False)) == 2


# ---- Digits (.npz) ----------------------------------------------------------------------------
def npz(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def npy_claiming(shape, body=b""):
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue() + body


def zip_of(name, payload, method=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        zf.writestr(name, payload)
    return buf.getvalue()


DIGITS_CASES = {
    "empty": (b"", "not a readable .npz"),
    "not a zip": (b"hello world" * 10, "not a readable .npz"),
    "a member claiming 2**40 float64": (zip_of("images.npy", npy_claiming((2**40,), bytes(64))),
                                        "claims shape"),
    "a member claiming 2**31 x 2**31": (zip_of("images.npy", npy_claiming((2**31, 2**31))),
                                        "claims shape"),
    "a member that is not .npy": (zip_of("images.npy", b"garbage" * 20), "not a readable .npz"),
    "missing arrays": (npz(images=np.zeros((2, 8, 8))), "train_index"),
    "an index out of range": (npz(images=np.zeros((2, 8, 8)), labels=np.zeros(2),
                                  train_index=np.array([5]), test_index=np.array([0])), "damaged"),
    "object arrays (pickle)": (npz(images=np.array([None, 1], dtype=object)), "claims shape"),
}


@pytest.mark.parametrize("case", list(DIGITS_CASES))
def test_hostile_digits_file_raises_mxneterror(case, tmp_path):
    data, words = DIGITS_CASES[case]
    path = tmp_path / "digits.npz"
    path.write_bytes(data)
    with pytest.raises(MXNetError) as err:
        bounded(Digits, str(tmp_path), size=len(data))
    assert str(path) in str(err.value) and words in str(err.value), str(err.value)


def test_a_deflate_member_claiming_more_than_1032x_is_refused(tmp_path):
    data = zip_of("images.npy", npy_claiming((100,), bytes(800)), zipfile.ZIP_DEFLATED)
    info_at = data.rfind(b"PK\x01\x02")                # central directory: file size at +24
    data = data[:info_at + 24] + struct.pack("<I", 2**31) + data[info_at + 28:]
    (tmp_path / "digits.npz").write_bytes(data)
    with pytest.raises(MXNetError, match="claims 2147483648 bytes"):
        Digits(root=str(tmp_path))


# ---- images (imdecode / imread) ---------------------------------------------------------------
def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, rows=None):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = rows if rows is not None else b"".join(b"\x00" + bytes(3 * width) for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw)) \
        + png_chunk(b"IEND", b"")


def jpeg():
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3)).save(buf, "JPEG")
    return buf.getvalue()


NOISY_PNG = png(16, 16, rows=b"".join(b"\x00" + bytes(np.random.RandomState(r).randint(0, 256, 48)
                                                           .astype(np.uint8)) for r in range(16)))
IMAGE_CASES = {
    "empty": b"",
    "random bytes": bytes(range(256)) * 4,
    "a PNG cut in the middle": NOISY_PNG[:len(NOISY_PNG) // 2],
    "a JPEG cut in the middle": jpeg()[:200],
    "a PNG with a bad CRC": png(4, 4)[:29] + b"\x00\x00\x00\x00" + png(4, 4)[33:],
    "a PNG claiming 30000x30000 pixels": png(30000, 30000, rows=b"\x00" * 100),
    "a PNG claiming 2**31-1 x 2**31-1": png(2**31 - 1, 2**31 - 1, rows=b"\x00" * 100),
    "a PNG of width 0": png(0, 4, rows=b""),
}


@pytest.mark.parametrize("case", list(IMAGE_CASES))
def test_hostile_image_raises_mxneterror(case, tmp_path):
    data = IMAGE_CASES[case]
    path = tmp_path / "hostile.png"
    path.write_bytes(data)
    with pytest.raises(MXNetError) as err:
        bounded(mx.image.imread, str(path), size=len(data))
    assert str(path) in str(err.value) and "Cannot decode" in str(err.value), str(err.value)
    with pytest.raises(MXNetError, match="an image buffer"):
        mx.image.imdecode(data)


def test_imread_of_a_folder_or_missing_file_raises(tmp_path):
    with pytest.raises(MXNetError, match="cannot read"):
        mx.image.imread(str(tmp_path))
    with pytest.raises(MXNetError, match="cannot read"):
        mx.image.imread(str(tmp_path / "nope.jpg"))


# ---- fuzzing ----------------------------------------------------------------------------------
FUZZ_COUNTS = {}


def _read_cifar(path):
    return _readers.read_cifar_batch(path, 2, (20, 100))


def _read_digits(path):
    return Digits(root=os.path.dirname(path))


def _seeds():
    return {
        "idx": ("x-idx3-ubyte", _readers.read_idx, idx((3, 5, 4), bytes(range(60)))),
        "idx.gz": ("x-idx1-ubyte.gz", _readers.read_idx, gzip.compress(idx((7,), bytes(range(7))))),
        "cifar100": ("train.bin", _read_cifar, cifar(2, 2, labels=[[1, 2], [19, 99]])),
        "png": ("x.png", mx.image.imread, png(5, 3)),
        "jpeg": ("x.jpg", mx.image.imread, jpeg()),
        "npz": ("digits.npz", _read_digits, npz(images=np.arange(128.0).reshape(2, 8, 8),
                                                labels=np.array([3, 4]), train_index=np.array([0]),
                                                test_index=np.array([1]))),
    }


SEEDS = _seeds()
INTERESTING = [0, 1, 2, 3, 8, 13, 32, 33, 64, 0xFF, 0xFFFF, 2**31 - 1, 2**31, 2**32 - 1]
mutation = byte_mutations.strategy(INTERESTING, (">I", "<I"))     # u32, big- and little-endian
mutate = byte_mutations.mutate


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    yield tmp_path_factory.mktemp("fuzz")
    print(f"\nfuzz executions: {FUZZ_COUNTS}")


def fuzz_one(folder, seed, mutations):
    name, reader, good = SEEDS[seed]
    FUZZ_COUNTS[seed] = FUZZ_COUNTS.get(seed, 0) + 1
    data = mutate(good, mutations)
    path = folder / name
    path.write_bytes(data)
    try:
        bounded(reader, str(path), size=len(data))
    except MXNetError:
        pass


fuzz_case = dict(seed=st.sampled_from(sorted(SEEDS)),
                 mutations=st.lists(mutation, min_size=1, max_size=4))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(**fuzz_case)
@example(seed="npz", mutations=[("flip", 207166, 1)])   # found by the long run: NotImplementedError
@example(seed="npz", mutations=[("flip", 207164, 1)])   # found by the long run: "encrypted"
def test_fuzz_readers(fuzz_dir, seed, mutations):
    fuzz_one(fuzz_dir, seed, mutations)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, derandomize=False,
          suppress_health_check=list(HealthCheck))
@given(**fuzz_case)
def test_fuzz_readers_long(fuzz_dir, seed, mutations):
    fuzz_one(fuzz_dir, seed, mutations)
