"""DenseNet (Huang et al. 2016, arXiv:1608.06993): inside a dense block every layer's output is
concatenated onto its input, so each layer sees all earlier feature maps; transitions (BN-ReLU,
1x1 convolution halving the channels, 2x2 average pool) sit between the blocks."""
from ...hybrid_block import HybridBlock
from ... import nn
from ..model_store import default_root
from ._concurrent import HybridConcurrent, Identity

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


def _make_dense_layer(growth_rate, bn_size, dropout):
    """BN-ReLU-1x1 conv (bn_size * growth_rate) - BN-ReLU-3x3 conv (growth_rate), with the input
    concatenated in front of its output (``growth_rate`` new channels per layer)."""
    new_features = nn.HybridSequential(prefix="")
    new_features.add(nn.BatchNorm())
    new_features.add(nn.Activation("relu"))
    new_features.add(nn.Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False))
    new_features.add(nn.BatchNorm())
    new_features.add(nn.Activation("relu"))
    new_features.add(nn.Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        new_features.add(nn.Dropout(dropout))
    out = HybridConcurrent(axis=1, prefix="")
    out.add(Identity())
    out.add(new_features)
    return out


def _make_dense_block(num_layers, bn_size, growth_rate, dropout, stage_index):
    out = nn.HybridSequential(prefix="stage%d_" % stage_index)
    with out.name_scope():
        for _ in range(num_layers):
            out.add(_make_dense_layer(growth_rate, bn_size, dropout))
    return out


def _make_transition(num_output_features):
    out = nn.HybridSequential(prefix="")
    out.add(nn.BatchNorm())
    out.add(nn.Activation("relu"))
    out.add(nn.Conv2D(num_output_features, kernel_size=1, use_bias=False))
    out.add(nn.AvgPool2D(pool_size=2, strides=2))
    return out


class DenseNet(HybridBlock):
    """DenseNet.

    Parameters
    ----------
    num_init_features : int
        Channels of the 7x7 stem convolution.
    growth_rate : int
        Channels each dense layer adds.
    block_config : list of int
        Layers in each dense block.
    bn_size : int, default 4
        The 1x1 bottleneck has ``bn_size * growth_rate`` channels.
    dropout : float, default 0
        Dropout rate after each dense layer (0: none).
    classes : int, default 1000
        Number of output classes.

    Inputs:
        - **data**: (batch, 3, 224, 224) (the final 7x7 average pool needs this size).

    Outputs:
        - **out**: (batch, classes).
    """

    def __init__(self, num_init_features, growth_rate, block_config, bn_size=4, dropout=0,
                 classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(num_init_features, kernel_size=7, strides=2, padding=3,
                                        use_bias=False))
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            num_features = num_init_features
            for i, num_layers in enumerate(block_config):
                self.features.add(_make_dense_block(num_layers, bn_size, growth_rate, dropout,
                                                    i + 1))
                num_features += num_layers * growth_rate
                if i != len(block_config) - 1:
                    num_features //= 2
                    self.features.add(_make_transition(num_features))
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.AvgPool2D(pool_size=7))
            self.features.add(nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (stem channels, growth rate, layers per dense block)
densenet_spec = {121: (64, 32, [6, 12, 24, 16]),
                 161: (96, 48, [6, 12, 36, 24]),
                 169: (64, 32, [6, 12, 32, 32]),
                 201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers, pretrained=False, ctx=None, root=default_root, **kwargs):
    """A DenseNet of depth 121, 161, 169 or 201.

    Parameters
    ----------
    num_layers : int
    pretrained : bool, default False
        Load MXNet's ImageNet weights from ``root`` (no download).
    ctx : Context, default CPU
    root : str, default '~/.mxnet/models'
    **kwargs
        Passed to `DenseNet` (``classes``, ``bn_size``, ``dropout``, ``prefix``).
    """
    num_init_features, growth_rate, block_config = densenet_spec[num_layers]
    net = DenseNet(num_init_features, growth_rate, block_config, **kwargs)
    if pretrained:
        from ..model_store import get_model_file
        net.load_parameters(get_model_file("densenet%d" % num_layers, root=root), ctx=ctx)
    return net


def densenet121(**kwargs):
    """DenseNet-121; keyword arguments as `get_densenet`."""
    return get_densenet(121, **kwargs)


def densenet161(**kwargs):
    """DenseNet-161; keyword arguments as `get_densenet`."""
    return get_densenet(161, **kwargs)


def densenet169(**kwargs):
    """DenseNet-169; keyword arguments as `get_densenet`."""
    return get_densenet(169, **kwargs)


def densenet201(**kwargs):
    """DenseNet-201; keyword arguments as `get_densenet`."""
    return get_densenet(201, **kwargs)
