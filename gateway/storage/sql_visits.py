"""Visits and rollups on SQLite, maintained inside the transaction that commits the hits.

``VisitMaintainer.apply`` runs in the writer's transaction: it reads the visitors' stored visits
near the new hits, lets ``gateway.reports.sessions`` decide which visits the hits form, and
writes the changed visits and the rollup changes ``gateway.reports.rollups`` computes. A tracking
answer therefore means "committed, and counted". Per visitor it costs three indexed reads; the
writes are batched for the whole transaction.

Hits may arrive in any order (a bulk import with ``cdt``, a queue flushed late): a late hit
joins, extends or bridges the visits around it, and the rollups move with it. Only the visit
timeout a hit is ingested under matters; changing it does not recompute older visits.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Final

from gateway.reports import definitions as d
from gateway.reports import rollups
from gateway.reports.rollups import Delta
from gateway.reports.sessions import (
    US_PER_SECOND,
    Attributes,
    HitFacts,
    Visit,
    build,
    chain,
    day_of,
    day_start_us,
    hit_facts,
    visit_of_hit,
)
from gateway.storage.connection import Connection, in_chunks, rollback
from gateway.tracking.record import HitRecord

log = logging.getLogger("gateway")

DEFAULT_TIMEOUT_S: Final = 30 * 60
# Dictionary ids cached in memory (value ids are never reused, so a cache cannot go stale).
DICTIONARY_CACHE: Final = 200_000

VISIT_COLUMNS: Final = (
    "id",
    "site",
    "visitor",
    "day",
    "hour",
    "start_us",
    "start_hit",
    "end_us",
    "end_hit",
    "hits",
    "actions",
    "pageviews",
    "bounce",
    "duration",
    "is_returning",
    "entry_us",
    "entry_hit",
    "entry_page",
    "exit_us",
    "exit_hit",
    "exit_page",
    "referrer_type",
    "referrer_name",
    "country",
    "browser",
    "os",
    "device",
    "resolution",
    "language",
    "keys",
    "vals",
)
_SELECT_VISIT: Final = f"SELECT {', '.join(VISIT_COLUMNS)} FROM visits"
_UPSERT_VISIT: Final = (
    f"INSERT INTO visits ({', '.join(VISIT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in VISIT_COLUMNS)}) ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in VISIT_COLUMNS[1:])
)


class Dictionary:
    """Value ids of dimension texts (``dim_values``), cached once committed.

    Ids inserted by a transaction are kept aside until it commits: a rolled-back id may be given
    to another text by the next transaction, so it must never reach the cache.
    """

    def __init__(self, limit: int = DICTIONARY_CACHE) -> None:
        self.limit = limit
        self._ids: dict[tuple[int, str], int] = {}
        self._pending: dict[tuple[int, str], int] = {}
        self._conn: Connection | None = None

    def bind(self, conn: Connection) -> Dictionary:
        self._conn = conn
        return self

    def __call__(self, dim: int, text: str) -> int:
        key = (dim, text)
        found = self._ids.get(key)
        if found is None:
            found = self._pending.get(key)
        if found is not None:
            return found
        assert self._conn is not None, "dictionary used outside a transaction"
        row = self._conn.execute(
            "SELECT id FROM dim_values WHERE dim = ? AND value = ?", key
        ).fetchone()
        if row is not None:
            self._remember(key, int(row[0]))
            return int(row[0])
        inserted = self._conn.execute(
            "INSERT INTO dim_values (dim, value) VALUES (?, ?) RETURNING id", key
        ).fetchone()
        value_id = int(inserted[0])
        self._pending[key] = value_id
        return value_id

    def _remember(self, key: tuple[int, str], value_id: int) -> None:
        if len(self._ids) >= self.limit:
            self._ids.clear()
        self._ids[key] = value_id

    def committed(self) -> None:
        for key, value_id in self._pending.items():
            self._remember(key, value_id)
        self._pending.clear()

    def rolled_back(self) -> None:
        self._pending.clear()


def visit_row(visit: Visit, returning: bool) -> tuple[object, ...]:
    """The visits row; ``returning``: the visitor had an earlier visit."""
    a = visit.attributes
    return (
        visit.id,
        visit.site,
        visit.visitor,
        visit.day,
        visit.hour,
        visit.start[0],
        visit.start[1],
        visit.end[0],
        visit.end[1],
        visit.hits,
        visit.actions,
        visit.pageviews,
        visit.bounce,
        visit.duration,
        int(returning),
        visit.entry[0] if visit.entry else None,
        visit.entry[1] if visit.entry else None,
        visit.entry_page,
        visit.exit[0] if visit.exit else None,
        visit.exit[1] if visit.exit else None,
        visit.exit_page,
        a.referrer_type,
        a.referrer_name,
        a.country,
        a.browser,
        a.os,
        a.device,
        a.resolution,
        a.language,
        json.dumps(
            {str(dim): {str(k): n for k, n in kc.items()} for dim, kc in visit.keys.items()},
            separators=(",", ":"),
        ),
        json.dumps(
            {
                str(dim): {str(k): list(pair) for k, pair in sums.items()}
                for dim, sums in visit.values.items()
            },
            separators=(",", ":"),
        ),
    )


def visit_from_row(row: Sequence[object]) -> Visit:
    def point(us: object, hit: object) -> tuple[int, int] | None:
        return None if us is None else (int(str(us)), int(str(hit)))

    def integer(value: object) -> int:
        return int(str(value))

    keys = json.loads(str(row[29]))
    vals = json.loads(str(row[30]))
    start = point(row[5], row[6])
    end = point(row[7], row[8])
    assert start is not None and end is not None
    return Visit(
        id=integer(row[0]),
        site=str(row[1]),
        visitor=None if row[2] is None else str(row[2]),
        start=start,
        end=end,
        hits=integer(row[9]),
        actions=integer(row[10]),
        pageviews=integer(row[11]),
        entry=point(row[15], row[16]),
        entry_page=None if row[17] is None else str(row[17]),
        exit=point(row[18], row[19]),
        exit_page=None if row[20] is None else str(row[20]),
        attributes=Attributes(*(str(value) for value in row[21:29])),
        keys={int(dim): {int(k): n for k, n in counts.items()} for dim, counts in keys.items()},
        values={
            int(dim): {int(k): (pair[0], pair[1]) for k, pair in sums.items()}
            for dim, sums in vals.items()
        },
    )


class _Batch:
    """What one transaction changes: visits to write or delete, hits to move, rollup deltas."""

    def __init__(self, next_visit_id: int) -> None:
        self.next_visit_id = next_visit_id
        self.delta = Delta()
        self.visits: dict[int, tuple[Visit, bool]] = {}  # id -> (visit, returning)
        self.returning: set[int] = set()  # stored visits that an earlier late visit precedes
        self.deleted: set[int] = set()
        self.moved: list[tuple[int, str, str, int]] = []  # new id, site, visitor, old id
        self.assigned: dict[int, int] = {}  # hit id -> visit id

    def new_id(self) -> int:
        value = self.next_visit_id
        self.next_visit_id += 1
        return value


class VisitMaintainer:
    """Assigns every committed hit to its visit and keeps the rollups equal to the visits.

    ``timeouts`` maps a site to its visit timeout in seconds (``DEFAULT_TIMEOUT_S`` otherwise).
    """

    def __init__(self, timeouts: Mapping[str, int] | None = None) -> None:
        self.timeouts = dict(timeouts or {})
        self.dictionary = Dictionary()

    def timeout_us(self, site: str) -> int:
        return self.timeouts.get(site, DEFAULT_TIMEOUT_S) * US_PER_SECOND

    def apply(self, conn: Connection, hits: Sequence[tuple[int, HitRecord]]) -> dict[int, int]:
        """Count ``(hit id, hit)`` pairs into visits and rollups; return hit id -> visit id.

        Must run inside the caller's transaction; the hits themselves are written by the caller
        (new hits with the returned visit ids). Call ``committed``/``rolled_back`` afterwards.
        """
        intern = self.dictionary.bind(conn)
        row = conn.execute("SELECT MAX(id) FROM visits").fetchone()
        batch = _Batch(int(row[0] or 0) + 1)
        groups: dict[tuple[str, str], list[HitFacts]] = defaultdict(list)
        for hit_id, hit in hits:
            facts = hit_facts(hit_id, hit)
            if facts.visitor is None:
                visit = visit_of_hit(facts, batch.new_id(), intern)
                rollups.add_lone_visit(batch.delta, visit, intern)
                batch.visits[visit.id] = (visit, False)
                batch.assigned[hit_id] = visit.id
            else:
                groups[(facts.site, facts.visitor)].append(facts)
        reads = _StoredVisits(conn)
        by_site: dict[str, dict[str, list[HitFacts]]] = defaultdict(dict)
        for (site, visitor), new in groups.items():
            new.sort(key=lambda h: (h.us, h.id))
            by_site[site][visitor] = new
        for site, visitors in by_site.items():
            timeout = self.timeout_us(site)
            reads.load(
                site,
                {v: (2 + 2 * len(new), day_of(new[0].us - timeout)) for v, new in visitors.items()},
            )
        for (site, visitor), new in groups.items():
            self._visitor(reads, site, visitor, new, batch)
        _write(conn, batch)
        return batch.assigned

    def forget(self, conn: Connection, site: str, visitor: str) -> int:
        """Delete a visitor's hits and visits, and subtract everything they contributed.

        For erasure requests: afterwards the reports are exactly as if the visitor had never
        been tracked. Runs inside the caller's transaction; returns the hits deleted.
        """
        intern = self.dictionary.bind(conn)
        visits = _visits_ending_from(conn, site, visitor, -(2**62))
        delta = Delta()
        delta.change(rollups.visit_rows(visits, intern), {})
        days = sorted({v.day for v in visits})
        for day in days:
            on_day = [v for v in visits if v.day == day]
            delta.visitors(rollups.visitor_day_rows(on_day, intern), set())
        rollups.add_span(delta, site, days, rollups.NO_PREVIOUS, -1)
        pair = _pair(_firsts_of(visits))
        if pair is not None:
            rollups.add_firsts(delta, site, pair[0], pair[1], -1)
        conn.execute("DELETE FROM visits WHERE site = ? AND visitor = ?", (site, visitor))
        deleted = conn.execute(
            "DELETE FROM hits WHERE site = ? AND visitor_id = ? AND mode = 'consented'",
            (site, visitor),
        ).rowcount
        write_delta(conn, delta)
        return int(deleted)

    def committed(self) -> None:
        self.dictionary.committed()

    def rolled_back(self) -> None:
        self.dictionary.rolled_back()

    def _visitor(
        self,
        reads: _StoredVisits,
        site: str,
        visitor: str,
        new: list[HitFacts],
        batch: _Batch,
    ) -> None:
        """``new``: the visitor's hits in the batch, in time order."""
        intern = self.dictionary
        timeout = self.timeout_us(site)
        # A new hit joins at most two stored visits (the one before it and the one after), so
        # at most 2 * len(new) stored visits disappear into merged ones: reading that many
        # more than two first visits still tells the first two after the batch. None at all
        # means a visitor never seen before.
        firsts = reads.firsts(site, visitor, 2 + 2 * len(new))
        if not firsts:
            self._new_visitor(site, visitor, new, batch)
            return
        t_min = new[0].us
        bound_day = day_of(t_min - timeout)
        while True:
            stored = reads.ending_from(site, visitor, bound_day)
            chains = [c for c in chain(stored, new, timeout) if c.new]
            joined = [v for c in chains for v in c.old]
            first_day = min([day_of(t_min)] + [v.day for v in joined])
            if first_day >= bound_day:
                break
            bound_day = first_day  # a joined visit started earlier: read its whole day too
        before = max(
            [v.day for v in stored if v.day < first_day]
            + [reads.last_day_before(site, visitor, bound_day)]
        )
        joined_ids = {v.id for v in joined}

        built: list[Visit] = []
        for c in chains:
            old_ids = sorted(v.id for v in c.old)
            visit = build(c, old_ids[0] if old_ids else batch.new_id(), intern)
            built.append(visit)
            for old_id in old_ids[1:]:
                batch.deleted.add(old_id)
                batch.moved.append((visit.id, site, visitor, old_id))
            for h in c.new:
                batch.assigned[h.id] = visit.id

        delta = batch.delta
        old_known = [v for v in stored if v.day >= first_day]
        new_known = [v for v in old_known if v.id not in joined_ids] + built
        for day in {v.day for v in joined} | {v.day for v in built}:
            old_day = [v for v in old_known if v.day == day]
            new_day = [v for v in new_known if v.day == day]
            delta.visitors(
                rollups.visitor_day_rows(old_day, intern),
                rollups.visitor_day_rows(new_day, intern),
            )
        delta.change(rollups.visit_rows(joined, intern), rollups.visit_rows(built, intern))
        old_days = sorted({v.day for v in old_known})
        new_days = sorted({v.day for v in new_known})
        if old_days != new_days:
            rollups.add_span(delta, site, old_days, before, -1)
            rollups.add_span(delta, site, new_days, before, 1)
        kept = [f for f in firsts if f[2] not in joined_ids] + _firsts_of(built)
        first_id = min(kept)[2]
        for visit in built:
            batch.visits[visit.id] = (visit, visit.id != first_id)
        if firsts[0][2] != first_id and firsts[0][2] not in joined_ids:
            batch.returning.add(firsts[0][2])  # a late, earlier visit came before it
        old_pair = _pair(firsts)
        new_pair = _pair(kept)
        if old_pair != new_pair:
            if old_pair is not None:
                rollups.add_firsts(delta, site, old_pair[0], old_pair[1], -1)
            if new_pair is not None:
                rollups.add_firsts(delta, site, new_pair[0], new_pair[1], 1)

    def _new_visitor(self, site: str, visitor: str, new: list[HitFacts], batch: _Batch) -> None:
        """A visitor's first hits: new visits only, nothing stored to read or to subtract."""
        intern = self.dictionary
        delta = batch.delta
        built: list[Visit] = []
        for c in chain((), new, self.timeout_us(site)):
            visit = build(c, batch.new_id(), intern)
            batch.visits[visit.id] = (visit, bool(built))  # chains come in time order
            built.append(visit)
            for h in c.new:
                batch.assigned[h.id] = visit.id
        days = sorted({v.day for v in built})
        for day in days:
            on_day = [v for v in built if v.day == day]
            delta.visitors(set(), rollups.visitor_day_rows(on_day, intern))
        delta.change({}, rollups.visit_rows(built, intern))
        rollups.add_span(delta, site, days, rollups.NO_PREVIOUS, 1)
        pair = _pair(_firsts_of(built))
        assert pair is not None
        rollups.add_firsts(delta, site, pair[0], pair[1], 1)


