"""What visits add to the rollup tables. Pure functions, no I/O.

Every rollup number is a sum of contributions, and a contribution depends on one visit, one
visitor-day (a visitor's visits that started on one day) or one visitor's whole list of visit
days. When ingest changes visits, the storage adds the difference between what the new state
and the old state contribute (``Delta``), in the transaction that stores the hits. Nothing is
ever estimated, so the rollups equal the raw data exactly; the property tests check it.

Tables (all per site):

- ``rollup_days (dim, day, value)``: visitors (distinct that day), visits, pageviews, actions,
  bounces, duration, hits, value_sum, value_n. ``dim`` 0 / ``value`` 0 is the site total.
  Visit-level rows carry the visit metrics; hit-level rows carry ``hits`` (how often the value
  occurred), ``visits`` (visits that had it) and event value sums.
- ``rollup_weeks``, ``rollup_months``: the same rows summed per ISO week and per month (``day``
  is the first day of the block), so that long periods read fewer rows.
- ``rollup_hours (hour)``: visitors, visits, pageviews, actions, bounces, duration.
- ``visitor_days (day, prev_day)``: how many visitors had a visit on ``day`` whose previous
  visit day was ``prev_day`` ("" for none). Distinct visitors over any days ``a..b`` are then
  the rows with ``a <= day <= b`` and ``prev_day < a``: exactly one per visitor.
- ``visitor_firsts (first_day, second_day)``: visitors by the days of their first two visits
  ("~" when there is no second). Returning visitors of ``a..b`` are the distinct visitors
  minus those whose first visit is in ``a..b`` and whose second is not.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from gateway.reports import definitions as d
from gateway.reports.periods import month_of, week_of
from gateway.reports.sessions import Visit, visit_values

DAY_METRICS: Final = (
    "visitors",
    "visits",
    "pageviews",
    "actions",
    "bounces",
    "duration",
    "hits",
    "value_sum",
    "value_n",
)
HOUR_METRICS: Final = ("visitors", "visits", "pageviews", "actions", "bounces", "duration")
NO_PREVIOUS: Final = ""  # prev_day of a visitor's first visit day: sorts before every date
NO_SECOND: Final = "~"  # second_day of a visitor with one visit: sorts after every date

# Metrics travel packed: metric i of a row is lane i (64 bits) of one Python integer, so adding
# two rows' metrics is one integer addition. Packing is linear (pack(a) + pack(b) ==
# pack(a + b), negative lanes included), so deltas can be summed before they are unpacked.
LANE: Final = 64
# Each metric stays within +-2**62: adding this bias makes every lane non-negative, so the bytes
# of the biased integer are the lanes themselves (no borrows between lanes).
_BIAS: Final = 1 << 62
_BIASES: Final = {n: sum(_BIAS << (LANE * i) for i in range(n)) for n in range(1, 10)}
_FORMATS: Final = {n: struct.Struct(f"<{n}Q") for n in range(1, 10)}


def pack(metrics: Sequence[int]) -> int:
    return sum(m << (LANE * i) for i, m in enumerate(metrics))


def unpack(packed: int, lanes: int) -> list[int]:
    try:
        raw = (packed + _BIASES[lanes]).to_bytes(8 * lanes, "little")
    except OverflowError:
        raise ValueError("more metrics packed than lanes unpacked") from None
    return [lane - _BIAS for lane in _FORMATS[lanes].unpack(raw)]


ONE_VISITOR: Final = pack([1])  # the visitors lane, first in both tables

DayKey = tuple[str, int, str, int]  # site, dimension code, day, value id
HourKey = tuple[str, int]  # site, hours since 1970
SpanKey = tuple[str, str, str]  # site, day, previous visit day
FirstsKey = tuple[str, str, str]  # site, first visit day, second visit day
# A row of rollup_days (4-tuple key) or rollup_hours (2-tuple key), and its packed metrics.
RowKey = DayKey | HourKey
Rows = dict[RowKey, int]

Intern = Callable[[int, str], int]


@dataclass
class Delta:
    """Changes to the rollup tables, summed over a whole batch before they are written.

    ``rows`` holds rollup_days (4-tuple keys) and rollup_hours (2-tuple keys) changes, packed.
    """

    rows: dict[RowKey, int] = field(default_factory=dict)
    span: dict[SpanKey, int] = field(default_factory=dict)
    firsts: dict[FirstsKey, int] = field(default_factory=dict)

    def add(self, key: RowKey, packed: int) -> None:
        self.rows[key] = self.rows.get(key, 0) + packed

    def change(self, old: Rows, new: Rows) -> None:
        """Add ``new - old``, touching only the rows that differ."""
        rows = self.rows
        for key, packed in new.items():
            before = old.get(key, 0)
            if packed != before:
                rows[key] = rows.get(key, 0) + packed - before
        for key, packed in old.items():
            if key not in new:
                rows[key] = rows.get(key, 0) - packed

    def visitors(self, old: set[RowKey], new: set[RowKey]) -> None:
        """One distinct visitor leaves the rows of ``old`` and joins those of ``new``."""
        if old == new:
            return
        rows = self.rows
        for key in new - old:
            rows[key] = rows.get(key, 0) + ONE_VISITOR
        for key in old - new:
            rows[key] = rows.get(key, 0) - ONE_VISITOR

    def days(self) -> dict[DayKey, list[int]]:
        """The rollup_days changes, unpacked, without rows that cancelled out."""
        return {k: unpack(v, len(DAY_METRICS)) for k, v in self.rows.items() if v and len(k) == 4}

    def blocks(self, block: Callable[[str], str]) -> dict[DayKey, list[int]]:
        """The rollup_days changes summed per week or month (``block`` names its first day).
        Context rows (negative ``dim``) are kept per day only."""
        summed: dict[DayKey, int] = {}
        for k, v in self.rows.items():
            if v and len(k) == 4 and k[1] >= 0:
                site, dim, day, value = k
                key = (site, dim, block(day), value)
                summed[key] = summed.get(key, 0) + v
        return {k: unpack(v, len(DAY_METRICS)) for k, v in summed.items() if v}

    def weeks(self) -> dict[DayKey, list[int]]:
        return self.blocks(week_of)

    def months(self) -> dict[DayKey, list[int]]:
        return self.blocks(month_of)

    def hours(self) -> dict[HourKey, list[int]]:
        return {k: unpack(v, len(HOUR_METRICS)) for k, v in self.rows.items() if v and len(k) == 2}


def _contexts(visit: Visit, intern: Intern, contexts: Sequence[d.Dimension]) -> list[int]:
    """The value ids of the visit's context dimensions (``d.CONTEXT_DIMENSIONS``)."""
    if not contexts:
        return []
    return [intern(dim.code, text) for dim, text in visit_values(visit) if dim in contexts]


