"""A ``sqlite3``-shaped connection to PostgreSQL, over asyncpg, for the store's worker threads.

The SQL modules (``sql_visits``, ``sql_reports``, ...) are plain functions that take a
connection and run one statement after another; the visit upkeep in particular decides its next
query from the last answer. Running them unchanged on PostgreSQL keeps one implementation of
every rule for both engines. ``PgConnection`` gives them what they use of ``sqlite3``:
``execute`` / ``executemany`` returning a cursor with ``fetchone``, ``fetchall``, iteration and
``rowcount``. Each connection owns a private event loop and is used by one thread at a time
(the writer thread, or a pooled reader), so the gateway's own loop never waits on it.

Text parameters have NUL characters replaced (``_text_safe``): SQLite keeps them, PostgreSQL's
text type cannot. Statements are written in the common dialect (``?`` placeholders, ``ON CONFLICT``,
``RETURNING``); ``translate`` turns them into PostgreSQL's (``$1``...), once per statement
text. ``BEGIN IMMEDIATE`` - SQLite's "take the write lock now" - becomes a transaction holding
the database-wide advisory lock ``WRITE_LOCK``: every instance's writes are serialised as they
are on one SQLite file, which keeps the consent chains and the visit upkeep single-writer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Final

import asyncpg

# Any 64-bit key: "gateway writes". Taken with pg_advisory_xact_lock, released at COMMIT.
WRITE_LOCK: Final = 0x6761_7465_7761_7901

_BEGIN: Final = {
    "BEGIN IMMEDIATE": f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})",
    # A read snapshot for every statement of a report or an export.
    "BEGIN": "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    "COMMIT": "COMMIT",
    "ROLLBACK": "ROLLBACK",
}
_RETURNS_ROWS: Final = re.compile(r"^\s*(SELECT|WITH|VALUES)\b|\bRETURNING\b", re.IGNORECASE)
_PLACEHOLDER: Final = re.compile(r"'(?:[^']|'')*'|\?")
_STATUS_COUNT: Final = re.compile(r"(\d+)$")
# executemany of at least this many rows becomes one statement over arrays (``_bulk``)
BULK_MIN: Final = 4
_INSERT_VALUES: Final = re.compile(
    r"^\s*INSERT INTO (\w+) \(([\w\s,]+)\) VALUES \(([?,\s]+)\)([^?]*)$", re.S | re.I
)
_DELETE_WHERE: Final = re.compile(r"^\s*DELETE FROM (\w+) WHERE ([^;]+)$", re.S | re.I)
_TERM: Final = re.compile(r"^(\w+) = (\?|-?\d+)$")


def translate(sql: str) -> str:
    """``?`` placeholders to ``$1``, ``$2``... (question marks inside quotes are text)."""
    counter = 0

    def number(match: re.Match[str]) -> str:
        nonlocal counter
        if match.group(0) != "?":
            return match.group(0)
        counter += 1
        return f"${counter}"

    return _PLACEHOLDER.sub(number, sql)


def _text_safe(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL: it is stored (and searched) as U+FFFD."""
    if type(value) is str and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def _params(params: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(_text_safe(p) for p in params)


def _numeric(text: str) -> int | float:
    """SUM over BIGINT is NUMERIC in PostgreSQL; the callers expect Python ints, as SQLite
    gives them."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


class PgCursor:
    """The rows of one statement (all fetched), or its row count."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int = -1) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount if rowcount >= 0 else len(rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    def fetchall(self) -> list[tuple[Any, ...]]:
        rest = self._rows[self._next :]
        self._next = len(self._rows)
        return rest

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row


class PgConnection:
    """One asyncpg connection driven synchronously from the thread that uses it."""

    def __init__(self, dsn: str, *, read_only: bool = False) -> None:
        self._loop = asyncio.new_event_loop()
        self._sql: dict[str, str] = {}
        self.read_only = read_only
        self._dsn = dsn
        try:
            self._conn: asyncpg.Connection = self._run(self._connect(dsn, read_only))
        except BaseException:
            self._loop.close()
            raise

    async def _connect(self, dsn: str, read_only: bool) -> asyncpg.Connection:
        server_settings = {"application_name": "gateway"}
        if read_only:
            server_settings["default_transaction_read_only"] = "on"
        conn: asyncpg.Connection = await asyncpg.connect(
            dsn, timeout=10, server_settings=server_settings
        )
        await conn.set_type_codec(
            "numeric", schema="pg_catalog", encoder=str, decoder=_numeric, format="text"
        )
        return conn

    def _run(self, coro: Any) -> Any:
        return self._loop.run_until_complete(coro)

    def _live(self) -> asyncpg.Connection:
        """The connection, opened again if the server dropped it (a restart, a failover): the
        statement that saw it drop failed, and its transaction with it; later ones go on."""
        if self._conn.is_closed():
            self._conn = self._run(self._connect(self._dsn, self.read_only))
        return self._conn

    def _translated(self, sql: str) -> str:
        found = self._sql.get(sql)
        if found is None:
            found = _BEGIN.get(sql.strip().upper()) or translate(sql)
            self._sql[sql] = found
        return found

    def execute(self, sql: str, params: Sequence[Any] | Iterable[Any] = ()) -> PgCursor:
        text = self._translated(sql)
        args = _params(params)
        if not args and text in _BEGIN.values():
            self._run(self._live().execute(text))
            return PgCursor([])
        if _RETURNS_ROWS.search(text):
            records = self._run(self._live().fetch(text, *args))
            return PgCursor([tuple(r) for r in records])
        status: str = self._run(self._live().execute(text, *args))
        match = _STATUS_COUNT.search(status)
        return PgCursor([], int(match.group(1)) if match else 0)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        rows = [_params(p) for p in seq]
        if not rows:
            return PgCursor([], 0)
        bulk = self._bulk(sql) if len(rows) >= BULK_MIN else None
        if bulk is None:
            self._run(self._live().executemany(self._translated(sql), rows))
            return PgCursor([], len(rows))
        columns = [list(column) for column in zip(*rows, strict=True)]
        status: str = self._run(self._live().execute(bulk, *columns))
        match = _STATUS_COUNT.search(status)
        return PgCursor([], int(match.group(1)) if match else 0)

    def _bulk(self, sql: str) -> str | None:
        """``sql`` for all rows at once, each parameter an array of one column's values
        (``unnest``): one statement and one round trip instead of one per row. Covers the
        shapes the store sends many rows through - ``INSERT ... VALUES (?, ...) [ON CONFLICT
        ...]`` and ``DELETE ... WHERE col = ? AND ...`` - and None for anything else. A batch
        never holds two rows for one key, which ``ON CONFLICT DO UPDATE`` requires."""
        key = "bulk:" + sql
        if key in self._sql:
            return self._sql[key] or None
        found = ""
        insert = _INSERT_VALUES.match(sql)
        delete = _DELETE_WHERE.match(sql)
        if insert:
            table, names, marks, rest = insert.groups()
            columns = [c.strip() for c in names.split(",")]
            if marks.count("?") == len(columns):
                types = self._column_types(table)
                arrays = ", ".join(f"${i}::{types[c]}[]" for i, c in enumerate(columns, 1))
                found = (
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT * FROM unnest({arrays}){rest}"
                )
        elif delete:
            table, where = delete.groups()
            terms = [_TERM.match(t.strip()) for t in re.split(r"\s+AND\s+", where)]
            if all(terms):
                keys = [m.group(1) for m in terms if m and m.group(2) == "?"]
                fixed = [
                    f"{table}.{m.group(1)} = {m.group(2)}" for m in terms if m and m.group(2) != "?"
                ]
                types = self._column_types(table)
                arrays = ", ".join(f"${i}::{types[c]}[]" for i, c in enumerate(keys, 1))
                match_keys = [f"{table}.{c} = u.{c}" for c in keys]
                found = (
                    f"DELETE FROM {table} USING unnest({arrays}) AS u({', '.join(keys)}) "
                    f"WHERE {' AND '.join(match_keys + fixed)}"
                )
        self._sql[key] = found
        return found or None

    def _column_types(self, table: str) -> dict[str, str]:
        rows = self._run(
            self._live().fetch(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
                table,
            )
        )
        return {str(name): str(kind) for name, kind in rows}

    def close(self) -> None:
        """Close the connection (abruptly when the server is gone) and its loop. Never raises:
        it runs while errors are being handled."""
        try:
            if not self._conn.is_closed():
                try:
                    self._run(self._conn.close(timeout=5))
                except Exception:
                    self._conn.terminate()
            # let the transport's scheduled close callbacks run, so its socket is released
            self._run(asyncio.sleep(0))
            self._run(asyncio.sleep(0))
        except Exception:
            pass
        finally:
            self._loop.close()
