"""Bad input to gluon (issue 10, item 2): every nn layer, every loss, Parameter/Block and Trainer.

Each row is one mistake a user makes: the call, the exception it must raise and words its
message must contain (the layer or function, the argument, what was given, what is expected).
The exception is MXNetError or the Python error MXNet 1.9.1 raises for the same call (recorded
by running each call in MXNet); ``both(A, B)`` means one error that is both, so that code written
for MXNet (``except AssertionError``) and for minimx (``except MXNetError``) each catch it.

A hypothesis test at the end fuzzes the layer constructors' arguments and the input shapes.
"""
import os
import signal
import tempfile
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx import autograd, gluon, nd
from minimx.base import MXNetError
from minimx.gluon import nn
from bad_input_table import both, check_bad_input, row

L = gluon.loss
E = MXNetError
TMP = tempfile.mkdtemp(prefix="minimx_bad_input_")   # files the Block rows save and load


def run(layer, *xs):
    """Initialize ``layer`` and run it once (the way a first training step does)."""
    layer.initialize()
    out = layer(*xs)
    mx.nd.waitall()
    return out


def x(*shape, **kw):
    return nd.ones(shape, **kw)


def train_run(layer, *xs):
    """`run` in training mode (inside autograd.record())."""
    with autograd.record():
        return run(layer, *xs)


def hybrid_run(layer, *xs):
    layer.initialize()
    layer.hybridize()
    out = layer(*xs)
    mx.nd.waitall()
    return out


def trained_dense():
    """A Dense(2) on 3 inputs with gradients from one backward pass, and its Trainer."""
    net = nn.Dense(2, in_units=3)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    with autograd.record():
        y = net(x(2, 3))
    y.backward()
    return net, trainer


