"""Purging raw hits keeps every report of the purged days, and keeps the rollups exact for all
that follows: later hits (in any order), late hits and erasure.

For each seed, random visitors visit around the cutoff (2026-06-01, some across its midnight)
through the real store; ``Store.purge`` removes what is older. Then:

- exactly the hits stored before the cutoff are gone, with the visits that ended before it;
- reports of periods before the first kept visit answer exactly as before the purge;
- for periods from the cutoff on, the rollup engine (unfiltered API) and the visits engine
  (filtered API) agree - also after more hits and after erasing visitors - and no rollup row
  is ever negative.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.reports import definitions as d
from gateway.reports.sessions import epoch_us
from gateway.storage.base import AddHits
from gateway.storage.sql_reports import SQLReportSource
from gateway.storage.sqlite import SQLiteStore
from gateway.tracking.record import HitRecord
from tests.reports import generator

CUT = "2026-06-01T00:00:00.000000Z"
CUT_US = epoch_us(CUT)
NOW = "2026-06-10T00:00:00.000000Z"
START = datetime(2026, 5, 27, tzinfo=UTC)
OLD_PERIODS = (
    ("2026-05-27", "2026-05-31"),
    ("2026-05-31", "2026-05-31"),
    ("2026-05-25", "2026-05-30"),
    ("2026-05-01", "2026-05-31"),
    ("2026-05-29", "2026-05-30"),
)
NEW_PERIODS = (
    ("2026-06-01", "2026-06-01"),
    ("2026-06-01", "2026-06-03"),
    ("2026-06-02", "2026-06-04"),
    ("2026-06-03", "2026-06-03"),
    ("2026-06-01", "2026-06-30"),
)
SITES = tuple(generator.TIMEOUTS)


def _history(rng: random.Random, first: datetime, days: int) -> list[HitRecord]:
    """Visitors coming back over ``days`` days, often around the midnight of the cutoff."""
    visitors = [f"{n:016x}" for n in range(rng.randint(2, 6))] + [None, "anonymous"]
    found: list[HitRecord] = []
    for site in generator.TIMEOUTS:
        gaps = [timedelta(minutes=m) for m in (0, 1, 7, 29, 31, 200)]
        for visitor in visitors:
            for _ in range(rng.randint(1, 4)):
                if rng.random() < 0.3:  # near the cutoff's midnight
                    when = datetime(2026, 6, 1, tzinfo=UTC) - timedelta(minutes=rng.randint(1, 40))
                else:
                    when = first + timedelta(minutes=rng.randint(0, days * 24 * 60))
                for _ in range(rng.randint(1, 5)):
                    found.append(generator._hit(rng, site, when, visitor))
                    when += rng.choice(gaps)
    return found


async def _write(path: Path, batches: list[list[HitRecord]]) -> None:
    store = SQLiteStore(path, generator.TIMEOUTS)
    await store.open()
    try:
        for batch in batches:
            await store.write_batch([AddHits(tuple(batch))])
    finally:
        await store.close()


async def _purge(path: Path) -> dict[str, dict[str, int]]:
    store = SQLiteStore(path, generator.TIMEOUTS)
    await store.open()
    try:
        return {
            site: dict((await store.purge("hits", site, CUT, now=NOW)).counts) for site in SITES
        }
    finally:
        await store.close()


async def _forget(path: Path, site: str, visitor: str) -> None:
    store = SQLiteStore(path, generator.TIMEOUTS)
    await store.open()
    try:
        await store.forget_visitor(site, visitor)
    finally:
        await store.close()


def _answers(conn: sqlite3.Connection, engine: str, site: str, first: str, last: str) -> object:
    src = SQLReportSource(conn, engine="raw" if engine == "raw" else "auto")
    t = src.totals(site, first, last, ())
    rows = {
        dim.name: sorted(
            (r.value, r.visitors, r.visits, r.pageviews, r.hits, r.value_sum)
            for r in src.rows(site, [dim.code], first, last, (), None)
        )
        for dim in d.DIMENSIONS
    }
    series = {
        interval: [
            (b.start, b.visitors, b.totals.visits, b.totals.pageviews)
            for b in src.series(site, first, last, interval, ())  # type: ignore[arg-type]
        ]
        for interval in ("hour", "day", "week", "month")
    }
    return (
        (t.visits, t.pageviews, t.actions, t.bounces, t.duration),
        src.visitors(site, first, last, ()),
        src.new_visitors(site, first, last, ()),
        src.returning_visitors(site, first, last, ()),
        rows,
        series,
    )


def _no_negative_rows(conn: sqlite3.Connection) -> None:
    for table in ("visitor_days", "visitor_firsts"):
        assert not conn.execute(f"SELECT * FROM {table} WHERE n <= 0").fetchall(), table
    for table in ("rollup_days", "rollup_weeks", "rollup_months"):
        assert not conn.execute(
            f"SELECT * FROM {table} WHERE visitors < 0 OR visits < 0 OR pageviews < 0 "
            "OR actions < 0 OR hits < 0"
        ).fetchall(), table
    assert not conn.execute("SELECT * FROM rollup_hours WHERE visits <= 0").fetchall()


def _engines_agree(conn: sqlite3.Connection) -> None:
    _no_negative_rows(conn)
    for site in SITES:
        for first, last in NEW_PERIODS:
            rollup = _answers(conn, "auto", site, first, last)
            assert rollup == _answers(conn, "raw", site, first, last), (site, first, last)


@pytest.mark.parametrize("seed", range(25))
def test_purge_keeps_old_reports_and_later_rollups_exact(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "r.db"
    asyncio.run(_write(path, generator.batches(rng, _history(rng, START, 8))))
    conn = sqlite3.connect(path)
    try:
        newer = conn.execute("SELECT id FROM hits WHERE ts >= ? ORDER BY id", (CUT,)).fetchall()
        older = conn.execute("SELECT COUNT(*) FROM hits WHERE ts < ?", (CUT,)).fetchone()[0]
        old_visits = {
            site: conn.execute(
                "SELECT COUNT(*) FROM visits WHERE site = ? AND end_us < ?", (site, CUT_US)
            ).fetchone()[0]
            for site in SITES
        }
        first_kept = {
            site: conn.execute(
                "SELECT MIN(day) FROM visits WHERE site = ? AND end_us >= ?", (site, CUT_US)
            ).fetchone()[0]
            or "9999"
            for site in SITES
        }
        before = {
            (site, first, last): _answers(conn, "auto", site, first, last)
            for site in SITES
            for first, last in OLD_PERIODS
            if last < first_kept[site]
        }

        removed = asyncio.run(_purge(path))

        assert sum(r["hits"] for r in removed.values()) == older
        assert {site: r["visits"] for site, r in removed.items()} == old_visits
        assert conn.execute("SELECT id FROM hits ORDER BY id").fetchall() == newer
        assert not conn.execute("SELECT 1 FROM visits WHERE end_us < ?", (CUT_US,)).fetchall()
        for (site, first, last), answers in before.items():
            assert _answers(conn, "auto", site, first, last) == answers, (site, first, last)
        _engines_agree(conn)

        # The same visitors come back (and some hits arrive late, inside kept visits).
        later = _history(rng, datetime(2026, 6, 1, tzinfo=UTC), 3)
        later = [h for h in later if h.ts >= CUT]
        asyncio.run(_write(path, generator.batches(rng, later)))
        _engines_agree(conn)

        # Erasure after a purge subtracts exactly what is left of the visitor.
        visitors = conn.execute(
            "SELECT DISTINCT site, visitor FROM visits WHERE visitor IS NOT NULL ORDER BY 1, 2"
        ).fetchall()
        for site, visitor in rng.sample(visitors, min(2, len(visitors))):
            asyncio.run(_forget(path, site, visitor))
        _engines_agree(conn)
    finally:
        conn.close()


def test_a_second_purge_finds_nothing_left(tmp_path: Path) -> None:
    rng = random.Random(99)
    path = tmp_path / "r.db"
    asyncio.run(_write(path, generator.batches(rng, _history(rng, START, 8))))
    first = asyncio.run(_purge(path))
    assert sum(r["hits"] for r in first.values()) > 0
    again = asyncio.run(_purge(path))
    assert again == {site: {"hits": 0, "visits": 0} for site in SITES}
