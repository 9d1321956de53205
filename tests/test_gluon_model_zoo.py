"""``gluon.model_zoo.vision`` against MXNet 1.9.1: names, shapes, reprs and outputs.

Expected values were recorded from real MXNet 1.9.1 (no mxnet import here). For each model made by
``get_model(name)`` inside a fresh ``mx.name.NameManager()``:

* ``STRUCTURE[name] = (count, h(collect_params keys), h(_collect_params_with_prefix keys),
  h(param shapes before any forward), h(param shapes after one forward of a 1x3x224x224 input,
  299x299 for inceptionv3))`` where ``h(lines) = sha1("\\n".join(lines))[:16]`` and a shape line
  is ``"%s %s" % (name, shape_tuple)``; the key lists are in ``collect_params`` order.
* ``OUTPUTS[name] = (size, logits)``: ``get_model(name, classes=10)``, every Parameter set by
  `_fill` (a deterministic wave, scaled per kind), the (2, 3, size, size) input `_image`, predict
  mode; ``logits`` is the (2, 10) output, flattened, rounded to 6 decimals.
* ``GRADS[name] = (size, loss, largest gradient norm, [(param, gradient norm), ...])``: the same
  model (``thumbnail=True`` for ResNets; 'densenet' is ``DenseNet(16, 8, [2, 2], classes=10)``),
  Parameters from `_fill(net, random=True)`, input ``RandomState(0).uniform(-1, 1, (4, 3, size,
  size))``, ``loss = sum(net(x) * linspace(-1, 1, 40).reshape(4, 10))`` under ``autograd.record``
  (training mode: BatchNorm uses batch statistics), then ``loss.backward()``.
"""
import hashlib
import os

import numpy as np
import pytest

import minimx as mx
from minimx.gluon.model_zoo import model_store, vision

