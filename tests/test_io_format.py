"""MXNet 1.x's binary NDArray format (``minimx/ndarray/io.py``), checked against real MXNet files.

The fixtures were written by MXNet 1.9.1 itself (see their README.md). Each must decode to the
expected arrays *and* re-encode to exactly its own bytes: byte-compatibility both ways.
"""
import os
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from minimx.base import MXNetError
from minimx.ndarray.io import (TYPE_FLAGS, V1_MAGIC, V2_MAGIC, decode, encode, load,
                               load_frombuffer, save)
from minimx.ndarray.ndarray import NDArray
from minimx.ndarray.creation import array

# NB: tests may read the environment directly; the package reads it only in minimx/config.py.
FIXTURES = Path(os.environ.get("MINIMX_FIXTURES")
                or Path(__file__).parent / "fixtures" / "mxnet-1.9.1")
needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(),
    reason=f"MXNet 1.9.1 fixtures not found at {FIXTURES} (set MINIMX_FIXTURES to their folder)")
PARAMS_FILES = ["mlp.params", "lenet.params", "mobilenet0_25_classes10.params",
                "mlp-0000.params", "lenet-0000.params", "adam_dense.params"]


def read_fixture(name):
    return (FIXTURES / name).read_bytes()


def assert_same_array(got, want):
    """Same dtype, shape and bits (bits, so that NaNs and -0.0 compare too)."""
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    assert got.tobytes() == want.tobytes()


# ---------------------------------------------------------------- files written by MXNet 1.9.1
@needs_fixtures
def test_arrays_dict_decodes_to_expected():
    got = decode(read_fixture("arrays_dict.nd"))
    expected = np.load(FIXTURES / "arrays_expected.npz")
    assert isinstance(got, dict)
    assert sorted(got) == sorted(expected.files)
    for name in expected.files:
        assert_same_array(got[name], expected[name])


@needs_fixtures
def test_arrays_list_decodes_to_expected():
    got = decode(read_fixture("arrays_list.nd"))
    expected = np.load(FIXTURES / "arrays_expected.npz")
    assert isinstance(got, list) and len(got) == 2
    assert_same_array(got[0], expected["f32"])
    assert_same_array(got[1], expected["i32"])


@needs_fixtures
@pytest.mark.parametrize("name", ["arrays_dict.nd", "arrays_list.nd"] + PARAMS_FILES)
def test_mxnet_file_reencodes_to_identical_bytes(name):
    original = read_fixture(name)
    decoded = decode(original)
    assert len(decoded) > 0
    assert encode(decoded) == original


@needs_fixtures
@pytest.mark.parametrize("name", PARAMS_FILES)
def test_params_file_holds_named_float32_arrays(name):
    params = decode(read_fixture(name))
    assert isinstance(params, dict)
    assert all(a.dtype == np.float32 and a.ndim >= 1 for a in params.values())


@needs_fixtures
def test_gluon_and_export_names():
    """save_parameters writes structural names; export writes arg:/aux: prefixed ones."""
    assert sorted(decode(read_fixture("mlp.params"))) == \
        ["0.bias", "0.weight", "1.bias", "1.weight"]
    assert all(k.startswith(("arg:", "aux:")) for k in decode(read_fixture("lenet-0000.params")))


# ---------------------------------------------------------------- the layout, byte by byte
def test_layout_of_one_named_array():
    """The module docstring's table, spelled out: a 2x3 float32 array named 'w'."""
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    expected = (struct.pack("<QQQ", 0x112, 0, 1)               # list magic, reserved, N
                + struct.pack("<Iiiqq", V2_MAGIC, 0, 2, 2, 3)   # magic, dense, ndim, shape
                + struct.pack("<iii", 1, 0, 0)                  # cpu(0), float32
                + a.tobytes()
                + struct.pack("<QQ", 1, 1) + b"w")              # one name, of length 1
    assert encode({"w": a}) == expected
    assert len(expected) == 105


