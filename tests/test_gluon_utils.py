"""Tests of ``gluon.utils``: splitting batches over contexts, clip_global_norm, and download
against a local HTTP server (no network needed)."""
import hashlib
import http.server
import os
import threading
import warnings

import numpy as np
import pytest

import minimx as mx
from minimx import gluon, nd
from minimx.gluon import utils

CTXS = [mx.cpu(0), mx.cpu(1)]


def test_split_data_even_and_uneven():
    x = nd.arange(20).reshape((10, 2))
    with pytest.raises(mx.MXNetError, match=r"shape \(10, 2\) cannot be evenly split into 3 slices"):
        utils.split_data(x, 3)
    with pytest.raises(ValueError):
        utils.split_data(x, 4)
    parts = utils.split_data(x, 3, even_split=False)
    assert [p.shape for p in parts] == [(4, 2), (3, 2), (3, 2)]     # MXNet: extras go first
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), x.asnumpy())
    parts = utils.split_data(x, 2, batch_axis=1)
    assert [p.shape for p in parts] == [(10, 1), (10, 1)]
    np.testing.assert_array_equal(parts[1].asnumpy()[:, 0], np.arange(1, 20, 2))
    assert len(utils.split_data(x, 1)) == 1
    tiny = utils.split_data(nd.arange(4).reshape((2, 2)), 3, even_split=False)
    assert [p.shape for p in tiny] == [(1, 2), (1, 2), (0, 2)]      # as MXNet: an empty slice


def test_split_and_load():
    x = np.arange(12, dtype=np.float32).reshape((4, 3))
    parts = utils.split_and_load(x, CTXS)           # numpy input is converted first
    assert [p.context for p in parts] == CTXS
    np.testing.assert_array_equal(parts[1].asnumpy(), x[2:])
    one = utils.split_and_load(nd.array(x), [mx.cpu(1)])
    assert len(one) == 1 and one[0].context == mx.cpu(1) and one[0].shape == (4, 3)
    uneven = utils.split_and_load(nd.array(x), CTXS * 1 + [mx.cpu(2)], even_split=False)
    assert [p.shape[0] for p in uneven] == [2, 1, 1]


def test_clip_global_norm():
    a = np.array([[3.0, 0.0], [0.0, 4.0]], dtype=np.float32)
    b = np.array([12.0], dtype=np.float32)
    arrays = [nd.array(a), nd.array(b, ctx=mx.cpu(1))]
    norm = utils.clip_global_norm(arrays, 1.0)
    assert isinstance(norm, np.float32) and norm == pytest.approx(13.0)     # MXNet: np.float32
    np.testing.assert_allclose(arrays[0].asnumpy(), a / 13.0, rtol=1e-6)
    np.testing.assert_allclose(arrays[1].asnumpy(), b / 13.0, rtol=1e-6)
    assert arrays[1].context == mx.cpu(1)
    small = [nd.array(a)]
    norm = utils.clip_global_norm(small, 10.0, check_isfinite=False)
    assert isinstance(norm, mx.nd.NDArray) and norm.shape == (1,)
    np.testing.assert_allclose(norm.asnumpy(), [5.0])
    np.testing.assert_array_equal(small[0].asnumpy(), a)        # under max_norm: unchanged
    with pytest.warns(UserWarning, match="nan or inf"):
        utils.clip_global_norm([nd.array([np.inf, 1.0])], 1.0)
    with pytest.raises(mx.MXNetError):
        utils.clip_global_norm([], 1.0)


def test_shape_is_known():
    assert utils.shape_is_known((2, 3))
    assert not utils.shape_is_known((2, 0))
    assert not utils.shape_is_known(())
    assert not utils.shape_is_known(None)
    with pytest.raises(mx.MXNetError, match="cannot be less than 0"):
        utils.shape_is_known((2, -1))


def test_check_sha1_and_replace_file(tmp_path):
    f = tmp_path / "a.bin"
    f.write_bytes(b"hello")
    assert utils.check_sha1(str(f), hashlib.sha1(b"hello").hexdigest())
    assert not utils.check_sha1(str(f), "0" * 40)
    g = tmp_path / "b.bin"
    g.write_bytes(b"old")
    utils.replace_file(str(f), str(g))
    assert g.read_bytes() == b"hello" and not f.exists()
    src = tmp_path / "src.tmp"
    src.write_bytes(b"x")
    with pytest.raises(OSError, match="Please retry the download"):
        utils.replace_file(str(src), str(tmp_path / "missing_dir" / "dst"))
    assert not src.exists()


