"""Gluon, symbol and training snippets for tools/diff_mxnet.py (deterministic: no random inits)."""


GLUON = [
    # naming and structure
    "with mx.name.NameManager():\n  n = mx.gluon.nn.Dense(3); print(n.name, n.prefix, list(n.collect_params().keys()))",
    "with mx.name.NameManager():\n  s = mx.gluon.nn.HybridSequential()\n  with s.name_scope():\n    s.add(mx.gluon.nn.Dense(4, activation='relu'), mx.gluon.nn.Conv2D(3, 3), mx.gluon.nn.BatchNorm())\n  print(list(s.collect_params().keys())); print(s)",
    "with mx.name.NameManager():\n  s = mx.gluon.nn.HybridSequential()\n  with s.name_scope():\n    s.add(mx.gluon.nn.Dense(4), mx.gluon.nn.Dropout(0.5), mx.gluon.nn.Flatten(), mx.gluon.nn.Embedding(5, 2))\n  print(list(s.collect_params('.*weight').keys())); print(sorted(s._collect_params_with_prefix().keys()))",
    "print(mx.gluon.nn.Conv2D(6, 5, padding=2, in_channels=3, activation='relu'))",
    "print(mx.gluon.nn.Conv1DTranspose(4, 3, strides=2, in_channels=2))",
    "print(mx.gluon.nn.MaxPool2D(3, 2, ceil_mode=True), mx.gluon.nn.AvgPool1D(), mx.gluon.nn.GlobalAvgPool2D())",
    "print(mx.gluon.nn.BatchNorm(in_channels=4), mx.gluon.nn.LayerNorm(), mx.gluon.nn.InstanceNorm())",
    "print(mx.gluon.nn.LeakyReLU(0.1), mx.gluon.nn.PReLU(), mx.gluon.nn.ELU(), mx.gluon.nn.Swish())",
    "print(mx.gluon.nn.Embedding(10, 3), mx.gluon.nn.Dropout(0.3), mx.gluon.nn.Flatten())",
    "p = mx.gluon.Parameter('w', shape=(2, 3)); print(p); p.initialize(mx.init.One()); print(p.data(), p.grad())",
    "d = mx.gluon.ParameterDict('m_'); d.get('a', shape=(2,)); d.get('b', shape=(0, 3)); print(d)",
    # forward values with fixed weights
    "n = mx.gluon.nn.Dense(3, in_units=4); n.initialize(mx.init.Constant(0.1)); print(n(mx.nd.arange(8).reshape((2, 4))))",
    "n = mx.gluon.nn.Dense(2, flatten=False, in_units=3); n.initialize(mx.init.One()); print(n(mx.nd.ones((2, 2, 3))).shape)",
    "n = mx.gluon.nn.Conv2D(2, 3, padding=1, in_channels=1); n.initialize(mx.init.One()); print(n(mx.nd.arange(16).reshape((1, 1, 4, 4))))",
    "n = mx.gluon.nn.BatchNorm(in_channels=2); n.initialize(); x = mx.nd.arange(8).reshape((2, 2, 2))\nwith mx.autograd.record():\n  y = n(x)\ny.backward(); print(y); print(n.running_mean.data(), n.running_var.data())",
    "n = mx.gluon.nn.LayerNorm(in_channels=4); n.initialize(); print(n(mx.nd.arange(8).reshape((2, 4))))",
    "n = mx.gluon.nn.Embedding(5, 2); n.initialize(mx.init.Constant(0.5)); print(n(mx.nd.array([[0, 4], [1, 1]])))",
    "n = mx.gluon.nn.MaxPool2D(2); print(n(mx.nd.arange(32).reshape((1, 2, 4, 4))))",
    "n = mx.gluon.nn.GlobalAvgPool1D(); print(n(mx.nd.arange(12).reshape((1, 3, 4))))",
    "n = mx.gluon.nn.PReLU(); n.initialize(); print(n(mx.nd.array([[-2., 3.]])))",
    "n = mx.gluon.nn.Dense(3); n.initialize()\ntry:\n  n.weight.data()\nexcept Exception as e:\n  print(type(e).__name__)\nprint(n(mx.nd.ones((2, 5))).shape, n.weight.shape)",
    # losses
    "l = mx.gluon.loss.SoftmaxCrossEntropyLoss(); print(l(mx.nd.array([[1., 2., 3.], [1., 0., -1.]]), mx.nd.array([2, 0])))",
    "l = mx.gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False); print(l(mx.nd.array([[1., 2., 3.]]), mx.nd.array([[0., 0.5, 0.5]])))",
    "l = mx.gluon.loss.L2Loss(); print(l(mx.nd.array([[1., 2.], [3., 4.]]), mx.nd.array([[0., 2.], [1., 1.]])))",
    "l = mx.gluon.loss.L1Loss(weight=2.); print(l(mx.nd.array([[1., 2.]]), mx.nd.array([[0., 4.]]), mx.nd.array([[0.5]])))",
    "l = mx.gluon.loss.SigmoidBinaryCrossEntropyLoss(); print(l(mx.nd.array([[0.3, -1.2]]), mx.nd.array([[1., 0.]])))",
    "l = mx.gluon.loss.HuberLoss(rho=0.5); print(l(mx.nd.array([[0.3, -1.2, 2.]]), mx.nd.array([[1., 0., 2.1]])))",
    "l = mx.gluon.loss.HingeLoss(); print(l(mx.nd.array([[0.3, -1.2]]), mx.nd.array([[1., -1.]])))",
    "l = mx.gluon.loss.KLDivLoss(); print(l(mx.nd.array([[0.3, 1.2]]), mx.nd.array([[0.4, 0.6]])))",
    "l = mx.gluon.loss.CosineEmbeddingLoss(); print(l(mx.nd.array([[0.3, 1.2]]), mx.nd.array([[0.4, 0.6]]), mx.nd.array([1])))",
    # training steps
    "n = mx.gluon.nn.Dense(2, in_units=3); n.initialize(mx.init.One())\nt = mx.gluon.Trainer(n.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01})\nfor i in range(3):\n  with mx.autograd.record():\n    l = (n(mx.nd.array([[1., 2., 3.]])) ** 2).sum()\n  l.backward(); t.step(1)\nprint(n.weight.data(), n.bias.data())",
    "n = mx.gluon.nn.Dense(2, in_units=3); n.initialize(mx.init.One())\nt = mx.gluon.Trainer(n.collect_params(), 'adam', {'learning_rate': 0.01})\nfor i in range(3):\n  with mx.autograd.record():\n    l = (n(mx.nd.array([[1., 2., 3.]])) ** 2).sum()\n  l.backward(); t.step(2)\nprint(n.weight.data(), t.learning_rate)",
    "n = mx.gluon.nn.Dense(2, in_units=3); n.initialize(mx.init.One())\nt = mx.gluon.Trainer(n.collect_params(), 'rmsprop', {'learning_rate': 0.01, 'centered': True})\nfor i in range(2):\n  with mx.autograd.record():\n    l = (n(mx.nd.array([[1., 2., 3.]])) ** 2).sum()\n  l.backward(); t.step(1)\nprint(n.weight.data())",
    "n = mx.gluon.nn.Dense(2, in_units=3); n.initialize(mx.init.One())\nt = mx.gluon.Trainer(n.collect_params(), 'sgd', {'learning_rate': 0.1})\nt.set_learning_rate(0.5); print(t.learning_rate)\ntry:\n  t.step(1)\nexcept Exception as e:\n  print(type(e).__name__)",
    "try:\n  mx.gluon.Trainer(mx.gluon.nn.Dense(2, in_units=2).collect_params(), 'nosuchopt')\nexcept Exception as e:\n  print(type(e).__name__)",
    # metrics
    "m = mx.metric.Accuracy(); m.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]])]); print(m.get())",
    "m = mx.metric.TopKAccuracy(top_k=2); m.update([mx.nd.array([2, 0])], [mx.nd.array([[0.1, 0.5, 0.4], [0.2, 0.3, 0.5]])]); print(m.get())",
    "m = mx.metric.F1(); m.update([mx.nd.array([0, 1, 1, 0])], [mx.nd.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4], [0.2, 0.8]])]); print(m.get())",
    "m = mx.metric.MSE(); m.update([mx.nd.array([1., 2.])], [mx.nd.array([1.5, 2.5])]); m.update([mx.nd.array([0.])], [mx.nd.array([2.])]); print(m.get())",
    "m = mx.metric.CrossEntropy(); m.update([mx.nd.array([0, 1])], [mx.nd.array([[0.9, 0.1], [0.3, 0.7]])]); print(m.get())",
    "m = mx.metric.create(['acc', 'mae']); print(m.get())",
    # initializers (deterministic ones)
    "a = mx.nd.zeros((2, 3)); mx.init.Constant(0.5)(mx.init.InitDesc('w_weight'), a); print(a)",
    "a = mx.nd.zeros((1, 1, 4, 4)); mx.init.Bilinear()(mx.init.InitDesc('up_weight'), a); print(a)",
    "a = mx.nd.zeros((8,)); mx.init.LSTMBias(1.0)(mx.init.InitDesc('l_bias'), a); print(a)",
    # symbols
    "with mx.name.NameManager():\n  d = mx.sym.var('data'); s = mx.sym.FullyConnected(d, num_hidden=3); s = mx.sym.Activation(s, act_type='relu')\n  print(s.list_arguments(), s.list_outputs(), s.infer_shape(data=(2, 5)))",
    "with mx.name.NameManager():\n  d = mx.sym.var('data'); c = mx.sym.Convolution(d, kernel=(3, 3), num_filter=4, pad=(1, 1)); b = mx.sym.BatchNorm(c); p = mx.sym.Pooling(b, kernel=(2, 2), stride=(2, 2), pool_type='max')\n  print(p.list_arguments(), p.list_auxiliary_states(), p.infer_shape(data=(1, 3, 8, 8)))",
    "with mx.name.NameManager():\n  a = mx.sym.var('a'); b = mx.sym.var('b'); c = (a + b) * 2 - a / 3\n  print(c.name, c.list_arguments(), c.eval(a=mx.nd.array([3.]), b=mx.nd.array([1.]))[0])",
    "with mx.name.NameManager():\n  s = mx.sym.split(mx.sym.var('x'), num_outputs=3, axis=1); print(s.list_outputs(), len(s))",
    "with mx.name.NameManager():\n  x = mx.sym.var('x'); y = mx.sym.Group([x * 2, mx.sym.sum(x, axis=1)]); print(y.list_outputs(), [o.shape for o in y.eval(x=mx.nd.ones((2, 3)))])",
    "with mx.name.NameManager():\n  f = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc'); print(f.get_internals().list_outputs()); print(f.infer_type(data='float64')[1])",
    # hybridize
    "with mx.name.NameManager():\n  n = mx.gluon.nn.HybridSequential()\n  with n.name_scope():\n    n.add(mx.gluon.nn.Dense(3, activation='tanh'), mx.gluon.nn.Dense(2))\n  n.initialize(mx.init.One()); n.hybridize(); print(n(mx.nd.ones((1, 4)))); print(n._cached_graph[1].list_arguments())",
]
