"""``mx.gluon.contrib``: MXNet's contributed Gluon pieces (``contrib.nn``)."""
from . import nn
from . import estimator

__all__ = ["nn", "estimator"]
