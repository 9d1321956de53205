"""Reverse-mode differentiation over the recorded tape.

Steps of ``backward(heads, head_grads, ...)``:

1. Check every head was computed while recording (it has a node) or is itself a variable.
2. Sort the recorded nodes that lead to the heads in topological order (a depth-first walk).
3. Seed each head's gradient with its head gradient (ones by default).
4. Walk the nodes from the heads back: call each op's gradient rule with the gradients of its
   outputs; add what it returns to the gradients of its inputs. Rules are made of ops, so this
   runs on the engine like any other work, and with ``create_graph`` it is itself recorded.
5. Write the gradients of the variables into their ``.grad`` (``grad_req='write'``) or add them
   (``'add'``); or, for ``autograd.grad``, return them. A gradient array that nothing else shares
   is not copied: the ``.grad`` array takes over its storage (the same NDArray object, new
   buffer), which saves one copy op per parameter per step.
6. Unless ``retain_graph``, free the graph: a second backward through it is an error.

NB: this lives in the ndarray layer (not in ``minimx.autograd``) because ``NDArray.backward``
calls it; ``mx.autograd`` re-exports it.
"""
from .. import engine as _engine
from ..base import MXNetError
from ..ops.gradutil import wanted as _wanted
from ..ops.opdef import NO_GRAD
from . import invoke as _invoke
from . import tape

__all__ = ["backward", "BULK"]

BULK = 15   # gradient ops per engine op (MXNet's MXNET_EXEC_BULK_EXEC_MAX_NODE_TRAIN_BWD default)


def _describe(x):
    return f"the {x.dtype.__name__} array of shape {x.shape}"


