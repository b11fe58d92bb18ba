"""The bearer-token check the visitor and audit APIs share, as the stats API does it.

401 without a token, 403 for a token that cannot read the site (a site token never reads
another site), 404 for an unknown site only when the caller is the admin (no probing for site
names), 429 after too many failed tokens from one client address (``gateway.dashboard.throttle``).
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from gateway.api.auth import bearer_token, is_admin
from gateway.dashboard import throttle
from gateway.errors import json_error
from gateway.policy import Policy
from gateway.reports.params import access
from gateway.runtime import runtime

FORBIDDEN = "this token cannot read this site"


def _missing() -> Response:
    return json_error(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})


def site_policy(request: Request, kind: str) -> Policy | Response:
    """The policy of ``{site}`` if the request's bearer token may read it, else the answer."""
    rt = runtime(request)
    slug = request.path_params["site"]
    attempt = throttle.key(kind, request.client.host if request.client else None, slug)
    now = time.time()
    blocked = rt.throttle.check(attempt, now)
    if not blocked.allowed:
        return json_error(429, throttle.TOO_MANY, {"Retry-After": str(blocked.retry_after)})
    policy = rt.policies.by_slug(slug)
    verdict = access(
        bearer_token(request.headers.get("authorization")), policy, rt.settings.admin_token
    )
    if verdict == "missing":
        return _missing()
    if verdict == "unknown":
        return json_error(404, "unknown site")
    if verdict == "forbidden" or policy is None:
        rt.throttle.failed(attempt, now)
        return json_error(403, FORBIDDEN)
    return policy


def admin_only(request: Request, kind: str) -> Response | None:
    """None when the request carries the admin token, else the refusal."""
    rt = runtime(request)
    attempt = throttle.key(kind, request.client.host if request.client else None, "*")
    now = time.time()
    blocked = rt.throttle.check(attempt, now)
    if not blocked.allowed:
        return json_error(429, throttle.TOO_MANY, {"Retry-After": str(blocked.retry_after)})
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        return _missing()
    if not is_admin(token, rt.settings.admin_token):
        rt.throttle.failed(attempt, now)
        return json_error(403, "only the admin token reads every site's audit log")
    return None
