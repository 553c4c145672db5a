"""The rate limiter boundary: values not exceptions, frozen class, thread safety."""

import threading

import pytest
from odoo_mcp_native import RateLimiter


def test_burst_then_retry_after():
    limiter = RateLimiter(60)
    assert [limiter.check("u:1") for _ in range(60)] == [None] * 60
    retry = limiter.check("u:1")
    assert isinstance(retry, float)
    assert 0.9 < retry <= 1.0
    assert limiter.check("u:2") is None
    assert len(limiter) == 2
    assert limiter.limit == 60


def test_unlimited_touches_no_state():
    limiter = RateLimiter(0)
    assert all(limiter.check(f"k:{i}") is None for i in range(5000))
    assert len(limiter) == 0


def test_clear():
    limiter = RateLimiter(1)
    assert limiter.check("a") is None
    assert limiter.check("a") is not None
    limiter.clear()
    assert len(limiter) == 0
    assert limiter.check("a") is None


def test_bounded_key_set():
    limiter = RateLimiter(5, max_keys=100)
    for i in range(5000):
        limiter.check(f"flood:{i}")
        assert len(limiter) <= 100


def test_bad_arguments():
    with pytest.raises(ValueError):
        RateLimiter(10, max_keys=0)
    with pytest.raises(OverflowError):
        RateLimiter(-1)
    with pytest.raises(TypeError):
        RateLimiter(10).check(42)  # type: ignore[arg-type]


def test_frozen():
    limiter = RateLimiter(10)
    with pytest.raises(AttributeError):
        limiter.limit = 20  # type: ignore[misc]
    with pytest.raises(AttributeError):
        limiter.anything = 1  # type: ignore[attr-defined]


def test_many_threads_share_one_limiter():
    limiter = RateLimiter(1000, max_keys=1000)
    allowed = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def hammer(n):
        barrier.wait()
        mine = 0
        for i in range(2000):
            if limiter.check("shared") is None:
                mine += 1
            limiter.check(f"t{n}:{i % 50}")
        with lock:
            allowed.append(mine)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(allowed)
    # The burst of 1000 passes, plus what refills (1000/min) while the threads run.
    assert 1000 <= total < 1050, total
    assert len(limiter) <= 1000
