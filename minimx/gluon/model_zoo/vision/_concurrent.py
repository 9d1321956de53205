"""Two small containers the model zoo needs: ``HybridConcurrent`` and ``Identity``.

NB: MXNet keeps these in ``gluon.contrib.nn``; minimx has no contrib package yet, so they live
here, private to the model zoo. Their class names match MXNet's, so reprs and automatic names
(``identity0``) do too.
"""
from ...nn import HybridSequential
from ...hybrid_block import HybridBlock

__all__ = ["HybridConcurrent", "Identity"]


class HybridConcurrent(HybridSequential):
    """Runs every child on the same input and concatenates their outputs along ``axis``.

    Parameters
    ----------
    axis : int, default -1
        The axis to concatenate along (1, the channel axis, in every model here).

    Inputs:
        - **data**: the input, given unchanged to each child.

    Outputs:
        - **out**: the children's outputs joined on ``axis``.
    """

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F, x):
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class Identity(HybridBlock):
    """Returns its input unchanged (the shortcut branch of a DenseNet layer).

    Inputs:
        - **data**: input tensor of any shape.

    Outputs:
        - **out**: the same tensor.
    """

    def hybrid_forward(self, F, x):
        return x
