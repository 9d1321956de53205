"""``mx.gluon``: the imperative/hybrid network API (Parameters, Blocks, layers, losses, Trainer)."""
from . import nn
from .block import Block
from .hybrid_block import HybridBlock
from .parameter import Constant, DeferredInitializationError, Parameter
from .parameter_dict import ParameterDict

__all__ = ["Block", "HybridBlock", "Parameter", "Constant", "ParameterDict",
           "DeferredInitializationError", "nn"]
