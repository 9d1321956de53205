"""mx.viz: print_summary prints exactly what MXNet 1.9.1 prints (recorded in tests/fixtures/)."""
from pathlib import Path

import pytest

import minimx as mx

HERE = Path(__file__).resolve().parent / "fixtures"


def test_lenet_summary_matches_mxnet(fixtures_dir, capsys):
    s = mx.sym.load(str(fixtures_dir / "lenet-symbol.json"))
    mx.viz.print_summary(s, shape={"data": (1, 1, 28, 28)})
    assert capsys.readouterr().out == (HERE / "viz_lenet_summary_mxnet.txt").read_text()


def test_branching_summary_with_and_without_shapes_matches_mxnet(capsys):
    with mx.name.NameManager():
        d = mx.sym.var("data")
        a = mx.sym.FullyConnected(d, num_hidden=4, name="fc1")
        b = mx.sym.FullyConnected(d, num_hidden=4, name="fc2", no_bias=True)
        e = mx.sym.BatchNorm(mx.sym.Activation(a + b, act_type="relu", name="act"), name="bn")
    mx.viz.print_summary(e, shape={"data": (2, 3)})
    mx.viz.print_summary(e)
    assert capsys.readouterr().out == (HERE / "viz_residual_summary_mxnet.txt").read_text()


def test_plot_network_explains_a_missing_graphviz_or_draws():
    s = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")
    try:
        import graphviz  # noqa: F401
    except ImportError:
        with pytest.raises(mx.MXNetError, match="pip install graphviz"):
            mx.viz.plot_network(s)
        return
    dot = mx.viz.plot_network(s, shape={"data": (1, 3)})
    assert "FullyConnected" in dot.source
