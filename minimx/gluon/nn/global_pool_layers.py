"""Global pooling layers (``nn.GlobalMaxPool1D/2D/3D``, ``nn.GlobalAvgPool1D/2D/3D``) and
``nn.ReflectionPad2D``.

A global pool reduces each channel's whole spatial extent to one value: the ``Pooling`` op with
``global_pool=True``. The output keeps the spatial axes with size 1: ``(N, C, 1, 1)`` for 2-D.
"""
from ...base import MXNetError, numeric_types
from ..hybrid_block import HybridBlock
from .conv_layers import check_rank
from .pool_layers import _Pooling

__all__ = ["GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D",
           "GlobalAvgPool2D", "GlobalAvgPool3D", "ReflectionPad2D"]

# As in MXNet, a global pool is recorded as a pool of size 1 with ceil_mode=True; the size is
# ignored by the op and only shows in the repr.


class GlobalMaxPool1D(_Pooling):
    """The maximum over the whole width of each channel.

    Parameters
    ----------
    layout : str, default 'NCW'
        NB: MXNet also accepts 'NWC'; minimx's Pooling op computes 'NCW' only.

    Inputs:
        - **data**: (batch_size, channels, width).

    Outputs:
        - **out**: (batch_size, channels, 1).
    """

    def __init__(self, layout="NCW", **kwargs):
        super().__init__((1,), None, 0, True, True, "max", layout, **kwargs)


class GlobalMaxPool2D(_Pooling):
    """The maximum over the whole height and width of each channel.

    Parameters
    ----------
    layout : str, default 'NCHW'
        NB: MXNet also accepts 'NHWC'; minimx's Pooling op computes 'NCHW' only.

    Inputs:
        - **data**: (batch_size, channels, height, width).

    Outputs:
        - **out**: (batch_size, channels, 1, 1).
    """

    def __init__(self, layout="NCHW", **kwargs):
        super().__init__((1, 1), None, 0, True, True, "max", layout, **kwargs)


class GlobalMaxPool3D(_Pooling):
    """The maximum over the whole depth, height and width of each channel.

    Parameters
    ----------
    layout : str, default 'NCDHW'
        NB: MXNet also accepts 'NDHWC'; minimx's Pooling op computes 'NCDHW' only.

    Inputs:
        - **data**: (batch_size, channels, depth, height, width).

    Outputs:
        - **out**: (batch_size, channels, 1, 1, 1).
    """

    def __init__(self, layout="NCDHW", **kwargs):
        super().__init__((1, 1, 1), None, 0, True, True, "max", layout, **kwargs)


class GlobalAvgPool1D(_Pooling):
    """The mean over the whole width of each channel.

    Parameters
    ----------
    layout : str, default 'NCW'
        NB: MXNet also accepts 'NWC'; minimx's Pooling op computes 'NCW' only.

    Inputs:
        - **data**: (batch_size, channels, width).

    Outputs:
        - **out**: (batch_size, channels, 1).
    """

    def __init__(self, layout="NCW", **kwargs):
        super().__init__((1,), None, 0, True, True, "avg", layout, **kwargs)


class GlobalAvgPool2D(_Pooling):
    """The mean over the whole height and width of each channel (a classifier's last pool).

    Parameters
    ----------
    layout : str, default 'NCHW'
        NB: MXNet also accepts 'NHWC'; minimx's Pooling op computes 'NCHW' only.

    Inputs:
        - **data**: (batch_size, channels, height, width).

    Outputs:
        - **out**: (batch_size, channels, 1, 1).
    """

    def __init__(self, layout="NCHW", **kwargs):
        super().__init__((1, 1), None, 0, True, True, "avg", layout, **kwargs)


class GlobalAvgPool3D(_Pooling):
    """The mean over the whole depth, height and width of each channel.

    Parameters
    ----------
    layout : str, default 'NCDHW'
        NB: MXNet also accepts 'NDHWC'; minimx's Pooling op computes 'NCDHW' only.

    Inputs:
        - **data**: (batch_size, channels, depth, height, width).

    Outputs:
        - **out**: (batch_size, channels, 1, 1, 1).
    """

    def __init__(self, layout="NCDHW", **kwargs):
        super().__init__((1, 1, 1), None, 0, True, True, "avg", layout, **kwargs)


class ReflectionPad2D(HybridBlock):
    """Pads height and width with the mirror image of the border (the border row not repeated):
    ``[a b c d]`` padded by 2 is ``[c b a b c d c b]``.

    Parameters
    ----------
    padding : int or tuple of 8 ints, default 0
        An int pads height and width by that much on both sides; 8 ints are the op's
        ``pad_width`` (before/after for N, C, H, W; N and C must be 0). Each must be smaller
        than the axis it pads.

    Inputs:
        - **data**: (N, C, H, W).

    Outputs:
        - **out**: (N, C, H + 2*padding, W + 2*padding).
    """

    def __init__(self, padding=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, numeric_types):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        if len(padding) != 8:
            raise MXNetError(f"ReflectionPad2D: padding must be an int or 8 ints (before/after "
                             f"for N, C, H, W), got {padding!r}.")
        self._padding = padding

    def forward(self, x, *args):
        check_rank(self, x, "NCHW")
        return super().forward(x, *args)

    def hybrid_forward(self, F, x):
        return F.pad(x, mode="reflect", pad_width=self._padding)