STRUCTURE = {
    'resnet18_v1': (102, '46930043d102d1f0', 'd633dd4308ae8641',
                    '3107104480b013d2', 'fe0cf570d0bff922'),
    'resnet34_v1': (182, '72a4ac0e994d7792', '1adc5fd842514c95',
                    'fb915e44d3bbeba3', '7fcb691a343552bf'),
    'resnet50_v1': (299, '6acc969fb39a9fb2', 'fb737561b763eb88',
                    '0e76bf292711742d', '8aa747398619ec1c'),
    'resnet101_v1': (588, '637bc39b5bec4c71', '3aa9028f6e48e881',
                     'd4deeddd885f3cae', 'd710d868b9f3865e'),
    'resnet152_v1': (877, '17bc21744320ae65', '6fb7493a52467b53',
                     '30f6ff98c42bdc99', '03c5390cb6463d39'),
    'resnet18_v2': (98, '7dc421e7cea438dc', '4e6562bf44584177',
                    '2cee9d73d25eb831', '69fbaff9caf5cc33'),
    'resnet34_v2': (178, '4c131940149ba4dc', '962b88477ffdb138',
                    '8820d475e9a8f85e', 'eca182df2675c666'),
    'resnet50_v2': (259, 'e18b9b1d5f10ae7d', 'c844c8efcdee8191',
                    '364d157ddffa04cc', '91eb3e199b2176e6'),
    'resnet101_v2': (514, '5933ff82ef414792', '6f0ae6e7f92a9594',
                     'b5d42819c5db418f', 'c50d6c7f990553b6'),
    'resnet152_v2': (769, '68787e3a94edcef3', 'cf26e9436054dedf',
                     '78fab4e4588165d6', '68b46fb067eb6b7c'),
    'vgg11': (22, '85c7fa30a41fbca4', '3991906f879c8a5a',
              'c5327f725985bc90', '97b01891045d1009'),
    'vgg13': (26, '6c9226ac548f9f2d', '6f6b34df354e3386',
              '46a69d4e61c9d510', '8336feb10942889c'),
    'vgg16': (32, '748589bb1848d9f1', 'cc720f5c944c51bf',
              'c75bd1e5efb1b884', '8eb483fbd1b0a7c9'),
    'vgg19': (38, '68b14d514b4c73a2', 'f79a8f7af6969ed6',
              '6079397fd63002db', '3876c2b785fabf04'),
    'vgg11_bn': (54, 'fd5ae2d5b2698236', '29dbd026be0ac1cc',
                 'dbd5ebd74443cfa8', '5eca5b5e90491465'),
    'vgg13_bn': (66, '5bbc0a0072c81975', '55859df46297d30d',
                 '61687989e238c070', 'ece9f716beb25d8e'),
    'vgg16_bn': (84, '54487284c632555e', '9f4c768cafc0a3ec',
                 '8976ed194ebf1c5a', 'b307bcbbb899dac1'),
    'vgg19_bn': (102, 'f029af0eac88327d', 'b0b050a1b2c6f8c1',
                 '0867151754c718a3', '849d652abbf6019f'),
    'alexnet': (16, 'e8df50855f71ffa8', 'fd9ab4e6c7d688ba',
                'ad6652c9339506d9', 'e7fca027e2525107'),
    'densenet121': (606, '44112ce2e67697e1', '4eb03aba1ba3f275',
                    '1e997b94504e05b5', '57a4c8555398f1a5'),
    'densenet161': (806, '5e02f2d502c828c7', 'f76cb6102addaa5c',
                    'b210133e292e2c28', '70a50469c0f69d8c'),
    'densenet169': (846, '36f17381b4b121aa', '544a0d6663bb40f0',
                    '992b595181c08b2d', 'dfe34a82065fe946'),
    'densenet201': (1006, '6b49cb1474e48ddc', 'a14ae668bfeb983a',
                    '650203bfc58fb1f6', '1510c9329019792a'),
    'squeezenet1.0': (52, '755618611c98de30', 'c378d4107b352a34',
                      'bcf77ba35ab6e2a7', '7beb35743c39529f'),
    'squeezenet1.1': (52, '755618611c98de30', '666a247de1272895',
                      'ea4209d554e48b58', '189ed976bff56471'),
    'inceptionv3': (472, '504587f4b562ed78', '8356306dc7e85978',
                    '5a6b833a1b2c87b0', 'fc986458e7c138b9'),
    'mobilenet1.0': (137, 'dba934b7ef371534', '5eb91b8e04724b5c',
                     '423bb5ed1818580a', 'e83131960a3fee47'),
    'mobilenet0.75': (137, 'dba934b7ef371534', '5eb91b8e04724b5c',
                      '1872308ba2bb8190', '8baee24e12db58fb'),
    'mobilenet0.5': (137, 'dba934b7ef371534', '5eb91b8e04724b5c',
                     'ce4c478b41c7b926', 'f151c01bb9330bd9'),
    'mobilenet0.25': (137, 'dba934b7ef371534', '5eb91b8e04724b5c',
                      'f95cdd1d04b5b81e', 'f36684185d422184'),
    'mobilenetv2_1.0': (266, 'b10f1c0796c97ff8', '1997ba24258a0df6',
                        'f268067229fd7f02', 'e995c6d5668cfd30'),
    'mobilenetv2_0.75': (266, 'b10f1c0796c97ff8', '1997ba24258a0df6',
                         'dd2a8974c1e3b89c', '1047e968843e6930'),
    'mobilenetv2_0.5': (266, 'b10f1c0796c97ff8', '1997ba24258a0df6',
                        'ba6974004bed3ea4', '1931c19f3cf9d1c4'),
    'mobilenetv2_0.25': (266, 'b10f1c0796c97ff8', '1997ba24258a0df6',
                         '7786ec1f2f3bc4ee', '512f6b10ceb2ea62'),
}

