"""ResNet V1 (He et al. 2015, arXiv:1512.03385) and V2 (He et al. 2016, arXiv:1603.05027).

V1 adds the shortcut after the last BatchNorm and applies ReLU to the sum ("post-activation"); V2
applies BatchNorm and ReLU before each convolution and leaves the sum alone ("pre-activation").
Depths 18 and 34 use the two-convolution basic block, 50/101/152 the 1x1-3x3-1x1 bottleneck.

Naming follows MXNet 1.9.1 exactly, so MXNet's files load: the network's prefix is ``resnetv10_``
/ ``resnetv20_``, each stage a ``HybridSequential`` with prefix ``stage<i>_`` and its blocks made
with ``prefix=''``, so a block's layers count within the stage (``resnetv10_stage1_conv0_weight``).
"""
from ...hybrid_block import HybridBlock
from ... import nn
from ..model_store import default_root

__all__ = ["ResNetV1", "ResNetV2", "BasicBlockV1", "BasicBlockV2", "BottleneckV1", "BottleneckV2",
           "resnet18_v1", "resnet34_v1", "resnet50_v1", "resnet101_v1", "resnet152_v1",
           "resnet18_v2", "resnet34_v2", "resnet50_v2", "resnet101_v2", "resnet152_v2",
           "get_resnet"]


def _conv3x3(channels, stride, in_channels):
    return nn.Conv2D(channels, kernel_size=3, strides=stride, padding=1, use_bias=False,
                     in_channels=in_channels)


def _shortcut_v1(channels, stride, in_channels):
    """The 1x1 strided projection + BatchNorm that matches the shortcut to the body's shape."""
    out = nn.HybridSequential(prefix="")
    out.add(nn.Conv2D(channels, kernel_size=1, strides=stride, use_bias=False,
                      in_channels=in_channels))
    out.add(nn.BatchNorm())
    return out


# NB: as in MXNet, the residual blocks make their layers without entering their own name_scope:
# the layers are named in the scope the block is made in (the stage's), which the file names need.

