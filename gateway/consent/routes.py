"""HTTP routes for consent: the banner, its per-site config, and recording choices.

Only a policy's own origins may record or withdraw a choice (Origin check plus CORS for exactly
those origins, with credentials). A 201 means the ledger record is committed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from gateway.consent.config import details, expirable_cookies, first_layer, pick_language
from gateway.consent.ledger import ConsentDraft, ConsentRecord, classify_action
from gateway.consent.tokens import ConsentClaims, utcnow
from gateway.errors import json_error
from gateway.net.body import BodyTooLarge, read_body
from gateway.policy import Policy
from gateway.runtime import Runtime, runtime
from gateway.storage.writer import StorageUnavailable, WriterClosed
from gateway.timefmt import iso
from gateway.tracking.anonymize import truncate_ip

log = logging.getLogger("gateway.consent")

COOKIE = "gw_consent"
SOURCES = ("banner", "embed", "gpc", "optout")  # where the visitor chose; "optout": the
# opt-out element ([data-gw-optout]); "mydata" is recorded only by /privacy/{site}/my-data
GPC_SINCE = "2026-11-22"
MAX_CONSENT_BODY = 16 * 1024
SCRIPTS = Path(__file__).resolve().parent.parent / "static" / "consent-banner"


def _cors(policy: Policy, request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    if policy.allows_origin(origin):
        assert origin is not None
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }
    return {"Vary": "Origin"}


def _policy_or_404(request: Request) -> Policy | Response:
    policy = runtime(request).policies.by_slug(request.path_params["site"])
    if policy is None:
        return json_error(404, "unknown site")
    return policy


def earlier_choice(rt: Runtime, policy: Policy, token: str | None) -> ConsentClaims | None:
    """The visitor's unrevoked earlier choice, also one made under an older policy version.

    A new choice supersedes it, so one visitor's records form one linked history across policy
    versions - what lets them find and erase all of their own data later.
    """
    claims = rt.tokens.owner(token, site=policy.slug, max_age_days=policy.consent_days)
    if claims is None or claims.consent_id in rt.revocations:
        return None
    return claims


def presented_token(request: Request) -> str | None:
    """The token a request carries: the ``gw_consent`` parameter first, then the cookie."""
    return request.query_params.get(COOKIE) or request.cookies.get(COOKIE)


def current_claims(rt: Runtime, policy: Policy, token: str | None) -> ConsentClaims | None:
    claims = rt.tokens.verify(
        token, site=policy.slug, policy_version=policy.version, max_age_days=policy.consent_days
    )
    if claims is None or claims.consent_id in rt.revocations:
        return None
    return claims


def script_response(name: str) -> Response:
    """A built browser script: static, the same for every visitor, cacheable."""
    if not (SCRIPTS / name).is_file():
        return json_error(404, f"{name} is not built (run scripts/build-js)")
    return FileResponse(
        SCRIPTS / name,
        media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )


async def banner_js(request: Request) -> Response:
    return script_response("banner.js")


async def tracker_js(request: Request) -> Response:
    return script_response("tracker.js")


async def banner_settings_js(request: Request) -> Response:
    return script_response("banner-settings.js")


def _gpc(request: Request) -> bool:
    return request.headers.get("sec-gpc", "").strip() == "1"


def _cacheable_json(request: Request, body: dict[str, object], vary: str | None = None) -> Response:
    """Public JSON that is the same for every visitor: short max-age plus an ETag."""
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(payload).hexdigest()[:20] + '"'
    headers = {
        "Cache-Control": "public, max-age=300",
        "Access-Control-Allow-Origin": "*",
        "ETag": etag,
    }
    if vary:
        headers["Vary"] = vary
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(payload, media_type="application/json", headers=headers)


async def site_config(request: Request) -> Response:
    policy = _policy_or_404(request)
    if isinstance(policy, Response):
        return policy
    lang = pick_language(policy, request.query_params.get("lang"))
    privacy_url = policy.privacy_url or str(request.url_for("privacy_notice", site=policy.slug))
    details_url = str(request.url_for("consent_details", site=policy.slug)) + f"?lang={lang}"
    body = first_layer(
        policy, lang, gpc=_gpc(request), privacy_url=privacy_url, details_url=details_url
    )
    return _cacheable_json(request, body, vary="Sec-GPC")


async def site_details(request: Request) -> Response:
    policy = _policy_or_404(request)
    if isinstance(policy, Response):
        return policy
    lang = pick_language(policy, request.query_params.get("lang"))
    my_data_url = str(request.url_for("my_data", site=policy.slug)) + f"?lang={lang}"
    return _cacheable_json(request, details(policy, lang, my_data_url=my_data_url))


async def gpc_json(request: Request) -> Response:
    """Global Privacy Control support resource (``/.well-known/gpc.json``)."""
    return JSONResponse(
        {"gpc": True, "lastUpdate": GPC_SINCE},
        headers={"Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*"},
    )


async def preflight(request: Request) -> Response:
    policy = _policy_or_404(request)
    if isinstance(policy, Response):
        return policy
    if not policy.allows_origin(request.headers.get("origin")):
        return json_error(403, "origin not allowed for this site")
    headers = _cors(policy, request)
    headers.update(
        {
            "Access-Control-Allow-Methods": "GET, POST, DELETE",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        }
    )
    return Response(status_code=204, headers=headers)


@dataclass(frozen=True)
class Choice:
    granted: frozenset[str]
    services: frozenset[str]
    lang: str
    policy_version: str
    source: str


def _parse_choice(body: bytes, policy: Policy) -> Choice | str:
    """Validate a POST body; return the choice or an error message."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        return "body is not valid JSON"
    if not isinstance(data, dict):
        return "body must be a JSON object"
    granted = data.get("granted")
    if not isinstance(granted, list) or not all(isinstance(g, str) for g in granted):
        return "'granted' must be a list of category ids"
    unknown = sorted(set(granted) - policy.category_ids)
    if unknown:
        return f"unknown categories: {', '.join(u[:32] for u in unknown[:5])}"
    version = data.get("policy_version")
    if not isinstance(version, str):
        return "'policy_version' must be a string"
    lang = data.get("lang", policy.default_language)
    if not isinstance(lang, str) or lang not in policy.languages:
        return f"'lang' must be one of: {', '.join(policy.languages)}"
    services = data.get("services", [])
    if not isinstance(services, list) or not all(isinstance(x, str) for x in services):
        return "'services' must be a list of service ids"
    unknown_services = sorted(x for x in set(services) if policy.service(x) is None)
    if unknown_services:
        return f"unknown services: {', '.join(u[:32] for u in unknown_services[:5])}"
    source = data.get("source", "banner")
    if source not in SOURCES:
        return f"'source' must be one of: {', '.join(SOURCES)}"
    optional = set(granted) & policy.optional_category_ids
    if source == "gpc" and (optional or services):
        return "a Global Privacy Control choice grants nothing"
    return Choice(
        granted=frozenset(granted) | policy.required_category_ids,
        services=frozenset(services),
        lang=lang,
        policy_version=version,
        source=source,
    )


