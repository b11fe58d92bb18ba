"""``/matomo.php`` and ``/piwik.php``: the Matomo Tracking API, answered as Matomo answers.

GET, POST form bodies, ``sendBeacon`` POSTs (empty body, parameters in the query string) and bulk
JSON. A hit that is stored, kept anonymously or deliberately dropped gets the same answer - 204
with ``send_image=0``, else a 1x1 GIF - and only after the write is committed. 400 is kept for
what Matomo itself rejects.
"""

from __future__ import annotations

import base64
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gateway.consent.tokens import utcnow
from gateway.errors import json_error
from gateway.forwarding.outbox import OutboxEntry
from gateway.forwarding.params import outbox_entry
from gateway.net.body import BodyTooLarge, read_body
from gateway.runtime import Runtime, runtime
from gateway.storage.writer import StorageUnavailable, WriterClosed
from gateway.tracking.params import (
    BadRequest,
    Hit,
    is_bulk,
    merge_single,
    parse_bulk,
    parse_hit,
)
from gateway.tracking.pipeline import Outcome, RequestContext, evaluate
from gateway.tracking.record import HitRecord

log = logging.getLogger("gateway.tracking")

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAAAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
INFO = (
    "This is the gateway's Matomo Tracking API endpoint. "
    "Send tracking requests with idsite and rec=1.\n"
)


def _cors(request: Request) -> dict[str, str]:
    if request.method == "GET":
        return {}
    return {
        "Access-Control-Allow-Origin": request.headers.get("origin", "*"),
        "Access-Control-Allow-Credentials": "true",
    }


def _context(request: Request) -> RequestContext:
    return RequestContext(
        client_ip=request.client.host if request.client else "0.0.0.0",
        origin=request.headers.get("origin"),
        user_agent=request.headers.get("user-agent"),
        accept_language=request.headers.get("accept-language"),
        consent_cookie=request.cookies.get("gw_consent"),
        consent_removed="mtm_consent_removed" in request.cookies,
        now=utcnow(),
    )


_URL_SPLIT_BYTES = frozenset(b"#\t\r\n")


def _query(request: Request) -> bytes:
    """The query string as ``request.url.query`` gives it, encoded back to bytes.

    Plain ASCII without ``#`` or the control characters ``urlsplit`` removes comes out of
    ``request.url`` unchanged, so it is used as received, without building the URL.
    """
    raw: bytes = request.scope.get("query_string", b"")
    if raw.isascii() and _URL_SPLIT_BYTES.isdisjoint(raw):
        return raw
    return request.url.query.encode("latin-1", "replace")


def _client_key(request: Request) -> str:
    return request.client.host if request.client else ""


def _quiet_drop(request: Request, body: bytes) -> Response:
    """Answer a request over the client's rate limit as if its hits were excluded.

    Matomo answers excluded hits with its normal 2xx, so a script retries nothing; a broken
    bulk body is still a 400, as it would be anyway.
    """
    if is_bulk(body):
        try:
            bulk = parse_bulk(body)
        except BadRequest as exc:
            return json_error(400, exc.message, headers=_cors(request))
        headers = {"Cache-Control": "no-store", **_cors(request)}
        if bulk.send_image == "0":
            return Response(status_code=204, headers=headers)
        invalid = sum(entry is None for entry in bulk.entries)
        return JSONResponse(
            {"status": "success", "tracked": len(bulk.entries) - invalid, "invalid": invalid},
            headers=headers,
        )
    params = merge_single(_query(request), body)
    return _single_answer(request, params.get("send_image"))


def _single_answer(request: Request, send_image: str | None) -> Response:
    headers = {"Cache-Control": "no-store", **_cors(request)}
    if send_image == "0":
        return Response(status_code=204, headers=headers)
    return Response(GIF, media_type="image/gif", headers=headers)


def _count(rt: Runtime, site: str, outcome: Outcome) -> None:
    decision = outcome.decision
    if decision.reason is not None:
        rt.metrics.drops[(site, decision.reason.value)] += 1
        rt.metrics.hits[(site, "dropped")] += 1
    else:
        rt.metrics.hits[(site, "stored" if decision.action == "store" else "anonymous")] += 1