@pytest.mark.parametrize("dtype, flag", [("float32", 0), ("float64", 1), ("float16", 2),
                                         ("uint8", 3), ("int32", 4), ("int8", 5), ("int64", 6),
                                         ("bool", 7)])
def test_dtype_flags_are_mshadows(dtype, flag):
    assert TYPE_FLAGS[np.dtype(dtype)] == flag
    buf = encode([np.zeros((1,), dtype)])
    assert struct.unpack_from("<i", buf, 24 + 4 + 4 + 4 + 8 + 8)[0] == flag


def test_zero_d_arrays_use_numpy_shape_records():
    """MXNet writes a 0-d array only under npx.set_np(), as version-3 records (magic ...CA)."""
    buf = encode([np.float32(3.5), np.ones(2, np.float32)])
    assert struct.unpack_from("<I", buf, 24)[0] == 0xF993FACA
    got = decode(buf)
    assert_same_array(got[0], np.array(3.5, np.float32))
    assert_same_array(got[1], np.ones(2, np.float32))


def test_reads_version1_and_legacy_records():
    """Older records: V1 has no storage type; legacy has no magic and uint32 dims."""
    a = np.arange(6, dtype=np.int64).reshape(3, 2)
    tail = struct.pack("<iii", 1, 0, 6) + a.tobytes()
    v1 = struct.pack("<Iiqq", V1_MAGIC, 2, 3, 2) + tail
    legacy = struct.pack("<III", 2, 3, 2) + tail
    buf = struct.pack("<QQQ", 0x112, 0, 2) + v1 + legacy + struct.pack("<Q", 0)
    got = decode(buf)
    assert_same_array(got[0], a)
    assert_same_array(got[1], a)


def test_big_endian_input_is_written_little_endian():
    a = np.arange(4, dtype=">i4")
    assert encode([a]) == encode([a.astype("<i4")])
    assert_same_array(decode(encode([a]))[0], np.arange(4, dtype=np.int32))


# ---------------------------------------------------------------- round trips
dtypes = st.sampled_from(sorted(TYPE_FLAGS, key=TYPE_FLAGS.get))
shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4)
nd_arrays = dtypes.flatmap(lambda dtype: hnp.arrays(dtype, shapes))


@settings(max_examples=60, deadline=None)
@given(st.lists(nd_arrays, max_size=4))
def test_list_round_trip(arrays):
    buf = encode(arrays)
    got = decode(buf)
    assert isinstance(got, list) and len(got) == len(arrays)
    for g, a in zip(got, arrays):
        assert_same_array(g, a)
    assert encode(got) == buf


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=8), nd_arrays, min_size=1, max_size=4))
def test_dict_round_trip(named):
    got = decode(encode(named))
    assert list(got) == list(named)
    for name in named:
        assert_same_array(got[name], named[name])


@settings(max_examples=30, deadline=None)
@given(nd_arrays)
def test_noncontiguous_input(a):
    view = a.T if a.ndim > 1 else a[::-1]
    assert_same_array(decode(encode([view]))[0], np.ascontiguousarray(view))


# ---------------------------------------------------------------- corrupt and truncated files
def replace(buf, offset, fmt, value):
    out = bytearray(buf)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


ONE = encode([np.arange(6, dtype=np.float32).reshape(2, 3)])
RECORD = 24            # where the array record starts
NDIM = RECORD + 8      # after magic and storage type
FLAG = NDIM + 4 + 16 + 8


@pytest.mark.parametrize("cut", range(len(ONE)))
def test_every_truncation_raises(cut):
    with pytest.raises(MXNetError, match=f"truncated at byte {cut}"):
        decode(ONE[:cut], source="cut.nd")


