# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 12. Recurrent networks: an LSTM language model
#
# ## Goal
#
# Train a character-level language model, a network that reads text one character at a time and
# predicts the next one, on text every Python installation ships with: the documentation strings
# of the standard library. On the way you will batch a long text for truncated backpropagation
# through time (BPTT), carry the LSTM's state from batch to batch and *detach* it, watch the
# perplexity fall, sample new text from the model, and finally open an LSTM cell: its four gates
# written out by hand give exactly what `gluon.rnn.LSTMCell` computes, and `gluon.rnn.LSTM` is
# that cell run over the sequence.
#
# Time: about 50 minutes.

# %%
import inspect
import itertools
import math
import os
import tempfile
import time

import numpy as np

import minimx as mx
from minimx import autograd, gluon, nd
from minimx.gluon import nn, rnn

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"   # less text, fewer epochs, same checks
OUT = os.environ.get("MINIMX_TUTORIAL_OUT", tempfile.gettempdir())
os.makedirs(OUT, exist_ok=True)
mx.random.seed(12)
np.random.seed(12)

# %% [markdown]
# ## Code
#
# ### Text that ships with Python
#
# Every documented module, class and function carries its documentation in `__doc__`. We collect
# the docstrings of a fixed list of standard-library modules (the module's own and those of
# everything it defines), keep printable ASCII only, and squeeze runs of spaces into one. The
# exact text depends a little on your Python version; nothing below relies on the details.

# %%
import argparse, collections, functools, itertools, json, re, string, textwrap  # noqa: E401,E402
import calendar, csv, datetime, decimal, fractions, heapq, logging, pathlib  # noqa: E401,E402

MODULES = [json, re, string, textwrap, collections, functools, itertools, argparse]
if not FAST:
    MODULES += [calendar, csv, datetime, decimal, fractions, heapq, logging, pathlib]


def docstrings(module):
    """The module's docstring and those of the classes, functions and methods it defines."""
    found = [module.__doc__]
    for _, obj in sorted(vars(module).items()):
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        found.append(obj.__doc__)
        if inspect.isclass(obj):
            found += [getattr(m, "__doc__", None) for _, m in sorted(vars(obj).items())
                      if inspect.isfunction(m)]
    return [inspect.cleandoc(d) for d in found if isinstance(d, str) and len(d) > 40]


text = "\n\n".join(d for m in MODULES for d in docstrings(m))
text = "".join(c if 32 <= ord(c) < 127 or c == "\n" else " " for c in text)
text = re.sub(" +", " ", text)     # indentation runs would teach little but spaces
chars = sorted(set(text))
vocab_size = len(chars)
char_to_id = {c: i for i, c in enumerate(chars)}
ids = np.array([char_to_id[c] for c in text], dtype=np.int64)
print(len(text), "characters from", len(MODULES), "modules;", vocab_size, "distinct characters")
print(text[:300])

# %% [markdown]
# ### Batching a long text for truncated BPTT
#
# The text is one long sequence. We cut it into `batch_size` equally long streams, laid side by
# side as the columns of a `(steps, batch_size)` array (MXNet's `TNC` layout: time first). Training
# then walks down the columns `bptt` rows at a time: rows `t .. t+bptt-1` are the input, the same
# rows shifted by one are the target. Column `b` of one batch continues exactly where column `b`
# of the previous batch stopped, which is why the LSTM's final state of one batch is the right
# initial state of the next.
#
# The last tenth of the text is held out for validation.

# %%
batch_size, bptt = 32, 32


def batchify(sequence, batch_size):
    steps = len(sequence) // batch_size
    return sequence[:steps * batch_size].reshape(batch_size, steps).T    # (steps, batch)


split = int(len(ids) * 0.9)
train_streams = batchify(ids[:split], batch_size)
val_streams = batchify(ids[split:], batch_size)
print("train", train_streams.shape, "validation", val_streams.shape)


def bptt_batches(streams):
    for t in range(0, streams.shape[0] - 1 - bptt, bptt):
        yield nd.array(streams[t:t + bptt]), nd.array(streams[t + 1:t + 1 + bptt])


