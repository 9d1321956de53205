"""MXNet's ``gluon.contrib.nn`` layers.

- ``Concurrent``/``HybridConcurrent``: run every child on the same input, concatenate the outputs.
- ``Identity``: returns its input (a placeholder branch of a Concurrent).
- ``PixelShuffle1D/2D/3D``: move channel blocks into space, ``(N, C*f, W) -> (N, C, W*f)``.
- ``SyncBatchNorm``: BatchNorm whose statistics span devices; minimx runs one device per process,
  so it is BatchNorm (``num_devices`` is accepted and recorded).
"""
from ...block import Block
from ...model_zoo.vision._concurrent import HybridConcurrent, Identity
from ...nn.containers import Sequential
from ...nn.norm_layers import BatchNorm
from ...hybrid_block import HybridBlock
from ....base import MXNetError
from .... import ndarray as nd

__all__ = ["Concurrent", "HybridConcurrent", "Identity", "PixelShuffle1D", "PixelShuffle2D",
           "PixelShuffle3D", "SparseEmbedding", "SyncBatchNorm"]


class Concurrent(Sequential):
    """Runs each child on the input and concatenates their outputs along ``axis``.

    Inputs:
        - **data**: any shape the children accept.

    Outputs:
        - **out**: the children's outputs concatenated along ``axis``.
    """

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x):
        return nd.concat(*[block(x) for block in self._children.values()], dim=self.axis)


def _factors(factor, n):
    if isinstance(factor, int):
        return (factor,) * n
    factor = tuple(int(f) for f in factor)
    if len(factor) != n:
        raise MXNetError(f"PixelShuffle{n}D: expected {n} factors, got {factor}")
    return factor


class PixelShuffle1D(HybridBlock):
    """``(N, C*f, W) -> (N, C, W*f)``: each channel group of ``f`` becomes ``f`` neighbouring columns.

    Inputs:
        - **data**: (N, C*f, W).

    Outputs:
        - **out**: (N, C, W*f).
    """

    def __init__(self, factor):
        super().__init__()
        self._factor = int(factor)

    def hybrid_forward(self, F, x):
        f = self._factor
        x = F.reshape(x, (0, -4, -1, f, 0))        # (N, C, f, W)
        x = F.transpose(x, (0, 1, 3, 2))           # (N, C, W, f)
        return F.reshape(x, (0, 0, -3))            # (N, C, W*f)

    def __repr__(self):
        return "{}({})".format(self.__class__.__name__, self._factor)


class PixelShuffle2D(HybridBlock):
    """``(N, C*f1*f2, H, W) -> (N, C, H*f1, W*f2)`` (sub-pixel convolution's upsampling).

    Inputs:
        - **data**: (N, C*f1*f2, H, W).

    Outputs:
        - **out**: (N, C, H*f1, W*f2).
    """

    def __init__(self, factor):
        super().__init__()
        self._factors = _factors(factor, 2)

    def hybrid_forward(self, F, x):
        f1, f2 = self._factors
        x = F.reshape(x, (0, -4, -1, f1 * f2, 0, 0))   # (N, C, f1*f2, H, W)
        x = F.reshape(x, (0, 0, -4, f1, f2, 0, 0))     # (N, C, f1, f2, H, W)
        x = F.transpose(x, (0, 1, 4, 2, 5, 3))         # (N, C, H, f1, W, f2)
        return F.reshape(x, (0, 0, -3, -3))            # (N, C, H*f1, W*f2)

    def __repr__(self):
        return "{}({})".format(self.__class__.__name__, self._factors)


class PixelShuffle3D(HybridBlock):
    """``(N, C*f1*f2*f3, D, H, W) -> (N, C, D*f1, H*f2, W*f3)``.

    Inputs:
        - **data**: (N, C*f1*f2*f3, D, H, W).

    Outputs:
        - **out**: (N, C, D*f1, H*f2, W*f3).
    """

    def __init__(self, factor):
        super().__init__()
        self._factors = _factors(factor, 3)

    def hybrid_forward(self, F, x):
        f1, f2, f3 = self._factors
        x = F.reshape(x, (0, -4, -1, f1 * f2 * f3, 0, 0, 0))    # (N, C, f1*f2*f3, D, H, W)
        x = F.reshape(x, (0, 0, -4, f1, f2 * f3, 0, 0, 0))      # (N, C, f1, f2*f3, D, H, W)
        x = F.reshape(x, (0, 0, 0, -4, f2, f3, 0, 0, 0))        # (N, C, f1, f2, f3, D, H, W)
        x = F.transpose(x, (0, 1, 5, 2, 6, 3, 7, 4))            # (N, C, D, f1, H, f2, W, f3)
        return F.reshape(x, (0, 0, -3, -3, -3))                 # (N, C, D*f1, H*f2, W*f3)

    def __repr__(self):
        return "{}({})".format(self.__class__.__name__, self._factors)


class SyncBatchNorm(BatchNorm):
    """BatchNorm with statistics over all devices; on one device per process it is BatchNorm."""

    def __init__(self, in_channels=0, num_devices=None, momentum=0.9, epsilon=1e-5, center=True,
                 scale=True, use_global_stats=False, beta_initializer="zeros",
                 gamma_initializer="ones", running_mean_initializer="zeros",
                 running_variance_initializer="ones", **kwargs):
        super().__init__(axis=1, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
                         use_global_stats=use_global_stats, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer,
                         running_mean_initializer=running_mean_initializer,
                         running_variance_initializer=running_variance_initializer,
                         in_channels=in_channels, **kwargs)
        self._num_devices = num_devices


class SparseEmbedding(Block):
    """Embedding with row-sparse gradients: not supported (minimx stores dense arrays only)."""

    def __init__(self, input_dim, output_dim, dtype="float32", weight_initializer=None, **kwargs):
        raise MXNetError("SparseEmbedding needs row_sparse gradients, which minimx does not have; "
                         "use gluon.nn.Embedding(input_dim, output_dim) instead.")
