"""Failed credentials are limited per client address and site: 10 failures in 10 minutes, then
429 with Retry-After until the oldest failure leaves the window; a success clears the count.

The decision is a pure function (table below); the HTTP tests drive the dashboard login form,
shared links, the stats API and the Matomo Reporting API through the real app.
"""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from gateway.dashboard import routes
from gateway.dashboard.throttle import (
    FailureThrottle,
    Limit,
    Verdict,
    client_network,
    decide,
    key,
)
from tests.conftest import ADMIN
from tests.dashboard.conftest import DEMO_TOKEN, OTHER_TOKEN, csrf_of

LIMIT = Limit(failures=3, window_s=60)


@pytest.mark.parametrize(
    ("failures", "now", "expected"),
    [
        ([], 100, Verdict(True)),
        ([90, 95], 100, Verdict(True)),  # fewer than the limit
        ([50, 60, 70], 100, Verdict(False, 10)),  # blocked until 50 + 60 = 110
        ([50, 60, 70], 110, Verdict(True)),  # the oldest has left the window
        ([50, 60, 70], 109.5, Verdict(False, 1)),  # whole seconds, rounded up
        ([10, 50, 60, 70], 100, Verdict(False, 10)),  # failures older than the window ignored
        ([70, 80, 90, 95], 100, Verdict(False, 40)),  # the limit-th newest counts: 80 + 60
        ([0, 1, 2], 59.99, Verdict(False, 1)),
        ([0, 1, 2], 60, Verdict(True)),
    ],
)
def test_decide(failures: list[float], now: float, expected: Verdict) -> None:
    assert decide(failures, now, LIMIT) == expected


@pytest.mark.parametrize(
    ("host", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # same subscriber block
        ("::ffff:198.51.100.4", "198.51.100.4"),
        ("testclient", "testclient"),
        (None, "-"),
    ],
)
def test_failures_count_per_client_network(host: str | None, network: str) -> None:
    assert client_network(host) == network


def test_a_success_clears_the_count_and_sites_count_apart() -> None:
    limiter = FailureThrottle(LIMIT)
    here, there = key("dashboard", "203.0.113.7", "demo"), key("dashboard", "203.0.113.7", "x")
    for t in (1, 2, 3):
        limiter.failed(here, t)
    assert limiter.check(here, 4) == Verdict(False, 57)  # the first failure, 1, ends at 61
    assert limiter.check(there, 4).allowed
    assert limiter.check(key("dashboard", "203.0.113.8", "demo"), 4).allowed
    limiter.succeeded(here)
    assert limiter.check(here, 4).allowed


def test_memory_is_bounded_stale_records_go_first() -> None:
    limiter = FailureThrottle(LIMIT, max_keys=3)
    limiter.failed(key("d", "10.0.0.1", "s"), 0)  # stale by t=100
    limiter.failed(key("d", "10.0.0.2", "s"), 90)
    limiter.failed(key("d", "10.0.0.3", "s"), 95)
    limiter.failed(key("d", "10.0.0.4", "s"), 100)
    assert len(limiter) == 3
    assert limiter.check(key("d", "10.0.0.2", "s"), 100).allowed
    for i in range(5, 10):  # none stale: the least recently failing record goes
        limiter.failed(key("d", f"10.0.0.{i}", "s"), 100)
    assert len(limiter) == 3


# -- over HTTP ---------------------------------------------------------------------------------


def _try(client: TestClient, token: str, site: str = "demo") -> tuple[int, str, dict[str, str]]:
    form = client.get(f"/dashboard/{site}")
    response = client.post(
        f"/dashboard/{site}",
        data={"csrf": csrf_of(form.text), "token": token},
        follow_redirects=False,
    )
    return response.status_code, response.text, dict(response.headers)


def test_login_form_blocks_after_ten_failures_even_the_right_token(client: TestClient) -> None:
    for _ in range(10):
        assert _try(client, "wrong-token")[0] == 403
    status, html, headers = _try(client, DEMO_TOKEN)
    assert status == 429
    assert 0 < int(headers["retry-after"]) <= 600
    assert "Too many failed attempts from your address" in html
    assert 'name="token"' in html  # the form is shown again, with the message
    assert _try(client, ADMIN)[0] == 429
    # another site's form is counted apart
    assert _try(client, OTHER_TOKEN, "other")[0] == 303


def test_login_block_ends_with_the_window_and_success_resets(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(9):
        assert _try(client, "wrong-token")[0] == 403
    assert _try(client, DEMO_TOKEN)[0] == 303  # success: the count starts again
    client.cookies.clear()
    for _ in range(10):
        assert _try(client, "wrong-token")[0] == 403
    assert _try(client, DEMO_TOKEN)[0] == 429
    later = time.time() + 601
    monkeypatch.setattr(routes, "_now", lambda: later)
    assert _try(client, DEMO_TOKEN)[0] == 303


def test_a_forged_form_does_not_count(client: TestClient) -> None:
    for _ in range(12):
        client.get("/dashboard/demo")
        response = client.post("/dashboard/demo", data={"csrf": "forged", "token": "x"})
        assert response.status_code == 403
    assert _try(client, DEMO_TOKEN)[0] == 303


def test_shared_links_block_after_ten_bad_tokens(client: TestClient) -> None:
    for i in range(10):
        assert client.get(f"/share/demo/not-a-link-{i}").status_code == 404
    blocked = client.get("/share/demo/not-a-link")
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0


def test_stats_api_blocks_after_ten_wrong_tokens(client: TestClient) -> None:
    url = "/api/sites/demo/stats/summary"
    for _ in range(10):
        assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 403
    blocked = client.get(url, headers={"Authorization": f"Bearer {DEMO_TOKEN}"})
    assert blocked.status_code == 429
    assert "too many failed attempts" in blocked.json()["error"]
    assert int(blocked.headers["retry-after"]) > 0
    # a missing token is not a guess, and another site is counted apart
    assert (
        client.get(
            "/api/sites/other/stats/summary", headers={"Authorization": f"Bearer {OTHER_TOKEN}"}
        ).status_code
        == 200
    )


def test_matomo_api_blocks_after_ten_wrong_tokens(client: TestClient) -> None:
    params = {"module": "API", "method": "VisitsSummary.get", "idSite": "1", "period": "day"}
    params["date"] = "today"
    for _ in range(10):
        answer = client.get("/index.php", params={**params, "token_auth": "nope"})
        assert answer.status_code == 401
    blocked = client.get("/index.php", params={**params, "token_auth": DEMO_TOKEN})
    assert blocked.status_code == 429
    assert blocked.json()["result"] == "error"
    assert int(blocked.headers["retry-after"]) > 0
