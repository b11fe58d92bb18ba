"""Who may read the stats, and what bad requests get: a 4xx with a JSON error, never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tests.reports.conftest import DEMO_TOKEN, OTHER_TOKEN, bearer

ENDPOINTS = ["summary", "timeseries", "pages", "referrers", "realtime", "consents"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("site", "headers", "status"),
    [
        ("demo", {}, 401),
        ("demo", {"Authorization": "Basic abc"}, 401),
        ("demo", bearer("not-a-token"), 403),
        ("demo", bearer(OTHER_TOKEN), 403),  # another site's token
        ("nosuch", bearer(DEMO_TOKEN), 403),  # a site token cannot probe site names
        ("nosuch", bearer(ADMIN), 404),
        ("demo", bearer(DEMO_TOKEN), 200),
        ("demo", bearer(ADMIN), 200),
        ("other", bearer(OTHER_TOKEN), 200),
    ],
)
def test_access(
    client: TestClient, endpoint: str, site: str, headers: dict[str, str], status: int
) -> None:
    response = client.get(f"/api/sites/{site}/stats/{endpoint}", headers=headers)
    assert response.status_code == status, response.text
    if status != 200:
        assert set(response.json()) == {"error"}
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("summary", {"from": "2026-13-01"}, "'from' is not a calendar date"),
        ("summary", {"from": "yesterday"}, "'from' must be a date YYYY-MM-DD"),
        ("summary", {"to": "2026-02-30"}, "'to' is not a calendar date"),
        ("summary", {"from": "2026-03-02", "to": "2026-03-01"}, "'to' must not be before"),
        ("summary", {"from": "2000-01-01", "to": "2026-01-01"}, "at most 3660 days"),
        ("summary", {"format": "xml"}, "'format' must be json or csv"),
        ("summary", {"from": "0001-01-01", "compare": "previous"}, "from 1970-01-01"),
        ("summary", {"to": "9999-12-31"}, "'to' must be from 1970-01-01 to 2999-12-31"),
        ("summary", {"compare": "last-year"}, "'compare' must be 'previous'"),
        ("summary", {"filter": "country"}, "must look like name:value"),
        ("summary", {"filter": "ip:1.2.3.4"}, "unknown filter"),
        ("summary", {"filter": ["country:FI"] * 11}, "at most 10 filters"),
        ("pages", {"limit": "0"}, "'limit' must be an integer from 1 to 1000"),
        ("pages", {"limit": "1001"}, "'limit' must be an integer from 1 to 1000"),
        ("pages", {"limit": "ten"}, "'limit' must be an integer from 1 to 1000"),
        ("pages", {"limit": "-1"}, "'limit' must be an integer from 1 to 1000"),
        ("timeseries", {"interval": "minute"}, "'interval' must be one of"),
        (
            "timeseries",
            {"interval": "hour", "from": "2026-01-01", "to": "2026-06-01"},
            "hourly series cover at most 92 days",
        ),
        ("realtime", {"format": "xml"}, "'format' must be json or csv"),
    ],
)
def test_bad_parameters_are_400(
    client: TestClient, path: str, params: dict[str, Any], message: str
) -> None:
    response = client.get(f"/api/sites/demo/stats/{path}", params=params, headers=bearer(ADMIN))
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]


def test_unknown_dimension_is_404_after_auth(client: TestClient) -> None:
    assert client.get("/api/sites/demo/stats/ips").status_code == 401
    response = client.get("/api/sites/demo/stats/ips", headers=bearer(ADMIN))
    assert response.status_code == 404 and "pages" in response.json()["error"]


@pytest.mark.parametrize(
    "value",
    ["", "x" * 2048, "'; DROP TABLE hits; --", "\x00\x01", "é/ü?x=1", "%", "_", '$."20"'],
)
def test_odd_filter_values_are_data(client: TestClient, value: str) -> None:
    for name in ("country", "page", "event_category", "referrer"):
        response = client.get(
            "/api/sites/demo/stats/summary",
            params={"filter": f"{name}:{value}"},
            headers=bearer(ADMIN),
        )
        assert response.status_code == 200, response.text
        assert response.json()["visits"] == 0


def test_defaults_are_the_last_30_days(client: TestClient) -> None:
    body = client.get("/api/sites/demo/stats/summary", headers=bearer(ADMIN)).json()
    from datetime import date

    first, last = date.fromisoformat(body["from"]), date.fromisoformat(body["to"])
    assert (last - first).days == 29
