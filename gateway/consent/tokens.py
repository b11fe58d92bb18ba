"""Signed consent tokens: "visitor X on site S granted C under policy version V at time T".

A token is an itsdangerous timed signature over a small JSON payload. Several keys verify (key
rotation: add a new key in front of ``GATEWAY_SECRET_KEYS``, wait ``consent_days``, drop the
old one); the newest key signs. A token is bound to its site and its policy version: a token of
another site, or of a policy version that is no longer current, does not verify here. Tokens are
signed, not encrypted, so they carry no IP address or other personal data - only the consent id
that links them to the ledger.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "gateway.consent.v1"
MAX_TOKEN_LENGTH = 2048


@dataclass(frozen=True)
class ConsentClaims:
    consent_id: str
    site: str
    policy_version: str
    granted: frozenset[str]
    issued_at: datetime
    services: frozenset[str] = frozenset()

    def expires_at(self, consent_days: int) -> datetime:
        return self.issued_at + timedelta(days=consent_days)


class ConsentTokens:
    """Issue and verify consent tokens with key rotation.

    A visitor's hits carry the same token again and again, so a verified signature is
    remembered (bounded LRU, genuine tokens only); binding, expiry and revocation are still
    checked on every call.
    """

    def __init__(self, secret_keys: Sequence[str], cache_size: int = 16384) -> None:
        if not secret_keys:
            raise ValueError("at least one secret key is needed")
        # itsdangerous signs with the LAST key and verifies with all of them.
        self._serializer = URLSafeTimedSerializer(list(reversed(secret_keys)), salt=SALT)
        self._verified: OrderedDict[str, tuple[object, datetime]] = OrderedDict()
        self._cache_size = cache_size

    def _unsign(self, token: str) -> tuple[object, datetime] | None:
        cached = self._verified.get(token)
        if cached is not None:
            self._verified.move_to_end(token)
            return cached
        try:
            payload, signed_at = self._serializer.loads(token, return_timestamp=True)
        except (BadSignature, ValueError, TypeError):
            return None
        issued = signed_at if signed_at.tzinfo else signed_at.replace(tzinfo=UTC)
        self._verified[token] = (payload, issued)
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return payload, issued

    def issue(
        self,
        consent_id: str,
        site: str,
        policy_version: str,
        granted: frozenset[str],
        services: frozenset[str] = frozenset(),
    ) -> str:
        payload: dict[str, object] = {
            "c": consent_id,
            "s": site,
            "v": policy_version,
            "g": sorted(granted),
        }
        if services:
            payload["sv"] = sorted(services)
        token = self._serializer.dumps(payload)
        return token if isinstance(token, str) else token.decode("ascii")

    def verify(
        self,
        token: str | None,
        *,
        site: str,
        policy_version: str,
        max_age_days: int,
    ) -> ConsentClaims | None:
        """Return the claims when ``token`` is genuine, unexpired and bound to this site/version."""
        claims = self.owner(token, site=site, max_age_days=max_age_days)
        return claims if claims is not None and claims.policy_version == policy_version else None

    def owner(self, token: str | None, *, site: str, max_age_days: int) -> ConsentClaims | None:
        """The claims of a genuine, unexpired token of ``site``, whatever its policy version.

        Not for deciding what may be tracked (that is :meth:`verify`): a token of an older
        policy version still proves which consent records - and which data - are the
        visitor's own, so it opens their data after the policy has changed.
        """
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        unsigned = self._unsign(token)
        if unsigned is None:
            return None
        payload, issued = unsigned
        if not isinstance(payload, dict) or utcnow() - issued > timedelta(days=max_age_days):
            return None
        consent_id, token_site = payload.get("c"), payload.get("s")
        version, granted = payload.get("v"), payload.get("g")
        services = payload.get("sv", [])
        if not (
            isinstance(consent_id, str)
            and token_site == site
            and isinstance(version, str)
            and isinstance(granted, list)
            and all(isinstance(g, str) for g in granted)
            and isinstance(services, list)
            and all(isinstance(sv, str) for sv in services)
        ):
            return None
        return ConsentClaims(
            consent_id, site, version, frozenset(granted), issued, frozenset(services)
        )


def utcnow() -> datetime:
    return datetime.now(UTC)
