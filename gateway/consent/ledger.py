"""The consent ledger: one immutable, hash-chained record per choice (GDPR Art. 7(1) proof).

Each site has its own chain. A record's ``hash`` is SHA-256 over the previous record's hash and
the record's canonical JSON form, so changing, removing or reordering any stored record breaks
the chain at that record, and ``gateway verify-consents`` names it.

Personal fields (the truncated IP and the user-agent family) enter the chain only through
``pii_digest`` = SHA-256(random per-record salt, ip, ua). Erasing a visitor deletes the IP, the
user agent and the salt: the digest stays, the chain still verifies, and nothing links the digest
back to the person.

Everything here is pure: the storage layer fetches the previous hash inside its write
transaction and calls ``seal``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Literal

Action = Literal["accept_all", "reject_all", "custom", "withdraw"]
ACTIONS: tuple[Action, ...] = ("accept_all", "reject_all", "custom", "withdraw")
GENESIS = "0" * 64


@dataclass(frozen=True)
class ConsentDraft:
    """A choice as the HTTP layer records it, before it has a place in the chain."""

    consent_id: str
    site: str
    ts: str
    action: Action
    policy_version: str
    policy_hash: str
    granted: tuple[str, ...]
    denied: tuple[str, ...]
    lang: str
    supersedes: str | None
    expires_at: str | None
    ip: str | None
    ua_family: str | None
    services: tuple[str, ...] = ()
    source: str = "banner"


@dataclass(frozen=True)
class ConsentRecord:
    """A sealed ledger record, exactly as stored."""

    site_seq: int
    consent_id: str
    site: str
    ts: str
    action: str
    policy_version: str
    policy_hash: str
    granted: tuple[str, ...]
    denied: tuple[str, ...]
    lang: str
    supersedes: str | None
    expires_at: str | None
    ip: str | None
    ua_family: str | None
    pii_salt: str | None
    pii_digest: str
    prev_hash: str
    hash: str
    services: tuple[str, ...] = ()
    source: str = "banner"

    def public(self) -> dict[str, object]:
        """The record as the API shows it (the salt stays private)."""
        data = asdict(self)
        data.pop("pii_salt")
        data["granted"] = list(self.granted)
        data["denied"] = list(self.denied)
        data["services"] = list(self.services)
        return data


@dataclass(frozen=True)
class Anchor:
    """Where a site's chain starts after retention purged its oldest records: the
    ``site_seq`` and ``hash`` of the last record purged. The next record links to it."""

    site_seq: int
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    site_seq: int
    consent_id: str
    reason: str

    def __str__(self) -> str:
        return f"record {self.site_seq} ({self.consent_id}): {self.reason}"


def classify_action(
    granted: Iterable[str], optional: Iterable[str], services: Iterable[str] = ()
) -> Action:
    """accept_all when every optional category is granted, reject_all when nothing optional
    is (no category, no single service), else custom."""
    chosen, offered = set(granted), set(optional)
    if offered and offered <= chosen:
        return "accept_all"
    if not chosen & offered and not set(services):
        return "reject_all"
    return "custom"


def pii_digest(salt: str, ip: str | None, ua_family: str | None) -> str:
    material = "\n".join((salt, ip or "", ua_family or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _canonical(record: ConsentRecord) -> bytes:
    fields = asdict(record)
    for private in ("ip", "ua_family", "pii_salt", "hash"):
        fields.pop(private)
    fields["granted"] = list(record.granted)
    fields["denied"] = list(record.denied)
    fields["services"] = list(record.services)
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: ConsentRecord) -> str:
    return hashlib.sha256(record.prev_hash.encode("ascii") + b"\n" + _canonical(record)).hexdigest()


def seal(
    draft: ConsentDraft, site_seq: int, prev_hash: str, salt: str | None = None
) -> ConsentRecord:
    """Give ``draft`` its place in the chain after the record whose hash is ``prev_hash``."""
    pii_salt = salt if salt is not None else secrets.token_hex(16)
    unsealed = ConsentRecord(
        site_seq=site_seq,
        consent_id=draft.consent_id,
        site=draft.site,
        ts=draft.ts,
        action=draft.action,
        policy_version=draft.policy_version,
        policy_hash=draft.policy_hash,
        granted=tuple(sorted(draft.granted)),
        denied=tuple(sorted(draft.denied)),
        lang=draft.lang,
        supersedes=draft.supersedes,
        expires_at=draft.expires_at,
        ip=draft.ip,
        ua_family=draft.ua_family,
        pii_salt=pii_salt,
        pii_digest=pii_digest(pii_salt, draft.ip, draft.ua_family),
        prev_hash=prev_hash,
        hash="",
        services=tuple(sorted(draft.services)),
        source=draft.source,
    )
    return replace(unsealed, hash=record_hash(unsealed))


def verify_chain(
    records: Iterable[ConsentRecord], anchor: Anchor | None = None
) -> ChainBreak | None:
    """Walk one site's records in ``site_seq`` order; return the first break, or None.

    With an ``anchor`` (records before it were purged by retention) the walk starts right
    after it: the first record must be ``anchor.site_seq + 1`` and link to ``anchor.hash``.
    """
    expected_seq, previous = (1, GENESIS) if anchor is None else (anchor.site_seq + 1, anchor.hash)
    for record in records:
        if record.site_seq != expected_seq:
            return ChainBreak(
                record.site_seq, record.consent_id, f"sequence gap: expected {expected_seq}"
            )
        if record.prev_hash != previous:
            return ChainBreak(
                record.site_seq, record.consent_id, "previous-hash link does not match"
            )
        if record.pii_salt is not None and record.pii_digest != pii_digest(
            record.pii_salt, record.ip, record.ua_family
        ):
            return ChainBreak(record.site_seq, record.consent_id, "personal fields were altered")
        if record.hash != record_hash(record):
            return ChainBreak(record.site_seq, record.consent_id, "record content was altered")
        previous = record.hash
        expected_seq += 1
    return None
