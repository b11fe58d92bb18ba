"""The dashboard's "Visitor data (GDPR)" page: look a person up, see their hits, erase them.

- ``GET /dashboard/{site}/visitors``: the lookup form; with ``?id=`` (a visitor id, or the
  site's user id with ``&by=user_id``) also what is stored: hits, visits, linked consent
  records, and the erase form.
- ``POST /dashboard/{site}/visitors/erase`` (``csrf``, ``id``, ``by``, ``confirm=yes``): erase
  as ``DELETE /api/sites/{site}/visitors/{id}`` does - hits, visits and report counts in one
  transaction, linked consent records pseudonymised - and show what was removed.

The session and CSRF rules are the dashboard's (``gateway.dashboard.session``): a session that
may read the site, a form value matching the session's CSRF value, and no cross-site
``Sec-Fetch-Site``. The erase form needs its confirmation box ticked; without it nothing is
erased. The page carries the dashboard's strict CSP (no script); stored values are
autoescaped and URLs shown as text. Both routes are recorded in the access audit.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from gateway.api.visitors import BadLookup, Lookup, describe_lookup, parse_lookup, visitor_ids
from gateway.dashboard.routes import COOKIE, EXPIRED_FORM, PAGE_HEADERS
from gateway.dashboard.session import Session, SessionCodec, may_read
from gateway.net.body import BodyTooLarge, read_body
from gateway.policy import Policy
from gateway.runtime import Runtime, runtime

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MAX_FORM_BYTES: Final = 16 * 1024
HIT_ROWS: Final = 500  # hits shown on the page; the API answers all of them

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


@functools.lru_cache(maxsize=8)
def _codec(keys: tuple[str, ...]) -> SessionCodec:
    return SessionCodec(keys)


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _page(template: str, status: int = 200, /, **context: object) -> HTMLResponse:
    html = _env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def _message(request: Request, status: int, title: str, text: str, slug: str) -> Response:
    back = f"{_root(request)}/dashboard/{slug}"
    return _page(
        "dashboard_message.html", status, root=_root(request), title=title, text=text, back=back
    )


def _logged_in(request: Request) -> tuple[Runtime, Policy, Session] | Response:
    rt = runtime(request)
    slug = request.path_params["site"]
    session = _codec(rt.settings.secret_keys).loads(request.cookies.get(COOKIE), time.time())
    policy = rt.policies.by_slug(slug)
    if session is None or policy is None or not may_read(session, policy, rt.settings.admin_token):
        return _message(request, 403, "Not logged in", "Please log in to this dashboard.", slug)
    return rt, policy, session


async def _form(request: Request) -> dict[str, str] | None:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    try:
        body = await read_body(request, MAX_FORM_BYTES)
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20))
    except (BodyTooLarge, UnicodeDecodeError, ValueError):
        return None


def _context(
    request: Request, policy: Policy, session: Session, **extra: object
) -> dict[str, object]:
    return {
        "root": _root(request),
        "slug": policy.slug,
        "site_name": policy.name,
        "csrf": session.csrf,
        "form_id": "",
        "form_by": "visitor_id",
        "error": None,
        "data": None,
        "erased": None,
        **extra,
    }


async def visitors_page(request: Request) -> Response:
    checked = _logged_in(request)
    if isinstance(checked, Response):
        return checked
    rt, policy, session = checked
    value = request.query_params.get("id", "").strip()
    by = request.query_params.get("by", "visitor_id")
    context = _context(request, policy, session, form_id=value, form_by=by)
    if not value:
        return _page("dashboard_visitors.html", **context)
    try:
        lookup = parse_lookup(value, by)
    except BadLookup as exc:
        return _page("dashboard_visitors.html", 400, **{**context, "error": str(exc)})
    ids = await visitor_ids(rt, policy, lookup)
    data = await rt.store.visitor_data(policy.slug, ids) if ids else None
    if data is None or data.empty:
        return _page(
            "dashboard_visitors.html",
            404,
            **{**context, "error": "Nothing is stored for this visitor."},
        )
    context.update(
        data=data,
        hits=data.hits[-HIT_ROWS:][::-1],
        more_hits=max(0, len(data.hits) - HIT_ROWS),
        lookup=describe_lookup(rt, policy, lookup),
        visitor_ids=sorted({str(h["visitor_id"]) for h in data.hits}),
    )
    return _page("dashboard_visitors.html", **context)


async def erase(request: Request) -> Response:
    checked = _logged_in(request)
    if isinstance(checked, Response):
        return checked
    rt, policy, session = checked
    form = await _form(request)
    cross_site = request.headers.get("sec-fetch-site", "same-origin") in ("cross-site", "same-site")
    if form is None or cross_site or not session.csrf_matches(form.get("csrf")):
        return _message(request, 403, "Form expired", EXPIRED_FORM, policy.slug)
    value, by = form.get("id", "").strip(), form.get("by", "visitor_id")
    context = _context(request, policy, session, form_id=value, form_by=by)
    try:
        lookup: Lookup = parse_lookup(value, by)
    except BadLookup as exc:
        return _page("dashboard_visitors.html", 400, **{**context, "error": str(exc)})
    if form.get("confirm") != "yes":
        error = "Nothing was erased: tick the box to confirm the erasure."
        return _page("dashboard_visitors.html", 400, **{**context, "error": error})
    ids = await visitor_ids(rt, policy, lookup)
    erasure = await rt.store.erase_visitors(policy.slug, ids) if ids else None
    if erasure is None or erasure.hits == 0:
        return _page(
            "dashboard_visitors.html",
            404,
            **{**context, "error": "Nothing is stored for this visitor."},
        )
    context.update(erased=erasure, form_id="", lookup=describe_lookup(rt, policy, lookup))
    return _page("dashboard_visitors.html", **context)


routes = [
    Route("/dashboard/{site}/visitors", visitors_page, methods=["GET", "HEAD"]),
    Route("/dashboard/{site}/visitors/erase", erase, methods=["POST"]),
]
