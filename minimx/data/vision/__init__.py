"""``gluon.data.vision``: vision datasets (MNIST, FashionMNIST, CIFAR10, CIFAR100, image folders and
lists, and the bundled ``Digits``) and ``transforms``."""
from . import transforms
from .datasets import (CIFAR10, CIFAR100, MNIST, FashionMNIST, ImageFolderDataset, ImageListDataset,
                       ImageRecordDataset)
from .digits import Digits

__all__ = ["transforms", "MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageRecordDataset",
           "ImageFolderDataset", "ImageListDataset", "Digits"]
