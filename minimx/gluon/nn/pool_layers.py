"""Pooling layers: ``nn.MaxPool1D/2D/3D`` and ``nn.AvgPool1D/2D/3D`` (the global ones and
``ReflectionPad2D`` are in ``global_pool_layers.py``).

Each is one ``Pooling`` op call with MXNet's arguments. ``ceil_mode=True`` is the op's
``pooling_convention='full'``: the output size rounds up, so a last, partial window is kept.
"""
from ...base import MXNetError
from ...ndarray import NDArray
from ..hybrid_block import HybridBlock
from .conv_layers import check_layout, check_rank, expand

__all__ = ["MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D"]

# The layouts MXNet's pooling layers accept, per number of spatial axes.
POOL_LAYOUTS = {1: ("NCW", "NWC"), 2: ("NCHW", "NHWC"), 3: ("NCDHW", "NDHWC")}


class _Pooling(HybridBlock):
    """What every pooling layer shares: its op arguments, its call and its repr."""

    def __init__(self, pool_size, strides, padding, ceil_mode, global_pool, pool_type, layout,
                 count_include_pad=None, **kwargs):
        super().__init__(**kwargs)
        layer = self.__class__.__name__
        n = len(pool_size)
        check_layout(layer, layout, n, POOL_LAYOUTS[n])
        if strides is None:
            strides = pool_size
        self._kwargs = {
            "kernel": pool_size, "stride": expand(strides, n, "strides", layer),
            "pad": expand(padding, n, "padding", layer), "global_pool": global_pool,
            "pool_type": pool_type, "layout": layout,
            "pooling_convention": "full" if ceil_mode else "valid"}
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = count_include_pad

    def _alias(self):
        return "pool"

    def forward(self, x, *args):
        # Checked here, not in hybrid_forward: a traced (symbolic) input has no shape yet.
        if not self._kwargs["global_pool"]:
            check_rank(self, x, self._kwargs["layout"])
        elif isinstance(x, NDArray) and not 3 <= x.ndim <= 5:
            # NB: as in MXNet, a global pool reduces every spatial axis whatever its rank, so
            # GlobalAvgPool2D also takes 3-d and 5-d data; only fewer than 3 axes is an error.
            raise MXNetError(f"{self.__class__.__name__} '{self.name}' expects 3-d to 5-d input "
                             f"(batch, channels, spatial axes...), got {x.ndim}-d input of shape "
                             f"{x.shape}.")
        return super().forward(x, *args)

    def hybrid_forward(self, F, x):
        kwargs = self._kwargs
        if kwargs["global_pool"]:
            # The op then reads the spatial axes from the data's rank, as MXNet's global pooling
            # does (minimx's Pooling op checks a given layout against the rank).
            kwargs = dict(kwargs, layout=None)
        return F.Pooling(x, name="fwd", **kwargs)

    def __repr__(self):
        s = "{name}(size={kernel}, stride={stride}, padding={pad}, ceil_mode={ceil_mode}"
        s += ", global_pool={global_pool}, pool_type={pool_type}, layout={layout})"
        return s.format(name=self.__class__.__name__,
                        ceil_mode=self._kwargs["pooling_convention"] == "full", **self._kwargs)


def _pool_size(cls, pool_size, n):
    return expand(pool_size, n, "pool_size", cls.__name__)


class MaxPool1D(_Pooling):
    """Max pooling over windows of 1-D (temporal) data.

    Parameters
    ----------
    pool_size : int or tuple of 1 int, default 2
        Window size.
    strides : int or tuple of 1 int, optional
        Window step; None (the default) means ``pool_size``.
    padding : int or tuple of 1 int, default 0
        Added on both sides of each spatial axis.
    layout : str, default 'NCW'
        NB: MXNet also accepts 'NWC'; minimx's Pooling op computes 'NCW' only.
    ceil_mode : bool, default False
        Round the output size up instead of down (keeps a last, partial window).

    Inputs:
        - **data**: (batch_size, channels, width).

    Outputs:
        - **out**: the same axes, each spatial size being
          ``floor((size + 2*padding - pool_size) / stride) + 1`` (ceil with ``ceil_mode``).
    """

    def __init__(self, pool_size=2, strides=None, padding=0, layout="NCW", ceil_mode=False,
                 **kwargs):
        super().__init__(_pool_size(MaxPool1D, pool_size, 1), strides, padding, ceil_mode, False,
                         "max", layout, **kwargs)


