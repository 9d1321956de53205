"""Transposed convolution layers: ``nn.Conv1DTranspose``, ``nn.Conv2DTranspose``,
``nn.Conv3DTranspose`` (the ``Deconvolution`` op, which upsamples: it is the gradient of a
convolution with respect to its input).

The weight is ``(in_channels, channels / groups, *kernel)``. ``output_padding`` (the op's ``adj``)
adds that many rows at the far end of each spatial axis, to pick among the output sizes that a
strided convolution maps to the same input size.
"""
from .conv_layers import _Conv, _conv_init, expand

__all__ = ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"]


def _transpose_init(cls, n, layouts, kernel_size, output_padding, layout, kwargs):
    kernel_size, _ = _conv_init(cls, n, layouts, kernel_size, layout, {})
    output_padding = expand(output_padding, n, "output_padding", cls.__name__)
    return kernel_size, output_padding, kwargs.pop("op_name", "Deconvolution")


class Conv1DTranspose(_Conv):
    """Transposed 1-D convolution (sometimes called deconvolution).

    Parameters
    ----------
    channels : int
        Number of output channels.
    kernel_size : int or tuple of 1 int
    strides : int or tuple of 1 int, default 1
    padding : int or tuple of 1 int, default 0
        Removed from both ends of the output.
    output_padding : int or tuple of 1 int, default 0
        Extra size added at the end of the output (must be smaller than the stride).
    dilation : int or tuple of 1 int, default 1
    groups : int, default 1
    layout : str, default 'NCW'
    activation : str, optional
    use_bias : bool, default True
    weight_initializer, bias_initializer : Initializer or str
    in_channels : int, default 0
        0 means "infer it from the first input" (deferred initialization).

    Inputs:
        - **data**: (batch_size, in_channels, width).

    Outputs:
        - **out**: (batch_size, channels, out_width), with
          ``out_width = (width-1)*stride - 2*padding + dilation*(kernel_size-1) + 1
          + output_padding``.
    """

    def __init__(self, channels, kernel_size, strides=1, padding=0, output_padding=0,
                 dilation=1, groups=1, layout="NCW", activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer="zeros", in_channels=0, **kwargs):
        kernel_size, output_padding, op_name = _transpose_init(
            Conv1DTranspose, 1, ("NCW",), kernel_size, output_padding, layout, kwargs)
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, op_name=op_name, adj=output_padding, **kwargs)
        self.outpad = output_padding


class Conv2DTranspose(_Conv):
    """Transposed 2-D convolution (sometimes called deconvolution): upsamples images.

    Parameters
    ----------
    channels : int
        Number of output channels.
    kernel_size : int or tuple of 2 ints
    strides : int or tuple of 2 ints, default (1, 1)
    padding : int or tuple of 2 ints, default (0, 0)
        Removed from both ends of each output axis.
    output_padding : int or tuple of 2 ints, default (0, 0)
        Extra size added at the end of each output axis (must be smaller than the stride).
    dilation : int or tuple of 2 ints, default (1, 1)
    groups : int, default 1
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
          ``(size-1)*stride - 2*padding + dilation*(kernel_size-1) + 1 + output_padding``.
    """

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 output_padding=(0, 0), dilation=(1, 1), groups=1, layout="NCHW",
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", in_channels=0, **kwargs):
        kernel_size, output_padding, op_name = _transpose_init(
            Conv2DTranspose, 2, ("NCHW", "NHWC"), kernel_size, output_padding, layout, kwargs)
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, op_name=op_name, adj=output_padding, **kwargs)
        self.outpad = output_padding


class Conv3DTranspose(_Conv):
    """Transposed 3-D convolution (sometimes called deconvolution): upsamples volumes.

    Parameters
    ----------
    channels : int
        Number of output channels.
    kernel_size : int or tuple of 3 ints
    strides : int or tuple of 3 ints, default (1, 1, 1)
    padding : int or tuple of 3 ints, default (0, 0, 0)
    output_padding : int or tuple of 3 ints, default (0, 0, 0)
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
          being ``(size-1)*stride - 2*padding + dilation*(kernel_size-1) + 1 + output_padding``.
    """

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0),
                 output_padding=(0, 0, 0), dilation=(1, 1, 1), groups=1, layout="NCDHW",
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", in_channels=0, **kwargs):
        kernel_size, output_padding, op_name = _transpose_init(
            Conv3DTranspose, 3, ("NCDHW", "NDHWC"), kernel_size, output_padding, layout, kwargs)
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, op_name=op_name, adj=output_padding, **kwargs)
        self.outpad = output_padding
