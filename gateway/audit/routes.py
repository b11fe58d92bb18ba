"""Reading the access audit: ``/api/sites/{site}/audit`` and, for the admin, ``/api/audit``.

``?from=&to=`` (``YYYY-MM-DD``, UTC, inclusive), ``?limit=`` (1..10000, default 1000; rows
come newest first) and ``?format=csv``. A site's token reads its own site's rows; the admin
token reads any site, and ``/api/audit`` (every site, and the rows of requests that named no
known site; ``?site=`` narrows it). Reading the audit is itself recorded (``audit.read``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.guard import admin_only, site_policy
from gateway.audit.entry import COLUMNS, AccessEntry
from gateway.errors import json_error
from gateway.reports.csvfmt import to_csv
from gateway.runtime import runtime

DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
SLUG: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
DEFAULT_LIMIT: Final = 1000
MAX_LIMIT: Final = 10_000


class AuditParamError(ValueError):
    """A bad query parameter; the message never echoes the value."""


@dataclass(frozen=True)
class AuditQuery:
    date_from: str | None
    date_to: str | None
    limit: int
    format: str


def parse_audit_query(params: dict[str, str]) -> AuditQuery:
    dates: list[str | None] = []
    for name in ("from", "to"):
        value = params.get(name) or None
        if value is not None and not DATE.fullmatch(value):
            raise AuditParamError(f"'{name}' must be a date YYYY-MM-DD")
        dates.append(value)
    if dates[0] and dates[1] and dates[0] > dates[1]:
        raise AuditParamError("'from' must not be after 'to'")
    text = params.get("limit") or str(DEFAULT_LIMIT)
    # ASCII and short: isdigit() also accepts "²", and int() refuses strings of 4300+ digits.
    digits = text.isascii() and text.isdigit() and len(text) <= 9
    if not digits or not 1 <= int(text) <= MAX_LIMIT:
        raise AuditParamError(f"'limit' must be an integer from 1 to {MAX_LIMIT}")
    fmt = params.get("format") or "json"
    if fmt not in ("json", "csv"):
        raise AuditParamError("'format' must be json or csv")
    return AuditQuery(dates[0], dates[1], int(text), fmt)


def _answer(site: str | None, query: AuditQuery, entries: list[AccessEntry]) -> Response:
    rows = [entry.public() for entry in entries]
    if query.format == "csv":
        text = to_csv(rows) if rows else ",".join(COLUMNS) + "\r\n"
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{site or "all"}-audit.csv"',
                "Cache-Control": "no-store",
            },
        )
    body = {"site": site, "from": query.date_from, "to": query.date_to, "entries": rows}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


async def site_audit(request: Request) -> Response:
    policy = site_policy(request, "audit")
    if isinstance(policy, Response):
        return policy
    try:
        query = parse_audit_query(dict(request.query_params))
    except AuditParamError as exc:
        return json_error(400, str(exc))
    entries = await runtime(request).store.access_log(
        policy.slug, query.date_from, query.date_to, query.limit
    )
    return _answer(policy.slug, query, entries)


async def all_audit(request: Request) -> Response:
    refused = admin_only(request, "audit")
    if refused is not None:
        return refused
    params = dict(request.query_params)
    try:
        query = parse_audit_query(params)
    except AuditParamError as exc:
        return json_error(400, str(exc))
    site = params.get("site") or None
    if site is not None and not SLUG.fullmatch(site):
        return json_error(400, "'site' must be a site slug")
    # A removed site's slug is accepted: its rows stay readable for as long as they are kept.
    entries = await runtime(request).store.access_log(
        site, query.date_from, query.date_to, query.limit
    )
    return _answer(site, query, entries)


routes = [
    Route("/api/sites/{site}/audit", site_audit, methods=["GET"]),
    Route("/api/audit", all_audit, methods=["GET"]),
]
