"""Filtering the dashboard: a breakdown row is a link to the page narrowed to it, active filters
are removable chips, and filters live in the URL (date picker, presets, CSV links keep them).

Numbers are the scenario's (``tests/dashboard/scenario.py``), counted by hand:

- ``page:/pricing`` selects the visits that viewed /pricing: A's (day 0, 2 page views, 300 s)
  and C's (day 1, 3 page views, 120 s): 2 visitors, 2 visits, 5 page views, no bounce,
  210 s on average, nobody returning (B never viewed /pricing).
- ``entry_page:/`` selects A's visit, B's second visit and C's: 3 visitors, 3 visits,
  6 page views, 1 bounce (33.3 %), (300 + 0 + 120) / 3 = 140 s, 1 returning visitor (B).
"""

from __future__ import annotations

import csv
import html as htmllib
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from gateway.dashboard import view
from gateway.reports.periods import DateRange
from gateway.reports.source import Filter
from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, grant
from tests.dashboard.conftest import login
from tests.dashboard.scenario import FIRST_DAY, PERIOD, SVG_QUERY, hit_params
from tests.dashboard.test_routes import tile

PRICING = {
    "visitors": "2",
    "visits": "2",
    "pageviews": "5",
    "bounce_rate": "0%",
    "avg_visit_duration_s": "3m 30s",
    "returning_visitors": "0",
}
ENTRY_HOME = {
    "visitors": "3",
    "visits": "3",
    "pageviews": "6",
    "bounce_rate": "33.3%",
    "avg_visit_duration_s": "2m 20s",
    "returning_visitors": "1",
}


@pytest.fixture
def scenario(client: TestClient) -> TestClient:
    token = grant(client, ["analytics"])["token"]
    for params in hit_params(ORIGIN, token, FIRST_DAY):
        response = client.get("/matomo.php", params=params, headers={"User-Agent": BROWSER_UA})
        assert response.status_code == 204
    return client


def tiles_of(html: str) -> dict[str, str]:
    return {metric: tile(html, metric) for metric in PRICING}


def row_link(html: str, table: str, label: str) -> str:
    """The href of a breakdown row's link, unescaped."""
    section = html.split(f'data-table="{table}"', 1)[1].split("</section>", 1)[0]
    found = re.search(rf'<a class="label" href="([^"]+)"[^>]*>{re.escape(label)}</a>', section)
    assert found, (table, label)
    return htmllib.unescape(found.group(1))


def chips_of(html: str) -> list[tuple[str, str, str]]:
    return [
        (htmllib.unescape(label), htmllib.unescape(value), htmllib.unescape(href))
        for label, value, href in re.findall(
            r'<span class="chip-label">([^<]*):</span> <span class="chip-value">([^<]*)</span> '
            r'<a class="chip-remove" href="([^"]+)"',
            html,
        )
    ]


def test_clicking_a_page_row_filters_the_whole_dashboard(scenario: TestClient) -> None:
    html = login(scenario, ADMIN, query=PERIOD)
    href = row_link(html, "pages", "/pricing")
    assert parse_qs(urlsplit(href).query) == {
        "from": ["2026-03-01"],
        "to": ["2026-03-07"],
        "filter": ["page:/pricing"],
    }
    page = scenario.get(f"/dashboard/demo{href}")
    assert page.status_code == 200
    assert tiles_of(page.text) == PRICING
    assert "<title>2 Mar 2026, page views: 2</title>" in page.text
    assert "<title>3 Mar 2026, page views: 3</title>" in page.text
    assert chips_of(page.text) == [("Page", "/pricing", "?from=2026-03-01&to=2026-03-07")]
    # the tables are filtered too: the search page was never seen in these visits
    assert "svg onload" not in page.text
    assert re.search(r'class="label"[^>]*>/</a></th><td class="num">2</td>', page.text)
    assert "filters do not apply to them" in page.text  # the consent card says so


def test_filters_combine_replace_their_own_name_and_are_removed_one_by_one(
    scenario: TestClient,
) -> None:
    login(scenario, ADMIN)
    html = scenario.get(f"/dashboard/demo{PERIOD}&filter=entry_page:/").text
    assert tiles_of(html) == ENTRY_HOME
    both = row_link(html, "pages", "/pricing")
    assert parse_qs(urlsplit(both).query)["filter"] == ["entry_page:/", "page:/pricing"]
    page = scenario.get(f"/dashboard/demo{both}").text
    assert tiles_of(page) == PRICING  # both /pricing visits entered on /
    chips = chips_of(page)
    assert [(label, value) for label, value, _ in chips] == [
        ("Entry page", "/"),
        ("Page", "/pricing"),
    ]
    assert "Remove all filters" in page
    without_entry = scenario.get(f"/dashboard/demo{chips[0][2]}").text
    assert chips_of(without_entry)[0][:2] == ("Page", "/pricing")
    # a second page replaces the first rather than asking for visits that saw both
    other = row_link(page, "pages", "/contact")
    assert parse_qs(urlsplit(other).query)["filter"] == ["entry_page:/", "page:/contact"]


