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
from operator import attrgetter

from .. import config
from ..base import MXNetError
from ..context import Context, current_context
from .. import engine as _engines
from ..engine import get_engine
from ..ops.opdef import OpInputError, get_op
from . import tape
from .storage import Chunk, allocation_error

__all__ = ["invoke", "call_op", "set_array_class", "set_composite_namespace"]

_INLINE_LIMIT = config.inline_limit()
_SHAPE, _DATA, _DTYPE = attrgetter("_shape"), attrgetter("_data"), attrgetter("_data.dtype")
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


def invoke(op, inputs, attrs, out=None, ctx=None):
    """Run ``op`` on NDArray ``inputs`` with parsed ``attrs``; return its visible output(s)."""
    # 1. context (inlined for speed: this function runs for every op)
    if inputs:
        ctx = None
        for x in inputs:
            if type(x) is not _array_class and not isinstance(x, _array_class):
                _bad_input(op, inputs)
            c = x._chunk.ctx
            if c is not ctx:
                if ctx is None:
                    ctx = c
                elif c != ctx:
                    _context_mismatch(op, inputs)
    elif ctx is None:
        ctx = current_context()
    elif not isinstance(ctx, Context):
        ctx = Context(ctx)
    if op.kernel is None:
        return _run_composite(op, inputs, attrs, out)
    # 2. shape and dtype rules
    in_shapes = list(map(_SHAPE, inputs))   # map + attrgetter: no Python frame per input
    try:
        out_shapes = op.shape(attrs, *in_shapes)
        out_dtypes = op.dtype(attrs, *map(_DTYPE, inputs))
    except OpInputError as err:
        raise _input_error(op, inputs, attrs, err) from None
    multi = type(out_shapes) is list
    if not multi:
        out_shapes, out_dtypes = (out_shapes,), (out_dtypes,)
    elif type(out_dtypes) is not list:
        out_dtypes = [out_dtypes] * len(out_shapes)
    # 3. outputs
    backend = ctx._backend or ctx.backend
    if out is None:
        wrap, alloc = _array_class._wrap, backend.alloc
        try:    # free when nothing is raised; a failed allocation becomes an error naming the op
            if multi:
                outputs = [wrap(Chunk(alloc(s, d), ctx), 0, s)
                           for s, d in zip(out_shapes, out_dtypes)]
            else:   # the common case, without a comprehension's frame
                outputs = [wrap(Chunk(alloc(out_shapes[0], out_dtypes[0]), ctx), 0, out_shapes[0])]
        except (MemoryError, ValueError) as e:
            raise allocation_error(op.name, out_shapes, out_dtypes, ctx, e) from None
    else:
        outputs = _check_out(op, out, out_shapes, out_dtypes, ctx, multi)
        if tape.state.recording:
            for o in outputs:
                if tape.needs_grad(o):
                    raise MXNetError(
                        f"{op.name}: in-place operations (+=, -=, x[:]=, out=...) are not supported "
                        "on arrays that take part in autograd while recording\n  hint: write "
                        "y = x + 1 instead of x += 1 inside autograd.record()")
    # 4. push the kernel: it reads the inputs' chunks and writes the outputs' (and mutated inputs')
    kernel = backend.kernels.get(op.kernel)
    if kernel is None:
        raise MXNetError(f"{op.name}: the {backend.name} backend has no kernel '{op.kernel}'")
    writes = [o._chunk for o in outputs] if multi else [outputs[0]._chunk]
    if op.mutates:
        mutated = op.mutates(attrs, len(inputs)) if callable(op.mutates) else op.mutates
        for i in mutated:
            if inputs[i]._chunk not in writes:
                writes.append(inputs[i]._chunk)
    reads = []
    for x in inputs:
        c = x._chunk
        if c not in writes and c not in reads:
            reads.append(c)
    if op.needs_extra_attrs:   # random or train_aware: the kernel gets rng / is_train
        attrs = dict(attrs)
        if op.train_aware:
            attrs["is_train"] = tape.state.training
        if op.random:
            rng = ctx_rng(ctx)
            attrs["rng"] = rng.state
            writes.append(rng.var)
    fn = partial(kernel, tuple(map(_DATA, inputs)), tuple(map(_DATA, outputs)), attrs)
    work = op.work(attrs, in_shapes, out_shapes) if op.work is not None else outputs[0]._data.size
    (_engines.current or get_engine()).push(fn, reads, writes, ctx, op.name, work <= _INLINE_LIMIT)
    # 5. tape
    if tape.state.recording:
        tape.record(op, attrs, inputs, outputs)
    # 6. results
    if not multi:
        return outputs[0]
    if op.num_visible is not None:
        n = op.num_visible(attrs)
        return outputs[0] if n == 1 else outputs[:n]
    return outputs


