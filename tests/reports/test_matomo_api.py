"""The Matomo Reporting API subset: the scenario's numbers in Matomo's names and shapes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from starlette.testclient import TestClient

from gateway.reports.matomo_api import parse_segment
from gateway.reports.matomo_dates import MatomoDateError, resolve
from gateway.reports.source import Filter
from tests.conftest import ADMIN
from tests.reports.conftest import DEMO_TOKEN, OTHER_TOKEN

TODAY = date(2026, 3, 4)  # a Wednesday


@pytest.mark.parametrize(
    ("period", "when", "keys", "keyed"),
    [
        ("day", "2026-03-02", ["2026-03-02"], False),
        ("day", "today", ["2026-03-04"], False),
        ("day", "yesterday", ["2026-03-03"], False),
        ("day", "last3", ["2026-03-02", "2026-03-03", "2026-03-04"], True),
        ("day", "previous2", ["2026-03-02", "2026-03-03"], True),
        ("day", "2026-02-27,2026-03-01", ["2026-02-27", "2026-02-28", "2026-03-01"], True),
        ("week", "2026-03-04", ["2026-03-02,2026-03-08"], False),
        ("week", "last2", ["2026-02-23,2026-03-01", "2026-03-02,2026-03-08"], True),
        ("week", "previous1", ["2026-02-23,2026-03-01"], True),
        ("month", "2026-02-10", ["2026-02"], False),
        ("month", "last2", ["2026-02", "2026-03"], True),
        ("month", "2025-12-31,2026-01-01", ["2025-12", "2026-01"], True),
        ("year", "today", ["2026"], False),
        ("range", "2026-03-01,2026-03-02", ["range"], False),
        ("range", "last7", ["range"], False),
        ("range", "2026-03-01,today", ["range"], False),
    ],
)
def test_periods_and_dates(period: str, when: str, keys: list[str], keyed: bool) -> None:
    resolved = resolve(period, when, TODAY)
    assert [key for key, _ in resolved.periods] == keys
    assert resolved.keyed is keyed


@pytest.mark.parametrize(
    ("period", "when", "first", "last"),
    [
        ("range", "last7", "2026-02-26", "2026-03-04"),
        ("range", "previous7", "2026-02-25", "2026-03-03"),
        ("week", "2026-03-08", "2026-03-02", "2026-03-08"),
        ("month", "2024-02-15", "2024-02-01", "2024-02-29"),
        ("year", "2026-06-01", "2026-01-01", "2026-12-31"),
    ],
)
def test_period_bounds(period: str, when: str, first: str, last: str) -> None:
    (_, dates), *_ = resolve(period, when, TODAY).periods
    assert (dates.start, dates.end) == (first, last)


@pytest.mark.parametrize(
    ("period", "when", "message"),
    [
        ("hour", "today", "The period 'hour' is not supported"),
        ("day", "2026-02-30", "is not a correct date"),
        ("day", "soon", "is not a correct date"),
        ("range", "2026-03-01", "is not a correct date range"),
        ("range", "2026-03-02,2026-03-01", "end date is before"),
        ("day", "last0", "number of periods"),
        ("day", "last5000", "number of periods"),
        ("month", "9999-12-31", "is not a correct date"),
        ("week", "2026-01-01,3000-01-01", "is not a correct date"),
    ],
)
def test_bad_dates(period: str, when: str, message: str) -> None:
    with pytest.raises(MatomoDateError, match=message):
        resolve(period, when, TODAY)


@pytest.mark.parametrize(
    ("segment", "filters"),
    [
        ("", ()),
        ("countryCode==fi", (Filter("country", "FI"),)),
        (
            "referrerType==search;deviceType==desktop",
            (Filter("referrer_type", "search"), Filter("device", "desktop")),
        ),
        ("pageUrl==http%3A%2F%2F127.0.0.1%3A8000%2Fproducts", (Filter("page", "/products"),)),
        ("languageCode==fi-fi", (Filter("language", "fi"),)),
    ],
)
def test_segments(segment: str, filters: tuple[Filter, ...]) -> None:
    assert parse_segment(segment) == filters


def api(client: TestClient, method: str, **params: Any) -> Any:
    query = {
        "module": "API",
        "method": method,
        "idSite": 1,
        "format": "JSON",
        "token_auth": ADMIN,
        **params,
    }
    response = client.get("/index.php", params=query)
    assert response.status_code == 200, response.text
    return response.json()


def test_visits_summary(scenario: TestClient) -> None:
    monday = api(scenario, "VisitsSummary.get", period="day", date="2026-03-02")
    assert monday == {
        "nb_uniq_visitors": 3,
        "nb_visits": 4,
        "nb_actions": 7,
        "bounce_count": 2,
        "sum_visit_length": 440,
        "bounce_rate": "50%",
        "nb_actions_per_visit": 1.8,
        "avg_time_on_site": 110,
    }
    both = api(scenario, "VisitsSummary.get", period="range", date="2026-03-01,2026-03-02")
    assert both["nb_uniq_visitors"] == 4 and both["nb_visits"] == 6
    assert both["bounce_rate"] == "33%" and both["avg_time_on_site"] == 283
    days = api(scenario, "VisitsSummary.get", period="day", date="2026-03-01,2026-03-03")
    assert list(days) == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert days["2026-03-01"]["nb_visits"] == 2 and days["2026-03-02"] == monday
    assert days["2026-03-03"] == []  # Matomo's empty answer for a day without visits
    week = api(scenario, "VisitsSummary.get", period="week", date="2026-03-02")
    assert week == monday  # the week of Monday 2 March has no other visits
    segment = api(
        scenario,
        "VisitsSummary.get",
        period="range",
        date="2026-03-01,2026-03-02",
        segment="countryCode==fi",
    )
    assert segment["nb_visits"] == 4 and segment["nb_uniq_visitors"] == 2


def test_page_urls(scenario: TestClient) -> None:
    rows = api(
        scenario, "Actions.getPageUrls", period="range", date="2026-03-01,2026-03-02", flat=1
    )
    first = rows[0]
    assert first["label"] == "/" and first["url"] == "http://127.0.0.1:8000/"
    assert (first["nb_visits"], first["nb_hits"], first["sum_daily_nb_uniq_visitors"]) == (5, 5, 5)
    assert (first["entry_nb_visits"], first["entry_bounce_count"], first["exit_nb_visits"]) == (
        4,
        2,
        4,
    )
    assert first["bounce_rate"] == "50%" and first["exit_rate"] == "80%"
    assert first["segment"] == "pageUrl==http%3A%2F%2F127.0.0.1%3A8000%2F"
    assert [r["label"] for r in rows] == ["/", "/products", "/contact"]
    day = api(scenario, "Actions.getPageUrls", period="day", date="2026-03-02")
    assert "nb_uniq_visitors" in day[0] and "sum_daily_nb_uniq_visitors" not in day[0]
    limited = api(
        scenario,
        "Actions.getPageUrls",
        period="range",
        date="2026-03-01,2026-03-02",
        filter_limit=1,
    )
    assert len(limited) == 1


def test_entry_pages(scenario: TestClient) -> None:
    rows = api(scenario, "Actions.getEntryPageUrls", period="range", date="2026-03-01,2026-03-02")
    first = rows[0]
    assert first["label"] == "/"
    assert (first["entry_nb_visits"], first["entry_nb_actions"], first["entry_bounce_count"]) == (
        4,
        1 + 3 + 2 + 1,  # A3, A1, D1, B1 (C1 entered on /products)
        2,
    )
    assert first["sum_daily_entry_nb_uniq_visitors"] == 4
    assert first["segment"].startswith("entryPageUrl==")


def test_referrer_types_and_websites(scenario: TestClient) -> None:
    rows = api(scenario, "Referrers.getReferrerType", period="range", date="2026-03-01,2026-03-02")
    by_label = {r["label"]: r for r in rows}
    assert set(by_label) == {
        "Direct Entry",
        "Search Engines",
        "Websites",
        "Campaigns",
        "Social Networks",
    }
    direct = by_label["Direct Entry"]
    assert (direct["nb_visits"], direct["nb_actions"], direct["bounce_count"]) == (2, 4, 1)
    assert direct["segment"] == "referrerType==direct" and direct["referrer_type"] == 1
    assert by_label["Campaigns"]["referrer_type"] == 6
    sites = api(scenario, "Referrers.getWebsites", period="range", date="2026-03-01,2026-03-02")
    assert [(r["label"], r["nb_visits"], r["segment"]) for r in sites] == [
        ("blog.example.org", 1, "referrerName==blog.example.org")
    ]


def test_countries_devices_browsers(scenario: TestClient) -> None:
    params = {"period": "range", "date": "2026-03-01,2026-03-02"}
    countries = api(scenario, "UserCountry.getCountry", **params)
    assert countries[0]["label"] == "Finland" and countries[0]["code"] == "fi"
    assert countries[0]["nb_visits"] == 4 and countries[0]["segment"] == "countryCode==fi"
    assert {c["label"]: c["code"] for c in countries[1:]} == {"Sweden": "se", "Unknown": "xx"}
    types = api(scenario, "DevicesDetection.getType", **params)
    assert [(t["label"], t["nb_visits"]) for t in types] == [("Desktop", 5), ("Smartphone", 1)]
    browsers = api(scenario, "DevicesDetection.getBrowsers", **params)
    assert [(b["label"], b["nb_visits"]) for b in browsers] == [
        ("Chrome", 5),
        ("Mobile Safari", 1),
    ]


def test_event_categories(scenario: TestClient) -> None:
    rows = api(scenario, "Events.getCategory", period="day", date="2026-03-01")
    by_label = {r["label"]: r for r in rows}
    assert by_label["Video"] == {
        "label": "Video",
        "nb_uniq_visitors": 1,
        "nb_visits": 1,
        "nb_events": 1,
        "nb_events_with_value": 1,
        "sum_event_value": 2.5,
        "avg_event_value": 2.5,
        "segment": "eventCategory==Video",
    }
    assert by_label["Form"]["nb_events_with_value"] == 0


def test_token_in_post_body_and_bearer_header(scenario: TestClient) -> None:
    form = {
        "module": "API",
        "method": "VisitsSummary.get",
        "idSite": "1",
        "period": "day",
        "date": "2026-03-02",
        "format": "JSON",
        "token_auth": DEMO_TOKEN,
    }
    posted = scenario.post("/index.php", data=form)
    assert posted.status_code == 200 and posted.json()["nb_visits"] == 4
    del form["token_auth"]
    header = scenario.get(
        "/index.php", params=form, headers={"Authorization": f"Bearer {DEMO_TOKEN}"}
    )
    assert header.status_code == 200 and header.json()["nb_visits"] == 4


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"token_auth": ""}, 401, "You must be logged in"),
        ({"token_auth": "wrong"}, 401, "requires 'view' access for the website id = 1"),
        ({"token_auth": OTHER_TOKEN}, 401, "requires 'view' access"),
        ({"idSite": "99"}, 400, "The website id 99 does not exist"),
        ({"idSite": "1,7"}, 400, "idSite must be the integer id of one website"),
        ({"module": "CoreHome"}, 400, "Only module=API"),
        ({"method": "Live.getLastVisitsDetails"}, 400, "is not available here"),
        ({"format": "xml"}, 400, "Only format=JSON"),
        ({"period": "hour"}, 400, "is not supported"),
        ({"date": "2026-02-30"}, 400, "is not a correct date"),
        ({"segment": "visitCount>1"}, 400, "Only segments of the form"),
        ({"segment": "userId==x"}, 400, "is not supported here"),
        ({"filter_limit": "lots"}, 400, "filter_limit"),
    ],
)
def test_errors_in_matomos_shape(
    client: TestClient, params: dict[str, str], status: int, message: str
) -> None:
    query = {
        "module": "API",
        "method": "VisitsSummary.get",
        "idSite": "1",
        "period": "day",
        "date": "today",
        "format": "JSON",
        "token_auth": ADMIN,
        **params,
    }
    response = client.get("/index.php", params=query)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["result"] == "error" and message in body["message"]


def test_oversized_post_is_refused(client: TestClient) -> None:
    response = client.post(
        "/index.php",
        content=b"a=" + b"x" * 70000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413 and response.json()["result"] == "error"
