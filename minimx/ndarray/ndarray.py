"""NDArray: a contiguous window (offset, shape) onto a storage chunk on one context.

As in MXNet, ``reshape`` and basic slicing of a contiguous region return views that share the chunk
(and so its engine variable: a write through a view is ordered with every other use of the chunk);
most ops return new arrays; ``x[:] = v``, ``x += y`` and ``out=`` write in place. Every op goes
through ``invoke``; the methods here only translate Python syntax into op calls.
"""
import numpy as np

from ..base import MXNetError, numeric_types
from ..context import Context
from ..engine import get_engine
from ..ops.opdef import get_op
from ..ops.shape import infer_reshape
from . import indexing, tape
from .backward import backward as backward_pass
from .fluent import FluentMethods
from .invoke import call_op, invoke, set_array_class
from .storage import Chunk, allocation_error

__all__ = ["NDArray"]

_OPS = {name: get_op(name) for name in (
    "broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div", "broadcast_mod",
    "broadcast_power", "broadcast_equal", "broadcast_not_equal", "broadcast_greater",
    "broadcast_greater_equal", "broadcast_lesser", "broadcast_lesser_equal",
    "_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar", "_rdiv_scalar",
    "_mod_scalar", "_rmod_scalar", "_power_scalar", "_rpower_scalar", "_equal_scalar",
    "_not_equal_scalar", "_greater_scalar", "_greater_equal_scalar", "_lesser_scalar",
    "_lesser_equal_scalar", "negative", "_copy", "Cast", "transpose", "Reshape", "_window")}
_BROADCAST_ADD, _BROADCAST_MUL = _OPS["broadcast_add"], _OPS["broadcast_mul"]
_NO_ATTRS = {}   # shared by ops without parameters; kernels never modify attrs


class MXNetValueError(MXNetError, ValueError):
    """An MXNetError raised where MXNet raises ``ValueError`` (``asscalar`` of a larger array)."""


class MXNetTypeError(MXNetError, TypeError):
    """An MXNetError raised where MXNet raises ``TypeError`` (an unknown dtype, ``float()`` of a
    larger array), so ``except TypeError`` in code written for MXNet still catches it."""