def test_date_picker_presets_and_csv_keep_the_filters(scenario: TestClient) -> None:
    login(scenario, ADMIN)
    html = scenario.get(f"/dashboard/demo{PERIOD}&filter=page:/pricing").text
    assert '<input type="hidden" name="filter" value="page:/pricing">' in html
    presets = re.findall(r'<li><a href="([^"]+)"[^>]*>Last \d+ days</a>', html)
    assert presets and all("&amp;filter=page%3A%2Fpricing" in p for p in presets)
    assert (
        'href="/dashboard/demo/csv/summary?from=2026-03-01&amp;to=2026-03-07'
        '&amp;filter=page%3A%2Fpricing"' in html
    )
    got = scenario.get(
        "/dashboard/demo/csv/summary?from=2026-03-01&to=2026-03-07&filter=page%3A%2Fpricing"
    )
    assert got.status_code == 200
    (summary,) = csv.DictReader(io.StringIO(got.text))
    assert (summary["visits"], summary["pageviews"]) == ("2", "5")
    consents = scenario.get(f"/dashboard/demo/csv/consents{PERIOD}&filter=page%3A%2Fpricing")
    assert consents.status_code == 200  # consents ignore visit filters


def test_login_keeps_the_filters_it_was_asked_for(scenario: TestClient) -> None:
    html = login(scenario, ADMIN, query=f"{PERIOD}&filter=entry_page:/")
    assert tiles_of(html) == ENTRY_HOME


def test_filter_values_are_escaped_in_chips_and_links(scenario: TestClient) -> None:
    login(scenario, ADMIN)
    html = scenario.get(f"/dashboard/demo{PERIOD}").text
    href = row_link(html, "pages", str(escape(f"/search?q={SVG_QUERY}")))
    page = scenario.get(f"/dashboard/demo{href}").text
    assert "<svg onload" not in page.lower()
    assert chips_of(page)[0][1] == f"/search?q={SVG_QUERY}"
    assert tile(page, "visits") == "1"
    evil = scenario.get(
        "/dashboard/demo", params={"filter": 'page_title:"><script>alert(1)</script>'}
    )
    assert evil.status_code == 200 and "<script" not in evil.text
    assert "&lt;script&gt;" in evil.text


@pytest.mark.parametrize(
    "query",
    [
        "?filter=nosuch:1",
        "?filter=country",
        "?filter=page:" + "x" * 3000,
        "?" + "&".join(f"filter=page:/{i}" for i in range(11)),
    ],
)
def test_bad_filters_show_the_page_with_an_error(scenario: TestClient, query: str) -> None:
    login(scenario, ADMIN)
    response = scenario.get(f"/dashboard/demo{query}")
    assert response.status_code == 400
    assert 'class="error"' in response.text and "filter" in response.text


def test_a_shared_link_is_never_filtered(scenario: TestClient) -> None:
    from tests.dashboard.test_routes import share_path

    login(scenario, ADMIN)
    path = share_path(scenario)
    scenario.cookies.clear()
    html = scenario.get(f"{path}{PERIOD}&filter=page:/pricing").text
    assert tile(html, "visits") == "4"
    assert 'class="chip"' not in html and '<a class="label"' not in html


@pytest.mark.parametrize(
    ("spec_name", "row", "expected"),
    [
        ("countries", {"value": "FI", "label": "Finland"}, Filter("country", "FI")),
        ("referrers", {"value": "", "type": "direct"}, Filter("referrer", "")),
        ("referrers", {"value": "Google", "type": "search"}, Filter("referrer", "Google")),
        ("browsers", {"value": ""}, Filter("browser", "")),
        (
            "events",
            {"value": "Video / Play", "category": "Video", "action": "Play", "name": ""},
            Filter("event", "Video\x1fPlay\x1f"),
        ),
    ],
)
def test_row_filters(spec_name: str, row: dict[str, object], expected: Filter) -> None:
    spec = next(s for s in view.TABLES if s.name == spec_name)
    assert view.row_filter(spec, row) == expected


@pytest.mark.parametrize(
    ("f", "text"),
    [
        (Filter("country", "fi"), "Finland (FI)"),
        (Filter("referrer", ""), "Direct entry"),
        (Filter("event", "Video\x1fPlay\x1f"), "Video / Play"),
        (Filter("browser", ""), "(not set)"),
    ],
)
def test_chip_texts(f: Filter, text: str) -> None:
    assert view.filter_value_text(f) == text


def test_page_query_round_trips_through_the_url() -> None:
    from datetime import date

    period = DateRange(date(2026, 3, 1), date(2026, 3, 7))
    query = view.page_query(period, [Filter("page", "/a?b=c&d"), Filter("country", "FI")])
    assert parse_qs(query[1:]) == {
        "from": ["2026-03-01"],
        "to": ["2026-03-07"],
        "filter": ["page:/a?b=c&d", "country:FI"],
    }
