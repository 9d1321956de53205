"""How many outputs an op node has, and their names, without knowing any shapes.

``mx.nd`` learns an op's outputs from its shape rule; a graph needs the count before shapes exist
(``sym[1]``, ``list_outputs``). Most ops have one output. The few with more are listed here, each
with the rule MXNet uses: the count it shows (what ``mx.nd`` returns and ``list_outputs`` lists)
and the count it computes (BatchNorm computes 3 and shows 1; MXNet's JSON counts all 3).
``tests/test_symbol.py`` checks this table against every op's shape rule.
"""

from ..ops import custom as _custom

__all__ = ["num_outputs", "total_outputs", "output_names"]


def _split_v2_count(a):
    return len(a["indices"]) if a.get("indices") else a["sections"]


# op name -> (visible count, computed count), each a function of the parsed attrs
_MULTI = {
    "BatchNorm": (lambda a: 3 if a["output_mean_var"] else 1, lambda a: 3),
    "SyncBatchNorm": (lambda a: 3 if a.get("output_mean_var") else 1, lambda a: 3),
    "LayerNorm": (lambda a: 3 if a["output_mean_var"] else 1, lambda a: 3),
    "GroupNorm": (lambda a: 3 if a["output_mean_var"] else 1, lambda a: 3),
    "Dropout": (lambda a: 1, lambda a: 2),
    # MXNet 1.9.1's CPU (oneDNN) build gives max pooling a hidden workspace output.
    "Pooling": (lambda a: 1, lambda a: 2 if a["pool_type"] == "max" else 1),
    "GridGenerator": (lambda a: 1, lambda a: 2),
    "ROIPooling": (lambda a: 1, lambda a: 2),
    "SpatialTransformer": (lambda a: 1, lambda a: 3),
    "RNN": (lambda a: (3 if a["mode"] == "lstm" else 2) if a["state_outputs"] else 1,) * 2,
    "_rnn_layer": (lambda a: 3 if a["mode"] == "lstm" else 2,) * 2,
    "_backward_rnn_layer": (lambda a: 6 + (a["mode"] == "lstm") + bool(a["projection_size"]),) * 2,
    "SliceChannel": (lambda a: a["num_outputs"], lambda a: a["num_outputs"]),
    "_split_v2": (_split_v2_count, _split_v2_count),
    "amp_multicast": (lambda a: a["num_outputs"], lambda a: a["num_outputs"]),
    "LeakyReLU": (lambda a: 2 if a["act_type"] == "rrelu" else 1,) * 2,
    "topk": (lambda a: 2 if a["ret_typ"] == "both" else 1,) * 2,
    "_sample_multinomial": (lambda a: 2 if a["get_prob"] else 1,) * 2,
    "moments": (lambda a: 2,) * 2,
    "_histogram": (lambda a: 2,) * 2,
    "Custom": (_custom.num_outputs,) * 2,      # as many as the Prop's list_outputs()
    "_linalg_gelqf": (lambda a: 2,) * 2,
    "_linalg_slogdet": (lambda a: 2,) * 2,
    "_linalg_syevd": (lambda a: 2,) * 2,
    # Hidden backward ops (a hybridized block's traced backward uses them).
    "_backward_BatchNorm": (lambda a: 3,) * 2,
    "_backward_BilinearSampler": (lambda a: 2,) * 2,
    "_backward_Correlation": (lambda a: 2,) * 2,
    # random_pdf_X's gradients: the sample's, then each parameter's
    **{f"_backward_pdf_{d}": (lambda a: 2,) * 2 for d in ("exponential", "poisson", "dirichlet")},
    **{f"_backward_pdf_{d}": (lambda a: 3,) * 2 for d in (
        "uniform", "normal", "gamma", "negative_binomial", "generalized_negative_binomial")},
    "multi_sgd_update": (lambda a: a["num_weights"],) * 2,
    "multi_sgd_mom_update": (lambda a: a["num_weights"],) * 2,
    "multi_mp_sgd_update": (lambda a: a["num_weights"],) * 2,
    "multi_mp_sgd_mom_update": (lambda a: a["num_weights"],) * 2,
    "preloaded_multi_sgd_update": (lambda a: a["num_weights"],) * 2,
    "preloaded_multi_sgd_mom_update": (lambda a: a["num_weights"],) * 2,
    "preloaded_multi_mp_sgd_update": (lambda a: a["num_weights"],) * 2,
    "preloaded_multi_mp_sgd_mom_update": (lambda a: a["num_weights"],) * 2,
}

# Output names MXNet gives ops with several visible outputs (the rest use output0, output1 ...).
_NAMES = {
    "BatchNorm": ("output", "mean", "var"),
    "LayerNorm": ("output", "mean", "std"),
    "GroupNorm": ("output", "mean", "std"),
    "moments": ("mean", "var"),
    "LeakyReLU": ("output", "mask"),
}


def num_outputs(op, attrs):
    """The outputs a graph node of ``op`` shows (``sym[i]``, ``list_outputs``)."""
    rule = _MULTI.get(op.name)
    return rule[0](attrs) if rule else 1


def total_outputs(op, attrs):
    """The outputs the op computes (MXNet's JSON ``node_row_ptr`` counts these)."""
    rule = _MULTI.get(op.name)
    return rule[1](attrs) if rule else 1


def output_names(node):
    """``['fc1_output']`` for one output; ``['split0_output0', ...]`` or MXNet's names for more."""
    if node.op is None:
        return [node.name]
    n = node.num_outputs
    if node.op.name == "Custom":    # the Prop names them: ['q_squared'], as MXNet does
        return [f"{node.name}_{name}" for name in _custom.output_names(node.parsed)]
    if n == 1:
        return [node.name + "_output"]
    names = _NAMES.get(node.op.name)
    if names and len(names) >= n:
        return [f"{node.name}_{names[i]}" for i in range(n)]
    return [f"{node.name}_output{i}" for i in range(n)]
