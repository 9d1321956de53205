"""MobileNet V1 (Howard et al. 2017, arXiv:1704.04861) and V2 (Sandler et al. 2018,
arXiv:1801.04381).

V1 replaces each convolution by a depthwise 3x3 (``groups = channels``) and a pointwise 1x1, each
followed by BatchNorm and ReLU. V2 stacks "linear bottlenecks": expand with a 1x1 (``t`` times the
channels), filter depthwise, project back with a 1x1 that has no activation, and add the input
when the shape allows; its activations are ReLU6. ``multiplier`` scales every layer's width.
"""
from ...hybrid_block import HybridBlock
from ... import nn
from ..model_store import default_root

__all__ = ["MobileNet", "MobileNetV2", "mobilenet1_0", "mobilenet_v2_1_0", "mobilenet0_75",
           "mobilenet_v2_0_75", "mobilenet0_5", "mobilenet_v2_0_5", "mobilenet0_25",
           "mobilenet_v2_0_25", "get_mobilenet", "get_mobilenet_v2"]


class RELU6(HybridBlock):
    """``min(max(x, 0), 6)``.

    Inputs:
        - **data**: input tensor of any shape.

    Outputs:
        - **out**: output tensor of the same shape.
    """

    def hybrid_forward(self, F, x):
        return F.clip(x, 0, 6, name="relu6")


def _add_conv(out, channels=1, kernel=1, stride=1, pad=0, num_group=1, active=True, relu6=False):
    """Append conv (no bias) - BatchNorm - [ReLU or ReLU6] to the container ``out``."""
    out.add(nn.Conv2D(channels, kernel, stride, pad, groups=num_group, use_bias=False))
    out.add(nn.BatchNorm(scale=True))
    if active:
        out.add(RELU6() if relu6 else nn.Activation("relu"))


def _add_conv_dw(out, dw_channels, channels, stride, relu6=False):
    """A depthwise-separable convolution: depthwise 3x3 then pointwise 1x1."""
    _add_conv(out, channels=dw_channels, kernel=3, stride=stride, pad=1, num_group=dw_channels,
              relu6=relu6)
    _add_conv(out, channels=channels, relu6=relu6)


class LinearBottleneck(HybridBlock):
    """MobileNet V2's block: 1x1 expand (``in_channels * t``) - depthwise 3x3 (strided) - 1x1
    project (linear), plus the input when ``stride == 1`` and the channels match.

    Parameters
    ----------
    in_channels : int
    channels : int
        Output channels.
    t : int
        Expansion factor.
    stride : int

    Inputs:
        - **data**: (batch, in_channels, H, W).

    Outputs:
        - **out**: (batch, channels, H / stride, W / stride).
    """

    def __init__(self, in_channels, channels, t, stride, **kwargs):
        super().__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        with self.name_scope():
            self.out = nn.HybridSequential()
            # NB: as in MXNet, the layers are made in this block's scope, not in self.out's.
            _add_conv(self.out, in_channels * t, relu6=True)
            _add_conv(self.out, in_channels * t, kernel=3, stride=stride, pad=1,
                      num_group=in_channels * t, relu6=True)
            _add_conv(self.out, channels, active=False, relu6=True)

    def hybrid_forward(self, F, x):
        out = self.out(x)
        return F.elemwise_add(out, x) if self.use_shortcut else out