LAYER_ROWS = [
    # ---- Dense ----
    row("nn.Dense", "in_units_mismatch", lambda: run(nn.Dense(4, in_units=5), x(2, 3)), E,
        "FullyConnected", "(4, 5)", "(2, 3)", "(4, 3)"),
    row("nn.Dense", "second_call_other_width", lambda: (lambda d: (run(d, x(2, 3)), d(x(2, 5))))(
        nn.Dense(4)), E, "FullyConnected", "(2, 5)", "must be (4, 5)"),
    row("nn.Dense", "flatten_false_mismatch",
        lambda: run(nn.Dense(4, flatten=False, in_units=3), x(2, 5)), E,
        "weight", "(4, 3)", "(2, 5)"),
    row("nn.Dense", "negative_units", lambda: run(nn.Dense(-1), x(2, 3)), both(E, ValueError),
        "dense", "(-1, 3)", "negative", "units"),
    # (use_bias=False: a 4 GiB bias would be allocated before the weight fails)
    row("nn.Dense", "huge_weight",
        lambda: nn.Dense(1 << 30, in_units=1 << 30, use_bias=False).initialize(),
        both(E, MemoryError), "dense", "weight", "(1073741824, 1073741824)", "GiB", "units"),
    row("nn.Dense", "weight_past_address_space",
        lambda: nn.Dense(1 << 40, in_units=1 << 30, use_bias=False).initialize(),
        both(E, MemoryError), "weight", "GiB"),
    row("nn.Dense", "deferred_huge_weight",
        lambda: run(nn.Dense(1 << 30, use_bias=False), x(2, 1 << 12)),
        both(E, MemoryError), "weight", "(1073741824, 4096)", "GiB"),
    row("nn.Dense", "units_str", lambda: run(nn.Dense("a"), x(2, 3)), TypeError, "str"),
    row("nn.Dense", "bad_activation", lambda: run(nn.Dense(4, activation="foo"), x(2, 3)), E,
        "Activation", "act_type", "relu", "'foo'"),
    row("nn.Dense", "bad_dtype", lambda: run(nn.Dense(4, dtype="float17"), x(2, 3)),
        both(E, TypeError), "float17", "float32"),
    row("nn.Dense", "int32_params", lambda: run(nn.Dense(2, dtype="int32"), x(2, 3)), E,
        "dtype", "int32", "float32"),
    row("nn.Dense", "unknown_kwarg", lambda: nn.Dense(4, unit=3), TypeError, "unit"),
    row("nn.Dense", "int_input", lambda: run(nn.Dense(4, in_units=3), x(2, 3, dtype="int32")), E,
        "FullyConnected", "dtype", "int32", "float32"),
    row("nn.Dense", "float64_input", lambda: run(nn.Dense(4, in_units=3), x(2, 3, dtype="float64")),
        E, "dtype", "float64", "float32"),
    row("nn.Dense", "mixed_context", lambda: (lambda d: (d.initialize(ctx=mx.cpu(0)),
                                                         d(x(2, 3, ctx=mx.cpu(1)))))(
        nn.Dense(4, in_units=3)), E, "dense", "cpu(1)", "cpu(0)"),
    row("nn.Dense", "not_initialized", lambda: nn.Dense(4, in_units=3)(x(2, 3)), E,
        "dense", "not been initialized", "initialize()"),
    row("nn.Dense", "numpy_input", lambda: run(nn.Dense(4), np.ones((2, 3))), (E, ValueError),
        "NDArray"),
    row("nn.Dense", "none_input", lambda: run(nn.Dense(4), None), (E, ValueError), "NDArray"),
    row("nn.Dense", "hybridized_other_width", lambda: (lambda d: (hybrid_run(d, x(2, 3)),
                                                                  d(x(2, 5))))(
        nn.Dense(2, in_units=3)), E, "(2, 5)", "(2, 3)"),
    row("nn.Dense", "missing_input", lambda: run(nn.Dense(2)), TypeError, "x"),
    # ---- Dropout ----
    row("nn.Dropout", "rate_above_1", lambda: run(nn.Dropout(1.5), x(2, 3)), E,
        "Dropout", "p", "[0, 1]", "1.5"),
    row("nn.Dropout", "rate_str", lambda: run(nn.Dropout("a"), x(2, 3)), TypeError, "str"),
    row("nn.Dropout", "axes_out_of_range", lambda: train_run(nn.Dropout(0.5, axes=(5,)), x(2, 3)),
        E, "Dropout", "axes", "5", "2-d"),
    # ---- activations ----
    row("nn.Activation", "unknown", lambda: run(nn.Activation("foo"), x(2, 3)), E,
        "Activation", "act_type", "'foo'", "'relu'", "'tanh'"),
    row("nn.Activation", "none", lambda: run(nn.Activation(None), x(2, 3)), E,
        "act_type", "None", "'sigmoid'"),
    row("nn.Activation", "numpy_input", lambda: run(nn.Activation("relu"), np.ones(3)),
        (E, ValueError), "NDArray"),
    row("nn.LeakyReLU", "negative_alpha", lambda: nn.LeakyReLU(-1), both(E, AssertionError),
        "LeakyReLU", "alpha", ">= 0", "-1"),
    row("nn.LeakyReLU", "alpha_str", lambda: nn.LeakyReLU("a"), TypeError, "str"),
    row("nn.PReLU", "in_channels_mismatch", lambda: run(nn.PReLU(in_channels=4), x(2, 3)), E,
        "LeakyReLU", "gamma", "(4,)", "(2, 3)"),
    row("nn.PReLU", "unknown_initializer", lambda: run(nn.PReLU(alpha_initializer="no_such"),
                                                       x(2, 3)), AssertionError, "no_such",
        "not registered"),
    row("nn.ELU", "alpha_str", lambda: run(nn.ELU("a"), x(2, 3)), E, "LeakyReLU", "slope", "'a'"),
    row("nn.ELU", "numpy_input", lambda: run(nn.ELU(), np.ones(3)), (E, ValueError), "NDArray",
        ),
    row("nn.SELU", "unknown_kwarg", lambda: nn.SELU(alpha=1), TypeError, "alpha"),
    row("nn.GELU", "unknown_kwarg", lambda: nn.GELU(approximation="foo"), TypeError,
        "approximation"),
    row("nn.Swish", "beta_str", lambda: run(nn.Swish("a"), x(2, 3)), TypeError, "str"),
    # ---- normalization ----
    row("nn.BatchNorm", "axis_out_of_range", lambda: run(nn.BatchNorm(axis=5), x(2, 3, 4, 4)), E,
        "BatchNorm", "axis 5", "(2, 3, 4, 4)", "[-4, 3]"),
    row("nn.BatchNorm", "1d_input", lambda: run(nn.BatchNorm(), x(3)), E,
        "BatchNorm", "axis 1", "(3,)"),
    row("nn.BatchNorm", "in_channels_mismatch", lambda: run(nn.BatchNorm(in_channels=5),
                                                            x(2, 3, 4, 4)), E,
        "BatchNorm", "gamma", "(5,)", "(3,)"),
    row("nn.BatchNorm", "momentum_str", lambda: run(nn.BatchNorm(momentum="a"), x(2, 3)), E,
        "BatchNorm", "momentum", "'a'"),
    row("nn.BatchNorm", "unknown_kwarg", lambda: nn.BatchNorm(eps=1e-5), TypeError, "eps"),
    row("nn.InstanceNorm", "axis_out_of_range", lambda: run(nn.InstanceNorm(axis=5), x(2, 3, 4)),
        E, "InstanceNorm", "axis 5", "(2, 3, 4)"),
    row("nn.InstanceNorm", "2d_input", lambda: run(nn.InstanceNorm(), x(2, 3)), E,
        "InstanceNorm", "3 axes", "(2, 3)"),
    row("nn.InstanceNorm", "in_channels_mismatch", lambda: run(nn.InstanceNorm(in_channels=5),
                                                               x(2, 3, 4)), E,
        "InstanceNorm", "gamma", "(5,)", "(3,)"),
    row("nn.InstanceNorm", "epsilon_str", lambda: run(nn.InstanceNorm(epsilon="a"), x(2, 2, 3)), E,
        "InstanceNorm", "eps", "'a'"),
    row("nn.LayerNorm", "axis_out_of_range", lambda: run(nn.LayerNorm(axis=5), x(2, 3)), E,
        "LayerNorm", "axis 5", "(2, 3)", "[-2, 1]"),
    row("nn.LayerNorm", "in_channels_mismatch", lambda: run(nn.LayerNorm(in_channels=5), x(2, 3)),
        E, "LayerNorm", "gamma", "(5,)", "(3,)"),
    row("nn.LayerNorm", "epsilon_str", lambda: run(nn.LayerNorm(epsilon="a"), x(2, 3)), E,
        "LayerNorm", "eps", "'a'"),
    row("nn.GroupNorm", "groups_do_not_divide", lambda: run(nn.GroupNorm(num_groups=2),
                                                            x(2, 3, 4, 4)), E,
        "GroupNorm", "3 channels", "num_groups=2"),
    row("nn.GroupNorm", "zero_groups", lambda: run(nn.GroupNorm(num_groups=0), x(2, 3, 4, 4)), E,
        "GroupNorm", "num_groups=0"),
    row("nn.GroupNorm", "1d_input", lambda: run(nn.GroupNorm(num_groups=1), x(3)), E,
        "GroupNorm", "3 axes", "(3,)"),
    # ---- Embedding, Flatten, Lambda ----
    row("nn.Embedding", "zero_output_dim", lambda: run(nn.Embedding(10, 0), nd.array([1, 2])),
        both(E, ValueError), "embedding0_weight", "(10, 0)", "output_dim"),
    row("nn.Embedding", "huge_table", lambda: nn.Embedding(1 << 40, 1 << 20).initialize(),
        both(E, MemoryError), "embedding", "weight", "(1099511627776, 1048576)", "input_dim"),
    row("nn.Embedding", "missing_output_dim", lambda: nn.Embedding(10), TypeError, "output_dim"),
    row("nn.Embedding", "input_dim_str", lambda: run(nn.Embedding("a", 3), nd.array([1])),
        TypeError, "str"),
    row("nn.Embedding", "sparse_grad", lambda: nn.Embedding(10, 3, sparse_grad=True), E,
        "Embedding", "sparse_grad", "sparse_grad=False"),
    row("nn.Flatten", "positional_argument", lambda: nn.Flatten(3), TypeError, "positional"),
    row("nn.Lambda", "unknown_op_name", lambda: nn.Lambda("no_such_op"), both(E, AssertionError),
        "Lambda", "'no_such_op'", "mx.nd"),
    row("nn.Lambda", "not_callable", lambda: nn.Lambda(3), ValueError, "3", "int"),
    row("nn.HybridLambda", "unknown_op_name", lambda: nn.HybridLambda("no_such_op"),
        both(E, AssertionError), "HybridLambda", "'no_such_op'"),
    row("nn.HybridLambda", "not_callable", lambda: nn.HybridLambda(3), ValueError, "3", "int"),
    # ---- convolutions ----
    row("nn.Conv1D", "4d_input", lambda: run(nn.Conv1D(4, 3), x(2, 3, 8, 8)), E,
        "Conv1D", "3-d input", "(2, 3, 8, 8)", "NCW"),
    row("nn.Conv1D", "kernel_too_big", lambda: run(nn.Conv1D(4, 9), x(2, 3, 8)), E,
        "Convolution", "kernel", "9", "8"),
    row("nn.Conv2D", "3d_input", lambda: run(nn.Conv2D(4, 3), x(2, 3, 8)), E,
        "Conv2D", "4-d input", "(2, 3, 8)", "NCHW"),
    row("nn.Conv2D", "kernel_too_big", lambda: run(nn.Conv2D(4, 9), x(2, 3, 8, 8)), E,
        "Convolution", "kernel", "9", "(2, 3, 8, 8)"),
    row("nn.Conv2D", "in_channels_mismatch", lambda: run(nn.Conv2D(4, 3, in_channels=5),
                                                         x(2, 3, 8, 8)), E,
        "Conv2D", "5 input channels", "(2, 3, 8, 8)", "in_channels"),
    row("nn.Conv2D", "kernel_3_ints", lambda: nn.Conv2D(4, (3, 3, 3)), both(E, AssertionError),
        "Conv2D", "kernel_size", "2 ints", "(3, 3, 3)"),
    row("nn.Conv2D", "kernel_str", lambda: nn.Conv2D(4, "a"), both(E, AssertionError),
        "Conv2D", "kernel_size", "'a'"),
    row("nn.Conv2D", "strides_3_ints", lambda: nn.Conv2D(4, 3, strides=(1, 1, 1)), E,
        "Conv2D", "strides", "2 ints", "(1, 1, 1)"),
    row("nn.Conv2D", "padding_3_ints", lambda: nn.Conv2D(4, 3, padding=(1, 1, 1)), E,
        "Conv2D", "padding", "(1, 1, 1)"),
    row("nn.Conv2D", "zero_kernel", lambda: run(nn.Conv2D(4, 0), x(2, 3, 8, 8)), E,
        "conv", "(4, 3, 0, 0)"),
    row("nn.Conv2D", "zero_stride", lambda: run(nn.Conv2D(4, 3, strides=0), x(2, 3, 8, 8)), E,
        "Convolution", "stride", "(0, 0)", "positive"),
    row("nn.Conv2D", "zero_channels", lambda: run(nn.Conv2D(0, 3), x(2, 3, 8, 8)), E,
        "(0, 3, 3, 3)", "channels"),
    row("nn.Conv2D", "negative_padding", lambda: run(nn.Conv2D(4, 3, padding=-1), x(2, 3, 8, 8)),
        E, "Convolution", "pad", "(-1, -1)", "non-negative"),
    row("nn.Conv2D", "zero_dilation", lambda: run(nn.Conv2D(4, 3, dilation=0), x(2, 3, 8, 8)), E,
        "Convolution", "dilate", "(0, 0)", "positive"),
    row("nn.Conv2D", "groups_do_not_divide", lambda: run(nn.Conv2D(4, 3, groups=2),
                                                         x(2, 3, 8, 8)), E,
        "Conv2D", "3", "2 groups"),
    row("nn.Conv2D", "1d_layout", lambda: nn.Conv2D(4, 3, layout="NCW"), both(E, AssertionError),
        "Conv2D", "'NCW'", "'NCHW'"),
    row("nn.Conv2D", "unknown_layout", lambda: nn.Conv2D(4, 3, layout="XYZW"),
        both(E, AssertionError), "Conv2D", "'XYZW'", "'NHWC'"),
    row("nn.Conv2D", "bad_activation", lambda: run(nn.Conv2D(4, 3, activation="foo"),
                                                   x(2, 3, 8, 8)), E, "act_type", "'foo'"),
    row("nn.Conv2D", "unknown_kwarg", lambda: nn.Conv2D(4, 3, stride=2), TypeError, "stride"),
    row("nn.Conv2D", "mixed_context", lambda: (lambda c: (c.initialize(ctx=mx.cpu(0)),
                                                          c(x(2, 3, 8, 8, ctx=mx.cpu(1)))))(
        nn.Conv2D(4, 3, in_channels=3)), E, "conv", "cpu(1)", "cpu(0)"),
    row("nn.Conv2D", "int_input", lambda: run(nn.Conv2D(4, 3, in_channels=3),
                                              x(2, 3, 8, 8, dtype="int32")), E,
        "Convolution", "dtype", "int32", "float32"),
    row("nn.Conv2D", "hybridized_3d_input", lambda: hybrid_run(nn.Conv2D(2, 3, in_channels=3),
                                                               x(2, 3, 8)), E,
        "Conv2D", "4-d", "(2, 3, 8)"),
    row("nn.Conv3D", "4d_input", lambda: run(nn.Conv3D(4, 3), x(2, 3, 8, 8)), E,
        "Conv3D", "5-d input", "(2, 3, 8, 8)", "NCDHW"),
    row("nn.Conv3D", "kernel_too_big", lambda: run(nn.Conv3D(4, 9), x(2, 3, 8, 8, 8)), E,
        "Convolution", "kernel", "9"),
    row("nn.Conv1DTranspose", "4d_input", lambda: run(nn.Conv1DTranspose(4, 3), x(2, 3, 8, 8)), E,
        "Conv1DTranspose", "3-d input", "(2, 3, 8, 8)"),
    row("nn.Conv2DTranspose", "3d_input", lambda: run(nn.Conv2DTranspose(4, 3), x(2, 3, 8)), E,
        "Conv2DTranspose", "4-d input", "(2, 3, 8)"),
    row("nn.Conv2DTranspose", "in_channels_mismatch", lambda: run(
        nn.Conv2DTranspose(4, 3, in_channels=5), x(2, 3, 8, 8)), E,
        "Conv2DTranspose", "5 input channels", "(2, 3, 8, 8)"),
    row("nn.Conv2DTranspose", "output_padding_too_big", lambda: run(
        nn.Conv2DTranspose(4, 3, output_padding=3), x(2, 3, 8, 8)), E,
        "Deconvolution", "adj", "(3, 3)", "stride"),
    row("nn.Conv2DTranspose", "kernel_3_ints", lambda: nn.Conv2DTranspose(4, (3, 3, 3)),
        both(E, AssertionError), "Conv2DTranspose", "kernel_size", "(3, 3, 3)"),
    row("nn.Conv3DTranspose", "4d_input", lambda: run(nn.Conv3DTranspose(4, 3), x(2, 3, 8, 8)), E,
        "Conv3DTranspose", "5-d input", "(2, 3, 8, 8)"),
    # ---- pooling ----
    row("nn.MaxPool1D", "4d_input", lambda: run(nn.MaxPool1D(), x(2, 3, 8, 8)), E,
        "MaxPool1D", "3-d input", "(2, 3, 8, 8)"),
    row("nn.MaxPool2D", "3d_input", lambda: run(nn.MaxPool2D(), x(2, 3, 8)), E,
        "MaxPool2D", "4-d input", "(2, 3, 8)"),
    row("nn.MaxPool2D", "window_too_big", lambda: run(nn.MaxPool2D(pool_size=9), x(2, 3, 8, 8)), E,
        "Pooling", "kernel", "9", "8"),
    row("nn.MaxPool2D", "pool_size_3_ints", lambda: nn.MaxPool2D(pool_size=(2, 2, 2)),
        both(E, AssertionError), "MaxPool2D", "pool_size", "2 ints", "(2, 2, 2)"),
    row("nn.MaxPool2D", "pool_size_str", lambda: nn.MaxPool2D(pool_size="a"),
        both(E, AssertionError), "MaxPool2D", "pool_size", "'a'"),
    row("nn.MaxPool2D", "zero_stride", lambda: run(nn.MaxPool2D(strides=0), x(2, 3, 8, 8)), E,
        "Pooling", "stride", "(0, 0)", "positive"),
    row("nn.MaxPool2D", "zero_pool_size", lambda: run(nn.MaxPool2D(pool_size=0), x(2, 3, 8, 8)), E,
        "Pooling", "kernel", "(0, 0)", "positive"),
    row("nn.MaxPool2D", "1d_layout", lambda: nn.MaxPool2D(layout="NCW"), both(E, AssertionError),
        "MaxPool2D", "'NCW'", "'NCHW'"),
    row("nn.MaxPool2D", "unknown_kwarg", lambda: nn.MaxPool2D(kernel=2), TypeError, "kernel"),
    row("nn.MaxPool3D", "4d_input", lambda: run(nn.MaxPool3D(), x(2, 3, 8, 8)), E,
        "MaxPool3D", "5-d input", "(2, 3, 8, 8)"),
    row("nn.AvgPool1D", "4d_input", lambda: run(nn.AvgPool1D(), x(2, 3, 8, 8)), E,
        "AvgPool1D", "3-d input", "(2, 3, 8, 8)"),
    row("nn.AvgPool2D", "3d_input", lambda: run(nn.AvgPool2D(), x(2, 3, 8)), E,
        "AvgPool2D", "4-d input", "(2, 3, 8)"),
    row("nn.AvgPool3D", "4d_input", lambda: run(nn.AvgPool3D(), x(2, 3, 8, 8)), E,
        "AvgPool3D", "5-d input", "(2, 3, 8, 8)"),
    row("nn.GlobalMaxPool1D", "2d_input", lambda: run(nn.GlobalMaxPool1D(), x(2, 3)), E,
        "GlobalMaxPool1D", "3-d to 5-d", "(2, 3)"),
    row("nn.GlobalMaxPool2D", "2d_input", lambda: run(nn.GlobalMaxPool2D(), x(2, 3)), E,
        "GlobalMaxPool2D", "3-d to 5-d", "(2, 3)"),
    row("nn.GlobalMaxPool3D", "2d_layout", lambda: nn.GlobalMaxPool3D(layout="NCHW"),
        both(E, AssertionError), "GlobalMaxPool3D", "'NCHW'", "'NCDHW'"),
    row("nn.GlobalAvgPool1D", "2d_layout", lambda: nn.GlobalAvgPool1D(layout="NCHW"),
        both(E, AssertionError), "GlobalAvgPool1D", "'NCHW'", "'NCW'"),
    row("nn.GlobalAvgPool2D", "2d_input", lambda: run(nn.GlobalAvgPool2D(), x(2, 3)), E,
        "GlobalAvgPool2D", "3-d to 5-d", "(2, 3)"),
    row("nn.GlobalAvgPool2D", "1d_layout", lambda: nn.GlobalAvgPool2D(layout="NCW"),
        both(E, AssertionError), "GlobalAvgPool2D", "'NCW'", "'NCHW'"),
    row("nn.GlobalAvgPool3D", "1d_input", lambda: run(nn.GlobalAvgPool3D(), x(3)), E,
        "GlobalAvgPool3D", "3-d to 5-d", "(3,)"),
    row("nn.ReflectionPad2D", "3d_input", lambda: run(nn.ReflectionPad2D(1), x(2, 3, 8)), E,
        "ReflectionPad2D", "4-d input", "(2, 3, 8)"),
    row("nn.ReflectionPad2D", "padding_too_big", lambda: run(nn.ReflectionPad2D(9), x(2, 3, 8, 8)),
        E, "Pad", "reflect", "9", "(8, 8)"),
    row("nn.ReflectionPad2D", "negative_padding", lambda: run(nn.ReflectionPad2D(-1),
                                                              x(2, 3, 8, 8)), E,
        "Pad", "pad_width", "negative"),
    row("nn.ReflectionPad2D", "padding_3_ints", lambda: nn.ReflectionPad2D((1, 1, 1)), E,
        "ReflectionPad2D", "padding", "8 ints", "(1, 1, 1)"),
    # ---- containers and SymbolBlock ----
    row("nn.HybridSequential", "add_plain_block", lambda: nn.HybridSequential().add(
        nn.Lambda(lambda v: v)), (E, ValueError), "HybridBlock", "Lambda", "HybridSequential"),
    row("nn.HybridSequential", "add_int", lambda: nn.HybridSequential().add(3), (E, ValueError),
        "HybridBlock", "3", "int"),
    row("nn.Sequential", "index_out_of_range", lambda: (lambda s: (s.add(nn.Dense(2)), s[5]))(
        nn.Sequential()), IndexError, "out of range"),
    row("nn.Sequential", "child_not_a_block", lambda: (lambda s: (s.add(nn.Dense(2), 3),
                                                                  s.initialize()))(
        nn.Sequential()), AttributeError, "int", "collect_params"),
    row("nn.SymbolBlock", "outputs_not_symbol", lambda: gluon.SymbolBlock(3, mx.sym.var("data")),
        (E, ValueError), "output", "int"),
    row("nn.SymbolBlock", "inputs_not_symbol", lambda: gluon.SymbolBlock(
        mx.sym.relu(mx.sym.var("data")), 3), (E, ValueError), "input", "int"),
    row("nn.SymbolBlock", "imports_missing_file", lambda: gluon.SymbolBlock.imports(
        "/nonexistent-symbol.json", ["data"]), E, "/nonexistent-symbol.json", "no such file"),
]


