"""The ASGI middleware that writes one ``audit_log`` row per audited request.

For a request that ``gateway.audit.actions.match`` names, it watches the response start for
the status, copies a small form body as it streams past (dashboard login, erase form, Reporting
API POST; capped at 64 KiB, never kept beyond the request), and once the app has answered
writes the row through the store's writer thread. The client already has its answer by then,
so recording does not slow it; a failed write is logged (action and site only, never a
credential) and never turns into an error for the client.

Requests the app makes to itself (the dashboard's CSV download fetches the stats API
in-process) copy the outer request's ``state``; the marker set here makes them pass through,
so one user action is one row.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final
from urllib.parse import parse_qsl

from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.auth import bearer_token
from gateway.audit import actions
from gateway.audit.actors import ANONYMOUS, SHARE_LINK, VISITOR, session_actor, token_actor
from gateway.audit.entry import AccessEntry
from gateway.dashboard.routes import COOKIE
from gateway.dashboard.session import SessionCodec, ShareCodec, may_read
from gateway.runtime import Runtime
from gateway.timefmt import iso
from gateway.tracking.pipeline import pseudonym

log = logging.getLogger("gateway.audit")

MARK: Final = "gateway.audit.outer"
MAX_FORM_BYTES: Final = 64 * 1024
CONSENT_COOKIE: Final = "gw_consent"


@functools.lru_cache(maxsize=8)
def _codecs(keys: tuple[str, ...]) -> tuple[SessionCodec, ShareCodec]:
    return SessionCodec(keys), ShareCodec(keys)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :] or "/"
    return path


def _form(body: bytes, complete: bool) -> dict[str, str]:
    if not complete or not body:
        return {}
    try:
        return dict(parse_qsl(body.decode("utf-8", "replace"), max_num_fields=50))
    except ValueError:
        return {}


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("state", {}).get(MARK):
            await self.app(scope, receive, send)
            return
        found = actions.match(scope["method"], _route_path(scope))
        if found is None:
            await self.app(scope, receive, send)
            return
        # A fresh dict: the per-request copy of the lifespan state is never shared.
        scope["state"] = {**scope.get("state", {}), MARK: True}
        status = 500
        body = bytearray()
        complete = not found.rule.reads_body

        async def tapped_receive() -> Message:
            nonlocal complete
            message = await receive()
            if message["type"] == "http.request" and found.rule.reads_body:
                chunk = message.get("body", b"")
                if len(body) + len(chunk) <= MAX_FORM_BYTES:
                    body.extend(chunk)
                    complete = not message.get("more_body", False)
                else:
                    body.clear()
                    complete = False
            return message

        async def watched_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, tapped_receive, watched_send)
        finally:
            rt: Runtime = scope["app"].state.runtime
            try:
                entry = describe(rt, scope, found, _form(bytes(body), complete), status)
                await rt.store.record_access([entry])
            except Exception as exc:  # recording must never break the answer
                log.warning(
                    "could not record the access audit row for %s: %s",
                    scope["method"],
                    type(exc).__name__,
                )


def describe(
    rt: Runtime, scope: Scope, found: actions.Match, form: Mapping[str, str], status: int
) -> AccessEntry:
    """The audit row for a finished request: who, what, which site, and the outcome."""
    conn = HTTPConnection(scope)
    query = dict(QueryParams(scope.get("query_string", b"")))
    settings = rt.settings

    def user_pseudonym(site: str, user_id: str) -> str:
        return pseudonym(rt.services.pseudonym_key, site, user_id) or ""

    facts = actions.Facts(found.params, query, form, user_pseudonym)
    action, target = found.rule.describe(facts)
    site = actions.site_of(found)
    if found.rule.credential == "matomo":
        idsite = actions.idsite_of(query, form)
        policy = rt.policies.by_idsite(idsite) if idsite is not None else None
        site = policy.slug if policy is not None else None
    policy = rt.policies.by_slug(site) if site is not None else None
    now = time.time()
    allowed: bool | None = None
    credential = found.rule.credential
    if credential == "bearer":
        actor = token_actor(
            bearer_token(conn.headers.get("authorization")), rt.policies, settings.admin_token
        )
    elif credential == "matomo":
        token = query.get("token_auth") or form.get("token_auth")
        token = token or bearer_token(conn.headers.get("authorization"))
        actor = token_actor(token, rt.policies, settings.admin_token)
    elif credential == "login":
        actor = token_actor(form.get("token"), rt.policies, settings.admin_token)
    elif credential == "session":
        session = _codecs(settings.secret_keys)[0].loads(conn.cookies.get(COOKIE), now)
        actor = session_actor(session, rt.policies, settings.admin_token)
        if policy is not None:
            allowed = session is not None and may_read(session, policy, settings.admin_token)
        elif actor != "session:admin":
            allowed = False
    elif credential == "share":
        grant = _codecs(settings.secret_keys)[1].read(
            found.params.get("token", ""), found.params.get("site", ""), now
        )
        allowed = grant is not None
        actor = SHARE_LINK if allowed else ANONYMOUS
    else:  # a visitor's own request: the consent token is the credential, checked by the route
        presented = (
            CONSENT_COOKIE in conn.cookies
            or CONSENT_COOKIE in query
            or CONSENT_COOKIE in form
            or bearer_token(conn.headers.get("authorization")) is not None
        )
        actor = VISITOR if presented and status not in (401, 403) else ANONYMOUS
    return AccessEntry(
        ts=iso(datetime.fromtimestamp(now, UTC)),
        site=site,
        actor=actor,
        action=action,
        target=target,
        status=status,
        detail=actions.result(status, allowed),
    )