def _topological(heads):
    """Nodes that lead to ``heads``, each after the nodes that computed its inputs."""
    order, seen = [], set()
    for h in heads:
        if h._node is None:
            continue
        stack = [(h._node[0], False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            if node.freed:
                if node is h._node[0]:
                    raise MXNetError(
                        "backward: the graph behind this result was freed by an earlier "
                        "backward. Pass retain_graph=True to the first backward to run backward "
                        "through the same graph again")
                # As in MXNet, a value whose graph an earlier backward freed (an RNN state
                # carried over without detach) is a constant here: gradients stop at it.
                seen.add(id(node))
                continue
            seen.add(id(node))
            stack.append((node, True))
            for x in reversed(node.inputs):     # popped first to last: MXNet's DFS order
                if x._node is not None and id(x._node[0]) not in seen:
                    stack.append((x._node[0], False))
    return order


def backward(heads, head_grads=None, retain_graph=False, train_mode=True, variables=None,
             create_graph=False):
    """Differentiate ``heads``; write variables' ``.grad`` or return gradients of ``variables``."""
    heads = list(heads)
    if head_grads is None:
        head_grads = [None] * len(heads)
    head_grads = list(head_grads)
    if len(head_grads) != len(heads):
        raise MXNetError(f"backward: {len(heads)} heads but {len(head_grads)} head gradients")
    for h in heads:
        if not tape.needs_grad(h):
            raise MXNetError(
                f"backward: {_describe(h)} is not in a computational graph: compute it inside "
                "`with autograd.record():` from arrays that called attach_grad() first. If it "
                "was, an earlier backward freed its graph: pass retain_graph=True to that "
                "backward to differentiate the same graph twice")
    F = _invoke._F
    order = _topological(heads)
    prev_rec = tape.set_recording(create_graph)
    prev_train = tape.set_training(train_mode)
    # The gradient ops go to the engine in segments of BULK ops (MXNet bulks backward the same
    # way): a backward pass is many small dependent ops, where hand-offs cost more than overlap.
    bulking = _engine.bulk(BULK)
    bulking.__enter__()
    try:
        grads = {}   # id(array) -> [array, gradient]
        for h, g in zip(heads, head_grads):
            if g is None:
                g = F.ones_like(h)
            elif g.shape != h.shape:
                raise MXNetError(f"backward: head gradient of shape {g.shape} for {_describe(h)}")
            _accumulate(grads, h, g)
        for node in reversed(order):
            out_grads = [grads[id(o)][1] if id(o) in grads else None for o in node.outputs]
            if all(g is None for g in out_grads):
                continue
            _apply_rule(node, out_grads, grads, F)
        if variables is not None:
            return [grads[id(v)][1] if id(v) in grads else F.zeros_like(v) for v in variables]
        tape.set_recording(False)
        own = None if create_graph else _exclusive_chunks(grads, heads, head_grads, order)
        for x, g in grads.values():
            if x._grad_req == "null" or x._grad is None or x._node is not None:
                continue
            if x._grad_req == "add":
                x._grad += g
            elif own is None or not _adopt(x._grad, g, own):
                g.copyto(x._grad)
            x._fresh_grad = True    # what Trainer's stale-gradient check looks at
        return None
    finally:
        bulking.__exit__(None, None, None)
        tape.set_recording(prev_rec)
        tape.set_training(prev_train)
        if not retain_graph:
            for node in order:
                node.freed = True
                # Its outputs leave the graph (MXNet clears their autograd info): ops on them
                # record nothing, and a later backward treats them as constants.
                for out in node.outputs:
                    if out._node is not None and out._node[0] is node:
                        out._node = None
                node.inputs = node.outputs = ()


def _exclusive_chunks(grads, heads, head_grads, order):
    """ids of the storage chunks that exactly one gradient uses and no forward value or head
    gradient shares: a ``.grad`` may adopt such a chunk without aliasing anything."""
    count = {}
    for _, g in grads.values():
        k = id(g._chunk)
        count[k] = count.get(k, 0) + 1
    for a in list(heads) + [g for g in head_grads if g is not None]:
        count[id(a._chunk)] = 2
    for node in order:
        for a in node.inputs:
            count[id(a._chunk)] = 2
        for a in node.outputs:
            count[id(a._chunk)] = 2
    return {k for k, n in count.items() if n == 1}


def _adopt(buf, g, own):
    """Point the ``.grad`` array ``buf`` at ``g``'s storage (instead of copying ``g`` into it),
    when ``g`` alone uses a whole chunk of the same shape, dtype and context."""
    chunk, data = g._chunk, g._data
    if (id(chunk) not in own or g._offset or buf._offset or type(buf) is not type(g)
            or buf._shape != g._shape or data.dtype != buf._data.dtype
            or chunk.ctx != buf._chunk.ctx or buf._data.size != buf._chunk.buf.size
            or data.size != chunk.buf.size):
        return False
    buf._chunk, buf._data = chunk, data
    own.discard(id(chunk))
    return True


def _accumulate(grads, x, g):
    entry = grads.get(id(x))
    if entry is None:
        grads[id(x)] = [x, g]
    else:
        entry[1] = entry[1] + g


def _apply_rule(node, out_grads, grads, F):
    op = node.op
    rule = op.grad
    if rule is NO_GRAD or rule == NO_GRAD:
        return
    wanted = [tape.needs_grad(x) for x in node.inputs]
    if not any(wanted):
        return
    if rule is None:
        raise MXNetError(f"backward: operator {op.name} has no gradient rule yet, so gradients "
                         "cannot flow through it; compute it outside autograd.record() or use "
                         "ops that have one")
    _wanted.inputs = wanted    # lets expensive rules skip the gradients nobody needs
    try:
        in_grads = rule(F, node.attrs, node.inputs, node.outputs, out_grads)
    finally:
        _wanted.inputs = None
    if len(in_grads) != len(node.inputs):
        raise MXNetError(f"{op.name}: its gradient rule returned {len(in_grads)} gradients for "
                         f"{len(node.inputs)} inputs")
    for x, g, want in zip(node.inputs, in_grads, wanted):
        if g is None or not want:
            continue
        if g.shape != x.shape:
            raise MXNetError(f"{op.name}: its gradient rule returned shape {g.shape} for an input "
                             f"of shape {x.shape}")
        _accumulate(grads, x, g)
