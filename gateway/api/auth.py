"""Who may read a site's data: the admin token, or a token whose SHA-256 the site's policy lists.

The same check serves ``Authorization: Bearer`` on ``/api`` and Matomo's ``token_auth`` on
tracking parameters that need one (``cip``, ``cdt``, ``country`` ...). A site's token never reads
another site. Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac

from gateway.policy import Policy


def is_admin(token: str | None, admin_token: str) -> bool:
    return (
        bool(token)
        and len(token or "") <= 512
        and hmac.compare_digest((token or "").encode(), admin_token.encode())
    )


def token_allows(token: str | None, policy: Policy, admin_token: str) -> bool:
    if not token or len(token) > 512:
        return False
    if is_admin(token, admin_token):
        return True
    digest = hashlib.sha256(token.encode()).hexdigest()
    return any(hmac.compare_digest(digest, allowed) for allowed in policy.token_sha256)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
