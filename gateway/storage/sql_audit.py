"""The access audit's SQL: append rows to ``audit_log`` and read them back, newest first.

Plain SQL on a ``Connection`` (the store calls these on its writer thread), kept
portable for other engines. ``ts`` is ISO 8601 UTC text like every other timestamp, so the
``from``/``to`` dates compare as text and retention can delete by ``ts``.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.audit.entry import AccessEntry
from gateway.storage.connection import Connection, rollback


def record(conn: Connection, entries: Sequence[AccessEntry]) -> None:
    """Append ``entries`` in one transaction."""
    if not entries:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO audit_log (ts, site, actor, action, target, status, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(e.ts, e.site, e.actor, e.action, e.target, e.status, e.detail) for e in entries],
        )
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def read(
    conn: Connection,
    site: str | None,
    date_from: str | None,
    date_to: str | None,
    limit: int,
) -> list[AccessEntry]:
    """Rows of ``site`` (every site and the site-less rows when None) whose day is within
    ``date_from``..``date_to`` (inclusive ``YYYY-MM-DD``, either open), newest first."""
    query = "SELECT id, ts, site, actor, action, target, status, detail FROM audit_log WHERE 1=1"
    args: list[object] = []
    if site is not None:
        query += " AND site = ?"
        args.append(site)
    if date_from:
        query += " AND ts >= ?"
        args.append(date_from)
    if date_to:
        query += " AND ts < ?"
        args.append(date_to + "T99")  # every time on date_to sorts below "T99"
    query += " ORDER BY ts DESC, id DESC LIMIT ?"
    args.append(limit)
    return [
        AccessEntry(
            id=int(row[0]),
            ts=str(row[1]),
            site=None if row[2] is None else str(row[2]),
            actor=str(row[3]),
            action=str(row[4]),
            target=None if row[5] is None else str(row[5]),
            status=int(row[6]),
            detail=None if row[7] is None else str(row[7]),
        )
        for row in conn.execute(query, args)
    ]
