"""``ReportSource`` in SQL: rollups for plain questions, the visits table under filters.

Unfiltered answers read only the rollup tables (``gateway.reports.rollups`` describes them), so
their cost depends on the number of days and distinct values, not on the number of hits.
Filtered answers scan the period's visits (one row per visit, hit-level values as JSON maps):
slower on large sites, but the same definitions. ``engine="raw"`` forces the visits path, which
the tests use to hold both engines to the same answers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Final, Literal

from gateway.reports import definitions as d
from gateway.reports.periods import DateRange, clipped_start, cover
from gateway.reports.rollups import DAY_METRICS
from gateway.reports.sessions import US_PER_HOUR, day_of, day_start_us
from gateway.reports.source import (
    Bucket,
    ConsentCount,
    Filters,
    Interval,
    RecentHit,
    RowData,
    Totals,
)
from gateway.storage.connection import Connection

Engine = Literal["auto", "raw"]

_VISITOR: Final = "COALESCE(v.visitor, 'visit:' || v.id)"
_VISITOR_DAY: Final = f"v.day || '|' || {_VISITOR}"
_MONTH: Final = "substr(v.day, 1, 7) || '-01'"


def _totals(row: Sequence[object]) -> Totals:
    values = [int(str(x)) if x is not None else 0 for x in row]
    return Totals(*values)


def _hour_label(hour: int) -> str:
    start = hour * US_PER_HOUR
    return f"{day_of(start)}T{(start // US_PER_HOUR) % 24:02d}"


class SQLReportSource:
    """Reports on SQLite; ``PgReportSource`` overrides the few JSON and date expressions."""

    # The Monday of a visit's ISO week, as text.
    week: str = "date(v.day, '-6 days', 'weekday 1')"

    def __init__(self, conn: Connection, engine: Engine = "auto") -> None:
        self.conn = conn
        self.engine = engine
        self._scans: dict[tuple[object, ...], tuple[int, ...]] = {}
        self._complete: set[int] | None = None

    def _raw(self, filters: Filters) -> bool:
        return bool(filters) or self.engine == "raw"

    def _context(self, filters: Filters) -> tuple[d.Dimension, str, int | None] | None:
        """(dimension, stored value, value id) of a single filter that context rows answer;
        None when the filter needs the visits."""
        if self.engine == "raw" or len(filters) != 1:
            return None
        dim = d.BY_FILTER.get(filters[0].name)
        if dim is None or dim not in d.CONTEXT_DIMENSIONS:
            return None
        if self._complete is None:
            found = self.conn.execute("SELECT dim FROM rollup_contexts").fetchall()
            self._complete = {int(r[0]) for r in found}
        if dim.code not in self._complete:
            return None
        value = filters[0].value.upper() if dim.name == "countries" else filters[0].value
        return dim, value, self._value_id(dim.code, value)

    # -- filters -----------------------------------------------------------------------------

    def _value_id(self, code: int, text: str) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM dim_values WHERE dim = ? AND value = ?", (code, text)
        ).fetchone()
        return None if row is None else int(row[0])

    def _where(
        self, site: str, first: str, last: str, filters: Filters
    ) -> tuple[str, list[object]]:
        """The visits of the period that every filter accepts (as SQL over ``visits v``)."""
        clauses = ["v.site = ?", "v.day BETWEEN ? AND ?"]
        args: list[object] = [site, first, last]
        for f in filters:
            if f.name == d.REFERRER_FILTER:
                clauses.append("v.referrer_name = ?")
                args.append(f.value)
                continue
            dim = d.BY_FILTER[f.name]
            value = f.value.upper() if dim.name == "countries" else f.value
            if dim.level == "visit":
                assert dim.column is not None
                clauses.append(f"v.{dim.column} = ?")
                args.append(value)
                if dim.referrer_type is not None:
                    clauses.append("v.referrer_type = ?")
                    args.append(dim.referrer_type)
            else:
                value_id = self._value_id(dim.code, value)
                if value_id is None:
                    clauses.append("1 = 0")
                else:
                    clauses.append(self._has_value(dim.code, value_id))
        return " AND ".join(clauses), args

    # The visits' hit-level values are JSON maps {dimension code: {value id: n}} in ``keys``
    # and {code: {value id: [sum, count]}} in ``vals``: the engines read JSON differently.

    def _has_value(self, code: int, value_id: int) -> str:
        """SQL: the visit has a hit with this value of dimension ``code``."""
        return f'json_extract(v.keys, \'$."{code}"."{value_id}"\') > 0'

    def _keyed_visits(self, code: int) -> str:
        """SQL from FROM on, with the three sums of a keyed row after the caller's columns:
        one row per visit and value id of ``code`` (joined to ``dim_values dv``)."""
        path = f'$."{code}"'
        return (
            "SUM(j.value), "
            f"SUM(COALESCE(json_extract(v.vals, '{path}.\"' || j.key || '\"[0]'), 0)), "
            f"SUM(COALESCE(json_extract(v.vals, '{path}.\"' || j.key || '\"[1]'), 0)) "
            f"FROM visits v, json_each(v.keys, '{path}') j "
            "JOIN dim_values dv ON dv.id = CAST(j.key AS INTEGER)"
        )

    # -- totals and visitors -----------------------------------------------------------------

    def _scan(self, site: str, first: str, last: str, filters: Filters) -> tuple[int, ...]:
        """Totals, visitors, new and returning visitors of the period's visits: one scan,
        remembered for the life of this source (one report)."""
        key = (site, first, last, tuple(filters))
        found = self._scans.get(key)
        if found is None:
            where, args = self._where(site, first, last, filters)
            row = self.conn.execute(
                "SELECT COUNT(*), SUM(pageviews), SUM(actions), SUM(bounce), SUM(duration), "
                f"COUNT(DISTINCT {_VISITOR}), "
                f"COUNT(DISTINCT CASE WHEN v.is_returning = 0 THEN {_VISITOR} END), "
                "COUNT(DISTINCT CASE WHEN v.is_returning <> 0 THEN v.visitor END) "
                f"FROM visits v WHERE {where}",
                args,
            ).fetchone()
            found = self._scans[key] = tuple(int(x or 0) for x in row)
        return found

    def totals(self, site: str, first: str, last: str, filters: Filters) -> Totals:
        context = self._context(filters)
        if context is not None:  # the context value's own row holds its visits' totals
            dim, _, value_id = context
            if value_id is None:
                return Totals()
            row = self.conn.execute(
                "SELECT SUM(visits), SUM(pageviews), SUM(actions), SUM(bounces), SUM(duration) "
                "FROM rollup_days WHERE site = ? AND dim = ? AND value = ? "
                "AND day BETWEEN ? AND ?",
                (site, dim.code, value_id, first, last),
            ).fetchone()
        elif self._raw(filters):
            return Totals(*self._scan(site, first, last, filters)[:5])
        else:
            row = self.conn.execute(
                "SELECT SUM(visits), SUM(pageviews), SUM(actions), SUM(bounces), SUM(duration) "
                "FROM rollup_days WHERE site = ? AND dim = ? AND day BETWEEN ? AND ?",
                (site, d.TOTAL, first, last),
            ).fetchone()
        return _totals(row)

    def visitors(self, site: str, first: str, last: str, filters: Filters) -> int:
        if self._raw(filters):
            return self._scan(site, first, last, filters)[5]
        else:
            row = self.conn.execute(
                "SELECT SUM(n) FROM visitor_days "
                "WHERE site = ? AND day BETWEEN ? AND ? AND prev_day < ?",
                (site, first, last, first),
            ).fetchone()
        return int(row[0] or 0)

    def new_visitors(self, site: str, first: str, last: str, filters: Filters) -> int:
        if self._raw(filters):
            return self._scan(site, first, last, filters)[6]
        else:
            row = self.conn.execute(
                "SELECT SUM(n) FROM visitor_firsts WHERE site = ? AND first_day BETWEEN ? AND ?",
                (site, first, last),
            ).fetchone()
        return int(row[0] or 0)

    def returning_visitors(self, site: str, first: str, last: str, filters: Filters) -> int:
        if self._raw(filters):
            return self._scan(site, first, last, filters)[7]
        once = self.conn.execute(
            "SELECT SUM(n) FROM visitor_firsts WHERE site = ? AND first_day BETWEEN ? AND ? "
            "AND second_day > ?",
            (site, first, last, last),
        ).fetchone()
        return self.visitors(site, first, last, ()) - int(once[0] or 0)

    # -- time series -------------------------------------------------------------------------

    def series(
        self, site: str, first: str, last: str, interval: Interval, filters: Filters
    ) -> list[Bucket]:
        context = self._context(filters)
        if context is not None and interval == "day":
            dim, _, value_id = context
            if value_id is None:
                return []
            rows = self.conn.execute(
                "SELECT day, visitors, visits, pageviews, actions, bounces, duration "
                "FROM rollup_days WHERE site = ? AND dim = ? AND value = ? "
                "AND day BETWEEN ? AND ? ORDER BY day",
                (site, dim.code, value_id, first, last),
            ).fetchall()
            return [Bucket(str(r[0]), int(r[1]), _totals(r[2:])) for r in rows]
        if self._raw(filters):
            return self._raw_series(site, first, last, interval, filters)
        if interval == "hour":
            rows = self.conn.execute(
                "SELECT hour, visitors, visits, pageviews, actions, bounces, duration "
                "FROM rollup_hours WHERE site = ? AND hour BETWEEN ? AND ? ORDER BY hour",
                (site, day_start_us(first) // US_PER_HOUR, day_start_us(last) // US_PER_HOUR + 23),
            ).fetchall()
            return [Bucket(_hour_label(int(r[0])), int(r[1]), _totals(r[2:])) for r in rows]
        rows = self.conn.execute(
            "SELECT day, visitors, visits, pageviews, actions, bounces, duration FROM rollup_days "
            "WHERE site = ? AND dim = ? AND day BETWEEN ? AND ? AND value = 0 ORDER BY day",
            (site, d.TOTAL, first, last),
        ).fetchall()
        if interval == "day":
            return [Bucket(str(r[0]), int(r[1]), _totals(r[2:])) for r in rows]
        period = DateRange(date.fromisoformat(first), date.fromisoformat(last))
        sums: dict[str, list[int]] = {}
        for r in rows:
            label = clipped_start(date.fromisoformat(str(r[0])), interval, period).isoformat()
            acc = sums.setdefault(label, [0] * 5)
            for i in range(5):
                acc[i] += int(r[2 + i])
        visitors: dict[str, int] = defaultdict(int)
        for day, prev, n in self.conn.execute(
            "SELECT day, prev_day, n FROM visitor_days WHERE site = ? AND day BETWEEN ? AND ?",
            (site, first, last),
        ):
            label = clipped_start(date.fromisoformat(day), interval, period).isoformat()
            if prev < label:
                visitors[label] += int(n)
        return [Bucket(label, visitors[label], Totals(*acc)) for label, acc in sums.items()]

    def _raw_series(
        self, site: str, first: str, last: str, interval: Interval, filters: Filters
    ) -> list[Bucket]:
        where, args = self._where(site, first, last, filters)
        bucket = {"hour": "v.hour", "day": "v.day", "week": self.week, "month": _MONTH}[interval]
        rows = self.conn.execute(
            f"SELECT {bucket} AS b, COUNT(DISTINCT {_VISITOR}), COUNT(*), SUM(pageviews), "
            f"SUM(actions), SUM(bounce), SUM(duration) FROM visits v WHERE {where} "
            "GROUP BY b ORDER BY b",
            args,
        ).fetchall()
        result = []
        for r in rows:
            if interval == "hour":
                label = _hour_label(int(r[0]))
            elif interval == "day":
                label = str(r[0])
            else:
                label = max(str(r[0]), first)  # the bucket cut to the period
            result.append(Bucket(label, int(r[1]), _totals(r[2:])))
        return result

    # -- breakdowns --------------------------------------------------------------------------

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
        context = self._context(filters)
        if context is not None:
            found = self._context_rows(site, dims, first, last, limit, values, context)
        elif self._raw(filters):
            found = []
            for code in dims:
                found += self._raw_rows(site, d.BY_CODE[code], first, last, filters, values)
        else:
            return self._rollup_rows(site, dims, dims, first, last, limit, values)
        found.sort(key=lambda r: (-r.visits, -r.hits, r.value_id))
        return found[:limit] if limit is not None else found

    def _context_rows(
        self,
        site: str,
        dims: Sequence[int],
        first: str,
        last: str,
        limit: int | None,
        values: Sequence[str] | None,
        context: tuple[d.Dimension, str, int | None],
    ) -> list[RowData]:
        """Rows within the visits of one context value: the context rows of the other
        dimensions, and the value's own row of the context dimension."""
        dim, text, value_id = context
        if value_id is None:
            return []
        found: list[RowData] = []
        others = [code for code in dims if code != dim.code]
        if others:
            stored = [d.context_code(value_id, code) for code in others]
            found += [
                replace(r, dim=d.context_of(r.dim)[1])
                for r in self._rollup_rows(site, stored, others, first, last, limit, values, True)
            ]
        if dim.code in dims and (values is None or text in values):
            found += self._rollup_rows(site, [dim.code], [dim.code], first, last, None, [text])
        return found

    def _rollup_rows(
        self,
        site: str,
        dims: Sequence[int],
        value_dims: Sequence[int],
        first: str,
        last: str,
        limit: int | None,
        values: Sequence[str] | None,
        days_only: bool = False,
    ) -> list[RowData]:
        """Rows of the stored ``dims`` (``value_dims``: the dimensions their value texts
        belong to). Reads whole months and weeks where the period has them (unless
        ``days_only``: context rows are kept per day), then the days left over; aggregates
        and cuts, and only then looks up the texts of the rows that are left."""
        marks = ", ".join("?" for _ in dims)
        picked = ""
        picked_args: list[object] = []
        if values is not None:
            picked = (
                f" AND value IN (SELECT id FROM dim_values WHERE dim IN "
                f"({', '.join('?' for _ in value_dims)}) "
                f"AND value IN ({', '.join('?' for _ in values)}))"
            )
            picked_args = [*value_dims, *values]
        parts: list[str] = []
        args: list[object] = []
        period = DateRange(date.fromisoformat(first), date.fromisoformat(last))
        blocks = cover(period)
        if days_only:
            blocks = replace(blocks, months=(), weeks=(), days=((period.first, period.last),))
        for table, starts in (("rollup_months", blocks.months), ("rollup_weeks", blocks.weeks)):
            if starts:
                parts.append(
                    f"SELECT * FROM {table} WHERE site = ? AND dim IN ({marks}) "
                    f"AND day IN ({', '.join('?' for _ in starts)}){picked}"
                )
                args += [site, *dims, *(s.isoformat() for s in starts), *picked_args]
        for run_first, run_last in blocks.days:
            parts.append(
                f"SELECT * FROM rollup_days WHERE site = ? AND dim IN ({marks}) "
                f"AND day BETWEEN ? AND ?{picked}"
            )
            args += [site, *dims, run_first.isoformat(), run_last.isoformat(), *picked_args]
        sums = ", ".join(f"SUM({m}) AS {m}" for m in DAY_METRICS)
        inner = (
            f"SELECT dim, value AS id, {sums} FROM ({' UNION ALL '.join(parts)}) AS picked "
            "GROUP BY dim, value ORDER BY visits DESC, hits DESC, value"
        )
        if limit is not None:
            inner += " LIMIT ?"
            args.append(limit)
        sql = (
            f"SELECT g.dim, g.id, dv.value, {', '.join('g.' + m for m in DAY_METRICS)} "
            f"FROM ({inner}) g JOIN dim_values dv ON dv.id = g.id "
            "ORDER BY g.visits DESC, g.hits DESC, g.id"
        )
        return [_row(r) for r in self.conn.execute(sql, args)]

    def _raw_rows(
        self,
        site: str,
        dim: d.Dimension,
        first: str,
        last: str,
        filters: Filters,
        values: Sequence[str] | None,
    ) -> list[RowData]:
        where, args = self._where(site, first, last, filters)
        if dim.level == "visit":
            assert dim.column is not None
            extra = ""
            if dim.referrer_type is not None:
                extra = " AND v.referrer_type = ?"
                args.append(dim.referrer_type)
            elif dim.name in ("entry_pages", "exit_pages"):
                extra = f" AND v.{dim.column} IS NOT NULL"
            sql = (
                f"SELECT dv.id, dv.value, COUNT(DISTINCT {_VISITOR_DAY}), COUNT(*), "
                "SUM(v.pageviews), SUM(v.actions), SUM(v.bounce), SUM(v.duration), 0, 0, 0 "
                f"FROM visits v JOIN dim_values dv ON dv.dim = {dim.code} "
                f"AND dv.value = v.{dim.column} WHERE {where}{extra}"
            )
        else:
            sql = (
                f"SELECT dv.id, dv.value, COUNT(DISTINCT {_VISITOR_DAY}), COUNT(*), 0, 0, 0, 0, "
                f"{self._keyed_visits(dim.code)} WHERE {where}"
            )
        if values is not None:
            sql += f" AND dv.value IN ({', '.join('?' for _ in values)})"
            args += values
        sql += " GROUP BY dv.id"
        return [
            RowData(dim.code, int(r[0]), str(r[1]), *(int(x or 0) for x in r[2:]))
            for r in self.conn.execute(sql, args)
        ]

    # -- realtime and consents ---------------------------------------------------------------

    def recent_hits(self, site: str, since_ts: str) -> list[RecentHit]:
        rows = self.conn.execute(
            "SELECT id, visitor_id, mode, kind, url FROM hits WHERE site = ? AND ts >= ?",
            (site, since_ts),
        ).fetchall()
        return [
            RecentHit(int(r[0]), str(r[1]) if r[1] and r[2] == "consented" else None, r[3], r[4])
            for r in rows
        ]

    def consent_counts(self, site: str, first: str, last: str) -> list[ConsentCount]:
        rows = self.conn.execute(
            "SELECT day, action, source, lang, policy_version, granted, denied, n "
            "FROM consent_days WHERE site = ? AND day BETWEEN ? AND ? ORDER BY day",
            (site, first, last),
        ).fetchall()
        return [
            ConsentCount(
                day=str(r[0]),
                action=str(r[1]),
                source=str(r[2]),
                lang=str(r[3]),
                policy_version=str(r[4]),
                granted=tuple(json.loads(r[5])),
                denied=tuple(json.loads(r[6])),
                n=int(r[7]),
            )
            for r in rows
        ]


def _row(r: Sequence[object]) -> RowData:
    return RowData(int(str(r[0])), int(str(r[1])), str(r[2]), *(int(str(x)) for x in r[3:]))


class PgReportSource(SQLReportSource):
    """The same reports on PostgreSQL (``keys`` and ``vals`` are JSON text, cast per query)."""

    week = "to_char(date_trunc('week', v.day::date), 'YYYY-MM-DD')"

    def _has_value(self, code: int, value_id: int) -> str:
        return f"COALESCE((v.keys::jsonb -> '{code}' ->> '{value_id}')::bigint, 0) > 0"

    def _keyed_visits(self, code: int) -> str:
        return (
            "SUM(j.value::bigint), "
            f"SUM(COALESCE((v.vals::jsonb -> '{code}' -> j.key ->> 0)::bigint, 0)), "
            f"SUM(COALESCE((v.vals::jsonb -> '{code}' -> j.key ->> 1)::bigint, 0)) "
            f"FROM visits v CROSS JOIN LATERAL jsonb_each_text(v.keys::jsonb -> '{code}') j "
            "JOIN dim_values dv ON dv.id = j.key::bigint"
        )
