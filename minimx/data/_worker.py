"""The DataLoader's workers: processes (or threads) that turn index lists into batches.

A process pool, step by step:

1. ``WorkerPool(n, ...)`` waits for every pushed op (no half-done op may be copied by fork), then
   starts ``n`` processes ('fork' where the OS has it: the dataset is inherited, not pickled). Each
   worker has its own task pipe and result pipe, so no two processes ever write one pipe and no
   lock is needed.
2. ``submit(key, indices)`` sends ``(key, indices, slot)`` to the next worker in turn and returns
   its number; ``slot`` is a free piece of shared memory (``_shm.Slots``). The worker loads the
   samples, batchifies them, writes the arrays into the slot (``_shm.pack``) and sends back
   ``(key, slot, (slot, size, skeleton), None)`` -- or the error, with its traceback and the
   index of the sample that failed, in place of ``None``.
3. ``result(key, worker, timeout)`` sleeps in one ``poll()`` on that worker's result pipe *and*
   its process sentinel (no busy waiting): a result arrives, the worker died, or the timeout passes; the last two raise a clear MXNetError after shutting the pool down. Results
   for other keys (another iterator over the same loader) are kept until asked for.
4. ``forget(generation)``: an iterator that stops early drops its batches; those still in flight
   are deleted when they arrive. ``shutdown()`` stops the workers and deletes every shared file
   left with the pool's prefix.

NB: MXNet 1.9.1 uses a ``multiprocessing.Pool`` whose workers pickle NDArrays that live in shared
memory; a worker that dies there loses its batch and the loader waits for the timeout.
"""
import itertools
import multiprocessing
import multiprocessing.pool
import os
import select
import signal
import time
import traceback
import weakref

import numpy as np

from ..base import MXNetError
from .. import random as mx_random
from ..engine import set_engine, wait_all
from ..threads import set_kernel_threads
from . import _shm
from .batchify import default_batchify_fn

__all__ = ["load_batch", "WorkerPool", "ThreadWorkerPool", "raise_worker_error"]

_pool_ids = itertools.count()


def load_batch(dataset, indices, batchify_fn, gather):
    """The batch of ``indices``: ``gather(indices)`` when given, else batchify the samples."""
    if gather is not None:
        return gather(indices)
    return batchify_fn([dataset[i] for i in indices])


class _WorkerFailure:
    """An exception in a worker, as its type and text (exception objects do not always pickle;
    their classes do)."""

    def __init__(self, exc, where):
        self.exc_type = type(exc)
        self.text = f"{where}:\n" + "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__))


def _load_reporting(dataset, indices, batchify_fn, gather):
    """``load_batch``, but a failure names the sample index it happened on."""
    if gather is not None:
        return gather(indices)
    return _batchify_reporting(batchify_fn, _samples_reporting(dataset, indices), indices)


def _samples_reporting(dataset, indices):
    samples = []
    for i in indices:
        try:
            samples.append(dataset[i])
        except Exception as e:  # noqa: BLE001 - reported to the main process
            raise _SampleError(e, f"while loading sample index {i}") from e
    return samples


def _batchify_reporting(batchify_fn, samples, indices, *args):
    try:
        return batchify_fn(samples, *args)
    except Exception as e:  # noqa: BLE001
        raise _SampleError(e, f"while batchifying the samples of indices {list(indices)}") from e


class _SampleError(Exception):
    def __init__(self, exc, where):
        super().__init__(where)
        self.exc, self.where = exc, where


def raise_worker_error(failure, who):
    """Re-raise a worker's failure in the main process: the original exception type where it
    can be built from one message (so ``except ValueError`` still works), else MXNetError."""
    msg = _Message(f"DataLoader {who} failed {failure.text.rstrip()}")
    try:
        err = failure.exc_type(msg)
        if not isinstance(err, Exception) or err.args != (msg,):
            raise TypeError
    except Exception:  # noqa: BLE001 - the type does not take a message
        err = MXNetError(msg)
    raise err from None


class _Message(str):
    """A message that is its own repr: KeyError shows repr(message), which would print the
    traceback's newlines as '\\n'."""

    def __repr__(self):
        return self


