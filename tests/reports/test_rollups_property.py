"""Rollups equal the raw data: every answer checked against plain SQL over the hits table.

For each seed, random hits (around midnight, around the timeout, in any order, in batches of
any size) go through the real store; then totals, visitors, new and returning visitors, every
dimension and every time-series interval are compared, for several periods, between:

- the rollup engine (what the unfiltered API uses),
- the visits engine (what filtered requests use), also under random filters,
- ``reference``: the definitions as window-function SQL over the raw hits.

The same checks run after the store rebuilds everything from the hits alone (the backfill path
that older databases take).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.reports import definitions as d
from gateway.reports.source import Filter, RowData
from gateway.storage.base import AddHits
from gateway.storage.sql_reports import SQLReportSource
from gateway.storage.sqlite import SQLiteStore
from tests.reports import generator, reference

SEEDS = range(40)
PERIODS = (
    ("2026-05-31", "2026-05-31"),
    ("2026-06-01", "2026-06-01"),
    ("2026-05-31", "2026-06-01"),
    ("2026-06-01", "2026-06-02"),
    ("2026-05-30", "2026-06-03"),
    ("2026-05-25", "2026-06-07"),  # two whole ISO weeks
    ("2026-05-20", "2026-07-02"),  # a whole month (June) and whole weeks around it
)


async def _ingest(path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = SQLiteStore(path, generator.TIMEOUTS)
    await store.open()
    try:
        for batch in generator.batches(rng, generator.hits(rng)):
            await store.write_batch([AddHits(tuple(batch))])
    finally:
        await store.close()


@pytest.fixture
def connect(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(tmp_path / "p.db")
    yield conn
    conn.close()


def _as_tuple(r: RowData) -> tuple[int, ...]:
    return (
        r.visitors,
        r.visits,
        r.pageviews,
        r.actions,
        r.bounces,
        r.duration,
        r.hits,
        r.value_sum,
        r.value_n,
    )


def _check(conn: sqlite3.Connection, rng: random.Random) -> None:
    reference.build(conn, generator.TIMEOUTS)
    rollup = SQLReportSource(conn)
    raw = SQLReportSource(conn, engine="raw")
    stored = set(
        conn.execute(
            "SELECT site, visitor, start_us, end_us, hits, actions, pageviews, duration, "
            "is_returning FROM visits"
        ).fetchall()
    )
    assert stored == reference.visits(conn)
    for site in generator.TIMEOUTS:
        for first, last in PERIODS:
            _check_period(conn, rollup, raw, site, first, last, ())
            for _ in range(2):
                _check_period(conn, rollup, raw, site, first, last, _random_filters(conn, rng))
            country = Filter("country", _country(conn, rng))  # answered from context rows
            _check_period(conn, rollup, raw, site, first, last, (country,))


def _country(conn: sqlite3.Connection, rng: random.Random) -> str:
    """A country that occurs (any case), or now and then one that does not."""
    found = [r[0] for r in conn.execute("SELECT DISTINCT text FROM ref_values WHERE dim = 8")]
    if not found or rng.random() < 0.1:
        return "nothing-like-this"
    value: str = rng.choice(found)
    return value.lower() if rng.random() < 0.3 else value


def _random_filters(conn: sqlite3.Connection, rng: random.Random) -> tuple[Filter, ...]:
    """One or two filters on values that occur (and now and then one that does not)."""
    found: list[Filter] = []
    for _ in range(rng.randint(1, 2)):
        dim = rng.choice(d.DIMENSIONS)
        if dim.name == "events":
            continue
        table = "ref_values" if dim.level == "visit" else "ref_keys"
        values = [
            r[0]
            for r in conn.execute(f"SELECT DISTINCT text FROM {table} WHERE dim = ?", (dim.code,))
        ]
        value = rng.choice(values) if values and rng.random() < 0.9 else "nothing-like-this"
        found.append(Filter(dim.filter, value))
    if rng.random() < 0.2:
        found.append(Filter("referrer", rng.choice(["Google", "", "blog.example.org"])))
    return tuple(found)


def _check_period(
    conn: sqlite3.Connection,
    rollup: SQLReportSource,
    raw: SQLReportSource,
    site: str,
    first: str,
    last: str,
    filters: tuple[Filter, ...],
) -> None:
    expected = reference.answers(conn, site, first, last, filters)
    # "auto" answers no filter from rollups and one country filter from context rows
    engines = [rollup, raw] if not filters or rollup._context(filters) else [raw]
    for src in engines:
        label = f"{src.engine} {site} {first}..{last} {filters}"
        t = src.totals(site, first, last, filters)
        assert (t.visits, t.pageviews, t.actions, t.bounces, t.duration) == expected.totals, label
        assert src.visitors(site, first, last, filters) == expected.visitors, label
        assert src.new_visitors(site, first, last, filters) == expected.new_visitors, label
        assert src.returning_visitors(site, first, last, filters) == expected.returning_visitors, (
            label
        )
        for dim in d.DIMENSIONS:
            want = reference.rows(conn, site, dim.code, first, last, filters)
            got = {
                r.value: _as_tuple(r)
                for r in src.rows(site, [dim.code], first, last, filters, None)
            }
            assert got == want, f"{label} {dim.name}"
        for interval in ("hour", "day", "week", "month"):
            want_series = reference.series(conn, site, first, last, interval, filters)
            got_series = {
                b.start: (
                    b.visitors,
                    b.totals.visits,
                    b.totals.pageviews,
                    b.totals.actions,
                    b.totals.bounces,
                    b.totals.duration,
                )
                for b in src.series(site, first, last, interval, filters)  # type: ignore[arg-type]
            }
            assert got_series == want_series, f"{label} {interval}"
    if not filters:
        for dim in d.DIMENSIONS:  # both engines order and cut rows the same way
            cut_rollup = rollup.rows(site, [dim.code], first, last, (), 2)
            cut_raw = raw.rows(site, [dim.code], first, last, (), 2)
            assert cut_rollup == cut_raw, dim.name


def _no_empty_rollup_rows(conn: sqlite3.Connection) -> None:
    for table in ("rollup_days", "rollup_weeks", "rollup_months"):
        assert not conn.execute(
            f"SELECT 1 FROM {table} WHERE visitors = 0 AND visits = 0 AND pageviews = 0 AND "
            "actions = 0 AND bounces = 0 AND duration = 0 AND hits = 0 AND value_sum = 0 "
            "AND value_n = 0"
        ).fetchall(), table
    for grain, table in (("week", "rollup_weeks"), ("month", "rollup_months")):
        block = (
            "date(day, '-6 days', 'weekday 1')" if grain == "week" else "substr(day, 1, 8) || '01'"
        )
        summed = conn.execute(
            f"SELECT site, dim, {block}, value, SUM(visitors), SUM(visits), SUM(pageviews), "
            "SUM(actions), SUM(bounces), SUM(duration), SUM(hits), SUM(value_sum), "
            f"SUM(value_n) FROM rollup_days WHERE dim >= 0 GROUP BY site, dim, {block}, value"
        ).fetchall()
        assert sorted(summed) == sorted(conn.execute(f"SELECT * FROM {table}")), table
    for table in ("visitor_days", "visitor_firsts"):
        assert not conn.execute(f"SELECT 1 FROM {table} WHERE n <= 0").fetchall(), table
    assert not conn.execute("SELECT 1 FROM rollup_hours WHERE visits <= 0").fetchall()


@pytest.mark.parametrize("seed", SEEDS)
def test_rollups_equal_raw_sql(tmp_path: Path, connect: sqlite3.Connection, seed: int) -> None:
    asyncio.run(_ingest(tmp_path / "p.db", seed))
    assert connect.execute("SELECT COUNT(*) FROM hits WHERE visit_id IS NULL").fetchone()[0] == 0
    _no_empty_rollup_rows(connect)
    _check(connect, random.Random(seed))


@pytest.mark.parametrize("seed", SEEDS[:15])
def test_forgetting_a_visitor_leaves_reports_as_if_never_tracked(
    tmp_path: Path, connect: sqlite3.Connection, seed: int
) -> None:
    path = tmp_path / "p.db"
    asyncio.run(_ingest(path, seed))
    rng = random.Random(seed)
    candidates = connect.execute(
        "SELECT DISTINCT site, visitor FROM visits WHERE visitor IS NOT NULL ORDER BY 1, 2"
    ).fetchall()
    if not candidates:
        pytest.skip("no visitor with an id in this data set")
    site, visitor = rng.choice(candidates)

    async def forget() -> int:
        store = SQLiteStore(path, generator.TIMEOUTS)
        await store.open()
        try:
            return await store.forget_visitor(site, visitor)
        finally:
            await store.close()

    assert asyncio.run(forget()) > 0
    assert not connect.execute(
        "SELECT 1 FROM hits WHERE site = ? AND visitor_id = ?", (site, visitor)
    ).fetchall()
    _no_empty_rollup_rows(connect)
    _check(connect, rng)


@pytest.mark.parametrize("seed", SEEDS[:10])
def test_rebuilding_from_hits_gives_the_same_rollups(
    tmp_path: Path, connect: sqlite3.Connection, seed: int
) -> None:
    path = tmp_path / "p.db"
    asyncio.run(_ingest(path, seed))
    tables = (
        "rollup_days",
        "rollup_weeks",
        "rollup_months",
        "rollup_hours",
        "visitor_days",
        "visitor_firsts",
    )
    before = {t: sorted(connect.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
    before = {t: _named(connect, rows, t) for t, rows in before.items()}
    for table in ("visits", *tables):
        connect.execute(f"DELETE FROM {table}")
    connect.execute("UPDATE hits SET visit_id = NULL")
    connect.commit()

    async def reopen() -> None:
        store = SQLiteStore(path, generator.TIMEOUTS)
        await store.open()  # finds hits without visits and counts them, oldest first
        await store.close()

    asyncio.run(reopen())
    after = {
        t: _named(connect, sorted(connect.execute(f"SELECT * FROM {t}").fetchall()), t)
        for t in tables
    }
    assert after == before
    _check(connect, random.Random(seed))


def _named(conn: sqlite3.Connection, rows: list[tuple[object, ...]], table: str) -> list[object]:
    """Rollup rows with value ids replaced by their text (ids differ between the two runs)."""
    if not table.startswith("rollup_") or table == "rollup_hours":
        return rows
    names = dict(conn.execute("SELECT id, value FROM dim_values").fetchall())

    def dim(code: object) -> object:
        if isinstance(code, int) and code < 0:  # a context row: name the context value too
            context, real = d.context_of(code)
            return (str(names.get(context, context)), real)
        return ("", code)

    return sorted((r[0], dim(r[1]), r[2], names.get(r[3], r[3]), *r[4:]) for r in rows)


@pytest.mark.parametrize("seed", SEEDS[:5])
def test_context_rows_are_filled_in_and_dropped_when_the_store_opens(
    tmp_path: Path, connect: sqlite3.Connection, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.db"
    asyncio.run(_ingest(path, seed))

    def context_rows() -> list[object]:
        rows = connect.execute("SELECT * FROM rollup_days WHERE dim < 0").fetchall()
        return _named(connect, sorted(rows), "rollup_days")

    kept = context_rows()
    assert kept or not connect.execute("SELECT 1 FROM visits").fetchall()

    async def reopen() -> None:
        store = SQLiteStore(path, generator.TIMEOUTS)
        await store.open()
        await store.close()

    # a database from before context rows (or with the list changed): filled in on open
    connect.execute("DELETE FROM rollup_days WHERE dim < 0")
    connect.execute("DELETE FROM rollup_contexts")
    connect.commit()
    assert not SQLReportSource(connect)._context((Filter("country", "FI"),))
    asyncio.run(reopen())
    assert context_rows() == kept
    _check(connect, random.Random(seed))
    # a dimension taken off the list: its rows go
    monkeypatch.setattr(d, "CONTEXT_DIMENSIONS", ())
    asyncio.run(reopen())
    assert context_rows() == []
    assert not connect.execute("SELECT 1 FROM rollup_contexts").fetchall()
