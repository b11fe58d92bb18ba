"""What the gateway needs from a database, whatever the engine.

Writes go through ``write_batch``: a list of operations committed in ONE transaction (the group
commit writer builds the batches); the engine assigns the hits to visits and updates the report
rollups inside that same transaction. Reads are separate calls that never block the writer;
``read_reports`` runs a whole report against one consistent snapshot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from gateway.audit.entry import AccessEntry
from gateway.consent.ledger import Anchor, ConsentDraft, ConsentRecord
from gateway.forwarding.outbox import Backlog, OutboxEntry, OutboxRow, ParkedRow
from gateway.reports.source import ReportSource
from gateway.retention.cutoffs import Kind
from gateway.retention.result import Removed
from gateway.storage.own_data import OwnData, OwnErasure
from gateway.storage.visitor_data import Erasure, VisitorData
from gateway.tracking.record import HitRecord

T = TypeVar("T")


@dataclass(frozen=True)
class AddHits:
    hits: tuple[HitRecord, ...]
    # Upstream requests to queue in the same transaction (gateway.forwarding).
    forwards: tuple[OutboxEntry, ...] = ()


@dataclass(frozen=True)
class AppendConsent:
    draft: ConsentDraft


WriteOp = AddHits | AppendConsent
WriteResult = int | ConsentRecord  # hits written, or the sealed consent record


@dataclass(frozen=True)
class Revocation:
    """A consent id a later record superseded (changed or withdrawn); ``cursor`` orders them."""

    cursor: int
    consent_id: str


@dataclass(frozen=True)
class PolicyVersion:
    """A policy file as served: ``hash`` is the SHA-256 of ``snapshot`` (the file's text)."""

    site: str
    hash: str
    version: str
    first_served: str
    snapshot: str


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def write_batch(self, ops: Sequence[WriteOp]) -> list[WriteResult]: ...

    async def revocations_since(self, cursor: int) -> list[Revocation]: ...

    async def consent_records(self, site: str) -> list[ConsentRecord]: ...

    async def consent_record(self, consent_id: str) -> ConsentRecord | None: ...

    def hits(
        self, site: str, *, date_from: str | None = None, date_to: str | None = None
    ) -> AsyncIterator[dict[str, object]]: ...

    async def read_reports(self, fn: Callable[[ReportSource], T]) -> T: ...

    async def forget_visitor(self, site: str, visitor_id: str) -> int:
        """Erase a visitor's hits, visits and their share of every report; hits erased."""
        ...

    async def visitor_ids_for_users(self, site: str, user_pseudonyms: Sequence[str]) -> list[str]:
        """Visitor ids whose hits carry any of these user-id pseudonyms."""
        ...

    async def visitor_data(self, site: str, visitor_ids: Sequence[str]) -> VisitorData:
        """The visitors' hits, visits and linked consent records, from one snapshot."""
        ...

    async def erase_visitors(self, site: str, visitor_ids: Sequence[str]) -> Erasure:
        """``forget_visitor`` for every id and pseudonymise the consent records linked to
        their hits, in one transaction."""
        ...

    async def record_access(self, entries: Sequence[AccessEntry]) -> None:
        """Append rows to the access audit log."""
        ...

    async def access_log(
        self, site: str | None, date_from: str | None, date_to: str | None, limit: int
    ) -> list[AccessEntry]:
        """Audit rows of one site (all when None), dates inclusive, newest first."""
        ...

    async def record_policy_versions(self, versions: Sequence[PolicyVersion]) -> int:
        """Keep each policy version not kept yet (by site and hash); return how many were new."""
        ...

    async def policy_versions(self, site: str) -> list[PolicyVersion]:
        """Every version kept for ``site``, newest first."""
        ...

    async def policy_version(self, site: str, hash: str) -> PolicyVersion | None: ...

    async def retention_sites(self) -> dict[Kind, list[str | None]]:
        """Per kind of retained data, the sites that have rows (None: audit without a site)."""
        ...

    async def purge(
        self, kind: Kind, site: str | None, before: str, *, now: str, dry_run: bool = False
    ) -> Removed:
        """Remove ``kind`` rows of ``site`` stored before ``before`` in short transactions;
        rollups stay. Consent records go only as a verified, no longer current chain prefix.
        ``dry_run`` counts what would go and removes nothing."""
        ...

    async def consent_anchor(self, site: str) -> Anchor | None:
        """Where the site's consent chain starts once retention purged its oldest records."""
        ...

    async def own_data(self, site: str, consent_id: str) -> OwnData | None:
        """A visitor's consent chain (from one of its records) and the hits stored under it,
        from one snapshot; None when ``site`` has no record ``consent_id``."""
        ...

    async def erase_own_data(
        self, site: str, consent_id: str, withdrawal: ConsentDraft
    ) -> OwnErasure | None:
        """In one transaction: erase the hits of the chain of ``consent_id`` (``forget_visitor``
        for their visitor ids, then the hits without one), pseudonymise the chain's records,
        and append ``withdrawal`` superseding the chain's latest record unless that one is a
        withdrawal already (``own_data.withdrawal_after``). None for an unknown record."""
        ...

    async def outbox_claim(self, limit: int, now: float, lease_until: float) -> list[OutboxRow]:
        """Up to ``limit`` due outbox rows in id order, none of them behind an earlier row of
        the same visitor still waiting; leased (not due again) until ``lease_until``."""
        ...

    async def outbox_delivered(self, ids: Sequence[int]) -> None:
        """Delete rows upstream has accepted."""
        ...

    async def outbox_retry(self, ids: Sequence[int], when: float, error: str) -> None:
        """Count a failed attempt and make the rows due again at ``when`` (unix seconds)."""
        ...

    async def outbox_park(self, ids: Sequence[int], error: str) -> None:
        """Keep rows upstream refused, out of the delivery order, with the reason."""
        ...

    async def outbox_backlog(self) -> Backlog: ...

    async def outbox_parked(self, limit: int) -> list[ParkedRow]:
        """The oldest ``limit`` parked rows, without their queries (``gateway outbox``)."""
        ...

    async def outbox_release(self, ids: Sequence[int] | None) -> int:
        """Make parked rows (all when ``ids`` is None) due now, attempts kept; how many."""
        ...

    async def outbox_drop(self, ids: Sequence[int] | None) -> int:
        """Delete parked rows (all when ``ids`` is None); how many."""
        ...

    async def health(self) -> bool: ...

    async def schema_version(self) -> int:
        """How far the database's schema has been migrated (0 for an empty database)."""
        ...