class BasicBlockV1(HybridBlock):
    """ResNet V1 basic block: conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut, then ReLU.

    Parameters
    ----------
    channels : int
        Output channels.
    stride : int
        Stride of the first convolution (2 halves the spatial size).
    downsample : bool, default False
        Project the shortcut with a strided 1x1 convolution (needed when the shape changes).
    in_channels : int, default 0
        Input channels; 0: inferred from the first input.

    Inputs:
        - **data**: (batch, in_channels, H, W).

    Outputs:
        - **out**: (batch, channels, H / stride, W / stride).
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix="")
        self.body.add(_conv3x3(channels, stride, in_channels))
        self.body.add(nn.BatchNorm())
        self.body.add(nn.Activation("relu"))
        self.body.add(_conv3x3(channels, 1, channels))
        self.body.add(nn.BatchNorm())
        self.downsample = _shortcut_v1(channels, stride, in_channels) if downsample else None

    def hybrid_forward(self, F, x):
        # body first: a traced graph (an exported symbol) then lists nodes in MXNet's order
        out = self.body(x)
        residual = self.downsample(x) if self.downsample else x
        return F.Activation(residual + out, act_type="relu")


class BottleneckV1(HybridBlock):
    """ResNet V1 bottleneck: 1x1 (channels/4, strided)-BN-ReLU, 3x3-BN-ReLU, 1x1 (channels)-BN,
    plus the shortcut, then ReLU. Parameters, inputs and outputs as `BasicBlockV1`."""

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix="")
        # NB: MXNet's 1x1 convolutions here keep their bias (use_bias defaults to True).
        self.body.add(nn.Conv2D(channels // 4, kernel_size=1, strides=stride))
        self.body.add(nn.BatchNorm())
        self.body.add(nn.Activation("relu"))
        self.body.add(_conv3x3(channels // 4, 1, channels // 4))
        self.body.add(nn.BatchNorm())
        self.body.add(nn.Activation("relu"))
        self.body.add(nn.Conv2D(channels, kernel_size=1, strides=1))
        self.body.add(nn.BatchNorm())
        self.downsample = _shortcut_v1(channels, stride, in_channels) if downsample else None

    def hybrid_forward(self, F, x):
        out = self.body(x)
        residual = self.downsample(x) if self.downsample else x
        return F.Activation(out + residual, act_type="relu")


class BasicBlockV2(HybridBlock):
    """ResNet V2 basic block: BN-ReLU-conv3x3, BN-ReLU-conv3x3, plus the shortcut (taken after
    the first BN-ReLU when it is projected). Parameters, inputs and outputs as `BasicBlockV1`."""

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        self.downsample = nn.Conv2D(channels, 1, stride, use_bias=False,
                                    in_channels=in_channels) if downsample else None

    def hybrid_forward(self, F, x):
        residual = x
        x = F.Activation(self.bn1(x), act_type="relu")
        if self.downsample:
            residual = self.downsample(x)
        x = self.conv1(x)
        x = F.Activation(self.bn2(x), act_type="relu")
        return self.conv2(x) + residual


class BottleneckV2(HybridBlock):
    """ResNet V2 bottleneck: BN-ReLU-1x1 (channels/4), BN-ReLU-3x3 (strided), BN-ReLU-1x1
    (channels), plus the shortcut. Parameters, inputs and outputs as `BasicBlockV1`."""

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = nn.Conv2D(channels // 4, kernel_size=1, strides=1, use_bias=False)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels // 4, stride, channels // 4)
        self.bn3 = nn.BatchNorm()
        self.conv3 = nn.Conv2D(channels, kernel_size=1, strides=1, use_bias=False)
        self.downsample = nn.Conv2D(channels, 1, stride, use_bias=False,
                                    in_channels=in_channels) if downsample else None

    def hybrid_forward(self, F, x):
        residual = x
        x = F.Activation(self.bn1(x), act_type="relu")
        if self.downsample:
            residual = self.downsample(x)
        x = self.conv1(x)
        x = self.conv2(F.Activation(self.bn2(x), act_type="relu"))
        x = self.conv3(F.Activation(self.bn3(x), act_type="relu"))
        return x + residual


def _make_stage(block, num_blocks, channels, stride, stage_index, in_channels):
    """One stage: a first block that may change shape, then ``num_blocks - 1`` that keep it."""
    stage = nn.HybridSequential(prefix="stage%d_" % stage_index)
    with stage.name_scope():
        stage.add(block(channels, stride, channels != in_channels, in_channels=in_channels,
                        prefix=""))
        for _ in range(num_blocks - 1):
            stage.add(block(channels, 1, False, in_channels=channels, prefix=""))
    return stage


class ResNetV1(HybridBlock):
    """ResNet V1: a 7x7/2 stem (or a 3x3 one with ``thumbnail``), four stages, global pooling
    and a Dense classifier.

    Parameters
    ----------
    block : class
        `BasicBlockV1` or `BottleneckV1`.
    layers : list of int
        Blocks per stage.
    channels : list of int
        Stem channels, then each stage's; one longer than ``layers``.
    classes : int, default 1000
        Number of output classes.
    thumbnail : bool, default False
        Use a 3x3 stride-1 stem without pooling (for small images such as CIFAR's 32x32).

    Inputs:
        - **data**: (batch, 3, H, W), typically 224x224.

    Outputs:
        - **out**: (batch, classes).
    """

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(channels) - 1
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            if thumbnail:
                self.features.add(_conv3x3(channels[0], 1, 0))
            else:
                self.features.add(nn.Conv2D(channels[0], 7, 2, 3, use_bias=False))
                self.features.add(nn.BatchNorm())
                self.features.add(nn.Activation("relu"))
                self.features.add(nn.MaxPool2D(3, 2, 1))
            for i, num_blocks in enumerate(layers):
                self.features.add(_make_stage(block, num_blocks, channels[i + 1],
                                              1 if i == 0 else 2, i + 1, channels[i]))
            self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.Dense(classes, in_units=channels[-1])

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class ResNetV2(HybridBlock):
    """ResNet V2: an affine-free BatchNorm on the raw input, the stem, four pre-activation stages,
    a final BN-ReLU, global pooling and a Dense classifier. Parameters, inputs and outputs as
    `ResNetV1` (``block`` is `BasicBlockV2` or `BottleneckV2`)."""

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(channels) - 1
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            # Normalizes the input images; no gamma/beta to learn.
            self.features.add(nn.BatchNorm(scale=False, center=False))
            if thumbnail:
                self.features.add(_conv3x3(channels[0], 1, 0))
            else:
                self.features.add(nn.Conv2D(channels[0], 7, 2, 3, use_bias=False))
                self.features.add(nn.BatchNorm())
                self.features.add(nn.Activation("relu"))
                self.features.add(nn.MaxPool2D(3, 2, 1))
            in_channels = channels[0]
            for i, num_blocks in enumerate(layers):
                self.features.add(_make_stage(block, num_blocks, channels[i + 1],
                                              1 if i == 0 else 2, i + 1, in_channels))
                in_channels = channels[i + 1]
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.GlobalAvgPool2D())
            self.features.add(nn.Flatten())
            self.output = nn.Dense(classes, in_units=in_channels)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (block kind, blocks per stage, channels of the stem and of each stage)
resnet_spec = {18: ("basic_block", [2, 2, 2, 2], [64, 64, 128, 256, 512]),
               34: ("basic_block", [3, 4, 6, 3], [64, 64, 128, 256, 512]),
               50: ("bottle_neck", [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
               101: ("bottle_neck", [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
               152: ("bottle_neck", [3, 8, 36, 3], [64, 256, 512, 1024, 2048])}
resnet_net_versions = [ResNetV1, ResNetV2]
resnet_block_versions = [{"basic_block": BasicBlockV1, "bottle_neck": BottleneckV1},
                         {"basic_block": BasicBlockV2, "bottle_neck": BottleneckV2}]


def get_resnet(version, num_layers, pretrained=False, ctx=None, root=default_root, **kwargs):
    """A ResNet of the given version (1 or 2) and depth (18, 34, 50, 101 or 152).

    Parameters
    ----------
    version : int
        1 or 2.
    num_layers : int
        18, 34, 50, 101 or 152.
    pretrained : bool, default False
        Load MXNet's ImageNet weights from ``root`` (see `model_store.get_model_file`).
    ctx : Context, default CPU
        Where the pretrained weights go.
    root : str, default '~/.mxnet/models'
        Folder holding the pretrained files.
    **kwargs
        Passed to `ResNetV1` / `ResNetV2` (``classes``, ``thumbnail``, ``prefix``).
    """
    assert num_layers in resnet_spec, \
        "Invalid number of layers: %d. Options are %s" % (num_layers, str(resnet_spec.keys()))
    assert 1 <= version <= 2, "Invalid resnet version: %d. Options are 1 and 2." % version
    block_type, layers, channels = resnet_spec[num_layers]
    net = resnet_net_versions[version - 1](resnet_block_versions[version - 1][block_type],
                                           layers, channels, **kwargs)
    if pretrained:
        from ..model_store import get_model_file
        net.load_parameters(get_model_file("resnet%d_v%d" % (num_layers, version), root=root),
                            ctx=ctx)
    return net


def resnet18_v1(**kwargs):
    """ResNet-18 V1; keyword arguments as `get_resnet` (``pretrained``, ``ctx``, ``root``, ...)."""
    return get_resnet(1, 18, **kwargs)


def resnet34_v1(**kwargs):
    """ResNet-34 V1; keyword arguments as `get_resnet`."""
    return get_resnet(1, 34, **kwargs)


def resnet50_v1(**kwargs):
    """ResNet-50 V1; keyword arguments as `get_resnet`."""
    return get_resnet(1, 50, **kwargs)


def resnet101_v1(**kwargs):
    """ResNet-101 V1; keyword arguments as `get_resnet`."""
    return get_resnet(1, 101, **kwargs)


def resnet152_v1(**kwargs):
    """ResNet-152 V1; keyword arguments as `get_resnet`."""
    return get_resnet(1, 152, **kwargs)


def resnet18_v2(**kwargs):
    """ResNet-18 V2; keyword arguments as `get_resnet`."""
    return get_resnet(2, 18, **kwargs)


def resnet34_v2(**kwargs):
    """ResNet-34 V2; keyword arguments as `get_resnet`."""
    return get_resnet(2, 34, **kwargs)


def resnet50_v2(**kwargs):
    """ResNet-50 V2; keyword arguments as `get_resnet`."""
    return get_resnet(2, 50, **kwargs)


def resnet101_v2(**kwargs):
    """ResNet-101 V2; keyword arguments as `get_resnet`."""
    return get_resnet(2, 101, **kwargs)


def resnet152_v2(**kwargs):
    """ResNet-152 V2; keyword arguments as `get_resnet`."""
    return get_resnet(2, 152, **kwargs)
