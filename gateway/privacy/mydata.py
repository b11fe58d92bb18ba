"""The visitor's own data: see it, take it along, erase it, withdraw, object to analytics.

``/privacy/{site}/my-data`` serves GDPR Art. 15 (access), 20 (portability), 17 (erasure),
7(3) (withdrawal) and 21 (objection) to the visitor themself:

- ``GET``: the caller's consent records and the hits stored under them, as JSON (``?format=json``
  as a file download). A browser navigation (``Accept: text/html``) gets the same as a page in
  the visitor's language (``?lang=``) with buttons for the actions below.
- ``DELETE``: erase. The hits go through the same machinery as the site owner's erasure
  (``VisitMaintainer.forget``: hits, visits and every report rollup in one transaction); the
  consent records stay as proof of consent but lose IP, user agent and salt (the hash chain
  still verifies); a withdrawal is recorded, so the consent stops counting on every instance
  within the revocation poll. Answers ``{"hits_erased": n, "consent_records_pseudonymised": m}``.
- ``POST`` (form): the page's buttons (``action`` = view, download, erase, withdraw, object) and
  the banner's "My data" link, which posts the visitor's token from the site's page.

Who may: only the holder of a consent token this gateway signed for this site (the banner's
token as ``Authorization: Bearer``, the ``gw_consent`` parameter, or the ``gw_consent``
cookie; for POST only the form field). Missing: 401; not genuine, expired or another site's:
403. A superseded or withdrawn token still opens the visitor's own data: the records are a
chain linked through ``supersedes`` (``gateway.storage.own_data``).

Forms: a POST is authorised by the token in its body, never by a cookie, so another site cannot
forge one for the visitor; the actions that change something also need a double-submit CSRF
value (an HttpOnly ``SameSite=Strict`` cookie echoed in the form). The page runs no script and
carries a strict Content-Security-Policy (its one stylesheet by nonce, forms to itself only).
"""

from __future__ import annotations

import hmac
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from gateway.api.auth import bearer_token
from gateway.consent.config import pick_language
from gateway.consent.ledger import ConsentDraft, ConsentRecord
from gateway.consent.routes import COOKIE, draft_choice
from gateway.consent.tokens import ConsentClaims, utcnow
from gateway.errors import json_error
from gateway.net.body import BodyTooLarge, read_body
from gateway.policy import Policy
from gateway.runtime import Runtime, runtime
from gateway.storage.own_data import OwnData
from gateway.timefmt import iso

TEMPLATES: Final = Path(__file__).resolve().parent.parent / "templates"
TEXTS_FILE: Final = Path(__file__).resolve().parent / "my_data_texts.toml"
CSRF_COOKIE: Final = "gw_mydata"
ANALYTICS: Final = "analytics"
SOURCE: Final = "mydata"  # the ledger's ``source`` of choices made on this page
ACTIONS: Final = ("view", "download", "erase", "withdraw", "object")
CHANGES: Final = frozenset({"erase", "withdraw", "object"})
PAGE_HITS: Final = 100  # the page lists the latest hits; the JSON download has them all
MAX_FORM_BYTES: Final = 16 * 1024
_CSRF_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]{20,64}")

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def _all_texts() -> dict[str, dict[str, str]]:
    with TEXTS_FILE.open("rb") as handle:
        return tomllib.load(handle)


def page_texts(lang: str) -> dict[str, str]:
    """The page's texts in ``lang`` (fi, sv, en built in; any other language gets English)."""
    texts = _all_texts()
    return texts.get(lang, texts["en"])


def presented_token(request: Request) -> str | None:
    """The consent token of a GET or DELETE: the Bearer header, the ``gw_consent`` parameter,
    then the ``gw_consent`` cookie (explicit credentials before the ambient one)."""
    return (
        bearer_token(request.headers.get("authorization"))
        or request.query_params.get(COOKIE)
        or request.cookies.get(COOKIE)
    )


