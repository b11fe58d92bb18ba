"""Per-client request budgets: token buckets with a bounded client table."""

from __future__ import annotations

import pytest

from gateway.net.ratelimit import Rate, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "per_second", "burst"),
    [
        ("20/s", 20.0, 200),
        ("20/s,50", 20.0, 50),
        ("600/min", 10.0, 6000),
        ("600/min,100", 10.0, 100),
        ("3600/h,5", 1.0, 5),
        ("0", 0.0, 0),
        ("off", 0.0, 0),
    ],
)
def test_rates_are_read_from_text(text: str, per_second: float, burst: int) -> None:
    rate = Rate.parse(text)
    assert (rate.per_second, rate.burst) == pytest.approx((per_second, burst))


@pytest.mark.parametrize("text", ["20", "20/day", "x/s", "-1/s", "5/s,0", "5/s,x", "/s"])
def test_bad_rates_name_the_format(text: str) -> None:
    with pytest.raises(ValueError, match="20/s"):
        Rate.parse(text)


def test_a_burst_is_allowed_then_refused_then_refilled() -> None:
    clock = Clock()
    limiter = RateLimiter(Rate(2.0, 3), clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.retry_after("a") == 1
    clock.now += 0.5  # one token back at 2/s
    assert [limiter.allow("a") for _ in range(2)] == [True, False]
    clock.now += 60  # never more than the burst
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.refused == 3


def test_clients_have_their_own_buckets() -> None:
    limiter = RateLimiter(Rate(1.0, 1), clock=Clock())
    assert limiter.allow("203.0.113.9")
    assert not limiter.allow("203.0.113.9")
    assert limiter.allow("198.51.100.7")


def test_unlimited_allows_everything_and_keeps_no_state() -> None:
    limiter = RateLimiter(Rate.parse("0"), clock=Clock())
    assert all(limiter.allow("a") for _ in range(10_000))
    assert limiter.retry_after("a") == 0


def test_the_client_table_is_bounded_oldest_forgotten_first() -> None:
    limiter = RateLimiter(Rate(1.0, 1), max_clients=2, clock=Clock())
    assert limiter.allow("a") and limiter.allow("b")
    assert not limiter.allow("a")  # a is now the most recent
    assert limiter.allow("c")  # b is forgotten
    assert limiter.allow("b")  # so b starts with a full bucket again
    assert len(limiter._buckets) == 2
