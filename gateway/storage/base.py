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

from gateway.consent.ledger import ConsentDraft, ConsentRecord
from gateway.reports.source import ReportSource
from gateway.tracking.record import HitRecord

T = TypeVar("T")


@dataclass(frozen=True)
class AddHits:
    hits: tuple[HitRecord, ...]


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

    async def health(self) -> bool: ...
