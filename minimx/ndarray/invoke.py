"""``invoke``: the one interception point every op call goes through.

Steps of ``invoke(op, inputs, attrs, out=None, ctx=None)``:

1. Find the context: the inputs' (they must agree), else ``ctx``, else the current context.
2. Run the op's shape and dtype rules. Bad input raises MXNetError here, at the call, naming the op,
   the input shapes and dtypes, and a hint.
3. Allocate the outputs on that context (or check the ``out=`` arrays).
4. Push a closure that calls the backend's kernel to the engine, reading the inputs' variables and
   writing the outputs'. Tiny ready ops run on this thread (see ``engine/threaded.py``).
5. If autograd is recording, link a tape node to the outputs.
6. Return the outputs at once; the values arrive asynchronously.

A composite op (one declared with ``compute``) instead runs its body, which calls invoke again for
each op it is made of.
"""
from functools import partial

from .. import config
from ..base import MXNetError
from ..context import Context, current_context
from ..engine import get_engine
from ..ops.opdef import OpInputError, get_op
from . import tape
from .storage import Chunk

__all__ = ["invoke", "call_op", "set_array_class", "set_composite_namespace"]

_INLINE_LIMIT = config.inline_limit()
_array_class = None   # NDArray, registered by ndarray.py (it calls invoke, so it cannot be imported here)
_F = None             # the mx.nd namespace composite bodies are written against


def set_array_class(cls):
    global _array_class
    _array_class = cls


def set_composite_namespace(namespace):
    global _F
    _F = namespace


def _describe(inputs):
    return ", ".join(f"{x.shape} {x.dtype.__name__}" for x in inputs)


def _input_error(op, inputs, attrs, err):
    names = op.inputs if not op.variadic else [f"{op.inputs[0][1:]}[{i}]" for i in range(len(inputs))]
    shown = ", ".join(f"{n}={x.shape} {x.dtype.__name__}" for n, x in zip(names, inputs))
    params = {k: v for k, v in attrs.items() if k not in ("rng", "is_train")}
    msg = f"{op.name}: {err}\n  inputs: {shown or 'none'}"
    if params:
        msg += f"\n  parameters: {params}"
    if getattr(err, "hint", ""):
        msg += f"\n  hint: {err.hint}"
    return MXNetError(msg)


def _context_of(op, inputs, ctx):
    if not inputs:
        if ctx is None:
            return current_context()
        return ctx if isinstance(ctx, Context) else Context(ctx)
    first = inputs[0]._chunk.ctx
    for x in inputs:
        if x._chunk.ctx is not first and x._chunk.ctx != first:
            raise MXNetError(
                f"{op.name}: inputs live on different contexts: "
                + ", ".join(str(x.context) for x in inputs)
                + "\n  hint: move them to one context first with x.as_in_context(ctx)")
    return first


def invoke(op, inputs, attrs, out=None, ctx=None):
    """Run ``op`` on NDArray ``inputs`` with parsed ``attrs``; return its visible output(s)."""
    for x in inputs:
        if not isinstance(x, _array_class):
            raise MXNetError(f"{op.name}: expected NDArray inputs, got {type(x).__name__} "
                             f"({x!r:.60})\n  hint: convert with mx.nd.array(...)")
    ctx = _context_of(op, inputs, ctx)
    if op.compute is not None and op.kernel is None:
        return _run_composite(op, inputs, attrs, out)
    in_shapes = [x._shape for x in inputs]
    try:
        out_shapes = op.shape(attrs, *in_shapes)
        out_dtypes = op.dtype(attrs, *[x._data.dtype for x in inputs])
    except OpInputError as err:
        raise _input_error(op, inputs, attrs, err) from None
    multi = type(out_shapes) is list
    if not multi:
        out_shapes, out_dtypes = [out_shapes], [out_dtypes]
    elif type(out_dtypes) is not list:
        out_dtypes = [out_dtypes] * len(out_shapes)
    backend = ctx.backend
    outputs = _outputs(op, out, out_shapes, out_dtypes, ctx, backend, multi)
    try:
        kernel = backend.kernels[op.kernel]
    except KeyError:
        raise MXNetError(f"{op.name}: the {backend.name} backend has no kernel "
                         f"'{op.kernel}'") from None
    if op.random or op.train_aware:
        attrs = dict(attrs)
        if op.train_aware:
            attrs["is_train"] = tape.state.training
    writes = [o._chunk for o in outputs]
    for i in op.mutates:
        if inputs[i]._chunk not in writes:
            writes.append(inputs[i]._chunk)
    reads = []
    for x in inputs:
        c = x._chunk
        if c not in writes and c not in reads:
            reads.append(c)
    if op.random:
        rng = ctx_rng(ctx)
        attrs["rng"] = rng.state
        writes.append(rng.var)
    fn = partial(kernel, tuple(x._data for x in inputs), tuple(o._data for o in outputs), attrs)
    work = op.estimate_work(attrs, in_shapes, out_shapes)
    get_engine().push(fn, reads, writes, ctx, op.name, work <= _INLINE_LIMIT)
    if tape.state.recording:
        tape.record(op, attrs, inputs, outputs)
    if not multi:
        return outputs[0]
    if op.num_visible is not None:
        n = op.num_visible(attrs)
        return outputs[0] if n == 1 else outputs[:n]
    return outputs


