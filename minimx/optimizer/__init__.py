"""Optimizers (MXNet's ``mx.optimizer``): the Optimizer base, the registry and the Updater.

>>> opt = mx.optimizer.create('adam', learning_rate=0.01)
>>> updater = mx.optimizer.get_updater(opt)
>>> updater(0, grad, weight)
"""
from . import contrib, optimizer, states
from .adamw import AdamW
from .adaptive import FTML, LAMB, AdaDelta, AdaGrad, Adam, Adamax, Nadam, RMSProp
from .optimizer import Optimizer, Updater, create, get_updater, register
from .others import DCASGD, LBSGD, SGLD, Ftrl, Test
from .sgd import LARS, NAG, SGD, Signum, ccSGD

__all__ = ["AdaDelta", "AdaGrad", "Adam", "AdamW", "Adamax", "DCASGD", "FTML", "Ftrl", "LARS", "LBSGD", "NAG", "Nadam",
           "Optimizer", "RMSProp", "SGD", "SGLD", "Signum", "LAMB", "Test", "Updater", "ccSGD", "create",
           "get_updater", "register", "contrib", "states"]
