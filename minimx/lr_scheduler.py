"""``mx.lr_scheduler``: learning rate as a function of the update count, as in MXNet 1.9.1.

An optimizer calls ``scheduler(num_update)`` before each update, where ``num_update`` is the largest
number of updates applied to any weight so far. All schedulers share an optional warmup: for
``num_update < warmup_steps`` the rate climbs linearly from ``warmup_begin_lr`` to ``base_lr``
(``'linear'``) or stays at ``warmup_begin_lr`` (``'constant'``).

NB: the schedulers are *stateful*, as MXNet's are. ``FactorScheduler`` and ``MultiFactorScheduler``
multiply ``self.base_lr`` in place as ``num_update`` passes each step and never undo it, so calling
them with a smaller ``num_update`` afterwards does not raise the rate again. ``PolyScheduler`` and
``CosineScheduler`` keep the last rate computed once ``num_update`` passes ``max_update``.
MXNet logs each change with ``logging.info``; minimx does the same so that logs match.
"""
import logging
from math import cos, pi

__all__ = ["LRScheduler", "FactorScheduler", "MultiFactorScheduler", "PolyScheduler", "CosineScheduler"]


class LRScheduler(object):
    """Base class of a learning rate scheduler.

    Parameters
    ----------
    base_lr : float, optional
        The initial learning rate (after warmup). Default 0.01.
    warmup_steps : int, optional
        Number of warmup updates before the schedule starts. Default 0.
    warmup_begin_lr : float, optional
        The rate warmup starts from; must not exceed ``base_lr``. Default 0.
    warmup_mode : {'linear', 'constant'}, optional
        ``'linear'`` raises the rate in equal increments, ``'constant'`` holds ``warmup_begin_lr``.
    """

    def __init__(self, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        self.base_lr = base_lr
        # MXNet asserts the type (a float step count would make the warmup ramp ill-defined).
        assert isinstance(warmup_steps, int)
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        if self.warmup_begin_lr > self.warmup_final_lr:
            raise ValueError("Base lr has to be higher than warmup_begin_lr")
        if self.warmup_steps < 0:
            raise ValueError("Warmup steps has to be positive or 0")
        if warmup_mode not in ['linear', 'constant']:
            raise ValueError("Supports only linear and constant modes of warmup")
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update):
        """The warmup rate at ``num_update`` (which must be below ``warmup_steps``)."""
        assert num_update < self.warmup_steps
        if self.warmup_mode == 'linear':
            increase = (self.warmup_final_lr - self.warmup_begin_lr) \
                * float(num_update) / float(self.warmup_steps)
            return self.warmup_begin_lr + increase
        if self.warmup_mode == 'constant':
            return self.warmup_begin_lr
        raise ValueError("Invalid warmup mode %s" % self.warmup_mode)

    def __call__(self, num_update):
        """Return the learning rate for ``num_update`` (the most updates applied to any weight)."""
        raise NotImplementedError("must override this")


class FactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` every ``step`` updates: ``base_lr * factor**floor((n-1)/step)``, n >= 1.

    The rate first changes when ``num_update`` exceeds ``step`` (at ``step + 1``, not ``step``), and
    stops at ``stop_factor_lr``: once the product falls below it, it is clamped there.

    Parameters
    ----------
    step : int
        Change the rate every ``step`` updates; must be >= 1.
    factor : float, optional
        The multiplier, at most 1. Default 1 (no change).
    stop_factor_lr : float, optional
        The floor of the rate. Default 1e-8.
    base_lr, warmup_steps, warmup_begin_lr, warmup_mode
        As in `LRScheduler`.
    """

    def __init__(self, step, factor=1, stop_factor_lr=1e-8, base_lr=0.01,
                 warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super(FactorScheduler, self).__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise ValueError("Schedule step must be greater or equal than 1 round")
        if factor > 1.0:
            raise ValueError("Factor must be no more than 1 to make lr reduce")
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        # The update count at which base_lr was last multiplied.
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # A loop, not an if: resuming training jumps num_update forward by many steps at once.
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                logging.info("Update[%d]: now learning rate arrived at %0.5e, will not "
                             "change in the future", num_update, self.base_lr)
            else:
                logging.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` each time ``num_update`` passes one of the listed steps.

    For ``step[k] < num_update <= step[k+1]`` the rate is ``base_lr * factor**(k+1)``.

    Parameters
    ----------
    step : list of int
        Strictly increasing update counts, each >= 1.
    factor : float, optional
        The multiplier, at most 1. Default 1.
    base_lr, warmup_steps, warmup_begin_lr, warmup_mode
        As in `LRScheduler`.
    """

    def __init__(self, step, factor=1, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0,
                 warmup_mode='linear'):
        super(MultiFactorScheduler, self).__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        assert isinstance(step, list) and len(step) >= 1
        for i, _step in enumerate(step):
            if i != 0 and step[i] <= step[i - 1]:
                raise ValueError("Schedule step must be an increasing integer list")
            if _step < 1:
                raise ValueError("Schedule step must be greater or equal than 1 round")
        if factor > 1.0:
            raise ValueError("Factor must be no more than 1 to make lr reduce")
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # Consume every step passed since the last call (several, when training resumes).
        while self.cur_step_ind <= len(self.step) - 1:
            if num_update > self.step[self.cur_step_ind]:
                self.count = self.step[self.cur_step_ind]
                self.cur_step_ind += 1
                self.base_lr *= self.factor
                logging.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
            else:
                return self.base_lr
        return self.base_lr


class PolyScheduler(LRScheduler):
    """Polynomial decay after warmup: ``final_lr + (base_lr - final_lr) * (1 - t/T)**pwr``.

    Here ``t = num_update - warmup_steps`` and ``T = max_update - warmup_steps``; past ``max_update``
    the rate stays at the last value computed.

    Parameters
    ----------
    max_update : int
        The update count at which the rate reaches ``final_lr``; must be >= 1.
    base_lr : float, optional
        The rate the decay starts from. Default 0.01.
    pwr : int, optional
        The power of the decay. Default 2.
    final_lr : float, optional
        The rate at ``max_update``. Default 0.
    warmup_steps, warmup_begin_lr, warmup_mode
        As in `LRScheduler`.
    """

    def __init__(self, max_update, base_lr=0.01, pwr=2, final_lr=0,
                 warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super(PolyScheduler, self).__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        assert isinstance(max_update, int)
        if max_update < 1:
            raise ValueError("maximum number of updates must be strictly positive")
        self.power = pwr
        self.base_lr_orig = self.base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * \
                pow(1 - float(num_update - self.warmup_steps) / float(self.max_steps), self.power)
        return self.base_lr


class CosineScheduler(LRScheduler):
    """Cosine decay after warmup: ``final_lr + (base_lr - final_lr) * (1 + cos(pi * t/T)) / 2``.

    Here ``t = num_update - warmup_steps`` and ``T = max_update - warmup_steps``; past ``max_update``
    the rate stays at the last value computed.

    Parameters
    ----------
    max_update : int
        The update count at which the rate reaches ``final_lr``; must be >= 1.
    base_lr : float, optional
        The rate the decay starts from. Default 0.01.
    final_lr : float, optional
        The rate at ``max_update``. Default 0.
    warmup_steps, warmup_begin_lr, warmup_mode
        As in `LRScheduler`.
    """

    def __init__(self, max_update, base_lr=0.01, final_lr=0,
                 warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super(CosineScheduler, self).__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        assert isinstance(max_update, int)
        if max_update < 1:
            raise ValueError("maximum number of updates must be strictly positive")
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * \
                (1 + cos(pi * (num_update - self.warmup_steps) / self.max_steps)) / 2
        return self.base_lr
