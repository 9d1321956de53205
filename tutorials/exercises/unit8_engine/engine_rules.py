"""Unit 8 - the dependency engine's rules, then a dependency engine of your own.

minimx's engine (``minimx/engine``, tutorial 03) runs every op as soon as the ops pushed before
it on the same variables allow: ops declare the variables they read and write, and nothing else
orders them. The rules, for two ops A pushed before B that share a variable v:

- both only read v: no order (readers run together);
- A writes v and B reads it (read after write), A reads v and B writes it (write after read), or
  both write it (write after write): B starts after A has finished.

Exercises
---------
8.1 ``schedule(pushes)`` (this file): the earliest step of every op, all ops taking one step and
    as many workers as needed; checked against minimx's real ``ThreadedEngine``.
8.2 ``TinyEngine.push`` and ``TinyEngine._finish`` (``tiny_engine.py``): a threaded dependency
    engine; checked on random programs against running them one after another.

Check your work with ``python -m minimx.exercises grade --unit 8``.
"""

__all__ = ["schedule", "waves"]


def schedule(pushes):
    """The earliest step at which each op can start.

    Parameters
    ----------
    pushes : list of (name, reads, writes)
        In push order; ``reads`` and ``writes`` are collections of variable names, and no
        variable is in both (an op that reads and writes a variable lists it in ``writes``).

    Returns
    -------
    list of int
        ``steps[i]``: 0 for an op that waits for no earlier op, else one more than the largest
        step of the earlier ops it must wait for (by the rules in the module docstring). Ops with
        the same step may run in parallel.

    Examples
    --------
    >>> schedule([("w", [], ["a"]), ("r1", ["a"], ["b"]), ("r2", ["a"], ["c"]), ("w2", [], ["a"])])
    [0, 1, 1, 2]
    """
    # BEGIN SOLUTION 8.1: compare each op with every earlier one (the rules above); step = 1 + max over those
    steps = []
    for i, (_, reads, writes) in enumerate(pushes):
        reads, writes = set(reads), set(writes)
        step = 0
        for j in range(i):
            _, r_before, w_before = pushes[j]
            w_before = set(w_before)
            if reads & w_before or writes & (set(r_before) | w_before):
                step = max(step, steps[j] + 1)
        steps.append(step)
    return steps
    # END SOLUTION


def waves(pushes):
    """The op names grouped by ``schedule``'s step: what may run together (given)."""
    steps = schedule(pushes)
    out = [[] for _ in range(max(steps) + 1 if steps else 0)]
    for (name, _, _), s in zip(pushes, steps):
        out[s].append(name)
    return out
