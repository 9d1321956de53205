"""Shared test settings: a bounded hypothesis profile, the fixtures folder, engine/backend switches."""
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Derandomized, so a clean-clone CI run draws exactly what a local run draws
# (HYPOTHESIS_PROFILE=thorough draws fresh examples, many more of them).
settings.register_profile("minimx", max_examples=25, deadline=None, derandomize=True,
                          print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "minimx"))



@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_call(item):
    """Undo the settings object hypothesis's pytest plugin stacks onto a parametrized test per case.

    Each case wraps the previous case's settings; with no example database (derandomize, or $CI,
    which loads hypothesis's own "ci" profile) every lookup walks the whole stack, which overflowed
    the recursion limit after ~1000 cases of test_op_table and failed every case after that.
    """
    fn = getattr(item.obj, "__func__", item.obj)
    saved = getattr(fn, "_hypothesis_internal_use_settings", None)
    yield
    if saved is not None:
        fn._hypothesis_internal_use_settings = saved


# A copy of ../shared/fixtures/mxnet-1.9.1 (files written by real MXNet 1.9.1) travels with the
# tests so CI checks them on a clean clone; MINIMX_FIXTURES points elsewhere.
FIXTURES = Path(os.environ.get("MINIMX_FIXTURES",
                               Path(__file__).resolve().parent / "fixtures" / "mxnet-1.9.1"))


@pytest.fixture
def fixtures_dir():
    if not FIXTURES.is_dir():
        pytest.skip(f"MXNet fixtures not found at {FIXTURES} (set MINIMX_FIXTURES)")
    return FIXTURES


@pytest.fixture(params=["threaded", "naive"])
def engine_kind(request):
    """Run a test under both engines; the previous engine is restored afterwards."""
    from minimx import engine
    old = engine.get_engine().name
    engine.set_engine(request.param)
    yield request.param
    engine.set_engine(old)


@pytest.fixture(autouse=True)
def _drain_engine():
    """After each test, finish its pending ops and drop a failure it left for wait_all.

    A test that expects an async error at one wait (``asnumpy``) leaves the failure queued for
    the next ``waitall`` too, as MXNet does; without draining, it would surface in whichever test
    runs next in the same process.
    """
    yield
    from minimx import engine
    from minimx.base import MXNetError
    try:
        engine.wait_all()
    except MXNetError:
        pass
