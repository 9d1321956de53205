"""Fetching a dataset file: download to a temporary name, check its SHA-1, then rename.

The data layer may not import ``gluon``, so it keeps this small downloader of its own (gluon's
``utils.download`` serves models). Nothing here runs unless a dataset's files are missing and the
user asked for that dataset.

Steps of :func:`download`:

1. If the file is already there (and its SHA-1 matches, when one is given), return its path.
2. Stream the URL into ``<name>.<random>.part`` in the same folder, hashing while writing.
3. If the hash differs from ``sha1_hash``, delete the partial file and try again (``retries`` times):
   a corrupted or truncated download never stays on disk under the real name.
4. Rename the partial file to the real name (atomic on one file system), return its path.

Example
-------
>>> path = download(url, path="/tmp/mnist", sha1_hash="6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d")
"""
import hashlib
import os
import urllib.error
import urllib.request
import uuid

from ..base import MXNetError

__all__ = ["check_sha1", "download", "sha1_of"]

_CHUNK = 1 << 20


def sha1_of(filename):
    """The hex SHA-1 of a file's bytes."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            sha1.update(chunk)
    return sha1.hexdigest()


def check_sha1(filename, sha1_hash):
    """True when the file's SHA-1 is ``sha1_hash`` (MXNet's ``gluon.utils.check_sha1``)."""
    return sha1_of(filename) == sha1_hash


def _fetch_once(url, target, timeout):
    """Streams ``url`` into a fresh partial file next to ``target``; returns (partial path, sha1)."""
    part = "%s.%s.part" % (target, uuid.uuid4().hex[:8])
    sha1 = hashlib.sha1()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                sha1.update(chunk)
    except BaseException:
        # KeyboardInterrupt included: never leave a partial file behind.
        if os.path.exists(part):
            os.remove(part)
        raise
    return part, sha1.hexdigest()


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5, timeout=60):
    """Downloads ``url`` to ``path`` (a folder or a file name), checking its SHA-1.

    Parameters
    ----------
    url : str
        Where to get the file.
    path : str, optional
        The destination file, or a folder to put it in (under the URL's last name). Default: the
        current folder.
    overwrite : bool, default False
        Download even if the file exists (and matches ``sha1_hash``).
    sha1_hash : str, optional
        The expected SHA-1 (hex). A download that does not match is deleted and retried.
    retries : int, default 5
        How many times to try before giving up.
    timeout : float, default 60
        Seconds to wait for the server on each read.

    Returns
    -------
    str
        The path of the downloaded file.

    Raises
    ------
    MXNetError
        When every try failed (no network, an HTTP error, a wrong checksum); the message names
        the URL, the destination and the last reason.
    """
    name = url.split("/")[-1]
    if path is None:
        fname = name
    else:
        path = os.path.expanduser(path)
        fname = os.path.join(path, name) if os.path.isdir(path) else path
    if not overwrite and os.path.exists(fname) and (sha1_hash is None or check_sha1(fname, sha1_hash)):
        return fname
    folder = os.path.dirname(os.path.abspath(fname))
    os.makedirs(folder, exist_ok=True)
    if retries < 1:
        raise ValueError("retries must be at least 1, got %r" % (retries,))
    reason = None
    for _ in range(retries):
        try:
            part, got = _fetch_once(url, fname, timeout)
        except (urllib.error.URLError, OSError, ValueError) as err:
            reason = "%s: %s" % (type(err).__name__, err)
            continue
        if sha1_hash is not None and got != sha1_hash:
            os.remove(part)
            reason = "the file's SHA-1 is %s, expected %s (corrupted or changed download)" % (got, sha1_hash)
            continue
        os.replace(part, fname)
        return fname
    raise MXNetError("Failed to download %s to %s after %d tries: %s" % (url, fname, retries, reason))
