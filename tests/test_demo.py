"""The README's main job: the LeNet demo on the bundled digits."""
import os
import subprocess
import sys

import minimx as mx
from minimx import demo
from minimx.gluon import nn


def test_demo_reaches_97_percent_and_saves_its_results(tmp_path):
    result = demo.train(epochs=10, out=str(tmp_path), verbose=False)
    assert result["test_acc"] >= 0.97, result["history"]["test_acc"]
    losses = result["history"]["loss"]
    assert losses[-1] < losses[0] / 5
    net = demo.lenet()
    net.load_parameters(result["params"])
    x = mx.nd.random.uniform(shape=(2, 1, 28, 28))
    assert (net(x) - result["net"](x)).abs().max().asscalar() < 1e-5
    if result.get("plot"):
        assert os.path.getsize(result["plot"]) > 1000


def test_demo_command_line_runs_hybridized_on_the_naive_engine(tmp_path):
    done = subprocess.run([sys.executable, "-m", "minimx.demo", "--epochs", "1", "--hybridize",
                           "--engine", "naive", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "test accuracy" in done.stdout
    assert (tmp_path / "lenet_digits.params").exists()


def test_demo_network_is_mxnet_lenet():
    net = demo.lenet()
    assert isinstance(net, nn.HybridSequential) and len(net) == 9
