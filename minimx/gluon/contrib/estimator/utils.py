"""Checks shared by the Estimator and its handlers."""
from ....base import MXNetError
from ....metric import Accuracy, CompositeEvalMetric, EvalMetric
from ...loss import SoftmaxCrossEntropyLoss

__all__ = ["check_metrics", "check_handler_metric_ref", "suggest_metric_for_loss"]


class _ValueError(MXNetError, ValueError):
    """Raised where MXNet's estimator raises ValueError."""


def check_metrics(metrics):
    """A flat list of metrics from a metric, a CompositeEvalMetric, a list, or None."""
    if isinstance(metrics, CompositeEvalMetric):
        return [m for metric in metrics.metrics for m in check_metrics(metric)]
    if isinstance(metrics, EvalMetric):
        return [metrics]
    metrics = list(metrics or [])
    if not all(isinstance(m, EvalMetric) for m in metrics):
        raise _ValueError(f"metrics must be a Metric or a list of Metric, refer to "
                          f"mxnet.metric.EvalMetric: {metrics}")
    return metrics


def check_handler_metric_ref(handler, known_metrics):
    """A handler's metrics (attributes named like 'metric...') must be the estimator's own."""
    for attribute in dir(handler):
        if "metric" not in attribute:
            continue
        reference = getattr(handler, attribute)
        for metric in (reference if isinstance(reference, list) else [reference]):
            if metric and isinstance(metric, EvalMetric) and metric not in known_metrics:
                raise _ValueError(f"Event handler {type(handler).__name__} refers to a metric "
                                  f"instance {metric} outside of the known training and "
                                  "validation metrics. Please use the metrics from "
                                  "estimator.train_metrics and estimator.val_metrics instead.")


def suggest_metric_for_loss(loss):
    """Accuracy for a softmax cross-entropy loss, else None."""
    return Accuracy() if isinstance(loss, SoftmaxCrossEntropyLoss) else None
