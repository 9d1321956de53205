"""Convolution layers: ``nn.Conv1D``, ``nn.Conv2D``, ``nn.Conv3D`` (the transposed ones are in
``conv_transpose_layers.py``; both share ``_Conv`` and the layout helpers here).

A convolution layer owns ``weight`` (and ``bias``) and calls one op, ``Convolution`` or
``Deconvolution``, with the arguments MXNet's layer passes (``kernel``, ``stride``, ``dilate``,
``pad``, ``num_filter``, ``num_group``, ``no_bias``, ``layout``). ``in_channels=0`` leaves the
weight's input-channel dimension unknown until the first batch arrives (``infer_shape``).
"""
from ...base import MXNetError, numeric_types
from ...ndarray import NDArray
from ..hybrid_block import HybridBlock
from ..parameter import GluonAssertionError
from .activations import Activation

__all__ = ["Conv1D", "Conv2D", "Conv3D"]

# The channel-first layout of 1, 2 and 3 spatial axes: the only ones minimx's ops compute.
CHANNEL_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_AXES = {"N": "batch", "C": "channels", "D": "depth", "H": "height", "W": "width"}


def expand(value, n, what, layer):
    """An int becomes ``(value,) * n``; a tuple/list is kept as given (MXNet prints it as given)."""
    if isinstance(value, numeric_types):
        return (value,) * n
    if len(value) != n:
        # NB: MXNet asserts this (AssertionError); GluonAssertionError is both.
        raise GluonAssertionError(f"{layer}: {what} must be a number or a list of {n} ints, got "
                                  f"{value!r}.")
    return value


def check_layout(layer, layout, n, mxnet_layouts):
    """Refuse a layout MXNet refuses, and the channel-last ones that minimx's ops do not compute."""
    if layout not in mxnet_layouts:
        raise GluonAssertionError(f"{layer}: layout {layout!r} is not valid; use one of "
                                  f"{' or '.join(repr(s) for s in mxnet_layouts)}.")
    if layout != CHANNEL_FIRST[n]:
        # NB: MXNet accepts channel-last layouts here; minimx's Convolution/Pooling ops compute
        # channel-first data only.
        perm = tuple([0, len(layout) - 1] + list(range(1, len(layout) - 1)))
        raise MXNetError(f"{layer}: layout {layout!r} is not supported by minimx (its ops take "
                         f"channel-first data). Use layout={CHANNEL_FIRST[n]!r} and transpose the "
                         f"data with x.transpose({perm}).")


def check_rank(block, x, layout):
    """Raise, naming the layer, when ``x`` does not have one axis per letter of ``layout``."""
    if isinstance(x, NDArray) and x.ndim != len(layout):
        axes = ", ".join(_AXES[c] for c in layout)
        raise MXNetError(f"{block.__class__.__name__} '{block.name}' expects {len(layout)}-d input "
                         f"({axes}) for layout {layout}, got {x.ndim}-d input of shape {x.shape}.")


