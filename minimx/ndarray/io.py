"""MXNet 1.x's binary NDArray file format: ``mx.nd.save``, ``mx.nd.load`` and ``.params`` files.

A file holds a list of arrays and, optionally, one name per array (then it loads as a dict).
Every integer is little-endian. The file, as ``NDArray::Save`` in MXNet's ``src/ndarray/ndarray.cc``
writes it through dmlc-core's serializer (a vector is a uint64 count, then its items)::

    size        type     field
    8           uint64   list magic 0x112
    8           uint64   reserved, 0
    8           uint64   N, the number of arrays
    ...         record   N array records (below)
    8           uint64   number of names: 0 (a list) or N (a dict)
    8 + L       ...      each name: uint64 length L, then L bytes of UTF-8

One array record, version 2 (what MXNet 1.x writes)::

    size        type     field
    4           uint32   magic 0xF993FAC9
    4           int32    storage type: 0 dense (1 row_sparse, 2 csr: more fields, not read here)
    4           int32    ndim (0: an empty ``NDArray()``, and the record ends here)
    8 * ndim    int64    the shape
    4           int32    context dev_type (1 = cpu, 2 = gpu)
    4           int32    context dev_id
    4           int32    dtype flag (mshadow's ``TypeFlag``: see ``TYPE_FLAGS``)
    size * k    raw      the elements in C order, k bytes each

So a 2x3 float32 array takes 4 + 4 + 4 + 2*8 + 4 + 4 + 4 + 6*4 = 64 bytes.

Records MXNet 1.9.1 still reads, told apart by their first uint32:

- version 3 (magic 0xF993FACA): written under numpy shape semantics (``npx.set_np()``). The same
  fields, but ndim 0 is a 0-d array and ndim -1 (or a dim of -1) an empty ``NDArray()``.
- version 1 (magic 0xF993FAC8): no storage type field; the shape follows the magic.
- legacy (no magic at all): the first uint32 *is* ndim, then ndim uint32 dims; then as version 1.

Examples
--------
>>> buf = encode({'w': np.ones((2, 3), np.float32)})
>>> len(buf)  # header 24 + record 64 + name count 8 + name 'w' (8 + 1)
105
>>> decode(buf)['w'].shape
(2, 3)
"""
import math
import os
import secrets
import struct
import sys

import numpy as np

from ..base import MXNetError
from .creation import array
from .ndarray import NDArray

__all__ = ["encode", "decode", "save", "load", "load_frombuffer", "TYPE_FLAGS"]

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA
CPU_DEV_TYPE = 1
# numpy holds at most 64 dimensions. A legacy record's first uint32 is its ndim, so anything larger
# that is not a magic cannot be a record we could return: call it a bad magic.
MAX_NDIM = 64

# mshadow's TypeFlag (3rdparty/mshadow/mshadow/base.h) for the dtypes an MXNet NDArray may have.
TYPE_FLAGS = {
    np.dtype(np.float32): 0,
    np.dtype(np.float64): 1,
    np.dtype(np.float16): 2,
    np.dtype(np.uint8): 3,
    np.dtype(np.int32): 4,
    np.dtype(np.int8): 5,
    np.dtype(np.int64): 6,
    np.dtype(np.bool_): 7,
}
FLAG_DTYPES = {flag: dtype for dtype, flag in TYPE_FLAGS.items()}
# Flags mshadow defines that MXNet 1.9.1's loader refuses (8-11) or numpy cannot hold (12).
OTHER_FLAGS = {8: "int16", 9: "uint16", 10: "uint32", 11: "uint64", 12: "bfloat16"}
STORAGE_TYPES = {0: "default", 1: "row_sparse", 2: "csr"}


