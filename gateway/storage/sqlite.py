"""SQLite storage through aiosqlite: WAL, one writing connection, one reading connection.

The writing connection takes ``BEGIN IMMEDIATE`` for each batch, so several gateway processes on
one database file serialise their writes (and their consent chains) through SQLite's own lock.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiosqlite

from gateway.consent.ledger import GENESIS, ConsentRecord, seal
from gateway.storage.base import AddHits, AppendConsent, Revocation, WriteOp, WriteResult
from gateway.storage.migrations import MIGRATIONS
from gateway.tracking.record import HIT_COLUMNS

_INSERT_HIT = (
    f"INSERT INTO hits ({', '.join(HIT_COLUMNS)}) VALUES ({', '.join('?' for _ in HIT_COLUMNS)})"
)
_CONSENT_COLUMNS = (
    "site_seq, consent_id, site, ts, action, policy_version, policy_hash, granted, denied, lang, "
    "supersedes, expires_at, ip, ua_family, pii_salt, pii_digest, prev_hash, hash, services, source"
)


class SQLiteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None

    async def open(self) -> None:
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        await self._migrate(self._writer)
        self._reader = await self._connect()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        await conn.execute("PRAGMA busy_timeout = 10000")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        return conn

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            )
            async with conn.execute("SELECT MAX(version) FROM schema_version") as cursor:
                row = await cursor.fetchone()
            current = int(row[0]) if row and row[0] is not None else 0
            for version, statements in enumerate(MIGRATIONS, start=1):
                if version <= current:
                    continue
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @property
    def writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("store is not open")
        return self._writer

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    async def write_batch(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        conn = self.writer
        results: list[WriteResult] = []
        chain_heads: dict[str, tuple[int, str]] = {}
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for op in ops:
                if isinstance(op, AddHits):
                    await conn.executemany(_INSERT_HIT, [hit.row() for hit in op.hits])
                    results.append(len(op.hits))
                elif isinstance(op, AppendConsent):
                    site = op.draft.site
                    if site not in chain_heads:
                        chain_heads[site] = await self._chain_head(conn, site)
                    seq, prev = chain_heads[site]
                    record = seal(op.draft, seq + 1, prev)
                    await conn.execute(
                        f"INSERT INTO consents ({_CONSENT_COLUMNS}) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        _consent_row(record),
                    )
                    chain_heads[site] = (record.site_seq, record.hash)
                    results.append(record)
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        return results

    @staticmethod
    async def _chain_head(conn: aiosqlite.Connection, site: str) -> tuple[int, str]:
        async with conn.execute(
            "SELECT site_seq, hash FROM consents WHERE site = ? ORDER BY site_seq DESC LIMIT 1",
            (site,),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    async def revocations_since(self, cursor: int) -> list[Revocation]:
        async with self.reader.execute(
            "SELECT seq, supersedes FROM consents WHERE supersedes IS NOT NULL AND seq > ? "
            "ORDER BY seq",
            (cursor,),
        ) as rows:
            return [Revocation(int(seq), str(cid)) async for seq, cid in rows]

    async def consent_records(self, site: str) -> list[ConsentRecord]:
        async with self.reader.execute(
            f"SELECT {_CONSENT_COLUMNS} FROM consents WHERE site = ? ORDER BY site_seq", (site,)
        ) as rows:
            return [_consent_from_row(row) async for row in rows]

    async def consent_record(self, consent_id: str) -> ConsentRecord | None:
        async with self.reader.execute(
            f"SELECT {_CONSENT_COLUMNS} FROM consents WHERE consent_id = ?", (consent_id,)
        ) as rows:
            row = await rows.fetchone()
        return _consent_from_row(row) if row else None

    async def hits(
        self, site: str, *, date_from: str | None = None, date_to: str | None = None
    ) -> AsyncIterator[dict[str, object]]:
        query = f"SELECT {', '.join(HIT_COLUMNS)} FROM hits WHERE site = ?"
        args: list[object] = [site]
        if date_from:
            query += " AND ts >= ?"
            args.append(date_from)
        if date_to:
            query += " AND ts < ?"
            args.append(date_to + "T99")  # every time on date_to sorts below "T99"
        query += " ORDER BY id"
        async with self.reader.execute(query, args) as rows:
            async for row in rows:
                item = dict(zip(HIT_COLUMNS, row, strict=True))
                item["new_visit"] = bool(item["new_visit"])
                yield item

    async def health(self) -> bool:
        async with self.reader.execute("SELECT 1") as cursor:
            return (await cursor.fetchone()) is not None


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
