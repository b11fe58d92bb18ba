"""Report periods: UTC date ranges, the previous period, and time-series buckets. Pure.

Dates are ``YYYY-MM-DD`` in UTC and ranges include both ends. Weeks start on Monday (ISO 8601);
a week or month bucket that reaches past the period is cut to it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from gateway.reports.source import Interval

DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_DAYS: Final = 3660  # ten years per request
MAX_HOUR_DAYS: Final = 92  # an hourly series covers at most a quarter (2,208 buckets)
# No hit is older than 1970 (times are stored from epoch seconds); the upper bound keeps every
# derived date (previous periods, month ends, week ends) far from ``date``'s limits.
FIRST_DAY: Final = date(1970, 1, 1)
LAST_DAY: Final = date(2999, 12, 31)


class PeriodError(ValueError):
    """A period parameter is unusable; the message names the parameter."""


def parse_day(text: str, name: str) -> date:
    if not DATE_RE.fullmatch(text):
        raise PeriodError(f"'{name}' must be a date YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"'{name}' is not a calendar date") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PeriodError(f"'{name}' must be from {FIRST_DAY} to {LAST_DAY}")
    return day


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise PeriodError("'to' must not be before 'from'")
        if self.days > MAX_DAYS:
            raise PeriodError(f"a period may span at most {MAX_DAYS} days")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> str:
        return self.first.isoformat()

    @property
    def end(self) -> str:
        return self.last.isoformat()

    def previous(self) -> DateRange:
        """The period of the same length that ends the day before this one starts."""
        return DateRange(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


def period_from_params(first: str | None, last: str | None, today: date) -> DateRange:
    """``from``/``to`` query values; a missing ``to`` is today, a missing ``from`` 29 days
    before ``to`` (30 days in all)."""
    end = parse_day(last, "to") if last is not None else today
    start = parse_day(first, "from") if first is not None else end - timedelta(days=29)
    return DateRange(start, end)


def bucket_start(day: date, interval: Interval) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


@dataclass(frozen=True)
class Slot:
    """One time-series bucket: ``label`` as returned, and the days it covers in the period."""

    label: str
    first: date
    last: date


def slots(period: DateRange, interval: Interval) -> list[Slot]:
    """Every bucket of ``period``, in order, including empty ones."""
    if interval == "hour":
        if period.days > MAX_HOUR_DAYS:
            raise PeriodError(f"hourly series cover at most {MAX_HOUR_DAYS} days")
        return [
            Slot(f"{day.isoformat()}T{hour:02d}", day, day)
            for day in period.each_day()
            for hour in range(24)
        ]
    result: list[Slot] = []
    for day in period.each_day():
        label = bucket_start(day, interval).isoformat()
        if result and result[-1].label == label:
            result[-1] = Slot(label, result[-1].first, day)
        else:
            result.append(Slot(label, day, day))
    return result


def clipped_start(day: date, interval: Interval, period: DateRange) -> date:
    """The first day of ``day``'s bucket within ``period``."""
    return max(bucket_start(day, interval), period.first)


@functools.lru_cache(maxsize=4096)
def week_of(day: str) -> str:
    """The Monday of the ISO week of a ``YYYY-MM-DD`` date."""
    return bucket_start(date.fromisoformat(day), "week").isoformat()


def month_of(day: str) -> str:
    return day[:8] + "01"


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class Cover:
    """A period as whole months, whole ISO weeks and single days (each list sorted).

    Sums over a period then read one row per month or week instead of one per day; every
    rollup number is a sum over days, so the blocks give exactly what the days give.
    """

    months: tuple[date, ...] = field(default=())
    weeks: tuple[date, ...] = field(default=())
    days: tuple[tuple[date, date], ...] = field(default=())  # contiguous (first, last) runs


def cover(period: DateRange) -> Cover:
    """Whole months inside the period first, then whole weeks, then the days left over."""
    months: list[date] = []
    day = period.first if period.first.day == 1 else _month_end(period.first) + timedelta(days=1)
    while day <= period.last and _month_end(day) <= period.last:
        months.append(day)
        day = _month_end(day) + timedelta(days=1)
    segments = (
        [(period.first, period.last)]
        if not months
        else [(period.first, months[0] - timedelta(days=1)), (day, period.last)]
    )
    weeks: list[date] = []
    days: list[tuple[date, date]] = []
    for start, end in segments:
        day = start
        while day <= end:
            if day.weekday() == 0 and day + timedelta(days=6) <= end:
                weeks.append(day)
                day += timedelta(days=7)
                continue
            if days and days[-1][1] + timedelta(days=1) == day:
                days[-1] = (days[-1][0], day)
            else:
                days.append((day, day))
            day += timedelta(days=1)
    return Cover(tuple(months), tuple(weeks), tuple(days))