# ---- the same three mistakes for every layer with Parameters: input on another context than
# the Parameters, int32 input to float32 Parameters, float64 input to float32 Parameters ----------
PARAM_LAYERS = {   # name: (constructor, a valid input shape, op named in dtype errors)
    "Dense": (lambda: nn.Dense(4, in_units=3), (2, 3), "FullyConnected"),
    "Conv1D": (lambda: nn.Conv1D(4, 3, in_channels=3), (2, 3, 8), "Convolution"),
    "Conv2D": (lambda: nn.Conv2D(4, 3, in_channels=3), (2, 3, 8, 8), "Convolution"),
    "Conv3D": (lambda: nn.Conv3D(4, 3, in_channels=3), (2, 3, 6, 6, 6), "Convolution"),
    "Conv1DTranspose": (lambda: nn.Conv1DTranspose(4, 3, in_channels=3), (2, 3, 8),
                        "Deconvolution"),
    "Conv2DTranspose": (lambda: nn.Conv2DTranspose(4, 3, in_channels=3), (2, 3, 8, 8),
                        "Deconvolution"),
    "Conv3DTranspose": (lambda: nn.Conv3DTranspose(4, 3, in_channels=3), (2, 3, 4, 4, 4),
                        "Deconvolution"),
    "BatchNorm": (lambda: nn.BatchNorm(in_channels=3), (2, 3, 4), "BatchNorm"),
    "InstanceNorm": (lambda: nn.InstanceNorm(in_channels=3), (2, 3, 4), "InstanceNorm"),
    "LayerNorm": (lambda: nn.LayerNorm(in_channels=4), (2, 3, 4), "LayerNorm"),
    "GroupNorm": (lambda: nn.GroupNorm(num_groups=1), (2, 3, 4), "GroupNorm"),
    "PReLU": (lambda: nn.PReLU(in_channels=3), (2, 3, 4), "LeakyReLU"),
    "Embedding": (lambda: nn.Embedding(10, 3), (2, 3), None),   # any dtype indexes
}


