"""From report data to tiles, tables and chart series: pure functions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from gateway.dashboard import view
from gateway.reports.periods import DateRange, slots

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59, "59s"), (60, "1m 00s"), (105, "1m 45s"), (3599, "59m 59s"), (3720, "1h 02m")],
)
def test_durations(seconds: int, text: str) -> None:
    assert view.fmt_duration(seconds) == text


def test_missing_values_print_a_dash() -> None:
    assert view.fmt_duration(None) == view.fmt_int(None) == view.fmt_percent(None) == "–"
    assert view.fmt_percent(True) == "–"
    assert view.fmt_int(12345) == "12,345" and view.fmt_percent(66.66) == "66.7%"


@pytest.mark.parametrize(
    ("days", "interval"),
    [
        (1, "hour"),
        (2, "day"),
        (30, "day"),
        (92, "day"),
        (93, "week"),
        (731, "week"),
        (732, "month"),
    ],
)
def test_interval_for(days: int, interval: str) -> None:
    first = date(2026, 1, 1)
    period = DateRange(first, date.fromordinal(first.toordinal() + days - 1))
    assert view.interval_for(period) == interval


def test_presets_end_today_and_mark_the_active_one() -> None:
    today = date(2026, 3, 31)
    chosen = view.presets(today, DateRange(date(2026, 3, 2), today))
    assert [(p.days, p.start, p.end, p.active) for p in chosen] == [
        (7, "2026-03-25", "2026-03-31", False),
        (30, "2026-03-02", "2026-03-31", True),
        (90, "2026-01-01", "2026-03-31", False),
    ]


def test_period_texts() -> None:
    assert view.period_text(DateRange(date(2026, 3, 1), date(2026, 3, 1))) == "1 Mar 2026"
    assert view.period_text(DateRange(date(2026, 3, 1), date(2026, 3, 7))) == "1 Mar – 7 Mar 2026"
    assert (
        view.period_text(DateRange(date(2025, 12, 30), date(2026, 1, 2)))
        == "30 Dec 2025 – 2 Jan 2026"
    )
    assert view.slot_texts("2026-03-02T09", "hour") == ("2 Mar 2026 09:00", "09:00")
    assert view.slot_texts("2026-03-02", "week") == ("Week of 2 Mar 2026", "2 Mar")
    assert view.slot_texts("2026-03-01", "month") == ("Mar 2026", "Mar 2026")


def test_tiles_changes_and_their_colours() -> None:
    summary = {
        "visitors": 3,
        "visits": 4,
        "pageviews": 7,
        "bounce_rate": 50.0,
        "avg_visit_duration_s": 105,
        "returning_visitors": 1,
        "previous": {
            "visitors": 2,
            "visits": 4,
            "pageviews": 0,
            "bounce_rate": 25.0,
            "avg_visit_duration_s": 210,
            "returning_visitors": 0,
        },
        "change": {
            "visitors": 50.0,
            "visits": 0.0,
            "pageviews": None,
            "bounce_rate": 100.0,
            "avg_visit_duration_s": -50.0,
            "returning_visitors": None,
        },
    }
    by_key = {t.key: t for t in view.tiles(summary)}
    assert [t.key for t in view.tiles(summary)] == [
        "visitors",
        "visits",
        "pageviews",
        "bounce_rate",
        "avg_visit_duration_s",
        "returning_visitors",
    ]
    assert (by_key["visitors"].value, by_key["visitors"].change) == ("3", "+50%")
    assert by_key["visitors"].good is True and by_key["visitors"].previous == "2"
    assert (by_key["visits"].change, by_key["visits"].trend, by_key["visits"].good) == (
        "±0%",
        "flat",
        None,
    )
    assert (by_key["pageviews"].change, by_key["pageviews"].good) == ("new", None)
    assert by_key["bounce_rate"].good is False  # more bounces are bad news
    assert by_key["avg_visit_duration_s"].change == "−50%"
    assert by_key["avg_visit_duration_s"].good is False
    assert by_key["avg_visit_duration_s"].value == "1m 45s"
    assert by_key["returning_visitors"].change == "new"


def test_tiles_without_data() -> None:
    tiles = view.tiles({"visitors": 0, "bounce_rate": None})
    assert all(t.change == "–" and t.trend == "none" for t in tiles)
    assert tiles[3].value == "–"


PAGES = next(s for s in view.TABLES if s.name == "pages")
REFERRERS = next(s for s in view.TABLES if s.name == "referrers")
COUNTRIES = next(s for s in view.TABLES if s.name == "countries")


def test_table_hides_rows_under_the_minimum_and_scales_bars() -> None:
    rows = [
        {"value": "/", "visitors": 10, "pageviews": 12},
        {"value": "/a", "visitors": 5, "pageviews": 5},
        {"value": "/b", "visitors": 4, "pageviews": 9},
        {"value": "", "visitors": 7, "pageviews": 7},
    ]
    shown = view.table(PAGES, rows, min_visitors=5)
    assert [r.label for r in shown.rows] == ["/", "/a", "(not set)"]
    assert shown.hidden == 1
    assert [r.bar for r in shown.rows] == [20, 10, 14]
    assert shown.rows[0].cells == ("10", "12")
    assert shown.columns == ("Page", "Visitors", "Views")
    assert view.table(PAGES, rows).hidden == 0
    assert len(view.table(PAGES, rows * 5, limit=10).rows) == 10


def test_row_labels() -> None:
    assert view.row_label(REFERRERS, {"value": "", "type": "direct"}) == ("Direct entry", "")
    assert view.row_label(REFERRERS, {"value": "Google", "type": "search"}) == (
        "Google",
        "Search engines",
    )
    assert view.row_label(COUNTRIES, {"value": "FI", "label": "Finland"}) == ("Finland", "FI")


def test_consent_rates_per_bucket() -> None:
    period = DateRange(date(2026, 3, 1), date(2026, 3, 14))
    weeks = slots(period, "week")  # Sun 1 Mar alone, then 2-8 and 9-14
    days = [
        {"date": "2026-03-01", "categories": {"analytics": {"granted": 1, "denied": 1}}},
        {"date": "2026-03-03", "categories": {"analytics": {"granted": 3, "denied": 0}}},
        {"date": "2026-03-04", "categories": {"analytics": {"granted": 0, "denied": 1}}},
        {"date": "2026-03-04", "categories": {"unknown": {"granted": 5, "denied": 0}}},
    ]
    rates = view.consent_rates(days, weeks, ["analytics", "marketing"])
    assert rates == {"analytics": [50.0, 75.0, None], "marketing": [None, None, None]}


def test_consent_categories_follow_the_policy_then_the_data() -> None:
    report = {"categories": [{"category": "zeta"}, {"category": "analytics"}]}
    assert view.consent_categories(report, ["analytics", "marketing"]) == [
        "analytics",
        "marketing",
        "zeta",
    ]


def test_visits_chart_table_matches_the_series() -> None:
    rows = [
        {"date": "2026-03-01", "visitors": 1, "visits": 2, "pageviews": 3},
        {"date": "2026-03-02", "visitors": 0, "visits": 0, "pageviews": 0},
    ]
    chart = view.visits_chart(rows, "day")
    assert chart.rows == (("1 Mar 2026", "1", "2", "3"), ("2 Mar 2026", "0", "0", "0"))
    assert "1 Mar 2026, visits: 2" in chart.svg and "1 Mar 2026, page views: 3" in chart.svg
    assert "2 visits and 3 page views in all" in chart.svg
    assert not chart.empty
    assert view.visits_chart(rows[1:], "day").empty


def test_visits_chart_draws_the_previous_period_by_position() -> None:
    rows = [
        {"date": "2026-03-08", "visitors": 1, "visits": 2, "pageviews": 3},
        {"date": "2026-03-09", "visitors": 4, "visits": 5, "pageviews": 6},
        {"date": "2026-03-10", "visitors": 0, "visits": 0, "pageviews": 0},
    ]
    before = [  # a period with one bucket fewer (weeks and months can differ): a gap at the end
        {"date": "2026-03-05", "visitors": 7, "visits": 9, "pageviews": 9},
        {"date": "2026-03-06", "visitors": 1, "visits": 1, "pageviews": 1},
    ]
    chart = view.visits_chart(rows, "day", before)
    assert ("Visits, previous period", "s-previous") in chart.legend
    assert chart.columns[-1] == "Visits, previous period"
    assert [r[-1] for r in chart.rows] == ["9", "1", "–"]
    wide = ET.fromstring(str(chart.svg).split('<div class="chart-wide">')[1].split("</div>")[0])
    groups = {g.get("class"): g for g in wide.iter(f"{SVG}g")}
    previous = groups["series series-previous"]
    tips = [t.text for t in previous.iter(f"{SVG}title")]
    assert tips == [
        "5 Mar 2026, visits, previous period: 9",
        "6 Mar 2026, visits, previous period: 1",
    ]
    current = [t.text for t in groups["series series-0"].iter(f"{SVG}title")]
    assert current == [
        "8 Mar 2026, visits: 2",
        "9 Mar 2026, visits: 5",
        "10 Mar 2026, visits: 0",
    ]
    # the dashed line runs over the first two positions only, at the current points' x
    (line,) = previous.findall(f"{SVG}path")
    xs = [c.get("cx") for c in groups["series series-0"].iter(f"{SVG}circle")]
    assert [c.get("cx") for c in previous.iter(f"{SVG}circle")] == xs[:2]
    assert line.get("class") == "line"
    # the axis makes room for the previous period's larger value
    grid = wide.find(f"{SVG}g[@class='grid']")
    assert grid is not None
    assert float([t.text for t in grid.iter(f"{SVG}text")][-1] or 0) >= 9
    assert len(view.visits_chart(rows, "day").legend) == 2  # without: no third series