def _bad_input(op, inputs):
    for i, x in enumerate(inputs):
        if not isinstance(x, _array_class):
            name = op.inputs[i] if not op.variadic and i < len(op.inputs) else f"input {i}"
            if x is None:
                raise MXNetError(f"{op.name}: input '{name}' is missing\n  hint: pass an NDArray")
            raise MXNetError(f"{op.name}: input '{name}' must be an NDArray, got "
                             f"{type(x).__name__} ({x!r:.60})\n  hint: convert with mx.nd.array(...)")


def _context_mismatch(op, inputs):
    raise MXNetError(
        f"{op.name}: inputs live on different contexts: "
        + ", ".join(str(x.context) for x in inputs)
        + "\n  hint: move them to one context first with x.as_in_context(ctx)")


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


def _check_out(op, out, out_shapes, out_dtypes, ctx, multi):
    """Check the arrays given as ``out=`` against the op's output shapes, dtypes and context."""
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


class _RngVar(Chunk):
    """The engine variable of a context's generator: it orders random ops, and keeps no failure.

    An array's variable keeps the error of a failed op that wrote it and passes it on to every
    later op (MXNet's rule). Applied to the generator's variable, one failed random op, or one
    random op whose input had failed, would fail every later random op of the context, seeds
    included. So this variable drops failures: they stay on the op's outputs, where they belong.
    """
    __slots__ = ()
    exc = property(lambda self: None, lambda self, failure: None)


_RNGS = {}
# MXNet seeds every generator with 0 at start-up, so a fresh process draws the same numbers each
# run; minimx does the same. ``mx.random.seed(n)`` replaces the seed of future contexts too.
_DEFAULT_SEED = 0
_global_seed = _DEFAULT_SEED


def _device_seed(seed, ctx):
    """The seed of ``ctx``'s generator after ``mx.random.seed(seed)`` (all contexts).

    As in MXNet, the seed is read as a C int (2**32 + 5 seeds as 5) and each device mixes in its
    id, so contexts draw different streams; device 0 uses the seed alone, which is what
    ``mx.random.seed(seed, ctx)`` gives any one context.
    """
    seed &= 0xFFFFFFFF
    return seed if ctx.device_id == 0 else [seed, ctx.device_id]


def ctx_rng(ctx):
    """The random generator of a context, created on first use with the current global seed."""
    rng = _RNGS.get(ctx)
    if rng is None:
        new = _Rng(ctx.backend.new_rng(_device_seed(_global_seed, ctx)), _RngVar(None, ctx))
        rng = _RNGS.setdefault(ctx, new)   # two threads may race here: one generator wins
    return rng


def seed_rngs(seed, ctx=None):
    """Re-seed every context's generator (``ctx=None``), or one context's (``mx.random.seed``).

    Seeding every context also seeds the contexts that have not drawn yet: they start from
    ``seed`` when first used.
    """
    global _global_seed
    if ctx is None:
        _global_seed = seed
        targets = [(c, _device_seed(seed, c)) for c in list(_RNGS)]
    else:
        targets = [(ctx, seed & 0xFFFFFFFF)]
    for c, key in targets:
        rng = ctx_rng(c)
        # Re-seed in push order: random ops pushed before the seed still use the old stream.
        get_engine().push(partial(c.backend.reseed, rng.state, key), (), (rng.var,), c, "seed", True)
