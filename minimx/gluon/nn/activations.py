"""Activation layers: ``Activation('relu')``, LeakyReLU, PReLU (learned), ELU, SELU, GELU, Swish."""
from ... import initializer
from ..hybrid_block import HybridBlock
from ..parameter import GluonAssertionError

__all__ = ["Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Swish"]


class Activation(HybridBlock):
    """Applies an activation function: ``'relu'``, ``'sigmoid'``, ``'tanh'``, ``'softrelu'`` or
    ``'softsign'``.

    Its name is the activation's (``relu0``), as in MXNet.

    Inputs:
        - **data**: input tensor of any shape.

    Outputs:
        - **out**: output tensor of the same shape.
    """

    def __init__(self, activation, **kwargs):
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self):
        return self._act_type

    def hybrid_forward(self, F, x):
        return F.Activation(x, act_type=self._act_type, name="fwd")

    def __repr__(self):
        return "{name}({act})".format(name=self.__class__.__name__, act=self._act_type)


class LeakyReLU(HybridBlock):
    r"""Leaky rectified linear unit: ``x`` where ``x >= 0``, ``alpha * x`` elsewhere.

    Parameters
    ----------
    alpha : float
        Slope of the negative half axis; must be >= 0.

    Inputs:
        - **data**: input tensor of any shape.

    Outputs:
        - **out**: output tensor of the same shape.
    """

    def __init__(self, alpha, **kwargs):
        # NB: MXNet asserts here; GluonAssertionError is both an AssertionError and an MXNetError.
        if not alpha >= 0:
            raise GluonAssertionError(f"LeakyReLU: the slope alpha must be >= 0, got {alpha}; use "
                                      "PReLU for a learned slope.")
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="leaky", slope=self._alpha, name="fwd")

    def __repr__(self):
        return "{name}({alpha})".format(name=self.__class__.__name__, alpha=self._alpha)


class PReLU(HybridBlock):
    r"""Parametric leaky ReLU: ``x`` where ``x >= 0``, ``alpha * x`` elsewhere, with a learned
    ``alpha``.

    Parameters
    ----------
    alpha_initializer : Initializer, default Constant(0.25)
    in_channels : int, default 1
        Number of slopes: 1 (one shared slope) or the size of the input's axis 1 (one per
        channel). As in MXNet, it is not inferred from the input.

    Inputs:
        - **data**: input tensor of any shape (with ``in_channels`` entries on axis 1 when
          ``in_channels > 1``).

    Outputs:
        - **out**: output tensor of the same shape.
    """

    def __init__(self, alpha_initializer=initializer.Constant(0.25), in_channels=1, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F, x, alpha):
        return F.LeakyReLU(x, gamma=alpha, act_type="prelu", name="fwd")


class ELU(HybridBlock):
    r"""Exponential linear unit: ``x`` where ``x > 0``, ``alpha * (exp(x) - 1)`` elsewhere.

    Parameters
    ----------
    alpha : float, default 1.0

    Inputs:
        - **data**: input tensor of any shape.

    Outputs:
        - **out**: output tensor of the same shape.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="elu", slope=self._alpha)


class SELU(HybridBlock):
    r"""Scaled exponential linear unit: ``lambda * x`` where ``x > 0``,
    ``lambda * alpha * (exp(x) - 1)`` elsewhere (alpha = 1.6733, lambda = 1.0507).

    Inputs:
        - **data**: input tensor of any shape.

    Outputs:
        - **out**: output tensor of the same shape.
    """

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="selu", name="fwd")


class GELU(HybridBlock):
    r"""Gaussian error linear unit: ``x * Phi(x)``, Phi the standard normal CDF (the exact erf
    form, not the tanh approximation).

    Inputs:
        - **data**: input tensor of any shape.

    Outputs:
        - **out**: output tensor of the same shape.
    """

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="gelu", name="fwd")


class Swish(HybridBlock):
    r"""Swish: ``x * sigmoid(beta * x)``. (MXNet 1.9.1 has no ``SiLU``: it is ``Swish()``.)

    Parameters
    ----------
    beta : float, default 1.0

    Inputs:
        - **data**: input tensor of any shape.

    Outputs:
        - **out**: output tensor of the same shape.
    """

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F, x):
        return x * F.sigmoid(self._beta * x, name="fwd")