OUTPUTS = {
    'resnet18_v1': (32,
        [ 0.148745,  0.038208, -0.109497, -0.159399, -0.058440,  0.119020,  0.231500,
          0.186760,  0.018026, -0.142998,  0.193125,  0.134334, -0.041181, -0.175431,
         -0.145552,  0.032922,  0.217672,  0.256646,  0.113787, -0.100614]),
    'resnet18_v2': (32,
        [ 0.235852,  0.711713,  0.628038,  0.045524, -0.565122, -0.711201, -0.284070,
          0.352602,  0.665190,  0.392648,  0.241932,  0.711126,  0.621269,  0.038175,
         -0.566969, -0.706017, -0.276146,  0.356709,  0.662080,  0.384895]),
    'resnet50_v1': (32,
        [ 1.285650, -1.135037,  0.693621,  0.132547, -0.848727,  1.227862, -1.194022,
          0.572291,  0.115640, -0.931662,  1.198567, -1.069619,  0.675463,  0.096341,
         -0.772322,  1.141151, -1.130932,  0.557504,  0.076337, -0.853647]),
    'resnet50_v2': (32,
        [-1.370886, -1.366794,  3.528338, -4.287023,  3.451596, -1.133071, -1.464543,
          3.662701, -4.268467,  3.327846, -1.366306, -1.367018,  3.524119, -4.280011,
          3.444535, -1.128723, -1.464477,  3.658247, -4.261368,  3.320879]),
    'vgg11_bn': (32,
        [-0.999489, -1.143016,  0.382246,  1.407300,  0.464055, -1.139045, -1.161270,
          0.409757,  1.343157,  0.316320, -0.999492, -1.142987,  0.382266,  1.407283,
          0.464025, -1.139046, -1.161240,  0.409775,  1.343138,  0.316290]),
    'alexnet': (64,
        [ 1.313723, -0.160380, -1.345935, -0.578571,  1.041617,  1.205559, -0.341677,
         -1.437768, -0.553136,  1.051862,  1.313717, -0.160373, -1.345924, -0.578572,
          1.041605,  1.205553, -0.341669, -1.437757, -0.553137,  1.051851]),
    'densenet121': (224,
        [ 1.741020, -0.545982, -1.284190,  1.473729,  0.479189, -1.680136,  0.628936,
          1.300083, -1.474458, -0.451431,  1.746373, -0.541132, -1.292577,  1.474125,
          0.487329, -1.685624,  0.624229,  1.308515, -1.475024, -0.459508]),
    'squeezenet1.0': (224,
        [0.000000, 0.000000, 0.000000, 0.248851, 0.403572, 0.256734, 0.000000, 0.000000,
         0.000000, 0.010270, 0.000000, 0.000000, 0.000000, 0.248859, 0.403625, 0.256787,
         0.000000, 0.000000, 0.000000, 0.010243]),
    'squeezenet1.1': (224,
        [0.000000, 0.000000, 0.010371, 0.315606, 0.385521, 0.168815, 0.000000, 0.000000,
         0.000000, 0.105545, 0.000000, 0.000000, 0.010365, 0.315621, 0.385545, 0.168828,
         0.000000, 0.000000, 0.000000, 0.105548]),
    'inceptionv3': (299,
        [-0.926436,  0.869156, -0.604439,  0.020144,  0.549709, -0.863022,  0.938328,
         -0.502177,  0.039048,  0.611072, -0.926436,  0.869156, -0.604439,  0.020144,
          0.549709, -0.863022,  0.938328, -0.502177,  0.039048,  0.611072]),
    'mobilenet0.25': (32,
        [ 0.483529,  0.780732,  0.905889,  0.830233,  0.569295,  0.179639, -0.253436,
         -0.634577, -0.879317, -0.932707,  0.503653,  0.646443,  0.646580,  0.502661,
          0.245158, -0.070115, -0.374142, -0.599814, -0.696694, -0.642197]),
    'mobilenetv2_0.25': (32,
        [-0.962564,  0.013280,  0.943690, -1.354393,  0.981088, -0.039867, -0.924432,
          1.353611, -0.999234,  0.066437, -0.962577,  0.013319,  0.943649, -1.354374,
          0.981101, -0.039905, -0.924391,  1.353590, -0.999246,  0.066475]),
}