class MobileNet(HybridBlock):
    """MobileNet V1.

    Parameters
    ----------
    multiplier : float, default 1.0
        Width multiplier: every layer has ``int(channels * multiplier)`` channels.
    classes : int, default 1000
        Number of output classes.

    Inputs:
        - **data**: (batch, 3, H, W), typically 224x224 (global pooling takes any size >= 32).

    Outputs:
        - **out**: (batch, classes).
    """

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                _add_conv(self.features, channels=int(32 * multiplier), kernel=3, pad=1, stride=2)
                dw_channels = [int(x * multiplier) for x in
                               [32, 64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024]]
                channels = [int(x * multiplier) for x in
                            [64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024] * 2]
                strides = [1, 2] * 3 + [1] * 5 + [2, 1]
                for dwc, c, s in zip(dw_channels, channels, strides):
                    _add_conv_dw(self.features, dw_channels=dwc, channels=c, stride=s)
                self.features.add(nn.GlobalAvgPool2D())
                self.features.add(nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class MobileNetV2(HybridBlock):
    """MobileNet V2.

    Parameters
    ----------
    multiplier : float, default 1.0
        Width multiplier (the last 1x1 keeps 1280 channels unless ``multiplier > 1``).
    classes : int, default 1000
        Number of output classes.

    Inputs:
        - **data**: (batch, 3, H, W), typically 224x224.

    Outputs:
        - **out**: (batch, classes).
    """

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="features_")
            with self.features.name_scope():
                _add_conv(self.features, int(32 * multiplier), kernel=3, stride=2, pad=1,
                          relu6=True)
                in_channels_group = [int(x * multiplier) for x in
                                     [32] + [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3
                                     + [160] * 3]
                channels_group = [int(x * multiplier) for x in
                                  [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3 + [160] * 3
                                  + [320]]
                ts = [1] + [6] * 16
                strides = [1, 2] * 2 + [1, 1, 2] + [1] * 6 + [2] + [1] * 3
                for in_c, c, t, s in zip(in_channels_group, channels_group, ts, strides):
                    self.features.add(LinearBottleneck(in_channels=in_c, channels=c, t=t,
                                                       stride=s))
                last_channels = int(1280 * multiplier) if multiplier > 1.0 else 1280
                _add_conv(self.features, last_channels, relu6=True)
                self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.HybridSequential(prefix="output_")
            with self.output.name_scope():
                self.output.add(nn.Conv2D(classes, 1, use_bias=False, prefix="pred_"),
                                nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _version_suffix(multiplier):
    """MXNet's file-name spelling of a multiplier: 1.0, 0.75, 0.5, 0.25."""
    suffix = "{0:.2f}".format(multiplier)
    return suffix[:-1] if suffix in ("1.00", "0.50") else suffix


def get_mobilenet(multiplier, pretrained=False, ctx=None, root=default_root, **kwargs):
    """MobileNet V1 with width ``multiplier``.

    Parameters
    ----------
    multiplier : float
    pretrained : bool, default False
        Load MXNet's ImageNet weights from ``root`` (no download).
    ctx : Context, default CPU
    root : str, default '~/.mxnet/models'
    **kwargs
        Passed to `MobileNet` (``classes``, ``prefix``).
    """
    net = MobileNet(multiplier, **kwargs)
    if pretrained:
        from ..model_store import get_model_file
        net.load_parameters(get_model_file("mobilenet%s" % _version_suffix(multiplier),
                                           root=root), ctx=ctx)
    return net


def get_mobilenet_v2(multiplier, pretrained=False, ctx=None, root=default_root, **kwargs):
    """MobileNet V2 with width ``multiplier``; arguments as `get_mobilenet`."""
    net = MobileNetV2(multiplier, **kwargs)
    if pretrained:
        from ..model_store import get_model_file
        net.load_parameters(get_model_file("mobilenetv2_%s" % _version_suffix(multiplier),
                                           root=root), ctx=ctx)
    return net


def mobilenet1_0(**kwargs):
    """MobileNet V1, width 1.0; keyword arguments as `get_mobilenet`."""
    return get_mobilenet(1.0, **kwargs)


def mobilenet0_75(**kwargs):
    """MobileNet V1, width 0.75; keyword arguments as `get_mobilenet`."""
    return get_mobilenet(0.75, **kwargs)


def mobilenet0_5(**kwargs):
    """MobileNet V1, width 0.5; keyword arguments as `get_mobilenet`."""
    return get_mobilenet(0.5, **kwargs)


def mobilenet0_25(**kwargs):
    """MobileNet V1, width 0.25; keyword arguments as `get_mobilenet`."""
    return get_mobilenet(0.25, **kwargs)


def mobilenet_v2_1_0(**kwargs):
    """MobileNet V2, width 1.0; keyword arguments as `get_mobilenet_v2`."""
    return get_mobilenet_v2(1.0, **kwargs)


def mobilenet_v2_0_75(**kwargs):
    """MobileNet V2, width 0.75; keyword arguments as `get_mobilenet_v2`."""
    return get_mobilenet_v2(0.75, **kwargs)


def mobilenet_v2_0_5(**kwargs):
    """MobileNet V2, width 0.5; keyword arguments as `get_mobilenet_v2`."""
    return get_mobilenet_v2(0.5, **kwargs)


def mobilenet_v2_0_25(**kwargs):
    """MobileNet V2, width 0.25; keyword arguments as `get_mobilenet_v2`."""
    return get_mobilenet_v2(0.25, **kwargs)