def _worker_loop(wid, dataset, batchify_fn, gather, tasks, results, seed, others):
    """A worker process: batches in, shared files out, until told to stop or the pipe closes."""
    for conn in others:                  # pipes of other workers inherited through fork
        conn.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the main process's to handle
    # Threads do not survive fork: run ops on this thread, one core per worker.
    set_engine("naive")
    set_kernel_threads(1)
    # Else every worker draws the same "random" crops: fork copied one generator state to all.
    np.random.seed(seed % 2**32)
    mx_random.seed(seed % 2**31)
    maps = {}                            # slot path -> this worker's mmap of it
    while True:
        try:
            msg = tasks.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        key, indices, slot, dropped = msg
        indices = np.frombuffer(indices, np.int64)
        for path in dropped:             # slots the main process deleted
            old = maps.pop(path, None)
            if old is not None:
                old.close()
        try:
            if gather is not None:
                payload = _shm.pack_gather(gather, indices, slot, maps)
            elif batchify_fn is default_batchify_fn:
                indices = indices.tolist()
                samples = _samples_reporting(dataset, indices)
                payload = _batchify_reporting(_shm.pack_default, samples, indices, slot, maps)
            else:
                batch = _load_reporting(dataset, indices.tolist(), batchify_fn, None)
                payload = _shm.pack(batch, slot, maps)
            reply = (key, slot, payload, None)
        except _SampleError as e:
            reply = (key, slot, None, _WorkerFailure(e.exc, e.where))
        except Exception as e:  # noqa: BLE001 - a bad index, or shared memory full
            reply = (key, slot, None, _WorkerFailure(e, f"on the batch of indices {list(indices)}"))
        try:
            results.send(reply)
        except (BrokenPipeError, OSError):
            return


def _seed_from_global_state():
    """A base seed for the workers that follows ``np.random.seed`` (so runs repeat) without
    drawing from the global generator (so the shuffle order is that of ``num_workers=0``)."""
    _, keys, pos = np.random.get_state()[:3]
    return int(np.bitwise_xor.reduce(keys.astype(np.uint64)) ^ np.uint64(pos)) % 2**31


def _describe_exit(code):
    if code is not None and code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


class WorkerPool:
    """``num_workers`` processes that batchify for one DataLoader (see the module docstring)."""

    def __init__(self, num_workers, dataset, batchify_fn, gather, prefetch):
        wait_all()
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        ctx = multiprocessing.get_context(method)
        self.prefix = f"minimx-loader-{os.getpid()}-{next(_pool_ids)}"
        self._procs, self._tasks, self._results, self._slots, self._pollers = [], [], [], [], []
        self._stash = {}          # key -> (worker, reply) that arrived while another was awaited
        self._live = set()        # generations whose results are still wanted
        self._next = 0
        base_seed = _seed_from_global_state()
        inherited = []
        for wid in range(num_workers):
            task_r, task_w = ctx.Pipe(duplex=False)
            res_r, res_w = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker_loop, name=f"minimx-loader-worker-{wid}", daemon=True,
                               args=(wid, dataset, batchify_fn, gather, task_r, res_w,
                                     base_seed + wid, inherited + [task_w, res_r]))
            proc.start()
            task_r.close()
            res_w.close()
            inherited += [task_w, res_r]
            self._procs.append(proc)
            self._tasks.append(task_w)
            self._results.append(res_r)
            self._slots.append(_shm.Slots(f"{self.prefix}-{wid}", keep=2 * prefetch + 2))
            poller = select.poll()
            poller.register(res_r.fileno(), select.POLLIN)
            poller.register(proc.sentinel, select.POLLIN)
            self._pollers.append(poller)
        self._finalizer = weakref.finalize(self, _stop, self._procs, self._tasks, self._results,
                                           self.prefix)

    def __len__(self):
        return len(self._procs)

    def new_generation(self, gen):
        self._live.add(gen)

    def submit(self, key, indices):
        """Send the indices of batch ``key = (generation, number)`` to the next worker."""
        wid = self._next
        self._next = (wid + 1) % len(self._procs)
        slots = self._slots[wid]
        dropped, slots.dropped = slots.dropped, []
        # raw int64 bytes pickle as one block; a list of 128 numpy ints pickles 128 objects
        try:
            self._tasks[wid].send((key, np.asarray(indices, dtype=np.int64).tobytes(), slots.take(),
                                   dropped))
        except OSError:      # a broken pipe: the worker is gone
            self._died(wid, key)
        return wid

    def result(self, key, wid, timeout):
        """The batch ``key`` that worker ``wid`` was given, within ``timeout`` seconds."""
        reply = self._stash.pop(key, (None, None))[1]
        conn, proc = self._results[wid], self._procs[wid]
        deadline = time.monotonic() + timeout
        while reply is None:
            remaining = deadline - time.monotonic()
            # one poll() on the result pipe and the process sentinel (the usual case: the batch
            # is there already); multiprocessing's wait() would build a selector every call
            events = dict(self._pollers[wid].poll(max(remaining, 0) * 1000))
            gone = proc.sentinel in events
            if conn.fileno() in events and events[conn.fileno()] & select.POLLIN:
                try:
                    got = conn.recv()
                except EOFError:      # the worker closed its pipe: it is exiting
                    got, gone = None, True
                if got is not None:
                    if got[0] == key:
                        reply = got
                    elif got[0][0] in self._live:
                        self._stash[got[0]] = (wid, got)
                    else:
                        self._slots[wid].give_back(got[1])
                    continue
            if gone:
                self._died(wid, key)
            if remaining <= 0:
                self.shutdown()
                raise MXNetError(
                    f"DataLoader worker {wid} (pid {proc.pid}) returned no batch within "
                    f"timeout={timeout} s (batch {key[1]}); the loader has shut its workers down\n"
                    "  hint: a transform may be stuck or slow: fix it, or raise DataLoader(..., "
                    "timeout=...); full shared memory (/dev/shm) also stalls workers: use fewer "
                    "num_workers")
        _, slot, payload, failure = reply
        if failure is not None:
            self._slots[wid].give_back(slot)
            raise_worker_error(failure, f"worker {wid} (pid {proc.pid})")
        return self._slots[wid].unpack(*payload)

    def _died(self, wid, key):
        proc = self._procs[wid]
        proc.join(5)
        self.shutdown()
        raise MXNetError(
            f"DataLoader worker {wid} (pid {proc.pid}) {_describe_exit(proc.exitcode)} "
            f"before returning batch {key[1]}; the loader has shut its workers down\n"
            "  hint: a crash in the dataset's __getitem__ or transform (a C extension, "
            "or running out of memory) kills a worker; run with num_workers=0 to see it")

    def forget(self, gen):
        """Drop the batches of generation ``gen``: its iterator has stopped."""
        self._live.discard(gen)
        for key in [k for k in self._stash if k[0] == gen]:
            wid, reply = self._stash.pop(key)
            self._slots[wid].give_back(reply[1])

    def shutdown(self):
        self._stash.clear()
        self._finalizer()

    @property
    def alive(self):
        return self._finalizer.alive