class _Reader:
    """A cursor over a file's bytes that never reads past the end.

    Every read says what it is reading, so a short or corrupt file fails with the file's name, the
    byte offset and the field, not with a bare ``struct.error``.
    """

    def __init__(self, buf, source):
        self.buf = memoryview(buf).cast("B")
        self.source = source
        self.pos = 0

    def left(self):
        return len(self.buf) - self.pos

    def error(self, message):
        return MXNetError(f"{self.source}: {message}")

    def take(self, nbytes, what):
        """Advance past ``nbytes`` bytes and return where they start."""
        if nbytes > self.left():
            raise self.error(f"truncated at byte {len(self.buf)}: {what} at byte {self.pos} "
                             f"needs {nbytes} bytes, {self.left()} are left")
        start = self.pos
        self.pos += nbytes
        return start

    def unpack(self, fmt, what):
        return struct.unpack_from(fmt, self.buf, self.take(struct.calcsize(fmt), what))


def _read_shape(r, index, legacy_ndim=None):
    """Read a shape: int32 ndim + int64 dims, or (legacy) ``legacy_ndim`` uint32 dims.

    Returns None for ndim -1 ("unknown", numpy shape semantics).
    """
    if legacy_ndim is not None:
        return r.unpack(f"<{legacy_ndim}I", f"the shape of array {index}")
    at = r.pos
    (ndim,) = r.unpack("<i", f"the ndim of array {index}")
    if ndim == -1:
        return None
    if not 0 <= ndim <= MAX_NDIM:
        raise r.error(f"corrupt ndim {ndim} of array {index} at byte {at}")
    return r.unpack(f"<{ndim}q", f"the shape of array {index}")


def _read_array(r, index):
    """Read one array record, of any version, into a numpy array."""
    at = r.pos
    (magic,) = r.unpack("<I", f"the magic of array {index}")
    if magic in (V2_MAGIC, V3_MAGIC):
        (stype,) = r.unpack("<i", f"the storage type of array {index}")
        if stype != 0:
            raise r.error(f"array {index} has storage type {stype} "
                          f"({STORAGE_TYPES.get(stype, 'unknown')}); minimx reads only dense "
                          f"(storage type 0, 'default') arrays")
        shape = _read_shape(r, index)
    elif magic == V1_MAGIC:
        shape = _read_shape(r, index)
    elif magic <= MAX_NDIM:
        shape = _read_shape(r, index, legacy_ndim=magic)
    else:
        raise r.error(f"bad magic 0x{magic:08X} of array {index} at byte {at}: expected "
                      f"0x{V2_MAGIC:08X} (or 0x{V1_MAGIC:08X}, 0x{V3_MAGIC:08X}, a legacy ndim)")
    if magic == V3_MAGIC:
        empty = shape is None or -1 in shape  # numpy shape semantics: -1 is "unknown"
    else:
        empty = shape == ()  # MXNet 1.x's own shape semantics: ndim 0 is "unknown"
    if empty:
        # NB: MXNet's C++ loader returns an empty NDArray() here, which its Python API then
        # refuses ("unknown storage type: -1"); we refuse at once.
        raise r.error(f"array {index} at byte {at} is an empty NDArray() with no shape")
    if shape is None or any(dim < 0 for dim in shape) or \
            math.prod(d for d in shape if d) > sys.maxsize // 8:
        # (the last test: an empty array whose other dims no numpy array could have, 8-byte items)
        raise r.error(f"corrupt shape {shape} of array {index} at byte {at}")
    # The context tells MXNet where to put the array (a GPU, if it has one); minimx loads to cpu.
    _dev_type, _dev_id, flag = r.unpack("<iii", f"the context and dtype of array {index}")
    if flag not in FLAG_DTYPES:
        name = f" ({OTHER_FLAGS[flag]})" if flag in OTHER_FLAGS else ""
        raise r.error(f"unknown dtype flag {flag}{name} of array {index}: MXNet NDArrays use "
                      + ", ".join(f"{f} {dt.name}" for f, dt in FLAG_DTYPES.items()))
    dtype = FLAG_DTYPES[flag]
    size = math.prod(shape)
    # Checked against the bytes left *before* allocating, so a corrupt dim cannot ask for terabytes.
    start = r.take(size * dtype.itemsize, f"the data of array {index} ({dtype.name}, {shape})")
    if dtype == np.bool_:
        # Any byte may sit in a corrupt file; a bool must hold 0 or 1, so read bytes, then compare.
        return (np.frombuffer(r.buf, np.uint8, count=size, offset=start) != 0).reshape(shape)
    data = np.frombuffer(r.buf, dtype.newbyteorder("<"), count=size, offset=start)
    # astype copies: the result owns its memory, is writable and in the machine's byte order.
    return data.astype(dtype).reshape(shape)


