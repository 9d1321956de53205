"""``model_zoo.vision``: image-classification networks with MXNet 1.9.1's exact structure.

Every model here names its Parameters exactly as MXNet's does (``resnetv10_conv0_weight``;
structurally ``features.0.weight``), so parameter files written by MXNet, including its published
ImageNet weights, load into them. ``get_model('resnet18_v1', classes=10)`` builds one by name.

``pretrained=True`` loads ``<root>/<name>-<hash8>.params`` (default root ``~/.mxnet/models``).
NB: MXNet downloads a missing file; minimx raises an error that says which file to put where.

>>> net = vision.get_model('mobilenet0.25', classes=10)
>>> net.initialize()
>>> net(mx.nd.zeros((1, 3, 64, 64))).shape
(1, 10)
"""
from . import alexnet as _alexnet
from . import densenet as _densenet
from . import inception as _inception
from . import mobilenet as _mobilenet
from . import resnet as _resnet
from . import squeezenet as _squeezenet
from . import vgg as _vgg
from .alexnet import AlexNet, alexnet
from .densenet import DenseNet, densenet121, densenet161, densenet169, densenet201
from .inception import Inception3, inception_v3
from .mobilenet import (MobileNet, MobileNetV2, get_mobilenet, get_mobilenet_v2, mobilenet0_25,
                        mobilenet0_5, mobilenet0_75, mobilenet1_0, mobilenet_v2_0_25,
                        mobilenet_v2_0_5, mobilenet_v2_0_75, mobilenet_v2_1_0)
from .resnet import (BasicBlockV1, BasicBlockV2, BottleneckV1, BottleneckV2, ResNetV1, ResNetV2,
                     get_resnet, resnet18_v1, resnet18_v2, resnet34_v1, resnet34_v2, resnet50_v1,
                     resnet50_v2, resnet101_v1, resnet101_v2, resnet152_v1, resnet152_v2)
from .squeezenet import SqueezeNet, squeezenet1_0, squeezenet1_1
from .vgg import (VGG, get_vgg, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19,
                  vgg19_bn)

__all__ = (_alexnet.__all__ + _densenet.__all__ + _inception.__all__ + _mobilenet.__all__
           + _resnet.__all__ + _squeezenet.__all__ + _vgg.__all__ + ["get_model"])

# get_model's names (MXNet's spelling: 'squeezenet1.0', 'inceptionv3', 'mobilenetv2_0.5').
_models = {
    "resnet18_v1": resnet18_v1, "resnet34_v1": resnet34_v1, "resnet50_v1": resnet50_v1,
    "resnet101_v1": resnet101_v1, "resnet152_v1": resnet152_v1,
    "resnet18_v2": resnet18_v2, "resnet34_v2": resnet34_v2, "resnet50_v2": resnet50_v2,
    "resnet101_v2": resnet101_v2, "resnet152_v2": resnet152_v2,
    "vgg11": vgg11, "vgg13": vgg13, "vgg16": vgg16, "vgg19": vgg19,
    "vgg11_bn": vgg11_bn, "vgg13_bn": vgg13_bn, "vgg16_bn": vgg16_bn, "vgg19_bn": vgg19_bn,
    "alexnet": alexnet,
    "densenet121": densenet121, "densenet161": densenet161, "densenet169": densenet169,
    "densenet201": densenet201,
    "squeezenet1.0": squeezenet1_0, "squeezenet1.1": squeezenet1_1,
    "inceptionv3": inception_v3,
    "mobilenet1.0": mobilenet1_0, "mobilenet0.75": mobilenet0_75, "mobilenet0.5": mobilenet0_5,
    "mobilenet0.25": mobilenet0_25,
    "mobilenetv2_1.0": mobilenet_v2_1_0, "mobilenetv2_0.75": mobilenet_v2_0_75,
    "mobilenetv2_0.5": mobilenet_v2_0_5, "mobilenetv2_0.25": mobilenet_v2_0_25,
}


def get_model(name, **kwargs):
    """A model-zoo network by name (case-insensitive).

    Parameters
    ----------
    name : str
        One of ``resnet{18,34,50,101,152}_v{1,2}``, ``vgg{11,13,16,19}[_bn]``, ``alexnet``,
        ``densenet{121,161,169,201}``, ``squeezenet1.{0,1}``, ``inceptionv3``,
        ``mobilenet{1.0,0.75,0.5,0.25}``, ``mobilenetv2_{1.0,0.75,0.5,0.25}``.
    pretrained : bool, default False
        Load MXNet's pretrained weights from ``root`` (never downloaded by minimx).
    classes : int, default 1000
        Number of output classes.
    ctx : Context, default CPU
        Where the pretrained weights go.
    root : str, default '~/.mxnet/models'
        Folder holding the pretrained files.

    Returns
    -------
    HybridBlock
        The network.
    """
    name = name.lower()
    if name not in _models:
        raise ValueError("Model %s is not supported. Available options are\n\t%s"
                         % (name, "\n\t".join(sorted(_models.keys()))))
    return _models[name](**kwargs)