class NDArray(FluentMethods):
    """An n-dimensional array on a context, computed asynchronously by the engine.

    Create arrays with ``mx.nd.array``, ``mx.nd.zeros`` and friends, not with this class.
    """
    __slots__ = ("_chunk", "_offset", "_shape", "_data", "_node", "_grad", "_grad_req", "_fresh_grad",
                 "__weakref__")
    # numpy scalars on the left (np.float32(2) * x) must give way to NDArray's reflected operators.
    __array_priority__ = 1000.0

    def __init__(self, *args, **kwargs):
        raise MXNetError("create NDArrays with mx.nd.array(...), mx.nd.zeros(...) and the like")

    @classmethod
    def _wrap(cls, chunk, offset, shape, backend=None):
        """An array over ``chunk`` (a view when ``offset``/``shape`` are a window of it)."""
        self = object.__new__(cls)
        self._chunk = chunk
        self._offset = offset
        buf = chunk.buf
        if offset == 0 and buf.shape == shape:
            self._data = buf
        else:
            shape = tuple(shape)
            self._data = (backend or chunk.ctx.backend).view(buf, offset, shape)
        self._shape = shape
        self._node = None
        self._grad = None
        self._grad_req = "null"
        self._fresh_grad = False    # set by backward when it writes .grad; gluon.Trainer clears it
        return self

    def _view(self, offset, shape):
        """A view sharing this array's chunk; ``offset`` counts elements from this array's start.

        While recording, a view of an array that takes part in autograd is also recorded (as the
        ``_window`` op), so gradients flow back through ``x[1]``, ``x[2:5]`` and ``x.reshape``.
        """
        view = NDArray._wrap(self._chunk, self._offset + offset, shape)
        if tape.state.recording and tape.needs_grad(self):
            tape.record(_OPS["_window"], {"offset": offset, "shape": tuple(shape)}, (self,), (view,))
        return view

    # -- attributes ------------------------------------------------------------------------------
    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        """The element type, as a numpy type (``numpy.float32``), like MXNet."""
        return self._data.dtype.type

    @property
    def size(self):
        n = 1
        for s in self._shape:
            n *= s
        return n

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def context(self):
        return self._chunk.ctx

    ctx = context

    @property
    def stype(self):
        return "default"

    @property
    def T(self):
        """The transpose (a copy); a 1-D array is returned as it is, as in MXNet."""
        if self.ndim < 2:
            return self
        return invoke(_OPS["transpose"], (self,), {"axes": ()})

    @property
    def handle(self):
        return self._chunk

    # -- synchronisation and copies -------------------------------------------------------------
    def wait_to_read(self):
        """Block until every op writing this array has run; raise its error if one failed."""
        get_engine().wait_for_var(self._chunk)

    def asnumpy(self):
        """A numpy copy of the values (waits for them)."""
        get_engine().wait_for_var(self._chunk)
        return self._chunk.ctx.backend.to_numpy(self._data)

    def asscalar(self):
        """The value of a size-1 array as a numpy scalar."""
        if self.size != 1:
            raise MXNetValueError(f"asscalar: the array must have exactly one element, it has shape "
                             f"{self.shape}\n  hint: index one element first, e.g. x[0]")
        return self.asnumpy().reshape(-1)[0]

    def astype(self, dtype, copy=True):
        """A copy converted to ``dtype`` (the array itself when ``copy=False`` and dtype matches)."""
        cast = _OPS["Cast"]
        try:
            attrs = cast.parse({"dtype": dtype})
        except MXNetError as e:
            raise MXNetTypeError(str(e)) from None   # numpy's np.dtype raises TypeError in MXNet
        if not copy and attrs["dtype"] == self._data.dtype:
            return self
        return invoke(cast, (self,), attrs)

    def copy(self):
        """A new array with the same values on the same context."""
        return invoke(_OPS["_copy"], (self,), {})

    def copyto(self, other):
        """Copy into ``other`` (an NDArray of the same shape) or to a new array on a Context."""
        if isinstance(other, NDArray):
            if other._chunk is self._chunk and other._offset == self._offset:
                return other
            if other.shape != self.shape:
                raise MXNetError(f"copyto: shape mismatch, source {self.shape} vs destination "
                                 f"{other.shape}")
            if other.context == self.context:
                if other._data.dtype != self._data.dtype:
                    # MXNet's copyto converts to the destination's dtype (CopyFromTo casts)
                    cast = _OPS["Cast"]
                    return invoke(cast, (self,), cast.parse({"dtype": other._data.dtype}), out=other)
                return invoke(_OPS["_copy"], (self,), {}, out=other)
            _push_copy(self, other)
            return other
        if isinstance(other, Context):
            if other == self.context:
                return self.copy()
            dst = empty_array(self.shape, self._data.dtype, other)
            _push_copy(self, dst)
            return dst
        raise MXNetTypeError(f"copyto: expected an NDArray or a Context, got {type(other).__name__}")

    def as_in_context(self, context):
        """This array if it already lives on ``context``, else a copy there."""
        if self.context == context:
            return self
        return self.copyto(context)

    def as_nd_ndarray(self):
        return self

    # -- shape -----------------------------------------------------------------------------------
    def reshape(self, *shape, **kwargs):
        """A view with a new shape; MXNet's special codes 0, -1, -2, -3, -4 are understood.

        ``x.reshape((2, -1))``, ``x.reshape(2, -1)``, ``x.reshape(shape=(2, -1), reverse=True)``.
        """
        reverse = kwargs.pop("reverse", False)
        if "shape" in kwargs:
            shape = kwargs.pop("shape")
        elif len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = shape[0]
        if kwargs:
            raise MXNetTypeError(f"reshape got unexpected argument(s) {', '.join(kwargs)}")
        new_shape = infer_reshape(self._shape, tuple(shape), reverse)
        return self._view(0, new_shape)

    def __len__(self):
        if not self._shape:
            raise TypeError("len() of a 0-d array")
        return self._shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, key):
        return indexing.getitem(self, key)

    def __setitem__(self, key, value):
        indexing.setitem(self, key, value)

    # -- autograd -------------------------------------------------------------------------------
    def attach_grad(self, grad_req="write", stype=None):
        """Make this array a variable: backward() will write its gradient into ``.grad``.

        ``grad_req`` is 'write' (overwrite), 'add' (accumulate across backward calls) or 'null'.
        As in MXNet, this also cuts the array's own history: it becomes a leaf.
        """
        if grad_req not in ("write", "add", "null"):
            raise MXNetError(f"attach_grad: grad_req must be 'write', 'add' or 'null', got {grad_req!r}")
        if stype not in (None, "default"):
            raise MXNetError(f"attach_grad: sparse gradients ({stype!r}) are not supported by minimx")
        self._grad = call_op("zeros_like", (self,), (), {})
        self._grad_req = grad_req
        self._node = None

    @property
    def grad(self):
        """The gradient buffer of a variable (None before ``attach_grad``)."""
        return self._grad

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        """Compute the gradients of this array with respect to the variables it was computed from."""
        backward_pass([self], None if out_grad is None else [out_grad], retain_graph, train_mode)

    def detach(self):
        """The same values (sharing memory) without the autograd history."""
        return NDArray._wrap(self._chunk, self._offset, self._shape)

    # -- printing and conversion ---------------------------------------------------------------
    def __repr__(self):
        shape_info = "x".join(str(s) for s in self._shape)
        return f"\n{self.asnumpy()}\n<{type(self).__name__} {shape_info} @{self.context}>"

    def __bool__(self):
        n = self.size
        if n == 0:
            return False
        if n == 1:
            return bool(self.asscalar())
        raise ValueError("The truth value of an NDArray with multiple elements is ambiguous.")

    __nonzero__ = __bool__

    def __float__(self):
        # NB: MXNet 1.9.1's NDArray has no __float__ (float(x) is a TypeError even for one element);
        # minimx converts a one-element array and raises a TypeError-compatible error otherwise.
        if self.size != 1:
            raise MXNetTypeError(f"float() needs an array of one element, got shape {self.shape}")
        return float(self.asscalar())

    def __int__(self):
        if self.size != 1:
            raise MXNetTypeError(f"int() needs an array of one element, got shape {self.shape}")
        return int(self.asscalar())

    def __index__(self):
        if not np.issubdtype(self._data.dtype, np.integer) or self.size != 1:
            raise TypeError("only integer NDArrays of size 1 can be used as an index")
        return int(self.asscalar())

    def __hash__(self):
        return id(self) // 16

    def __reduce__(self):
        return _rebuild, (self.asnumpy(), str(self.context.device_type), self.context.device_id)

    # -- arithmetic ------------------------------------------------------------------------------
    def _binary(self, other, name, scalar_name, out=None):
        if isinstance(other, NDArray):
            return invoke(_OPS[name], (self, other), {}, out)
        if isinstance(other, numeric_types):
            return invoke(_OPS[scalar_name], (self,), {"scalar": float(other)}, out)
        raise TypeError(f"type {type(other)} not supported")

    def _rbinary(self, other, scalar_name):
        if isinstance(other, numeric_types):
            return invoke(_OPS[scalar_name], (self,), {"scalar": float(other)})
        raise TypeError(f"type {type(other)} not supported")

    def __add__(self, other):
        if type(other) is NDArray:   # the hot case, one call less
            return invoke(_BROADCAST_ADD, (self, other), _NO_ATTRS)
        return self._binary(other, "broadcast_add", "_plus_scalar")

    def __radd__(self, other):
        return self._rbinary(other, "_plus_scalar")

    def __iadd__(self, other):
        return self._binary(other, "broadcast_add", "_plus_scalar", out=self)

    def __sub__(self, other):
        return self._binary(other, "broadcast_sub", "_minus_scalar")

    def __rsub__(self, other):
        return self._rbinary(other, "_rminus_scalar")

    def __isub__(self, other):
        return self._binary(other, "broadcast_sub", "_minus_scalar", out=self)

    def __mul__(self, other):
        if type(other) is NDArray:
            return invoke(_BROADCAST_MUL, (self, other), _NO_ATTRS)
        return self._binary(other, "broadcast_mul", "_mul_scalar")

    def __rmul__(self, other):
        return self._rbinary(other, "_mul_scalar")

    def __imul__(self, other):
        return self._binary(other, "broadcast_mul", "_mul_scalar", out=self)

    def __truediv__(self, other):
        return self._binary(other, "broadcast_div", "_div_scalar")

    def __rtruediv__(self, other):
        return self._rbinary(other, "_rdiv_scalar")

    def __itruediv__(self, other):
        return self._binary(other, "broadcast_div", "_div_scalar", out=self)

    __div__, __rdiv__, __idiv__ = __truediv__, __rtruediv__, __itruediv__

    def __mod__(self, other):
        return self._binary(other, "broadcast_mod", "_mod_scalar")

    def __rmod__(self, other):
        return self._rbinary(other, "_rmod_scalar")

    def __imod__(self, other):
        return self._binary(other, "broadcast_mod", "_mod_scalar", out=self)

    def __pow__(self, other):
        return self._binary(other, "broadcast_power", "_power_scalar")

    def __rpow__(self, other):
        return self._rbinary(other, "_rpower_scalar")

    def __neg__(self):
        # NB: as in MXNet, -x is x * -1.0 (so a bool array gives int64, like MXNet's)
        return invoke(_OPS["_mul_scalar"], (self,), {"scalar": -1.0})

    def __pos__(self):
        return self

    def __abs__(self):
        return call_op("abs", (self,), (), {})

    def broadcast_to(self, shape):
        """Broadcast to ``shape``; as MXNet's method (unlike the op), fewer axes get leading 1s."""
        shape = tuple(shape)
        # MXNet's method checks in Python and raises ValueError (the op would read 0 as "keep")
        padded = (1,) * (len(shape) - self.ndim) + self._shape
        if len(shape) < self.ndim or any(d != s and d != 1 for d, s in zip(padded, shape)):
            raise MXNetValueError(
                f"broadcast_to: cannot broadcast shape {self.shape} to {shape}\n  hint: each "
                f"axis must match or be 1 in the source; missing leading axes count as 1")
        x = self
        if len(shape) > self.ndim:
            x = self.reshape((1,) * (len(shape) - self.ndim) + self.shape)
        return call_op("broadcast_to", (x,), (), {"shape": shape})

    def slice_assign(self, rhs, begin, end, step):
        """Write ``rhs`` into ``self[begin:end:step]`` (per axis) in place; returns self."""
        return call_op("_slice_assign", (self, rhs), (), {"begin": begin, "end": end, "step": step},
                       out=self)

    def slice_assign_scalar(self, value, begin, end, step):
        """Write the number ``value`` into ``self[begin:end:step]`` (per axis) in place."""
        return call_op("_slice_assign_scalar", (self,), (),
                       {"scalar": value, "begin": begin, "end": end, "step": step}, out=self)

    @property
    def writable(self):
        """Whether the array may be written (always True in minimx)."""
        return True

    def tostype(self, stype):
        """Only dense storage exists in minimx; ``'default'`` returns the array itself."""
        if stype != "default":
            raise MXNetError(f"tostype: sparse storage {stype!r} is not supported by minimx")
        return self

    def __eq__(self, other):
        return self._binary(other, "broadcast_equal", "_equal_scalar")

    def __ne__(self, other):
        return self._binary(other, "broadcast_not_equal", "_not_equal_scalar")

    def __gt__(self, other):
        return self._binary(other, "broadcast_greater", "_greater_scalar")

    def __ge__(self, other):
        return self._binary(other, "broadcast_greater_equal", "_greater_equal_scalar")

    def __lt__(self, other):
        return self._binary(other, "broadcast_lesser", "_lesser_scalar")

    def __le__(self, other):
        return self._binary(other, "broadcast_lesser_equal", "_lesser_equal_scalar")


