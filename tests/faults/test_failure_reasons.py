"""Which write failures mean "the database refuses writes" (503 for the whole batch, one log
line per outage) and which belong to one operation (its neighbours are retried alone)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.storage.writer import storage_failure, waited_for_lock


class PostgresError(Exception):
    """Shaped like asyncpg's errors: the SQLSTATE on the exception."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def locked(tmp_path: Path) -> BaseException:
    """A real SQLITE_BUSY: another connection holds the write lock."""
    holder = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    waiter = sqlite3.connect(tmp_path / "l.db", isolation_level=None, timeout=0)
    try:
        waiter.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        waiter.close()
        holder.close()
    raise AssertionError("the lock was not held")


def duplicate(tmp_path: Path) -> BaseException:
    conn = sqlite3.connect(tmp_path / "d.db")
    conn.execute("CREATE TABLE t (x UNIQUE)")
    conn.execute("INSERT INTO t VALUES (1)")
    try:
        conn.execute("INSERT INTO t VALUES (1)")
    except sqlite3.IntegrityError as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("no constraint failed")


def rollback_after_full(tmp_path: Path) -> BaseException:
    """What the store raises when COMMIT failed for space: SQLite has rolled back already, so
    the ROLLBACK that follows fails too, with the real reason as its context."""
    try:
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError:
            raise sqlite3.OperationalError("cannot rollback - no transaction is active")  # noqa: B904
    except sqlite3.OperationalError as exc:
        return exc


def just(exc: BaseException) -> Callable[[Path], BaseException]:
    return lambda tmp_path: exc


CASES = [
    # (name, the failure, the reason or None, waited for a lock)
    ("lock held past the busy timeout", locked, "database is locked", True),
    ("constraint of one operation", duplicate, None, False),
    (
        "full disk hidden by the failed ROLLBACK",
        rollback_after_full,
        "database or disk is full",
        False,
    ),
    ("I/O error", just(sqlite3.OperationalError("disk I/O error")), "disk I/O error", False),
    (
        "not a database",
        just(sqlite3.DatabaseError("file is not a database")),
        "file is not a database",
        False,
    ),
    ("value that cannot be bound", just(sqlite3.ProgrammingError("bad binding")), None, False),
    (
        "out of space from the OS",
        just(OSError(28, "No space left on device")),
        "[Errno 28] No space left on device",
        False,
    ),
    ("connection lost", just(ConnectionResetError("reset")), "reset", False),
    ("a bug", just(ValueError("bad")), None, False),
    (
        "PostgreSQL disk full",
        just(PostgresError("53100", "could not extend file")),
        "could not extend file",
        False,
    ),
    (
        "PostgreSQL shutting down",
        just(PostgresError("57P01", "terminating connection")),
        "terminating connection",
        False,
    ),
    ("PostgreSQL lock timeout", just(PostgresError("55P03", "lock timeout")), "lock timeout", True),
    ("PostgreSQL unique violation", just(PostgresError("23505", "duplicate key")), None, False),
]


@pytest.mark.parametrize(("name", "make", "reason", "lock"), CASES, ids=[c[0] for c in CASES])
def test_failure_reason(
    tmp_path: Path,
    name: str,
    make: Callable[[Path], BaseException],
    reason: str | None,
    lock: bool,
) -> None:
    exc = make(tmp_path)
    assert storage_failure(exc) == reason
    assert waited_for_lock(exc) is lock
