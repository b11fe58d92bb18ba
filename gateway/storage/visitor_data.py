"""What the site owner's GDPR tools read and erase for one person, whatever the engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.consent.ledger import ConsentRecord


@dataclass(frozen=True)
class VisitorData:
    """The visitors' hits (``HIT_COLUMNS``), the visits they form, and the consent records
    linked to their hits, read from one snapshot."""

    visitor_ids: Sequence[str]
    hits: list[dict[str, object]]
    visits: list[dict[str, object]]
    consents: list[ConsentRecord]

    @property
    def empty(self) -> bool:
        return not self.hits and not self.visits and not self.consents


@dataclass(frozen=True)
class Erasure:
    """What one erasure removed: hits (with their visits and rollups) and pseudonymised
    consent records."""

    visitor_ids: Sequence[str]
    hits: int
    consents_pseudonymised: int