@pytest.mark.parametrize("buf, match", [
    (replace(ONE, 0, "<Q", 0x113), "bad magic 0x113 at byte 0"),
    (replace(ONE, RECORD, "<I", 0xDEADBEEF), "bad magic 0xDEADBEEF of array 0"),
    (replace(ONE, RECORD + 4, "<i", 1), "storage type 1 \\(row_sparse\\)"),
    (replace(ONE, RECORD + 4, "<i", 2), "storage type 2 \\(csr\\)"),
    (replace(ONE, FLAG, "<i", 99), "unknown dtype flag 99"),
    (replace(ONE, FLAG, "<i", 12), "unknown dtype flag 12 \\(bfloat16\\)"),
    (replace(ONE, NDIM, "<i", 1000), "corrupt ndim 1000"),
    (replace(ONE, NDIM, "<i", 0), "empty NDArray"),
    (replace(ONE, NDIM + 4, "<q", -3), "corrupt shape"),
    (replace(ONE, 16, "<Q", 2**62), "corrupt array count"),
    (replace(ONE, len(ONE) - 8, "<Q", 5), "5 names for 1 arrays"),
])
def test_corrupt_file_raises(buf, match):
    with pytest.raises(MXNetError, match=match):
        decode(buf, source="bad.nd")


def test_huge_dims_fail_before_allocating():
    """A dim of 2**40 must be checked against the bytes left, never allocated."""
    with pytest.raises(MXNetError, match="truncated"):
        decode(replace(ONE, NDIM + 4, "<q", 2**40))


def test_huge_name_length_fails_before_allocating():
    named = encode({"w": np.zeros(1, np.float32)})
    with pytest.raises(MXNetError, match="name 0"):
        decode(replace(named, len(named) - 9, "<Q", 2**60))


def test_encode_refuses_unsupported_dtype():
    with pytest.raises(MXNetError, match="int16"):
        encode([np.zeros(2, np.int16)])


# ---------------------------------------------------------------- save, load, load_frombuffer
def test_save_load_dict_and_list(tmp_path):
    w = array(np.arange(6, dtype=np.float32).reshape(2, 3), dtype=np.float32)
    b = array(np.array([1, -2], dtype=np.int64), dtype=np.int64)
    save(str(tmp_path / "d.nd"), {"w": w, "b": b})
    got = load(str(tmp_path / "d.nd"))
    assert sorted(got) == ["b", "w"]
    assert_same_array(got["w"].asnumpy(), w.asnumpy())
    assert_same_array(got["b"].asnumpy(), b.asnumpy())
    save(tmp_path / "l.nd", [w, b])
    got = load(tmp_path / "l.nd")
    assert isinstance(got, list) and [g.dtype for g in got] == [np.float32, np.int64]


def test_save_one_ndarray_loads_as_list(tmp_path):
    x = array(np.ones((2, 2), np.float16), dtype=np.float16)
    save(str(tmp_path / "x.nd"), x)
    buf = (tmp_path / "x.nd").read_bytes()
    assert buf == encode([np.ones((2, 2), np.float16)])
    (got,) = load_frombuffer(buf)
    assert isinstance(got, NDArray)
    assert_same_array(got.asnumpy(), np.ones((2, 2), np.float16))


@needs_fixtures
def test_load_mxnet_params():
    params = load(str(FIXTURES / "mlp.params"))
    assert params["0.weight"].shape == (8, 5)


def test_save_wrong_types(tmp_path):
    x = array(np.zeros(1, np.float32), dtype=np.float32)
    with pytest.raises(TypeError, match="dict str->NDArray"):
        save(str(tmp_path / "a"), {1: x})
    with pytest.raises(TypeError, match="dict str->NDArray"):
        save(str(tmp_path / "a"), [x, np.zeros(1)])
    with pytest.raises(ValueError, match="data needs to either be"):
        save(str(tmp_path / "a"), np.zeros(1))


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(TypeError, match="fname required"):
        load(42)
    with pytest.raises(TypeError, match="buf required"):
        load_frombuffer(42)
    with pytest.raises(MXNetError, match="missing.nd"):
        load(str(tmp_path / "missing.nd"))
    short = tmp_path / "short.nd"
    short.write_bytes(ONE[:40])
    with pytest.raises(MXNetError, match=re.escape(f"{short}: truncated at byte 40")):
        load(str(short))
