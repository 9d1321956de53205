"""``gluon.nn``: neural-network layers (each a HybridBlock unless it says otherwise)."""
from .activations import Activation
from .containers import HybridSequential, Sequential
from .dense import Dense

__all__ = ["Activation", "Dense", "HybridSequential", "Sequential"]