class MaxPool2D(_Pooling):
    """Max pooling over windows of 2-D (spatial) data.

    Parameters
    ----------
    pool_size : int or tuple of 2 ints, default (2, 2)
        Window size.
    strides : int or tuple of 2 ints, optional
        Window step; None (the default) means ``pool_size``.
    padding : int or tuple of 2 ints, default 0
        Added on both sides of each spatial axis.
    layout : str, default 'NCHW'
        NB: MXNet also accepts 'NHWC'; minimx's Pooling op computes 'NCHW' only.
    ceil_mode : bool, default False
        Round the output size up instead of down (keeps a last, partial window).

    Inputs:
        - **data**: (batch_size, channels, height, width).

    Outputs:
        - **out**: the same axes, each spatial size being
          ``floor((size + 2*padding - pool_size) / stride) + 1`` (ceil with ``ceil_mode``).
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, layout="NCHW",
                 ceil_mode=False, **kwargs):
        super().__init__(_pool_size(MaxPool2D, pool_size, 2), strides, padding, ceil_mode, False,
                         "max", layout, **kwargs)


class MaxPool3D(_Pooling):
    """Max pooling over windows of 3-D (volume or spatio-temporal) data.

    Parameters
    ----------
    pool_size : int or tuple of 3 ints, default (2, 2, 2)
        Window size.
    strides : int or tuple of 3 ints, optional
        Window step; None (the default) means ``pool_size``.
    padding : int or tuple of 3 ints, default 0
        Added on both sides of each spatial axis.
    layout : str, default 'NCDHW'
        NB: MXNet also accepts 'NDHWC'; minimx's Pooling op computes 'NCDHW' only.
    ceil_mode : bool, default False
        Round the output size up instead of down (keeps a last, partial window).

    Inputs:
        - **data**: (batch_size, channels, depth, height, width).

    Outputs:
        - **out**: the same axes, each spatial size being
          ``floor((size + 2*padding - pool_size) / stride) + 1`` (ceil with ``ceil_mode``).
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout="NCDHW", **kwargs):
        super().__init__(_pool_size(MaxPool3D, pool_size, 3), strides, padding, ceil_mode, False,
                         "max", layout, **kwargs)


class AvgPool1D(_Pooling):
    """Average pooling over windows of 1-D (temporal) data.

    Parameters
    ----------
    pool_size : int or tuple of 1 int, default 2
        Window size.
    strides : int or tuple of 1 int, optional
        Window step; None (the default) means ``pool_size``.
    padding : int or tuple of 1 int, default 0
        Added on both sides of each spatial axis.
    layout : str, default 'NCW'
        NB: MXNet also accepts 'NWC'; minimx's Pooling op computes 'NCW' only.
    ceil_mode : bool, default False
        Round the output size up instead of down (keeps a last, partial window).
    count_include_pad : bool, default True
        Count padded zeros in a window's average; False divides by the real elements only.

    Inputs:
        - **data**: (batch_size, channels, width).

    Outputs:
        - **out**: the same axes, each spatial size being
          ``floor((size + 2*padding - pool_size) / stride) + 1`` (ceil with ``ceil_mode``).
    """

    def __init__(self, pool_size=2, strides=None, padding=0, layout="NCW", ceil_mode=False,
                 count_include_pad=True, **kwargs):
        super().__init__(_pool_size(AvgPool1D, pool_size, 1), strides, padding, ceil_mode, False,
                         "avg", layout, count_include_pad, **kwargs)


class AvgPool2D(_Pooling):
    """Average pooling over windows of 2-D (spatial) data.

    Parameters
    ----------
    pool_size : int or tuple of 2 ints, default (2, 2)
        Window size.
    strides : int or tuple of 2 ints, optional
        Window step; None (the default) means ``pool_size``.
    padding : int or tuple of 2 ints, default 0
        Added on both sides of each spatial axis.
    layout : str, default 'NCHW'
        NB: MXNet also accepts 'NHWC'; minimx's Pooling op computes 'NCHW' only.
    ceil_mode : bool, default False
        Round the output size up instead of down (keeps a last, partial window).
    count_include_pad : bool, default True
        Count padded zeros in a window's average; False divides by the real elements only.

    Inputs:
        - **data**: (batch_size, channels, height, width).

    Outputs:
        - **out**: the same axes, each spatial size being
          ``floor((size + 2*padding - pool_size) / stride) + 1`` (ceil with ``ceil_mode``).
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, ceil_mode=False,
                 layout="NCHW", count_include_pad=True, **kwargs):
        super().__init__(_pool_size(AvgPool2D, pool_size, 2), strides, padding, ceil_mode, False,
                         "avg", layout, count_include_pad, **kwargs)


class AvgPool3D(_Pooling):
    """Average pooling over windows of 3-D (volume or spatio-temporal) data.

    Parameters
    ----------
    pool_size : int or tuple of 3 ints, default (2, 2, 2)
        Window size.
    strides : int or tuple of 3 ints, optional
        Window step; None (the default) means ``pool_size``.
    padding : int or tuple of 3 ints, default 0
        Added on both sides of each spatial axis.
    layout : str, default 'NCDHW'
        NB: MXNet also accepts 'NDHWC'; minimx's Pooling op computes 'NCDHW' only.
    ceil_mode : bool, default False
        Round the output size up instead of down (keeps a last, partial window).
    count_include_pad : bool, default True
        Count padded zeros in a window's average; False divides by the real elements only.

    Inputs:
        - **data**: (batch_size, channels, depth, height, width).

    Outputs:
        - **out**: the same axes, each spatial size being
          ``floor((size + 2*padding - pool_size) / stride) + 1`` (ceil with ``ceil_mode``).
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout="NCDHW", count_include_pad=True, **kwargs):
        super().__init__(_pool_size(AvgPool3D, pool_size, 3), strides, padding, ceil_mode, False,
                         "avg", layout, count_include_pad, **kwargs)
