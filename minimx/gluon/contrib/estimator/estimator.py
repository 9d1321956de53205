"""``Estimator``: the training loop written once, customised with event handlers.

Steps of ``est.fit(train_data, val_data, epochs=2)``:

1. add the default handlers that are missing: StoppingHandler (epochs/batches), GradientUpdateHandler
   (``trainer.step``), MetricHandler (training metrics), ValidationHandler (if `val_data`),
   LoggingHandler; sort all by ``priority``;
2. ``train_begin`` handlers; then per epoch: ``epoch_begin``; per batch: ``batch_begin``, the
   batch processor's ``fit_batch`` (forward, loss, backward), ``batch_end`` (update, metrics,
   logging); ``epoch_end`` (validation, checkpoints, early stopping); any handler returning True
   stops the loop; ``train_end``.

``evaluate(val_data)`` runs the same loop once, without backward, over the validation metrics.
"""
import copy
import logging
import sys
import warnings

from ....context import Context, cpu, gpu, num_gpus
from ....data import DataLoader
from ....metric import Loss as MetricLoss
from ...loss import Loss
from ...trainer import Trainer
from .batch_processor import BatchProcessor
from .event_handler import (BatchBegin, BatchEnd, EpochBegin, EpochEnd, GradientUpdateHandler,
                            LoggingHandler, MetricHandler, StoppingHandler, TrainBegin, TrainEnd,
                            ValidationHandler, check_event_handlers)
from .utils import _ValueError, check_handler_metric_ref, check_metrics, suggest_metric_for_loss

__all__ = ["Estimator"]


