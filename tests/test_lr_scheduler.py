"""mx.lr_scheduler: values over a sequence of updates, as observed in MXNet 1.9.1 (incl. its state)."""
import logging

import pytest

import minimx as mx

L = mx.lr_scheduler


def seq(sched, updates):
    return [sched(n) for n in updates]


def test_base_defaults_and_abstract_call():
    b = L.LRScheduler()
    assert (b.base_lr, b.warmup_steps, b.warmup_begin_lr, b.warmup_mode) == (0.01, 0, 0, 'linear')
    with pytest.raises(NotImplementedError, match="must override this"):
        b(1)


def test_factor_changes_after_step_not_at_it():
    # MXNet 1.9.1: the first change happens at num_update = step + 1.
    s = L.FactorScheduler(step=3, factor=0.5, base_lr=1.0)
    assert seq(s, range(12)) == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125]


def test_factor_stop_factor_lr_clamps():
    s = L.FactorScheduler(step=2, factor=0.1, stop_factor_lr=1e-3, base_lr=1.0)
    assert seq(s, range(12)) == [1.0, 1.0, 1.0, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002,
                                 0.0010000000000000002, 0.0010000000000000002, 0.001, 0.001, 0.001]


def test_factor_is_stateful_and_never_goes_back():
    s = L.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    # A jump forward applies several factors at once; going back does not undo them.
    assert seq(s, [10, 3, 1, 11]) == [0.0625, 0.0625, 0.0625, 0.03125]
    assert (s.count, s.base_lr) == (10, 0.03125)


def test_factor_warmup_linear_and_constant():
    s = L.FactorScheduler(step=2, factor=0.5, base_lr=1.0, warmup_steps=4, warmup_begin_lr=0.2)
    assert seq(s, range(10)) == [0.2, 0.4, 0.6000000000000001, 0.8, 0.5, 0.25, 0.25, 0.125, 0.125, 0.0625]
    s = L.FactorScheduler(step=2, factor=0.5, base_lr=1.0, warmup_steps=4, warmup_begin_lr=0.2,
                          warmup_mode='constant')
    assert seq(s, range(10)) == [0.2, 0.2, 0.2, 0.2, 0.5, 0.25, 0.25, 0.125, 0.125, 0.0625]


def test_factor_logs_changes(caplog):
    s = L.FactorScheduler(step=1, factor=0.5, stop_factor_lr=0.3, base_lr=1.0)
    with caplog.at_level(logging.INFO):
        s(3)
    assert "Change learning rate to 5.00000e-01" in caplog.text
    assert "will not change in the future" in caplog.text


def test_multifactor_sequence_and_state():
    s = L.MultiFactorScheduler(step=[2, 5, 6], factor=0.5, base_lr=1.0)
    assert seq(s, range(10)) == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.125, 0.125, 0.125]
    assert (s.count, s.cur_step_ind) == (6, 3)


def test_multifactor_with_warmup():
    s = L.MultiFactorScheduler(step=[3, 5], factor=0.1, base_lr=1.0, warmup_steps=2)
    assert seq(s, range(8)) == [0.0, 0.5, 1.0, 1.0, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002]


def test_poly_sequence_holds_after_max_update():
    s = L.PolyScheduler(max_update=10, base_lr=1.0, pwr=2)
    assert seq(s, range(13)) == pytest.approx(
        [1.0, 0.81, 0.64, 0.49, 0.36, 0.25, 0.16, 0.09, 0.04, 0.01, 0.0, 0.0, 0.0], abs=1e-15)


def test_poly_with_warmup_and_final_lr():
    s = L.PolyScheduler(max_update=10, base_lr=1.0, pwr=1, final_lr=0.1, warmup_steps=4, warmup_begin_lr=0.5)
    assert seq(s, range(13)) == [0.5, 0.625, 0.75, 0.875, 1.0, 0.85, 0.7000000000000001, 0.55, 0.4,
                                 0.24999999999999997, 0.1, 0.1, 0.1]


def test_cosine_sequence():
    s = L.CosineScheduler(max_update=8, base_lr=2.0, final_lr=0.5)
    assert seq(s, range(11)) == pytest.approx(
        [2.0, 1.942909649383465, 1.7803300858899105, 1.5370125742738174, 1.25, 0.9629874257261827,
         0.7196699141100894, 0.557090350616535, 0.5, 0.5, 0.5], rel=1e-15)


def test_cosine_constant_warmup():
    s = L.CosineScheduler(max_update=8, base_lr=1.0, warmup_steps=3, warmup_mode='constant', warmup_begin_lr=0.1)
    assert seq(s, range(10)) == pytest.approx(
        [0.1, 0.1, 0.1, 1.0, 0.9045084971874737, 0.6545084971874737, 0.34549150281252633,
         0.09549150281252633, 0.0, 0.0], abs=1e-15)


def test_cosine_past_max_update_keeps_initial_rate():
    # MXNet quirk: a first call past max_update returns base_lr unchanged (nothing was computed yet).
    s = L.CosineScheduler(max_update=8, base_lr=1.0)
    assert seq(s, [9, 4]) == [1.0, 0.5]


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(step=0), ValueError, "Schedule step must be greater or equal than 1 round"),
    (dict(step=1, factor=2), ValueError, "Factor must be no more than 1"),
    (dict(step=1, base_lr=0.1, warmup_begin_lr=0.5), ValueError, "Base lr has to be higher than warmup_begin_lr"),
    (dict(step=1, warmup_steps=-1), ValueError, "Warmup steps has to be positive or 0"),
    (dict(step=1, warmup_mode='x'), ValueError, "Supports only linear and constant modes"),
    (dict(step=1, warmup_steps=1.0), AssertionError, None),
])
def test_factor_errors(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        L.FactorScheduler(**kwargs)


@pytest.mark.parametrize("kwargs, exc", [
    (dict(step=[2, 2]), ValueError), (dict(step=[0, 1]), ValueError),
    (dict(step=(1, 2)), AssertionError), (dict(step=[1], factor=1.5), ValueError),
])
def test_multifactor_errors(kwargs, exc):
    with pytest.raises(exc):
        L.MultiFactorScheduler(**kwargs)


@pytest.mark.parametrize("cls", [L.PolyScheduler, L.CosineScheduler])
def test_max_update_errors(cls):
    with pytest.raises(ValueError, match="strictly positive"):
        cls(max_update=0)
    with pytest.raises(AssertionError):
        cls(max_update=2.0)
