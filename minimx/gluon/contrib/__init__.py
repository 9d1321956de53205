"""``mx.gluon.contrib``: MXNet's contributed Gluon pieces (``contrib.nn``)."""
from . import nn

__all__ = ["nn"]
