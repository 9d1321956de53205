"""Fuzz every op of the op table through its ``mx.nd`` wrapper (issue 10, item 2).

For each op in ``minimx.ops.all_ops()`` hypothesis draws valid inputs from the op's Domain
(``op_inputs.draw_inputs``), then mutates some of them (a wrong rank, a zero-size axis, a wrong
dtype, NaN/Inf values, an extra or a missing input, a non-array input) and some parameters (the
valid value, or a hostile one: negative, 0, 2**40, a float for an int, NaN, a string, None, a tuple
of the wrong length, a nested tuple, an unknown keyword). Each call must either

- return NDArrays whose shapes are the op's own shape rule's and whose values can be read
  (``asnumpy``; a failed kernel surfaces there as MXNetError), or
- raise MXNetError (a subclass, or a TypeError from Python's own argument binding, which is what
  MXNet's generated functions raise for a wrong signature),

within a time bound: never a bare IndexError, ZeroDivisionError, OverflowError, AxisError,
ValueError, RecursionError, a crash or a hang. A SIGALRM deadline interrupts Python-level loops;
``faulthandler`` kills the process with a traceback if a kernel hangs in C.

The CI run draws a few examples per op (derandomized, the profile of conftest.py); the ``slow``
run draws many more. ``-s`` prints the execution counts.
"""
import faulthandler
import signal
import time
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx.base import MXNetError
from minimx.ops import all_ops
from minimx.ndarray.invoke import invoke
from minimx.ops.opdef import REQUIRED
from op_inputs import draw_inputs

OPS = all_ops()
CI_EXAMPLES, SLOW_EXAMPLES = 8, 120
DEADLINE_S = 10.0          # per call, generous for a loaded 2-core box; a hang is far longer
WATCHDOG_S = 120.0         # a kernel stuck in C (no signal reaches it): kill with a traceback
COUNTS = Counter()


class _Deadline(BaseException):
    """Raised by SIGALRM in the middle of a call that ran past DEADLINE_S (BaseException: no
    ``except Exception`` in the package swallows it)."""


def _wrapper(op):
    """The public ``mx.nd`` function of an op, else its ``mx.nd._internal`` one."""
    for name in (op.name,) + op.aliases:
        for module, prefix in ((mx.nd, ""), (mx.nd.contrib, "_contrib_"),
                               (mx.nd.linalg, "_linalg_"), (mx.nd._internal, "")):
            if name.startswith(prefix):
                fn = getattr(module, name[len(prefix):], None)
                if callable(fn):
                    return fn
    return None


NAN, INF = float("nan"), float("inf")
HOSTILE = [-1, 0, 1, -2**40, 2**40, 2**62, 2**63, 1.5, -0.5, NAN, INF, -INF, "abc", "", "None",
           "(1, 2", None, True, (), (0,), (1, 2), (2,) * 7, ((1, 2), (3,)), [1, -1], (-1,),
           (2**40, 2**40), (0, 0, 0)]
MUTATIONS = ["rank_up", "rank_down", "scalar", "zero_dim", "int32", "int64", "bool", "float16",
             "uint8", "nan", "inf", "extra", "missing", "not_array"]


def _mutate(data, inputs, kind):
    """Apply one input mutation to the list of numpy ``inputs`` (in place)."""
    if kind == "extra":
        first = inputs[0] if inputs and isinstance(inputs[0], np.ndarray) else None
        inputs.append(first.copy() if first is not None else np.ones((2, 3), np.float32))
        return
    if not inputs:
        return
    if kind == "missing":
        inputs.pop(data.draw(st.integers(0, len(inputs) - 1), label="drop"))
        return
    i = data.draw(st.integers(0, len(inputs) - 1), label="which_input")
    x = inputs[i]
    if not isinstance(x, np.ndarray):
        return
    if kind == "rank_up":
        x = np.stack([x, x], axis=data.draw(st.integers(0, x.ndim), label="axis"))
    elif kind == "rank_down" and x.ndim:
        axis = data.draw(st.integers(0, x.ndim - 1), label="axis")
        x = np.take(x, 0, axis=axis) if x.shape[axis] else x
    elif kind == "scalar":
        x = np.asarray(x.reshape(-1)[0] if x.size else 0, x.dtype)
    elif kind == "zero_dim" and x.ndim:
        x = np.take(x, [], axis=data.draw(st.integers(0, x.ndim - 1), label="axis"))
    elif kind in ("int32", "int64", "bool", "float16", "uint8"):
        x = x.astype(kind)
    elif kind in ("nan", "inf") and x.dtype.kind == "f" and x.size:
        x = x.copy()
        flat = x.reshape(-1)
        flat[data.draw(st.integers(0, flat.size - 1), label="where")] = \
            NAN if kind == "nan" else data.draw(st.sampled_from([INF, -INF]), label="sign")
    elif kind == "not_array":
        x = data.draw(st.sampled_from([x.tolist(), 1.0, None, "abc"]), label="not_array")
    inputs[i] = x


