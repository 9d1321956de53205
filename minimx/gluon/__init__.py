"""``mx.gluon``: the imperative/hybrid network API (Parameters, Blocks, layers, losses, Trainer)."""
import sys

from . import loss, nn, rnn
from .block import Block
from .hybrid_block import HybridBlock
from .parameter import Constant, DeferredInitializationError, Parameter
from .parameter_dict import ParameterDict
from .symbol_block import SymbolBlock
from .trainer import Trainer
from . import utils
from . import model_zoo
from . import contrib
from .. import data

# mx.gluon.data *is* minimx.data (its own layer, below gluon); register it and its submodules under
# this name too, so `from mxnet.gluon.data.vision import transforms`-style imports work.
for _name, _module in list(sys.modules.items()):
    if _name == data.__name__ or _name.startswith(data.__name__ + "."):
        sys.modules[__name__ + ".data" + _name[len(data.__name__):]] = _module
del _name, _module

__all__ = ["Trainer", "utils", "Block", "HybridBlock", "Parameter", "Constant", "ParameterDict",
           "DeferredInitializationError", "SymbolBlock", "nn", "rnn", "loss", "model_zoo", "contrib", "data"]
