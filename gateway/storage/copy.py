"""Move a gateway's data from its SQLite file to a PostgreSQL database (``gateway copy-db``).

A site that outgrows one machine keeps its history: every table is copied row for row, in
primary-key order, so ids, consent chains, visits and rollups arrive exactly as they were. The
target is migrated first and must hold no data; afterwards its identity sequences continue
after the copied ids (hits after SQLite's own AUTOINCREMENT high-water mark, so an erased
hit's id is never reused). Stop the gateway while copying: rows written during the copy
would be missed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from gateway.settings import is_postgres, sqlite_path
from gateway.storage.pg_sync import PgConnection
from gateway.storage.sqlite import connect

# Every table the migrations create, parents first; (table, ordering column, identity column).
TABLES: Final = (
    ("consents", "seq", "seq"),
    ("hits", "id", "id"),
    ("dim_values", "id", "id"),
    ("visits", "id", "id"),
    ("rollup_days", "site, dim, day, value", None),
    ("rollup_weeks", "site, dim, day, value", None),
    ("rollup_months", "site, dim, day, value", None),
    ("rollup_hours", "site, hour", None),
    ("visitor_days", "site, day, prev_day", None),
    ("visitor_firsts", "site, first_day, second_day", None),
    ("consent_days", "site, day, action, source, lang, policy_version, granted, denied", None),
    ("policy_versions", "site, hash", None),
    ("audit_log", "id", "id"),
    ("consent_anchors", "site", None),
    ("rollup_contexts", "dim", None),
    ("outbox", "id", "id"),
)
CHUNK: Final = 5000


class CopyError(Exception):
    """The copy cannot start (wrong URLs, a target that already holds data)."""


@dataclass(frozen=True)
class Copied:
    table: str
    rows: int


def copy_database(
    source_url: str, target_url: str, progress: Callable[[Copied], None] = lambda _: None
) -> list[Copied]:
    """Copy every row of the SQLite database ``source_url`` into the migrated, empty
    PostgreSQL database ``target_url``, in one transaction (all or nothing)."""
    check_urls(source_url, target_url)
    path = sqlite_path(source_url)
    source = connect(path, read_only=True)
    target = PgConnection(target_url)
    try:
        _check_versions(source, target)
        done: list[Copied] = []
        target.execute("BEGIN IMMEDIATE")
        try:
            # Opening the empty target already listed its complete context dimensions; the
            # source's list (complete too, since it was opened as well) replaces it.
            target.execute("DELETE FROM rollup_contexts")
            for table, order, identity in TABLES:
                if target.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
                    raise CopyError(
                        f"the target already holds data (table {table}); use an empty database"
                    )
                copied = Copied(table, _copy_table(source, target, table, order))
                if identity is not None:
                    _continue_identity(source, target, table, identity)
                done.append(copied)
                progress(copied)
            target.execute("COMMIT")
        except BaseException:
            target.execute("ROLLBACK")
            raise
        return done
    finally:
        source.close()
        target.close()


def check_urls(source_url: str, target_url: str) -> None:
    if not source_url.startswith("sqlite:///"):
        raise CopyError("--from must be a sqlite:/// URL")
    if not is_postgres(target_url):
        raise CopyError("--to must be a postgresql:// URL")
    if not sqlite_path(source_url).is_file():
        raise CopyError(f"no SQLite database at {sqlite_path(source_url)}")


def _check_versions(source: sqlite3.Connection, target: PgConnection) -> None:
    theirs = source.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    found = target.execute("SELECT MAX(version) FROM schema_version").fetchone()
    ours = None if found is None else found[0]
    if theirs != ours:
        raise CopyError(
            f"schema versions differ (SQLite {theirs}, PostgreSQL {ours}): open the SQLite "
            "database once with this release (gateway serve) so it is migrated, then copy"
        )


def _copy_table(source: sqlite3.Connection, target: PgConnection, table: str, order: str) -> int:
    columns = [str(r[1]) for r in source.execute(f"PRAGMA table_info({table})")]
    floats = {str(r[1]) for r in source.execute(f"PRAGMA table_info({table})") if r[2] == "REAL"}
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    )
    real = [i for i, c in enumerate(columns) if c in floats]
    count = 0
    cursor = source.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
    while rows := cursor.fetchmany(CHUNK):
        if real:  # SQLite may hand back a REAL column's whole value as an int
            rows = [
                tuple(float(v) if i in real and v is not None else v for i, v in enumerate(r))
                for r in rows
            ]
        target.executemany(insert, rows)
        count += len(rows)
    return count


def _continue_identity(
    source: sqlite3.Connection, target: PgConnection, table: str, column: str
) -> None:
    row = source.execute(f"SELECT MAX({column}) FROM {table}").fetchone()
    high = int(row[0] or 0)
    seq = source.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
    if seq is not None:
        high = max(high, int(seq[0]))
    target.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), ?, ?)",
        (max(high, 1), high > 0),
    )