def _on_cpu0(make, data):
    layer = make()
    layer.initialize(ctx=mx.cpu(0))
    layer(data)


for _name, (_make, _shape, _op) in PARAM_LAYERS.items():
    LAYER_ROWS.append(row(f"nn.{_name}", "input_on_other_context",
                          lambda m=_make, s=_shape: _on_cpu0(m, x(*s, ctx=mx.cpu(1))),
                          (E, RuntimeError), "parameter '", "cpu(1)", "cpu(0)"))
    if _op is not None:
        LAYER_ROWS.append(row(f"nn.{_name}", "int32_input",
                              lambda m=_make, s=_shape: _on_cpu0(m, x(*s, dtype="int32")), E,
                              _op, "int32"))
        LAYER_ROWS.append(row(f"nn.{_name}", "float64_input",
                              lambda m=_make, s=_shape: _on_cpu0(m, x(*s, dtype="float64")), E,
                              _op, "float64", "float32"))

# ---- every layer refuses an argument it does not have (a TypeError naming it, as in MXNet) ----
CONSTRUCTORS = {
    "Dense": lambda **kw: nn.Dense(2, **kw), "Dropout": lambda **kw: nn.Dropout(0.5, **kw),
    "Activation": lambda **kw: nn.Activation("relu", **kw),
    "LeakyReLU": lambda **kw: nn.LeakyReLU(0.1, **kw), "PReLU": nn.PReLU, "ELU": nn.ELU,
    "SELU": nn.SELU, "GELU": nn.GELU, "Swish": nn.Swish, "BatchNorm": nn.BatchNorm,
    "InstanceNorm": nn.InstanceNorm, "LayerNorm": nn.LayerNorm, "GroupNorm": nn.GroupNorm,
    "Embedding": lambda **kw: nn.Embedding(10, 3, **kw), "Flatten": nn.Flatten,
    "Lambda": lambda **kw: nn.Lambda("tanh", **kw),
    "HybridLambda": lambda **kw: nn.HybridLambda("tanh", **kw),
    "Sequential": nn.Sequential, "HybridSequential": nn.HybridSequential,
    "ReflectionPad2D": nn.ReflectionPad2D,
}
for _dims in (1, 2, 3):
    for _kind in ("Conv", "Conv_Transpose"):
        _cls = getattr(nn, _kind.replace("_", f"{_dims}D") if "_" in _kind else f"Conv{_dims}D")
        CONSTRUCTORS[_cls.__name__] = lambda c=_cls, **kw: c(4, 3, **kw)
    for _kind in ("MaxPool", "AvgPool", "GlobalMaxPool", "GlobalAvgPool"):
        CONSTRUCTORS[f"{_kind}{_dims}D"] = getattr(nn, f"{_kind}{_dims}D")
