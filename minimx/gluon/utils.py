"""``gluon.utils``: data-parallel helpers (split a batch over contexts, clip gradients) and files.

>>> xs = gluon.utils.split_and_load(batch, [mx.cpu(0), mx.cpu(1)])    # one slice per context
>>> norm = gluon.utils.clip_global_norm([p.grad() for p in params], max_norm=1.0)
>>> path = gluon.utils.download(url, path='data/', sha1_hash='...')
"""
import hashlib
import os
import ssl
import urllib.request
import uuid
import warnings

import numpy as np

from .. import ndarray as nd
from ..base import MXNetError
from ..ndarray import NDArray
from ..ndarray.ndarray import MXNetValueError

__all__ = ["split_data", "split_and_load", "clip_global_norm", "check_sha1", "download",
           "replace_file", "shape_is_known"]


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Split `data` into `num_slice` slices along `batch_axis`.

    Parameters
    ----------
    data : NDArray
        A batch of data.
    num_slice : int
        How many slices (usually one per context).
    batch_axis : int, default 0
    even_split : bool, default True
        Require ``data.shape[batch_axis]`` to be a multiple of `num_slice`. When False, the first
        ``size % num_slice`` slices get one element more.

    Returns
    -------
    list of NDArray
        Always a list, even for one slice. Slices along axis 0 are views of `data`.
    """
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise MXNetValueError(
            f"data with shape {data.shape} cannot be evenly split into {num_slice} slices along "
            f"axis {batch_axis}. Use a batch size that's multiple of {num_slice} or set "
            "even_split=False to allow uneven partitioning of data.")
    each, extras = divmod(size, num_slice)
    # NB: as in MXNet, a batch smaller than num_slice gives some empty slices when not even_split.
    bounds = np.cumsum([0] + [each + 1] * extras + [each] * (num_slice - extras)).tolist()
    if batch_axis == 0:
        return [data[bounds[i]:bounds[i + 1]] for i in range(num_slice)]
    return [nd.slice_axis(data, axis=batch_axis, begin=bounds[i], end=bounds[i + 1])
            for i in range(num_slice)]


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Split `data` along `batch_axis` into ``len(ctx_list)`` slices, slice i copied to context i.

    Parameters
    ----------
    data : NDArray or array-like
    ctx_list : list of Context
    batch_axis : int, default 0
    even_split : bool, default True

    Returns
    -------
    list of NDArray
        One per context in `ctx_list`.
    """
    if not isinstance(data, NDArray):
        data = nd.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [s.as_in_context(ctx) for s, ctx in zip(slices, ctx_list)]


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Scale `arrays` in place so that their joint 2-norm is at most `max_norm`.

    ``total = sqrt(sum_i ||a_i||^2)``; every array is multiplied by
    ``min(1, max_norm / (total + 1e-8))``.

    Parameters
    ----------
    arrays : list of NDArray
        Usually the gradients of a model's Parameters (they may live on several contexts).
    max_norm : float
    check_isfinite : bool, default True
        Warn when the norm is NaN or infinite; this waits for the norm to be computed.

    Returns
    -------
    numpy.float32 or NDArray
        The norm before clipping: a number with `check_isfinite`, else an NDArray of shape (1,)
        (no wait).
    """
    if len(arrays) == 0:
        raise MXNetValueError("clip_global_norm: arrays is empty; pass the list of arrays to clip")
    ctx = arrays[0].context
    squares = []
    for arr in arrays:
        flat = arr.reshape((-1,))
        squares.append(nd.dot(flat, flat).as_in_context(ctx))
    total_norm = nd.sqrt(nd.add_n(*squares))
    if check_isfinite and not np.isfinite(total_norm.asscalar()):
        warnings.warn(UserWarning("nan or inf is detected. Clipping results will be undefined."),
                      stacklevel=2)
    scale = max_norm / (total_norm + 1e-8)
    scale = nd.min(nd.concat(scale, nd.ones(1, ctx=ctx), dim=0))
    for arr in arrays:
        arr *= scale.as_in_context(arr.context)
    return total_norm.asscalar() if check_isfinite else total_norm


def check_sha1(filename, sha1_hash):
    """Whether the SHA-1 of the file's content is `sha1_hash` (hexadecimal digits)."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha1.update(block)
    return sha1.hexdigest() == sha1_hash