def _stop(procs, tasks, results, prefix):
    """Stop the workers (they may be stuck: terminate, then kill) and delete leftover files."""
    for conn in tasks:
        try:
            conn.send(None)
        except OSError:
            pass
    deadline = time.monotonic() + 0.5     # a moment to exit on their own, for all of them at once
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()
    for conn in tasks + results:
        conn.close()
    _shm.remove_leftovers(prefix + "-")


class ThreadWorkerPool:
    """``num_workers`` threads (``thread_pool=True``): batches stay in this process, no shared
    memory, but Python code in the dataset holds the GIL while it runs."""

    def __init__(self, num_workers, dataset, batchify_fn, gather, prefetch):
        self._pool = multiprocessing.pool.ThreadPool(num_workers)
        self._args = (dataset, batchify_fn, gather)
        self._pending = {}
        self.alive = True

    def new_generation(self, gen):
        pass

    def submit(self, key, indices):
        self._pending[key] = self._pool.apply_async(_thread_load, (indices,) + self._args)
        return 0

    def result(self, key, wid, timeout):
        job = self._pending.pop(key)
        try:
            ok, value = job.get(timeout)
        except multiprocessing.TimeoutError:
            self.shutdown()
            raise MXNetError(
                f"DataLoader thread worker returned no batch within timeout={timeout} s "
                f"(batch {key[1]}); the loader has shut its thread pool down\n"
                "  hint: a transform may be stuck or slow: fix it, or raise DataLoader(..., "
                "timeout=...)") from None
        if not ok:
            raise_worker_error(value, "thread worker")
        return value

    def forget(self, gen):
        for key in [k for k in self._pending if k[0] == gen]:
            del self._pending[key]

    def shutdown(self):
        self._pending.clear()
        self.alive = False
        self._pool.terminate()   # threads stuck in a transform are daemons: they cannot block exit


def _thread_load(indices, dataset, batchify_fn, gather):
    try:
        return True, _load_reporting(dataset, indices, batchify_fn, gather)
    except _SampleError as e:
        return False, _WorkerFailure(e.exc, e.where)
