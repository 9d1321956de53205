"""VGG (Simonyan & Zisserman 2014, arXiv:1409.1556): stacks of 3x3 convolutions (optionally with
BatchNorm) separated by 2x2 max-pools, then two 4096-unit Dense layers and a classifier."""
from .... import initializer
from ...hybrid_block import HybridBlock
from ... import nn
from ..model_store import default_root

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
           "vgg19_bn", "get_vgg"]


class VGG(HybridBlock):
    """VGG.

    Parameters
    ----------
    layers : list of int
        Convolutions in each of the five blocks.
    filters : list of int
        Channels of each block's convolutions.
    classes : int, default 1000
        Number of output classes.
    batch_norm : bool, default False
        Put a BatchNorm after each convolution.

    Inputs:
        - **data**: (batch, 3, 224, 224).

    Outputs:
        - **out**: (batch, classes).
    """

    def __init__(self, layers, filters, classes=1000, batch_norm=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(filters)
        with self.name_scope():
            self.features = self._make_features(layers, filters, batch_norm)
            self.features.add(nn.Dense(4096, activation="relu", weight_initializer="normal",
                                       bias_initializer="zeros"))
            self.features.add(nn.Dropout(rate=0.5))
            self.features.add(nn.Dense(4096, activation="relu", weight_initializer="normal",
                                       bias_initializer="zeros"))
            self.features.add(nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer="normal", bias_initializer="zeros")

    def _make_features(self, layers, filters, batch_norm):
        featurizer = nn.HybridSequential(prefix="")
        for num, channels in zip(layers, filters):
            for _ in range(num):
                featurizer.add(nn.Conv2D(channels, kernel_size=3, padding=1,
                                         weight_initializer=initializer.Xavier(
                                             rnd_type="gaussian", factor_type="out", magnitude=2),
                                         bias_initializer="zeros"))
                if batch_norm:
                    featurizer.add(nn.BatchNorm())
                featurizer.add(nn.Activation("relu"))
            featurizer.add(nn.MaxPool2D(strides=2))
        return featurizer

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (convolutions per block, channels per block)
vgg_spec = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
            13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
            16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
            19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def get_vgg(num_layers, pretrained=False, ctx=None, root=default_root, **kwargs):
    """A VGG of depth 11, 13, 16 or 19.

    Parameters
    ----------
    num_layers : int
        11, 13, 16 or 19.
    pretrained : bool, default False
        Load MXNet's ImageNet weights from ``root`` (no download).
    ctx : Context, default CPU
    root : str, default '~/.mxnet/models'
    **kwargs
        Passed to `VGG` (``classes``, ``batch_norm``, ``prefix``).
    """
    layers, filters = vgg_spec[num_layers]
    net = VGG(layers, filters, **kwargs)
    if pretrained:
        from ..model_store import get_model_file
        suffix = "_bn" if kwargs.get("batch_norm") else ""
        net.load_parameters(get_model_file("vgg%d%s" % (num_layers, suffix), root=root), ctx=ctx)
    return net


def vgg11(**kwargs):
    """VGG-11; keyword arguments as `get_vgg`."""
    return get_vgg(11, **kwargs)


def vgg13(**kwargs):
    """VGG-13; keyword arguments as `get_vgg`."""
    return get_vgg(13, **kwargs)


def vgg16(**kwargs):
    """VGG-16; keyword arguments as `get_vgg`."""
    return get_vgg(16, **kwargs)


def vgg19(**kwargs):
    """VGG-19; keyword arguments as `get_vgg`."""
    return get_vgg(19, **kwargs)


def vgg11_bn(**kwargs):
    """VGG-11 with BatchNorm; keyword arguments as `get_vgg`."""
    kwargs["batch_norm"] = True
    return get_vgg(11, **kwargs)


def vgg13_bn(**kwargs):
    """VGG-13 with BatchNorm; keyword arguments as `get_vgg`."""
    kwargs["batch_norm"] = True
    return get_vgg(13, **kwargs)


def vgg16_bn(**kwargs):
    """VGG-16 with BatchNorm; keyword arguments as `get_vgg`."""
    kwargs["batch_norm"] = True
    return get_vgg(16, **kwargs)


def vgg19_bn(**kwargs):
    """VGG-19 with BatchNorm; keyword arguments as `get_vgg`."""
    kwargs["batch_norm"] = True
    return get_vgg(19, **kwargs)