class _Conv(HybridBlock):
    """What every convolution layer shares: its Parameters, its op call, its repr.

    ``op_name`` is ``'Convolution'`` (weight: ``(channels, in_channels / groups, *kernel)``) or
    ``'Deconvolution'`` (weight: ``(in_channels, channels / groups, *kernel)``).
    """

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups, layout,
                 in_channels=0, activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", op_name="Convolution", adj=None, prefix=None,
                 params=None):
        super().__init__(prefix=prefix, params=params)
        layer = self.__class__.__name__
        n = len(kernel_size)
        if channels % groups or in_channels % groups:
            raise MXNetError(f"{layer}: channels ({channels}) and in_channels ({in_channels}) must "
                             f"both be divisible by groups ({groups}).")
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            self._op_name = op_name
            self._kwargs = {
                "kernel": kernel_size, "stride": expand(strides, n, "strides", layer),
                "dilate": expand(dilation, n, "dilation", layer),
                "pad": expand(padding, n, "padding", layer), "num_filter": channels,
                "num_group": groups, "no_bias": not use_bias, "layout": layout}
            if adj is not None:
                self._kwargs["adj"] = adj
            if op_name == "Deconvolution":
                wshape = (in_channels, channels // groups) + tuple(kernel_size)
            else:
                wshape = (channels, in_channels // groups) + tuple(kernel_size)
            self.weight = self.params.get("weight", shape=wshape, init=weight_initializer,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(channels,), init=bias_initializer,
                                            allow_deferred_init=True)
            else:
                self.bias = None
            self.act = Activation(activation, prefix=activation + "_") \
                if activation is not None else None

    def _alias(self):
        return "conv"

    def forward(self, x, *args):
        # Checked here, not in hybrid_forward: a traced (symbolic) input has no shape yet.
        check_rank(self, x, self._kwargs["layout"])
        in_axis = 0 if self._op_name == "Deconvolution" else 1
        expected = self.weight.shape[in_axis] * (1 if in_axis == 0 else self._kwargs["num_group"])
        if isinstance(x, NDArray) and expected and x.shape[1] != expected:
            raise MXNetError(f"{self.__class__.__name__} '{self.name}' expects {expected} input "
                             f"channels (weight shape {self.weight.shape}), got input of shape "
                             f"{x.shape}. Make in_channels match the data's axis 1.")
        return super().forward(x, *args)

    def infer_shape(self, x, *args):
        in_channels, groups = x.shape[1], self._kwargs["num_group"]
        if in_channels % groups:
            raise MXNetError(f"{self.__class__.__name__} '{self.name}': the input's {in_channels} "
                             f"channels (shape {x.shape}) cannot be split into {groups} groups.")
        shape = list(self.weight.shape)
        if self._op_name == "Deconvolution":
            shape[0] = in_channels
        else:
            shape[1] = in_channels // groups
        self.weight.shape = tuple(shape)

    def hybrid_forward(self, F, x, weight, bias=None):
        op = getattr(F, self._op_name)
        out = op(x, weight, bias, name="fwd", **self._kwargs)
        return self.act(out) if self.act is not None else out

    def __repr__(self):
        kw = self._kwargs
        n = len(kw["kernel"])
        s = "{name}({mapping}, kernel_size={kernel}, stride={stride}"
        if kw["pad"] != (0,) * n:
            s += ", padding={pad}"
        if kw["dilate"] != (1,) * n:
            s += ", dilation={dilate}"
        # NB: MXNet 1.9.1 looks for an ``out_pad`` attribute here, which no layer sets (they set
        # ``outpad``), so output_padding never shows in its reprs; we print what it prints.
        if kw["num_group"] != 1:
            s += ", groups={num_group}"
        if self.bias is None:
            s += ", bias=False"
        if self.act:
            s += ", {}".format(self.act)
        s += ")"
        # MXNet prints weight.shape[1] -> weight.shape[0]: for the transposed layers that is
        # "channels / groups -> in_channels" (0 while deferred), and we print the same.
        shape = self.weight.shape
        return s.format(name=self.__class__.__name__,
                        mapping="{0} -> {1}".format(shape[1] if shape[1] else None, shape[0]),
                        **kw)


def _conv_init(cls, n, layouts, kernel_size, layout, kwargs):
    """The checks every ConvND constructor makes: layout, kernel size, and the op to call."""
    check_layout(cls.__name__, layout, n, layouts)
    return expand(kernel_size, n, "kernel_size", cls.__name__), kwargs.pop("op_name", "Convolution")


class Conv1D(_Conv):
    """1-D convolution (e.g. over time): ``out = activation(conv(data, weight) + bias)``.

    Parameters
    ----------
    channels : int
        Number of output channels (filters).
    kernel_size : int or tuple of 1 int
    strides : int or tuple of 1 int, default 1
    padding : int or tuple of 1 int, default 0
        Zeros added on both sides of the input.
    dilation : int or tuple of 1 int, default 1
        Spacing between kernel taps.
    groups : int, default 1
        Split input and output channels into this many independent convolutions.
    layout : str, default 'NCW'
        The only one MXNet accepts for 1-D convolution.
    activation : str, optional
        Applied to the output (see `Activation`); None: linear.
    use_bias : bool, default True
    weight_initializer, bias_initializer : Initializer or str
        Default: the global initializer for the weight, zeros for the bias.
    in_channels : int, default 0
        0 means "infer it from the first input" (deferred initialization).

    Inputs:
        - **data**: (batch_size, in_channels, width).

    Outputs:
        - **out**: (batch_size, channels, out_width), with
          ``out_width = floor((width + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1``.
    """

    def __init__(self, channels, kernel_size, strides=1, padding=0, dilation=1, groups=1,
                 layout="NCW", activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", in_channels=0, **kwargs):
        kernel_size, op_name = _conv_init(Conv1D, 1, ("NCW",), kernel_size, layout, kwargs)
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer, bias_initializer,
                         op_name, **kwargs)


class Conv2D(_Conv):
    """2-D convolution (e.g. over images): ``out = activation(conv(data, weight) + bias)``.

    Parameters
    ----------
    channels : int
        Number of output channels (filters).
    kernel_size : int or tuple of 2 ints
    strides : int or tuple of 2 ints, default (1, 1)
    padding : int or tuple of 2 ints, default (0, 0)
        Zeros added on both sides of each spatial axis.
    dilation : int or tuple of 2 ints, default (1, 1)
    groups : int, default 1
        Split input and output channels into this many independent convolutions.
    layout : str, default 'NCHW'
        NB: MXNet also accepts 'NHWC'; minimx's ops compute 'NCHW' only, and say so.
    activation : str, optional
    use_bias : bool, default True
    weight_initializer, bias_initializer : Initializer or str
    in_channels : int, default 0
        0 means "infer it from the first input" (deferred initialization).

    Inputs:
        - **data**: (batch_size, in_channels, height, width).

    Outputs:
        - **out**: (batch_size, channels, out_height, out_width), each spatial size being
          ``floor((size + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1``.
    """

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0), dilation=(1, 1),
                 groups=1, layout="NCHW", activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer="zeros", in_channels=0, **kwargs):
        kernel_size, op_name = _conv_init(Conv2D, 2, ("NCHW", "NHWC"), kernel_size, layout,
                                          kwargs)
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer, bias_initializer,
                         op_name, **kwargs)