def decode(buf, source="<buffer>"):
    """Parse the bytes of an MXNet NDArray file.

    Parameters
    ----------
    buf : bytes-like
        The whole file.
    source : str, optional
        What to call the file in error messages (``load`` passes its file name).

    Returns
    -------
    list of numpy.ndarray, or dict of str to numpy.ndarray
        A dict when the file has names, else a list.

    Raises
    ------
    MXNetError
        If the file is truncated or corrupt, or holds sparse arrays or a dtype numpy lacks.
    """
    r = _Reader(buf, source)
    magic, _reserved, count = r.unpack("<QQQ", "the header")
    if magic != LIST_MAGIC:
        raise r.error(f"bad magic 0x{magic:X} at byte 0, expected 0x{LIST_MAGIC:X}: "
                      "not an MXNet NDArray file")
    # Every record takes at least 4 bytes, so a corrupt count fails here rather than looping on.
    if count > r.left() // 4:
        raise r.error(f"truncated at byte {len(r.buf)}, or a corrupt array count {count} at "
                      f"byte 16: {count} arrays need at least {4 * count} bytes, "
                      f"{r.left()} are left")
    arrays = [_read_array(r, i) for i in range(count)]
    (num_names,) = r.unpack("<Q", "the number of names")
    if num_names not in (0, count):
        raise r.error(f"{num_names} names for {count} arrays: expected one name per array, or none")
    names = []
    for i in range(num_names):
        (length,) = r.unpack("<Q", f"the length of name {i}")
        start = r.take(length, f"name {i}")
        try:
            names.append(bytes(r.buf[start:start + length]).decode("utf-8"))
        except UnicodeDecodeError as err:
            raise r.error(f"name {i} at byte {start} is not UTF-8: {err}") from None
    if r.left():
        # NB: MXNet 1.9.1 ignores bytes after the names; minimx refuses them, since its writer and
        # MXNet's never put any there: they mean a damaged file, or two files run together.
        raise r.error(f"{r.left()} unexpected bytes after the end of the data at byte {r.pos} "
                      f"(the file should end there): a damaged or concatenated file")
    return dict(zip(names, arrays)) if names else arrays


def _encode_array(a, magic):
    """One array record, exactly as MXNet writes it (context cpu(0))."""
    dtype = a.dtype.newbyteorder("=")
    if dtype not in TYPE_FLAGS:
        raise MXNetError(f"cannot save an array of dtype {a.dtype}: MXNet's format has flags for "
                         + ", ".join(dt.name for dt in TYPE_FLAGS))
    head = struct.pack(f"<Iii{a.ndim}qiii", magic, 0, a.ndim, *a.shape, CPU_DEV_TYPE, 0,
                       TYPE_FLAGS[dtype])
    return head + a.astype(dtype.newbyteorder("<"), copy=False).tobytes(order="C")


def encode(data):
    """The bytes MXNet 1.9.1 writes for these arrays (``mx.nd.save`` on cpu(0)).

    Parameters
    ----------
    data : list of numpy.ndarray, or dict of str to numpy.ndarray
        The arrays; a dict writes its keys as names.

    Returns
    -------
    bytes
        The file's contents.

    Notes
    -----
    A 0-d array exists in MXNet only under numpy shape semantics, where every record is written
    with the version-3 magic; a list holding one is written that way too, else with version 2.
    """
    if isinstance(data, dict):
        names, arrays = list(data), list(data.values())
    else:
        names, arrays = [], list(data)
    arrays = [np.asarray(a) for a in arrays]
    magic = V3_MAGIC if any(a.ndim == 0 for a in arrays) else V2_MAGIC
    parts = [struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays))]
    parts += [_encode_array(a, magic) for a in arrays]
    parts.append(struct.pack("<Q", len(names)))
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"array names must be str, got {type(name).__name__} {name!r}")
        raw = name.encode("utf-8")
        parts += [struct.pack("<Q", len(raw)), raw]
    return b"".join(parts)