def replace_file(src, dst):
    """Move `src` onto `dst` atomically (on one file system); on failure remove `src` and raise."""
    try:
        os.replace(src, dst)
    except OSError as err:
        try:
            os.remove(src)
        except OSError:
            pass
        raise OSError(f"Moving downloaded temp file - {src}, to {dst} failed. Please retry the "
                      f"download. ({err})") from err


def _fetch(url, dest, verify_ssl):
    """Stream `url` into the new file `dest`; raise on anything but HTTP 200."""
    context = None
    if url.lower().startswith("https") and not verify_ssl:
        context = ssl._create_unverified_context()
    with urllib.request.urlopen(url, timeout=60, context=context) as response:
        if response.status != 200:
            raise MXNetError(f"Failed downloading url {url}: HTTP status {response.status}")
        expected = response.headers.get("Content-Length")
        received = 0
        with open(dest, "wb") as f:
            for block in iter(lambda: response.read(1 << 16), b""):
                f.write(block)
                received += len(block)
    # urllib returns a short body without complaint when the connection drops midway.
    if expected is not None and received != int(expected):
        raise MXNetError(f"Failed downloading url {url}: the connection closed after {received} of "
                         f"{expected} bytes")


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5, verify_ssl=True):
    """Download `url` to a file, unless a good copy is already there.

    Steps: pick the file name; if it is missing, `overwrite` is set, or its SHA-1 is not
    `sha1_hash`, fetch into a temporary file next to it, check the hash, then move it into place
    (so a failed or corrupt download never leaves a partial file under the final name); retry up
    to `retries` more times.

    Parameters
    ----------
    url : str
    path : str, optional
        A file name, or a directory to put the file in; default: the URL's last component in the
        current directory.
    overwrite : bool, default False
        Download even when the file exists.
    sha1_hash : str, optional
        Expected SHA-1 (hex). An existing file with another hash is downloaded again.
    retries : int, default 5
        Further attempts after a failure.
    verify_ssl : bool, default True
        Check HTTPS certificates.

    Returns
    -------
    str
        The path of the file.

    NB: MXNet uses ``requests``; minimx uses the standard library's ``urllib``.
    """
    if path is None:
        fname = url.split("/")[-1]
        if not fname:
            raise MXNetValueError("Can't construct file-name from this URL. Please set the `path` "
                                  "option manually.")
    else:
        path = os.path.expanduser(path)
        fname = os.path.join(path, url.split("/")[-1]) if os.path.isdir(path) else path
    if retries < 0:
        raise MXNetValueError(f"Number of retries should be at least 0, currently it's {retries}")
    if not verify_ssl:
        warnings.warn("Unverified HTTPS request is being made (verify_ssl=False). Adding "
                      "certificate verification is strongly advised.")
    if not (overwrite or not os.path.exists(fname)
            or (sha1_hash and not check_sha1(fname, sha1_hash))):
        return fname
    dirname = os.path.dirname(os.path.abspath(fname))
    os.makedirs(dirname, exist_ok=True)
    while True:
        tmp = f"{fname}.{uuid.uuid4()}"
        try:
            print(f"Downloading {fname} from {url}...")
            _fetch(url, tmp, verify_ssl)
            if sha1_hash and not check_sha1(tmp, sha1_hash):
                raise MXNetError(f"File {fname} is downloaded but the content hash does not "
                                 f"match (expected sha1 {sha1_hash}). The repo may be outdated "
                                 "or download may be incomplete.")
            replace_file(tmp, fname)
            return fname
        except BaseException as err:     # even Ctrl-C: never leave the temporary file behind
            if os.path.exists(tmp):
                os.remove(tmp)
            if not isinstance(err, Exception):
                raise
            retries -= 1
            if retries <= 0:
                if isinstance(err, MXNetError):
                    raise
                raise MXNetError(f"Failed downloading url {url} to {fname}: {err}. Check the "
                                 "network connection and the URL, or put the file there "
                                 "yourself.") from err
            print(f"download failed due to {err!r}, retrying, {retries} attempt"
                  f"{'s' if retries > 1 else ''} left")


def shape_is_known(shape):
    """Whether every dimension of `shape` is known (MXNet 1.x: 0 is unknown, and so is ``()``)."""
    if shape is None or len(shape) == 0:
        return False
    for dim in shape:
        if dim == 0:
            return False
        if dim < 0:
            raise MXNetValueError(f"shape dimension size cannot be less than 0, while received {dim}")
    return True