for _name, _make in CONSTRUCTORS.items():
    LAYER_ROWS.append(row(f"nn.{_name}", "unknown_argument",
                          lambda m=_make: m(no_such_arg=1), TypeError, "no_such_arg"))

# ---- every pooling layer refuses an input of the wrong rank ----
for _dims in (1, 2, 3):
    for _kind in ("MaxPool", "AvgPool"):
        _name = f"{_kind}{_dims}D"
        LAYER_ROWS.append(row(f"nn.{_name}", "2d_input",
                              lambda c=getattr(nn, _name): run(c(), x(2, 3)), E,
                              _name, f"{_dims + 2}-d input", "(2, 3)"))


def _saved(name, **dense_kw):
    """The path of a file that a Dense(2, in_units=3) saved its parameters to."""
    path = name if os.path.isabs(name) else os.path.join(TMP, name)
    net = nn.Dense(2, in_units=3, **dense_kw)
    net.initialize()
    net.save_parameters(path)
    return path


def _param(**kw):
    return gluon.Parameter("w", **kw)


BLOCK_PARAM_ROWS = [
    row("Block", "load_missing_file", lambda: nn.Dense(2).load_parameters(
        "/nonexistent/file.params"), E, "/nonexistent/file.params", "no such file"),
    row("Block", "load_other_shape", lambda: nn.Dense(2, in_units=4).load_parameters(
        _saved("a.params")), both(E, AssertionError), "weight", "(2, 4)", "(2, 3)"),
    row("Block", "load_missing_parameter", lambda: nn.Dense(2, in_units=3).load_parameters(
        _saved("b.params", use_bias=False)), both(E, AssertionError), "bias", "missing",
        "allow_missing"),
    row("Block", "save_to_missing_dir", lambda: _saved("/nonexistent/dir/x.params"), E,
        "/nonexistent/dir", "no such file"),
    row("Block", "cast_unknown_dtype", lambda: (lambda d: (d.initialize(), d.cast("float17")))(
        nn.Dense(2, in_units=3)), both(E, TypeError), "float17", "float32"),
    row("Block", "collect_params_bad_regex", lambda: nn.Dense(2).collect_params("["), Exception,
        "unterminated"),
    row("Block", "initialize_unknown_init", lambda: nn.Dense(2).initialize(init="no_such_init"),
        AssertionError, "no_such_init", "not registered"),
    row("Parameter", "data_before_initialize", lambda: nn.Dense(2, in_units=3).weight.data(),
        (E, RuntimeError), "dense", "weight", "not been initialized"),
    row("Parameter", "set_data_wrong_shape", lambda: (lambda d: (
        d.initialize(), d.weight.set_data(x(5, 5))))(nn.Dense(2, in_units=3)),
        both(E, AssertionError), "weight", "(5, 5)", "(2, 3)"),
    row("Parameter", "set_data_before_initialize", lambda: _param(shape=(2,)).set_data(x(2)),
        both(E, AssertionError), "'w'", "not been initialized", "initialize()"),
    row("Parameter", "data_on_other_context", lambda: (lambda d: (
        d.initialize(ctx=mx.cpu(0)), d.weight.data(mx.cpu(1))))(nn.Dense(2, in_units=3)),
        (E, RuntimeError), "weight", "cpu(1)", "cpu(0)"),
    row("Parameter", "unknown_grad_req", lambda: setattr(nn.Dense(2).weight, "grad_req", "foo"),
        both(E, AssertionError), "grad_req", "'write'", "'foo'"),
    row("Parameter", "constructor_grad_req", lambda: _param(grad_req="foo"),
        both(E, AssertionError), "'w'", "grad_req", "'foo'"),
    row("Parameter", "unknown_stype", lambda: _param(stype="foo"), both(E, AssertionError),
        "'w'", "stype", "'foo'"),
    row("Parameter", "grad_with_grad_req_null", lambda: (lambda d: (
        setattr(d.weight, "grad_req", "null"), d.initialize(), d.weight.grad()))(
        nn.Dense(2, in_units=3)), (E, RuntimeError), "weight", "grad_req='null'"),
    row("Parameter", "shape_does_not_fit", lambda: setattr(nn.Dense(2, in_units=3).weight,
                                                           "shape", (4, 4)),
        both(E, AssertionError), "weight", "(4, 4)", "(2, 3)"),
    row("Parameter", "initialize_unknown_shape", lambda: _param(shape=(2, 0)).initialize(),
        both(E, ValueError), "'w'", "(2, 0)", "allow_deferred_init"),
    row("Parameter", "initialize_negative_shape", lambda: _param(shape=(2, -3)).initialize(),
        both(E, ValueError), "'w'", "(2, -3)", "negative"),
    row("Parameter", "reset_ctx_before_initialize", lambda: _param(shape=(2,)).reset_ctx(
        mx.cpu(1)), both(E, ValueError), "'w'", "not been initialized"),
    row("Parameter", "cast_unknown_dtype", lambda: (lambda p: (p.initialize(), p.cast("float17")))(
        _param(shape=(2,))), both(E, TypeError), "float17"),
    row("ParameterDict", "get_with_other_shape", lambda: (lambda d: (
        d.get("w", shape=(2,)), d.get("w", shape=(3,))))(gluon.ParameterDict("p_")),
        both(E, AssertionError), "p_w", "shape", "(3,)", "(2,)"),
]

