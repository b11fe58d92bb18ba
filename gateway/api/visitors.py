"""The site owner's GDPR tools: see and erase everything stored about one person.

- ``GET /api/sites/{site}/visitors/{visitor_id}``: the visitor's hits (``HIT_COLUMNS``), the
  visits they form, and the consent records their hits were stored under (with the same
  browser's earlier and later choices), as JSON; 404 when nothing is stored.
- ``DELETE`` the same path: erase the hits, their visits and their share of every report in
  one transaction, and pseudonymise the linked consent records (IP, user agent and salt
  cleared; the record and its place in the hash chain stay, as proof of consent must).
- ``?by=user_id``: the path value is the site's own user id (Matomo ``uid``). It is
  pseudonymised exactly as at ingest - with every configured secret key, so hits stored before
  a key rotation are found too - and every visitor id seen with it is covered.

A visitor id is 16 hexadecimal characters, as Matomo's; anything else is a 400. Access is the
admin token or the site's own token (``gateway.api.guard``). Every call is recorded in the
access audit (``visitor.read`` / ``visitor.erase``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.guard import site_policy
from gateway.errors import json_error
from gateway.policy import Policy
from gateway.runtime import Runtime, runtime
from gateway.tracking.pipeline import pseudonym

HEX16: Final = re.compile(r"[0-9a-fA-F]{16}")
MAX_USER_ID: Final = 1024
NOTHING: Final = "nothing is stored for this visitor"

By = Literal["visitor_id", "user_id"]


class BadLookup(ValueError):
    """A bad visitor id, user id or ``by``; the message is safe to return."""


@dataclass(frozen=True)
class Lookup:
    by: By
    value: str  # a lower-case visitor id, or the user id as the site knows it


def parse_lookup(value: str, by: str | None) -> Lookup:
    """Validate what identifies the person: a visitor id, or with ``by=user_id`` a user id."""
    if by in (None, "", "visitor_id"):
        if not HEX16.fullmatch(value):
            raise BadLookup("a visitor id is 16 hexadecimal characters")
        return Lookup("visitor_id", value.lower())
    if by == "user_id":
        if not value.strip() or len(value) > MAX_USER_ID:
            raise BadLookup(f"a user id has 1 to {MAX_USER_ID} characters")
        return Lookup("user_id", value)
    raise BadLookup("'by' must be visitor_id or user_id")


def user_pseudonyms(secret_keys: tuple[str, ...], site: str, user_id: str) -> list[str]:
    """The user id as hits store it under each secret key, newest key first."""
    found = [pseudonym(key.encode(), site, user_id) for key in secret_keys]
    return list(dict.fromkeys(p for p in found if p is not None))


async def visitor_ids(rt: Runtime, policy: Policy, lookup: Lookup) -> list[str]:
    """The visitor ids a lookup covers (for a user id: every one its hits carry)."""
    if lookup.by == "visitor_id":
        return [lookup.value]
    names = user_pseudonyms(rt.settings.secret_keys, policy.slug, lookup.value)
    return await rt.store.visitor_ids_for_users(policy.slug, names)


def describe_lookup(rt: Runtime, policy: Policy, lookup: Lookup) -> dict[str, str]:
    """How the answer names the lookup: never the raw user id, only its current pseudonym."""
    if lookup.by == "visitor_id":
        return {"by": "visitor_id", "visitor_id": lookup.value}
    return {
        "by": "user_id",
        "user_id": user_pseudonyms(rt.settings.secret_keys, policy.slug, lookup.value)[0],
    }


async def _prepare(request: Request) -> tuple[Runtime, Policy, Lookup, list[str]] | Response:
    policy = site_policy(request, "visitors")
    if isinstance(policy, Response):
        return policy
    try:
        lookup = parse_lookup(request.path_params["visitor_id"], request.query_params.get("by"))
    except BadLookup as exc:
        return json_error(400, str(exc))
    rt = runtime(request)
    return rt, policy, lookup, await visitor_ids(rt, policy, lookup)


async def read_visitor(request: Request) -> Response:
    prepared = await _prepare(request)
    if isinstance(prepared, Response):
        return prepared
    rt, policy, lookup, ids = prepared
    data = await rt.store.visitor_data(policy.slug, ids) if ids else None
    if data is None or data.empty:
        return json_error(404, NOTHING)
    return JSONResponse(
        {
            "site": policy.slug,
            "lookup": describe_lookup(rt, policy, lookup),
            "visitor_ids": sorted({str(h["visitor_id"]) for h in data.hits}),
            "hits": data.hits,
            "visits": data.visits,
            "consents": [record.public() for record in data.consents],
        },
        headers={"Cache-Control": "no-store"},
    )


async def erase_visitor(request: Request) -> Response:
    prepared = await _prepare(request)
    if isinstance(prepared, Response):
        return prepared
    rt, policy, lookup, ids = prepared
    erasure = await rt.store.erase_visitors(policy.slug, ids) if ids else None
    if erasure is None or erasure.hits == 0:
        return json_error(404, NOTHING)
    return JSONResponse(
        {
            "site": policy.slug,
            "lookup": describe_lookup(rt, policy, lookup),
            "visitor_ids": list(erasure.visitor_ids),
            "erased": {
                "hits": erasure.hits,
                "consents_pseudonymised": erasure.consents_pseudonymised,
            },
        }
    )


routes = [
    Route("/api/sites/{site}/visitors/{visitor_id}", read_visitor, methods=["GET"]),
    Route("/api/sites/{site}/visitors/{visitor_id}", erase_visitor, methods=["DELETE"]),
]
