"""``gluon.nn``: neural-network layers (each a HybridBlock unless it says otherwise)."""
from .activations import *          # noqa: F401,F403
from .containers import *           # noqa: F401,F403
from .dense import *                # noqa: F401,F403
from . import activations, containers, dense

__all__ = activations.__all__ + containers.__all__ + dense.__all__
