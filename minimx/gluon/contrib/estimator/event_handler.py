"""The Estimator's event handlers: small objects called at six points of the training loop.

A handler subclasses the events it wants (``TrainBegin``, ``EpochBegin``, ``BatchBegin``,
``BatchEnd``, ``EpochEnd``, ``TrainEnd``) and implements their methods; ``batch_end`` and
``epoch_end`` return True to stop training. Handlers run in ascending ``priority`` (default 0):
the gradient update (-2000) before metrics and validation (-1000) before user handlers (0)
before logging (+inf).
"""
import os
import time
import warnings

import numpy as np

from ....base import MXNetError
from ....metric import CompositeEvalMetric, EvalMetric
from ....metric import Loss as MetricLoss
from .utils import _ValueError, check_metrics

__all__ = ["EventHandler", "TrainBegin", "TrainEnd", "EpochBegin", "EpochEnd", "BatchBegin",
           "BatchEnd", "StoppingHandler", "MetricHandler", "ValidationHandler", "LoggingHandler",
           "CheckpointHandler", "EarlyStoppingHandler", "GradientUpdateHandler",
           "check_event_handlers"]


class EventHandler:
    """The base of every handler."""


def check_event_handlers(handlers):
    """A list of handlers from one handler, a list, or None."""
    if isinstance(handlers, EventHandler):
        return [handlers]
    handlers = list(handlers or [])
    if not all(isinstance(h, EventHandler) for h in handlers):
        raise _ValueError(f"handlers must be an EventHandler or a list of EventHandler, got: "
                          f"{handlers}")
    return handlers


class TrainBegin(EventHandler):
    def train_begin(self, estimator, *args, **kwargs):
        pass


class TrainEnd(EventHandler):
    def train_end(self, estimator, *args, **kwargs):
        pass


class EpochBegin(EventHandler):
    def epoch_begin(self, estimator, *args, **kwargs):
        pass


class EpochEnd(EventHandler):
    def epoch_end(self, estimator, *args, **kwargs):
        return False


class BatchBegin(EventHandler):
    def batch_begin(self, estimator, *args, **kwargs):
        pass


class BatchEnd(EventHandler):
    def batch_end(self, estimator, *args, **kwargs):
        return False


class StoppingHandler(TrainBegin, BatchEnd, EpochEnd):
    """Stop after ``max_epoch`` epochs or ``max_batch`` batches (the estimator's ``fit`` values)."""

    def __init__(self, max_epoch=None, max_batch=None):
        self.max_epoch, self.max_batch = max_epoch, max_batch
        self.current_batch = self.current_epoch = 0
        self.stop_training = False

    def train_begin(self, estimator, *args, **kwargs):
        self.max_epoch, self.max_batch = estimator.max_epoch, estimator.max_batch
        self.current_batch = self.current_epoch = 0

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        self.stop_training = self.stop_training or self.current_batch == self.max_batch
        return self.stop_training

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        self.stop_training = self.stop_training or self.current_epoch == self.max_epoch
        return self.stop_training


class MetricHandler(EpochBegin, BatchEnd):
    """Reset `metrics` at each epoch; update them with each batch's (label, pred) or loss."""

    def __init__(self, metrics, priority=-1000):
        self.metrics = check_metrics(metrics)
        self.priority = priority

    def epoch_begin(self, estimator, *args, **kwargs):
        for metric in self.metrics:
            metric.reset()

    def batch_end(self, estimator, *args, **kwargs):
        for metric in self.metrics:
            if isinstance(metric, MetricLoss):
                metric.update(0, kwargs["loss"])
            else:
                metric.update(kwargs["label"], kwargs["pred"])


class ValidationHandler(TrainBegin, BatchEnd, EpochEnd):
    """Run ``eval_fn(val_data=..., batch_axis=..., event_handlers=...)`` every `epoch_period`
    epochs (and every `batch_period` batches, if given)."""

    def __init__(self, val_data, eval_fn, epoch_period=1, batch_period=None, priority=-1000,
                 event_handlers=None):
        self.val_data, self.eval_fn = val_data, eval_fn
        self.epoch_period, self.batch_period = epoch_period, batch_period
        self.current_batch = self.current_epoch = 0
        self.priority = priority
        self.event_handlers = event_handlers

    def train_begin(self, estimator, *args, **kwargs):
        self.current_batch = self.current_epoch = 0

    def _validate(self, estimator):
        self.eval_fn(val_data=self.val_data, batch_axis=estimator.batch_axis,
                     event_handlers=self.event_handlers)

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        if self.batch_period and self.current_batch % self.batch_period == 0:
            self._validate(estimator)

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        if self.epoch_period and self.current_epoch % self.epoch_period == 0:
            self._validate(estimator)