GRADS = {
    'mobilenet0.25': (64, -0.440614, 1330.2, [
        ('features.0.weight', 1330.197), ('features.18.weight', 408.016),
        ('features.3.weight', 568.078), ('features.4.gamma', 137.161),
        ('features.49.gamma', 0.204), ('features.61.beta', 2.833), ('features.70.gamma', 2.545),
        ('output.weight', 22.783)]),
    'mobilenetv2_0.25': (32, 0.30308, 37925.1, [
        ('features.0.weight', 37925.1), ('features.12.out.1.beta', 207.69),
        ('features.14.out.6.weight', 2487.13), ('features.17.out.1.gamma', 2.86),
        ('features.19.out.6.weight', 65.62), ('features.4.out.7.gamma', 2528.28),
        ('features.7.out.4.beta', 927.22), ('output.0.weight', 89.73)]),
    'resnet18_v2': (32, 0.888462, 41.7065, [
        ('features.1.weight', 15.37559), ('features.2.1.bn1.beta', 0.93281),
        ('features.3.0.bn2.beta', 1.10507), ('features.3.1.bn2.gamma', 0.81225),
        ('features.4.0.conv2.weight', 37.91543), ('features.5.0.bn1.beta', 0.69344),
        ('features.5.1.bn1.gamma', 0.4275), ('output.weight', 20.4971)]),
    'resnet50_v1': (32, 2.9108, 2325.17, [
        ('features.0.weight', 754.288), ('features.1.2.body.0.weight', 832.276),
        ('features.2.1.body.1.gamma', 23.008), ('features.2.3.body.6.weight', 108.848),
        ('features.3.1.body.7.gamma', 4.874), ('features.3.4.body.3.weight', 124.244),
        ('features.4.0.body.7.beta', 1.34), ('output.weight', 99.247)]),
    'densenet': (112, 0.80006, 13.1394, [
        ('features.0.weight', 13.13939), ('features.4.0.1.0.gamma', 0.41332),
        ('features.4.1.1.0.beta', 0.22279), ('features.4.1.1.5.weight', 4.22917),
        ('features.6.0.1.0.beta', 0.28585), ('features.6.0.1.5.weight', 4.35557),
        ('features.6.1.1.3.gamma', 0.1564), ('output.weight', 8.98331)]),
}

# name -> (count, h(names)) of ``net(mx.sym.var('data')).get_internals().list_outputs()``: the
# traced graph's nodes, in order (what an exported -symbol.json holds)
SYMBOLS = {
    'resnet18_v1': (171, '45c021f15ad98990'),
    'resnet34_v1': (307, '8274fe7260abdd47'),
    'resnet50_v1': (474, '6740e496cb29a28b'),
    'resnet101_v1': (933, '5184e06692340c75'),
    'resnet152_v1': (1392, '258d49165e78a909'),
    'resnet18_v2': (168, 'e1242f4efbb9dfd0'),
    'resnet34_v2': (304, 'e83a55ce81d5a57f'),
    'resnet50_v2': (434, '3f588155e017891f'),
    'resnet101_v2': (859, '60e8d2240c3c83bc'),
    'resnet152_v2': (1284, '52f60b27c78f464a'),
    'vgg11': (51, '03783db270780b64'),
    'vgg13': (59, 'f49c3e71dc5855f2'),
    'vgg16': (71, '6bd5fcd4e54792cc'),
    'vgg19': (83, 'dfb7fd02c7357476'),
    'vgg11_bn': (91, 'ae7ee122cb22631d'),
    'vgg13_bn': (109, '626633417cc94508'),
    'vgg16_bn': (136, 'fbc2f572f55f4117'),
    'vgg19_bn': (163, 'de302d6404b46c91'),
    'alexnet': (38, '38bb226bbd4ae5f9'),
    'densenet121': (1034, '8e77131bd8724b84'),
    'densenet161': (1374, 'f357159d195981cf'),
    'densenet169': (1442, '90baecb5866a1864'),
    'densenet201': (1714, '474240c7ca70329e'),
    'squeezenet1.0': (119, '762e6511b8e9e31d'),
    'squeezenet1.1': (119, 'b17b0ab28986321b'),
    'inceptionv3': (786, 'cafb376c262960c7'),
    'mobilenet1.0': (222, 'd3cafa903adab9be'),
    'mobilenet0.75': (222, 'd3cafa903adab9be'),
    'mobilenet0.5': (222, 'd3cafa903adab9be'),
    'mobilenet0.25': (222, 'd3cafa903adab9be'),
    'mobilenetv2_1.0': (422, 'd008f2227aaa53e2'),
    'mobilenetv2_0.75': (422, 'd008f2227aaa53e2'),
    'mobilenetv2_0.5': (422, 'd008f2227aaa53e2'),
    'mobilenetv2_0.25': (422, 'd008f2227aaa53e2'),
}