P23, Y23 = x(2, 3), x(2, 3)

LOSS_ROWS = [
    row("loss.L2Loss", "label_other_size", lambda: L.L2Loss()(x(2, 3), x(2, 4)),
        both(E, ValueError), "L2Loss", "label", "(2, 4)", "(2, 3)"),
    row("loss.L2Loss", "numpy_label", lambda: L.L2Loss()(P23, np.ones((2, 3))),
        both(E, TypeError, AssertionError), "L2Loss", "label", "NDArray", "ndarray"),
    row("loss.L2Loss", "numpy_pred", lambda: L.L2Loss()(np.ones((2, 3)), Y23),
        both(E, TypeError, AssertionError), "L2Loss", "pred", "NDArray", "ndarray"),
    row("loss.L2Loss", "batch_axis_out_of_range", lambda: L.L2Loss(batch_axis=5)(P23, Y23), E,
        "axis 5", "2-d"),
    row("loss.L2Loss", "sample_weight_shape", lambda: L.L2Loss()(P23, Y23, x(5)), E,
        "broadcast", "(2, 3)", "(5,)"),
    row("loss.L2Loss", "sample_weight_int", lambda: L.L2Loss()(P23, Y23, 3),
        both(E, TypeError), "L2Loss", "sample_weight", "int"),
    row("loss.L2Loss", "missing_label", lambda: L.L2Loss()(P23), TypeError, "label"),
    row("loss.L2Loss", "weight_str", lambda: L.L2Loss(weight="a")(P23, Y23), TypeError, "str"),
    row("loss.L2Loss", "mixed_context", lambda: L.L2Loss()(P23, x(2, 3, ctx=mx.cpu(1))), E,
        "cpu(0)", "cpu(1)"),
    row("loss.L1Loss", "label_other_size", lambda: L.L1Loss()(x(2, 3), x(3, 3)),
        both(E, ValueError), "L1Loss", "label", "(3, 3)", "(2, 3)"),
    row("loss.L1Loss", "list_label", lambda: L.L1Loss()(P23, [[1, 2, 3]] * 2),
        both(E, TypeError), "L1Loss", "label", "list"),
    row("loss.SoftmaxCrossEntropyLoss", "sparse_label_shape", lambda: L.SoftmaxCrossEntropyLoss()(
        P23, x(3)), both(E, ValueError), "SoftmaxCrossEntropyLoss", "label", "(3,)", "(2,)"),
    row("loss.SoftmaxCrossEntropyLoss", "dense_label_shape", lambda: L.SoftmaxCrossEntropyLoss(
        sparse_label=False)(P23, x(2, 4)), both(E, ValueError), "label", "(2, 4)", "(2, 3)"),
    row("loss.SoftmaxCrossEntropyLoss", "axis_out_of_range", lambda: L.SoftmaxCrossEntropyLoss(
        axis=5)(P23, nd.array([0, 1])), E, "log_softmax", "axis 5", "2-d"),
    row("loss.SoftmaxCrossEntropyLoss", "unknown_kwarg", lambda: L.SoftmaxCrossEntropyLoss(
        sparse=False), TypeError, "sparse"),
    row("loss.SoftmaxCrossEntropyLoss", "mixed_context", lambda: L.SoftmaxCrossEntropyLoss()(
        P23, nd.array([0, 1], ctx=mx.cpu(1))), E, "SoftmaxCrossEntropyLoss", "label", "cpu(0)",
        "cpu(1)"),
    row("loss.SoftmaxCrossEntropyLoss", "list_label", lambda: L.SoftmaxCELoss()(P23, [0, 1]),
        both(E, TypeError), "label", "list"),
    row("loss.SigmoidBinaryCrossEntropyLoss", "label_other_size", lambda: L.SigmoidBCELoss()(
        P23, x(2, 4)), both(E, ValueError), "SigmoidBinaryCrossEntropyLoss", "(2, 4)", "(2, 3)"),
    row("loss.SigmoidBinaryCrossEntropyLoss", "pos_weight_shape", lambda: L.SigmoidBCELoss()(
        P23, Y23, None, x(5)), E, "broadcast", "(5,)", "(2, 3)"),
    row("loss.KLDivLoss", "label_other_shape", lambda: L.KLDivLoss()(P23, x(2, 4)), E,
        "broadcast", "(2, 4)", "(2, 3)"),
    row("loss.HuberLoss", "label_other_size", lambda: L.HuberLoss()(P23, x(2, 4)),
        both(E, ValueError), "HuberLoss", "(2, 4)", "(2, 3)"),
    row("loss.HingeLoss", "label_other_size", lambda: L.HingeLoss()(P23, x(2, 4)),
        both(E, ValueError), "HingeLoss", "(2, 4)", "(2, 3)"),
    row("loss.SquaredHingeLoss", "label_other_size", lambda: L.SquaredHingeLoss()(P23, x(2, 4)),
        both(E, ValueError), "SquaredHingeLoss", "(2, 4)", "(2, 3)"),
    row("loss.LogisticLoss", "label_other_size", lambda: L.LogisticLoss()(P23, x(2, 4)),
        both(E, ValueError), "LogisticLoss", "(2, 4)", "(2, 3)"),
    row("loss.LogisticLoss", "unknown_label_format", lambda: L.LogisticLoss(label_format="foo"),
        both(E, ValueError), "LogisticLoss", "label_format", "'signed'", "'binary'", "'foo'"),
    row("loss.TripletLoss", "positive_other_size", lambda: L.TripletLoss()(P23, x(2, 4), P23),
        both(E, ValueError), "TripletLoss", "positive", "(2, 4)", "(2, 3)"),
    row("loss.PoissonNLLLoss", "target_other_size", lambda: L.PoissonNLLLoss()(P23, x(2, 4)),
        both(E, ValueError), "PoissonNLLLoss", "target", "(2, 4)", "(2, 3)"),
    row("loss.CosineEmbeddingLoss", "inputs_other_size", lambda: L.CosineEmbeddingLoss()(
        P23, x(2, 4), x(2)), (E, ValueError), "CosineEmbeddingLoss", "(2, 4)", "(2, 3)"),
    row("loss.CTCLoss", "unknown_layout", lambda: L.CTCLoss(layout="XYZ"),
        (E, AssertionError), "CTCLoss", "layout", "'NTC'", "'XYZ'"),
    row("loss.CTCLoss", "unknown_label_layout", lambda: L.CTCLoss(label_layout="XY"),
        (E, AssertionError), "CTCLoss", "label_layout", "'NT'", "'XY'"),
    row("loss.CTCLoss", "batch_mismatch", lambda: L.CTCLoss()(x(3, 5, 4), x(2, 2)), E,
        "CTCLoss", "(3, 5, 4)", "(2, 2)", "3 sequences"),
    row("loss.CTCLoss", "2d_pred", lambda: L.CTCLoss()(x(3, 4), x(3, 2)), E,
        "CTCLoss", "(3, 4)", "3-d"),
    row("loss.SDMLLoss", "inputs_other_width", lambda: L.SDMLLoss()(P23, x(2, 4)),
        (E, AssertionError), "SDMLLoss", "(2, 3)", "(2, 4)"),
]


