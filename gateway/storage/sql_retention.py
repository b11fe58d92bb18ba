"""Retention on SQLite: purge raw hits, visits, consent records and audit entries in chunks.

Every ``*_chunk`` function runs inside the caller's ``BEGIN IMMEDIATE`` transaction on the writer
thread and removes at most about ``limit`` rows, so a large purge is many short transactions
and ingest waits at most one chunk. Calling a chunk function again after a crash, or from
another instance at the same time, is harmless: each one decides from what is stored now.

Report rollups are never subtracted here: aggregates outlive raw data. How a visitor's history
is cut so that later ingest keeps the rollups exact is decided in ``gateway.retention.visits``.
The SQL is plain (no SQLite-only syntax) so another engine can share it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from gateway.consent.ledger import Anchor, ConsentRecord
from gateway.reports.rollups import Delta
from gateway.retention.cutoffs import KINDS, Kind
from gateway.retention.ledger import Prefix, purgeable_prefix
from gateway.retention.visits import VisitSpan, split_history
from gateway.storage.connection import Connection
from gateway.storage.sql_visits import write_delta

CHUNK: Final = 5000

RowToRecord = Callable[[Sequence[object]], ConsentRecord]


# -- what is stored --------------------------------------------------------------------------


def _distinct_sites(conn: Connection, table: str) -> list[str]:
    """Distinct non-null sites of ``table`` by skipping along its (site, ...) index."""
    found: list[str] = []
    row = conn.execute(f"SELECT MIN(site) FROM {table}").fetchone()
    while row is not None and row[0] is not None:
        found.append(str(row[0]))
        row = conn.execute(f"SELECT MIN(site) FROM {table} WHERE site > ?", (row[0],)).fetchone()
    return found


def stored_sites(conn: Connection) -> dict[Kind, list[str | None]]:
    """Per kind, the sites with rows in the database (None: audit entries without a site)."""
    hits = sorted(set(_distinct_sites(conn, "hits")) | set(_distinct_sites(conn, "visits")))
    audit: list[str | None] = list(_distinct_sites(conn, "audit_log"))
    if conn.execute("SELECT 1 FROM audit_log WHERE site IS NULL LIMIT 1").fetchone():
        audit.append(None)
    found: dict[Kind, list[str | None]] = {
        "hits": list(hits),
        "consents": list(_distinct_sites(conn, "consents")),
        "audit": audit,
    }
    assert set(found) == set(KINDS)
    return found


# -- hits and visits -------------------------------------------------------------------------

_OLD_VISITS: Final = "FROM visits WHERE site = ? AND day < ? AND end_us < ?"


def count_hits(conn: Connection, site: str, before: str, before_us: int) -> dict[str, int]:
    """What ``purge_hits_chunk`` would remove in all: hits and visits."""
    hits = conn.execute("SELECT COUNT(*) FROM hits WHERE site = ? AND ts < ?", (site, before))
    visits = conn.execute(f"SELECT COUNT(*) {_OLD_VISITS}", (site, before[:10], before_us))
    return {"hits": int(hits.fetchone()[0]), "visits": int(visits.fetchone()[0])}


def purge_hits_chunk(
    conn: Connection, site: str, before: str, before_us: int, limit: int = CHUNK
) -> tuple[dict[str, int], bool]:
    """Delete up to ``limit`` hits stored before ``before`` and the visits that ended before
    it (with every other such visit of the same visitors); return the counts and whether more
    may be left. Rollups stay; split visitors are rebased (``gateway.retention.visits``)."""
    picked = conn.execute(
        f"SELECT id, visitor {_OLD_VISITS} LIMIT ?", (site, before[:10], before_us, limit)
    ).fetchall()
    doomed = [int(visit_id) for visit_id, visitor in picked if visitor is None]
    first_kept: list[int] = []
    delta = Delta()
    for visitor in sorted({str(v) for _, v in picked if v is not None}):
        spans = [
            VisitSpan(int(r[0]), str(r[1]), (int(r[2]), int(r[3])), int(r[4]))
            for r in conn.execute(
                "SELECT id, day, start_us, start_hit, end_us FROM visits "
                "WHERE site = ? AND visitor = ?",
                (site, visitor),
            )
        ]
        split = split_history(spans, before_us)
        doomed.extend(split.purged)
        if split.first_kept is not None:
            first_kept.append(split.first_kept)
        for day, prev, change in split.span:
            key = (site, day, prev)
            delta.span[key] = delta.span.get(key, 0) + change
        for first, second, change in split.firsts:
            key = (site, first, second)
            delta.firsts[key] = delta.firsts.get(key, 0) + change
    conn.executemany("DELETE FROM visits WHERE id = ?", [(i,) for i in doomed])
    conn.executemany("UPDATE visits SET is_returning = 0 WHERE id = ?", [(i,) for i in first_kept])
    write_delta(conn, delta)
    hits = conn.execute(
        "DELETE FROM hits WHERE id IN (SELECT id FROM hits WHERE site = ? AND ts < ? LIMIT ?)",
        (site, before, limit),
    ).rowcount
    more = len(picked) == limit or hits == limit
    return {"hits": int(hits), "visits": len(doomed)}, more


# -- consent records -------------------------------------------------------------------------


def consent_anchor(conn: Connection, site: str) -> Anchor | None:
    row = conn.execute(
        "SELECT site_seq, hash FROM consent_anchors WHERE site = ?", (site,)
    ).fetchone()
    return None if row is None else Anchor(int(row[0]), str(row[1]))


def _consent_prefix(
    conn: Connection,
    site: str,
    anchor: Anchor | None,
    before: str,
    now: str,
    limit: int,
    columns: str,
    to_record: RowToRecord,
) -> tuple[list[ConsentRecord], Prefix]:
    rows = conn.execute(
        f"SELECT {columns} FROM consents WHERE site = ? AND site_seq > ? ORDER BY site_seq LIMIT ?",
        (site, anchor.site_seq if anchor else 0, limit),
    ).fetchall()
    records = [to_record(row) for row in rows]
    candidates = [
        r.consent_id for r in records if r.ts < before and r.expires_at and r.expires_at > now
    ]
    superseded: set[str] = set()
    for i in range(0, len(candidates), 500):
        part = candidates[i : i + 500]
        superseded.update(
            str(row[0])
            for row in conn.execute(
                "SELECT supersedes FROM consents WHERE supersedes IN "
                f"({', '.join('?' for _ in part)})",
                part,
            )
        )
    prefix = purgeable_prefix(records, anchor=anchor, before=before, now=now, superseded=superseded)
    return records, prefix


def count_consents(
    conn: Connection,
    site: str,
    before: str,
    now: str,
    columns: str,
    to_record: RowToRecord,
    limit: int = CHUNK,
) -> tuple[dict[str, int], str]:
    """What purging would remove (records) and why it would stop early ("" if it would not)."""
    anchor = consent_anchor(conn, site)
    total = 0
    while True:
        records, prefix = _consent_prefix(
            conn, site, anchor, before, now, limit, columns, to_record
        )
        total += prefix.count
        if prefix.count < len(records) or len(records) < limit:
            return {"records": total}, prefix.stop
        last = records[prefix.count - 1]
        anchor = Anchor(last.site_seq, last.hash)


def purge_consents_chunk(
    conn: Connection,
    site: str,
    before: str,
    now: str,
    columns: str,
    to_record: RowToRecord,
    limit: int = CHUNK,
) -> tuple[dict[str, int], bool, str]:
    """Delete the oldest purgeable records of ``site`` (at most ``limit``) and move the anchor
    to the last one deleted; return the count, whether more may be left, and why it stopped."""
    anchor = consent_anchor(conn, site)
    records, prefix = _consent_prefix(conn, site, anchor, before, now, limit, columns, to_record)
    if prefix.count:
        last = records[prefix.count - 1]
        conn.execute("DELETE FROM consents WHERE site = ? AND site_seq <= ?", (site, last.site_seq))
        conn.execute("DELETE FROM consent_anchors WHERE site = ?", (site,))
        conn.execute(
            "INSERT INTO consent_anchors (site, site_seq, hash, purged_at) VALUES (?, ?, ?, ?)",
            (site, last.site_seq, last.hash, now),
        )
    more = prefix.count == len(records) == limit
    return {"records": prefix.count}, more, prefix.stop


# -- access audit ----------------------------------------------------------------------------


def _audit_where(site: str | None) -> tuple[str, tuple[object, ...]]:
    if site is None:
        return "site IS NULL AND ts < ?", ()
    return "site = ? AND ts < ?", (site,)


def count_audit(conn: Connection, site: str | None, before: str) -> dict[str, int]:
    where, args = _audit_where(site)
    row = conn.execute(f"SELECT COUNT(*) FROM audit_log WHERE {where}", (*args, before))
    return {"entries": int(row.fetchone()[0])}


def purge_audit_chunk(
    conn: Connection, site: str | None, before: str, limit: int = CHUNK
) -> tuple[dict[str, int], bool]:
    where, args = _audit_where(site)
    deleted = conn.execute(
        f"DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE {where} LIMIT ?)",
        (*args, before, limit),
    ).rowcount
    return {"entries": int(deleted)}, deleted == limit
