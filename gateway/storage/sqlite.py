"""SQLite: one database file in WAL mode; the embedded default.

Several gateway processes may share the file (``--workers N``): each write transaction takes
``BEGIN IMMEDIATE``, SQLite's file lock, so writes, consent chains and hit ids are serialised
across processes, and readers see committed snapshots beside the writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from gateway.storage.connection import Connection
from gateway.storage.sql_store import SQLStore

BUSY_TIMEOUT_MS = 10_000


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), usable from any thread."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if read_only:
        conn.execute("PRAGMA query_only = ON")
        return conn
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class SQLiteStore(SQLStore):
    def __init__(self, path: Path, visit_timeouts: Mapping[str, int] | None = None) -> None:
        super().__init__(visit_timeouts)
        self.path = path

    async def _prepare(self) -> None:
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def _connect_writer(self) -> Connection:
        return connect(self.path)

    def _connect_reader(self) -> Connection:
        return connect(self.path, read_only=True)

    def _next_hit_ids(self, conn: Connection, count: int) -> int:
        """Ids are given here, inside the write lock, so the visit upkeep knows them before the
        rows exist; AUTOINCREMENT's no-reuse rule is kept."""
        row = conn.execute("SELECT MAX(id) FROM hits").fetchone()
        seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'hits'").fetchone()
        return max(int(row[0] or 0), int(seq[0]) if seq else 0) + 1