def _in_contexts(key: DayKey, context_ids: Sequence[int]) -> list[DayKey]:
    """A daily row's copies inside the visit's contexts (not the totals, nor the context
    dimensions' own rows: those are the context's totals already)."""
    site, code, day, value = key
    if code == d.TOTAL or code in _CONTEXT_CODES:
        return []
    return [(site, d.context_code(c, code), day, value) for c in context_ids]


_CONTEXT_CODES: Final = frozenset(
    dim.code for dim in d.VISIT_DIMENSIONS if dim.filter in d.CONTEXT_FILTERS
)


def visit_rows(
    visits: Iterable[Visit],
    intern: Intern,
    contexts: Sequence[d.Dimension] = d.CONTEXT_DIMENSIONS,
) -> Rows:
    """What visits contribute, except distinct visitors (see ``visitor_day_rows``); with the
    context rows of ``contexts``."""
    rows: Rows = {}
    for visit in visits:
        day, site = visit.day, visit.site
        metrics = (  # pack((0, 1, pageviews, actions, bounce, duration)), spelled out for speed
            (1 << LANE)
            + (visit.pageviews << 2 * LANE)
            + (visit.actions << 3 * LANE)
            + (visit.bounce << 4 * LANE)
            + (visit.duration << 5 * LANE)
        )
        keys: list[RowKey] = [(site, d.TOTAL, day, 0), (site, visit.hour)]
        keys += [(site, dim.code, day, intern(dim.code, text)) for dim, text in visit_values(visit)]
        context_ids = _contexts(visit, intern, contexts)
        if context_ids:
            keys += [c for k in keys if len(k) == 4 for c in _in_contexts(k, context_ids)]
        for key in keys:
            rows[key] = rows.get(key, 0) + metrics
        for code, counts in visit.keys.items():
            sums = visit.values.get(code, {})
            for value_id, hits in counts.items():
                total, n = sums.get(value_id, (0, 0))
                key = (site, code, day, value_id)
                # pack((0, 1, 0, 0, 0, 0, hits, total, n))
                packed = (1 << LANE) + (hits << 6 * LANE) + (total << 7 * LANE) + (n << 8 * LANE)
                rows[key] = rows.get(key, 0) + packed
                for copy in _in_contexts(key, context_ids):
                    rows[copy] = rows.get(copy, 0) + packed
    return rows


def visitor_day_rows(
    visits: Sequence[Visit],
    intern: Intern,
    contexts: Sequence[d.Dimension] = d.CONTEXT_DIMENSIONS,
) -> set[RowKey]:
    """The rows in which one visitor's visits of one day count that visitor (once each)."""
    rows: set[RowKey] = set()
    for visit in visits:
        site, day = visit.site, visit.day
        rows.add((site, visit.hour))
        own: list[DayKey] = [(site, d.TOTAL, day, 0)]
        own += [(site, dim.code, day, intern(dim.code, text)) for dim, text in visit_values(visit)]
        for code, counts in visit.keys.items():
            own += [(site, code, day, value_id) for value_id in counts]
        rows.update(own)
        context_ids = _contexts(visit, intern, contexts)
        if context_ids:
            for key in own:
                rows.update(_in_contexts(key, context_ids))
    return rows


def add_span(delta: Delta, site: str, days: Iterable[str], before: str, sign: int) -> None:
    """One visitor's ``visitor_days`` rows for the sorted distinct visit ``days``.

    ``before`` is the visitor's last visit day before the first of ``days`` ("" for none).
    """
    previous = before
    for day in days:
        key = (site, day, previous)
        delta.span[key] = delta.span.get(key, 0) + sign
        previous = day


def add_firsts(delta: Delta, site: str, first: str, second: str | None, sign: int) -> None:
    key = (site, first, NO_SECOND if second is None else second)
    delta.firsts[key] = delta.firsts.get(key, 0) + sign


def add_lone_visit(delta: Delta, visit: Visit, intern: Intern) -> None:
    """Everything a visit by a visitor without an id contributes (it is its own visitor)."""
    delta.change({}, visit_rows([visit], intern))
    delta.visitors(set(), visitor_day_rows([visit], intern))
    add_span(delta, visit.site, [visit.day], NO_PREVIOUS, 1)
    add_firsts(delta, visit.site, visit.day, None, 1)
