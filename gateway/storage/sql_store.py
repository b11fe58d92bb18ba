"""The store in SQL, whatever the engine: one writing connection on its own thread, pooled
readers beside it.

Writes run on a dedicated thread, so one batch - the hits, their visits and rollups, consent
records - is a single call into that thread rather than a thread hop per statement. Each write
transaction starts with ``BEGIN IMMEDIATE``: the engine's database-wide write lock (SQLite's
own; an advisory lock on PostgreSQL, see ``pg_sync``), so several gateway processes on one
database serialise their writes, their consent chains and their visit upkeep. Reads run on
pooled read connections in worker threads. ``SQLiteStore`` and ``PostgresStore`` supply the
connections and the few statements that differ.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from gateway.audit.entry import AccessEntry
from gateway.consent.ledger import GENESIS, Anchor, ConsentDraft, ConsentRecord, seal
from gateway.forwarding.outbox import Backlog, OutboxRow, ParkedRow
from gateway.reports.sessions import epoch_us
from gateway.reports.source import ReportSource
from gateway.retention.cutoffs import Kind
from gateway.retention.result import Removed
from gateway.storage import (
    sql_audit,
    sql_mydata,
    sql_outbox,
    sql_retention,
    sql_versions,
    sql_visitors,
)
from gateway.storage.base import (
    AddHits,
    AppendConsent,
    PolicyVersion,
    Revocation,
    WriteOp,
    WriteResult,
)
from gateway.storage.connection import Connection, rollback
from gateway.storage.migrations import MIGRATIONS
from gateway.storage.own_data import OwnData, OwnErasure, withdrawal_after
from gateway.storage.sql_reports import SQLReportSource
from gateway.storage.sql_visits import VisitMaintainer, sync_contexts
from gateway.storage.visitor_data import Erasure, VisitorData
from gateway.tracking.record import HIT_COLUMNS, HitRecord

log = logging.getLogger("gateway.storage")

T = TypeVar("T")

_INSERT_HIT: Final = (
    f"INSERT INTO hits (id, {', '.join(HIT_COLUMNS)}) "
    f"VALUES (?, {', '.join('?' for _ in HIT_COLUMNS)})"
)
_CONSENT_COLUMNS: Final = (
    "site_seq, consent_id, site, ts, action, policy_version, policy_hash, granted, denied, lang, "
    "supersedes, expires_at, ip, ua_family, pii_salt, pii_digest, prev_hash, hash, services, source"
)
_COUNT_CONSENT: Final = (
    "INSERT INTO consent_days "
    "(site, day, action, source, lang, policy_version, granted, denied, n) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) "
    "ON CONFLICT (site, day, action, source, lang, policy_version, granted, denied) "
    "DO UPDATE SET n = consent_days.n + 1"
)
_VISIT_ID: Final = HIT_COLUMNS.index("visit_id")
BACKFILL_CHUNK: Final = 5000
READ_POOL: Final = 4
HITS_PAGE: Final = 1000


class SQLStore:
    """Everything but the connections; see the engines' subclasses."""

    report_source: type[SQLReportSource] = SQLReportSource

    def __init__(self, visit_timeouts: Mapping[str, int] | None = None) -> None:
        """``visit_timeouts``: seconds per site slug (30 minutes for sites not listed)."""
        self.visits = VisitMaintainer(visit_timeouts)
        self._executor: ThreadPoolExecutor | None = None
        self._read_executor: ThreadPoolExecutor | None = None
        self._writer: Connection | None = None
        self._readers: queue.SimpleQueue[Connection] = queue.SimpleQueue()

    # -- what an engine supplies -------------------------------------------------------------

    def _connect_writer(self) -> Connection:
        raise NotImplementedError

    def _connect_reader(self) -> Connection:
        """A connection for reads only, usable from any one thread at a time."""
        raise NotImplementedError

    def _next_hit_ids(self, conn: Connection, count: int) -> int:
        """Reserve ``count`` consecutive hit ids inside the write lock; return the first."""
        raise NotImplementedError

    def _schema_statement(self, statement: str) -> str:
        """A migration statement in the engine's dialect."""
        return statement

    def _lost_connection(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the server dropped the connection (not that the query failed)."""
        return False

    async def _prepare(self) -> None:
        """Anything to do before the first connection (a directory to create)."""

    # -- lifecycle ---------------------------------------------------------------------------

    async def open(self) -> None:
        await self._prepare()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-writer")
        try:
            await self._on_writer(self._open_writer)
        except BaseException:
            self._executor.shutdown(wait=True)
            self._executor = None
            raise
        # As many reading threads as pooled read connections: a process never holds more
        # than 1 + READ_POOL connections.
        self._read_executor = ThreadPoolExecutor(
            max_workers=READ_POOL, thread_name_prefix="gateway-reader"
        )

    async def _on_writer(self, fn: Callable[..., T], *args: object) -> T:
        if self._executor is None:
            raise RuntimeError("store is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _open_writer(self) -> None:
        self._writer = self._connect_writer()
        _migrate(self._writer, self._schema_statement)
        sync_contexts(self._writer, self.visits.dictionary)  # before visits are backfilled
        self._backfill_visits()

    async def close(self) -> None:
        if self._executor is not None:
            await self._on_writer(self._close_writer)
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._read_executor is not None:
            self._read_executor.shutdown(wait=True)
            self._read_executor = None
        while True:
            try:
                conn = self._readers.get_nowait()
            except queue.Empty:
                break
            await asyncio.to_thread(conn.close)

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    @property
    def writer(self) -> Connection:
        if self._writer is None:
            raise RuntimeError("store is not open")
        return self._writer

    async def _reading(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(connection, *args)`` on a pooled read connection, in a worker thread."""
        if self._read_executor is None:
            raise RuntimeError("store is not open")
        return await asyncio.get_running_loop().run_in_executor(
            self._read_executor, lambda: self._with_reader(fn, *args)
        )

    def _with_reader(self, fn: Callable[..., T], *args: object) -> T:
        try:
            conn = self._readers.get_nowait()
        except queue.Empty:
            conn = self._connect_reader()
        try:
            result = fn(conn, *args)
        except BaseException as exc:
            conn.close()  # it may be broken; the next read opens a new one
            if not self._lost_connection(exc):
                raise
            # The server dropped a pooled connection (a restart, a failover): a read is safe
            # to run again, on a new connection.
            conn = self._connect_reader()
            try:
                result = fn(conn, *args)
            except BaseException:
                conn.close()
                raise
        if self._readers.qsize() < READ_POOL:
            self._readers.put(conn)
        else:
            conn.close()
        return result

    # -- writes ------------------------------------------------------------------------------

    async def write_batch(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        return await self._on_writer(self._write_batch, ops)

    def _write_batch(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        return self._in_write(self._write_ops, ops)

    def _write_ops(self, conn: Connection, ops: Sequence[WriteOp]) -> list[WriteResult]:
        results: list[WriteResult] = []
        chain_heads: dict[str, tuple[int, str]] = {}
        hits: list[HitRecord] = []
        for op in ops:
            if isinstance(op, AddHits):
                hits.extend(op.hits)
                results.append(len(op.hits))
                if op.forwards:
                    sql_outbox.enqueue(conn, op.forwards)
            elif isinstance(op, AppendConsent):
                site = op.draft.site
                if site not in chain_heads:
                    chain_heads[site] = _chain_head(conn, site)
                seq, prev = chain_heads[site]
                record = seal(op.draft, seq + 1, prev)
                conn.execute(
                    f"INSERT INTO consents ({_CONSENT_COLUMNS}) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    _consent_row(record),
                )
                conn.execute(_COUNT_CONSENT, _consent_day(record))
                chain_heads[site] = (record.site_seq, record.hash)
                results.append(record)
        if hits:
            self._insert_hits(conn, hits)
        return results

    def _insert_hits(self, conn: Connection, hits: Sequence[HitRecord]) -> None:
        first = self._next_hit_ids(conn, len(hits))
        numbered = list(enumerate(hits, start=first))
        assigned = self.visits.apply(conn, numbered)
        conn.executemany(
            _INSERT_HIT,
            [(hit_id, *_with_visit(hit.row(), assigned[hit_id])) for hit_id, hit in numbered],
        )

    async def forget_visitor(self, site: str, visitor_id: str) -> int:
        """Erase one visitor's hits with their visits and rollup counts; return hits erased."""
        return await self._on_writer(self._forget_visitor, site, visitor_id)

    def _forget_visitor(self, site: str, visitor_id: str) -> int:
        def forget(conn: Connection) -> int:
            deleted = self.visits.forget(conn, site, visitor_id)
            sql_outbox.forget(conn, site, [visitor_id])
            return deleted

        return self._in_write(forget)

    async def erase_visitors(self, site: str, visitor_ids: Sequence[str]) -> Erasure:
        return await self._on_writer(self._erase_visitors, site, tuple(visitor_ids))

    def _erase_visitors(self, site: str, visitor_ids: tuple[str, ...]) -> Erasure:
        def erase(conn: Connection) -> Erasure:
            consent_ids = sql_visitors.linked_consent_ids(conn, site, visitor_ids)
            hits = sum(self.visits.forget(conn, site, v) for v in visitor_ids)
            sql_outbox.forget(conn, site, visitor_ids)
            changed = sql_visitors.pseudonymise_consents(conn, site, consent_ids)
            return Erasure(visitor_ids, hits, changed)

        return self._in_write(erase)

    async def record_access(self, entries: Sequence[AccessEntry]) -> None:
        await self._on_writer(lambda: sql_audit.record(self.writer, entries))

    # -- retention (SQL in sql_retention) --------------------------------------------------

    async def retention_sites(self) -> dict[Kind, list[str | None]]:
        return await self._on_writer(sql_retention.stored_sites, self.writer)

    async def purge(
        self, kind: Kind, site: str | None, before: str, *, now: str, dry_run: bool = False
    ) -> Removed:
        if dry_run:
            return await self._reading(self._count_purge, kind, site, before, now)
        totals: dict[str, int] = {}
        while True:  # one short transaction per chunk, so ingest never waits long
            counts, more, note = await self._on_writer(self._purge_chunk, kind, site, before, now)
            for name, n in counts.items():
                totals[name] = totals.get(name, 0) + n
            if not more:
                return Removed(totals, note)

    def _purge_chunk(
        self, kind: Kind, site: str | None, before: str, now: str
    ) -> tuple[dict[str, int], bool, str]:
        def chunk(conn: Connection) -> tuple[dict[str, int], bool, str]:
            if kind == "hits" and site is not None:
                counts, more = sql_retention.purge_hits_chunk(conn, site, before, epoch_us(before))
                return counts, more, ""
            if kind == "consents" and site is not None:
                return sql_retention.purge_consents_chunk(
                    conn, site, before, now, _CONSENT_COLUMNS, _consent_from_row
                )
            counts, more = sql_retention.purge_audit_chunk(conn, site, before)
            return counts, more, ""

        return self._in_write(chunk)

    @staticmethod
    def _count_purge(
        conn: Connection, kind: Kind, site: str | None, before: str, now: str
    ) -> Removed:
        if kind == "hits" and site is not None:
            return Removed(sql_retention.count_hits(conn, site, before, epoch_us(before)))
        if kind == "consents" and site is not None:
            counts, note = sql_retention.count_consents(
                conn, site, before, now, _CONSENT_COLUMNS, _consent_from_row
            )
            return Removed(counts, note)
        return Removed(sql_retention.count_audit(conn, site, before))

    async def consent_anchor(self, site: str) -> Anchor | None:
        return await self._on_writer(sql_retention.consent_anchor, self.writer, site)

    def _backfill_visits(self) -> None:
        """Give hits stored before visits existed their visits and rollups, oldest first."""
        conn = self.writer
        done = 0
        while True:
            conn.execute("BEGIN IMMEDIATE")
            try:
                rows = conn.execute(
                    f"SELECT id, {', '.join(HIT_COLUMNS)} FROM hits WHERE visit_id IS NULL "
                    f"ORDER BY id LIMIT {BACKFILL_CHUNK}"
                ).fetchall()
                numbered = [(int(row[0]), _hit_from_row(row[1:])) for row in rows]
                assigned = self.visits.apply(conn, numbered) if numbered else {}
                conn.executemany(
                    "UPDATE hits SET visit_id = ? WHERE id = ?",
                    [(visit_id, hit_id) for hit_id, visit_id in assigned.items()],
                )
                conn.execute("COMMIT")
            except BaseException:
                self.visits.rolled_back()
                rollback(conn)
                raise
            self.visits.committed()
            done += len(rows)
            if len(rows) < BACKFILL_CHUNK:
                break
        if done:
            log.info("assigned visits to %d hits stored before reports existed", done)

    # -- reads -------------------------------------------------------------------------------

    async def read_reports(self, fn: Callable[[ReportSource], T]) -> T:
        """Run ``fn`` with a report source on a pooled read connection, in a worker thread."""
        return await self._reading(self._read_reports, fn)

    def _read_reports(self, conn: Connection, fn: Callable[[ReportSource], T]) -> T:
        conn.execute("BEGIN")  # one snapshot for every query of the report
        try:
            return fn(self.report_source(conn))
        finally:
            conn.execute("COMMIT")

    async def revocations_since(self, cursor: int) -> list[Revocation]:
        rows = await self._reading(
            _fetch,
            "SELECT seq, supersedes FROM consents WHERE supersedes IS NOT NULL AND seq > ? "
            "ORDER BY seq",
            (cursor,),
        )
        return [Revocation(int(seq), str(cid)) for seq, cid in rows]

    async def consent_records(self, site: str) -> list[ConsentRecord]:
        rows = await self._reading(
            _fetch,
            f"SELECT {_CONSENT_COLUMNS} FROM consents WHERE site = ? ORDER BY site_seq",
            (site,),
        )
        return [_consent_from_row(row) for row in rows]

    async def consent_record(self, consent_id: str) -> ConsentRecord | None:
        rows = await self._reading(
            _fetch, f"SELECT {_CONSENT_COLUMNS} FROM consents WHERE consent_id = ?", (consent_id,)
        )
        return _consent_from_row(rows[0]) if rows else None

    async def hits(
        self, site: str, *, date_from: str | None = None, date_to: str | None = None
    ) -> AsyncIterator[dict[str, object]]:
        """A site's hits in id order, read a page at a time (so an export of millions of hits
        holds one page in memory)."""
        query = f"SELECT id, {', '.join(HIT_COLUMNS)} FROM hits WHERE site = ? AND id > ?"
        args: list[object] = [site]
        if date_from:
            query += " AND ts >= ?"
            args.append(date_from)
        if date_to:
            query += " AND ts < ?"
            args.append(date_to + "T99")  # every time on date_to sorts below "T99"
        query += f" ORDER BY id LIMIT {HITS_PAGE}"
        after = 0
        while True:
            rows = await self._reading(_fetch, query, (site, after, *args[1:]))
            for row in rows:
                item = dict(zip(HIT_COLUMNS, row[1:], strict=True))
                item["new_visit"] = bool(item["new_visit"])
                yield item
            if len(rows) < HITS_PAGE:
                return
            after = int(rows[-1][0])

    # -- policy versions ---------------------------------------------------------------------

    async def record_policy_versions(self, versions: Sequence[PolicyVersion]) -> int:
        return await self._on_writer(self._record_policy_versions, versions)

    def _record_policy_versions(self, versions: Sequence[PolicyVersion]) -> int:
        return self._in_write(sql_versions.record_versions, versions)

    async def policy_versions(self, site: str) -> list[PolicyVersion]:
        rows = await self._reading(_fetch, sql_versions.list_versions_sql(), (site,))
        return [sql_versions.from_row(row) for row in rows]

    async def policy_version(self, site: str, hash: str) -> PolicyVersion | None:
        rows = await self._reading(_fetch, sql_versions.one_version_sql(), (site, hash))
        return sql_versions.from_row(rows[0]) if rows else None

    async def visitor_ids_for_users(self, site: str, user_pseudonyms: Sequence[str]) -> list[str]:
        return await self._on_writer(
            lambda: sql_visitors.visitor_ids_for_users(self.writer, site, user_pseudonyms)
        )

    async def visitor_data(self, site: str, visitor_ids: Sequence[str]) -> VisitorData:
        return await self._on_writer(self._visitor_data, site, tuple(visitor_ids))

    def _visitor_data(self, site: str, visitor_ids: tuple[str, ...]) -> VisitorData:
        conn = self.writer
        conn.execute("BEGIN")  # one snapshot
        try:
            hits = sql_visitors.hits_of(conn, site, visitor_ids)
            visits = sql_visitors.visits_of(conn, site, visitor_ids)
            ids = sql_visitors.linked_consent_ids(conn, site, visitor_ids)
            rows = sql_visitors.consent_rows(conn, site, ids, _CONSENT_COLUMNS)
        finally:
            conn.execute("COMMIT")
        return VisitorData(visitor_ids, hits, visits, [_consent_from_row(r) for r in rows])

    async def access_log(
        self, site: str | None, date_from: str | None, date_to: str | None, limit: int
    ) -> list[AccessEntry]:
        return await self._on_writer(
            lambda: sql_audit.read(self.writer, site, date_from, date_to, limit)
        )

    # -- a visitor's own data (SQL in sql_mydata) -------------------------------------------

    async def own_data(self, site: str, consent_id: str) -> OwnData | None:
        return await self._on_writer(self._own_data, site, consent_id)

    def _own_data(self, site: str, consent_id: str) -> OwnData | None:
        conn = self.writer
        conn.execute("BEGIN")  # one snapshot
        try:
            ids = sql_mydata.linked_consent_ids(conn, site, consent_id)
            rows = sql_mydata.consent_rows(conn, site, ids, _CONSENT_COLUMNS)
            hits = sql_mydata.hits_of(conn, site, ids)
        finally:
            conn.execute("COMMIT")
        if not rows:
            return None
        return OwnData(tuple(_consent_from_row(r) for r in rows), tuple(hits))

    async def erase_own_data(
        self, site: str, consent_id: str, withdrawal: ConsentDraft
    ) -> OwnErasure | None:
        return await self._on_writer(self._erase_own_data, site, consent_id, withdrawal)

    def _erase_own_data(
        self, site: str, consent_id: str, withdrawal: ConsentDraft
    ) -> OwnErasure | None:
        def erase(conn: Connection) -> OwnErasure | None:
            ids = sql_mydata.linked_consent_ids(conn, site, consent_id)
            if not ids:
                return None
            erased, pseudonymised = sql_mydata.erase(conn, self.visits, site, ids)
            sql_outbox.forget_consents(conn, site, ids)
            rows = sql_mydata.consent_rows(conn, site, ids, _CONSENT_COLUMNS)
            draft = withdrawal_after(_consent_from_row(rows[-1]), withdrawal)
            stop = self._write_ops(conn, [AppendConsent(draft)])[0] if draft else None
            if not isinstance(stop, ConsentRecord):
                return OwnErasure(erased, pseudonymised)
            sql_mydata.pseudonymise(conn, site, [stop.consent_id])
            stop = replace(stop, ip=None, ua_family=None, pii_salt=None)
            return OwnErasure(erased, pseudonymised, stop)

        return self._in_write(erase)

    # -- forwarding outbox (SQL in sql_outbox) ----------------------------------------------

    async def outbox_claim(self, limit: int, now: float, lease_until: float) -> list[OutboxRow]:
        return await self._on_writer(self._in_write, sql_outbox.claim, limit, now, lease_until)

    async def outbox_delivered(self, ids: Sequence[int]) -> None:
        await self._on_writer(self._in_write, sql_outbox.delete, tuple(ids))

    async def outbox_retry(self, ids: Sequence[int], when: float, error: str) -> None:
        await self._on_writer(self._in_write, sql_outbox.retry, tuple(ids), when, error)

    async def outbox_park(self, ids: Sequence[int], error: str) -> None:
        await self._on_writer(self._in_write, sql_outbox.park, tuple(ids), error)

    async def outbox_backlog(self) -> Backlog:
        return await self._reading(sql_outbox.backlog, datetime.now(UTC))

    async def outbox_parked(self, limit: int) -> list[ParkedRow]:
        return await self._reading(sql_outbox.parked, limit)

    async def outbox_release(self, ids: Sequence[int] | None) -> int:
        chosen = None if ids is None else tuple(ids)
        return await self._on_writer(self._in_write, sql_outbox.release, chosen)

    async def outbox_drop(self, ids: Sequence[int] | None) -> int:
        chosen = None if ids is None else tuple(ids)
        return await self._on_writer(self._in_write, sql_outbox.drop, chosen)

    def _in_write(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(writer, *args)`` in one ``BEGIN IMMEDIATE`` transaction: every write goes
        through here, so the visit upkeep's value cache learns exactly what was committed."""
        conn = self.writer
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn, *args)
            conn.execute("COMMIT")
        except BaseException:
            self.visits.rolled_back()  # first: whatever ROLLBACK itself does
            rollback(conn)
            raise
        self.visits.committed()
        return result

    async def health(self) -> bool:
        rows = await self._reading(_fetch, "SELECT 1", ())
        return bool(rows)

    async def schema_version(self) -> int:
        rows = await self._reading(_fetch, "SELECT MAX(version) FROM schema_version", ())
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _fetch(conn: Connection, sql: str, args: Sequence[object]) -> list[Any]:
    return conn.execute(sql, args).fetchall()


def _migrate(conn: Connection, dialect: Callable[[str], str]) -> None:
    conn.execute("BEGIN IMMEDIATE")  # several instances starting at once migrate one by one
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = int(row[0]) if row and row[0] is not None else 0
        for version, statements in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            for statement in statements:
                conn.execute(dialect(statement))
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def _with_visit(row: tuple[object, ...], visit_id: int) -> tuple[object, ...]:
    return (*row[:_VISIT_ID], visit_id, *row[_VISIT_ID + 1 :])


def _hit_from_row(row: Sequence[object]) -> HitRecord:
    values = dict(zip(HIT_COLUMNS, row, strict=True))
    values["new_visit"] = bool(values["new_visit"])
    return HitRecord(**values)  # type: ignore[arg-type]


def _chain_head(conn: Connection, site: str) -> tuple[int, str]:
    row = conn.execute(
        "SELECT site_seq, hash FROM consents WHERE site = ? ORDER BY site_seq DESC LIMIT 1",
        (site,),
    ).fetchone()
    if row:
        return int(row[0]), str(row[1])
    anchor = sql_retention.consent_anchor(conn, site)  # every record purged by retention
    return (anchor.site_seq, anchor.hash) if anchor else (0, GENESIS)


def _consent_day(record: ConsentRecord) -> tuple[object, ...]:
    return (
        record.site,
        record.ts[:10],
        record.action,
        record.source,
        record.lang,
        record.policy_version,
        json.dumps(list(record.granted)),
        json.dumps(list(record.denied)),
    )


def _consent_row(record: ConsentRecord) -> tuple[object, ...]:
    return (
        record.site_seq,
        record.consent_id,
        record.site,
        record.ts,
        record.action,
        record.policy_version,
        record.policy_hash,
        json.dumps(list(record.granted)),
        json.dumps(list(record.denied)),
        record.lang,
        record.supersedes,
        record.expires_at,
        record.ip,
        record.ua_family,
        record.pii_salt,
        record.pii_digest,
        record.prev_hash,
        record.hash,
        json.dumps(list(record.services)),
        record.source,
    )


def _consent_from_row(row: Sequence[object]) -> ConsentRecord:
    def text(value: object) -> str | None:
        return None if value is None else str(value)

    return ConsentRecord(
        site_seq=int(str(row[0])),
        consent_id=str(row[1]),
        site=str(row[2]),
        ts=str(row[3]),
        action=str(row[4]),
        policy_version=str(row[5]),
        policy_hash=str(row[6]),
        granted=tuple(json.loads(str(row[7]))),
        denied=tuple(json.loads(str(row[8]))),
        lang=str(row[9]),
        supersedes=text(row[10]),
        expires_at=text(row[11]),
        ip=text(row[12]),
        ua_family=text(row[13]),
        pii_salt=text(row[14]),
        pii_digest=str(row[15]),
        prev_hash=str(row[16]),
        hash=str(row[17]),
        services=tuple(json.loads(str(row[18]))),
        source=str(row[19]),
    )
