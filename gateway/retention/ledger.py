"""How much of a site's consent chain retention may purge. Pure functions, no I/O.

Only a prefix of the chain is ever purged - the oldest records, in ``site_seq`` order - and the
last purged record's ``site_seq`` and hash become the chain's anchor, so what is left still
verifies from the anchor. The prefix stops at the first record that

- is not older than the cutoff,
- is still somebody's current consent (not superseded, ``expires_at`` in the future; a record
  whose expiry lies further ahead than the site's retention is kept until it expires), or
- does not verify: a tampered record is evidence, and purging it would hide the break.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass

from gateway.consent.ledger import Anchor, ConsentRecord, verify_chain


@dataclass(frozen=True)
class Prefix:
    """``count`` records may go; ``stop`` says why the next one stays ("" when none is left
    in the records given, or it is simply newer than the cutoff)."""

    count: int
    stop: str = ""


def is_current(record: ConsentRecord, now: str, superseded: Container[str]) -> bool:
    """A record is somebody's current consent until it expires or a later one supersedes it."""
    return (
        record.expires_at is not None
        and record.expires_at > now
        and record.consent_id not in superseded
    )


def purgeable_prefix(
    records: Sequence[ConsentRecord],
    *,
    anchor: Anchor | None,
    before: str,
    now: str,
    superseded: Container[str],
) -> Prefix:
    """The leading records (in ``site_seq`` order, right after ``anchor``) that may go."""
    count = 0
    for record in records:
        if record.ts >= before:
            return Prefix(count)
        if is_current(record, now, superseded):
            return Prefix(count, f"record {record.site_seq} is still a current consent")
        count += 1
    broken = verify_chain(records[:count], anchor)
    if broken is not None:
        at = next(i for i, r in enumerate(records) if r.consent_id == broken.consent_id)
        return Prefix(at, f"chain broken at {broken}")
    return Prefix(count)