first_x, first_y = next(bptt_batches(train_streams))
def decode(column):
    return "".join(chars[int(i)] for i in column.asnumpy())


print("column 0 of the first input: ", repr(decode(first_x[:, 0])))
print("column 0 of the first target:", repr(decode(first_y[:, 0])))

# %% [markdown]
# ### The model
#
# `Embedding` turns each character id into a learned vector, `rnn.LSTM` runs the sequence through
# an LSTM layer (all time steps in one fused `RNN` op), and `Dense(flatten=False)` maps each time
# step's hidden vector to one score per character. The LSTM takes and returns its state (the
# hidden vector `h` and the cell `c`, each `(layers, batch, hidden)`), so the block does too. It
# is a `HybridBlock`: states are just more inputs and outputs of the graph (tutorial 11).

# %%
class CharLM(gluon.HybridBlock):
    def __init__(self, vocab_size, embed_size, hidden_size, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.embedding = nn.Embedding(vocab_size, embed_size)
            self.lstm = rnn.LSTM(hidden_size, input_size=embed_size)      # layout 'TNC'
            self.decoder = nn.Dense(vocab_size, flatten=False, in_units=hidden_size)

    def hybrid_forward(self, F, x, state):
        output, state = self.lstm(self.embedding(x), state)
        return self.decoder(output), state


hidden_size = 128
model = CharLM(vocab_size, 32, hidden_size)
model.initialize(mx.init.Xavier())
model.hybridize()
print(model)

# %% [markdown]
# ### Perplexity
#
# The loss is the mean cross-entropy $-\log p(\text{next char})$ in nats; its exponential is the
# *perplexity*: the number of characters the model is, on average, as unsure between as if it
# picked uniformly among them. An untrained model is about as unsure as uniform over the whole
# vocabulary, so it starts near `vocab_size`.

# %%
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()


def perplexity(streams):
    total, count = 0.0, 0
    state = model.lstm.begin_state(batch_size=batch_size)
    for x, y in bptt_batches(streams):
        output, state = model(x, state)
        total += loss_fn(output, y).mean().asscalar()
        count += 1
    return math.exp(total / count)


val_ppl_start = perplexity(val_streams)
print("validation perplexity before training: %.1f (vocabulary: %d)" % (val_ppl_start, vocab_size))

# %% [markdown]
# ### Why the state must be detached
#
# Feeding the final state of one batch into the next is right for the *values*. But the state is
# also the end of a recorded computation: it remembers the ops of the previous batch that made
# it. If that history is kept (`backward(retain_graph=True)`), the next `backward` follows the
# state back into the previous batch, and that one's previous batch, and so on: every step
# costs more than the one before. `state = [s.detach() for s in state]` keeps the values and
# cuts the history, so gradients flow back through at most `bptt` steps. That is what
# *truncated* BPTT means. The gradients show the difference:

# %%
two_batches = list(itertools.islice(bptt_batches(train_streams), 2))


def weight_grad_after_two_batches(detach, retain_graph):
    state = model.lstm.begin_state(batch_size=batch_size)
    for x, y in two_batches:
        if detach:
            state = [s.detach() for s in state]
        with autograd.record():
            output, state = model(x, state)
            loss = loss_fn(output, y).mean()
        loss.backward(retain_graph=retain_graph)
    return model.lstm.l0_i2h_weight.grad().asnumpy().copy()


grad_truncated = weight_grad_after_two_batches(detach=True, retain_graph=False)
grad_through_both = weight_grad_after_two_batches(detach=False, retain_graph=True)
print("max |gradient through both batches - truncated gradient| =",
      np.abs(grad_through_both - grad_truncated).max())

# %% [markdown]
# Forgetting both (no `detach`, no `retain_graph`) is a slip Apache MXNet forgives silently: the
# first `backward` frees the previous batch's graph, and the old state then counts as a
# constant, so you get the truncated gradient anyway. NB: minimx refuses instead, with an error
# that names the cause (run the cell to see which your version does). Detach, and both agree.

# %%
try:
    grad_forgotten = weight_grad_after_two_batches(detach=False, retain_graph=False)
    forgotten_error = None
    print("no error; same as the truncated gradient:", np.allclose(grad_forgotten, grad_truncated))
except mx.MXNetError as err:
    grad_forgotten, forgotten_error = None, str(err)
    print("MXNetError:", forgotten_error)

# %% [markdown]
# ### Training
#
# Adam with the usual guard for recurrent networks: the gradients' global norm is clipped, so a
# rare huge gradient cannot throw the weights far away. `trainer.step(1)` because the loss is
# already a mean.

# %%
trainer = gluon.Trainer(model.collect_params(), "adam", {"learning_rate": 0.02})
epochs = 2 if FAST else 4
history = []
for epoch in range(epochs):
    start, total, count = time.time(), 0.0, 0
    state = model.lstm.begin_state(batch_size=batch_size)
    for x, y in bptt_batches(train_streams):
        state = [s.detach() for s in state]
        with autograd.record():
            output, state = model(x, state)
            loss = loss_fn(output, y).mean()
        loss.backward()
        grads = [p.grad() for p in model.collect_params().values()]
        gluon.utils.clip_global_norm(grads, 1.0)
        trainer.step(1)
        total += loss.asscalar()
        count += 1
    train_ppl, val_ppl = math.exp(total / count), perplexity(val_streams)
    history.append((train_ppl, val_ppl))
    print("epoch %d: train perplexity %.2f, validation perplexity %.2f (%.1f s)"
          % (epoch, train_ppl, val_ppl, time.time() - start))

# %% [markdown]
# The training perplexity is averaged over the epoch while the model was still improving, which
# is why in the first epochs it is higher than the validation perplexity measured at the end.

# %%
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(range(len(history) + 1), [val_ppl_start] + [v for _, v in history], "o-",
            label="validation")
    ax.plot(range(1, len(history) + 1), [t for t, _ in history], "s--", label="training")
    ax.set(xlabel="epoch", ylabel="perplexity", yscale="log", title="char-level LSTM")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "minimx_tutorial12_perplexity.png"))
    print("curve:", os.path.join(OUT, "minimx_tutorial12_perplexity.png"))
