"""Per-client request budgets: token buckets with a bounded client table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.net.clientip import parse_networks
from gateway.net.ratelimit import Rate, RateLimiter
from gateway.settings import Settings
from tests.conftest import BROWSER_UA, ORIGIN, PEER_IP, grant, rows


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


# --- through the app ------------------------------------------------------------------------


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    tight = replace(settings, consent_rate=Rate(0.001, 2), tracking_rate=Rate(0.001, 3))
    with TestClient(create_app(tight), base_url=ORIGIN, client=(PEER_IP, 50000)) as client:
        yield client


def choose(client: TestClient) -> Response:
    response = client.post(
        "/consent/demo",
        json={"granted": ["analytics"], "policy_version": "2026-01-01", "lang": "fi"},
        headers={"Origin": ORIGIN},
    )
    client.cookies.clear()
    return response


def test_consent_over_the_limit_is_a_429_with_retry_after(
    limited: TestClient, db_path: Path
) -> None:
    assert [choose(limited).status_code for _ in range(3)] == [201, 201, 429]
    refused = choose(limited)
    assert refused.status_code == 429
    assert "too many" in refused.json()["error"]
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["access-control-allow-origin"] == ORIGIN
    assert len(rows(db_path, "SELECT * FROM consents")) == 2
    assert (
        'gateway_requests_rate_limited_total{endpoint="consent"} 2' in limited.get("/metrics").text
    )


def test_tracking_over_the_limit_is_answered_2xx_and_not_stored(
    limited: TestClient, db_path: Path
) -> None:
    token = grant(limited, ["analytics"])["token"]
    hit = {"idsite": 1, "rec": 1, "url": "http://127.0.0.1:8000/", "_id": "0123456789abcdef"}
    answers = [
        limited.get(
            "/matomo.php",
            params={**hit, "gw_consent": token, "send_image": "0"},
            headers={"User-Agent": BROWSER_UA},
        ).status_code
        for _ in range(5)
    ]
    assert answers == [204] * 5
    assert len(rows(db_path, "SELECT * FROM hits")) == 3
    bulk = limited.post("/matomo.php", json={"requests": ["?idsite=1&rec=1", "?idsite=1&rec=1"]})
    assert bulk.json() == {"status": "success", "tracked": 2, "invalid": 0}
    assert limited.post("/matomo.php", content=b'{"requests": 5}').status_code == 400
    assert (
        'gateway_requests_rate_limited_total{endpoint="tracking"} 4' in limited.get("/metrics").text
    )


def test_behind_a_trusted_proxy_each_visitor_has_its_own_budget(settings: Settings) -> None:
    tight = replace(
        settings, consent_rate=Rate(0.001, 1), trusted_proxies=parse_networks([PEER_IP])
    )
    with TestClient(create_app(tight), base_url=ORIGIN, client=(PEER_IP, 50000)) as client:

        def choose_as(visitor: str) -> int:
            client.headers["X-Forwarded-For"] = visitor
            return choose(client).status_code

        assert [choose_as("198.51.100.7"), choose_as("198.51.100.7")] == [201, 429]
        assert choose_as("198.51.100.8") == 201


def test_default_limits_leave_ordinary_use_alone(client: TestClient) -> None:
    assert all(choose(client).status_code == 201 for _ in range(50))