class Estimator:
    """Train and evaluate a Gluon network with a loss, metrics and a trainer.

    Parameters
    ----------
    net : Block
        The network to train (initialised here, with `initializer`, if it is not yet).
    loss : gluon.loss.Loss
    train_metrics, val_metrics : EvalMetric or list of EvalMetric, optional
        Default: Accuracy for a softmax cross-entropy loss, plus the mean loss; the validation
        metrics default to copies of the training ones. Names get a 'training '/'validation '
        prefix.
    initializer : Initializer, optional
    trainer : Trainer, optional
        Default: SGD with learning rate 0.001 (with a warning).
    context : Context or list of Context, optional
        Default: gpu(0) if there is a GPU, else cpu().
    val_net, val_loss : optional
        A network / loss for validation (default: `net` / `loss`).
    batch_processor : BatchProcessor, optional
        Custom ``fit_batch``/``evaluate_batch``.

    Attributes
    ----------
    logger : logging.Logger
        Where handlers log (to stdout at INFO level); add handlers to it to log elsewhere.
    """

    def __init__(self, net, loss, train_metrics=None, val_metrics=None, initializer=None,
                 trainer=None, context=None, val_net=None, val_loss=None, batch_processor=None):
        self.net = net
        self.loss = self._check_loss(loss)
        self._train_metrics = check_metrics(train_metrics)
        self._val_metrics = check_metrics(val_metrics)
        self._add_default_training_metrics()
        self._add_validation_metrics()
        self.val_loss = self.loss if val_loss is None else self._check_loss(val_loss)
        self.val_net = self.net if val_net is None else val_net
        self.logger = logging.Logger(name="Estimator", level=logging.INFO)
        self.logger.addHandler(logging.StreamHandler(sys.stdout))
        self.context = self._check_context(context)
        self._initialize(initializer)
        self.trainer = self._check_trainer(trainer)
        self.batch_processor = self._check_batch_processor(batch_processor)
        self.max_epoch = self.max_batch = None
        self.batch_axis = 0

    # ---- checks --------------------------------------------------------------------------------
    @staticmethod
    def _check_loss(loss):
        if not isinstance(loss, Loss):
            raise _ValueError(f"loss must be a Loss, refer to gluon.loss.Loss:{loss}")
        return loss

    @staticmethod
    def _check_context(context):
        gpus = [gpu(i) for i in range(num_gpus())]
        if not context:
            if len(gpus) > 1:
                warnings.warn("You have multiple GPUs, gpu(0) will be used by default. To utilize "
                              "all your GPUs, specify context as a list of gpus, e.g. "
                              "context=[mx.gpu(0), mx.gpu(1)] ")
            return [gpus[0]] if gpus else [cpu()]
        if isinstance(context, Context):
            context = [context]
        if not (isinstance(context, list) and all(isinstance(c, Context) for c in context)):
            raise _ValueError("context must be a Context or a list of Context, for example "
                              f"mx.cpu() or [mx.gpu(0), mx.gpu(1)], refer to mxnet.Context:{context}")
        for ctx in context:
            if ctx not in gpus and not str(ctx).startswith("cpu"):
                raise _ValueError(f"{ctx} is not available, please make sure your context is in "
                                  f"one of: mx.cpu(), {', '.join(map(str, gpus))}")
        return context

    @staticmethod
    def _check_batch_processor(batch_processor):
        if batch_processor is None:
            return BatchProcessor()
        if not (callable(getattr(batch_processor, "fit_batch", None))
                and callable(getattr(batch_processor, "evaluate_batch", None))):
            raise _ValueError("Customized Batch Processor must contain fit_batch() and "
                              "evaluate_batch() methods")
        return batch_processor

    def _is_initialized(self):
        params = self.net.collect_params()
        return all(p._data is not None or p._deferred_init for p in params.values())

    def _initialize(self, initializer):
        if not self._is_initialized():
            if initializer:
                self.net.initialize(init=initializer, ctx=self.context)
            else:
                self.net.initialize(ctx=self.context)
        elif initializer:
            warnings.warn("Network already fully initialized, skipping initialization. You don't "
                          "need to pass initializer if you already initialized your net.")

    def _check_trainer(self, trainer):
        if not trainer:
            warnings.warn("No trainer specified, default SGD optimizer with learning rate 0.001 "
                          "is used.")
            return Trainer(self.net.collect_params(), "sgd", {"learning_rate": 0.001})
        if not isinstance(trainer, Trainer):
            raise _ValueError(f"Trainer must be a Gluon Trainer instance, refer to "
                              f"gluon.Trainer:{trainer}")
        return trainer

    # ---- metrics -------------------------------------------------------------------------------
    def _add_default_training_metrics(self):
        if not self._train_metrics:
            suggested = suggest_metric_for_loss(self.loss)
            if suggested:
                self._train_metrics = [suggested]
            self._train_metrics.append(MetricLoss(self.loss.name.rstrip("1234567890")))
        for metric in self._train_metrics:
            metric.name = "training " + metric.name

    def _add_validation_metrics(self):
        if not self._val_metrics:
            self._val_metrics = [copy.deepcopy(m) for m in self._train_metrics]
        for metric in self._val_metrics:
            metric.name = (metric.name.replace("training", "validation")
                           if "training" in metric.name else "validation " + metric.name)

    @property
    def train_metrics(self):
        return self._train_metrics

    @property
    def val_metrics(self):
        return self._val_metrics

    # ---- the loops -----------------------------------------------------------------------------
    def evaluate(self, val_data, batch_axis=0, event_handlers=None):
        """Run `val_data` through ``val_net`` and update the validation metrics."""
        if not isinstance(val_data, DataLoader):
            raise _ValueError("Estimator only support input as Gluon DataLoader. Alternatively, "
                              "you can transform your DataIter or any NDArray into Gluon "
                              "DataLoader. Refer to gluon.data.DataLoader")
        for metric in self.val_metrics:
            metric.reset()
        handlers = self._prepare_handlers(event_handlers, self.val_metrics, val_data=None,
                                          training=False)
        _, epoch_begin, batch_begin, batch_end, epoch_end, _ = _categorize(handlers)
        for h in epoch_begin:
            h.epoch_begin(self)
        for batch in val_data:
            for h in batch_begin:
                h.batch_begin(self, batch=batch)
            _, label, pred, loss = self.batch_processor.evaluate_batch(self, batch, batch_axis)
            for h in batch_end:
                h.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
        for h in epoch_end:
            h.epoch_end(self)

    def fit(self, train_data, val_data=None, epochs=None, event_handlers=None, batches=None,
            batch_axis=0):
        """Train for `epochs` epochs or `batches` batches (exactly one of them)."""
        if not isinstance(train_data, DataLoader):
            raise _ValueError("Estimator only support input as Gluon DataLoader. Alternatively, "
                              "you can transform your DataIter or any NDArray into Gluon "
                              "DataLoader. Refer to gluon.data.dataloader")
        if (not epochs) == (not batches):
            raise _ValueError("Fit only support exactly one type of iteration, train by number "
                              "of epochs or number of batches.Please specify one and only one "
                              "of: epochs or batches.")
        self.max_epoch, self.max_batch, self.batch_axis = epochs, batches, batch_axis
        handlers = self._prepare_handlers(event_handlers, self.train_metrics, val_data, True)
        train_begin, epoch_begin, batch_begin, batch_end, epoch_end, train_end = \
            _categorize(handlers)
        for h in train_begin:
            h.train_begin(self)
        while True:
            for h in epoch_begin:
                h.epoch_begin(self)
            for batch in train_data:
                for h in batch_begin:
                    h.batch_begin(self, batch=batch)
                _, label, pred, loss = self.batch_processor.fit_batch(self, batch, batch_axis)
                # every handler sees the batch, even after one asked to stop
                stops = [h.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
                         for h in batch_end]
                if any(stops):
                    break
            if any([h.epoch_end(self) for h in epoch_end]):
                break
        for h in train_end:
            h.train_end(self)

    def _prepare_handlers(self, event_handlers, metrics, val_data, training):
        handlers = check_event_handlers(event_handlers)
        added = []
        if training:
            added.append(StoppingHandler(self.max_epoch, self.max_batch))
            if not any(isinstance(h, GradientUpdateHandler) for h in handlers):
                added.append(GradientUpdateHandler())
        if not any(isinstance(h, MetricHandler) for h in handlers):
            added.append(MetricHandler(metrics=metrics))
        if training and val_data and not any(isinstance(h, ValidationHandler) for h in handlers):
            added.append(ValidationHandler(val_data=val_data, eval_fn=self.evaluate))
        if not any(isinstance(h, LoggingHandler) for h in handlers):
            added.append(LoggingHandler(metrics=metrics))
        if handlers and added:
            known = set(self.train_metrics + self.val_metrics) if training else set(metrics)
            for h in handlers + added:
                check_handler_metric_ref(h, known)
        handlers = handlers + added
        handlers.sort(key=lambda h: getattr(h, "priority", 0))
        return handlers


def _categorize(handlers):
    """The handlers of each of the six events, in priority order."""
    kinds = (TrainBegin, EpochBegin, BatchBegin, BatchEnd, EpochEnd, TrainEnd)
    return tuple([h for h in handlers if isinstance(h, kind)] for kind in kinds)
