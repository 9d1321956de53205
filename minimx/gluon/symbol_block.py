"""``gluon.SymbolBlock``: a block made from a graph, such as one MXNet exported.

>>> net = gluon.SymbolBlock.imports('mlp-symbol.json', ['data'], 'mlp-0000.params')
>>> y = net(x)

Every variable of the graph that is not an input becomes a Parameter under its own name (the
running statistics of BatchNorm become Parameters without gradient), so ``collect_params()``,
``Trainer`` and ``save_parameters`` work as for any block.
"""
import os

import numpy as np

from .. import symbol
from ..base import MXNetError
from ..ndarray import NDArray
from ..symbol.executor import run_graph
from ..symbol.infer import infer_type, propagate_shapes
from ..symbol.symbol import topo_order
from .cached_graph import flatten, regroup
from .hybrid_block import HybridBlock
from .parameter_dict import ParameterDict

__all__ = ["SymbolBlock"]


def _common_prefix(names):
    if not names:
        return ""
    prefix = os.path.commonprefix(list(names))
    return prefix


class SymbolBlock(HybridBlock):
    """Construct a block from symbols.

    Parameters
    ----------
    outputs : Symbol or list of Symbol
        The graph's outputs.
    inputs : Symbol or list of Symbol
        The variables fed with the block's call arguments, in order.
    params : ParameterDict, optional
        Parameters to share (looked up by the graph's variable names).
    """

    def __init__(self, outputs, inputs, params=None):
        super().__init__(prefix=None, params=None)
        self._prefix = ""
        self._params = ParameterDict("", params)
        if isinstance(inputs, symbol.Symbol) and len(inputs) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        syms, self._in_format = flatten(inputs, "input")
        out, self._out_format = flatten(outputs, "output")
        out = symbol.Group(out)
        input_names = []
        for s in syms:
            node = s._outputs[0][0]
            if len(s) != 1 or not node.is_variable:
                raise MXNetError(f"Input symbols must be variable, but {s} is an output of operators")
            input_names.append(node.name)
        self._input_names = input_names
        arg_types, _, aux_types = infer_type(out, (), {n: np.float32 for n in input_names
                                                       if n in out.list_inputs()})
        for name, t in zip(out.list_arguments(), arg_types):
            if name not in input_names:
                self.params.get(name, allow_deferred_init=True, dtype=t or np.float32)
        for name, t in zip(out.list_auxiliary_states(), aux_types):
            if name not in input_names:
                self.params.get(name, grad_req="null", allow_deferred_init=True,
                                dtype=t or np.float32)
        self._cached_graph = (syms, out)
        self._nodes = topo_order(out._outputs)
        n = len(_common_prefix(list(self._params.keys())))
        self._reg_params = {key[n:]: val for key, val in self._params.items()}

    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None, allow_missing=False,
                ignore_extra=False):
        """Load a block from MXNet's ``export`` files (``-symbol.json`` and ``-0000.params``)."""
        sym = symbol.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        inputs = [symbol.var(i) for i in input_names]
        ret = SymbolBlock(sym, inputs)
        if param_file is not None:
            ret.collect_params().load(param_file, ctx, allow_missing, ignore_extra,
                                      cast_dtype=True, dtype_source="saved")
        return ret

    def forward(self, x, *args):
        if not isinstance(x, NDArray):
            raise MXNetError("SymbolBlock takes NDArrays (composing it with symbols is not "
                             "supported by minimx)")
        flat, _ = flatten([x] + list(args), "inputs")
        ctx = x.context
        feed = dict(zip(self._input_names, flat))
        params = list(self.params.values())
        if any(p._deferred_init for p in params):
            self._infer_parameter_shapes(feed)
        for p in params:
            feed[p.name] = p.data(ctx)
        with ctx:
            outs = run_graph(self._cached_graph[1], feed, self._nodes)
        result, _ = regroup(outs, self._out_format)
        return result

    def _infer_parameter_shapes(self, feed):
        by_name = {n.name: n for n in self._nodes if n.is_variable}
        given = {id(by_name[k]): v.shape for k, v in feed.items() if k in by_name}
        shapes = propagate_shapes(self._cached_graph[1], given, partial=True)
        for p in self.params.values():
            if p._deferred_init and p.name in by_name:
                shape = shapes.get((id(by_name[p.name]), 0))
                if shape is None:
                    raise MXNetError(f"SymbolBlock: cannot infer the shape of Parameter "
                                     f"'{p.name}'; load its value first")
                p.shape = shape
                p._finish_deferred_init()

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError

    def cast(self, dtype):
        self._clear_cached_op()
        for p in self.params.values():
            p.cast(dtype)

    def _clear_cached_op(self):
        pass   # the graph is the block itself; nothing to rebuild
