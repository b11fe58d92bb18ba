"""The scripted scenario (``conftest.SCENARIO``) through the stats API, with numbers by hand.

Visits: A1 and D1 start on 2026-03-01; A2, B1, C1 and A3 on 2026-03-02. Page views 8, actions
12 (page views, events, the outlink and the download; not the ping), bounces B1 and A3,
durations 1200 + 60 + 120 + 20 + 300 + 0 = 1700 s.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.reports.conftest import admin

BOTH = {"from": "2026-03-01", "to": "2026-03-02"}
MONDAY = {"from": "2026-03-02", "to": "2026-03-02"}


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/sites/demo/stats/{path}", params=params, headers=admin())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def pick(row: dict[str, Any], *names: str) -> tuple[Any, ...]:
    return tuple(row[name] for name in names)


SUMMARY_CASES = [
    (
        BOTH,
        dict(
            visitors=4,
            visits=6,
            pageviews=8,
            actions=12,
            bounces=2,
            bounce_rate=33.3,
            duration_s=1700,
            avg_visit_duration_s=283,
            new_visitors=4,
            returning_visitors=1,
            returning_visits=2,
            actions_per_visit=2.0,
        ),
    ),
    (
        MONDAY,  # A1's page view at 00:10 belongs to Sunday with the rest of A1
        dict(
            visitors=3,
            visits=4,
            pageviews=5,
            actions=7,
            bounces=2,
            bounce_rate=50.0,
            duration_s=440,
            avg_visit_duration_s=110,
            new_visitors=2,
            returning_visitors=1,
            returning_visits=2,
        ),
    ),
    (
        {"from": "2026-03-01", "to": "2026-03-01"},
        dict(
            visitors=2,
            visits=2,
            pageviews=3,
            actions=5,
            bounces=0,
            bounce_rate=0.0,
            duration_s=1260,
            avg_visit_duration_s=630,
            new_visitors=2,
            returning_visitors=0,
        ),
    ),
    (
        {"from": "2026-03-03", "to": "2026-03-09"},
        dict(visitors=0, visits=0, pageviews=0, bounce_rate=None, avg_visit_duration_s=None),
    ),
]


@pytest.mark.parametrize(("period", "expected"), SUMMARY_CASES)
def test_summary(scenario: TestClient, period: dict[str, str], expected: dict[str, Any]) -> None:
    body = get(scenario, "summary", **period)
    assert {k: body[k] for k in expected} == expected
    assert body["from"] == period["from"] and body["to"] == period["to"]


FILTER_CASES = [
    (["country:FI"], dict(visitors=2, visits=4, pageviews=5, bounces=2, duration_s=1340)),
    (["country:fi", "device:desktop"], dict(visitors=2, visits=4, pageviews=5)),
    (["page:/products"], dict(visitors=2, visits=2, pageviews=4)),  # visits that saw it
    (["referrer_type:direct"], dict(visitors=1, visits=2, returning_visitors=1)),
    (["referrer:Google"], dict(visitors=1, visits=1, pageviews=2)),
    (["campaign:spring"], dict(visitors=1, visits=1, bounces=1, duration_s=20)),
    (["event_category:Video"], dict(visitors=1, visits=1)),
    (["country:FI", "device:smartphone"], dict(visitors=0, visits=0)),
    (["page:/nowhere"], dict(visitors=0, visits=0)),
]


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
def test_filtered_summary(
    scenario: TestClient, filters: list[str], expected: dict[str, Any]
) -> None:
    body = get(scenario, "summary", **BOTH, filter=filters)
    assert {k: body[k] for k in expected} == expected
    assert [f"{f['name']}:{f['value']}" for f in body["filters"]] == filters


def test_pages(scenario: TestClient) -> None:
    rows = get(scenario, "pages", **BOTH)["rows"]
    assert [pick(r, "value", "visitors", "visits", "pageviews") for r in rows] == [
        ("/", 5, 5, 5),
        ("/products", 2, 2, 2),
        ("/contact", 1, 1, 1),
    ]
    monday = get(scenario, "pages", **MONDAY)["rows"]
    assert [pick(r, "value", "visits") for r in monday] == [
        ("/", 3),
        ("/products", 1),  # C1 only: A1's /products belongs to Sunday
        ("/contact", 1),
    ]


def test_limit_cuts_after_sorting(scenario: TestClient) -> None:
    rows = get(scenario, "pages", **BOTH, limit=2)["rows"]
    assert [r["value"] for r in rows] == ["/", "/products"]


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        ("entry_pages", [("/", 4), ("/products", 1), ("/contact", 1)]),
        ("exit_pages", [("/", 4), ("/products", 1), ("/contact", 1)]),
        (
            "referrer_types",
            [("direct", 2), ("search", 1), ("campaign", 1), ("social", 1), ("website", 1)],
        ),
        ("campaigns", [("spring", 1)]),
        ("websites", [("blog.example.org", 1)]),
        ("search_engines", [("Google", 1)]),
        ("social_networks", [("Facebook", 1)]),
        ("countries", [("FI", 4), ("", 1), ("SE", 1)]),
        ("devices", [("desktop", 5), ("smartphone", 1)]),
        ("browsers", [("Chrome", 5), ("Mobile Safari", 1)]),
        ("os", [("Windows", 5), ("iOS", 1)]),
        ("languages", [("fi", 4), ("en", 1), ("sv", 1)]),
        ("resolutions", [("1920x1080", 4), ("390x844", 1), ("2560x1440", 1)]),
        ("event_categories", [("Video", 1), ("Form", 1)]),
        ("outlinks", [("https://partner.example/", 1)]),
        ("downloads", [("http://127.0.0.1:8000/files/brochure.pdf", 1)]),
        ("page_titles", [("Page", 6)]),
    ],
)
def test_breakdowns(scenario: TestClient, dimension: str, expected: list[tuple[str, int]]) -> None:
    rows = get(scenario, dimension, **BOTH, limit=20)["rows"]
    got = [(r["value"], r["visits"]) for r in rows]
    # Ties in visits keep the order values were first stored in; compare them as sets.
    assert sorted(got, key=lambda x: (-x[1], x[0])) == sorted(expected, key=lambda x: (-x[1], x[0]))


def test_visit_dimension_rows_carry_visit_metrics(scenario: TestClient) -> None:
    rows = {r["value"]: r for r in get(scenario, "countries", **BOTH)["rows"]}
    assert pick(rows["FI"], "visitors", "visits", "pageviews", "actions", "bounces") == (
        3,  # A on Sunday, A and B on Monday: a visitor counts once per day
        4,
        5,
        8,
        2,
    )
    assert rows["FI"]["bounce_rate"] == 50.0 and rows["FI"]["label"] == "Finland"
    assert rows[""]["label"] == "Unknown"


def test_referrers_view_by_type_and_site(scenario: TestClient) -> None:
    rows = get(scenario, "referrers", **BOTH)["rows"]
    assert rows[0] == {**rows[0], "value": "", "type": "direct", "visits": 2}
    assert sorted((r["type"], r["value"], r["visits"]) for r in rows[1:]) == [
        ("campaign", "spring", 1),
        ("search", "Google", 1),
        ("social", "Facebook", 1),
        ("website", "blog.example.org", 1),
    ]


def test_events(scenario: TestClient) -> None:
    rows = {r["value"]: r for r in get(scenario, "events", **BOTH)["rows"]}
    assert set(rows) == {"Video / Play / intro", "Form / Submit"}
    video = rows["Video / Play / intro"]
    assert pick(video, "category", "action", "name", "events", "event_value_sum") == (
        "Video",
        "Play",
        "intro",
        1,
        2.5,
    )
    assert video["pageviews"] is None
    form = rows["Form / Submit"]
    assert pick(form, "events", "events_with_value", "event_value_avg") == (1, 0, None)


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("day", [("2026-03-01", 2, 2, 3), ("2026-03-02", 3, 4, 5)]),
        ("week", [("2026-02-23", 2, 2, 3), ("2026-03-02", 3, 4, 5)]),  # Sunday, Monday
        ("month", [("2026-03-01", 4, 6, 8)]),  # visitors distinct over both days
    ],
)
def test_timeseries(
    scenario: TestClient, interval: str, expected: list[tuple[str, int, int, int]]
) -> None:
    body = get(scenario, "timeseries", **BOTH, interval=interval)
    assert body["interval"] == interval
    assert [pick(r, "date", "visitors", "visits", "pageviews") for r in body["rows"]] == expected


def test_hourly_timeseries_places_each_visit_in_its_first_hour(scenario: TestClient) -> None:
    rows = get(scenario, "timeseries", **BOTH, interval="hour")["rows"]
    assert len(rows) == 48
    busy = {r["date"]: r["visits"] for r in rows if r["visits"]}
    assert busy == {
        "2026-03-01T09": 1,
        "2026-03-01T23": 1,
        "2026-03-02T00": 1,
        "2026-03-02T10": 1,
        "2026-03-02T12": 1,
        "2026-03-02T20": 1,
    }


def test_comparison_with_the_previous_period(scenario: TestClient) -> None:
    body = get(scenario, "summary", **MONDAY, compare="previous")
    assert body["previous"]["from"] == body["previous"]["to"] == "2026-03-01"
    assert pick(body["previous"], "visitors", "visits") == (2, 2)
    assert body["change"]["visits"] == 100.0 and body["change"]["visitors"] == 50.0
    assert body["change"]["bounce_rate"] is None  # no bounces on Sunday: nothing to compare
    rows = get(scenario, "pages", **MONDAY, compare="previous")["rows"]
    first = rows[0]
    assert first["value"] == "/" and first["previous"] == {
        "visitors": 2,
        "visits": 2,
        "pageviews": 2,
    }
    series = get(scenario, "timeseries", **MONDAY, compare="previous")
    assert [r["visits"] for r in series["previous"]["rows"]] == [2]


def test_csv(scenario: TestClient) -> None:
    response = scenario.get(
        "/api/sites/demo/stats/pages", params={**BOTH, "format": "csv"}, headers=admin()
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        'filename="demo-pages-2026-03-01-2026-03-02.csv"' in response.headers["content-disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["value"], r["visits"], r["pageviews"]) for r in rows] == [
        ("/", "5", "5"),
        ("/products", "2", "2"),
        ("/contact", "1", "1"),
    ]
    summary = scenario.get(
        "/api/sites/demo/stats/summary",
        params={**MONDAY, "format": "csv", "compare": "previous"},
        headers=admin(),
    )
    lines = list(csv.DictReader(io.StringIO(summary.text)))
    assert [(r["period"], r["visits"], r["bounce_rate"]) for r in lines] == [
        ("current", "4", "50.0"),
        ("previous", "2", "0.0"),
    ]
    series = scenario.get(
        "/api/sites/demo/stats/timeseries",
        params={**BOTH, "format": "csv", "interval": "week"},
        headers=admin(),
    )
    weeks = list(csv.DictReader(io.StringIO(series.text)))
    assert [(r["date"], r["from"], r["to"], r["visits"]) for r in weeks] == [
        ("2026-02-23", "2026-03-01", "2026-03-01", "2"),
        ("2026-03-02", "2026-03-02", "2026-03-02", "4"),
    ]


def test_site_token_reads_its_own_site(scenario: TestClient) -> None:
    from tests.reports.conftest import DEMO_TOKEN, bearer

    response = scenario.get(
        "/api/sites/demo/stats/summary", params=BOTH, headers=bearer(DEMO_TOKEN)
    )
    assert response.status_code == 200 and response.json()["visits"] == 6
    other = scenario.get("/api/sites/other/stats/summary", params=BOTH, headers=admin())
    assert other.json()["visits"] == 0  # nothing of demo leaks into another site


def test_hits_export_names_each_hits_visit(scenario: TestClient) -> None:
    response = scenario.get("/api/sites/demo/hits", headers=admin())
    lines = [line for line in response.text.splitlines() if line]
    import json

    visits = {json.loads(line)["visit_id"] for line in lines}
    assert len(lines) == 13 and len(visits) == 6 and None not in visits
