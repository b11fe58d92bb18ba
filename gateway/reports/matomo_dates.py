"""Matomo's ``period`` and ``date`` parameters, resolved to date ranges. Pure.

As the Reporting API documents them (dates in UTC here, where Matomo uses the site's zone):

- ``period``: ``day``, ``week`` (Monday to Sunday), ``month``, ``year`` or ``range``.
- ``date``: ``today``, ``yesterday``, ``YYYY-MM-DD``, ``lastN`` (N periods up to and including
  the current one), ``previousN`` (N periods before the current one) or ``A,B`` (every period
  from the one containing A to the one containing B; B may be ``today``/``yesterday``).
- With ``period=range`` the date must be ``lastN``, ``previousN`` or ``A,B`` (counted in days)
  and the answer is one result; with other periods, a multi-date form answers an object keyed
  by period: ``2026-01-05`` (day), ``2026-01-05,2026-01-11`` (week), ``2026-01`` (month),
  ``2026`` (year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from gateway.reports.periods import DateRange, PeriodError, parse_day

PERIODS: Final = ("day", "week", "month", "year", "range")
MAX_PERIODS: Final = 1000
_LAST: Final = re.compile(r"(last|previous)(\d{1,6})")


class MatomoDateError(ValueError):
    """Unusable ``period``/``date``; the message is Matomo-like and safe to return."""


@dataclass(frozen=True)
class Resolved:
    """The periods a request covers; ``keyed`` when the answer is an object keyed by period."""

    periods: tuple[tuple[str, DateRange], ...]
    keyed: bool


def _day(text: str, today: date) -> date:
    if text in ("today", "now"):
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    try:
        return parse_day(text, "date")
    except PeriodError:
        raise MatomoDateError(f"The date '{text}' is not a correct date.") from None


def _containing(period: str, day: date) -> tuple[str, DateRange]:
    if period == "day":
        return day.isoformat(), DateRange(day, day)
    if period == "week":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
        return f"{first.isoformat()},{last.isoformat()}", DateRange(first, last)
    if period == "month":
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return first.strftime("%Y-%m"), DateRange(first, last)
    first = day.replace(month=1, day=1)
    return str(day.year), DateRange(first, day.replace(month=12, day=31))


def _before(current: DateRange) -> date:
    """A day in the period just before ``current``."""
    return current.first - timedelta(days=1)


def _count(text: str) -> int:
    n = int(text)
    if not 1 <= n <= MAX_PERIODS:
        raise MatomoDateError(f"The number of periods must be from 1 to {MAX_PERIODS}.")
    return n


def resolve(period: str, date_param: str, today: date) -> Resolved:
    if period not in PERIODS:
        raise MatomoDateError(
            f"The period '{period}' is not supported. Try any of the following instead: "
            + ", ".join(PERIODS)
        )
    text = date_param.strip().lower()
    relative = _LAST.fullmatch(text)
    try:
        if period == "range":
            return Resolved((("range", _range(text, relative, today)),), keyed=False)
        if relative is None and "," not in text:
            return Resolved((_containing(period, _day(text, today)),), keyed=False)
        if relative is not None:
            n = _count(relative.group(2))
            current = _containing(period, today)
            if relative.group(1) == "previous":
                current = _containing(period, _before(current[1]))
            found = [current]
            while len(found) < n:
                found.append(_containing(period, _before(found[-1][1])))
            return Resolved(tuple(reversed(found)), keyed=True)
        start, end = (_day(part.strip(), today) for part in text.split(",", 1))
        if end < start:
            raise MatomoDateError("The end date is before the start date.")
        found = [_containing(period, start)]
        while found[-1][1].last < end:
            if len(found) >= MAX_PERIODS:
                raise MatomoDateError(f"At most {MAX_PERIODS} periods per request.")
            found.append(_containing(period, found[-1][1].last + timedelta(days=1)))
        return Resolved(tuple(found), keyed=True)
    except PeriodError as exc:
        raise MatomoDateError(str(exc)) from None


def _range(text: str, relative: re.Match[str] | None, today: date) -> DateRange:
    if relative is not None:
        n = _count(relative.group(2))
        end = today if relative.group(1) == "last" else today - timedelta(days=1)
        return DateRange(end - timedelta(days=n - 1), end)
    if "," not in text:
        raise MatomoDateError(f"The date '{text}' is not a correct date range.")
    start, end = (_day(part.strip(), today) for part in text.split(",", 1))
    if end < start:
        raise MatomoDateError("The end date is before the start date.")
    return DateRange(start, end)