# sha1(repr(get_model(name)))[:12] in MXNet 1.9.1
REPRS = {"squeezenet1.1": "f66a935929a7", "resnet18_v1": "20c5b0b48c12",
         "resnet50_v2": "4deffb58a84c", "mobilenetv2_0.25": "bbd5b619b4e0",
         "mobilenet0.25": "f49fccb0377f", "densenet121": "0d8950606173",
         "inceptionv3": "e8dcb677aca3", "alexnet": "9d231a4ad0a8", "vgg11_bn": "74d707741ae5"}

# forward passes cheap enough for every run; the rest are marked slow
FAST_FORWARD = {"resnet18_v1", "resnet18_v2", "squeezenet1.0", "squeezenet1.1", "mobilenet0.25",
                "mobilenetv2_0.25", "mobilenet1.0", "mobilenetv2_1.0"}


def _h(lines):
    return hashlib.sha1("\n".join(lines).encode()).hexdigest()[:16]


def _shape_lines(params):
    return ["%s %s" % (k, tuple(v.shape)) for k, v in params.items()]


def _fresh(name, **kwargs):
    with mx.name.NameManager():
        return vision.get_model(name, **kwargs)


def _fill(net, random=False):
    """Set every Parameter (in sorted structural order) to a deterministic wave, or to seeded
    uniform noise (better conditioned, for the training-mode gradients)."""
    for i, (name, p) in enumerate(sorted(net._collect_params_with_prefix().items())):
        shape = p.shape
        size = int(np.prod(shape))
        if random:
            wave = np.random.RandomState(i).uniform(-1, 1, shape)
        else:
            wave = np.sin(np.arange(size, dtype=np.float64) * 0.37 + i).reshape(shape)
        if name.endswith("running_var"):
            v = 1.0 + 0.2 * wave ** 2
        elif name.endswith("gamma"):
            v = 1.0 + 0.1 * wave
        elif name.endswith(("beta", "bias", "running_mean")):
            v = 0.05 * wave
        else:
            v = wave * np.sqrt(3.0 / (size // shape[0]))
        p.set_data(mx.nd.array(v.astype(np.float32)))


def _image(shape):
    wave = np.cos(np.arange(int(np.prod(shape)), dtype=np.float64) * 0.011).reshape(shape)
    scale = np.linspace(1.0, -0.5, shape[0]).reshape((-1,) + (1,) * (len(shape) - 1))
    return (wave * scale).astype(np.float32)


def _slow_unless(cond):
    return [] if cond else [pytest.mark.slow]


@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_parameter_names_match_mxnet(name):
    count, keys, struct, shapes0, _ = STRUCTURE[name]
    net = _fresh(name)
    params = net.collect_params()
    assert len(params) == count
    assert _h(list(params.keys())) == keys
    assert _h(list(net._collect_params_with_prefix().keys())) == struct
    assert _h(_shape_lines(params)) == shapes0


@pytest.mark.parametrize("name", [pytest.param(n, marks=_slow_unless(n in FAST_FORWARD))
                                  for n in sorted(STRUCTURE)])
def test_inferred_shapes_match_mxnet(name):
    net = _fresh(name)
    net.initialize()
    size = 299 if name == "inceptionv3" else 224
    y = net(mx.nd.zeros((1, 3, size, size)))
    assert y.shape == (1, 1000)
    assert _h(_shape_lines(net.collect_params())) == STRUCTURE[name][4]


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_outputs_match_mxnet(name):
    size, expected = OUTPUTS[name]
    net = vision.get_model(name, classes=10)
    net.initialize()
    x = mx.nd.array(_image((2, 3, size, size)))
    net(x)     # finish deferred initialization
    _fill(net)
    y = net(x).asnumpy()
    np.testing.assert_allclose(y.ravel(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", [pytest.param(n, marks=_slow_unless(n != "resnet50_v1"))
                                  for n in sorted(GRADS)])
def test_training_gradients_match_mxnet(name):
    """Backward through every block kind (residual adds, concat, clip, grouped convolutions)."""
    size, loss_expected, largest, expected = GRADS[name]
    if name == "densenet":
        net = vision.DenseNet(16, 8, [2, 2], classes=10)
    else:
        net = vision.get_model(name, classes=10, **({"thumbnail": True} if "resnet" in name
                                                    else {}))
    net.initialize()
    x = mx.nd.array(np.random.RandomState(0).uniform(-1, 1, (4, 3, size, size)),
                    dtype=np.float32)
    net(x)
    _fill(net, random=True)
    w = mx.nd.array(np.linspace(-1, 1, 40, dtype=np.float32).reshape(4, 10))
    with mx.autograd.record():
        loss = (net(x) * w).sum()
    loss.backward()
    # BatchNorm over 4 samples at 1x1 amplifies float32 rounding: tolerances are loose, but a
    # wrong wiring changes these numbers completely.
    assert float(loss.asscalar()) == pytest.approx(loss_expected, rel=5e-3, abs=1e-3)
    params = net._collect_params_with_prefix()
    got = [float(np.sqrt((params[k].grad().asnumpy().astype(np.float64) ** 2).sum()))
           for k, _ in expected]
    np.testing.assert_allclose(got, [v for _, v in expected], rtol=2e-2, atol=2e-3 * largest)


@pytest.mark.parametrize("name", sorted(SYMBOLS))
def test_traced_graph_matches_mxnet(name):
    if not hasattr(mx, "sym"):
        pytest.skip("mx.sym (the symbol layer) is not built")
    net = _fresh(name)
    internals = net(mx.sym.var("data")).get_internals().list_outputs()
    assert (len(internals), _h(internals)) == SYMBOLS[name]


@pytest.mark.parametrize("name", sorted(REPRS))
def test_repr_matches_mxnet(name):
    assert hashlib.sha1(repr(vision.get_model(name)).encode()).hexdigest()[:12] == REPRS[name]


def test_prefixes_and_a_few_names():
    net = _fresh("resnet18_v1")
    assert net.prefix == "resnetv10_"
    assert list(net.collect_params())[:2] == ["resnetv10_conv0_weight",
                                              "resnetv10_batchnorm0_gamma"]
    assert "resnetv10_stage2_conv2_weight" in net.collect_params()    # the projection shortcut
    net = _fresh("mobilenetv2_1.0")
    assert list(net.collect_params())[-1] == "mobilenetv20_output_pred_weight"
    assert "mobilenetv20_features_linearbottleneck0_conv0_weight" in net.collect_params()
    assert "inception30_E2_conv8_weight" in _fresh("inceptionv3").collect_params()


def test_get_model_names_and_errors():
    assert isinstance(vision.get_model("ResNet18_V1"), vision.ResNetV1)
    assert isinstance(vision.get_model("squeezenet1.1"), vision.SqueezeNet)
    assert vision.get_model("mobilenet0.5", classes=7).output._units == 7
    with pytest.raises(ValueError, match="Model resnet19_v1 is not supported. Available options"):
        vision.get_model("resnet19_v1")
    with pytest.raises(AssertionError, match="Invalid number of layers"):
        vision.get_resnet(1, 19)
    with pytest.raises(AssertionError, match="Invalid resnet version"):
        vision.get_resnet(3, 18)


def test_thumbnail_resnet_runs_on_small_images():
    net = vision.resnet18_v1(classes=10, thumbnail=True)
    net.initialize()
    assert net(mx.nd.zeros((2, 3, 32, 32))).shape == (2, 10)
    assert net.features[0].weight.shape == (64, 3, 3, 3)


def test_pretrained_missing_file_says_what_to_put_where(tmp_path):
    with pytest.raises(mx.MXNetError) as err:
        vision.resnet18_v1(pretrained=True, root=str(tmp_path))
    msg = str(err.value)
    assert os.path.join(str(tmp_path), "resnet18_v1-a0666292.params") in msg
    assert "gluon/models/resnet18_v1-a0666292.zip" in msg
    with pytest.raises(mx.MXNetError, match="mobilenetv2_0.5-aabd26cd.params"):
        vision.get_model("mobilenetv2_0.5", pretrained=True, root=str(tmp_path))
    with pytest.raises(mx.MXNetError, match="vgg16_bn-7f01cf05.params"):
        vision.vgg16_bn(pretrained=True, root=str(tmp_path))
    with pytest.raises(ValueError, match="Pretrained model for resnet19 is not available"):
        model_store.get_model_file("resnet19", root=str(tmp_path))


def test_pretrained_file_is_checked_and_loaded(fixtures_dir, tmp_path, monkeypatch):
    """A file under root with MXNet's published name and SHA-1 loads; a damaged one is refused."""
    data = (fixtures_dir / "mobilenet0_25_classes10.params").read_bytes()
    monkeypatch.setitem(model_store._model_sha1, "mobilenet0.25", hashlib.sha1(data).hexdigest())
    path = tmp_path / ("mobilenet0.25-%s.params" % model_store.short_hash("mobilenet0.25"))
    path.write_bytes(data)
    net = vision.get_model("mobilenet0.25", classes=10, pretrained=True, root=str(tmp_path))
    io = np.load(fixtures_dir / "mobilenet0_25_io.npz")
    np.testing.assert_allclose(net(mx.nd.array(io["x"])).asnumpy(), io["y"], rtol=1e-4,
                               atol=1e-5)
    path.write_bytes(data[:-4] + b"\0\0\0\0")
    with pytest.raises(mx.MXNetError, match="SHA-1"):
        vision.mobilenet0_25(classes=10, pretrained=True, root=str(tmp_path))


def test_default_root_is_mxnets():
    assert os.path.expanduser(model_store.default_root) == \
        os.path.join(os.path.expanduser("~"), ".mxnet", "models")


def test_public_names_are_mxnets():
    # sorted(n for n in dir(mxnet.gluon.model_zoo.vision) if not n.startswith('_')), less the
    # submodule names that the functions of the same name shadow
    mxnet_names = [
        "AlexNet", "BasicBlockV1", "BasicBlockV2", "BottleneckV1", "BottleneckV2", "DenseNet",
        "Inception3", "MobileNet", "MobileNetV2", "ResNetV1", "ResNetV2", "SqueezeNet", "VGG",
        "alexnet", "densenet121", "densenet161", "densenet169", "densenet201", "get_mobilenet",
        "get_mobilenet_v2", "get_model", "get_resnet", "get_vgg", "inception_v3",
        "mobilenet0_25", "mobilenet0_5", "mobilenet0_75", "mobilenet1_0", "mobilenet_v2_0_25",
        "mobilenet_v2_0_5", "mobilenet_v2_0_75", "mobilenet_v2_1_0", "resnet101_v1",
        "resnet101_v2", "resnet152_v1", "resnet152_v2", "resnet18_v1", "resnet18_v2",
        "resnet34_v1", "resnet34_v2", "resnet50_v1", "resnet50_v2", "squeezenet1_0",
        "squeezenet1_1", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
        "vgg19_bn"]
    assert sorted(vision.__all__) == mxnet_names
    for name in mxnet_names:
        assert callable(getattr(vision, name))
    assert mx.gluon.model_zoo.vision is vision and mx.gluon.model_zoo.model_store is model_store