# ---- every loss: a numpy label, and a label on another context than pred ----
LOSS_INPUTS = {   # name: (constructor, valid inputs; input 1 is the one made bad, named so)
    "L2Loss": (L.L2Loss, lambda: [P23, Y23], "label"),
    "L1Loss": (L.L1Loss, lambda: [P23, Y23], "label"),
    "SoftmaxCrossEntropyLoss": (L.SoftmaxCrossEntropyLoss, lambda: [P23, nd.array([0, 1])],
                                "label"),
    "SigmoidBinaryCrossEntropyLoss": (L.SigmoidBinaryCrossEntropyLoss, lambda: [P23, Y23],
                                      "label"),
    "KLDivLoss": (L.KLDivLoss, lambda: [P23, Y23], "label"),
    "HuberLoss": (L.HuberLoss, lambda: [P23, Y23], "label"),
    "HingeLoss": (L.HingeLoss, lambda: [P23, Y23], "label"),
    "SquaredHingeLoss": (L.SquaredHingeLoss, lambda: [P23, Y23], "label"),
    "LogisticLoss": (L.LogisticLoss, lambda: [P23, Y23], "label"),
    "TripletLoss": (L.TripletLoss, lambda: [P23, Y23, Y23], "positive"),
    "PoissonNLLLoss": (L.PoissonNLLLoss, lambda: [P23, Y23], "target"),
    "CosineEmbeddingLoss": (L.CosineEmbeddingLoss, lambda: [P23, Y23, x(2)], "input2"),
    "CTCLoss": (L.CTCLoss, lambda: [x(2, 5, 4), Y23], "label"),
    "SDMLLoss": (L.SDMLLoss, lambda: [P23, Y23], "x2"),
}


def _loss_with(make, inputs, change):
    args = inputs()
    args[1] = change(args[1])
    return make()(*args)


for _name, (_make, _inputs, _what) in LOSS_INPUTS.items():
    LOSS_ROWS.append(row(f"loss.{_name}", "numpy_input",
                         lambda m=_make, i=_inputs: _loss_with(m, i, lambda a: a.asnumpy()),
                         both(E, TypeError, AssertionError), _name, _what, "NDArray", "ndarray"))
    LOSS_ROWS.append(row(f"loss.{_name}", "input_on_other_context",
                         lambda m=_make, i=_inputs: _loss_with(
                             m, i, lambda a: a.as_in_context(mx.cpu(1))),
                         E, _name, _what, "cpu(1)", "cpu(0)", "as_in_context"))


def _trainer(*args, **kw):
    net = nn.Dense(2, in_units=3)
    net.initialize()
    return gluon.Trainer(net.collect_params(), *args, **kw)


TRAINER_ROWS = [
    row("Trainer", "unknown_optimizer", lambda: _trainer("no_such_opt"), both(E, ValueError),
        "no_such_opt", "sgd", "adam"),
    row("Trainer", "params_list_of_str", lambda: gluon.Trainer(["a"], "sgd"), both(E, ValueError),
        "Parameters", "str"),
    row("Trainer", "params_int", lambda: gluon.Trainer(3, "sgd"), both(E, ValueError),
        "Parameters", "int"),
    row("Trainer", "misspelt_optimizer_param", lambda: _trainer("sgd", {"learning_rat": 0.1}),
        TypeError, "learning_rat"),
    row("Trainer", "optimizer_params_not_dict", lambda: _trainer("sgd", 0.1), TypeError,
        "mapping", "float"),
    row("Trainer", "optimizer_instance_and_params", lambda: _trainer(
        mx.optimizer.SGD(), {"learning_rate": 0.1}), both(E, AssertionError),
        "optimizer_params", "None"),
    row("Trainer", "update_on_kvstore_without_kvstore", lambda: _trainer(
        "sgd", update_on_kvstore=True).step(1), both(E, ValueError),
        "update_on_kvstore", "kvstore"),
    row("Trainer", "step_before_initialize", lambda: gluon.Trainer(
        nn.Dense(2, in_units=3).collect_params(), "sgd").step(1), (E, RuntimeError),
        "not been initialized", "initialize()"),
    row("Trainer", "step_without_backward", lambda: _trainer("sgd").step(1), (E, UserWarning),
        "has not been updated by backward", "ignore_stale_grad"),
    row("Trainer", "step_batch_size_zero", lambda: trained_dense()[1].step(0),
        both(E, ZeroDivisionError), "Trainer.step", "batch_size", "0"),
    row("Trainer", "step_batch_size_str", lambda: trained_dense()[1].step("a"),
        both(E, TypeError), "Trainer.step", "batch_size", "'a'", "number"),
    row("Trainer", "update_batch_size_none", lambda: trained_dense()[1].update(None),
        both(E, TypeError), "Trainer.update", "batch_size", "None"),
    row("Trainer", "load_missing_states", lambda: _trainer("sgd").load_states("/nonexistent.st"),
        OSError, "/nonexistent.st"),
    row("Trainer", "save_to_missing_dir", lambda: _trainer("sgd").save_states("/nonexistent/d/x"),
        OSError, "/nonexistent/d/x"),
    row("Trainer", "set_learning_rate_attribute", lambda: setattr(_trainer("sgd"), "learning_rate",
                                                                  0.1),
        AttributeError, "learning_rate"),
]

