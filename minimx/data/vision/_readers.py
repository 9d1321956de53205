"""Readers of the vision datasets' file formats that a damaged or hostile file cannot hurt.

Every reader checks the sizes a header claims against the bytes the file actually holds *before*
it allocates anything, so a header that claims 2**31 images of 2**31 pixels raises a clear
MXNetError (naming the file and the field) instead of asking for exabytes. Gzip files are read
through a bounded stream: deflate cannot expand more than 1032-fold, so a claim larger than that
is refused before decompressing, and no more than the claimed bytes (plus one, to spot extra data)
are ever decompressed.
"""
import gzip
import math
import os
import struct
import zipfile
import zlib

import numpy as np

from ...base import MXNetError

__all__ = ["read_idx", "read_cifar_batch", "check_npz"]

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_MAX_NDIM = 32            # numpy's limit is 64; MNIST's files have 1 or 3
_DEFLATE_MAX_RATIO = 1032  # the most one byte of deflate data can expand to
_GZIP_ERRORS = (OSError, EOFError, zlib.error)   # gzip.BadGzipFile is an OSError


def _open(filename):
    """(stream, size on disk, is gzip) for a file that may be gzip-compressed."""
    try:
        size = os.path.getsize(filename)
        f = open(filename, "rb")
    except OSError as err:
        raise MXNetError("%s: cannot read it: %s" % (filename, err)) from err
    magic = f.read(2)
    f.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=f, mode="rb"), size, True
    return f, size, False


def _read(stream, n, filename, what):
    try:
        return stream.read(n)
    except _GZIP_ERRORS as err:
        raise MXNetError("%s: the gzip data is corrupt or truncated while reading %s: %s"
                         % (filename, what, err)) from err


def read_idx(filename):
    """Reads an IDX file (LeCun's MNIST format), gzip-compressed or not, into a numpy array.

    The header is two zero bytes, a type code (0x08 = uint8), the number of dimensions, then one
    big-endian uint32 per dimension; the values follow in C order.
    """
    stream, disk_size, gz = _open(filename)
    with stream:
        head = _read(stream, 4, filename, "the header")
        if len(head) < 4 or head[:2] != b"\x00\x00" or head[2] not in _IDX_TYPES:
            raise MXNetError(
                "%s is not an IDX file: it starts with %s (it must start with 00 00, a type code "
                "among %s and the number of dimensions; MNIST's files do)"
                % (filename, head.hex(" ") or "nothing", ", ".join("%02x" % t for t in _IDX_TYPES)))
        ndim = head[3]
        if not 1 <= ndim <= _MAX_NDIM:
            raise MXNetError("%s: the IDX header says %d dimensions; expected 1 to %d (MNIST's "
                             "labels have 1, its images 3)" % (filename, ndim, _MAX_NDIM))
        dims = _read(stream, 4 * ndim, filename, "the dimensions")
        if len(dims) < 4 * ndim:
            raise MXNetError("%s: the IDX header is truncated: %d dimensions need %d bytes, the "
                             "file has %d" % (filename, ndim, 4 * ndim, len(dims)))
        shape = struct.unpack(">%dI" % ndim, dims)
        dtype = np.dtype(_IDX_TYPES[head[2]])
        nbytes = math.prod(shape) * dtype.itemsize      # Python ints: no overflow
        header = 4 + 4 * ndim
        # what the file can hold at most: its size, or 1032 times it when compressed
        room = disk_size * _DEFLATE_MAX_RATIO if gz else disk_size - header
        nonzero = math.prod(d for d in shape if d) * dtype.itemsize
        if nbytes > room or nonzero > np.iinfo(np.intp).max:
            raise MXNetError(
                "%s: the IDX header says shape %s (%d bytes of data) but the file is %d bytes%s; "
                "it is truncated or corrupt" % (filename, shape, nbytes, disk_size,
                                                " compressed" if gz else ""))
        body = _read(stream, nbytes + 1, filename, "the data")
    if len(body) != nbytes:
        raise MXNetError("%s: the IDX header says shape %s (%d bytes of data) but the file holds %s "
                         "bytes; it is truncated or corrupt"
                         % (filename, shape, nbytes, len(body) if len(body) <= nbytes else "more"))
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def read_cifar_batch(filename, label_bytes, classes):
    """(images (N, 32, 32, 3) uint8, labels (N, label_bytes) uint8) of one CIFAR binary file.

    A record is ``label_bytes`` label bytes, then 1024 red, 1024 green and 1024 blue bytes;
    ``classes[i]`` is the number of classes of label byte ``i`` (a larger value means corruption).
    """
    try:
        with open(filename, "rb") as f:
            raw = np.frombuffer(f.read(), dtype=np.uint8)
    except OSError as err:
        raise MXNetError("%s: cannot read it: %s" % (filename, err)) from err
    record = 3072 + label_bytes
    if raw.size == 0 or raw.size % record:
        raise MXNetError("%s: %d bytes is not a whole number of %d-byte CIFAR records (%d label "
                         "byte(s) + 3072 pixels); the file is truncated or not CIFAR's binary version"
                         % (filename, raw.size, record, label_bytes))
    raw = raw.reshape(-1, record)
    labels = raw[:, :label_bytes]
    for col, n in enumerate(classes):
        bad = np.flatnonzero(labels[:, col] >= n)
        if bad.size:
            raise MXNetError("%s: record %d has label byte %d = %d, but there are only %d classes; "
                             "the file is corrupt or not this dataset's"
                             % (filename, bad[0], col, labels[bad[0], col], n))
    images = raw[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, labels


def check_npz(filename, max_bytes=1 << 30):
    """Raise MXNetError unless ``filename`` is a zip of .npy members whose headers claim no more
    data than each member holds (numpy's loader allocates the claimed size before reading)."""
    try:
        with zipfile.ZipFile(filename) as zf:
            for info in zf.infolist():
                ratio = 1 if info.compress_type == zipfile.ZIP_STORED else _DEFLATE_MAX_RATIO
                if info.file_size > min(max_bytes, info.compress_size * ratio):
                    raise MXNetError("%s: member %s claims %d bytes from %d compressed bytes"
                                     % (filename, info.filename, info.file_size, info.compress_size))
                with zf.open(info) as member:
                    fmt = np.lib.format
                    read_header = {(1, 0): fmt.read_array_header_1_0,
                                   (2, 0): fmt.read_array_header_2_0}.get(fmt.read_magic(member))
                    if read_header is None:
                        raise MXNetError("%s: member %s is not a version 1 or 2 .npy file"
                                         % (filename, info.filename))
                    shape, _, dtype = read_header(member)
                    nbytes = math.prod(shape) * dtype.itemsize
                    if dtype.hasobject or nbytes > info.file_size:
                        raise MXNetError("%s: member %s claims shape %s of %s (%d bytes) in %d bytes"
                                         % (filename, info.filename, shape, dtype, nbytes,
                                            info.file_size))
    except MXNetError:
        raise
    except (OSError, EOFError, ValueError, zlib.error, zipfile.BadZipFile, KeyError,
            struct.error, SyntaxError, TypeError,
            NotImplementedError, RuntimeError) as err:   # unknown compression; "encrypted"
        raise MXNetError("%s: not a readable .npz file: %s: %s"
                         % (filename, type(err).__name__, err)) from err
