"""The report definitions written as plain SQL over the raw ``hits`` table, for the tests.

Nothing here reads the gateway's visits or rollups: visits are cut with window functions (a gap
of the timeout or more starts a visit, hits ordered by time then id), and every answer is one
``GROUP BY`` over them. Text normalisation that SQL cannot express (page names, languages, the
referrer host lists) is registered from the pure functions, which have their own table tests.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from gateway.reports import definitions as d
from gateway.reports.periods import DateRange, clipped_start
from gateway.reports.referrers import classify
from gateway.reports.sessions import language_value, page_value
from gateway.reports.source import Filter

ACTIONS = "('pageview', 'event', 'download', 'outlink', 'search')"


def build(conn: sqlite3.Connection, timeouts: Mapping[str, int]) -> None:
    """Create the TEMP tables ``ref_visits``, ``ref_values`` and ``ref_keys``."""
    conn.create_function("page_value", 1, page_value, deterministic=True)
    conn.create_function("language_value", 1, language_value, deterministic=True)
    conn.create_function("ref_type", 3, lambda c, h, u: classify(c, h, u).type)
    conn.create_function("ref_name", 3, lambda c, h, u: classify(c, h, u).name)
    conn.executescript(
        """
        DROP TABLE IF EXISTS ref_timeout; DROP TABLE IF EXISTS ref_chain;
        DROP TABLE IF EXISTS ref_visits; DROP TABLE IF EXISTS ref_values;
        DROP TABLE IF EXISTS ref_keys;
        CREATE TEMP TABLE ref_timeout (site TEXT PRIMARY KEY, us INTEGER);
        """
    )
    conn.executemany(
        "INSERT INTO ref_timeout VALUES (?, ?)", [(s, t * 1_000_000) for s, t in timeouts.items()]
    )
    conn.executescript(
        f"""
        CREATE TEMP TABLE ref_chain AS
        WITH h AS (
            SELECT hits.*,
                   CASE WHEN mode = 'consented' THEN visitor_id END AS who,
                   CAST(strftime('%s', substr(ts, 1, 19)) AS INTEGER) * 1000000
                       + CAST(substr(ts, 21, 6) AS INTEGER) AS us
            FROM hits
        ),
        g AS (
            SELECT h.*,
                   CASE WHEN h.us - LAG(h.us) OVER w < t.us THEN 0 ELSE 1 END AS starts
            FROM h JOIN ref_timeout t USING (site)
            WINDOW w AS (PARTITION BY h.site, h.who ORDER BY h.us, h.id)
        )
        SELECT g.*,
               CASE WHEN who IS NULL THEN 'hit:' || id
                    ELSE who || ':' || SUM(starts) OVER (
                        PARTITION BY site, who ORDER BY us, id ROWS UNBOUNDED PRECEDING)
               END AS visit
        FROM g;

        CREATE TEMP TABLE ref_visits AS
        SELECT site, visit, MAX(who) AS who,
               MIN(us) AS start_us, MAX(us) AS end_us,
               date(MIN(us) / 1000000, 'unixepoch') AS day,
               MIN(us) / 3600000000 AS hour,
               COUNT(*) AS hits,
               SUM(kind IN {ACTIONS}) AS actions,
               SUM(kind = 'pageview') AS pageviews,
               MAX(us) / 1000000 - MIN(us) / 1000000 AS duration,
               SUM(kind IN {ACTIONS}) = 1 AS bounce
        FROM ref_chain GROUP BY site, visit;

        -- visit-level values: (dimension code, text), from the first hit or page view
        CREATE TEMP TABLE ref_values AS
        WITH first AS (
            SELECT * FROM ref_chain c WHERE NOT EXISTS (
                SELECT 1 FROM ref_chain o WHERE o.site = c.site AND o.visit = c.visit
                AND (o.us < c.us OR (o.us = c.us AND o.id < c.id)))
        ),
        entry AS (
            SELECT * FROM ref_chain c WHERE kind = 'pageview' AND NOT EXISTS (
                SELECT 1 FROM ref_chain o WHERE o.site = c.site AND o.visit = c.visit
                AND o.kind = 'pageview' AND (o.us < c.us OR (o.us = c.us AND o.id < c.id)))
        ),
        exit AS (
            SELECT * FROM ref_chain c WHERE kind = 'pageview' AND NOT EXISTS (
                SELECT 1 FROM ref_chain o WHERE o.site = c.site AND o.visit = c.visit
                AND o.kind = 'pageview' AND (o.us > c.us OR (o.us = c.us AND o.id > c.id)))
        ),
        referrer AS (
            SELECT site, visit, ref_type(campaign_name, referrer_host, url) AS type,
                   ref_name(campaign_name, referrer_host, url) AS name
            FROM first
        )
        SELECT site, visit, 1 AS dim, page_value(url) AS text FROM entry
        UNION ALL SELECT site, visit, 2, page_value(url) FROM exit
        UNION ALL SELECT site, visit, 3, type FROM referrer
        UNION ALL SELECT site, visit, 4, name FROM referrer WHERE type = 'campaign'
        UNION ALL SELECT site, visit, 5, name FROM referrer WHERE type = 'search'
        UNION ALL SELECT site, visit, 6, name FROM referrer WHERE type = 'social'
        UNION ALL SELECT site, visit, 7, name FROM referrer WHERE type = 'website'
        UNION ALL SELECT site, visit, 8, upper(COALESCE(country, '')) FROM first
        UNION ALL SELECT site, visit, 9, COALESCE(browser, '') FROM first
        UNION ALL SELECT site, visit, 10, COALESCE(os, '') FROM first
        UNION ALL SELECT site, visit, 11, COALESCE(device, '') FROM first
        UNION ALL SELECT site, visit, 12, COALESCE(resolution, '') FROM first
        UNION ALL SELECT site, visit, 13, language_value(lang) FROM first;

        -- hit-level values: one row per hit and value, with event values in millionths
        CREATE TEMP TABLE ref_keys AS
        WITH e AS (
            SELECT *, CAST(ROUND(MAX(-1e9, MIN(1e9, event_value)) * 1000000) AS INTEGER) AS ev
            FROM ref_chain WHERE kind = 'event'
        )
        SELECT site, visit, 20 AS dim, page_value(url) AS text, NULL AS ev
            FROM ref_chain WHERE kind = 'pageview'
        UNION ALL SELECT site, visit, 21, action_name, NULL FROM ref_chain
            WHERE kind = 'pageview' AND COALESCE(action_name, '') != ''
        UNION ALL SELECT site, visit, 22,
            event_category || char(31) || event_action || char(31) || COALESCE(event_name, ''),
            ev FROM e
        UNION ALL SELECT site, visit, 23, event_category, ev FROM e
        UNION ALL SELECT site, visit, 24, event_action, ev FROM e
        UNION ALL SELECT site, visit, 25, event_name, ev FROM e
            WHERE COALESCE(event_name, '') != ''
        UNION ALL SELECT site, visit, 26, link, NULL FROM ref_chain
            WHERE kind = 'outlink' AND link IS NOT NULL
        UNION ALL SELECT site, visit, 27, link, NULL FROM ref_chain
            WHERE kind = 'download' AND link IS NOT NULL
        UNION ALL SELECT site, visit, 28, search, NULL FROM ref_chain
            WHERE kind = 'search' AND search IS NOT NULL;
        """
    )


@dataclass(frozen=True)
class Answers:
    totals: tuple[int, int, int, int, int]  # visits, pageviews, actions, bounces, duration
    visitors: int
    new_visitors: int
    returning_visitors: int


def _selected(site: str, first: str, last: str, filters: Sequence[Filter]) -> tuple[str, list]:
    """SQL selecting the visits (``v``) of the period that pass every filter."""
    sql = ["v.site = ?", "v.day BETWEEN ? AND ?"]
    args: list[object] = [site, first, last]
    for f in filters:
        if f.name == d.REFERRER_FILTER:
            sql.append(
                "EXISTS (SELECT 1 FROM ref_values x WHERE x.site = v.site AND x.visit = v.visit "
                "AND x.dim IN (4, 5, 6, 7) AND x.text = ?)"
                if f.value
                else "EXISTS (SELECT 1 FROM ref_values x WHERE x.site = v.site "
                "AND x.visit = v.visit AND x.dim = 3 AND x.text = 'direct')"
            )
            if f.value:
                args.append(f.value)
            continue
        dim = d.BY_FILTER[f.name]
        table = "ref_values" if dim.level == "visit" else "ref_keys"
        value = f.value.upper() if dim.name == "countries" else f.value
        sql.append(
            f"EXISTS (SELECT 1 FROM {table} x WHERE x.site = v.site AND x.visit = v.visit "
            "AND x.dim = ? AND x.text = ?)"
        )
        args += [dim.code, value]
    return " AND ".join(sql), args


_EARLIER = (
    "EXISTS (SELECT 1 FROM ref_visits p WHERE p.site = v.site AND p.who = v.who "
    "AND p.start_us < v.start_us)"
)


def answers(
    conn: sqlite3.Connection, site: str, first: str, last: str, filters: Sequence[Filter] = ()
) -> Answers:
    where, args = _selected(site, first, last, filters)
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(pageviews), 0), COALESCE(SUM(actions), 0), "
        "COALESCE(SUM(bounce), 0), COALESCE(SUM(duration), 0), "
        "COUNT(DISTINCT COALESCE(who, visit)), "
        f"COUNT(DISTINCT CASE WHEN NOT {_EARLIER} THEN COALESCE(who, visit) END), "
        f"COUNT(DISTINCT CASE WHEN {_EARLIER} THEN who END) "
        f"FROM ref_visits v WHERE {where}",
        args,
    ).fetchone()
    return Answers(tuple(row[:5]), row[5], row[6], row[7])


def rows(
    conn: sqlite3.Connection,
    site: str,
    code: int,
    first: str,
    last: str,
    filters: Sequence[Filter] = (),
) -> dict[str, tuple[int, ...]]:
    """value -> (visitors as the sum of daily distinct, visits, pageviews, actions, bounces,
    duration, hits, value_sum, value_n)."""
    where, args = _selected(site, first, last, filters)
    if code < 20:
        sql = (
            "SELECT x.text, COUNT(DISTINCT v.day || '|' || COALESCE(v.who, v.visit)), COUNT(*), "
            "SUM(v.pageviews), SUM(v.actions), SUM(v.bounce), SUM(v.duration), 0, 0, 0 "
            "FROM ref_visits v JOIN ref_values x ON x.site = v.site AND x.visit = v.visit "
            f"WHERE x.dim = ? AND {where} GROUP BY x.text"
        )
    else:
        sql = (
            "SELECT x.text, COUNT(DISTINCT v.day || '|' || COALESCE(v.who, v.visit)), "
            "COUNT(DISTINCT v.visit), 0, 0, 0, 0, COUNT(*), COALESCE(SUM(x.ev), 0), COUNT(x.ev) "
            "FROM ref_visits v JOIN ref_keys x ON x.site = v.site AND x.visit = v.visit "
            f"WHERE x.dim = ? AND {where} GROUP BY x.text"
        )
    return {r[0]: tuple(r[1:]) for r in conn.execute(sql, [code, *args])}


def series(
    conn: sqlite3.Connection,
    site: str,
    first: str,
    last: str,
    interval: str,
    filters: Sequence[Filter] = (),
) -> dict[str, tuple[int, ...]]:
    """bucket -> (visitors, visits, pageviews, actions, bounces, duration), non-empty only."""
    where, args = _selected(site, first, last, filters)
    period = DateRange(date.fromisoformat(first), date.fromisoformat(last))
    found: dict[str, list[object]] = {}
    for day, hour, visitor, pageviews, actions, bounce, duration in conn.execute(
        f"SELECT v.day, v.hour, COALESCE(v.who, v.visit), v.pageviews, v.actions, v.bounce, "
        f"v.duration FROM ref_visits v WHERE {where}",
        args,
    ):
        if interval == "hour":
            key = f"{day}T{hour % 24:02d}"
        elif interval == "day":
            key = day
        else:
            key = clipped_start(date.fromisoformat(day), interval, period).isoformat()  # type: ignore[arg-type]
        acc = found.setdefault(key, [set(), 0, 0, 0, 0, 0])
        acc[0].add(visitor)  # type: ignore[union-attr]
        for i, value in enumerate((1, pageviews, actions, bounce, duration), start=1):
            acc[i] += value  # type: ignore[operator]
    return {k: (len(v[0]), *v[1:]) for k, v in found.items()}  # type: ignore[arg-type]


def visits(conn: sqlite3.Connection) -> set[tuple[object, ...]]:
    """Every visit as (site, visitor, start, end, hits, actions, pageviews, duration, whether
    the visitor had an earlier visit)."""
    return set(
        conn.execute(
            "SELECT site, who, start_us, end_us, hits, actions, pageviews, duration, "
            f"{_EARLIER} FROM ref_visits v"
        ).fetchall()
    )