def _forward(rt: Runtime, hit: Hit, record: HitRecord, ctx: RequestContext) -> list[OutboxEntry]:
    """The hit's upstream request when forwarding is on (consented hits only)."""
    if not rt.forwarding.enabled:
        return []
    entry = outbox_entry(hit, record, ctx)
    return [entry] if entry is not None else []


async def _commit(
    rt: Runtime, records: list[HitRecord], forwards: list[OutboxEntry]
) -> Response | None:
    try:
        await rt.writer.add_hits(records, forwards)
    except WriterClosed:
        return json_error(503, "shutting down; retry")
    except StorageUnavailable:  # logged once per outage by the writer
        return json_error(503, "storage unavailable; retry", headers={"Retry-After": "5"})
    except Exception:
        log.exception("could not store %d hits", len(records))
        return json_error(503, "storage unavailable; retry")
    return None


async def track(request: Request) -> Response:
    rt = runtime(request)
    try:
        body = await read_body(request, rt.settings.max_body_bytes)
    except BodyTooLarge:
        rt.metrics.invalid["too_large"] += 1
        return json_error(413, "request body too large", headers=_cors(request))
    if not rt.tracking_limiter.allow(_client_key(request)):
        rt.metrics.rate_limited["tracking"] += 1
        return _quiet_drop(request, body)
    if is_bulk(body):
        return await _track_bulk(request, rt, body)
    params = merge_single(_query(request), body)
    if not params:
        if request.method == "GET":
            return PlainTextResponse(INFO)
        rt.metrics.invalid["empty"] += 1
        return json_error(400, "no tracking parameters", headers=_cors(request))
    try:
        hit = parse_hit(params)
        policy = rt.policies.by_idsite(hit.idsite)
        if policy is None:
            raise BadRequest("unknown idsite")
        ctx = _context(request)
        outcome = evaluate(hit, policy, ctx, rt.services)
    except BadRequest as exc:
        rt.metrics.invalid["bad_request"] += 1
        return json_error(400, exc.message, headers=_cors(request))
    _count(rt, policy.slug, outcome)
    if outcome.record is not None:
        forwards = _forward(rt, hit, outcome.record, ctx)
        failure = await _commit(rt, [outcome.record], forwards)
        if failure is not None:
            return failure
    return _single_answer(request, params.get("send_image"))


async def _track_bulk(request: Request, rt: Runtime, body: bytes) -> Response:
    try:
        bulk = parse_bulk(body)
    except BadRequest as exc:
        rt.metrics.invalid["bad_bulk"] += 1
        return json_error(400, exc.message, headers=_cors(request))
    ctx = _context(request)
    svc = rt.services
    records: list[HitRecord] = []
    forwards: list[OutboxEntry] = []
    tracked = invalid = 0
    for entry in bulk.entries:
        if entry is None:
            invalid += 1
            continue
        try:
            hit = parse_hit(entry)
            policy = rt.policies.by_idsite(hit.idsite)
            if policy is None:
                raise BadRequest("unknown idsite")
            outcome = evaluate(hit, policy, ctx, svc, batch_token=bulk.token_auth)
        except BadRequest:
            invalid += 1
            continue
        tracked += 1
        _count(rt, policy.slug, outcome)
        if outcome.record is not None:
            records.append(outcome.record)
            forwards += _forward(rt, hit, outcome.record, ctx)
    if invalid:
        rt.metrics.invalid["bulk_entry"] += invalid
    if records:
        failure = await _commit(rt, records, forwards)
        if failure is not None:
            return failure
    headers = {"Cache-Control": "no-store", **_cors(request)}
    if bulk.send_image == "0":
        return Response(status_code=204, headers=headers)
    return JSONResponse(
        {"status": "success", "tracked": tracked, "invalid": invalid}, headers=headers
    )


async def preflight(request: Request) -> Response:
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": request.headers.get("origin", "*"),
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "*",
            "Access-Control-Max-Age": "600",
        },
    )


routes = [Route(path, track, methods=["GET", "POST"]) for path in ("/matomo.php", "/piwik.php")] + [
    Route(path, preflight, methods=["OPTIONS"]) for path in ("/matomo.php", "/piwik.php")
]
