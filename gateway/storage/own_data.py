"""What a visitor's own-data requests read and change, whatever the database engine.

A visitor is known only by a consent token. Its consent record leads to the visitor's other
records through ``supersedes`` (a changed choice or a withdrawal points at the record it
replaced), in both directions, so the token of an old, superseded record still finds the whole
chain. The hits carrying one of those consent ids are the visitor's; only they name the visitor
ids an erasure covers, so no token can claim somebody else's visitor id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gateway.consent.ledger import ConsentDraft, ConsentRecord


@dataclass(frozen=True)
class OwnData:
    """A visitor's consent records (``site_seq`` order) and the hits they carry (oldest first)."""

    records: tuple[ConsentRecord, ...]
    hits: tuple[dict[str, object], ...]

    @property
    def head(self) -> ConsentRecord:
        """The visitor's latest record: the one that decides whether anything counts now."""
        return self.records[-1]


@dataclass(frozen=True)
class OwnErasure:
    """What one erasure did, all in one transaction.

    ``withdrawal`` is the record appended to stop the visitor's latest consent (None when that
    record already was a withdrawal); it supersedes, and so revokes, that consent.
    """

    hits_erased: int
    records_pseudonymised: int
    withdrawal: ConsentRecord | None = None


def withdrawal_after(head: ConsentRecord, draft: ConsentDraft) -> ConsentDraft | None:
    """``draft`` pointed at ``head`` to stop it; None when ``head`` is a withdrawal already."""
    if head.action == "withdraw":
        return None
    return replace(draft, supersedes=head.consent_id)