_First = tuple[tuple[int, int], str, int]  # (start point, day, visit id)


class _StoredVisits:
    """The stored visits a batch's visitors need, read for all of them at once.

    Placing a visitor's new hits needs three reads: their first visits, their visits ending
    since the day before the earliest new hit (``bound``), and the day of their last visit
    before that. ``load`` reads them for every visitor of a site in three queries per distinct
    bound day - one for live traffic - instead of three per visitor, which on a database over
    the network is most of a batch's time. A question about another bound (a late hit that
    joins a visit from an earlier day) is read on its own.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._firsts: dict[tuple[str, str], list[_First]] = {}
        self._from: dict[tuple[str, str, str], list[Visit]] = {}
        self._before: dict[tuple[str, str, str], str] = {}

    def load(self, site: str, wanted: Mapping[str, tuple[int, str]]) -> None:
        """``wanted``: visitor -> (first visits needed, bound day)."""
        limit = max(n for n, _ in wanted.values())
        by_bound: dict[str, list[str]] = defaultdict(list)
        for visitor, (_, bound) in wanted.items():
            by_bound[bound].append(visitor)
            self._firsts[(site, visitor)] = []
        for marks, part in in_chunks(sorted(wanted)):
            rows = self.conn.execute(
                "SELECT visitor, start_us, start_hit, day, id FROM ("
                "SELECT visitor, start_us, start_hit, day, id, ROW_NUMBER() OVER "
                "(PARTITION BY visitor ORDER BY end_us, id) AS n FROM visits "
                f"WHERE site = ? AND visitor IN ({marks})) AS f WHERE n <= ? ORDER BY visitor, n",
                (site, *part, limit),
            ).fetchall()
            for r in rows:
                self._firsts[(site, str(r[0]))].append(
                    ((int(r[1]), int(r[2])), str(r[3]), int(r[4]))
                )
        for bound, visitors in by_bound.items():
            bound_us = day_start_us(bound)
            for visitor in visitors:
                self._from[(site, visitor, bound)] = []
                self._before[(site, visitor, bound)] = rollups.NO_PREVIOUS
            for marks, part in in_chunks(sorted(visitors)):
                rows = self.conn.execute(
                    f"{_SELECT_VISIT} WHERE site = ? AND visitor IN ({marks}) AND end_us >= ? "
                    "ORDER BY visitor, end_us, id",
                    (site, *part, bound_us),
                ).fetchall()
                for row in rows:
                    self._from[(site, str(row[2]), bound)].append(visit_from_row(row))
                rows = self.conn.execute(
                    "SELECT visitor, day FROM (SELECT visitor, day, ROW_NUMBER() OVER "
                    "(PARTITION BY visitor ORDER BY end_us DESC, id DESC) AS n FROM visits "
                    f"WHERE site = ? AND visitor IN ({marks}) AND end_us < ?) AS l WHERE n = 1",
                    (site, *part, bound_us),
                ).fetchall()
                for r in rows:
                    self._before[(site, str(r[0]), bound)] = str(r[1])

    def firsts(self, site: str, visitor: str, limit: int) -> list[_First]:
        found = self._firsts.get((site, visitor))
        if found is None:
            return _first_visits(self.conn, site, visitor, limit)
        return found[:limit]

    def ending_from(self, site: str, visitor: str, bound: str) -> list[Visit]:
        found = self._from.get((site, visitor, bound))
        if found is None:
            return _visits_ending_from(self.conn, site, visitor, day_start_us(bound))
        return found

    def last_day_before(self, site: str, visitor: str, bound: str) -> str:
        found = self._before.get((site, visitor, bound))
        if found is None:
            return _last_day_before(self.conn, site, visitor, day_start_us(bound))
        return found


def _firsts_of(visits: Iterable[Visit]) -> list[_First]:
    return [(v.start, v.day, v.id) for v in visits]


def _pair(firsts: Iterable[_First]) -> tuple[str, str | None] | None:
    ordered = sorted(firsts)
    if not ordered:
        return None
    return ordered[0][1], (ordered[1][1] if len(ordered) > 1 else None)


def _visits_ending_from(conn: Connection, site: str, visitor: str, bound_us: int) -> list[Visit]:
    rows = conn.execute(
        f"{_SELECT_VISIT} WHERE site = ? AND visitor = ? AND end_us >= ? ORDER BY end_us, id",
        (site, visitor, bound_us),
    ).fetchall()
    return [visit_from_row(row) for row in rows]


def _last_day_before(conn: Connection, site: str, visitor: str, bound_us: int) -> str:
    row = conn.execute(
        "SELECT day FROM visits WHERE site = ? AND visitor = ? AND end_us < ? "
        "ORDER BY end_us DESC, id DESC LIMIT 1",
        (site, visitor, bound_us),
    ).fetchone()
    return rollups.NO_PREVIOUS if row is None else str(row[0])


def _first_visits(conn: Connection, site: str, visitor: str, limit: int) -> list[_First]:
    rows = conn.execute(
        "SELECT start_us, start_hit, day, id FROM visits WHERE site = ? AND visitor = ? "
        "ORDER BY end_us, id LIMIT ?",
        (site, visitor, limit),
    ).fetchall()
    return [((int(r[0]), int(r[1])), str(r[2]), int(r[3])) for r in rows]


def _upsert(table: str, keys: Sequence[str], metrics: Sequence[str]) -> str:
    columns = [*keys, *metrics]
    updates = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in metrics)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


def _prune(table: str, keys: Sequence[str], metrics: Sequence[str]) -> str:
    where = " AND ".join([*(f"{k} = ?" for k in keys), *(f"{m} = 0" for m in metrics)])
    return f"DELETE FROM {table} WHERE {where}"


_TABLES: Final = {
    "days": ("rollup_days", ("site", "dim", "day", "value"), rollups.DAY_METRICS),
    "weeks": ("rollup_weeks", ("site", "dim", "day", "value"), rollups.DAY_METRICS),
    "months": ("rollup_months", ("site", "dim", "day", "value"), rollups.DAY_METRICS),
    "hours": ("rollup_hours", ("site", "hour"), rollups.HOUR_METRICS),
    "span": ("visitor_days", ("site", "day", "prev_day"), ("n",)),
    "firsts": ("visitor_firsts", ("site", "first_day", "second_day"), ("n",)),
}


def write_delta(conn: Connection, delta: Delta) -> None:
    """Add a delta to the rollup tables; rows that drop to all zeros are removed."""
    tables: dict[str, dict[tuple[object, ...], list[int]]] = {
        "days": {k: v for k, v in delta.days().items()},
        "weeks": {k: v for k, v in delta.weeks().items()},
        "months": {k: v for k, v in delta.months().items()},
        "hours": {k: v for k, v in delta.hours().items()},
        "span": {k: [v] for k, v in delta.span.items() if v},
        "firsts": {k: [v] for k, v in delta.firsts.items() if v},
    }
    for name, rows in tables.items():
        table, keys, metrics = _TABLES[name]
        if not rows:
            continue
        conn.executemany(_upsert(table, keys, metrics), [(*k, *v) for k, v in rows.items()])
        shrunk = [k for k, v in rows.items() if min(v) < 0]
        if shrunk:
            conn.executemany(_prune(table, keys, metrics), shrunk)


def _write(conn: Connection, batch: _Batch) -> None:
    if batch.deleted:
        conn.executemany("DELETE FROM visits WHERE id = ?", [(i,) for i in batch.deleted])
    if batch.visits:
        conn.executemany(_UPSERT_VISIT, [visit_row(v, r) for v, r in batch.visits.values()])
    if batch.returning:
        conn.executemany(
            "UPDATE visits SET is_returning = 1 WHERE id = ?", [(i,) for i in batch.returning]
        )
    if batch.moved:
        conn.executemany(
            "UPDATE hits SET visit_id = ? WHERE site = ? AND visitor_id = ? AND visit_id = ?",
            batch.moved,
        )
    write_delta(conn, batch.delta)


# -- context rows --------------------------------------------------------------------------------

CONTEXT_FLUSH: Final = 5_000  # visitor-days whose context rows are summed before a write


def sync_contexts(conn: Connection, dictionary: Dictionary) -> None:
    """Make the context rows in ``rollup_days`` match ``definitions.CONTEXT_DIMENSIONS``.

    Ingest writes the context rows of every listed dimension, so a dimension newly listed
    needs its rows for the visits stored before (one pass over the visits, in one
    transaction: a pass cut short leaves nothing half done), and a dimension no longer
    listed has its rows removed. ``rollup_contexts`` records which are complete; reports
    answer a filter from context rows only for those. Runs when the store opens, before
    anything is ingested.
    """
    done = {int(r[0]) for r in conn.execute("SELECT dim FROM rollup_contexts")}
    wanted = {dim.code: dim for dim in d.CONTEXT_DIMENSIONS}
    if done == set(wanted):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        # again inside the write lock: another process starting at the same time may have
        # done the work while this one waited for the lock
        done = {int(r[0]) for r in conn.execute("SELECT dim FROM rollup_contexts")}
        for code in done - set(wanted):
            conn.execute(
                "DELETE FROM rollup_days WHERE dim < 0 AND (-dim) / ? IN "
                "(SELECT id FROM dim_values WHERE dim = ?)",
                (d.CONTEXT_SHIFT, code),
            )
            conn.execute("DELETE FROM rollup_contexts WHERE dim = ?", (code,))
        for code in sorted(set(wanted) - done):
            count = _fill_context(conn, dictionary.bind(conn), wanted[code])
            conn.execute(
                "INSERT INTO rollup_contexts (dim, complete_since) VALUES (?, ?)",
                (code, datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")),
            )
            if count:
                log.info("filled in %s context rows for %d visits", wanted[code].name, count)
        conn.execute("COMMIT")
    except BaseException:
        dictionary.rolled_back()
        rollback(conn)
        raise
    dictionary.committed()


def _fill_context(conn: Connection, intern: Dictionary, dim: d.Dimension) -> int:
    """Add the context rows of ``dim`` for every stored visit: per visitor-day, what the visits
    contribute with the context minus what they contribute without it."""
    delta = Delta()
    pending = 0
    count = 0
    group: list[Visit] = []

    def add(visits: list[Visit]) -> None:
        delta.change(
            rollups.visit_rows(visits, intern, ()), rollups.visit_rows(visits, intern, (dim,))
        )
        delta.visitors(
            rollups.visitor_day_rows(visits, intern, ()),
            rollups.visitor_day_rows(visits, intern, (dim,)),
        )

    # by day: a flush then covers a few days, whose rows it sums before writing them
    cursor = conn.execute(f"{_SELECT_VISIT} ORDER BY site, day, visitor")
    for row in cursor:
        visit = visit_from_row(row)
        count += 1
        same = (
            group
            and visit.visitor is not None
            and (group[0].site, group[0].visitor, group[0].day)
            == (visit.site, visit.visitor, visit.day)
        )
        if group and not same:
            add(group)
            group = []
            pending += 1
            if pending >= CONTEXT_FLUSH:
                write_delta(conn, delta)
                delta = Delta()
                pending = 0
        group.append(visit)
    if group:
        add(group)
    write_delta(conn, delta)
    return count