ALL_ROWS = LAYER_ROWS + BLOCK_PARAM_ROWS + LOSS_ROWS + TRAINER_ROWS


@pytest.mark.parametrize("api, call, types, words", ALL_ROWS)
def test_bad_input(api, call, types, words):
    check_bad_input(call, types, words)


def test_every_layer_has_rows():
    """Each public gluon.nn class (and each loss, Trainer, Parameter) has at least one row."""
    apis = {p.values[0] for p in ALL_ROWS}
    layers = {n for n in dir(nn) if n[0].isupper() and n not in ("Block", "HybridBlock")}
    losses = {n for n in dir(L) if n[0].isupper() and n.endswith("Loss") and n != "Loss"}
    aliases = {"SoftmaxCELoss", "SigmoidBCELoss"}
    assert {f"nn.{n}" for n in layers} <= apis, sorted({f"nn.{n}" for n in layers} - apis)
    assert {f"loss.{n}" for n in losses - aliases} <= apis, \
        sorted({f"loss.{n}" for n in losses - aliases} - apis)
    assert {"Trainer", "Parameter", "Block"} <= apis


def case_counts():
    """Rows per API (for tests/RELIABILITY.md): ``python3 tests/test_bad_input_gluon.py``."""
    return Counter(p.values[0] for p in ALL_ROWS)


# ---- fuzz: layer constructors x input shapes ------------------------------------------------
ALLOWED = (MXNetError, ValueError, TypeError)


def _conv_out(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _deconv_out(n, k, s, p, d, adj):
    return (n - 1) * s - 2 * p + d * (k - 1) + 1 + adj


def _pool_out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


@st.composite
def layer_and_input(draw):
    """A layer built from fuzzed arguments, an input shape, and the output shape the layer's
    documentation promises should the call succeed (None: arguments the documentation does not
    allow, so any result is acceptable as long as it is not a crash)."""
    kind = draw(st.sampled_from(["dense", "conv", "deconv", "pool", "gpool", "norm", "act",
                                 "embed", "flatten", "dropout"]))
    dims = st.integers(0, 6)
    small = st.integers(-1, 4)
    nsp = draw(st.integers(1, 3))
    rank = draw(st.integers(1, 5))
    shape = tuple(draw(dims) for _ in range(rank))
    if kind == "dense":
        units = draw(small)
        flatten = draw(st.booleans())
        layer = nn.Dense(units, flatten=flatten)
        ok = units > 0 and rank >= 2 and all(shape)
        expect = ((shape[0], units) if flatten else shape[:-1] + (units,)) if ok else None
        return layer, shape, expect
    if kind in ("conv", "deconv"):
        ch, k, s, p, d = draw(small), draw(small), draw(small), draw(small), draw(small)
        if kind == "conv":
            cls = {1: nn.Conv1D, 2: nn.Conv2D, 3: nn.Conv3D}[nsp]
            layer = cls(ch, k, strides=s, padding=p, dilation=d)
        else:
            adj = draw(st.integers(0, 2))
            cls = {1: nn.Conv1DTranspose, 2: nn.Conv2DTranspose, 3: nn.Conv3DTranspose}[nsp]
            layer = cls(ch, k, strides=s, padding=p, dilation=d, output_padding=adj)
        ok = rank == nsp + 2 and min(ch, k, s, d) > 0 and p >= 0 and all(shape[1:])
        if not ok:
            return layer, shape, None
        if kind == "conv":
            sp = tuple(_conv_out(n, k, s, p, d) for n in shape[2:])
        else:
            if adj >= s:
                return layer, shape, None
            sp = tuple(_deconv_out(n, k, s, p, d, adj) for n in shape[2:])
        return layer, shape, ((shape[0], ch) + sp) if min(sp) > 0 else None
    if kind == "pool":
        k, s, p = draw(small), draw(small), draw(small)
        cls = draw(st.sampled_from([{1: nn.MaxPool1D, 2: nn.MaxPool2D, 3: nn.MaxPool3D},
                                    {1: nn.AvgPool1D, 2: nn.AvgPool2D, 3: nn.AvgPool3D}]))[nsp]
        layer = cls(pool_size=k, strides=s, padding=p)
        ok = rank == nsp + 2 and k > 0 and s > 0 and 0 <= p < k and all(shape[1:])
        sp = tuple(_pool_out(n, k, s, p) for n in shape[2:]) if ok else ()
        return layer, shape, ((shape[0], shape[1]) + sp) if ok and min(sp) > 0 else None
    if kind == "gpool":
        cls = draw(st.sampled_from([nn.GlobalAvgPool1D, nn.GlobalAvgPool2D, nn.GlobalAvgPool3D,
                                    nn.GlobalMaxPool1D, nn.GlobalMaxPool2D, nn.GlobalMaxPool3D]))
        ok = 3 <= rank <= 5 and all(shape)
        return cls(), shape, (shape[:2] + (1,) * (rank - 2)) if ok else None
    if kind == "norm":
        axis = draw(st.integers(-3, 3))
        cls = draw(st.sampled_from([nn.BatchNorm, nn.LayerNorm, nn.InstanceNorm]))
        return cls(axis=axis), shape, shape      # normalization keeps the shape
    if kind == "act":
        layer = draw(st.sampled_from([nn.Activation("relu"), nn.LeakyReLU(0.1), nn.ELU(),
                                      nn.SELU(), nn.GELU(), nn.Swish(), nn.PReLU()]))
        return layer, shape, shape
    if kind == "embed":
        in_dim, out_dim = draw(small), draw(small)
        ok = in_dim > 0 and out_dim > 0
        return nn.Embedding(in_dim, out_dim), shape, (shape + (out_dim,)) if ok else None
    if kind == "flatten":
        ok = rank >= 2
        rest = int(np.prod(shape[1:])) if ok else 1
        return nn.Flatten(), shape, (shape[0], rest) if ok else (shape[0], 1)
    rate = draw(st.floats(-0.5, 1.5))
    return nn.Dropout(rate), shape, shape if 0 <= rate <= 1 else None


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(layer_and_input())
def test_fuzz_layers(case):
    """No crash but MXNetError/ValueError/TypeError, no hang (10 s), and when a call succeeds
    with arguments the documentation allows, the documented output shape."""
    layer, shape, expect = case
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        layer.initialize()
        data = nd.array(np.random.uniform(0, 1, size=shape).astype("float32"))
        out = layer(data)
        mx.nd.waitall()
    except ALLOWED:
        return
    except _Hang:
        pytest.fail(f"{layer!r} on input {shape} did not finish in 10 s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    if expect is not None:
        assert out.shape == expect, f"{layer!r} on {shape}: {out.shape}, documented {expect}"


if __name__ == "__main__":
    for api, n in sorted(case_counts().items()):
        print(f"{api}: {n}")