def empty_array(shape, dtype, ctx):
    """A new uninitialised array (the values are whatever the allocator left)."""
    backend = ctx.backend
    try:
        buf = backend.alloc(tuple(shape), dtype)
    except (MemoryError, ValueError) as e:
        raise allocation_error("empty", [tuple(shape)], [dtype], ctx, e) from None
    return NDArray._wrap(Chunk(buf, ctx), 0, shape, backend)


def _push_copy(src, dst):
    """Copy between contexts as an engine op: reads the source, writes the destination."""
    src_backend, dst_backend = src.context.backend, dst.context.backend
    src_view, dst_view = src._data, dst._data

    def copy():
        if src_backend.device == "host" and dst_backend.device == "host":
            np.copyto(dst_view, src_view, casting="unsafe")
        else:
            dst_backend.from_numpy(src_backend.to_numpy(src_view), dst_view)

    reads = () if src._chunk is dst._chunk else (src._chunk,)
    get_engine().push(copy, reads, (dst._chunk,), dst.context, "_copyto", dst.size <= 16384)


def _rebuild(values, device_type, device_id):
    """Unpickle: a new array on the same context with the pickled values."""
    ctx = Context(device_type, device_id)
    out = empty_array(values.shape, values.dtype, ctx)
    ctx.backend.from_numpy(values, out._data)
    return out


set_array_class(NDArray)