def call_op(name, inputs, args, kwargs, out=None):
    """Call op ``name`` the way ``mx.nd`` functions and NDArray methods do.

    ``args`` are parameters given by position (in the op's parameter order), ``kwargs`` by name.
    """
    op = get_op(name)
    if args:
        if len(args) > len(op.params):
            raise MXNetError(f"{op.name} takes at most {len(op.params)} parameters after its "
                             f"inputs ({', '.join(op.param_names)}), got {len(args)}")
        kwargs = dict(kwargs)
        for p, value in zip(op.param_names, args):
            if p in kwargs:
                raise MXNetError(f"{op.name} got parameter '{p}' twice")
            kwargs[p] = value
    return invoke(op, inputs, op.parse(kwargs) if kwargs or op.params else _NO_ATTRS, out)


_NO_ATTRS = {}


def _outputs(op, out, out_shapes, out_dtypes, ctx, backend, multi):
    if out is None:
        cls = _array_class
        return [cls._wrap(Chunk(backend.alloc(s, d), ctx), 0, s, backend)
                for s, d in zip(out_shapes, out_dtypes)]
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    if len(outs) < len(out_shapes) and multi:
        raise MXNetError(f"{op.name}: out= gives {len(outs)} arrays but the op has "
                         f"{len(out_shapes)} outputs")
    for o, s, d in zip(outs, out_shapes, out_dtypes):
        if not isinstance(o, _array_class):
            raise MXNetError(f"{op.name}: out= must be an NDArray, got {type(o).__name__}")
        if o._shape != tuple(s):
            raise MXNetError(f"{op.name}: out= has shape {o.shape} but the result has shape "
                             f"{tuple(s)}\n  hint: allocate out with the result's shape")
        if o._chunk.ctx != ctx:
            raise MXNetError(f"{op.name}: out= lives on {o.context} but the inputs on {ctx}")
        if o._data.dtype != d:
            raise MXNetError(f"{op.name}: out= has dtype {o.dtype.__name__} but the result is "
                             f"{d}\n  hint: cast with .astype or allocate out with dtype='{d}'")
    return outs


def _run_composite(op, inputs, attrs, out):
    result = op.compute(_F, attrs, *inputs)
    if out is None:
        return result
    results = result if isinstance(result, (list, tuple)) else [result]
    outs = out if isinstance(out, (list, tuple)) else [out]
    for r, o in zip(results, outs):
        r.copyto(o)
    return out


class _Rng:
    """A context's random generator and the engine variable that orders its use."""
    __slots__ = ("state", "var")

    def __init__(self, state, var):
        self.state, self.var = state, var


_RNGS = {}


def ctx_rng(ctx):
    """The random generator of a context, created on first use (seeded by ``mx.random.seed``)."""
    rng = _RNGS.get(ctx)
    if rng is None:
        rng = _RNGS[ctx] = _Rng(ctx.backend.new_rng(None), Chunk(None, ctx))
    return rng


def seed_rngs(seed, ctx=None):
    """Re-seed one context's generator, or every context's (``mx.random.seed``)."""
    from_ctx = [ctx] if ctx is not None else list(_RNGS) or [current_context()]
    for c in from_ctx:
        rng = ctx_rng(c)
        # Re-seed in push order: random ops pushed before the seed still use the old stream.
        get_engine().push(partial(c.backend.reseed, rng.state, seed), (), (rng.var,), c, "seed", True)
