"""``gluon.model_zoo``: ready-made networks (``model_zoo.vision``) and their pretrained files.

minimx never downloads: ``pretrained=True`` loads a parameter file that you put under ``root``
yourself (see `model_store.get_model_file`, which names the file and where it goes).
"""
from . import model_store
from . import vision

__all__ = ["model_store", "vision"]
