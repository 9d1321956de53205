"""Files cannot hurt (issue 10, part 3): hostile, truncated or corrupt files raise a clear MXNetError.

Covered readers: ``mx.nd.load``/``load_frombuffer`` (MXNet's binary format), ``Block.load_parameters``,
``ParameterDict.load``, ``mx.sym.load``/``fromjson`` and ``gluon.SymbolBlock.imports``. Every case
must raise MXNetError (never IndexError, struct.error, MemoryError or a crash), must not allocate
much more than the file's own size, and must not run code. Saving must be atomic.

The fuzz tests count their executions in ``FUZZ_COUNTS``; the ``slow`` versions are the long runs
recorded in tests/RELIABILITY.md.
"""
import json
import os
import pickle
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

import minimx as mx
from minimx import gluon
from minimx.base import MXNetError
from minimx.ndarray import io as ndio

import byte_mutations

FIXTURES = Path(__file__).parent / "fixtures" / "mxnet-1.9.1"
HEADER = struct.pack("<QQ", ndio.LIST_MAGIC, 0)
# A hostile file may make the reader allocate at most this much beyond a few times its own size.
ALLOC_SLACK = 4 << 20


def record(magic=ndio.V2_MAGIC, stype=0, shape=(2, 3), ctx=(1, 0), flag=0, data=None):
    """One array record with any field set to anything (ndim follows ``shape``)."""
    head = struct.pack("<Iii", magic, stype, len(shape)) + struct.pack(f"<{len(shape)}q", *shape)
    head += struct.pack("<iii", *ctx, flag)
    if data is None:
        n = int(np.prod(shape)) if all(d >= 0 for d in shape) else 0
        data = bytes(4 * min(n, 1 << 16))
    return head + data


def listfile(records, names=(), count=None):
    body = struct.pack("<Q", len(records) if count is None else count) + b"".join(records)
    body += struct.pack("<Q", len(names))
    for n in names:
        body += struct.pack("<Q", len(n)) + n
    return HEADER + body


def good_file():
    return ndio.encode({"w": np.arange(6, dtype=np.float32).reshape(2, 3),
                        "b": np.array([1, 0, 1], np.bool_), "i": np.arange(4, dtype=np.int64)})


def decode_bounded(buf):
    """decode(buf); asserts its peak allocation stays near the file's size. Returns the result."""
    tracemalloc.start()
    try:
        out = ndio.decode(buf)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 4 * len(buf) + ALLOC_SLACK, f"decode allocated {peak} bytes for a {len(buf)}-byte file"
    return out


