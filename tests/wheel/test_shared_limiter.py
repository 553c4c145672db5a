"""The boundary of the shared limit's arithmetic: the parameters a store's statement needs, the
decision read from its answer, and the local refusals; decided as the in-process ``RateLimiter``."""

import time

import pytest
from odoo_mcp_native import RateLimiter, SharedLimiter

SECOND = 1_000_000_000


class Row:
    """One key's row, updated as the store's statement updates it."""

    def __init__(self, limiter):
        self.limiter = limiter
        self.tat = None

    def check(self, now):
        allowed, tat = self.limiter.step(self.tat, now)
        self.tat = tat
        return self.limiter.outcome("k", allowed, tat, now, time.monotonic_ns())


def test_parameters_are_governors():
    limiter = SharedLimiter(10)
    assert limiter.limit == 10
    assert limiter.interval_ns == 6 * SECOND
    assert limiter.tolerance_ns == 54 * SECOND


def test_same_decisions_as_the_in_process_limiter():
    """Both on the same burst, at once: same number allowed, the same retry-after (within the time
    the loop takes, since the in-process one reads the clock itself)."""
    for limit in (10, 60, 300):
        local, row = RateLimiter(limit), Row(SharedLimiter(limit, max_refused=0))
        now = time.monotonic_ns()
        ours = [row.check(now) for _ in range(limit + 3)]
        theirs = [local.check("k") for _ in range(limit + 3)]
        assert [r is None for r in ours] == [r is None for r in theirs]
        assert ours[:limit] == [None] * limit
        for a, b in zip(ours[limit:], theirs[limit:], strict=True):
            assert a == pytest.approx(60 / limit, abs=1e-9)
            assert b == pytest.approx(a, abs=0.05)


def test_refusals_are_remembered_until_the_deadline():
    limiter = SharedLimiter(10)
    assert limiter.refused("k", 0) is None
    assert limiter.outcome("k", True, 6 * SECOND, 0, 0) is None
    assert len(limiter) == 0
    # refused at store time 0 with tat 60 s: retry after 6 s, remembered from local time 100
    assert limiter.outcome("k", False, 60 * SECOND, 0, 100) == 6.0
    assert limiter.refused("k", 100 + SECOND) == pytest.approx(5.0)
    assert limiter.refused("k", 100 + 6 * SECOND) is None
    assert limiter.refused("other", 100) is None
    limiter.outcome("k", False, 60 * SECOND, 0, 0)
    limiter.clear()
    assert len(limiter) == 0


def test_local_refusals_are_bounded():
    limiter = SharedLimiter(10, max_refused=100)
    for i in range(5000):
        limiter.outcome(f"k{i}", False, 60 * SECOND, 0, 0)
        assert len(limiter) <= 100


def test_idle_rows():
    assert SharedLimiter.is_idle(5, 5)
    assert not SharedLimiter.is_idle(6, 5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least 1"):
        SharedLimiter(0)
    with pytest.raises(OverflowError):
        SharedLimiter(-1)
    with pytest.raises(TypeError):
        SharedLimiter(10).refused(42, 0)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        SharedLimiter(10).limit = 2  # type: ignore[misc]
