"""Dashboard sessions, CSRF tokens and shared-link tokens: signed, stateless, pure.

Why stateless: the gateway keeps no server-side session table (it may run several workers or
instances), so a session is a small itsdangerous-signed statement carried in one cookie:

- ``csrf``: a random value that every dashboard form echoes back (synchronizer token). The
  cookie is HttpOnly and ``SameSite=Strict``, so another site can neither read the value nor
  make the browser send the cookie with a forged form: both checks must fail for a forged
  request to pass. A visitor who is not logged in gets a session without ``key`` (only a
  ``csrf``), so the login form itself is protected against login CSRF.
- ``key``: a fingerprint of the token that opened the session, never the token. Every request
  checks it against the current settings and policy, so removing a site token from the policy
  (or changing the admin token) ends the sessions it opened at once.
- ``sites``: the sites the token could read when it logged in (``*`` for the admin token); a
  site token's session never opens another site's dashboard.
- ``expires``: the session ends at this Unix time whatever the cookie's own max-age says.

Signing uses the gateway's secret keys (newest signs, all verify) with a salt of its own, so a
consent token can never pass as a session or a shared link and the other way round.

A shared link carries the site and an optional expiry, signed the same way with another salt.
It can be revoked only by rotating the secret keys (see ``docs/dashboard.md``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from itsdangerous import BadSignature, URLSafeSerializer

from gateway.api.auth import is_admin
from gateway.policy import Policy

SESSION_SALT: Final = "gateway.dashboard.session.v1"
SHARE_SALT: Final = "gateway.dashboard.share.v1"
SESSION_SECONDS: Final = 12 * 3600
MAX_SIGNED_LENGTH: Final = 4096  # longer cookie or link values are not even unsigned
ALL_SITES: Final = "*"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def key_of_digest(digest: str) -> str:
    """The session fingerprint of a token, from the token's SHA-256 (what policies list).

    A second, domain-separated hash: the cookie is signed, not encrypted, so it must not carry
    anything a reader could use as a token or look up in a policy file.
    """
    return hashlib.sha256(b"gateway.dashboard.key\0" + digest.encode()).hexdigest()[:32]


def key_of_token(token: str) -> str:
    return key_of_digest(_digest(token))


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Session:
    """What the dashboard cookie says; ``key`` is None before login."""

    csrf: str
    expires: int
    key: str | None = None
    sites: tuple[str, ...] = ()

    @property
    def logged_in(self) -> bool:
        return self.key is not None

    def csrf_matches(self, submitted: str | None) -> bool:
        """Constant-time comparison of a form's CSRF field with the session's value."""
        if not submitted or len(submitted) > 256:
            return False
        return hmac.compare_digest(submitted.encode(), self.csrf.encode())


def anonymous(now: float) -> Session:
    """A session for a visitor who has not logged in: only the login form's CSRF value."""
    return Session(csrf=new_csrf(), expires=int(now) + SESSION_SECONDS)


def open_session(
    token: str, policies: Iterable[Policy], admin_token: str, now: float
) -> Session | None:
    """Log in with ``token``: a new session (new CSRF value) covering every site the token
    reads, or None when it reads none. The admin token reads every site."""
    token = token.strip()
    if not token or len(token) > 512:
        return None
    expires = int(now) + SESSION_SECONDS
    if is_admin(token, admin_token):
        return Session(new_csrf(), expires, key_of_token(token), (ALL_SITES,))
    digest = _digest(token)
    sites = tuple(
        p.slug
        for p in policies
        if any(hmac.compare_digest(digest, allowed) for allowed in p.token_sha256)
    )
    if not sites:
        return None
    return Session(new_csrf(), expires, key_of_digest(digest), sites)


def is_admin_session(session: Session, admin_token: str) -> bool:
    return (
        session.key is not None
        and session.sites == (ALL_SITES,)
        and hmac.compare_digest(session.key, key_of_token(admin_token))
    )


def may_read(session: Session, policy: Policy, admin_token: str) -> bool:
    """Whether a (verified, unexpired) session may read ``policy``'s site right now.

    The token behind the session must still be valid: the same admin token, or a token the
    site's policy still lists.
    """
    if session.key is None:
        return False
    if is_admin_session(session, admin_token):
        return True
    if policy.slug not in session.sites:
        return False
    return any(
        hmac.compare_digest(session.key, key_of_digest(allowed)) for allowed in policy.token_sha256
    )


def _signing_keys(secret_keys: Sequence[str]) -> list[str]:
    if not secret_keys:
        raise ValueError("at least one secret key is needed")
    return list(reversed(secret_keys))  # itsdangerous signs with the LAST key


class SessionCodec:
    """Sign and verify session cookies with the gateway's secret keys."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        self._serializer = URLSafeSerializer(_signing_keys(secret_keys), salt=SESSION_SALT)

    def dumps(self, session: Session) -> str:
        payload: dict[str, object] = {"c": session.csrf, "x": session.expires}
        if session.key is not None:
            payload["k"] = session.key
            payload["s"] = list(session.sites)
        return str(self._serializer.dumps(payload))

    def loads(self, value: str | None, now: float) -> Session | None:
        """The session in a cookie value, or None when missing, tampered with or expired."""
        if not value or len(value) > MAX_SIGNED_LENGTH:
            return None
        try:
            payload = self._serializer.loads(value)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(payload, dict):
            return None
        csrf, expires = payload.get("c"), payload.get("x")
        key, sites = payload.get("k"), payload.get("s", [])
        if not isinstance(csrf, str) or not isinstance(expires, int) or expires <= now:
            return None
        if key is not None and not isinstance(key, str):
            return None
        if not isinstance(sites, list) or not all(isinstance(s, str) for s in sites):
            return None
        return Session(csrf, expires, key, tuple(sites))


@dataclass(frozen=True)
class ShareGrant:
    """A shared link's content: the site it shows, and when it stops working (None: never)."""

    site: str
    expires: int | None


class ShareCodec:
    """Sign and verify shared-link tokens (the last path segment of ``/share/{site}/{token}``)."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        self._serializer = URLSafeSerializer(_signing_keys(secret_keys), salt=SHARE_SALT)

    def create(self, site: str, now: float, days: int | None) -> str:
        expires = None if days is None else int(now) + days * 86400
        return str(self._serializer.dumps({"s": site, "x": expires}))

    def read(self, token: str, site: str, now: float) -> ShareGrant | None:
        """The grant in ``token`` if it is genuine, for ``site`` and not expired; else None."""
        if not token or len(token) > MAX_SIGNED_LENGTH:
            return None
        try:
            payload = self._serializer.loads(token)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(payload, dict) or payload.get("s") != site:
            return None
        expires = payload.get("x")
        if expires is not None and (not isinstance(expires, int) or expires <= now):
            return None
        return ShareGrant(site, expires)