def verify(rt: Runtime, policy: Policy, token: str) -> ConsentClaims | None:
    """The claims of a genuine, unexpired token of this site - revoked ones and those of older
    policy versions included: a visitor who changed or withdrew a choice, or was asked again
    after the policy changed, still owns the data stored before. A token is accepted for as
    long as its consent record may be kept."""
    return rt.tokens.owner(token, site=policy.slug, max_age_days=policy.retention.consents_days)


def export(policy: Policy, data: OwnData) -> dict[str, object]:
    """The portable copy: every consent record (without the private salt) and every hit."""
    return {
        "site": policy.slug,
        "exported_at": iso(utcnow()),
        "consent_records": [record.public() for record in data.records],
        "hits": list(data.hits),
    }


def wants_page(request: Request) -> bool:
    if request.query_params.get("format") == "json":
        return False
    return "text/html" in request.headers.get("accept", "")


# ---- choices this page records ------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a form's action did: the note shown, the token the page keeps using, and the
    ``gw_consent`` cookie change (replaced by ``new_token`` if the visitor has one, or cleared).
    """

    note: str
    token: str
    new_token: str | None = None
    clear_cookie: bool = False


def without_analytics(policy: Policy, head: ConsentRecord) -> tuple[frozenset[str], frozenset[str]]:
    """The categories and services of ``head`` less analytics and the services it covers."""
    covered = {service.id for category, service in policy.services if category.id == ANALYTICS}
    granted = (frozenset(head.granted) - {ANALYTICS}) | policy.required_category_ids
    return granted, frozenset(head.services) - covered


def counts_analytics(policy: Policy, head: ConsentRecord) -> bool:
    granted, services = without_analytics(policy, head)
    return ANALYTICS in head.granted or services != frozenset(head.services)


def draft(
    request: Request,
    policy: Policy,
    lang: str,
    *,
    supersedes: str | None,
    granted: frozenset[str] | None = None,
    services: frozenset[str] = frozenset(),
    personal: bool = True,
) -> ConsentDraft:
    """A record of this page: a withdrawal when ``granted`` is None, else a choice.

    ``personal=False`` (the withdrawal that ends an erasure) stores no IP and no user agent.
    """
    withdraw = granted is None
    chosen = policy.required_category_ids if granted is None else granted
    return draft_choice(
        request,
        policy,
        chosen,
        lang,
        supersedes,
        withdraw,
        services,
        SOURCE,
        personal=personal,
    )


async def erase(
    request: Request, policy: Policy, claims: ConsentClaims, lang: str
) -> dict[str, object] | None:
    """Erase the caller's data (see the module docstring); None if the token's record is gone."""
    rt = runtime(request)
    stop = draft(request, policy, lang, supersedes=None, personal=False)
    erasure = await rt.store.erase_own_data(policy.slug, claims.consent_id, stop)
    if erasure is None:
        return None
    if erasure.withdrawal is not None:
        revoked = erasure.withdrawal.supersedes
        if revoked is not None:
            rt.revocations.add(revoked)
        rt.metrics.consents[(policy.slug, "withdraw")] += 1
    return {
        "site": policy.slug,
        "hits_erased": erasure.hits_erased,
        "consent_records_pseudonymised": erasure.records_pseudonymised,
        "withdrawn": erasure.withdrawal.supersedes if erasure.withdrawal else None,
    }


async def withdraw(request: Request, policy: Policy, head: ConsentRecord, lang: str) -> bool:
    """Record a withdrawal of ``head``; False when it is a withdrawal already."""
    if head.action == "withdraw":
        return False
    rt = runtime(request)
    record = await rt.writer.append_consent(
        draft(request, policy, lang, supersedes=head.consent_id)
    )
    rt.revocations.add(head.consent_id)
    rt.metrics.consents[(policy.slug, record.action)] += 1
    return True


async def object_to_analytics(
    request: Request, policy: Policy, head: ConsentRecord, lang: str
) -> str | None:
    """Record ``head``'s choice less analytics; return its new token (None: nothing to do)."""
    if not counts_analytics(policy, head):
        return None
    rt = runtime(request)
    granted, services = without_analytics(policy, head)
    record = await rt.writer.append_consent(
        draft(
            request,
            policy,
            lang,
            supersedes=head.consent_id,
            granted=granted,
            services=services,
        )
    )
    rt.revocations.add(head.consent_id)
    rt.metrics.consents[(policy.slug, record.action)] += 1
    return rt.tokens.issue(record.consent_id, policy.slug, policy.version, granted, services)


