"""Kernels: plain functions over buffers, the same names in every backend.

A backend is a ``Backend``: a table ``kernels`` from kernel name to function, plus the storage
functions the NDArray layer needs. The backends are listed here explicitly:

- ``reference``: numpy, the whole contract; the executable spec and the test oracle.
- ``cpu``: Cython kernels for the hot paths, the reference for everything else.

This package imports nothing of minimx but ``base``, ``config`` and ``threads``. See
``contract.py`` for the calling convention.
"""
from ..base import MXNetError
from .cpu import BACKEND as CPU
from .reference import BACKEND as REFERENCE

__all__ = ["get_backend", "BACKENDS"]

BACKENDS = {"cpu": CPU, "reference": REFERENCE}


def get_backend(name):
    """The backend object named ``name``."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise MXNetError(f"unknown kernel backend {name!r}: use one of {', '.join(BACKENDS)}") from None
