"""The SQL behind a visitor's own-data requests (``/privacy/{site}/my-data``) on SQLite.

Plain functions on a ``Connection``; the store runs them inside one transaction (a read
snapshot, or the writer's ``BEGIN IMMEDIATE`` for an erasure). The visitor is the chain of
consent records linked to their token's record (see ``gateway.storage.own_data``); their hits are
the hits stored under those consent ids.

Erasure removes the hits through ``VisitMaintainer.forget`` for every visitor id those hits
carry (hits, visits and every report rollup together), then the hits stored under the consent
ids without a visitor id: each of those formed a visit of its own, which is subtracted from the
rollups exactly as ``rollups.add_lone_visit`` added it. The consent records keep their place in
the hash chain; their IP, user agent and salt are cleared (``pii_digest`` stays, so the chain
still verifies while nothing leads back to the person).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from gateway.reports import rollups
from gateway.reports.rollups import Delta
from gateway.storage.connection import Connection, in_chunks
from gateway.storage.sql_visits import (
    VISIT_COLUMNS,
    VisitMaintainer,
    visit_from_row,
    write_delta,
)
from gateway.tracking.record import HIT_COLUMNS

MAX_CHAIN: Final = 10_000  # records one token may reach (a chain is one browser's choices)


def linked_consent_ids(conn: Connection, site: str, consent_id: str) -> list[str]:
    """``consent_id`` and every record of ``site`` linked to it through ``supersedes``, either
    way; empty when ``site`` has no such record."""
    row = conn.execute(
        "SELECT supersedes FROM consents WHERE site = ? AND consent_id = ?", (site, consent_id)
    ).fetchone()
    if row is None:
        return []
    ids = {consent_id}
    frontier = {consent_id}
    while frontier and len(ids) < MAX_CHAIN:
        found: set[str] = set()
        for marks, part in in_chunks(sorted(frontier)):
            for newer, older in conn.execute(
                "SELECT consent_id, supersedes FROM consents WHERE site = ? AND "
                f"(consent_id IN ({marks}) OR supersedes IN ({marks}))",
                (site, *part, *part),
            ):
                found.add(str(newer))
                if older is not None:
                    found.add(str(older))
        frontier = found - ids
        ids |= found
    return sorted(ids)


def consent_rows(
    conn: Connection, site: str, consent_ids: Sequence[str], columns: str
) -> list[tuple[object, ...]]:
    """The ledger rows of ``consent_ids`` (``columns`` as the store reads them), oldest first."""
    found: list[tuple[object, ...]] = []
    for marks, part in in_chunks(consent_ids):
        found.extend(
            tuple(row)
            for row in conn.execute(
                f"SELECT seq, {columns} FROM consents WHERE site = ? AND consent_id IN ({marks})",
                (site, *part),
            )
        )
    return [row[1:] for row in sorted(found, key=lambda r: int(str(r[0])))]


def hits_of(conn: Connection, site: str, consent_ids: Sequence[str]) -> list[dict[str, object]]:
    """Every hit stored under one of ``consent_ids`` (all ``HIT_COLUMNS``), oldest first."""
    found: list[tuple[int, dict[str, object]]] = []
    for marks, part in in_chunks(consent_ids):
        for row in conn.execute(
            f"SELECT id, {', '.join(HIT_COLUMNS)} FROM hits "
            f"WHERE site = ? AND consent_id IN ({marks})",
            (site, *part),
        ):
            item = dict(zip(HIT_COLUMNS, row[1:], strict=True))
            item["new_visit"] = bool(item["new_visit"])
            found.append((int(row[0]), item))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


def erase(
    conn: Connection, visits: VisitMaintainer, site: str, consent_ids: Sequence[str]
) -> tuple[int, int]:
    """Erase the analytics data of the visitor behind ``consent_ids`` and pseudonymise those
    consent records; return (hits erased, records pseudonymised). Inside the caller's
    transaction."""
    visitor_ids: set[str] = set()
    for marks, part in in_chunks(consent_ids):
        visitor_ids.update(
            str(row[0])
            for row in conn.execute(
                f"SELECT DISTINCT visitor_id FROM hits WHERE site = ? AND consent_id IN ({marks}) "
                "AND visitor_id IS NOT NULL",
                (site, *part),
            )
        )
    erased = sum(visits.forget(conn, site, visitor) for visitor in sorted(visitor_ids))
    erased += _forget_lone_hits(conn, visits, site, consent_ids)
    return erased, pseudonymise(conn, site, consent_ids)


def _forget_lone_hits(
    conn: Connection, visits: VisitMaintainer, site: str, consent_ids: Sequence[str]
) -> int:
    """Delete the hits under ``consent_ids`` that carry no visitor id, with their visits and
    everything those visits added to the rollups."""
    intern = visits.dictionary.bind(conn)
    delta = Delta()
    erased = 0
    for marks, part in in_chunks(consent_ids):
        lone = f"site = ? AND consent_id IN ({marks}) AND visitor_id IS NULL"
        visit_ids = [
            int(row[0])
            for row in conn.execute(
                f"SELECT DISTINCT visit_id FROM hits WHERE {lone} AND visit_id IS NOT NULL",
                (site, *part),
            )
        ]
        for visit_id in visit_ids:
            row = conn.execute(
                f"SELECT {', '.join(VISIT_COLUMNS)} FROM visits "
                "WHERE id = ? AND site = ? AND visitor IS NULL",
                (visit_id, site),
            ).fetchone()
            if row is None:
                continue
            visit = visit_from_row(row)
            delta.change(rollups.visit_rows([visit], intern), {})
            delta.visitors(rollups.visitor_day_rows([visit], intern), set())
            rollups.add_span(delta, site, [visit.day], rollups.NO_PREVIOUS, -1)
            rollups.add_firsts(delta, site, visit.day, None, -1)
            conn.execute("DELETE FROM visits WHERE id = ?", (visit_id,))
        erased += conn.execute(f"DELETE FROM hits WHERE {lone}", (site, *part)).rowcount
    write_delta(conn, delta)
    return erased


def pseudonymise(conn: Connection, site: str, consent_ids: Sequence[str]) -> int:
    """Clear IP, user agent and salt of these ledger records; return how many had any."""
    changed = 0
    for marks, part in in_chunks(consent_ids):
        changed += conn.execute(
            "UPDATE consents SET ip = NULL, ua_family = NULL, pii_salt = NULL "
            f"WHERE site = ? AND consent_id IN ({marks}) "
            "AND (ip IS NOT NULL OR ua_family IS NOT NULL OR pii_salt IS NOT NULL)",
            (site, *part),
        ).rowcount
    return changed