# ---- download, against a server on 127.0.0.1 ------------------------------------------------------
PAYLOAD = bytes(range(256)) * 400
PAYLOAD_SHA1 = hashlib.sha1(PAYLOAD).hexdigest()


@pytest.fixture(scope="module")
def server():
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            if self.path.startswith("/data/"):
                self.send_response(200)
                self.send_header("Content-Length", str(len(PAYLOAD)))
                self.end_headers()
                self.wfile.write(PAYLOAD)
            elif self.path.startswith("/partial/"):
                # Promise the whole payload, send half, hang up: a download cut off midway.
                self.send_response(200)
                self.send_header("Content-Length", str(len(PAYLOAD)))
                self.end_headers()
                self.wfile.write(PAYLOAD[:len(PAYLOAD) // 2])
                self.wfile.flush()
                self.close_connection = True
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    httpd.shutdown()
    httpd.server_close()


def leftovers(directory):
    return sorted(os.listdir(directory))


def test_download_into_dir_and_file(server, tmp_path, capsys):
    base, requests = server
    out = utils.download(f"{base}/data/w.bin", path=str(tmp_path), sha1_hash=PAYLOAD_SHA1)
    assert out == str(tmp_path / "w.bin")
    assert (tmp_path / "w.bin").read_bytes() == PAYLOAD
    assert "Downloading" in capsys.readouterr().out
    n = len(requests)
    assert utils.download(f"{base}/data/w.bin", path=out, sha1_hash=PAYLOAD_SHA1) == out
    assert len(requests) == n                       # a good copy is there: no request
    utils.download(f"{base}/data/w.bin", path=out, overwrite=True)
    assert len(requests) == n + 1
    (tmp_path / "w.bin").write_bytes(b"corrupt")    # a wrong hash: fetched again
    utils.download(f"{base}/data/w.bin", path=out, sha1_hash=PAYLOAD_SHA1)
    assert (tmp_path / "w.bin").read_bytes() == PAYLOAD
    nested = utils.download(f"{base}/data/x.bin", path=str(tmp_path / "new" / "dir" / "x.bin"))
    assert open(nested, "rb").read() == PAYLOAD
    assert leftovers(tmp_path) == ["new", "w.bin"]


def test_download_default_path(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.chdir(tmp_path)
    assert utils.download(f"{base}/data/d.bin") == "d.bin"
    assert (tmp_path / "d.bin").read_bytes() == PAYLOAD
    with pytest.raises(mx.MXNetError, match="file-name"):
        utils.download(f"{base}/data/")


def test_download_bad_hash_leaves_nothing(server, tmp_path):
    base, requests = server
    n = len(requests)
    with pytest.raises(mx.MXNetError, match="content hash does not match"):
        utils.download(f"{base}/data/w.bin", path=str(tmp_path), sha1_hash="0" * 40, retries=2)
    assert leftovers(tmp_path) == []
    assert len(requests) == n + 2                   # retries=2: two attempts, as in MXNet


def test_download_http_error_and_offline(server, tmp_path):
    base, _ = server
    with pytest.raises(mx.MXNetError, match="Failed downloading url"):
        utils.download(f"{base}/missing.bin", path=str(tmp_path), retries=1)
    # A port nothing listens on stands for "offline".
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(mx.MXNetError, match="Check the network connection"):
        utils.download(f"http://127.0.0.1:{port}/data/w.bin", path=str(tmp_path), retries=1)
    assert leftovers(tmp_path) == []
    with pytest.raises(mx.MXNetError, match="Failed downloading url"):
        utils.download(f"{base}/partial/w.bin", path=str(tmp_path), retries=2)
    assert leftovers(tmp_path) == []
    with pytest.raises(mx.MXNetError, match="retries should be at least 0"):
        utils.download(f"{base}/data/w.bin", path=str(tmp_path), retries=-1)


def test_download_verify_ssl_warns(server, tmp_path):
    base, _ = server
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        utils.download(f"{base}/data/v.bin", path=str(tmp_path), verify_ssl=False)
    assert any("verify_ssl=False" in str(w.message) for w in caught)


def test_public_names():
    assert gluon.utils is utils
    for name in ("split_data", "split_and_load", "clip_global_norm", "check_sha1", "download",
                 "replace_file", "shape_is_known"):
        assert name in utils.__all__ and callable(getattr(utils, name))
