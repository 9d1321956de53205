"""``gluon.data.vision.transforms``: image transforms with MXNet 1.9.1's names and semantics.

Images come in as (H, W, C) uint8 NDArrays; ``ToTensor`` makes (C, H, W) float32 in [0, 1], which
``Normalize``, ``Rotate`` and ``RandomRotation`` expect. ``Compose`` chains them::

    transform = transforms.Compose([transforms.RandomResizedCrop(28), transforms.ToTensor(),
                                    transforms.Normalize(0.13, 0.31)])
    dataset = dataset.transform_first(transform)

NB: in MXNet these are gluon Blocks; here they are plain callables (the data layer does not import
gluon). See ``_base`` for what that changes.
"""
from ._base import Cast, Compose, HybridCompose, HybridSequential, Normalize, RandomApply, ToTensor, Transform
from ._color import (RandomBrightness, RandomColorJitter, RandomContrast, RandomHue, RandomLighting,
                     RandomSaturation)
from ._geometry import (CenterCrop, CropResize, RandomCrop, RandomFlipLeftRight, RandomFlipTopBottom,
                        RandomResizedCrop, RandomRotation, Resize, Rotate)

__all__ = ["Transform", "Compose", "HybridCompose", "HybridSequential", "RandomApply", "Cast", "ToTensor",
           "Normalize", "Resize", "CenterCrop", "CropResize", "RandomResizedCrop", "RandomCrop",
           "RandomFlipLeftRight", "RandomFlipTopBottom", "Rotate", "RandomRotation", "RandomBrightness",
           "RandomContrast", "RandomSaturation", "RandomHue", "RandomColorJitter", "RandomLighting"]