# ---- the binary format: a table of hostile files --------------------------------------------------
U64 = (1 << 64) - 1
HOSTILE = {
    "empty file": b"",
    "header cut short": HEADER[:11],
    "wrong list magic": struct.pack("<QQQ", 0x113, 0, 0) + bytes(8),
    "a text file": b"{\n  \"nodes\": []\n}\n",
    "a pickle": pickle.dumps({"w": [1, 2, 3]}),
    "array count 2**64-1": HEADER + struct.pack("<Q", U64),
    "array count 2**40, no records": HEADER + struct.pack("<Q", 1 << 40) + bytes(64),
    "count 1, nothing follows": HEADER + struct.pack("<Q", 1),
    "wrong array magic": listfile([record(magic=0xDEADBEEF)]),
    "row_sparse storage": listfile([record(stype=1)]),
    "csr storage": listfile([record(stype=2)]),
    "negative storage type": listfile([record(stype=-7)]),
    "ndim -5": HEADER + struct.pack("<QIii", 1, ndio.V2_MAGIC, 0, -5) + bytes(64),
    "ndim 2**31-1": HEADER + struct.pack("<QIii", 1, ndio.V2_MAGIC, 0, 2**31 - 1) + bytes(64),
    "ndim 65": HEADER + struct.pack("<QIii", 1, ndio.V2_MAGIC, 0, 65) + bytes(600),
    "ndim 0 (empty NDArray)": listfile([record(shape=())]),
    "negative dim": listfile([record(shape=(2, -3))]),
    "dim -1 in a v2 record": listfile([record(shape=(-1,))]),
    "dim 2**62 (exabytes)": listfile([record(shape=(1 << 62,), data=b"")]),
    "dims whose product overflows int64": listfile([record(shape=(1 << 40, 1 << 40, 1 << 40))]),
    "an empty array with dims no array can have": listfile([record(shape=(0, 2**62, 2**62))]),
    "max int64 dims": listfile([record(shape=(2**63 - 1, 2**63 - 1))]),
    "shape says 1000 elements, 24 bytes of data": listfile([record(shape=(10, 100), data=bytes(24))]),
    "dtype flag 12 (bfloat16)": listfile([record(flag=12)]),
    "dtype flag 8 (int16)": listfile([record(flag=8)]),
    "dtype flag -1": listfile([record(flag=-1)]),
    "dtype flag 2**31-1": listfile([record(flag=2**31 - 1)]),
    "float64 flag on float32-sized data": listfile([record(flag=1, data=bytes(24))]),
    "names count 1 for 2 arrays": listfile([record(), record()], names=[b"a"]),
    "name length 2**63": listfile([record()], names=[b"a"])[:-9] + struct.pack("<Q", 2**63) + b"a",
    "name length 2**64-1": listfile([record()], names=[b"a"])[:-9] + struct.pack("<Q", U64) + b"a",
    "name not UTF-8": listfile([record()], names=[b"\xff\xfe"]),
    "names count missing": listfile([record()])[:-8],
    "trailing garbage": good_file() + b"garbage!",
    "two files run together": good_file() + good_file(),
    "legacy ndim 3 with no dims": HEADER + struct.pack("<QI", 1, 3),
    "v1 record cut in the shape": HEADER + struct.pack("<QIi", 1, ndio.V1_MAGIC, 2) + bytes(4),
    "v3 record of unknown shape": listfile([record(magic=ndio.V3_MAGIC, shape=(-1,))]),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_binary_file_raises_mxneterror(case, tmp_path):
    buf = HOSTILE[case]
    with pytest.raises(MXNetError):
        decode_bounded(buf)
    path = tmp_path / "bad.params"
    path.write_bytes(buf)
    with pytest.raises(MXNetError, match=str(path).replace("\\", "\\\\")):
        mx.nd.load(str(path))    # the message names the file


def test_errors_say_where_and_what():
    with pytest.raises(MXNetError, match=r"bad magic 0x113 at byte 0.*not an MXNet NDArray file"):
        ndio.decode(HOSTILE["wrong list magic"])
    with pytest.raises(MXNetError, match=r"truncated.*data of array 0 \(float32, \(10, 100\)\).*"
                                         r"needs 4000 bytes, 32 are left"):
        ndio.decode(HOSTILE["shape says 1000 elements, 24 bytes of data"])
    with pytest.raises(MXNetError, match=r"unknown dtype flag 12 \(bfloat16\) of array 0"):
        ndio.decode(HOSTILE["dtype flag 12 (bfloat16)"])
    with pytest.raises(MXNetError, match=r"8 unexpected bytes after the end of the data at byte"):
        ndio.decode(HOSTILE["trailing garbage"])
    with pytest.raises(MXNetError, match=r"corrupt shape \(2, -3\) of array 0"):
        ndio.decode(HOSTILE["negative dim"])


def test_every_truncation_of_a_good_file_is_refused():
    buf = good_file()
    for n in range(len(buf)):
        with pytest.raises(MXNetError):
            ndio.decode(buf[:n])
    assert set(ndio.decode(buf)) == {"w", "b", "i"}


def test_every_single_byte_flip_loads_or_raises_mxneterror():
    """Flip each byte (to its complement): the result is a valid file or an MXNetError."""
    buf = bytearray(good_file())
    outcomes = {"loaded": 0, "refused": 0}
    for i in range(len(buf)):
        bad = bytearray(buf)
        bad[i] ^= 0xFF
        try:
            decode_bounded(bytes(bad))
            outcomes["loaded"] += 1
        except MXNetError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 40 and outcomes["loaded"] > 10    # data bytes load, headers do not


def test_corrupt_bool_bytes_load_as_true():
    buf = listfile([record(flag=7, shape=(3,), data=b"\x00\x02\xff")])
    got = ndio.decode(buf)[0]
    assert got.dtype == np.bool_ and got.tolist() == [False, True, True]
    assert got.view(np.uint8).tolist() == [0, 1, 1]


def test_load_of_missing_file_or_folder_raises_mxneterror(tmp_path):
    with pytest.raises(MXNetError, match="No such file"):
        mx.nd.load(str(tmp_path / "nope.params"))
    with pytest.raises(MXNetError, match="cannot open NDArray file"):
        mx.nd.load(str(tmp_path))
    with pytest.raises(TypeError):
        mx.nd.load(3)


# ---- parameter files: load_parameters and ParameterDict.load ----------------------------------------
def _dense():
    net = gluon.nn.Dense(3, in_units=2, prefix="fc_")
    net.initialize()
    return net


PARAM_CASES = {
    "wrong shape": ({"weight": np.ones((4, 2), np.float32), "bias": np.ones(3, np.float32)},
                    "shape incompatible expected \\(3, 2\\) vs saved \\(4, 2\\)"),
    "wrong rank": ({"weight": np.ones((3, 2, 1), np.float32), "bias": np.ones(3, np.float32)},
                   "shape incompatible"),
    "mismatched dtype": ({"weight": np.ones((3, 2), np.float64), "bias": np.ones(3, np.float32)},
                         "dtype incompatible expected float32 vs saved float64"),
    "missing parameter": ({"weight": np.ones((3, 2), np.float32)}, "'bias' is missing"),
    "extra parameter": ({"weight": np.ones((3, 2), np.float32), "bias": np.ones(3, np.float32),
                         "gamma": np.ones(3, np.float32)}, "'gamma'.*not present"),
    "a list, no names": ([np.ones((3, 2), np.float32)], "list of arrays"),
}


@pytest.mark.parametrize("case", sorted(PARAM_CASES))
def test_bad_parameter_file_raises_mxneterror(case, tmp_path):
    content, message = PARAM_CASES[case]
    path = str(tmp_path / "p.params")
    Path(path).write_bytes(ndio.encode(content))
    net = _dense()
    before = net.weight.data().asnumpy().copy()
    with pytest.raises(MXNetError, match=message):
        net.load_parameters(path)
    np.testing.assert_array_equal(net.weight.data().asnumpy(), before)   # nothing half-loaded
    # The same file through the ParameterDict, under full names.
    full = content if isinstance(content, list) else {"fc_" + k: v for k, v in content.items()}
    Path(path).write_bytes(ndio.encode(full))
    with pytest.raises(MXNetError):
        _dense().collect_params().load(path)


# Block.load_parameters and ParameterDict.load_dict check a whole file before loading any of it
# (MXNet 1.9.1 overwrites the Parameters before the bad name, then raises).
@pytest.mark.parametrize("via", ["load_parameters", "ParameterDict.load"])
def test_a_refused_file_changes_no_parameter(via, tmp_path):
    path = str(tmp_path / "p.params")
    content = {"weight": np.ones((3, 2), np.float32), "bias": np.ones(3, np.float32),
               "gamma": np.ones(3, np.float32)}
    if via == "ParameterDict.load":
        content = {"fc_" + k: v for k, v in content.items()}
    Path(path).write_bytes(ndio.encode(content))
    net = _dense()
    before = net.weight.data().asnumpy().copy()
    with pytest.raises(MXNetError, match="gamma"):
        net.load_parameters(path) if via == "load_parameters" else net.collect_params().load(path)
    np.testing.assert_array_equal(net.weight.data().asnumpy(), before)


@pytest.mark.parametrize("case", ["truncated", "wrong list magic", "trailing garbage", "ndim 65"])
def test_corrupt_parameter_file_raises_through_gluon(case, tmp_path):
    path = tmp_path / "net.params"
    net = _dense()
    net.save_parameters(str(path))
    buf = path.read_bytes()
    bad = {"truncated": buf[:-5], "wrong list magic": b"\x13" + buf[1:],
           "trailing garbage": buf + b"\x00", "ndim 65": HOSTILE["ndim 65"]}[case]
    path.write_bytes(bad)
    with pytest.raises(MXNetError, match="net.params"):
        _dense().load_parameters(str(path))
    with pytest.raises(MXNetError, match="net.params"):
        _dense().collect_params().load(str(path))


# ---- symbol JSON --------------------------------------------------------------------------------
def _mlp_json():
    data = mx.sym.var("data")
    h = mx.sym.FullyConnected(data, num_hidden=4, name="fc1")
    h = mx.sym.Activation(h, act_type="relu", name="relu1")
    h = mx.sym.BatchNorm(h, name="bn1")
    return mx.sym.FullyConnected(h, num_hidden=2, name="fc2").tojson()


def _graph():
    return json.loads(_mlp_json())


def _edit(fn):
    g = _graph()
    fn(g)
    return json.dumps(g)


JSON_CASES = {
    "empty string": ("", "not a symbol JSON"),
    "truncated text": (_mlp_json()[:200], "not a symbol JSON"),
    "not UTF-8": (b"\xff\xfe{}", "not a symbol JSON"),
    "a list": ("[1, 2, 3]", "expected an object"),
    "no nodes": ('{"heads": []}', "expected an object"),
    "nodes not a list": ('{"nodes": {}, "heads": []}', "expected an object"),
    "nesting 100000 deep": ("[" * 100000 + "]" * 100000, "not a symbol JSON"),
    "node is a number": (_edit(lambda g: g["nodes"].__setitem__(0, 7)), "node 0 is 7"),
    "op missing": (_edit(lambda g: g["nodes"][0].pop("op")), "node 0 .*string 'op'"),
    "name is a list": (_edit(lambda g: g["nodes"][1].__setitem__("name", [1])), "node 1"),
    "unknown op": (_edit(lambda g: g["nodes"][3].__setitem__("op", "os.system")),
                   "uses op 'os.system', which minimx does not have"),
    "attrs a list": (_edit(lambda g: g["nodes"][3].__setitem__("attrs", ["x"])),
                     "expected an object of strings"),
    "attr value a number": (_edit(lambda g: g["nodes"][3]["attrs"].__setitem__("num_hidden", 4)),
                            "expected an object of strings"),
    "attr value not a number": (_edit(lambda g: g["nodes"][3]["attrs"].__setitem__("num_hidden",
                                                                                   "four")),
                                "node 3 .*fc1.*cannot read its attributes|num_hidden"),
    "attr value a deep tuple": (_edit(lambda g: g["nodes"][3]["attrs"].__setitem__(
        "num_hidden", "(" * 5000 + ")" * 5000)), "node 3|num_hidden"),
    "attr value a huge int": (_edit(lambda g: g["nodes"][3]["attrs"].__setitem__(
        "num_hidden", "9" * 10000)), "node 3|num_hidden"),
    "input index out of range": (_edit(lambda g: g["nodes"][3]["inputs"][0].__setitem__(0, 99)),
                                 "refers to node 99, no node"),
    "negative input index": (_edit(lambda g: g["nodes"][3]["inputs"][0].__setitem__(0, -1)),
                             "refers to node -1"),
    "input is itself (a cycle)": (_edit(lambda g: g["nodes"][3]["inputs"][0].__setitem__(0, 3)),
                                  "a later node or itself"),
    "input is a later node (a cycle)": (_edit(lambda g: g["nodes"][3]["inputs"][0].__setitem__(0, 5)),
                                        "a later node or itself"),
    "input output index out of range": (_edit(lambda g: g["nodes"][3]["inputs"][0].__setitem__(1, 5)),
                                        "asks for output 5 of node 0 \\('data'\\), which has 1 output"),
    "input a string": (_edit(lambda g: g["nodes"][3]["inputs"].__setitem__(0, "data")),
                       "expected \\[node index, output index, version\\]"),
    "input index a float": (_edit(lambda g: g["nodes"][3]["inputs"][0].__setitem__(0, 0.0)),
                            "of ints"),
    "input index a bool": (_edit(lambda g: g["nodes"][3]["inputs"][0].__setitem__(0, True)),
                           "of ints"),
    "inputs not a list": (_edit(lambda g: g["nodes"][3].__setitem__("inputs", {})),
                          "expected a list"),
    "variable with inputs": (_edit(lambda g: g["nodes"][0].__setitem__("inputs", [[0, 0, 0]])),
                             "is a variable"),
    "head out of range": (_edit(lambda g: g["heads"][0].__setitem__(0, 1000)), "head 0 refers"),
    "head output out of range": (_edit(lambda g: g["heads"][0].__setitem__(1, 3)),
                                 "head 0 asks for output 3"),
    "no heads": (_edit(lambda g: g.__setitem__("heads", [])), "no heads"),
    "heads a string": (_edit(lambda g: g.__setitem__("heads", "x")), "expected an object"),
}


@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_hostile_symbol_json_raises_mxneterror(case, tmp_path):
    text, message = JSON_CASES[case]
    with pytest.raises(MXNetError, match=message):
        mx.sym.fromjson(text)
    path = tmp_path / "net-symbol.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(MXNetError, match="net-symbol.json"):
        mx.sym.load(str(path))
    with pytest.raises(MXNetError):
        gluon.SymbolBlock.imports(str(path), ["data"])


def test_good_symbol_json_still_round_trips_byte_for_byte():
    text = _mlp_json()
    assert mx.sym.fromjson(text).tojson() == text
    for name in ("mlp-symbol.json", "lenet-symbol.json"):
        text = (FIXTURES / name).read_text()
        assert mx.sym.fromjson(text).tojson() == text


def test_symbol_block_imports_with_bad_params_raises(tmp_path):
    sym_file = tmp_path / "net-symbol.json"
    sym_file.write_text(_mlp_json())
    params = tmp_path / "net-0000.params"
    params.write_bytes(HOSTILE["dims whose product overflows int64"])
    with pytest.raises(MXNetError, match="net-0000.params"):
        gluon.SymbolBlock.imports(str(sym_file), ["data"], str(params))
    params.write_bytes(ndio.encode({"arg:fc1_weight": np.ones((4, 3), np.float32)}))
    with pytest.raises(MXNetError, match="missing"):
        gluon.SymbolBlock.imports(str(sym_file), ["data"], str(params))
    with pytest.raises(MXNetError, match="No such file"):
        gluon.SymbolBlock.imports(str(tmp_path / "nope.json"), ["data"])


def test_symbol_block_with_an_absurd_layer_size_raises_mxneterror(tmp_path):
    path = tmp_path / "huge-symbol.json"
    path.write_text(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=10**12, name="fc").tojson())
    net = gluon.SymbolBlock.imports(str(path), ["data"])
    net.initialize()
    with pytest.raises(MXNetError):
        net(mx.nd.ones((1, 2))).wait_to_read()


