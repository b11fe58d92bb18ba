"""HTTP routes for consent: the banner, its per-site config, and recording choices.

Only a policy's own origins may record or withdraw a choice (Origin check plus CORS for exactly
those origins, with credentials). A 201 means the ledger record is committed.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from gateway.consent.ledger import ConsentDraft, classify_action
from gateway.consent.tokens import ConsentClaims, utcnow
from gateway.errors import json_error
from gateway.net.body import BodyTooLarge, read_body
from gateway.policy import Policy
from gateway.runtime import Runtime, runtime
from gateway.timefmt import iso
from gateway.tracking.anonymize import truncate_ip

COOKIE = "gw_consent"
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
    return FileResponse(
        SCRIPTS / name,
        media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )


async def banner_js(request: Request) -> Response:
    return script_response("banner.js")


async def tracker_js(request: Request) -> Response:
    return script_response("tracker.js")


async def site_config(request: Request) -> Response:
    policy = _policy_or_404(request)
    if isinstance(policy, Response):
        return policy
    privacy_url = policy.privacy_url or str(request.url_for("privacy_notice", site=policy.slug))
    body = {
        "site": policy.slug,
        "name": policy.name,
        "version": policy.version,
        "languages": list(policy.languages),
        "default_language": policy.default_language,
        "consent_days": policy.consent_days,
        "privacy_url": privacy_url,
        "categories": [
            {
                "id": c.id,
                "required": c.required,
                "title": dict(c.title),
                "description": dict(c.description),
                "services": [
                    {
                        "name": s.name,
                        "provider": s.provider,
                        "purpose": dict(s.purpose),
                        "cookies": list(s.cookies),
                    }
                    for s in c.services
                ],
            }
            for c in policy.categories
        ],
        "texts": {lang: dict(texts) for lang, texts in policy.texts.items()},
    }
    return JSONResponse(
        body,
        headers={"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*"},
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


def _parse_choice(body: bytes, policy: Policy) -> tuple[frozenset[str], str, str] | str:
    """Validate a POST body; return (granted, lang, policy_version) or an error message."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
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
    return frozenset(granted) | policy.required_category_ids, lang, version


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


def _draft(
    request: Request,
    policy: Policy,
    granted: frozenset[str],
    lang: str,
    supersedes: str | None,
    withdraw: bool,
) -> ConsentDraft:
    rt = runtime(request)
    now = utcnow()
    peer = request.client.host if request.client else "0.0.0.0"
    ua = rt.user_agents.classify(request.headers.get("user-agent"))
    denied = policy.optional_category_ids - granted
    return ConsentDraft(
        consent_id=str(uuid.uuid4()),
        site=policy.slug,
        ts=iso(now),
        action="withdraw" if withdraw else classify_action(granted, policy.optional_category_ids),
        policy_version=policy.version,
        policy_hash=policy.hash,
        granted=tuple(sorted(granted)),
        denied=tuple(sorted(denied)),
        lang=lang,
        supersedes=supersedes,
        expires_at=None if withdraw else iso(now + timedelta(days=policy.consent_days)),
        ip=truncate_ip(peer, policy.ip_mask_bytes),
        ua_family=ua.browser,
    )


async def record_choice(request: Request) -> Response:
    policy = _policy_or_404(request)
    if isinstance(policy, Response):
        return policy
    if not policy.allows_origin(request.headers.get("origin")):
        return json_error(403, "origin not allowed for this site")
    cors = _cors(policy, request)
    try:
        body = await read_body(request, MAX_CONSENT_BODY)
    except BodyTooLarge:
        return json_error(413, "request body too large", headers=cors)
    parsed = _parse_choice(body, policy)
    if isinstance(parsed, str):
        return json_error(400, parsed, headers=cors)
    granted, lang, sent_version = parsed
    if sent_version != policy.version:
        return JSONResponse(
            {"error": "the policy has changed; ask again", "policy_version": policy.version},
            status_code=409,
            headers=cors,
        )
    rt = runtime(request)
    previous = current_claims(rt, policy, presented_token(request))
    draft = _draft(request, policy, granted, lang, previous.consent_id if previous else None, False)
    record = await rt.writer.append_consent(draft)
    if previous is not None:
        rt.revocations.add(previous.consent_id)
    rt.metrics.consents[(policy.slug, record.action)] += 1
    token = rt.tokens.issue(record.consent_id, policy.slug, policy.version, granted)
    response = JSONResponse(
        {
            "consent_id": record.consent_id,
            "token": token,
            "granted": sorted(granted),
            "expires_at": record.expires_at,
        },
        status_code=201,
        headers=cors,
    )
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
    rt = runtime(request)
    claims = current_claims(rt, policy, presented_token(request))
    if claims is None:
        return json_error(404, "no current consent to withdraw", headers=cors)
    lang = request.query_params.get("lang", policy.default_language)
    if lang not in policy.languages:
        lang = policy.default_language
    draft = _draft(request, policy, policy.required_category_ids, lang, claims.consent_id, True)
    record = await rt.writer.append_consent(draft)
    rt.revocations.add(claims.consent_id)
    rt.metrics.consents[(policy.slug, record.action)] += 1
    response = JSONResponse(
        {"consent_id": record.consent_id, "withdrawn": claims.consent_id}, headers=cors
    )
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


routes = [
    Route("/consent/banner.js", banner_js, methods=["GET", "HEAD"]),
    Route("/consent/tracker.js", tracker_js, methods=["GET", "HEAD"]),
    Route("/tracker.js", tracker_js, methods=["GET", "HEAD"]),
    Route("/consent/{site}/config", site_config, methods=["GET", "HEAD"]),
    Route("/consent/{site}", record_choice, methods=["POST"]),
    Route("/consent/{site}", show_choice, methods=["GET", "HEAD"]),
    Route("/consent/{site}", withdraw_choice, methods=["DELETE"]),
    Route("/consent/{site}", preflight, methods=["OPTIONS"]),
]
