"""``mx.metric``: evaluation metrics (MXNet 1.9.1's ``mxnet.metric``).

The machinery (``EvalMetric``, the registry behind ``create``, ``CompositeEvalMetric``,
``CustomMetric``) lives in ``metric_base``; the metrics themselves in ``metric_classification``
and ``metric_regression``. Importing those modules registers their metrics by name.

>>> import minimx as mx
>>> acc = mx.metric.create('acc')
>>> acc.update(mx.nd.array([0, 1, 1]), mx.nd.array([[.7, .3], [.2, .8], [.9, .1]]))
>>> print(acc)
EvalMetric: {'accuracy': 0.6666666666666666}
"""
from .metric_base import (CompositeEvalMetric, CustomMetric, EvalMetric, alias, check_label_shapes, create, np,
                          register)
from .metric_classification import F1, MCC, PCC, Accuracy, TopKAccuracy
from .metric_regression import (MAE, MSE, RMSE, Caffe, CrossEntropy, Loss, NegativeLogLikelihood, PearsonCorrelation,
                                Perplexity, Torch)

__all__ = ["EvalMetric", "CompositeEvalMetric", "CustomMetric", "check_label_shapes", "create", "register", "alias",
           "np", "Accuracy", "TopKAccuracy", "F1", "MCC", "PCC", "MAE", "MSE", "RMSE", "CrossEntropy",
           "NegativeLogLikelihood", "Perplexity", "PearsonCorrelation", "Loss", "Torch", "Caffe"]