def _to_ndarrays(loaded):
    """Numpy arrays from ``decode`` -> NDArrays on cpu, keeping each dtype."""
    if isinstance(loaded, dict):
        return {name: array(a, dtype=a.dtype) for name, a in loaded.items()}
    return [array(a, dtype=a.dtype) for a in loaded]


def save(fname, data):
    """Save an NDArray, a list of NDArrays, or a dict of str to NDArray to a file.

    Parameters
    ----------
    fname : str or os.PathLike
        The file name.
    data : NDArray, list of NDArray, or dict of str to NDArray
        The data to save. A dict keeps its names; ``load`` then gives a dict back.

    Notes
    -----
    NB: MXNet 1.9.1 raises ValueError for a tuple of NDArrays; minimx saves it as a list.
    NB: MXNet writes the file in place; minimx writes a temporary file beside it and renames it,
    so a crash or a full disk midway leaves the old file whole (see ``_write_atomic``).

    Examples
    --------
    >>> x = mx.nd.zeros((2, 3))
    >>> mx.nd.save('my_dict', {'x': x})
    >>> mx.nd.load('my_dict')['x'].shape
    (2, 3)
    """
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        if any(not isinstance(k, str) for k in data) or \
           any(not isinstance(v, NDArray) for v in data.values()):
            raise TypeError("save only accept dict str->NDArray or list of NDArray")
        payload = {k: v.asnumpy() for k, v in data.items()}
    elif isinstance(data, (list, tuple)):
        if any(not isinstance(v, NDArray) for v in data):
            raise TypeError("save only accept dict str->NDArray or list of NDArray")
        payload = [v.asnumpy() for v in data]
    else:
        raise ValueError("data needs to either be a NDArray, dict of str, NDArray pairs "
                         "or a list of NDarrays.")
    if not isinstance(fname, (str, os.PathLike)):
        raise TypeError("fname required to be a string")
    _write_atomic(fname, encode(payload))


def _write_chunks(f, buf):
    """Write ``buf`` to ``f`` a piece at a time (where a full disk or a crash can stop a save)."""
    view = memoryview(buf)
    for start in range(0, len(view), _CHUNK):
        f.write(view[start:start + _CHUNK])


_CHUNK = 1 << 22


def _write_atomic(fname, buf):
    """Put ``buf`` in ``fname`` all at once: write a temporary file beside it, then rename.

    ``os.replace`` within one folder is atomic, so a reader (or a crash, or a full disk midway)
    sees the old file or the new one, never half of one. A path that is not a regular file
    (``/dev/null``, a FIFO) is written in place: it cannot be replaced.
    """
    path = os.fspath(fname)
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "wb") as f:
            _write_chunks(f, buf)
        return
    folder, base = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        # Mode 0o666 as open() would use, so the umask decides the permissions as before.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as err:
        raise MXNetError(f"cannot save to {path!r}: {err.strerror} (creating {tmp!r})") from err
    try:
        with os.fdopen(fd, "wb") as f:
            _write_chunks(f, buf)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Nothing of the failed save remains; the old file, if any, is untouched.
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load(fname):
    """Load arrays from a file written by ``save`` (or by MXNet: ``.nd``, ``.params`` files).

    Parameters
    ----------
    fname : str or os.PathLike
        The file name.

    Returns
    -------
    list of NDArray, or dict of str to NDArray
        A dict when the file has names, else a list; each array on cpu, with its saved dtype.
    """
    if not isinstance(fname, (str, os.PathLike)):
        raise TypeError("fname required to be a string")
    try:
        with open(fname, "rb") as f:
            buf = f.read()
    except OSError as err:
        raise MXNetError(f"cannot open NDArray file {os.fspath(fname)!r}: {err.strerror}") from err
    return _to_ndarrays(decode(buf, source=os.fspath(fname)))


def load_frombuffer(buf):
    """Load arrays from the bytes of a file written by ``save``.

    Parameters
    ----------
    buf : bytes, bytearray or memoryview
        The file's contents.

    Returns
    -------
    list of NDArray, or dict of str to NDArray
        As ``load``.
    """
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise TypeError("buf required to be a string or bytes")
    return _to_ndarrays(decode(buf))