class Conv3D(_Conv):
    """3-D convolution (e.g. over volumes or video): ``out = activation(conv(data, weight) + b)``.

    Parameters
    ----------
    channels : int
        Number of output channels (filters).
    kernel_size : int or tuple of 3 ints
    strides : int or tuple of 3 ints, default (1, 1, 1)
    padding : int or tuple of 3 ints, default (0, 0, 0)
    dilation : int or tuple of 3 ints, default (1, 1, 1)
    groups : int, default 1
    layout : str, default 'NCDHW'
        NB: MXNet also accepts 'NDHWC'; minimx's ops compute 'NCDHW' only, and say so.
    activation : str, optional
    use_bias : bool, default True
    weight_initializer, bias_initializer : Initializer or str
    in_channels : int, default 0
        0 means "infer it from the first input" (deferred initialization).

    Inputs:
        - **data**: (batch_size, in_channels, depth, height, width).

    Outputs:
        - **out**: (batch_size, channels, out_depth, out_height, out_width), each spatial size
          being ``floor((size + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1``.
    """

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0),
                 dilation=(1, 1, 1), groups=1, layout="NCDHW", activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer="zeros", in_channels=0, **kwargs):
        kernel_size, op_name = _conv_init(Conv3D, 3, ("NCDHW", "NDHWC"), kernel_size, layout,
                                          kwargs)
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer, bias_initializer,
                         op_name, **kwargs)
