"""``gluon.nn``: neural-network layers (each a HybridBlock unless it says otherwise)."""
from .activations import ELU, GELU, SELU, Activation, LeakyReLU, PReLU, Swish
from .basic_layers import Dropout, Embedding, Flatten, HybridLambda, Lambda
from .containers import HybridSequential, Sequential
from .dense import Dense
from .norm_layers import BatchNorm, GroupNorm, InstanceNorm, LayerNorm
from .conv_layers import Conv1D, Conv2D, Conv3D
from .conv_transpose_layers import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
from .global_pool_layers import (GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D,
                                 GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D,
                                 ReflectionPad2D)
from .pool_layers import AvgPool1D, AvgPool2D, AvgPool3D, MaxPool1D, MaxPool2D, MaxPool3D

__all__ = ["Activation", "Dense", "HybridSequential", "Sequential"]
__all__ += ["LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Swish"]
__all__ += ["Dropout", "Flatten", "Embedding", "Lambda", "HybridLambda"]
__all__ += ["BatchNorm", "LayerNorm", "InstanceNorm", "GroupNorm"]
__all__ += ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
            "Conv3DTranspose"]
__all__ += ["MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
            "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D",
            "GlobalAvgPool2D", "GlobalAvgPool3D", "ReflectionPad2D"]

# MXNet's gluon.nn also exposes the block classes themselves.
from ..block import Block  # noqa: E402
from ..hybrid_block import HybridBlock  # noqa: E402
from ..symbol_block import SymbolBlock  # noqa: E402

__all__ += ["Block", "HybridBlock", "SymbolBlock"]
