"""The preloaded multi-weight SGD updates (``preloaded_multi_sgd_mom_update``,
``preloaded_multi_mp_sgd_update``, ``preloaded_multi_mp_sgd_mom_update``) against MXNet 1.9.1.

``EXPECTED`` maps (op, parameters) to MXNet 1.9.1's results for the inputs ``_inputs`` makes: the
two new weights, then each group's updated states (mom and/or weight32), compared bit for bit.
"""
import numpy as np
import pytest

import minimx as mx
from minimx.base import MXNetError

EXPECTED = [(('preloaded_multi_sgd_mom_update', (('momentum', 0.9),)),
             [[1.2649368047714233, 1.0889205932617188, -0.2748984396457672],
              [[1.4014346599578857, 0.2851889729499817],
               [-1.8596943616867065, -0.07845678925514221]],
              [0.044925056397914886, -0.14284250140190125, -0.33620068430900574],
              [[-0.5952697396278381, -0.324287474155426],
               [-0.7977352142333984, 0.181753009557724]]]),
            (('preloaded_multi_sgd_mom_update',
              (('clip_gradient', 0.3), ('momentum', 0.5), ('rescale_grad', 0.5))),
             [[1.2030283212661743, 1.033168911933899, -0.13438020646572113],
              [[1.913248896598816, 0.6317263841629028],
               [-1.3309382200241089, -0.16980963945388794]],
              [-0.016983404755592346, -0.19859416782855988, -0.19568245112895966],
              [[-0.08345554023981094, 0.02224990725517273],
               [-0.2689790725708008, 0.09040015935897827]]]),
            (('preloaded_multi_mp_sgd_update', ()),
             [[1.34765625, 1.498046875, 0.1312255859375],
              [[-0.54541015625, -1.482421875], [-1.708984375, 1.4072265625]],
              [1.3473073244094849, 1.4981094598770142, 0.13121163845062256],
              [[-0.5452585816383362, -1.4821555614471436],
               [-1.7088433504104614, 1.4075968265533447]]]),
            (('preloaded_multi_mp_sgd_update', (('clip_gradient', 0.3), ('rescale_grad', 0.5))),
             [[1.2490234375, 1.2607421875, 0.09124755859375],
              [[-0.42236328125, -1.740234375], [-1.748046875, 1.9169921875]],
              [1.2487916946411133, 1.2605313062667847, 0.09124094247817993],
              [[-0.4224461019039154, -1.7407102584838867],
               [-1.7478814125061035, 1.91673743724823]]]),
            (('preloaded_multi_mp_sgd_mom_update', (('momentum', 0.9),)),
             [[1.2646484375, 1.0888671875, -0.27490234375],
              [[1.4013671875, 0.28515625], [-1.859375, -0.0784912109375]],
              [0.04492150992155075, -0.14290595054626465, -0.33620867133140564],
              [1.2649332284927368, 1.0888571739196777, -0.2749064266681671],
              [[-0.5953869223594666, -0.3244181275367737],
               [-0.7975486516952515, 0.1817401647567749]],
              [[1.4013175964355469, 0.28505831956863403],
               [-1.8595077991485596, -0.07846963405609131]]]),
            (('preloaded_multi_mp_sgd_mom_update',
              (('clip_gradient', 0.3), ('momentum', 0.5), ('rescale_grad', 0.5))),
             [[1.203125, 1.033203125, -0.1343994140625],
              [[1.9130859375, 0.6318359375], [-1.3310546875, -0.1697998046875]],
              [-0.016983404755592346, -0.19859416782855988, -0.19568245112895966],
              [1.2030283212661743, 1.033168911933899, -0.13438020646572113],
              [[-0.08345554023981094, 0.02224990725517273],
               [-0.2689790725708008, 0.09040015935897827]],
              [[1.913248896598816, 0.6317263841629028],
               [-1.3309382200241089, -0.16980963945388794]]])]


def _inputs(name):
    r = np.random.default_rng(5)
    arrays = []
    for shape in [(3,), (2, 2)]:
        w = r.uniform(-2, 2, shape)
        wdt = "float16" if "mp" in name else "float32"
        arrays += [mx.nd.array(w, dtype=wdt), mx.nd.array(r.uniform(-3, 3, shape), dtype=wdt)]
        if "mom" in name:
            arrays.append(mx.nd.array(r.uniform(-0.5, 0.5, shape), dtype="float32"))
        if "mp" in name:
            arrays.append(mx.nd.array(w, dtype="float32"))
    return arrays


@pytest.mark.parametrize("key,want", EXPECTED, ids=[f"{k[0]}-{len(k[1])}" for k, _ in EXPECTED])
@pytest.mark.parametrize("use_out", [True, False])
def test_preloaded_updates_match_mxnet_bit_for_bit(key, want, use_out):
    name, params = key
    stride = 4 if name.endswith("mp_sgd_mom_update") else 3
    arrays = _inputs(name)
    lrs = mx.nd.array([0.1, 0.2], dtype="float32")
    wds = mx.nd.array([0.01, 0.05], dtype="float32")
    outs = [arrays[i * stride].copy() for i in range(2)] if use_out else None
    got = getattr(mx.nd, name)(*arrays, lrs, wds, num_weights=2, out=outs, **dict(params))
    got = outs if use_out else got
    states = [a for i in range(2) for a in arrays[i * stride + 2:(i + 1) * stride]]
    assert len(got) == 2 and got[0].dtype == arrays[0].dtype
    for array, expected in zip(list(got) + states, want):
        np.testing.assert_array_equal(array.asnumpy().astype(np.float64), expected)


def test_preloaded_rejects_bad_inputs():
    w, g, m = mx.nd.ones((2,)), mx.nd.ones((2,)), mx.nd.zeros((2,))
    lrs, wds = mx.nd.array([0.1]), mx.nd.array([0.0])
    with pytest.raises(MXNetError):       # wrong num_weights
        mx.nd.preloaded_multi_sgd_mom_update(w, g, m, lrs, wds, num_weights=2)
    with pytest.raises(MXNetError):       # lrs in float64
        mx.nd.preloaded_multi_sgd_mom_update(w, g, m, lrs.astype("float64"), wds)
    with pytest.raises(MXNetError):       # weight32 must be float32
        mx.nd.preloaded_multi_mp_sgd_update(w.astype("float16"), g.astype("float16"),
                                            w.astype("float16"), lrs, wds)
