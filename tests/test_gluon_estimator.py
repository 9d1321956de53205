"""gluon.contrib.estimator: the log and the weights MXNet 1.9.1 gives for the same run, handlers,
errors, and minimx's progress bar and training curves."""
import os
import re
import warnings

import numpy as np
import pytest

import minimx as mx
from minimx.gluon.contrib import estimator as E

# What MXNet 1.9.1 logs for `_fit` below (times replaced by T).
MXNET_LOG = """\
Training begin: using optimizer SGD with current learning rate 0.5000 
Train for 3 epochs.
[Epoch 0] Begin, current learning rate: 0.5000
Model architecture(symbol file) is not saved, please use HybridBlock to construct your model, and call net.hybridize() before passing to Estimator in order to save model architecture as DIR/model-symbol.json.
[Epoch 0][Batch 0][Samples 10] time/interval: Ts training accuracy: 0.6000, training softmaxcrossentropyloss: 0.6931
[Epoch 0][Batch 2][Samples 30] time/interval: Ts training accuracy: 0.6333, training softmaxcrossentropyloss: 0.6241
Validation Begin
[Epoch 0] Finished in Ts, validation accuracy: 0.9250, validation softmaxcrossentropyloss: 0.4330
[Epoch 0] Finished in Ts, training accuracy: 0.7000, training softmaxcrossentropyloss: 0.5959
[Epoch 1] Begin, current learning rate: 0.5000
[Epoch 1][Batch 0][Samples 50] time/interval: Ts training accuracy: 0.8000, training softmaxcrossentropyloss: 0.4923
[Epoch 1][Batch 2][Samples 70] time/interval: Ts training accuracy: 0.9333, training softmaxcrossentropyloss: 0.4246
Validation Begin
[Epoch 0] Finished in Ts, validation accuracy: 0.9250, validation softmaxcrossentropyloss: 0.3461
[Epoch 1] Finished in Ts, training accuracy: 0.9250, training softmaxcrossentropyloss: 0.4093
[Epoch 2] Begin, current learning rate: 0.5000
[Epoch 2][Batch 0][Samples 90] time/interval: Ts training accuracy: 0.8000, training softmaxcrossentropyloss: 0.4150
[Epoch 2][Batch 2][Samples 110] time/interval: Ts training accuracy: 0.9333, training softmaxcrossentropyloss: 0.3472
Validation Begin
[Epoch 0] Finished in Ts, validation accuracy: 0.9250, validation softmaxcrossentropyloss: 0.2994
[Epoch 2] Finished in Ts, training accuracy: 0.9250, training softmaxcrossentropyloss: 0.3373
Train finished using total 0s with 3 epochs. training accuracy: 0.9250, training softmaxcrossentropyloss: 0.3373
"""
MXNET_WEIGHT = [[-0.92738, -0.00174, 0.06702, 0.25817, 0.06801],
                [1.12738, 0.20174, 0.13298, -0.05818, 0.13200]]


def _loaders():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    ds = mx.gluon.data.ArrayDataset(mx.nd.array(x), mx.nd.array(y))
    return mx.gluon.data.DataLoader(ds, batch_size=10), mx.gluon.data.DataLoader(ds, batch_size=20)


def _estimator():
    net = mx.gluon.nn.Dense(2, in_units=5)
    net.initialize(mx.init.Constant(0.1))
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    return E.Estimator(net, mx.gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer,
                       context=mx.cpu())     # the default is gpu(0) when there is one


def test_fit_logs_and_trains_as_mxnet(tmp_path, capsys):
    train, val = _loaders()
    est = _estimator()
    assert [m.name for m in est.train_metrics] == ["training accuracy",
                                                   "training softmaxcrossentropyloss"]
    assert [m.name for m in est.val_metrics] == ["validation accuracy",
                                                 "validation softmaxcrossentropyloss"]
    ckpt = E.CheckpointHandler(str(tmp_path), epoch_period=1, max_checkpoints=2)
    stop = E.EarlyStoppingHandler(est.val_metrics[1], mode="min", patience=1)
    log = E.LoggingHandler(log_interval=2, metrics=est.train_metrics)
    est.fit(train, val, epochs=3, event_handlers=[ckpt, stop, log])
    out = re.sub(r"\d+\.\d{3}s", "Ts", capsys.readouterr().out).replace(str(tmp_path), "DIR")
    assert out == MXNET_LOG
    assert sorted(os.listdir(tmp_path)) == ["model-epoch1batch8.params", "model-epoch1batch8.states",
                                            "model-epoch2batch12.params",
                                            "model-epoch2batch12.states"]
    np.testing.assert_allclose(est.net.weight.data().asnumpy(), MXNET_WEIGHT, atol=2e-5)


def test_batches_evaluate_and_early_stopping(capsys):
    train, val = _loaders()
    est = _estimator()
    est.fit(train, batches=3)
    out = capsys.readouterr().out
    assert "Train for 3 batches." in out and "with 1 epochs" in out
    est.evaluate(val)
    assert capsys.readouterr().out.startswith("Validation Begin\n[Epoch 0] Finished in")
    # a monitor that never improves (the training loss with mode='max') stops after patience
    stop = E.EarlyStoppingHandler(est.train_metrics[1], mode="max", patience=1)
    est.fit(train, epochs=10, event_handlers=[stop])
    assert stop.stop_training and stop.current_epoch < 10


def test_errors_as_mxnet():
    train, _ = _loaders()
    est = _estimator()
    with pytest.raises(ValueError, match="exactly one type of iteration"):
        est.fit(train, epochs=1, batches=1)
    with pytest.raises(ValueError, match="only support input as Gluon DataLoader"):
        est.fit([(1, 2)], epochs=1)
    with pytest.raises(ValueError, match="loss must be a Loss"):
        E.Estimator(mx.gluon.nn.Dense(2), "x")
    with pytest.raises(ValueError, match="Trainer must be a Gluon Trainer"):
        E.Estimator(est.net, est.loss, trainer="sgd")
    with pytest.raises(ValueError, match="outside of the known training and validation"):
        est.fit(train, epochs=1, event_handlers=[E.MetricHandler([mx.metric.Accuracy()])])
    with pytest.raises(ValueError, match="log_interval"):
        E.LoggingHandler(log_interval="batch")


def test_default_trainer_and_initialization_warn():
    net = mx.gluon.nn.Dense(2, in_units=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = E.Estimator(net, mx.gluon.loss.L2Loss(), context=mx.cpu())
    assert any("default SGD optimizer" in str(w.message) for w in caught)
    assert est.trainer.learning_rate == 0.001
    assert [m.name for m in est.train_metrics] == ["training l2loss"]


def test_progress_bar_and_curves(tmp_path, capsys):
    pytest.importorskip("tqdm")
    train, val = _loaders()
    est = _estimator()
    bar = E.ProgressBarHandler(est)
    est.fit(train, val, epochs=2, event_handlers=[bar])
    assert len(bar.history["training accuracy"]) == 2
    assert bar.history["validation softmaxcrossentropyloss"][-1] == pytest.approx(0.3461, abs=1e-4)
    err = capsys.readouterr().err
    assert "samples/s" in err and "epoch 1" in err
    pytest.importorskip("matplotlib")
    path = bar.plot(str(tmp_path / "curves.png"))
    with open(path, "rb") as f:
        assert f.read(4) == b"\x89PNG"
