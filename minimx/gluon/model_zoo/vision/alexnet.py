"""AlexNet (Krizhevsky et al. 2012, "One weird trick...", arXiv:1404.5997): five convolutions,
three max-pools, two 4096-unit Dense layers with dropout, and a Dense classifier."""
from ...hybrid_block import HybridBlock
from ... import nn
from ..model_store import default_root

__all__ = ["AlexNet", "alexnet"]


class AlexNet(HybridBlock):
    """AlexNet.

    Parameters
    ----------
    classes : int, default 1000
        Number of output classes.

    Inputs:
        - **data**: (batch, 3, 224, 224) (the Dense layers' sizes are inferred from the first
          input, so other sizes work too).

    Outputs:
        - **out**: (batch, classes).
    """

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                add = self.features.add
                add(nn.Conv2D(64, kernel_size=11, strides=4, padding=2, activation="relu"))
                add(nn.MaxPool2D(pool_size=3, strides=2))
                add(nn.Conv2D(192, kernel_size=5, padding=2, activation="relu"))
                add(nn.MaxPool2D(pool_size=3, strides=2))
                add(nn.Conv2D(384, kernel_size=3, padding=1, activation="relu"))
                add(nn.Conv2D(256, kernel_size=3, padding=1, activation="relu"))
                add(nn.Conv2D(256, kernel_size=3, padding=1, activation="relu"))
                add(nn.MaxPool2D(pool_size=3, strides=2))
                add(nn.Flatten())
                add(nn.Dense(4096, activation="relu"))
                add(nn.Dropout(0.5))
                add(nn.Dense(4096, activation="relu"))
                add(nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def alexnet(pretrained=False, ctx=None, root=default_root, **kwargs):
    """AlexNet; ``pretrained`` loads ``alexnet-<hash>.params`` from ``root`` (no download).

    Parameters
    ----------
    pretrained : bool, default False
    ctx : Context, default CPU
    root : str, default '~/.mxnet/models'
    **kwargs
        Passed to `AlexNet` (``classes``, ``prefix``).
    """
    net = AlexNet(**kwargs)
    if pretrained:
        from ..model_store import get_model_file
        net.load_parameters(get_model_file("alexnet", root=root), ctx=ctx)
    return net
