"""What the outbox holds: a hit's forwarding request, queued in the hit's own transaction.

An ``OutboxEntry`` is written together with the hit it comes from (see ``AddHits.forwards``),
so a tracking request answered 2xx has both its hit and its forwarding durable. The forwarder
later claims ``OutboxRow``s, posts them upstream and deletes them once Matomo has them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutboxEntry:
    """One request to forward: ``query`` is the Matomo query string (without ``?``).

    ``visitor`` orders delivery: rows of one visitor go out in the order they were written.
    None means the hit has no visitor id, so nothing needs to come before it.
    """

    site: str
    visitor: str | None
    created: str
    query: str
    # The consent the hit was stored under: a visitor's own erasure finds queued rows by it.
    consent_id: str | None = None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    site: str
    visitor: str | None
    attempts: int
    query: str


@dataclass(frozen=True)
class Backlog:
    """Rows waiting to be delivered (``pending``), rows Matomo refused (``parked``) and the
    age in seconds of the oldest pending row (0 when none)."""

    pending: int
    parked: int
    oldest_age: float


@dataclass(frozen=True)
class ParkedRow:
    """A row upstream refused, as an operator sees it: never its query, which holds the
    visitor's data (URL, user agent, IP)."""

    id: int
    site: str
    created: str
    attempts: int
    last_error: str | None
