"""mx.sym: graph building, names, listing, shape/type inference, JSON, running.

Expected names, shapes and JSON were recorded from real MXNet 1.9.1.
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx.ops import all_ops
from minimx.symbol.outputs import num_outputs
from op_inputs import draw_inputs

ROOT = Path(__file__).resolve().parents[1]


def test_generated_symbol_wrappers_are_up_to_date():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_sym_api.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_names_arguments_and_shapes_follow_mxnet():
    with mx.name.NameManager():
        d = mx.sym.var("data")
        fc = mx.sym.FullyConnected(d, num_hidden=8)
        act = mx.sym.Activation(fc, act_type="relu")
        c = mx.sym.Convolution(act.reshape((0, 2, 2, 2)), kernel=(2, 2), num_filter=3, no_bias=True)
        assert (fc.name, act.name) == ("fullyconnected0", "activation0")
        assert c.list_arguments() == ["data", "fullyconnected0_weight", "fullyconnected0_bias",
                                      "convolution0_weight"]
        assert c.infer_shape(data=(4, 5)) == ([(4, 5), (8, 5), (8,), (3, 2, 2, 2)],
                                              [(4, 3, 1, 1)], [])
        bn = mx.sym.BatchNorm(c, name="bn")
        assert bn.list_arguments()[-2:] == ["bn_gamma", "bn_beta"]
        assert bn.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
        assert bn.list_outputs() == ["bn_output"]
        arg_t, out_t, aux_t = bn.infer_type(data="float64")
        assert set(arg_t) == {np.float64} and out_t == [np.float64] and aux_t == [np.float64] * 2
        assert mx.sym.Group([fc, act]).list_outputs() == ["fullyconnected0_output",
                                                          "activation0_output"]
        s = mx.sym.split(d, num_outputs=2, axis=1)
        assert s.list_outputs() == ["split0_output0", "split0_output1"] and s[1].name == "split0"
        assert [(d * 2).name, (d + d).name, (2 - d).name, (d / 3).name, (d ** 2).name] == [
            "_mulscalar0", "_plus0", "_rminusscalar0", "_divscalar0", "_powerscalar0"]
        assert fc.get_internals().list_outputs() == ["data", "fullyconnected0_weight",
                                                     "fullyconnected0_bias",
                                                     "fullyconnected0_output"]


def test_json_is_written_as_mxnet_writes_it():
    with mx.name.NameManager():
        a, b = mx.sym.var("a"), mx.sym.var("b")
        text = (a + b * 2).tojson()
    assert '"op": "_mul_scalar", \n      "name": "_mulscalar0", \n      "attrs": {"scalar": "2"}' \
        in text
    assert '"op": "elemwise_add"' in text and '"heads": [[3, 0, 0]]' in text
    w = mx.sym.var("w", shape=(2, 3), dtype="float16", lr_mult=2).tojson()
    assert '"__dtype__": "2", \n        "__lr_mult__": "2", \n        "__shape__": "(2, 3)"' in w


@pytest.mark.parametrize("name", ["mlp", "lenet"])
def test_mxnet_json_round_trips_byte_for_byte(fixtures_dir, name):
    text = (fixtures_dir / f"{name}-symbol.json").read_text()
    assert mx.sym.fromjson(text).tojson() == text


def test_loaded_lenet_lists_and_infers_like_mxnet(fixtures_dir):
    s = mx.sym.load(str(fixtures_dir / "lenet-symbol.json"))
    assert s.list_auxiliary_states() == ["lenet_batchnorm0_running_mean",
                                         "lenet_batchnorm0_running_var"]
    assert s.list_outputs() == ["lenet_dense1_fwd_output"]
    assert len(s.get_internals().list_outputs()) == 24
    args, outs, aux = s.infer_shape(data=(2, 1, 28, 28))
    assert outs == [(2, 10)] and args[s.list_arguments().index("lenet_dense0_weight")] == (32, 400)


def test_eval_and_bind_compute_values_and_gradients():
    with mx.name.NameManager():
        fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=8)
    args = {"data": mx.nd.ones((2, 5)), "fullyconnected0_weight": mx.nd.ones((8, 5)),
            "fullyconnected0_bias": mx.nd.zeros((8,))}
    np.testing.assert_array_equal(fc.eval(**args)[0].asnumpy(), np.full((2, 8), 5.0))
    grads = {k: mx.nd.zeros(v.shape) for k, v in args.items()}
    ex = fc.bind(mx.cpu(), args, args_grad=grads)
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 8)))
    np.testing.assert_array_equal(ex.grad_dict["fullyconnected0_weight"].asnumpy(),
                                  np.full((8, 5), 2.0))
    np.testing.assert_array_equal(ex.grad_dict["data"].asnumpy(), np.full((2, 5), 8.0))
    ex2 = fc.simple_bind(mx.cpu(), data=(3, 5))
    assert ex2.arg_dict["fullyconnected0_weight"].shape == (8, 5)


def test_symbol_pitfalls_explain_themselves():
    x = mx.sym.var("x")
    with pytest.raises(mx.MXNetError, match="hybrid_forward"):
        x.shape
    with pytest.raises(mx.MXNetError, match="control flow"):
        bool(x > 0)
    with pytest.raises(mx.MXNetError, match="asnumpy"):
        x.asnumpy()


_MULTI_CASES = [(op, i) for op in all_ops() for i, _ in enumerate(op.domain.attrs)
                if op.kernel is not None]


@pytest.mark.parametrize("op,attrs_i", _MULTI_CASES,
                         ids=[f"{op.name}-{i}" for op, i in _MULTI_CASES])
@given(data=st.data())
@settings(max_examples=1, deadline=None)
def test_output_count_table_agrees_with_the_shape_rules(op, attrs_i, data):
    dtype = op.domain.dtypes[0]
    raw = dict(op.domain.attrs[attrs_i])
    if not op.inputs and any(p.name == "dtype" for p in op.params):
        raw.setdefault("dtype", dtype)
    inputs = draw_inputs(data, op, dtype, raw)
    if op.key_var_num_args:
        raw[op.key_var_num_args] = len(inputs)
    attrs = op.parse(raw)
    shapes = op.shape(attrs, *[x.shape for x in inputs])
    computed = len(shapes) if isinstance(shapes, list) else 1
    visible = op.num_visible(attrs) if op.num_visible else computed
    assert num_outputs(op, attrs) == visible


def test_attr_scope_and_attributes_follow_mxnet():
    with mx.AttrScope(ctx_group="dev1"):
        v = mx.sym.var("v")
        w = v * 2
    assert v.list_attr() == {"__ctx_group__": "dev1", "ctx_group": "dev1"}
    assert w.list_attr() == {"scalar": "2", "__ctx_group__": "dev1", "ctx_group": "dev1"}
    assert w.attr("ctx_group") == "dev1"
    assert mx.sym.var("a", attr={"mood": "angry"}).list_attr() == {"mood": "angry"}
    with pytest.raises(mx.MXNetError, match="foo"):
        with mx.AttrScope(foo="bar"):
            mx.sym.var("q") * 2


def test_compose_replaces_variables():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    net = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    composed = net(x=mx.sym.Activation(y, act_type="relu", name="act"))
    assert composed.list_arguments() == ["y", "fc_weight", "fc_bias"] and composed.name == "fc"
    assert net.list_arguments() == ["x", "fc_weight", "fc_bias"]


def test_a_multi_output_symbol_of_one_node_has_that_nodes_name():
    # MXNet 1.9.1: split's symbol is <Symbol split0> with .name 'split0'; so is a Group of its
    # outputs; a group of several nodes has no name.
    s = mx.sym.split(mx.sym.var("x"), num_outputs=3, name="split0")
    assert s.name == "split0" and repr(s) == "<Symbol split0>"
    assert mx.sym.Group([s[0], s[1]]).name == "split0" and s[1].name == "split0"
    g = mx.sym.Group([mx.sym.var("a") + 1, mx.sym.var("b") * 2])
    assert g.name is None and repr(g).startswith("<Symbol group [")
