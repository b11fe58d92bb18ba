"""The part of a DB-API connection the SQL modules use, so they run on either engine.

``sqlite3.Connection`` has this shape; ``pg_sync.PgConnection`` gives it over asyncpg.
Statements use ``?`` placeholders and the SQL both engines understand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, Final, Protocol

CHUNK: Final = 500  # values per IN (...) list: far below either engine's parameter limit


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Any, /) -> Cursor: ...

    def close(self) -> None: ...


def rollback(conn: Connection) -> None:
    """End a failed transaction without hiding why it failed: SQLite has already rolled back
    after a full disk or an I/O error (ROLLBACK then raises), and a connection the server
    dropped cannot roll back at all."""
    with contextlib.suppress(Exception):
        conn.execute("ROLLBACK")


def in_chunks(values: Sequence[str]) -> Iterator[tuple[str, Sequence[str]]]:
    """``values`` in slices of ``CHUNK``, each with its ``?, ?, ...`` placeholder list."""
    for start in range(0, len(values), CHUNK):
        part = values[start : start + CHUNK]
        yield ", ".join("?" for _ in part), part