# ---- no pickle of untrusted data --------------------------------------------------------------
PACKAGE = Path(mx.__file__).parent


def test_only_the_optimizer_states_reader_unpickles():
    """The one place minimx unpickles is the optimizer-states reader (MXNet's states format)."""
    users = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                   if any(s in p.read_text() for s in ("pickle.load", "pickle.Unpickler",
                                                       "marshal.load", "shelve.open")))
    assert users == ["optimizer/states.py"]


class _Witness:
    """Unpickling this calls os.makedirs(path): proof that a file ran code."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.makedirs, (self.path,)


def _trainer():
    net = _dense()
    return gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})


# states files are read with a restricted unpickler (minimx/optimizer/states.py).
def test_trainer_load_states_runs_no_code_from_the_file(tmp_path):
    witness = tmp_path / "code-ran"
    path = tmp_path / "evil.states"
    path.write_bytes(pickle.dumps(({0: _Witness(str(witness))}, None), protocol=4))
    trainer = _trainer()
    with pytest.raises(MXNetError):
        trainer.load_states(str(path))
    assert not witness.exists(), "loading a states file ran code from it"


# states files are read with a restricted unpickler (minimx/optimizer/states.py).
def test_trainer_load_states_calls_no_minimx_function(tmp_path):
    target = tmp_path / "written-by-a-states-file"
    # pickle: mxnet.ndarray.save(str(target), [])  (a REDUCE of a global that is a function)
    blob = (b"\x80\x04" + pickle.SHORT_BINUNICODE + bytes([len("mxnet.ndarray")]) + b"mxnet.ndarray"
            + pickle.SHORT_BINUNICODE + b"\x04save" + pickle.STACK_GLOBAL
            + pickle.BINUNICODE + struct.pack("<I", len(str(target))) + str(target).encode()
            + pickle.EMPTY_LIST + pickle.TUPLE2 + pickle.REDUCE + pickle.STOP)
    path = tmp_path / "evil.states"
    path.write_bytes(blob)
    with pytest.raises(MXNetError):
        _trainer().load_states(str(path))
    assert not target.exists(), "loading a states file called mx.nd.save"


def test_trainer_load_states_refuses_garbage(tmp_path):
    path = tmp_path / "bad.states"
    for blob in (b"", b"not a pickle", HOSTILE["trailing garbage"], pickle.dumps([1, 2])[:-3]):
        path.write_bytes(blob)
        with pytest.raises(MXNetError, match="bad.states"):
            _trainer().load_states(str(path))


# ---- atomic saves --------------------------------------------------------------------------------
class _DiskFull(OSError):
    pass


def _failing_writer(after):
    """A _write_chunks that writes `after` bytes, then fails as a full disk does."""
    def write(f, buf):
        f.write(bytes(buf[:after]))
        f.flush()
        raise _DiskFull(28, "No space left on device")
    return write


@pytest.mark.parametrize("saver", ["nd.save", "save_parameters", "ParameterDict.save", "export"])
def test_a_save_that_fails_midway_leaves_the_old_file(saver, tmp_path, monkeypatch):
    net = _dense()
    net.hybridize()
    net(mx.nd.ones((1, 2)))
    path = tmp_path / "model.params"
    save = {"nd.save": lambda: mx.nd.save(str(path), {"x": net.weight.data()}),
            "save_parameters": lambda: net.save_parameters(str(path)),
            "ParameterDict.save": lambda: net.collect_params().save(str(path)),
            "export": lambda: net.export(str(tmp_path / "model"))}[saver]
    if saver == "export":
        path = tmp_path / "model-0000.params"
    save()
    good = path.read_bytes()
    net.weight.set_data(net.weight.data() + 1)
    monkeypatch.setattr(ndio, "_write_chunks", _failing_writer(len(good) // 2))
    with pytest.raises(_DiskFull):
        save()
    assert path.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
    monkeypatch.undo()
    save()
    assert path.read_bytes() != good      # and a working save replaces it


def test_a_save_to_a_new_file_that_fails_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(ndio, "_write_chunks", _failing_writer(10))
    with pytest.raises(_DiskFull):
        mx.nd.save(str(tmp_path / "new.nd"), [mx.nd.ones(3)])
    assert list(tmp_path.iterdir()) == []


def test_a_process_killed_midway_through_a_save_leaves_the_old_file(tmp_path):
    path = tmp_path / "big.nd"
    mx.nd.save(str(path), [mx.nd.zeros((8,))])
    good = path.read_bytes()
    child = f"""
