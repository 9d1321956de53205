"""Containers: ``Sequential`` and ``HybridSequential`` run their children one after another."""
import warnings

from ..block import Block
from ..hybrid_block import HybridBlock
from ..parameter_dict import _indent

__all__ = ["Sequential", "HybridSequential"]


class _Stack:
    """What both containers share: add, indexing (a slice gives a new container), len, repr."""

    def add(self, *blocks):
        """Append Blocks; they run in the order added."""
        for block in blocks:
            self.register_child(block)

    def __repr__(self):
        modstr = "\n".join("  ({key}): {block}".format(key=key, block=_indent(repr(block), 2))
                           for key, block in self._children.items())
        return "{name}(\n{modstr}\n)".format(name=self.__class__.__name__, modstr=modstr)

    def __getitem__(self, key):
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self):
        return len(self._children)

    def _run(self, x, args, call):
        for block in self._children.values():
            x = call(block, x, args)
            args = []
            if isinstance(x, (tuple, list)):
                args = x[1:]
                x = x[0]
        if args:
            x = tuple([x] + list(args))
        return x


class Sequential(_Stack, Block):
    """Stacks Blocks sequentially: the output of each is the input of the next.

    Examples
    --------
    >>> net = nn.Sequential()
    >>> with net.name_scope():
    ...     net.add(nn.Dense(10, activation='relu'), nn.Dense(20))
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def forward(self, x, *args):
        return self._run(x, args, lambda block, x, args: block(x, *args))

    def hybridize(self, active=True, **kwargs):
        """Hybridize the children; a container of only HybridBlocks should be HybridSequential."""
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn("All children of this Sequential layer '%s' are HybridBlocks. Consider "
                          "using HybridSequential for the best performance." % self.prefix,
                          stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(_Stack, HybridBlock):
    """Stacks HybridBlocks sequentially; the whole can be hybridized.

    Examples
    --------
    >>> net = nn.HybridSequential()
    >>> with net.name_scope():
    ...     net.add(nn.Dense(10, activation='relu'), nn.Dense(20))
    >>> net.hybridize()
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x, *args):
        return self._run(x, args, lambda block, x, args: block(x, *args))
