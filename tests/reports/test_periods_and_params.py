"""Periods, buckets, the week/month cover of long periods, parameters and CSV, as tables."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gateway.reports.csvfmt import to_csv
from gateway.reports.params import ParamError, access, parse_filter, parse_stats_params
from gateway.reports.periods import DateRange, PeriodError, cover, slots
from gateway.reports.source import Filter
from tests.conftest import ADMIN

TODAY = date(2026, 3, 4)


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_previous_period_has_the_same_length() -> None:
    period = DateRange(d("2026-03-01"), d("2026-03-31"))
    assert period.previous() == DateRange(d("2026-01-29"), d("2026-02-28"))


@pytest.mark.parametrize(
    ("interval", "labels"),
    [
        ("day", ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]),
        ("week", ["2026-02-23", "2026-03-02"]),
        ("month", ["2026-02-01", "2026-03-01"]),
    ],
)
def test_slots(interval: str, labels: list[str]) -> None:
    found = slots(DateRange(d("2026-02-27"), d("2026-03-02")), interval)  # type: ignore[arg-type]
    assert [s.label for s in found] == labels
    assert found[0].first == d("2026-02-27")  # the first bucket is cut to the period


def test_hour_slots() -> None:
    found = slots(DateRange(d("2026-03-01"), d("2026-03-01")), "hour")
    assert [s.label for s in found][:2] == ["2026-03-01T00", "2026-03-01T01"]
    assert len(found) == 24
    with pytest.raises(PeriodError):
        slots(DateRange(d("2026-01-01"), d("2026-06-01")), "hour")


@pytest.mark.parametrize(
    ("first", "last", "months", "weeks", "days"),
    [
        ("2026-03-04", "2026-03-04", [], [], [("2026-03-04", "2026-03-04")]),
        ("2026-03-02", "2026-03-08", [], ["2026-03-02"], []),
        ("2026-03-01", "2026-03-31", ["2026-03-01"], [], []),
        (  # a 30-day panel: days, whole weeks, days
            "2026-10-23",
            "2026-11-21",
            [],
            ["2026-10-26", "2026-11-02", "2026-11-09"],
            [("2026-10-23", "2026-10-25"), ("2026-11-16", "2026-11-21")],
        ),
        (
            "2026-01-28",
            "2026-04-03",
            ["2026-02-01", "2026-03-01"],
            [],
            [("2026-01-28", "2026-01-31"), ("2026-04-01", "2026-04-03")],
        ),
    ],
)
def test_cover(
    first: str, last: str, months: list[str], weeks: list[str], days: list[tuple[str, str]]
) -> None:
    found = cover(DateRange(d(first), d(last)))
    assert [m.isoformat() for m in found.months] == months
    assert [w.isoformat() for w in found.weeks] == weeks
    assert [(a.isoformat(), b.isoformat()) for a, b in found.days] == days


@pytest.mark.parametrize("length", [1, 6, 7, 30, 31, 90, 366, 800])
def test_cover_covers_every_day_exactly_once(length: int) -> None:
    for start in (d("2026-01-01"), d("2026-02-25"), d("2025-12-29")):
        period = DateRange(start, start + timedelta(days=length - 1))
        found = cover(period)
        covered: list[date] = []
        for month in found.months:
            end = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            covered += [month + timedelta(days=n) for n in range((end - month).days)]
        for week in found.weeks:
            covered += [week + timedelta(days=n) for n in range(7)]
        for a, b in found.days:
            covered += [a + timedelta(days=n) for n in range((b - a).days + 1)]
        assert sorted(covered) == period.each_day()


def test_defaults_and_values() -> None:
    params = parse_stats_params({}, [], TODAY)
    assert (params.period.start, params.period.end) == ("2026-02-03", "2026-03-04")
    assert (params.format, params.limit, params.interval, params.compare) == (
        "json",
        10,
        "day",
        False,
    )
    params = parse_stats_params(
        {
            "from": "2026-01-01",
            "to": "2026-01-31",
            "limit": "50",
            "compare": "previous",
            "format": "csv",
            "interval": "week",
        },
        ["country:FI", "page:/a:b"],
        TODAY,
    )
    assert params.filters == (Filter("country", "FI"), Filter("page", "/a:b"))
    assert (params.limit, params.compare, params.format) == (50, True, "csv")


@pytest.mark.parametrize(
    ("text", "error"),
    [("country", "name:value"), ("visitor_id:x", "unknown filter"), ("page:" + "x" * 2049, "2048")],
)
def test_bad_filters(text: str, error: str) -> None:
    with pytest.raises(ParamError, match=error):
        parse_filter(text)


@pytest.mark.parametrize(
    ("token", "site_known", "verdict"),
    [
        (None, True, "missing"),
        (ADMIN, True, "ok"),
        (ADMIN, False, "unknown"),
        ("someone", False, "forbidden"),
        ("someone", True, "forbidden"),
    ],
)
def test_access(token: str | None, site_known: bool, verdict: str) -> None:
    from gateway.policy_loader import load_policies
    from tests.conftest import ROOT

    policy = load_policies(ROOT / "policies").by_slug("demo") if site_known else None
    assert access(token, policy, ADMIN) == verdict


def test_csv_flattens_and_keeps_formulas_inert() -> None:
    text = to_csv(
        [
            {"value": '=HYPERLINK("http://x")', "visits": 3, "previous": {"visits": 1}},
            {"value": "-1+1", "visits": -2, "extra": None, "rows": [1, 2]},
        ]
    )
    assert text.splitlines() == [
        "value,visits,previous_visits,extra",
        '"\'=HYPERLINK(""http://x"")",3,1,',
        "'-1+1,-2,,",
    ]
