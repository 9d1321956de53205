"""SqueezeNet 1.0 and 1.1 (Iandola et al. 2016, arXiv:1602.07360): "fire" modules, each a 1x1
squeeze convolution feeding parallel 1x1 and 3x3 expand convolutions whose outputs are joined on
the channel axis; the classifier is a 1x1 convolution and average pooling (no Dense layer).
1.1 uses a 3x3 stem and pools earlier: about 2.4x less computation, the same accuracy."""
from ...hybrid_block import HybridBlock
from ... import nn
from ..model_store import default_root
from ._concurrent import HybridConcurrent

__all__ = ["SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


def _make_fire_conv(channels, kernel_size, padding=0):
    out = nn.HybridSequential(prefix="")
    out.add(nn.Conv2D(channels, kernel_size, padding=padding))
    out.add(nn.Activation("relu"))
    return out


def _make_fire(squeeze_channels, expand1x1_channels, expand3x3_channels):
    out = nn.HybridSequential(prefix="")
    out.add(_make_fire_conv(squeeze_channels, 1))
    paths = HybridConcurrent(axis=1, prefix="")
    paths.add(_make_fire_conv(expand1x1_channels, 1))
    paths.add(_make_fire_conv(expand3x3_channels, 3, 1))
    out.add(paths)
    return out


def _pool():
    return nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)


class SqueezeNet(HybridBlock):
    """SqueezeNet.

    Parameters
    ----------
    version : str
        '1.0' or '1.1'.
    classes : int, default 1000
        Number of output classes.

    Inputs:
        - **data**: (batch, 3, 224, 224) (the final 13x13 average pool needs this size).

    Outputs:
        - **out**: (batch, classes).
    """

    def __init__(self, version, classes=1000, **kwargs):
        super().__init__(**kwargs)
        assert version in ["1.0", "1.1"], \
            "Unsupported SqueezeNet version {version}:1.0 or 1.1 expected".format(version=version)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            add = self.features.add
            if version == "1.0":
                add(nn.Conv2D(96, kernel_size=7, strides=2), nn.Activation("relu"), _pool())
                add(_make_fire(16, 64, 64), _make_fire(16, 64, 64), _make_fire(32, 128, 128))
                add(_pool())
                add(_make_fire(32, 128, 128), _make_fire(48, 192, 192),
                    _make_fire(48, 192, 192), _make_fire(64, 256, 256))
                add(_pool())
                add(_make_fire(64, 256, 256))
            else:
                add(nn.Conv2D(64, kernel_size=3, strides=2), nn.Activation("relu"), _pool())
                add(_make_fire(16, 64, 64), _make_fire(16, 64, 64))
                add(_pool())
                add(_make_fire(32, 128, 128), _make_fire(32, 128, 128))
                add(_pool())
                add(_make_fire(48, 192, 192), _make_fire(48, 192, 192),
                    _make_fire(64, 256, 256), _make_fire(64, 256, 256))
            add(nn.Dropout(0.5))
            self.output = nn.HybridSequential(prefix="")
            self.output.add(nn.Conv2D(classes, kernel_size=1))
            self.output.add(nn.Activation("relu"))
            self.output.add(nn.AvgPool2D(13))
            self.output.add(nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def get_squeezenet(version, pretrained=False, ctx=None, root=default_root, **kwargs):
    """SqueezeNet ``version`` ('1.0' or '1.1').

    Parameters
    ----------
    version : str
    pretrained : bool, default False
        Load MXNet's ImageNet weights from ``root`` (no download).
    ctx : Context, default CPU
    root : str, default '~/.mxnet/models'
    **kwargs
        Passed to `SqueezeNet` (``classes``, ``prefix``).
    """
    net = SqueezeNet(version, **kwargs)
    if pretrained:
        from ..model_store import get_model_file
        net.load_parameters(get_model_file("squeezenet%s" % version, root=root), ctx=ctx)
    return net


def squeezenet1_0(**kwargs):
    """SqueezeNet 1.0; keyword arguments as `get_squeezenet`."""
    return get_squeezenet("1.0", **kwargs)


def squeezenet1_1(**kwargs):
    """SqueezeNet 1.1; keyword arguments as `get_squeezenet`."""
    return get_squeezenet("1.1", **kwargs)
