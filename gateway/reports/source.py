"""What the report queries need from a database: a few aggregate reads, engine-neutral.

A ``ReportSource`` answers from rollups when no filter is given and from the stored visits when
one is (rollups cannot combine dimensions). Both answers follow the same definitions, so a
filter never changes what a number means. Every method is synchronous: a whole report runs on
one read connection, in one snapshot, off the event loop (``Store.read_reports``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Interval = Literal["hour", "day", "week", "month"]
INTERVALS: tuple[Interval, ...] = ("hour", "day", "week", "month")


@dataclass(frozen=True)
class Filter:
    """``name`` is a dimension's filter name (``country``) or ``referrer``; exact match."""

    name: str
    value: str


@dataclass(frozen=True)
class Totals:
    visits: int = 0
    pageviews: int = 0
    actions: int = 0
    bounces: int = 0
    duration: int = 0


@dataclass(frozen=True)
class Bucket:
    """One time-series bucket: ``start`` is a date, or ``YYYY-MM-DDTHH`` for hours."""

    start: str
    visitors: int
    totals: Totals


@dataclass(frozen=True)
class RowData:
    """One breakdown row. ``value_id`` orders ties the same way in every engine."""

    dim: int
    value_id: int
    value: str
    visitors: int
    visits: int
    pageviews: int = 0
    actions: int = 0
    bounces: int = 0
    duration: int = 0
    hits: int = 0
    value_sum: int = 0
    value_n: int = 0


@dataclass(frozen=True)
class RecentHit:
    """A hit of the last minutes, for realtime: ``visitor`` is None for anonymous hits."""

    hit_id: int
    visitor: str | None
    kind: str
    url: str | None


@dataclass(frozen=True)
class ConsentCount:
    """Consent decisions of one day with identical facts (the ``consent_days`` rollup)."""

    day: str
    action: str
    source: str
    lang: str
    policy_version: str
    granted: tuple[str, ...]
    denied: tuple[str, ...]
    n: int


Filters = Sequence[Filter]


class ReportSource(Protocol):
    """Aggregates over visits that started on UTC days ``first``..``last`` (inclusive)."""

    def totals(self, site: str, first: str, last: str, filters: Filters) -> Totals: ...

    def visitors(self, site: str, first: str, last: str, filters: Filters) -> int:
        """Exact distinct visitors."""
        ...

    def new_visitors(self, site: str, first: str, last: str, filters: Filters) -> int:
        """Visitors whose first visit ever recorded is in the period."""
        ...

    def returning_visitors(self, site: str, first: str, last: str, filters: Filters) -> int:
        """Visitors with a visit in the period that is not their first."""
        ...

    def series(
        self, site: str, first: str, last: str, interval: Interval, filters: Filters
    ) -> list[Bucket]:
        """Buckets that have visits, in time order; week and month buckets are cut to the
        period, and their visitors are distinct within the cut bucket."""
        ...

    def rows(
        self,
        site: str,
        dims: Sequence[int],
        first: str,
        last: str,
        filters: Filters,
        limit: int | None,
        values: Sequence[str] | None = None,
    ) -> list[RowData]:
        """Breakdown rows of the dimensions ``dims`` by visits, then hits, then value id
        (descending, descending, ascending); only ``values`` when given."""
        ...

    def recent_hits(self, site: str, since_ts: str) -> list[RecentHit]: ...

    def consent_counts(self, site: str, first: str, last: str) -> list[ConsentCount]: ...