import os, minimx as mx
from minimx.ndarray import io as ndio
def dying(f, buf):
    f.write(bytes(buf[:len(buf) // 2])); f.flush(); os._exit(3)   # killed mid-write
ndio._write_chunks = dying
mx.nd.save({str(path)!r}, [mx.nd.ones((1000, 100))])
"""
    rc = subprocess.run([sys.executable, "-c", child], timeout=120).returncode
    assert rc == 3
    assert path.read_bytes() == good
    mx.nd.load(str(path))


def test_save_keeps_permissions_and_writes_through_devices(tmp_path):
    path = tmp_path / "a.nd"
    mx.nd.save(str(path), [mx.nd.ones(2)])
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    if os.path.exists("/dev/null"):
        mx.nd.save("/dev/null", [mx.nd.ones(2)])      # a device is written, not replaced
    with pytest.raises(MXNetError, match="cannot save"):
        mx.nd.save(str(tmp_path / "no-such-folder" / "a.nd"), [mx.nd.ones(2)])


# ---- fuzzing ---------------------------------------------------------------------------------------
FUZZ_COUNTS = {"binary": 0, "json": 0}


def _seed_files():
    seeds = [good_file(), ndio.encode([np.zeros((0, 3), np.float16), np.ones((), np.int8)])]
    seeds.append(listfile([record(magic=ndio.V1_MAGIC)[:4] + record()[8:]]))
    legacy = HEADER + struct.pack("<QI2I", 1, 2, 2, 3) + struct.pack("<iii", 1, 0, 0) + bytes(24) \
        + struct.pack("<Q", 0)
    seeds.append(legacy)
    seeds.append((FIXTURES / "adam_dense.params").read_bytes()[:4096])   # truncated real file
    return seeds


SEEDS = _seed_files()
INTERESTING = [0, 1, 2, 3, 7, 12, 64, 65, 0xFF, 0xFFFF, 2**31 - 1, 2**31, 2**32 - 1, 2**63 - 1,
               2**64 - 1, ndio.V1_MAGIC, ndio.V2_MAGIC, ndio.V3_MAGIC, ndio.LIST_MAGIC]
mutation = byte_mutations.strategy(INTERESTING, ("<I", "<Q"))     # little-endian u32 and u64
_mutate = byte_mutations.mutate


def _fuzz_binary(seed, mutations):
    FUZZ_COUNTS["binary"] += 1
    buf = _mutate(SEEDS[seed], mutations)
    try:
        out = decode_bounded(buf)
    except MXNetError:
        return
    arrays = out.values() if isinstance(out, dict) else out
    # What loads is a well-formed file: it writes back and reads again to the same arrays.
    again = ndio.decode(ndio.encode(out))
    for a, b in zip(arrays, again.values() if isinstance(again, dict) else again):
        assert a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


binary_case = dict(seed=st.integers(0, len(SEEDS) - 1), mutations=st.lists(mutation, min_size=1, max_size=4))


@settings(max_examples=300, deadline=None)
@given(**binary_case)
@example(seed=0, mutations=[("insert", 33, b"\x00"), ("<I", 180587, 64)])  # found by the long run
@example(seed=1, mutations=[("flip", 108635, 64)])                          # found by the long run
def test_fuzz_binary_reader(seed, mutations):
    _fuzz_binary(seed, mutations)


@pytest.mark.slow
@settings(max_examples=20000, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow])
@given(**binary_case)
def test_fuzz_binary_reader_long(seed, mutations):
    _fuzz_binary(seed, mutations)


json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 40) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
    max_leaves=12)
JSON_SEEDS = [_mlp_json(), (FIXTURES / "lenet-symbol.json").read_text()]


def _paths(obj, prefix=()):
    """Every path to a value inside a parsed JSON document."""
    yield prefix
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        yield from _paths(v, prefix + (k,))


def _fuzz_json(seed, edits, text_cut):
    FUZZ_COUNTS["json"] += 1
    graph = json.loads(JSON_SEEDS[seed])
    for pick, value in edits:
        paths = list(_paths(graph))
        path = paths[pick % len(paths)]
        if not path:
            graph = value
            continue
        parent = graph
        for k in path[:-1]:
            parent = parent[k]
        parent[path[-1]] = value
    text = json.dumps(graph)
    if text_cut:
        text = text[:text_cut % (len(text) + 1)]
    try:
        sym = mx.sym.fromjson(text)
    except MXNetError:
        return
    # What loads is a usable graph: it lists its parts and writes itself out again.
    sym.list_arguments()
    mx.sym.fromjson(sym.tojson())


json_case = dict(seed=st.integers(0, len(JSON_SEEDS) - 1),
                 edits=st.lists(st.tuples(st.integers(0, 10**6), json_value), min_size=1, max_size=3),
                 text_cut=st.integers(0, 10**6) | st.just(0))


@settings(max_examples=200, deadline=None)
@given(**json_case)
def test_fuzz_symbol_json_reader(seed, edits, text_cut):
    _fuzz_json(seed, edits, text_cut)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow])
@given(**json_case)
def test_fuzz_symbol_json_reader_long(seed, edits, text_cut):
    _fuzz_json(seed, edits, text_cut)


def test_zz_report_fuzz_counts(capsys):
    """Print the executions of this session's fuzz runs (RELIABILITY.md records the long ones)."""
    with capsys.disabled():
        print(f"\nfuzz executions: {FUZZ_COUNTS}")