class LoggingHandler(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd):
    """Log the optimizer, epoch times and `metrics` to ``estimator.logger`` (MXNet's messages).

    Parameters
    ----------
    log_interval : 'epoch' or int, default 'epoch'
        Log at each epoch's end, or also every `log_interval` batches.
    metrics : list of EvalMetric
    priority : float, default inf (after every other handler)
    """

    def __init__(self, log_interval="epoch", metrics=None, priority=np.inf):
        if not isinstance(log_interval, int) and log_interval != "epoch":
            raise _ValueError("log_interval must be either an integer or string 'epoch'")
        self.metrics = check_metrics(metrics)
        self.log_interval, self.priority = log_interval, priority
        self.batch_index = self.current_epoch = self.processed_samples = 0
        self.log_interval_time = 0

    def _values(self):
        return ", ".join("%s: %.4f" % metric.get() for metric in self.metrics)

    def train_begin(self, estimator, *args, **kwargs):
        self.train_start = time.time()
        trainer = estimator.trainer
        estimator.logger.info("Training begin: using optimizer %s with current learning rate "
                              "%.4f ", type(trainer.optimizer).__name__, trainer.learning_rate)
        if estimator.max_epoch:
            estimator.logger.info("Train for %d epochs.", estimator.max_epoch)
        else:
            estimator.logger.info("Train for %d batches.", estimator.max_batch)
        self.current_epoch = self.batch_index = self.processed_samples = 0
        self.log_interval_time = 0

    def train_end(self, estimator, *args, **kwargs):
        msg = "Train finished using total %ds with %d epochs. " % (time.time() - self.train_start,
                                                                    self.current_epoch)
        estimator.logger.info((msg + self._values()).rstrip(", ").rstrip())

    def batch_begin(self, estimator, *args, **kwargs):
        if isinstance(self.log_interval, int):
            self.batch_start = time.time()

    def batch_end(self, estimator, *args, **kwargs):
        if isinstance(self.log_interval, int):
            self.processed_samples += kwargs["batch"][0].shape[0]
            self.log_interval_time += time.time() - self.batch_start
            if self.batch_index % self.log_interval == 0:
                msg = "[Epoch %d][Batch %d][Samples %s] time/interval: %.3fs " % (
                    self.current_epoch, self.batch_index, self.processed_samples,
                    self.log_interval_time)
                self.log_interval_time = 0
                estimator.logger.info((msg + self._values()).rstrip(", ").rstrip())
        self.batch_index += 1

    def epoch_begin(self, estimator, *args, **kwargs):
        self.epoch_start = time.time()
        if any("training" in m.name for m in self.metrics):
            estimator.logger.info("[Epoch %d] Begin, current learning rate: %.4f",
                                  self.current_epoch, estimator.trainer.learning_rate)
        else:
            estimator.logger.info("Validation Begin")

    def epoch_end(self, estimator, *args, **kwargs):
        msg = "[Epoch %d] Finished in %.3fs, " % (self.current_epoch, time.time() - self.epoch_start)
        estimator.logger.info((msg + self._values()).rstrip(", "))
        self.current_epoch += 1
        self.batch_index = 0


def _monitor_op(monitor, mode, who):
    """np.less or np.greater for `mode` ('min', 'max', 'auto').

    NB: MXNet's 'auto' means 'max' whatever the metric (its test ``'acc' or 'f1' in name`` is
    always true); minimx keeps that, so pass mode='min' for a loss.
    """
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{who} mode {mode} is unknown, fallback to auto mode.", RuntimeWarning)
        mode = "auto"
    if mode == "min":
        return np.less
    if mode == "auto":
        warnings.warn(f"`greater` operator will be used to determine if {monitor.get()[0]} has "
                      "improved. Please specify `mode='min'` to use the `less` operator. Specify "
                      "`mode='max' to disable this warning.`")
    return np.greater