def _param_value(data, p):
    """A value for param ``p``: a valid one (its default, an Enum choice) or a hostile one."""
    valid = [] if p.default is REQUIRED else [p.default]
    valid += list(getattr(p.parse, "choices", ())) + (["bogus"] if hasattr(p.parse, "choices")
                                                      else [])
    return data.draw(st.sampled_from(valid + HOSTILE), label=p.name)


def _draw_call(data, op):
    """(inputs, kwargs, mutations) for one call of ``op``."""
    dtype = data.draw(st.sampled_from(op.domain.dtypes), label="dtype")
    kwargs = dict(data.draw(st.sampled_from(op.domain.attrs), label="attrs"))
    if any(p.name == "dtype" for p in op.params) and (not op.inputs or op.name.startswith("_")):
        kwargs.setdefault("dtype", dtype)
    inputs = list(draw_inputs(data, op, dtype, kwargs))
    if op.key_var_num_args:
        kwargs[op.key_var_num_args] = len(inputs)
    kinds = data.draw(st.lists(st.sampled_from(MUTATIONS), max_size=2), label="mutations")
    for kind in kinds:
        _mutate(data, inputs, kind)
    if op.params:
        for p in data.draw(st.lists(st.sampled_from(op.params), max_size=2, unique_by=id),
                           label="params"):
            kwargs[p.name] = _param_value(data, p)
    if data.draw(st.integers(0, 9), label="unknown_kw") == 0:
        kwargs["no_such_param"] = data.draw(st.sampled_from(HOSTILE), label="unknown_value")
    return inputs, kwargs, kinds


def _as_array(x):
    return mx.nd.array(x, dtype=x.dtype) if isinstance(x, np.ndarray) else x


def _allowed(err):
    """MXNetError (any subclass), or a TypeError of Python's argument binding (no frame of the
    package on its traceback)."""
    if isinstance(err, MXNetError):
        return True
    if isinstance(err, TypeError):
        tb = err.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        return "minimx" not in tb.tb_frame.f_code.co_filename
    return False


def _expected_shapes(op, arrays, kwargs):
    """The visible output shapes by the op's own rule, as the wrapper computes its attrs."""
    if op.key_var_num_args and op.variadic:
        kwargs = dict(kwargs, **{op.key_var_num_args: len(arrays)})
    attrs = op.parse(kwargs)
    shapes = op.shape(attrs, *[a.shape for a in arrays])
    if type(shapes) is not list:
        return [tuple(shapes)]
    if op.num_visible is not None:
        shapes = shapes[:op.num_visible(attrs)]
    return [tuple(s) for s in shapes]


def _alarm(signum, frame):
    raise _Deadline()


def check_call(op, inputs, kwargs):
    """Call ``op`` once and check the outcome (see the module docstring)."""
    fn = _wrapper(op)
    arrays = [_as_array(x) for x in inputs]
    old = signal.signal(signal.SIGALRM, _alarm)
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    start = time.perf_counter()
    outcome = "ok"
    try:
        signal.setitimer(signal.ITIMER_REAL, DEADLINE_S)
        try:
            if fn is not None:
                result = fn(*arrays, **kwargs)
            else:
                result = invoke(op, arrays, op.parse(kwargs))
            outs = list(result) if isinstance(result, (list, tuple)) else [result]
            assert all(isinstance(o, mx.nd.NDArray) for o in outs), \
                f"{op.name} returned {[type(o).__name__ for o in outs]}"
            expected = _expected_shapes(op, arrays, kwargs)
            got = [tuple(o.shape) for o in outs]
            assert got == expected, f"{op.name}: shapes {got}, its shape rule says {expected}"
            for o in outs:
                o.asnumpy()
        except _Deadline:
            raise AssertionError(f"{op.name} ran past {DEADLINE_S} s "
                                 f"(inputs {_show(inputs)}, params {kwargs!r})") from None
        except AssertionError:
            raise
        except BaseException as err:   # noqa: B902 (a crash-class error must fail the test)
            if not _allowed(err):
                raise AssertionError(f"{op.name} raised a bare {type(err).__name__}: {err} "
                                     f"(inputs {_show(inputs)}, params {kwargs!r})") from err
            outcome = "error"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, old)
    elapsed = time.perf_counter() - start
    assert elapsed < DEADLINE_S, f"{op.name} took {elapsed:.1f} s"
    COUNTS[outcome] += 1