def _set_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def draft_choice(
    request: Request,
    policy: Policy,
    granted: frozenset[str],
    lang: str,
    supersedes: str | None,
    withdraw: bool,
    services: frozenset[str] = frozenset(),
    source: str = "banner",
    *,
    personal: bool = True,
) -> ConsentDraft:
    """The ledger record of a choice made in ``request``, from any of the gateway's pages.

    ``personal=False`` (the withdrawal that ends an erasure) stores no IP and no user agent.
    """
    rt = runtime(request)
    now = utcnow()
    ip = ua = None
    if personal:
        peer = request.client.host if request.client else "0.0.0.0"
        ip = truncate_ip(peer, policy.ip_mask_bytes)
        ua = rt.user_agents.classify(request.headers.get("user-agent")).browser
    denied = policy.optional_category_ids - granted
    return ConsentDraft(
        consent_id=str(uuid.uuid4()),
        site=policy.slug,
        ts=iso(now),
        action="withdraw"
        if withdraw
        else classify_action(granted, policy.optional_category_ids, services),
        policy_version=policy.version,
        policy_hash=policy.hash,
        granted=tuple(sorted(granted)),
        denied=tuple(sorted(denied)),
        lang=lang,
        supersedes=supersedes,
        expires_at=None if withdraw else iso(now + timedelta(days=policy.consent_days)),
        ip=ip,
        ua_family=ua,
        services=tuple(sorted(services)),
        source=source,
    )


def _over_limit(request: Request, cors: dict[str, str]) -> Response | None:
    """429 when this client address has recorded too many choices lately (per process)."""
    rt = runtime(request)
    client = request.client.host if request.client else ""
    if rt.consent_limiter.allow(client):
        return None
    rt.metrics.rate_limited["consent"] += 1
    retry = str(rt.consent_limiter.retry_after(client))
    return json_error(
        429, "too many consent requests; try again shortly", headers={**cors, "Retry-After": retry}
    )


async def _append(
    rt: Runtime, draft: ConsentDraft, cors: dict[str, str]
) -> ConsentRecord | Response:
    """Commit ``draft`` to the ledger; a 503 JSON answer when it cannot be stored now."""
    try:
        return await rt.writer.append_consent(draft)
    except WriterClosed:
        return json_error(503, "shutting down; retry", headers=cors)
    except StorageUnavailable:  # logged once per outage by the writer
        return json_error(503, "storage unavailable; retry", headers={**cors, "Retry-After": "5"})
    except Exception:
        log.exception("could not record a consent choice")
        return json_error(503, "storage unavailable; retry", headers=cors)