except ImportError:
    print("matplotlib is not installed: no picture")

# %% [markdown]
# ### Sampling text
#
# To generate, feed a prompt through the network to set up its state, then repeatedly turn the
# last scores into probabilities, draw a character, and feed it back in as a sequence of length
# one. Dividing the scores by a *temperature* below 1 sharpens the distribution (more likely,
# more repetitive text); above 1 flattens it.

# %%
def sample(prompt, length, temperature=1.0, seed=0):
    rng = np.random.RandomState(seed)
    state = model.lstm.begin_state(batch_size=1)
    x = nd.array([[char_to_id[c]] for c in prompt])           # (len(prompt), 1)
    generated = list(prompt)
    for _ in range(length):
        output, state = model(x, state)
        scores = output[-1, 0].asnumpy().astype(np.float64) / temperature
        p = np.exp(scores - scores.max())
        nxt = rng.choice(vocab_size, p=p / p.sum())
        generated.append(chars[nxt])
        x = nd.array([[nxt]])
    return "".join(generated)


generated = sample("Return the ", 200 if FAST else 400, temperature=0.5)
print(generated)

# %% [markdown]
# It will not be Shakespeare (or the Python docs), but after a few minutes of training it spells
# many words right, opens and closes quotes and parentheses, and sounds like a docstring. We
# measure "spells words right" below: the share of generated words that occur in the training
# text.
#
# ### Opening the LSTM cell
#
# One LSTM step takes the input $x_t$ and the state $(h_{t-1}, c_{t-1})$. Two dense projections
# stacked over four gates,
# $$z = W_{i2h} x_t + b_{i2h} + W_{h2h} h_{t-1} + b_{h2h},$$
# are split into four quarters, in MXNet's order **i, f, c, o**:
#
# * input gate $i = \sigma(z_i)$: how much of the new candidate to write;
# * forget gate $f = \sigma(z_f)$: how much of the old cell to keep;
# * candidate $g = \tanh(z_c)$: what to write;
# * output gate $o = \sigma(z_o)$: how much of the cell to show.
#
# Then $c_t = f \odot c_{t-1} + i \odot g$ and $h_t = o \odot \tanh(c_t)$. The cell $c$ is
# changed only by a multiplication with $f$ and an addition, which lets information (and
# gradients) travel many steps. Here it is in numpy, against `gluon.rnn.LSTMCell` holding the
# same parameters:

# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step(x, h, c, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
    z = x @ i2h_weight.T + i2h_bias + h @ h2h_weight.T + h2h_bias
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)                 # MXNet's gate order
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_c), sigmoid(z_o)
    c_next = f * c + i * g
    return o * np.tanh(c_next), c_next


cell = rnn.LSTMCell(6, input_size=5)
cell.initialize(mx.init.Uniform(0.5))
cell.i2h_bias.set_data(nd.random.uniform(-0.5, 0.5, shape=(24,)))   # non-zero biases too
cell.h2h_bias.set_data(nd.random.uniform(-0.5, 0.5, shape=(24,)))
weights = {name: getattr(cell, name).data().asnumpy()
           for name in ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")}
print({k: v.shape for k, v in weights.items()})
x_t = nd.random.normal(shape=(3, 5))
h_prev, c_prev = nd.random.normal(shape=(3, 6)), nd.random.normal(shape=(3, 6))
out, (h_gluon, c_gluon) = cell(x_t, [h_prev, c_prev])
h_numpy, c_numpy = lstm_step(x_t.asnumpy(), h_prev.asnumpy(), c_prev.asnumpy(), **weights)
print("max |h_gluon - h_numpy| =", np.abs(h_gluon.asnumpy() - h_numpy).max())
print("max |c_gluon - c_numpy| =", np.abs(c_gluon.asnumpy() - c_numpy).max())

# %% [markdown]
# Swap two quarters (say, read the order as i, f, o, c) and the numbers no longer match: the gate
# order is part of the parameter format, which is why MXNet-trained LSTM weights only load
# correctly into code that uses the same order.

# %%
def lstm_step_wrong_order(x, h, c, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
    z = x @ i2h_weight.T + i2h_bias + h @ h2h_weight.T + h2h_bias
    z_i, z_f, z_o, z_c = np.split(z, 4, axis=1)                 # i, f, o, c: wrong
    c_next = sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_c)
    return sigmoid(z_o) * np.tanh(c_next), c_next


h_wrong, _ = lstm_step_wrong_order(x_t.asnumpy(), h_prev.asnumpy(), c_prev.asnumpy(), **weights)
print("with the gates read as i, f, o, c: max difference", np.abs(h_wrong - h_numpy).max())

# %% [markdown]
# The `LSTM` *layer* is this cell run over time: its Parameters, named `l0_i2h_weight` etc. (layer
# 0), have the same shapes, and copied into an `LSTMCell`, `cell.unroll` reproduces the layer's
# output and final state.

# %%
layer = rnn.LSTM(6, input_size=5)
layer.initialize(mx.init.Uniform(0.5))
seq = nd.random.normal(shape=(7, 3, 5))                              # (time, batch, features)
begin = [nd.random.normal(shape=(1, 3, 6)), nd.random.normal(shape=(1, 3, 6))]
layer_out, (layer_h, layer_c) = layer(seq, begin)
twin = rnn.LSTMCell(6, input_size=5)
twin.initialize()
for name in ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias"):
    getattr(twin, name).set_data(getattr(layer, "l0_" + name).data())
unrolled, (cell_h, cell_c) = twin.unroll(7, seq, begin_state=[begin[0][0], begin[1][0]],
                                         layout="TNC", merge_outputs=True)
print("layer vs unrolled cell, max difference:",
      np.abs(layer_out.asnumpy() - unrolled.asnumpy()).max())

# %% [markdown]
# ## Check

# %%
assert train_streams.shape == (split // batch_size, batch_size)
np.testing.assert_array_equal(first_y.asnumpy()[:-1], first_x.asnumpy()[1:])   # shifted by one
assert 0.5 * vocab_size < val_ppl_start < 2 * vocab_size, (val_ppl_start, vocab_size)
assert np.abs(grad_through_both - grad_truncated).max() > 1e-6      # history changes the gradient
if forgotten_error is None:                                        # MXNet's behaviour
    np.testing.assert_allclose(grad_forgotten, grad_truncated, rtol=1e-5, atol=1e-7)
else:                                                              # minimx's, when written
    assert "freed" in forgotten_error, forgotten_error
assert history[-1][0] < history[0][0], history                     # training perplexity fell
assert history[-1][1] < 0.3 * val_ppl_start, (history, val_ppl_start)   # a clear drop
assert history[-1][1] < (12 if FAST else 8), history
assert len(generated) == len("Return the ") + (200 if FAST else 400)
assert set(generated) <= set(chars)
known = set(text.split())
words = generated.split()[2:]
assert sum(w in known for w in words) >= 0.3 * len(words), generated   # mostly real words
np.testing.assert_allclose(h_gluon.asnumpy(), h_numpy, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(c_gluon.asnumpy(), c_numpy, rtol=1e-5, atol=1e-6)
assert np.abs(out.asnumpy() - h_gluon.asnumpy()).max() == 0        # the output is h
assert np.abs(h_wrong - h_numpy).max() > 1e-2
np.testing.assert_allclose(unrolled.asnumpy(), layer_out.asnumpy(), rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(cell_h.asnumpy(), layer_h[0].asnumpy(), rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(cell_c.asnumpy(), layer_c[0].asnumpy(), rtol=1e-5, atol=1e-6)

# %% [markdown]
# ## Under the hood
#
# * `minimx/gluon/rnn/rnn_layer.py`: `LSTM` keeps one Parameter per layer, direction and kind
#   (`l0_i2h_weight`, ...), concatenates them into the flat vector the `RNN` op takes, and
#   `begin_state` makes the zero `(layers, batch, hidden)` states.
# * `minimx/ops/rnn.py`: the fused `RNN` op; its docstring gives the gate equations and order, and
#   its gradient rule is the step function differentiated through time.
# * `minimx/gluon/rnn/rnn_cell.py`: `LSTMCell.hybrid_forward` is the gate arithmetic above, in
#   `F.` ops (`FullyConnected`, `SliceChannel` into four, `Activation`, `elemwise_*`);
#   `RecurrentCell.unroll` calls the cell once per time step.
# * `minimx/ndarray/backward.py`: the "graph ... was freed" error (`_topological`), and
#   `NDArray.detach` in `minimx/ndarray/ndarray.py`.
# * `minimx/gluon/utils.py`: `clip_global_norm`.
#
# ## Summary
#
# * Cut a long text into `batch_size` streams `(steps, batch)`; walk down them `bptt` rows at once.
# * Carry the state across batches for its values; `detach()` it to truncate the gradient.
# * Perplexity, `exp(mean cross-entropy)`, starts near the vocabulary size and falls with training.
# * Sampling: feed a prompt, then draw one character at a time from `softmax(scores / T)`.
# * An LSTM step: gates i, f, c, o from two projections; `c = f c + i g`, `h = o tanh(c)`.
#
# ## Exercises
#
# 1. Sample with temperatures 0.2, 1.0 and 1.5. Describe the text you get.
# 2. Use `rnn.LSTM(hidden_size, num_layers=2, dropout=0.2)`. What shape does `begin_state` have
#    now, and does validation perplexity improve?
# 3. Make it word-level: split on whitespace, keep the 2000 most frequent words (others become
#    `<unk>`), and compare perplexities (why is a word-level perplexity not comparable with a
#    character-level one?).
# 4. Replace `rnn.LSTM` by `rnn.GRU` and write the GRU's gates (MXNet order r, z, n) by hand,
#    as done above for the LSTM.
# 5. Set `bptt` to 4 and to 128. How do speed and final perplexity change, and why?