def _show(inputs):
    return [f"{x.shape} {x.dtype}" if isinstance(x, np.ndarray) else repr(x)[:40] for x in inputs]


def _fuzz(op, data):
    inputs, kwargs, _ = _draw_call(data, op)
    check_call(op, inputs, kwargs)


# Cases the long run found (each raised a bare error before its fix; see RELIABILITY.md section 2).
# They are plain calls rather than ``@example``s: the fuzz draws through ``st.data()``.
F32 = np.float32
FOUND = [
    ("Cast", [np.ones(1, F32)], {"dtype": "(1, 2"}),                # SyntaxError from np.dtype
    ("_zeros", [], {"shape": (2, 3), "dtype": "(1, 2"}),             # same, in every dtype param
    ("slice", [np.ones((4, 5, 3), F32)], {"begin": "(1, 2", "end": (3,)}),   # ast SyntaxError
    ("_arange", [], {"start": NAN, "dtype": "float32"}),             # ValueError: NaN to int
    ("_arange", [], {"start": 0, "stop": INF}),                      # OverflowError (seen in the fix)
    ("_backward_Convolution_weight", [np.ones((2, 2, 3, 3), F32), np.ones((), F32)],
     {"kernel": (3, 3), "num_filter": 2}),                           # IndexError in shape rule
    ("_backward_BilinearSampler", [np.ones((2, 3, 3, 2), F32), np.ones((), F32),
                                   np.ones((2, 2, 3, 2), F32)], {}),     # IndexError (recheck run)
    ("_eye", [], {"N": -1, "dtype": "float32"}),                     # bare numpy ValueError
    ("_window", [np.ones((3, 4), F32)], {"offset": 4, "shape": -1}),  # same
    ("_random_poisson", [], {"shape": (3,), "ctx": [1, -1]}),        # TypeError: unhashable
    ("_sample_poisson", [np.ones((2, 2), np.float16)], {"shape": 2**63}),   # "Maximum allowed"
]


@pytest.mark.parametrize("name,inputs,kwargs", FOUND, ids=[f"{c[0]}-{i}" for i, c in enumerate(FOUND)])
def test_found_case(name, inputs, kwargs):
    from minimx.ops import get_op
    op = get_op(name)
    before = COUNTS["error"]
    check_call(op, inputs, kwargs)
    assert COUNTS["error"] == before + 1, f"{name} accepted {kwargs!r}"


def _ids(ops):
    return [op.name for op in ops]


@pytest.mark.parametrize("op", OPS, ids=_ids(OPS))
@given(data=st.data())
@settings(max_examples=CI_EXAMPLES)
def test_op_fuzz(op, data):
    _fuzz(op, data)


@pytest.mark.slow
@pytest.mark.parametrize("op", OPS, ids=_ids(OPS))
@given(data=st.data())
@settings(max_examples=SLOW_EXAMPLES)
def test_op_fuzz_long(op, data):
    _fuzz(op, data)


def test_engine_serves_after_fuzz():
    """After every hostile call above, the engine still runs ops and waits."""
    try:
        mx.nd.waitall()
    except MXNetError:
        pass
    assert (mx.nd.ones((2, 2)) + 1).asnumpy().tolist() == [[2, 2], [2, 2]]


def teardown_module(module):
    print(f"\nop fuzz executions: {sum(COUNTS.values())} over {len(OPS)} ops "
          f"({COUNTS['ok']} returned, {COUNTS['error']} raised MXNetError/TypeError)")
