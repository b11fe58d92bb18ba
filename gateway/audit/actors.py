"""Naming who made a request, for the audit log, without ever keeping the credential.

- ``admin``: the admin token (``session:admin`` for a dashboard session it opened).
- ``site-token:<12 hex>``: a site token, by the first 12 hex digits of its SHA-256 - the
  value listed in the policy's ``[access] token_sha256``, so the owner sees which token it was.
- ``session:<12 hex>``: a dashboard session opened with that same site token (the session
  cookie holds only a fingerprint of the token's SHA-256; it is matched against the policies).
- ``share-link``: a valid shared read-only link.
- ``visitor``: a visitor's own request (``/privacy/{site}/my-data``) with a consent token the
  route accepted (one it refused with 401/403 makes the actor ``anonymous``).
- ``anonymous``: no credential, or one that is not valid anywhere (a mistyped token, an
  expired or forged session cookie or link).

A valid credential used on a site it cannot read keeps its name: the audit row then shows who
tried, and its ``detail`` says ``refused``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Final

from gateway.api.auth import is_admin
from gateway.dashboard.session import Session, is_admin_session, key_of_digest
from gateway.policy import Policy

ADMIN: Final = "admin"
ANONYMOUS: Final = "anonymous"
SHARE_LINK: Final = "share-link"
VISITOR: Final = "visitor"
PREFIX_HEX: Final = 12


def _listed(digest: str, policies: Iterable[Policy]) -> bool:
    return any(hmac.compare_digest(digest, allowed) for p in policies for allowed in p.token_sha256)


def token_actor(token: str | None, policies: Iterable[Policy], admin_token: str) -> str:
    """The actor for a bearer token, a Matomo ``token_auth`` or a dashboard login form."""
    token = (token or "").strip()
    if not token or len(token) > 512:
        return ANONYMOUS
    if is_admin(token, admin_token):
        return ADMIN
    digest = hashlib.sha256(token.encode()).hexdigest()
    if _listed(digest, policies):
        return f"site-token:{digest[:PREFIX_HEX]}"
    return ANONYMOUS


def session_actor(session: Session | None, policies: Iterable[Policy], admin_token: str) -> str:
    """The actor for a verified, unexpired dashboard session (None: no valid cookie)."""
    if session is None or session.key is None:
        return ANONYMOUS
    if is_admin_session(session, admin_token):
        return f"session:{ADMIN}"
    for policy in policies:
        for digest in policy.token_sha256:
            if hmac.compare_digest(session.key, key_of_digest(digest)):
                return f"session:{digest[:PREFIX_HEX]}"
    return ANONYMOUS  # the token behind it is no longer listed anywhere
