"""SQL of the forwarding outbox (see ``gateway.forwarding``). Plain functions on a connection.

The caller owns the transaction: ``enqueue`` runs inside the hits' write batch, the others in
their own short ``BEGIN IMMEDIATE`` on the writer thread, so several gateway processes on one
database never claim the same row at the same time (a claim is a lease: the row's
``next_attempt_at`` moves past the post's time limit). ``parked``, ``release`` and ``drop``
serve ``gateway outbox``: an operator's look at refused rows and what to do with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from gateway.forwarding.outbox import Backlog, OutboxEntry, OutboxRow, ParkedRow
from gateway.storage.connection import Connection

ERROR_MAX = 500

_CLAIM = """
SELECT o.id, o.site, o.visitor, o.attempts, o.params FROM outbox o
WHERE o.parked = 0 AND o.next_attempt_at <= ?
  AND (o.visitor IS NULL OR NOT EXISTS (
      SELECT 1 FROM outbox e
      WHERE e.site = o.site AND e.visitor = o.visitor AND e.id < o.id
        AND e.parked = 0 AND e.next_attempt_at > ?))
ORDER BY o.id
LIMIT ?
"""


def enqueue(conn: Connection, entries: Sequence[OutboxEntry]) -> None:
    conn.executemany(
        "INSERT INTO outbox (site, visitor, consent_id, created, params) VALUES (?, ?, ?, ?, ?)",
        [(e.site, e.visitor, e.consent_id, e.created, e.query) for e in entries],
    )


def claim(conn: Connection, limit: int, now: float, lease_until: float) -> list[OutboxRow]:
    """Due rows in id order, skipping rows of a visitor whose earlier row is still waiting (for
    a retry or on another post), and lease them until ``lease_until``."""
    found = conn.execute(_CLAIM, (now, now, limit)).fetchall()
    rows = [
        OutboxRow(int(r[0]), str(r[1]), None if r[2] is None else str(r[2]), int(r[3]), str(r[4]))
        for r in found
    ]
    conn.executemany(
        "UPDATE outbox SET next_attempt_at = ? WHERE id = ?",
        [(lease_until, row.id) for row in rows],
    )
    return rows


def delete(conn: Connection, ids: Sequence[int]) -> None:
    conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])


def retry(conn: Connection, ids: Sequence[int], when: float, error: str) -> None:
    conn.executemany(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
        "WHERE id = ?",
        [(when, error[:ERROR_MAX], i) for i in ids],
    )


def park(conn: Connection, ids: Sequence[int], error: str) -> None:
    conn.executemany(
        "UPDATE outbox SET attempts = attempts + 1, parked = 1, last_error = ? WHERE id = ?",
        [(error[:ERROR_MAX], i) for i in ids],
    )


def backlog(conn: Connection, now: datetime) -> Backlog:
    pending, oldest = conn.execute(
        "SELECT COUNT(*), MIN(created) FROM outbox WHERE parked = 0"
    ).fetchone()
    (parked,) = conn.execute("SELECT COUNT(*) FROM outbox WHERE parked = 1").fetchone()
    age = 0.0
    if oldest:
        created = datetime.strptime(str(oldest), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        age = max(0.0, (now - created).total_seconds())
    return Backlog(int(pending), int(parked), age)


def forget_consents(conn: Connection, site: str, consent_ids: Sequence[str]) -> None:
    """Drop what is still waiting to be forwarded of hits stored under ``consent_ids``."""
    conn.executemany(
        "DELETE FROM outbox WHERE site = ? AND consent_id = ?", [(site, c) for c in consent_ids]
    )


def forget(conn: Connection, site: str, visitor_ids: Sequence[str]) -> None:
    """Drop what is still waiting to be forwarded for erased visitors."""
    conn.executemany(
        "DELETE FROM outbox WHERE site = ? AND visitor = ?", [(site, v) for v in visitor_ids]
    )


def parked(conn: Connection, limit: int) -> list[ParkedRow]:
    """The oldest ``limit`` parked rows, without their queries (the visitor's data)."""
    found = conn.execute(
        "SELECT id, site, created, attempts, last_error FROM outbox WHERE parked = 1 "
        "ORDER BY id LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        ParkedRow(int(r[0]), str(r[1]), str(r[2]), int(r[3]), None if r[4] is None else str(r[4]))
        for r in found
    ]


def release(conn: Connection, ids: Sequence[int] | None) -> int:
    """Make parked rows (all when ``ids`` is None) due now, keeping their attempts; how many.

    Ids of rows that are not parked are left alone: a pending row keeps its place and its
    retry time."""
    sql = "UPDATE outbox SET parked = 0, next_attempt_at = 0 WHERE parked = 1"
    return _each(conn, sql, ids)


def drop(conn: Connection, ids: Sequence[int] | None) -> int:
    """Delete parked rows (all when ``ids`` is None) for good; how many. Only parked rows."""
    return _each(conn, "DELETE FROM outbox WHERE parked = 1", ids)


def _each(conn: Connection, sql: str, ids: Sequence[int] | None) -> int:
    """``sql`` on every row it matches, or on each of ``ids``; the rows changed. One statement
    per id: a cursor's ``rowcount`` after ``executemany`` is not the rows changed everywhere."""
    if ids is None:
        return max(0, conn.execute(sql).rowcount)
    return sum(max(0, conn.execute(sql + " AND id = ?", (i,)).rowcount) for i in sorted(set(ids)))