class CheckpointHandler(TrainBegin, BatchEnd, EpochEnd):
    """Save parameters (``<prefix>-epoch<E>batch<B>.params``) and trainer states (``.states``)
    every `epoch_period` epochs / `batch_period` batches, keeping the last `max_checkpoints`;
    with `save_best`, also ``<prefix>-best.*`` whenever `monitor` improves. The first batch also
    writes ``<prefix>-symbol.json`` if the net is hybridized.

    NB: ``resume_from_checkpoint`` is not supported by minimx (it raises).
    """

    def __init__(self, model_dir, model_prefix="model", monitor=None, verbose=0, save_best=False,
                 mode="auto", epoch_period=1, batch_period=None, max_checkpoints=5,
                 resume_from_checkpoint=False):
        if resume_from_checkpoint:
            raise MXNetError("CheckpointHandler(resume_from_checkpoint=True) is not supported by "
                             "minimx: load the .params/.states files yourself before fit()")
        os.makedirs(model_dir, exist_ok=True)
        self.model_dir, self.model_prefix = model_dir, model_prefix
        self.monitor, self.verbose, self.save_best = monitor, verbose, save_best
        if save_best and not isinstance(monitor, EvalMetric):
            raise _ValueError("To save best model only, please provide one of the metric objects "
                              "from estimator.train_metrics and estimator.val_metrics as monitor.")
        self.epoch_period, self.batch_period = epoch_period, batch_period
        self.max_checkpoints = max_checkpoints
        self.resume_from_checkpoint = False
        self.current_batch = self.current_epoch = 0
        self.saved_checkpoints = []
        if save_best:
            self.monitor_op = _monitor_op(monitor, mode, "ModelCheckpoint")

    def train_begin(self, estimator, *args, **kwargs):
        self.current_epoch = self.current_batch = 0
        if self.save_best:
            self.best = np.inf if self.monitor_op is np.less else -np.inf

    def batch_end(self, estimator, *args, **kwargs):
        if self.current_batch == 0:
            self._save_symbol(estimator)
        if self.batch_period and (self.current_batch + 1) % self.batch_period == 0:
            self._save_checkpoint(estimator)
        self.current_batch += 1

    def epoch_end(self, estimator, *args, **kwargs):
        if self.epoch_period and (self.current_epoch + 1) % self.epoch_period == 0:
            self._save_checkpoint(estimator)
        self.current_epoch += 1

    def _save_checkpoint(self, estimator):
        prefix = "%s-epoch%dbatch%d" % (self.model_prefix, self.current_epoch, self.current_batch)
        self._save(estimator, prefix)
        if self.verbose > 0:
            estimator.logger.info("[Epoch %d] CheckpointHandler: trained total %d batches, saving "
                                  "model at %s with prefix: %s", self.current_epoch,
                                  self.current_batch + 1, self.model_dir, prefix)
        if not self.save_best:
            return
        name, value = self.monitor.get()
        if np.isnan(value):
            warnings.warn(RuntimeWarning(f"Skipping save best because {name} is not updated"))
        elif self.monitor_op(value, self.best):
            self._save(estimator, self.model_prefix + "-best")
            self.best = value

    def _save_symbol(self, estimator):
        symbol_file = os.path.join(self.model_dir, self.model_prefix + "-symbol.json")
        graph = getattr(estimator.net, "_cached_graph", None)
        if graph:                  # (inputs, output symbol) once a hybridized net has run
            graph[1].save(symbol_file)
        else:
            estimator.logger.info("Model architecture(symbol file) is not saved, please use "
                                  "HybridBlock to construct your model, and call net.hybridize() "
                                  "before passing to Estimator in order to save model "
                                  "architecture as %s.", symbol_file)

    def _save(self, estimator, prefix):
        estimator.net.save_parameters(os.path.join(self.model_dir, prefix + ".params"))
        estimator.trainer.save_states(os.path.join(self.model_dir, prefix + ".states"))
        if "best" not in prefix:
            self.saved_checkpoints.append(prefix)
        if len(self.saved_checkpoints) > self.max_checkpoints:
            old = self.saved_checkpoints.pop(0)
            for fname in os.listdir(self.model_dir):
                if fname.startswith(old + "."):
                    os.remove(os.path.join(self.model_dir, fname))


class EarlyStoppingHandler(TrainBegin, EpochEnd, TrainEnd):
    """Stop when `monitor` has not improved by `min_delta` for `patience` epochs."""

    def __init__(self, monitor, min_delta=0, patience=0, mode="auto", baseline=None):
        if not isinstance(monitor, EvalMetric):
            raise _ValueError("Please provide one of the metric objects from "
                              "estimator.train_metrics and estimator.val_metrics as monitor.")
        if isinstance(monitor, CompositeEvalMetric):
            raise _ValueError("CompositeEvalMetric is not supported for EarlyStoppingHandler, "
                              "please specify a simple metric instead.")
        self.monitor, self.baseline, self.patience = monitor, baseline, patience
        self.monitor_op = _monitor_op(monitor, mode, "EarlyStopping")
        self.min_delta = min_delta if self.monitor_op is np.greater else -min_delta
        self.wait = self.stopped_epoch = self.current_epoch = 0
        self.stop_training = False

    def train_begin(self, estimator, *args, **kwargs):
        self.wait = self.stopped_epoch = self.current_epoch = 0
        self.stop_training = False
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = np.inf if self.monitor_op is np.less else -np.inf

    def epoch_end(self, estimator, *args, **kwargs):
        name, value = self.monitor.get()
        if np.isnan(value):
            warnings.warn(RuntimeWarning(f"{name} is not updated, make sure you pass one of the "
                                         "metric objects from estimator.train_metrics and "
                                         "estimator.val_metrics as monitor."))
        elif self.monitor_op(value - self.min_delta, self.best):
            self.best, self.wait = value, 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch, self.stop_training = self.current_epoch, True
        self.current_epoch += 1
        return self.stop_training

    def train_end(self, estimator, *args, **kwargs):
        if self.stopped_epoch > 0:
            estimator.logger.info("[Epoch %d] EarlyStoppingHanlder: early stopping due to %s not "
                                  "improving", self.stopped_epoch, self.monitor.get()[0])


class GradientUpdateHandler(BatchEnd):
    """``trainer.step(batch size)`` at each batch end (the batch size counted from the losses)."""

    def __init__(self, priority=-2000):
        self.priority = priority

    def batch_end(self, estimator, *args, **kwargs):
        loss = kwargs["loss"]
        losses = loss if isinstance(loss, list) else [loss]
        estimator.trainer.step(sum(l.shape[0] for l in losses))
