"""Normalization layers: BatchNorm, LayerNorm, InstanceNorm and GroupNorm.

Each is a thin layer over the op of the same name (``minimx/ops/norm.py``): it owns the learned
scale ``gamma`` and shift ``beta`` (and BatchNorm's running statistics) and infers their size
from the first input when ``in_channels`` is left at 0.
"""
import numpy as np

from ...base import MXNetError
from ..hybrid_block import HybridBlock

__all__ = ["BatchNorm", "LayerNorm", "InstanceNorm", "GroupNorm"]


def _axis_size(layer, x, axis, what):
    """``x.shape[axis]``, or an MXNetError naming the layer, the shape and the fix."""
    if not -x.ndim <= axis < x.ndim:
        raise MXNetError(
            f"{layer.__class__.__name__} '{layer.name}': the {what} axis {axis} is out of range "
            f"for an input of shape {x.shape} ({x.ndim} axes). Give an input with more axes "
            f"(reshape or expand_dims), or a layer axis in [{-x.ndim}, {x.ndim - 1}].")
    return x.shape[axis]


def _norm_repr(layer, kwargs, in_channels):
    content = ", ".join("=".join([k, repr(v)]) for k, v in kwargs.items())
    if in_channels is not False:
        content += ", in_channels={0}".format(in_channels)
    return "{name}({content})".format(name=layer.__class__.__name__, content=content)


class BatchNorm(HybridBlock):
    r"""Batch normalization: normalises each channel over the batch (and spatial axes).

    .. math::

        out = \frac{x - mean}{\sqrt{var + \epsilon}} \cdot \gamma + \beta

    In training (``autograd.record()``) mean and var are the batch's (biased) statistics and the
    running statistics move towards them::

        running_mean = running_mean * momentum + mean * (1 - momentum)   (likewise running_var)

    In prediction, or with ``use_global_stats=True``, the running statistics are used.

    NB: as MXNet's CPU operator, minimx updates the running statistics in the *backward* pass
    (once per recorded call that backward goes through), so a training-mode forward without
    ``backward()`` leaves them as they were; MXNet's GPU (cuDNN) operator updates them in the
    forward pass. After a training step (forward and backward) all give the same numbers.

    Parameters
    ----------
    axis : int, default 1
        The channel axis (1 for NCHW; -1 or 3 for NHWC).
    momentum : float, default 0.9
        Decay of the running statistics.
    epsilon : float, default 1e-5
        Added to the variance, for stability.
    center : bool, default True
        Learn the shift ``beta``; False keeps it at its initial value (zeros).
    scale : bool, default True
        Learn the scale ``gamma``; False fixes it at 1 (the op's ``fix_gamma``).
    use_global_stats : bool, default False
        Normalise with the running statistics in training too (frozen BatchNorm).
    beta_initializer, gamma_initializer : str or Initializer, default 'zeros', 'ones'
    running_mean_initializer, running_variance_initializer : str or Initializer,
        default 'zeros', 'ones'
    in_channels : int, default 0
        Number of channels; 0 means "infer it from the first input".

    Inputs:
        - **data**: tensor of any shape with the channels on ``axis`` (at least ``axis + 1``
          axes).

    Outputs:
        - **out**: tensor of the same shape.
    """

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, beta_initializer="zeros", gamma_initializer="ones",
                 running_mean_initializer="zeros", running_variance_initializer="ones",
                 in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {"axis": axis, "eps": epsilon, "momentum": momentum,
                        "fix_gamma": not scale, "use_global_stats": use_global_stats}
        if in_channels != 0:
            self.in_channels = in_channels
        shape = (in_channels,)
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null", shape=shape,
                                     init=gamma_initializer, allow_deferred_init=True,
                                     differentiable=scale)
        self.beta = self.params.get("beta", grad_req="write" if center else "null", shape=shape,
                                    init=beta_initializer, allow_deferred_init=True,
                                    differentiable=center)
        # The running statistics are Parameters (saved with the others) that no gradient reaches.
        self.running_mean = self.params.get("running_mean", grad_req="null", shape=shape,
                                            init=running_mean_initializer,
                                            allow_deferred_init=True, differentiable=False)
        self.running_var = self.params.get("running_var", grad_req="null", shape=shape,
                                           init=running_variance_initializer,
                                           allow_deferred_init=True, differentiable=False)

    def cast(self, dtype):
        # float16 data keeps float32 statistics and affine parameters, as the op expects.
        if np.dtype(dtype).name == "float16":
            dtype = "float32"
        super().cast(dtype)

    def infer_shape(self, x, *args):
        channels = _axis_size(self, x, self._kwargs["axis"], "channel")
        for param in (self.gamma, self.beta, self.running_mean, self.running_var):
            param.shape = (channels,)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F.BatchNorm(x, gamma, beta, running_mean, running_var, name="fwd", **self._kwargs)

    def __repr__(self):
        in_channels = self.gamma.shape[0]
        return _norm_repr(self, self._kwargs, in_channels if in_channels else None)


