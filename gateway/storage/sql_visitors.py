"""The SQL behind the site owner's GDPR tools: find a person's data, and erase it.

Plain functions on a ``Connection``; the store runs them on its writer thread inside
one transaction. Erasure itself is ``VisitMaintainer.forget`` (hits, visits and every report
rollup together); what is added here is finding the visitor ids of a user id, reading what is
stored, and the consent records linked to the hits, which an erasure pseudonymises with
``sql_mydata.pseudonymise`` (IP, user agent and salt cleared, ``pii_digest`` kept, so the
ledger's hash chain still verifies while nothing leads from the record back to the person).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from gateway.storage import sql_mydata
from gateway.storage.connection import Connection, in_chunks
from gateway.timefmt import iso
from gateway.tracking.record import HIT_COLUMNS

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
VISIT_COLUMNS: Final = (
    "id",
    "visitor",
    "day",
    "start_us",
    "end_us",
    "hits",
    "actions",
    "pageviews",
    "bounce",
    "duration",
    "is_returning",
    "entry_page",
    "exit_page",
    "referrer_type",
    "referrer_name",
    "country",
    "browser",
    "os",
    "device",
    "resolution",
    "language",
)


def visitor_ids_for_users(conn: Connection, site: str, user_pseudonyms: Sequence[str]) -> list[str]:
    """Every visitor id whose hits carry one of these user-id pseudonyms."""
    found: set[str] = set()
    for marks, part in in_chunks(list(user_pseudonyms)):
        found.update(
            str(row[0])
            for row in conn.execute(
                f"SELECT DISTINCT visitor_id FROM hits WHERE site = ? AND user_id IN ({marks}) "
                "AND visitor_id IS NOT NULL",
                (site, *part),
            )
        )
    return sorted(found)


def hits_of(conn: Connection, site: str, visitor_ids: Sequence[str]) -> list[dict[str, object]]:
    """The visitors' stored hits, oldest first: exactly what ``forget`` erases."""
    found: list[tuple[int, dict[str, object]]] = []
    for marks, part in in_chunks(list(visitor_ids)):
        for row in conn.execute(
            f"SELECT id, {', '.join(HIT_COLUMNS)} FROM hits WHERE site = ? AND mode = 'consented' "
            f"AND visitor_id IN ({marks})",
            (site, *part),
        ):
            item = dict(zip(HIT_COLUMNS, row[1:], strict=True))
            item["new_visit"] = bool(item["new_visit"])
            found.append((int(row[0]), item))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


def _moment(us: object) -> str | None:
    if not isinstance(us, int):
        return None
    return iso(_EPOCH + timedelta(microseconds=us))


def visits_of(conn: Connection, site: str, visitor_ids: Sequence[str]) -> list[dict[str, object]]:
    """The visits the hits form, oldest first; times as ISO text, booleans as booleans."""
    found: list[tuple[int, int, dict[str, object]]] = []
    for marks, part in in_chunks(list(visitor_ids)):
        for row in conn.execute(
            f"SELECT {', '.join(VISIT_COLUMNS)} FROM visits WHERE site = ? "
            f"AND visitor IN ({marks})",
            (site, *part),
        ):
            visit = dict(zip(VISIT_COLUMNS, row, strict=True))
            start_us = visit.pop("start_us")
            visit["first_action"] = _moment(start_us)
            visit["last_action"] = _moment(visit.pop("end_us"))
            visit["duration_s"] = visit.pop("duration")
            visit["bounce"] = bool(visit["bounce"])
            visit["is_returning"] = bool(visit["is_returning"])
            found.append((int(str(start_us)), int(str(visit["id"])), visit))
    return [visit for _, _, visit in sorted(found, key=lambda t: (t[0], t[1]))]


def linked_consent_ids(conn: Connection, site: str, visitor_ids: Sequence[str]) -> list[str]:
    """Consent ids the visitors' hits were stored under, and every record linked to those
    through ``supersedes`` in either direction (the same browser's earlier and later choices),
    found as a visitor's own-data request finds them."""
    stored: set[str] = set()
    for marks, part in in_chunks(list(visitor_ids)):
        stored.update(
            str(row[0])
            for row in conn.execute(
                f"SELECT DISTINCT consent_id FROM hits WHERE site = ? AND visitor_id IN ({marks}) "
                "AND consent_id IS NOT NULL",
                (site, *part),
            )
        )
    linked: set[str] = set()
    for consent_id in sorted(stored):
        if consent_id not in linked:
            linked.update(sql_mydata.linked_consent_ids(conn, site, consent_id))
    return sorted(linked)


# The ledger side is the same as for a visitor's own request: read the records, and clear
# their personal fields on erasure.
consent_rows = sql_mydata.consent_rows
pseudonymise_consents = sql_mydata.pseudonymise
