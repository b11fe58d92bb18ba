"""Admin API: the stored anonymised hits and the consent ledger, as NDJSON/JSON or CSV.

Every route needs ``Authorization: Bearer <token>``: the admin token, or one of the site's own
tokens (a site's token never reads another site). Dates are ``YYYY-MM-DD`` in UTC, inclusive.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gateway.api.auth import bearer_token, is_admin, token_allows
from gateway.errors import json_error
from gateway.policy import Policy
from gateway.reports.csvfmt import cell
from gateway.runtime import runtime
from gateway.tracking.record import HIT_COLUMNS

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _authorized_policy(request: Request) -> Policy | Response:
    rt = runtime(request)
    policy = rt.policies.by_slug(request.path_params["site"])
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        return json_error(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    if policy is None:
        # Same answer for unknown sites and foreign tokens: no probing for site names.
        if is_admin(token, rt.settings.admin_token):
            return json_error(404, "unknown site")
        return json_error(403, "this token cannot read this site")
    if not token_allows(token, policy, rt.settings.admin_token):
        return json_error(403, "this token cannot read this site")
    return policy


def _dates(request: Request) -> tuple[str | None, str | None] | Response:
    values = []
    for name in ("from", "to"):
        value = request.query_params.get(name)
        if value is not None and not DATE.fullmatch(value):
            return json_error(400, f"'{name}' must be a date YYYY-MM-DD")
        values.append(value)
    return values[0], values[1]


async def export_hits(request: Request) -> Response:
    policy = _authorized_policy(request)
    if isinstance(policy, Response):
        return policy
    dates = _dates(request)
    if isinstance(dates, Response):
        return dates
    fmt = request.query_params.get("format", "ndjson")
    if fmt not in ("ndjson", "csv"):
        return json_error(400, "'format' must be ndjson or csv")
    rows = runtime(request).store.hits(policy.slug, date_from=dates[0], date_to=dates[1])
    if fmt == "csv":
        return StreamingResponse(
            _csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{policy.slug}-hits.csv"'},
        )
    return StreamingResponse(_ndjson(rows), media_type="application/x-ndjson")


async def _ndjson(rows: AsyncIterator[dict[str, object]]) -> AsyncIterator[bytes]:
    async for row in rows:
        yield (json.dumps(row, ensure_ascii=False) + "\n").encode()


async def _csv(rows: AsyncIterator[dict[str, object]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HIT_COLUMNS)
    async for row in rows:
        writer.writerow([cell(row[c]) for c in HIT_COLUMNS])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def export_consents(request: Request) -> Response:
    policy = _authorized_policy(request)
    if isinstance(policy, Response):
        return policy
    records = [
        _with_policy_url(request, r.public())
        for r in await runtime(request).store.consent_records(policy.slug)
    ]
    fmt = request.query_params.get("format", "json")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        columns = list(records[0]) if records else ["site_seq", "consent_id"]
        writer.writerow(columns)
        for public in records:
            writer.writerow(
                [cell("|".join(v) if isinstance(v := public[c], list) else v) for c in columns]
            )
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")
    if fmt != "json":
        return json_error(400, "'format' must be json or csv")
    return JSONResponse({"records": records})


def _with_policy_url(request: Request, public: dict[str, object]) -> dict[str, object]:
    """A record with the page of the policy version it was given under (its notice and
    banner texts, ``/privacy/{site}/versions/{policy_hash}``)."""
    base = str(request.base_url).rstrip("/")
    public["policy_url"] = f"{base}/privacy/{public['site']}/versions/{public['policy_hash']}"
    return public


routes = [
    Route("/api/sites/{site}/hits", export_hits, methods=["GET"]),
    Route("/api/sites/{site}/consents", export_consents, methods=["GET"]),
]