class LayerNorm(HybridBlock):
    r"""Layer normalization: normalises each sample along one axis (the features).

    .. math::

        out = \frac{x - mean(x, axis)}{\sqrt{var(x, axis) + \epsilon}} \cdot \gamma + \beta

    Parameters
    ----------
    axis : int, default -1
        The axis normalised over; gamma and beta have one entry per element of it.
    epsilon : float, default 1e-5
    center : bool, default True
        Learn ``beta`` (False: it stays at its initial value and gets no gradient).
    scale : bool, default True
        Learn ``gamma`` (False: it stays at its initial value and gets no gradient).
    beta_initializer, gamma_initializer : str or Initializer, default 'zeros', 'ones'
    in_channels : int, default 0
        Size of ``axis``; 0 means "infer it from the first input".

    Inputs:
        - **data**: tensor of any shape.

    Outputs:
        - **out**: tensor of the same shape.
    """

    def __init__(self, axis=-1, epsilon=1e-5, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", in_channels=0, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True)

    def infer_shape(self, x, *args):
        size = _axis_size(self, x, self._axis, "normalised")
        self.gamma.shape = (size,)
        self.beta.shape = (size,)

    def hybrid_forward(self, F, data, gamma, beta):
        return F.LayerNorm(data, gamma=gamma, beta=beta, axis=self._axis, eps=self._epsilon)

    def __repr__(self):
        # NB: as in MXNet, an unknown size shows as in_channels=0 here (BatchNorm shows None).
        return _norm_repr(self, self._kwargs, self.gamma.shape[0])


class InstanceNorm(HybridBlock):
    r"""Instance normalization: normalises each channel of each sample over its other axes.

    .. math::

        out = \frac{x - mean[x, \bar{C}]}{\sqrt{var[x, \bar{C}] + \epsilon}} \cdot \gamma + \beta,
        \quad \bar{C} = \{i \mid i \neq 0, i \neq axis\}

    Parameters
    ----------
    axis : int, default 1
        The channel axis (kept apart from the normalisation, as the batch axis 0 is).
    epsilon : float, default 1e-5
    center : bool, default True
        Learn ``beta``.
    scale : bool, default False
        Learn ``gamma`` (by default it stays at 1).
    beta_initializer, gamma_initializer : str or Initializer, default 'zeros', 'ones'
    in_channels : int, default 0
        Number of channels; 0 means "infer it from the first input".

    Inputs:
        - **data**: tensor of shape (batch, ...) with at least 3 axes, channels on ``axis``.

    Outputs:
        - **out**: tensor of the same shape.
    """

    def __init__(self, axis=1, epsilon=1e-5, center=True, scale=False, beta_initializer="zeros",
                 gamma_initializer="ones", in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True)

    def infer_shape(self, x, *args):
        if x.ndim < 3:
            raise MXNetError(
                f"InstanceNorm '{self.name}': the input must have at least 3 axes (batch, "
                f"channel, spatial...), got shape {x.shape}. Add a spatial axis with "
                "expand_dims, or use LayerNorm or BatchNorm for 2-d data.")
        channels = _axis_size(self, x, self._axis, "channel")
        self.gamma.shape = (channels,)
        self.beta.shape = (channels,)

    def hybrid_forward(self, F, x, gamma, beta):
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, name="fwd", eps=self._epsilon)
        # The op wants channels on axis 1: move them there and back.
        x = F.swapaxes(x, dim1=1, dim2=self._axis)
        out = F.InstanceNorm(x, gamma, beta, name="fwd", eps=self._epsilon)
        return F.swapaxes(out, dim1=1, dim2=self._axis)

    def __repr__(self):
        return _norm_repr(self, self._kwargs, self.gamma.shape[0])


class GroupNorm(HybridBlock):
    r"""Group normalization: splits the channels (axis 1) into ``num_groups`` groups and
    normalises each group of each sample.

    .. math::

        out[n, g] = \frac{x[n, g] - mean(x[n, g])}{\sqrt{var(x[n, g]) + \epsilon}}
        \cdot \gamma[g] + \beta[g]

    NB: as in MXNet 1.9.1, gamma and beta have one entry per *group*, not per channel, so
    their shape is known at once (no deferred size).

    Parameters
    ----------
    num_groups : int, default 1
        Number of groups; it must divide the number of channels.
    epsilon : float, default 1e-5
    center : bool, default True
        Learn ``beta``.
    scale : bool, default True
        Learn ``gamma``.
    beta_initializer, gamma_initializer : str or Initializer, default 'zeros', 'ones'

    Inputs:
        - **data**: tensor of shape (batch, channels, ...) with at least 3 axes.

    Outputs:
        - **out**: tensor of the same shape.
    """

    def __init__(self, num_groups=1, epsilon=1e-5, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "num_groups": num_groups, "center": center,
                        "scale": scale}
        self._num_groups = num_groups
        self._epsilon = epsilon
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=(num_groups,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=(num_groups,), init=beta_initializer,
                                    allow_deferred_init=True)

    def hybrid_forward(self, F, data, gamma, beta):
        return F.GroupNorm(data, gamma=gamma, beta=beta, num_groups=self._num_groups,
                           eps=self._epsilon)

    def __repr__(self):
        return _norm_repr(self, self._kwargs, False)