# ---- answers ------------------------------------------------------------------------------------


def _no_store(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", **(extra or {})}


def _json(body: dict[str, object], status: int = 200, download: str | None = None) -> Response:
    headers = _no_store({"Vary": "Accept, Cookie, Authorization"})
    if download:
        headers["Content-Disposition"] = f'attachment; filename="{download}"'
    return JSONResponse(body, status_code=status, headers=headers)


def _download(policy: Policy, data: OwnData) -> Response:
    return _json(export(policy, data), download=f"my-data-{policy.slug}.json")


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _csrf(request: Request) -> str:
    value = request.cookies.get(CSRF_COOKIE, "")
    return value if _CSRF_SHAPE.fullmatch(value) else secrets.token_urlsafe(24)


def _csrf_ok(request: Request, form: Mapping[str, str]) -> bool:
    cookie, sent = request.cookies.get(CSRF_COOKIE, ""), form.get("csrf", "")
    return bool(_CSRF_SHAPE.fullmatch(cookie)) and hmac.compare_digest(cookie, sent)


def _page(
    request: Request,
    policy: Policy,
    lang: str,
    *,
    status: int = 200,
    data: OwnData | None = None,
    token: str | None = None,
    note: str = "",
    problem: str | None = None,
) -> Response:
    """The page: the data with its forms, or only an explanation (``problem``)."""
    texts = page_texts(lang)
    nonce = secrets.token_urlsafe(16)
    csrf = _csrf(request)
    action = f"{_root(request)}/privacy/{policy.slug}/my-data"
    hits = list(reversed(data.hits))[:PAGE_HITS] if data else []
    html = _env.get_template("my_data.html").render(
        t=texts,
        policy=policy,
        lang=lang,
        nonce=nonce,
        csrf=csrf,
        action=action,
        token=token,
        note=note,
        problem=texts[problem] if problem else "",
        records=list(reversed(data.records)) if data else [],
        hits=hits,
        hit_total=len(data.hits) if data else 0,
        notice_url=policy.privacy_url or f"{_root(request)}/privacy/{policy.slug}?lang={lang}",
        counts_analytics=data is not None and counts_analytics(policy, data.head),
        withdrawn=data is not None and data.head.action == "withdraw",
        intro=texts["intro"].replace("{site}", policy.name),
    )
    headers = _no_store(
        {
            "Content-Security-Policy": (
                f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; "
                "frame-ancestors 'none'; base-uri 'none'"
            ),
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Vary": "Accept, Cookie, Authorization",
        }
    )
    response = HTMLResponse(html, status_code=status, headers=headers)
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        path=action,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def _refuse(
    request: Request, policy: Policy, lang: str, status: int, key: str, page: bool
) -> Response:
    if page:
        return _page(request, policy, lang, status=status, problem=key)
    return _json({"error": page_texts("en")[key]}, status)


def _policy(request: Request) -> Policy | None:
    return runtime(request).policies.by_slug(request.path_params["site"])


def _clear_consent_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


async def show_my_data(request: Request) -> Response:
    policy = _policy(request)
    if policy is None:
        return json_error(404, "unknown site")
    lang = pick_language(policy, request.query_params.get("lang"))
    page = wants_page(request)
    token = presented_token(request)
    if not token:
        return _refuse(request, policy, lang, 401, "missing", page)
    claims = verify(runtime(request), policy, token)
    if claims is None:
        return _refuse(request, policy, lang, 403, "invalid", page)
    data = await runtime(request).store.own_data(policy.slug, claims.consent_id)
    if data is None:
        return _refuse(request, policy, lang, 404, "unknown", page)
    if page:
        return _page(request, policy, lang, data=data, token=token)
    if request.query_params.get("format") == "json":
        return _download(policy, data)
    return _json(export(policy, data))


async def erase_my_data(request: Request) -> Response:
    policy = _policy(request)
    if policy is None:
        return json_error(404, "unknown site")
    lang = pick_language(policy, request.query_params.get("lang"))
    token = presented_token(request)
    if not token:
        return _json({"error": page_texts("en")["missing"]}, 401)
    claims = verify(runtime(request), policy, token)
    if claims is None:
        return _json({"error": page_texts("en")["invalid"]}, 403)
    result = await erase(request, policy, claims, lang)
    if result is None:
        return _json({"error": page_texts("en")["unknown"]}, 404)
    response = _json(result)
    _clear_consent_cookie(response, request)
    return response


async def my_data_form(request: Request) -> Response:
    policy = _policy(request)
    if policy is None:
        return json_error(404, "unknown site")
    try:
        body = await read_body(request, MAX_FORM_BYTES)
    except BodyTooLarge:
        return json_error(413, "request body too large")
    try:
        form = dict(parse_qsl(body.decode("utf-8", errors="replace"), max_num_fields=16))
    except ValueError:
        return json_error(400, "too many form fields")
    lang = pick_language(policy, form.get("lang") or request.query_params.get("lang"))
    action = form.get("action", "view")
    if action not in ACTIONS:
        return json_error(400, f"'action' must be one of: {', '.join(ACTIONS)}")
    token = form.get(COOKIE, "")
    if not token:
        return _refuse(request, policy, lang, 401, "missing", True)
    rt = runtime(request)
    claims = verify(rt, policy, token)
    if claims is None:
        return _refuse(request, policy, lang, 403, "invalid", True)
    data = await rt.store.own_data(policy.slug, claims.consent_id)
    if data is None:
        return _refuse(request, policy, lang, 404, "unknown", True)
    if action == "download":
        return _download(policy, data)
    if action in CHANGES and not _csrf_ok(request, form):
        return _page(request, policy, lang, status=403, data=data, token=token, problem="expired")
    outcome = await _act(request, policy, claims, data, action, lang, token)
    if action != "view":
        data = await rt.store.own_data(policy.slug, claims.consent_id)
    response = _page(request, policy, lang, data=data, token=outcome.token, note=outcome.note)
    if outcome.clear_cookie:
        _clear_consent_cookie(response, request)
    if outcome.new_token is not None and request.cookies.get(COOKIE):
        response.set_cookie(
            COOKIE,
            outcome.new_token,
            max_age=policy.consent_days * 86400,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


async def _act(
    request: Request,
    policy: Policy,
    claims: ConsentClaims,
    data: OwnData,
    action: str,
    lang: str,
    token: str,
) -> Outcome:
    """Carry out a form's action; what to tell the visitor and which token the page keeps."""
    texts = page_texts(lang)
    if action == "erase":
        result = await erase(request, policy, claims, lang)
        hits = result["hits_erased"] if result else 0
        records = result["consent_records_pseudonymised"] if result else 0
        note = texts["erased"].replace("{hits}", str(hits)).replace("{records}", str(records))
        return Outcome(note, token, clear_cookie=True)
    if action == "withdraw":
        done = await withdraw(request, policy, data.head, lang)
        note = texts["withdrawn" if done else "already_withdrawn"]
        return Outcome(note, token, clear_cookie=done)
    if action == "object":
        fresh = await object_to_analytics(request, policy, data.head, lang)
        if fresh is None:
            return Outcome(texts["already_off"], token)
        return Outcome(texts["objected"], fresh, new_token=fresh)
    return Outcome("", token)


routes = [
    Route("/privacy/{site}/my-data", show_my_data, methods=["GET", "HEAD"], name="my_data"),
    Route("/privacy/{site}/my-data", erase_my_data, methods=["DELETE"]),
    Route("/privacy/{site}/my-data", my_data_form, methods=["POST"]),
]
