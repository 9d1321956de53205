"""``gluon.HybridBlock``: a Block written once as ``hybrid_forward(F, x, ..., **params)``.

``F`` is the namespace the layer computes with: ``mx.nd`` when called on NDArrays (imperative, what
runs here), ``mx.sym`` when traced into a graph by ``hybridize()``. Parameters arrive as keyword
arguments, already on the input's context.

Deferred initialization: a layer made without its input size (``Dense(10)``) has Parameters of
unknown shape until the first call; the first forward asks the layer's ``infer_shape(x, ...)`` to
fill in the shapes from the input, then finishes initialization.
"""
import warnings

from .. import ndarray as nd
from ..base import MXNetError
from ..ndarray import NDArray
from ..symbol import Symbol
from .block import Block
from .cached_graph import CachedGraph
from .parameter import DeferredInitializationError

__all__ = ["HybridBlock"]


def _flatten_arrays(args):
    for a in args:
        if isinstance(a, NDArray):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from _flatten_arrays(a)


class HybridInputError(MXNetError, ValueError):
    """A HybridBlock called with neither NDArrays nor Symbols (MXNet raises ValueError)."""


def _flatten_all(args):
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from _flatten_all(a)
        else:
            yield a


class HybridBlock(Block):
    """A Block whose computation is ``hybrid_forward(F, x, *args, **params)``.

    Children of a HybridBlock must be HybridBlocks too, so that the whole can be traced.
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._active = False
        self._flags = []
        self._cached_graph = ()
        self._cached_op = None

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if isinstance(value, HybridBlock):
            self._clear_cached_op()

    def _clear_cached_op(self):
        self._cached_graph = ()
        self._cached_op = None

    def register_child(self, block, name=None):
        if not isinstance(block, HybridBlock):
            raise MXNetError(
                "Children of HybridBlock must also be HybridBlock, but %s has type %s. If you are "
                "using Sequential, please try HybridSequential instead." % (str(block), str(type(block))))
        super().register_child(block, name)
        self._clear_cached_op()

    def hybridize(self, active=True, backend=None, backend_opts=None, clear=True, static_alloc=False,
                  static_shape=False, inline_limit=2, forward_bulk_size=None,
                  backward_bulk_size=None, **kwargs):
        """Ask for graph execution (the same results as imperative execution).

        Parameters
        ----------
        active : bool, default True
        static_alloc, static_shape : bool, default False
            MXNet's memory-planning hints; accepted and recorded.
        """
        self._active = active
        self._flags = [("static_alloc", static_alloc), ("static_shape", static_shape),
                       ("inline_limit", inline_limit)]
        if clear:
            self._clear_cached_op()
        if active and (self._forward_hooks or self._forward_pre_hooks):
            warnings.warn('"{block}" is being hybridized while still having forward hook/pre-hook. '
                          'If "{block}" is a child of HybridBlock, the hooks will not take '
                          'effect.'.format(block=self), stacklevel=2)
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape,
                          inline_limit=inline_limit, **kwargs)

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    # ---- shapes -------------------------------------------------------------------------------
    def infer_shape(self, *args):
        """Fill in the unknown (0/-1) dimensions of this Block's Parameters from the inputs.

        Built-in layers override this with their rule (``Dense``: the weight's second dimension is
        the input's size). The default traces ``hybrid_forward`` into a graph and runs the graph's
        shape inference, as MXNet does; it raises if a shape is still unknown.
        """
        graph = CachedGraph(self, args)
        if not graph.infer_parameter_shapes(list(_flatten_arrays(args))):
            unknown = [p.name for p in self._reg_params.values() if p._deferred_init]
            raise MXNetError(
                f"{self.__class__.__name__} '{self.name}': cannot infer the shapes of {unknown} from "
                f"inputs of shapes {[a.shape for a in _flatten_arrays(args)]}. Give the Parameters "
                "full shapes, or define infer_shape(self, x, ...) to set them from the inputs.")

    def _deferred_infer_shape(self, *args):
        try:
            self.infer_shape(*args)
        except MXNetError:
            raise
        except Exception as e:
            raise MXNetError(f"Deferred initialization failed because shape cannot be inferred for "
                             f"{self.__class__.__name__} '{self.name}': {e}") from e

    # ---- running ------------------------------------------------------------------------------
    def forward(self, x, *args):
        """Run ``hybrid_forward`` with ``F = mx.nd`` (or the cached graph once hybridized)."""
        if not isinstance(x, NDArray):
            first = next(_flatten_arrays((x,) + args), None)
            if first is None:
                if any(isinstance(a, Symbol) for a in _flatten_all((x,) + args)):
                    return self._symbolic_forward(x, *args)
                raise HybridInputError(
                    f"{self.__class__.__name__} '{self.name}': there must be one NDArray or one "
                    f"Symbol in the input, got {type(x).__name__}. Wrap numpy data with "
                    "mx.nd.array(...) first.")
            ctx = first.context
        else:
            ctx = x.context
        if self._active:
            with ctx:
                return self._call_cached_graph(x, *args)
        try:
            params = {k: v.data(ctx) for k, v in self._reg_params.items()}
        except DeferredInitializationError:
            self._deferred_infer_shape(x, *args)
            for p in list(self.params.values()) + list(self._reg_params.values()):
                p._finish_deferred_init()
            params = {k: v.data(ctx) for k, v in self._reg_params.items()}
        with ctx:
            return self.hybrid_forward(nd, x, *args, **params)

    def _call_cached_graph(self, *args):
        """Trace on the first call (and after a change), then run the graph."""
        if self._cached_op is None:
            graph = CachedGraph(self, args)
            flat = list(_flatten_arrays(args))
            if not graph.infer_parameter_shapes(flat):
                # A layer the graph cannot infer for: one imperative pass initializes it.
                self._run_imperatively(*args)
            self._cached_graph = (graph.inputs, graph.output)
            self._cached_op = graph
        return self._cached_op(args)

    def _run_imperatively(self, *args):
        blocks = []
        self.apply(lambda b: blocks.append(b) if isinstance(b, HybridBlock) else None)
        states = [b._active for b in blocks]
        for b in blocks:
            b._active = False
        try:
            return self(*args)
        finally:
            for b, state in zip(blocks, states):
                b._active = state

    def _symbolic_forward(self, x, *args):
        """``F = mx.sym``: trace into a graph (the symbol layer comes with hybridize's graphs)."""
        try:
            from .. import symbol
        except ImportError as e:
            raise MXNetError(f"{self.__class__.__name__} was called with {type(x).__name__} "
                             "inputs; it takes NDArrays (symbolic inputs need mx.sym).") from e
        params = {k: v.var() for k, v in self._reg_params.items()}
        with self.name_scope():
            return self.hybrid_forward(symbol, x, *args, **params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        """The computation, written with ``F`` (``mx.nd`` or ``mx.sym``); subclasses override it."""
        raise NotImplementedError(f"{self.__class__.__name__} must define hybrid_forward()")

    def export(self, path, epoch=0, remove_amp_cast=True):
        """Write ``path-symbol.json`` and ``path-%04d.params`` (MXNet can load both).

        The block must be hybridized and have run once (that is when its graph is traced).
        Returns the two file names.
        """
        if not self._cached_graph:
            raise MXNetError("Please first call block.hybridize() and then run forward with this "
                             "block at least once before calling export.")
        sym = self._cached_graph[1]
        sym_file = "%s-symbol.json" % path
        sym.save(sym_file)
        arg_names, aux_names = set(sym.list_arguments()), set(sym.list_auxiliary_states())
        arrays = {}
        for name, param in self.collect_params().items():
            if name in arg_names:
                arrays["arg:%s" % name] = param._reduce()
            elif name in aux_names:
                arrays["aux:%s" % name] = param._reduce()
        params_file = "%s-%04d.params" % (path, epoch)
        nd.save(params_file, arrays)
        return sym_file, params_file
