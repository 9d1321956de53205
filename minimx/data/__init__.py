"""``minimx.data`` (also ``mx.gluon.data``): datasets, samplers, batchify functions, DataLoader.

Its own layer: it builds on ``ndarray`` and knows nothing of gluon, so data code can be read (and
taught) without the network API.
"""
from . import batchify, dataloader, dataset, sampler, vision
from .dataloader import DataLoader
from .dataset import ArrayDataset, Dataset, RecordFileDataset, SimpleDataset
from .sampler import (BatchSampler, FilterSampler, IntervalSampler, RandomSampler, Sampler,
                      SequentialSampler)

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset", "Sampler",
           "SequentialSampler", "RandomSampler", "FilterSampler", "BatchSampler", "IntervalSampler",
           "DataLoader", "batchify", "dataloader", "dataset", "sampler", "vision"]
