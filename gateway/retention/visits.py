"""How a visitor's stored history is cut at the retention cutoff. Pure functions, no I/O.

Report rollups (``gateway.reports.rollups``) outlive raw data: purging visits never subtracts
them, so reports for purged periods keep their numbers. But ingest and erasure keep the rollups
by comparing a visitor's *stored* visits before and after a change, and two rollup rows depend
on a visitor's whole history rather than on one visit or one day:

- ``visitor_days (day, prev_day)``: the first kept day's row names the last purged day;
- ``visitor_firsts (first_day, second_day)``: the days of the first two visits ever.

So when some of a visitor's visits are purged and others are kept, the visitor is split in two,
exactly as if they had cleared their cookies at the cutoff: the purged visits stay in the
rollups as one visitor (whose history ends there), and the kept visits become a visitor of their
own whose first visit is the first kept one. That moves the first kept day's ``visitor_days``
row to "no previous day", gives each part its own ``visitor_firsts`` row, and marks the first
kept visit as not returning. Afterwards the stored visits are again the whole history the
rollups know, so later hits, late hits and erasure keep every rollup row exact and never
negative. Reports of days before the first kept visit do not change at all; later periods count
the visitor's first kept visit as a first visit.

A visitor whose visits are all purged needs nothing: a later hit starts a new visitor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.reports.rollups import NO_PREVIOUS, NO_SECOND


@dataclass(frozen=True)
class VisitSpan:
    """What the cut needs of a stored visit: its id, day, start point and end."""

    id: int
    day: str
    start: tuple[int, int]  # (epoch microseconds, hit id) of its first hit
    end_us: int


@dataclass(frozen=True)
class Split:
    """What purging a visitor's visits that ended before the cutoff changes.

    ``span`` and ``firsts`` are ``(day, other day, change)`` for ``visitor_days`` and
    ``visitor_firsts``; ``first_kept`` is the visit that becomes the kept part's first visit.
    """

    purged: tuple[int, ...]
    first_kept: int | None = None
    span: tuple[tuple[str, str, int], ...] = ()
    firsts: tuple[tuple[str, str, int], ...] = ()


def _pair(visits: Sequence[VisitSpan]) -> tuple[str, str]:
    return visits[0].day, visits[1].day if len(visits) > 1 else NO_SECOND


def split_history(visits: Sequence[VisitSpan], before_us: int) -> Split:
    """Cut one visitor's stored visits (any order) at ``before_us``: visits that ended before
    it are purged. Stored visits never overlap, so every purged visit precedes every kept one.
    """
    ordered = sorted(visits, key=lambda v: (v.start, v.id))
    purged = [v for v in ordered if v.end_us < before_us]
    kept = [v for v in ordered if v.end_us >= before_us]
    if not purged or not kept:
        return Split(tuple(v.id for v in purged))
    changes: dict[tuple[str, str], int] = {}
    for key, change in ((_pair(ordered), -1), (_pair(purged), 1), (_pair(kept), 1)):
        changes[key] = changes.get(key, 0) + change
    firsts = tuple((a, b, n) for (a, b), n in changes.items() if n)
    first_kept_day = kept[0].day
    earlier = [v.day for v in ordered if v.day < first_kept_day]
    span: tuple[tuple[str, str, int], ...] = ()
    if earlier:
        span = ((first_kept_day, max(earlier), -1), (first_kept_day, NO_PREVIOUS, 1))
    return Split(tuple(v.id for v in purged), kept[0].id, span, firsts)
