"""The consent decision for one hit: store it, keep an anonymous count, or drop it.

A pure function over facts the route has already established. The answer to the browser is the
same 2xx whatever is decided (``matomo.js`` retries on anything else), so the reason for a drop
is only visible in ``/metrics``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from gateway.consent.tokens import ConsentClaims

Action = Literal["store", "anonymous", "drop"]
ANALYTICS = "analytics"


class DropReason(StrEnum):
    """Why a hit was not stored. A closed set: each is counted in /metrics."""

    NOT_RECORDED = "not_recorded"  # no rec=1: Matomo excludes such requests too
    WRONG_ORIGIN = "wrong_origin"  # sent from a page that is not one of the site's origins
    CONSENT_REMOVED = "consent_removed"  # mtm_consent_removed cookie: the visitor opted out
    BOT = "bot"
    NO_CONSENT = "no_consent"  # no token at all
    TOKEN_INVALID = "token_invalid"  # tampered, expired, other site, old policy version
    TOKEN_REVOKED = "token_revoked"  # superseded or withdrawn choice replayed
    NOT_GRANTED = "not_granted"  # valid token that does not grant analytics
    NOT_PAGEVIEW = "not_pageview"  # anonymous mode keeps page views only


@dataclass(frozen=True)
class GateFacts:
    recorded: bool
    origin_allowed: bool
    consent_removed_cookie: bool
    is_bot: bool
    token_present: bool
    claims: ConsentClaims | None
    revoked: bool
    kind: str
    without_consent: Literal["drop", "anonymous"]


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: DropReason | None = None


STORE = Decision("store")
ANONYMOUS = Decision("anonymous")


def decide(facts: GateFacts) -> Decision:
    if not facts.recorded:
        return Decision("drop", DropReason.NOT_RECORDED)
    if not facts.origin_allowed:
        return Decision("drop", DropReason.WRONG_ORIGIN)
    if facts.consent_removed_cookie:
        return Decision("drop", DropReason.CONSENT_REMOVED)
    if facts.is_bot:
        return Decision("drop", DropReason.BOT)
    if facts.claims is not None and not facts.revoked and ANALYTICS in facts.claims.granted:
        return STORE
    if facts.claims is None:
        reason = DropReason.TOKEN_INVALID if facts.token_present else DropReason.NO_CONSENT
    elif facts.revoked:
        reason = DropReason.TOKEN_REVOKED
    else:
        reason = DropReason.NOT_GRANTED
    if facts.without_consent == "anonymous":
        return ANONYMOUS if facts.kind == "pageview" else Decision("drop", DropReason.NOT_PAGEVIEW)
    return Decision("drop", reason)
