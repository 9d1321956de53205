"""The vision ops (declarations are being written)."""
from .opdef import Domain, OpDef, Param, fail  # noqa: F401

__all__ = []
