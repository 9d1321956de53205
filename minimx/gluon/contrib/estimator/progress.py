"""``ProgressBarHandler`` (a minimx addition): a tqdm bar per epoch and the training curves.

    est.fit(train_loader, val_loader, epochs=5, event_handlers=[ProgressBarHandler(est)])

The bar shows the running loss and metrics and the throughput (samples/s); the handler keeps
each epoch's metric values in ``history`` and ``plot(filename)`` draws them with matplotlib.
"""
import time

from ....base import MXNetError
from .event_handler import BatchEnd, EpochBegin, EpochEnd, TrainBegin, TrainEnd

__all__ = ["ProgressBarHandler"]


class ProgressBarHandler(TrainBegin, EpochBegin, BatchEnd, EpochEnd, TrainEnd):
    """A progress bar per epoch (tqdm), and the per-epoch history of every metric.

    Parameters
    ----------
    estimator : Estimator
        Its training and validation metrics are shown and recorded.
    leave : bool, default True
        Keep each epoch's finished bar on screen.
    priority : float, default 1000
        After the metric and validation handlers (so the values are current), before logging.
    """

    def __init__(self, estimator, leave=True, priority=1000):
        self.train_metrics = estimator.train_metrics     # named *metric*: Estimator checks them
        self.val_metrics = estimator.val_metrics
        self.leave, self.priority = leave, priority
        self.history = {}          # metric name -> [value at the end of each epoch]
        self._bar = None

    def train_begin(self, estimator, *args, **kwargs):
        self.history = {m.name: [] for m in self.train_metrics + self.val_metrics}
        self.epoch = 0

    def epoch_begin(self, estimator, *args, **kwargs):
        try:
            from tqdm.auto import tqdm
        except ImportError as err:
            raise MXNetError("ProgressBarHandler needs tqdm: pip install tqdm") from err
        total = None
        if estimator.max_batch:
            total = estimator.max_batch
        self._bar = tqdm(total=total, desc=f"epoch {self.epoch}", unit="batch", leave=self.leave)
        self._start, self._samples = time.time(), 0

    def batch_end(self, estimator, *args, **kwargs):
        self._samples += kwargs["batch"][0].shape[0]
        speed = self._samples / max(time.time() - self._start, 1e-9)
        shown = {m.name.replace("training ", ""): "%.4f" % m.get()[1] for m in self.train_metrics}
        shown["samples/s"] = "%.0f" % speed
        self._bar.set_postfix(shown, refresh=False)
        self._bar.update(1)

    def epoch_end(self, estimator, *args, **kwargs):
        for m in self.train_metrics + self.val_metrics:
            self.history.setdefault(m.name, []).append(m.get()[1])
        if self._bar is not None:
            self._bar.close()
        self.epoch += 1

    def train_end(self, estimator, *args, **kwargs):
        if self._bar is not None:
            self._bar.close()

    def plot(self, filename="training_curves.png"):
        """Draw every recorded metric against the epoch (PNG); returns `filename`."""
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as err:
            raise MXNetError("ProgressBarHandler.plot needs matplotlib: pip install matplotlib") \
                from err
        names = sorted({n.split(" ", 1)[-1] for n in self.history})
        fig = Figure(figsize=(5 * len(names), 3.5))
        FigureCanvasAgg(fig)
        for i, name in enumerate(names):
            ax = fig.add_subplot(1, len(names), i + 1)
            for split in ("training", "validation"):
                values = self.history.get(f"{split} {name}", [])
                if values:
                    ax.plot(range(1, len(values) + 1), values, marker="o", label=split)
            ax.set_xlabel("epoch")
            ax.set_title(name)
            ax.legend()
        fig.tight_layout()
        fig.savefig(filename, dpi=100)
        return filename