async def record_choice(request: Request) -> Response:
    policy = _policy_or_404(request)
    if isinstance(policy, Response):
        return policy
    if not policy.allows_origin(request.headers.get("origin")):
        return json_error(403, "origin not allowed for this site")
    cors = _cors(policy, request)
    limited = _over_limit(request, cors)
    if limited is not None:
        return limited
    try:
        body = await read_body(request, MAX_CONSENT_BODY)
    except BodyTooLarge:
        return json_error(413, "request body too large", headers=cors)
    parsed = _parse_choice(body, policy)
    if isinstance(parsed, str):
        return json_error(400, parsed, headers=cors)
    if parsed.policy_version != policy.version:
        return JSONResponse(
            {"error": "the policy has changed; ask again", "policy_version": policy.version},
            status_code=409,
            headers=cors,
        )
    rt = runtime(request)
    previous = earlier_choice(rt, policy, presented_token(request))
    granted, services = parsed.granted, parsed.services
    draft = draft_choice(
        request,
        policy,
        granted,
        parsed.lang,
        previous.consent_id if previous else None,
        False,
        services,
        parsed.source,
    )
    record = await _append(rt, draft, cors)
    if isinstance(record, Response):
        return record
    if previous is not None:
        rt.revocations.add(previous.consent_id)
    rt.metrics.consents[(policy.slug, record.action)] += 1
    token = rt.tokens.issue(record.consent_id, policy.slug, policy.version, granted, services)
    response = JSONResponse(
        {
            "consent_id": record.consent_id,
            "token": token,
            "granted": sorted(granted),
            "services": sorted(services),
            "expires_at": record.expires_at,
        },
        status_code=201,
        headers=cors,
    )
    _expire_cookies(response, request, policy, policy.optional_category_ids - granted)
    if parsed.source != "gpc":  # a GPC signal is applied without writing a consent cookie
        _set_cookie(response, request, token, policy.consent_days * 86400)
    return response


async def show_choice(request: Request) -> Response:
    policy = _policy_or_404(request)
    if isinstance(policy, Response):
        return policy
    cors = _cors(policy, request)
    claims = current_claims(runtime(request), policy, presented_token(request))
    if claims is None:
        return json_error(404, "no current consent for this site", headers=cors)
    return JSONResponse(
        {
            "consent_id": claims.consent_id,
            "site": policy.slug,
            "granted": sorted(claims.granted),
            "services": sorted(claims.services),
            "policy_version": claims.policy_version,
            "issued_at": iso(claims.issued_at),
            "expires_at": iso(claims.expires_at(policy.consent_days)),
        },
        headers={**cors, "Cache-Control": "no-store"},
    )


async def withdraw_choice(request: Request) -> Response:
    policy = _policy_or_404(request)
    if isinstance(policy, Response):
        return policy
    origin = request.headers.get("origin")
    if origin is not None and not policy.allows_origin(origin):
        return json_error(403, "origin not allowed for this site")
    cors = _cors(policy, request)
    limited = _over_limit(request, cors)
    if limited is not None:
        return limited
    rt = runtime(request)
    claims = current_claims(rt, policy, presented_token(request))
    if claims is None:
        return json_error(404, "no current consent to withdraw", headers=cors)
    lang = request.query_params.get("lang", policy.default_language)
    if lang not in policy.languages:
        lang = policy.default_language
    draft = draft_choice(
        request, policy, policy.required_category_ids, lang, claims.consent_id, True
    )
    record = await _append(rt, draft, cors)
    if isinstance(record, Response):
        return record
    rt.revocations.add(claims.consent_id)
    rt.metrics.consents[(policy.slug, record.action)] += 1
    response = JSONResponse(
        {"consent_id": record.consent_id, "withdrawn": claims.consent_id}, headers=cors
    )
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    _expire_cookies(response, request, policy, policy.optional_category_ids)
    return response


def _expire_cookies(
    response: Response, request: Request, policy: Policy, denied: frozenset[str]
) -> None:
    for name in expirable_cookies(policy, denied):
        response.delete_cookie(name, path="/", secure=request.url.scheme == "https")


routes = [
    Route("/consent/banner.js", banner_js, methods=["GET", "HEAD"]),
    Route("/consent/tracker.js", tracker_js, methods=["GET", "HEAD"]),
    Route("/tracker.js", tracker_js, methods=["GET", "HEAD"]),
    Route("/consent/banner-settings.js", banner_settings_js, methods=["GET", "HEAD"]),
    Route("/consent/{site}/config", site_config, methods=["GET", "HEAD"]),
    Route("/consent/{site}/details", site_details, methods=["GET", "HEAD"], name="consent_details"),
    Route("/.well-known/gpc.json", gpc_json, methods=["GET", "HEAD"]),
    Route("/consent/{site}", record_choice, methods=["POST"]),
    Route("/consent/{site}", show_choice, methods=["GET", "HEAD"]),
    Route("/consent/{site}", withdraw_choice, methods=["DELETE"]),
    Route("/consent/{site}", preflight, methods=["OPTIONS"]),
]
