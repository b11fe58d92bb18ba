"""The site owner's dashboard at ``/dashboard/{site}`` and its shared read-only copy.

Routes:

- ``GET /dashboard/{site}``: the dashboard, or the login form when the browser has no session
  that may read the site. ``POST`` the form (``token``, ``csrf``) to log in.
- ``POST /dashboard/{site}/logout`` and ``POST /dashboard/{site}/share`` (both with ``csrf``).
- ``GET /dashboard/{site}/csv/{report}``: the stats API's CSV for the shown period, for the
  session (the API itself wants a bearer token, which the browser does not hold).
- ``GET /share/{site}/{token}``: the public dashboard a shared link opens; no login, no CSV,
  breakdown rows with fewer than ``privacy.report_min_visitors`` visitors left out.
- ``GET /dashboard/static/dashboard.css``: the one stylesheet.

Pages carry a strict Content-Security-Policy: no script at all, styles only from the
stylesheet, forms only to this origin, no framing. Every stored value reaches the page through
Jinja's autoescaping or the escaping SVG builder in ``charts``. Stored URLs are printed as text,
never as links, so no visitor-supplied URL is ever followed from the dashboard.
Nothing a client sends can cause a 5xx: bad parameters get the page again with an error.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Message

from gateway.dashboard import throttle, view
from gateway.dashboard.session import (
    SESSION_SECONDS,
    Session,
    SessionCodec,
    ShareCodec,
    anonymous,
    is_admin_session,
    may_read,
    open_session,
)
from gateway.net.body import BodyTooLarge, read_body
from gateway.policy import Policy
from gateway.reports import definitions as d
from gateway.reports.params import MAX_FILTERS, ParamError, parse_filter
from gateway.reports.periods import DateRange, PeriodError, period_from_params
from gateway.reports.queries import Query
from gateway.reports.source import Filter
from gateway.runtime import Runtime, runtime

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
COOKIE: Final = "gw_dashboard"
MAX_FORM_BYTES: Final = 16 * 1024
SHARE_DAYS: Final = {"never": None, "7": 7, "30": 30, "90": 90, "365": 365}
CSV_REPORTS: Final = ("summary", "timeseries", "consents", *d.dimension_names())
CSP: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
EXPIRED_FORM: Final = "This form has expired or was not sent from this page. Please try again."
WRONG_TOKEN: Final = "This token cannot open this site's dashboard."

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["number"] = view.fmt_int
_env.filters["percent"] = view.fmt_percent


@functools.cache
def _stylesheet() -> bytes:
    return _env.get_template("dashboard.css").render().encode()


def _now() -> float:
    return time.time()


@functools.lru_cache(maxsize=8)
def _codecs(keys: tuple[str, ...]) -> tuple[SessionCodec, ShareCodec]:
    return SessionCodec(keys), ShareCodec(keys)


def _sessions(rt: Runtime) -> SessionCodec:
    return _codecs(rt.settings.secret_keys)[0]


def _shares(rt: Runtime) -> ShareCodec:
    return _codecs(rt.settings.secret_keys)[1]


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _cookie_path(request: Request) -> str:
    return f"{_root(request)}/dashboard/"


def _page(template: str, status: int = 200, /, **context: object) -> HTMLResponse:
    html = _env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def _message(request: Request, status: int, title: str, text: str, back: str | None) -> Response:
    return _page(
        "dashboard_message.html", status, root=_root(request), title=title, text=text, back=back
    )


def _set_session(request: Request, response: Response, rt: Runtime, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        _sessions(rt).dumps(session),
        max_age=SESSION_SECONDS,
        path=_cookie_path(request),
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def _session(request: Request, rt: Runtime, now: float) -> Session | None:
    return _sessions(rt).loads(request.cookies.get(COOKIE), now)


def _page_state(request: Request) -> str:
    """The ``from``/``to``/``filter`` of a request as a query string (for redirects)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k in ("from", "to") and v]
    kept += [("filter", v) for v in request.query_params.getlist("filter")[: MAX_FILTERS + 1]]
    return urlencode(kept)


def _filters(request: Request) -> tuple[Filter, ...] | str:
    """The page's ``filter=name:value`` parameters (as the stats API takes them), or what is
    wrong with them."""
    texts = request.query_params.getlist("filter")
    if len(texts) > MAX_FILTERS:
        return f"At most {MAX_FILTERS} filters."
    try:
        return tuple(parse_filter(text) for text in texts)
    except ParamError as exc:
        return f"Bad filter: {exc}."


def _dashboard_url(request: Request, slug: str, query: str = "") -> str:
    return f"{_root(request)}/dashboard/{slug}" + (f"?{query}" if query else "")


def _cross_site(request: Request) -> bool:
    """A browser that says the form came from another site (Fetch Metadata) is refused
    outright, in addition to the CSRF token."""
    return request.headers.get("sec-fetch-site", "same-origin") in ("cross-site", "same-site")


async def _form(request: Request) -> dict[str, str] | None:
    """An ``application/x-www-form-urlencoded`` body of at most 16 KiB (the dashboard's forms
    are small); None for anything else."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    try:
        body = await read_body(request, MAX_FORM_BYTES)
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (BodyTooLarge, UnicodeDecodeError, ValueError):
        return None
    return dict(pairs)


def _login_form(
    request: Request,
    rt: Runtime,
    slug: str,
    policy: Policy | None,
    session: Session | None,
    now: float,
    error: str | None = None,
    status: int = 200,
) -> Response:
    state = session if session is not None else anonymous(now)
    response = _page(
        "login.html",
        status,
        root=_root(request),
        slug=slug,
        site_name=policy.name if policy is not None else slug,
        csrf=state.csrf,
        error=error,
        other_session=session is not None and session.logged_in,
    )
    if session is None:
        _set_session(request, response, rt, state)
    return response


def _attempt(request: Request, kind: str, slug: str) -> throttle.Key:
    return throttle.key(kind, request.client.host if request.client else None, slug)


def too_many_text(verdict: throttle.Verdict) -> str:
    minutes = max(1, -(-verdict.retry_after // 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Too many failed attempts from your address. "
        f"Please wait {minutes} {unit} before trying again."
    )


def _parse_period(params: Mapping[str, str], today: datetime) -> DateRange | str:
    try:
        return period_from_params(
            params.get("from") or None, params.get("to") or None, today.date()
        )
    except PeriodError as exc:
        return str(exc)


async def _render_dashboard(
    request: Request,
    rt: Runtime,
    policy: Policy,
    *,
    public: bool,
    csrf: str = "",
) -> Response:
    now = datetime.fromtimestamp(_now(), UTC)
    params = dict(request.query_params)
    period = _parse_period(params, now)
    # A shared link shows the site unfiltered: a filter could narrow its numbers down to
    # fewer visitors than the breakdown tables are allowed to show.
    filters = () if public else _filters(request)
    context: dict[str, object] = {
        "root": _root(request),
        "site_name": policy.name,
        "slug": policy.slug,
        "public": public,
        "csrf": csrf,
        "min_visitors": policy.report_min_visitors,
        "form_from": params.get("from", ""),
        "form_to": params.get("to", ""),
        "chips": [],
        "filter_params": [],
        "filter_suffix": "",
    }
    if isinstance(period, str):
        return _page("dashboard.html", 400, error=period, **context)
    if isinstance(filters, str):
        return _page("dashboard.html", 400, error=filters, **context)
    interval = view.interval_for(period)
    query = Query(policy.slug, period, filters)
    required = sorted(policy.required_category_ids)
    limit = view.PUBLIC_FETCH if public else view.TABLE_ROWS
    data = await rt.store.read_reports(
        lambda src: view.collect(src, query, interval, required, limit, None if public else now)
    )
    min_visitors = policy.report_min_visitors if public else 0
    optional = [c.id for c in policy.categories if not c.required]
    csv_query = view.page_query(period, filters)[1:]
    filter_params = [f"{f.name}:{f.value}" for f in filters]
    context.update(
        period=period,
        period_text=view.period_text(period),
        previous_text=view.period_text(period.previous()),
        form_from=period.start,
        form_to=period.end,
        presets=view.presets(now.date(), period),
        tiles=view.tiles(data.summary),
        visits=view.visits_chart(data.series, interval, data.previous_series),
        consent=view.consent_chart(data.consents, period, interval, optional),
        consent_totals=data.consents,
        tables=[
            view.table(
                spec,
                data.tables[spec.name],
                min_visitors,
                links=None if public else (period, filters),
            )
            for spec in view.TABLES
        ],
        chips=view.chips(period, filters),
        clear_filters=view.page_query(period, ()),
        filter_params=filter_params,
        filter_suffix="".join("&" + urlencode({"filter": f}) for f in filter_params),
        realtime=data.realtime,
        csv_base=f"{_root(request)}/dashboard/{policy.slug}/csv",
        csv_query=csv_query,
        interval=interval,
    )
    return _page("dashboard.html", **context)


# -- owner routes ------------------------------------------------------------------------------


def _readable(rt: Runtime, session: Session | None, policy: Policy | None) -> Policy | None:
    if session is None or policy is None:
        return None
    return policy if may_read(session, policy, rt.settings.admin_token) else None


async def dashboard(request: Request) -> Response:
    rt = runtime(request)
    slug = request.path_params["site"]
    policy = rt.policies.by_slug(slug)
    now = _now()
    session = _session(request, rt, now)
    if (
        policy is None
        and session is not None
        and is_admin_session(session, rt.settings.admin_token)
    ):
        return _message(request, 404, "Unknown site", "No site has this name.", None)
    readable = _readable(rt, session, policy)
    if readable is None or session is None:
        return _login_form(request, rt, slug, policy, session, now)
    return await _render_dashboard(request, rt, readable, public=False, csrf=session.csrf)


async def login(request: Request) -> Response:
    rt = runtime(request)
    slug = request.path_params["site"]
    policy = rt.policies.by_slug(slug)
    now = _now()
    state = _session(request, rt, now)
    form = await _form(request)
    if (
        form is None
        or state is None
        or _cross_site(request)
        or not state.csrf_matches(form.get("csrf"))
    ):
        return _login_form(request, rt, slug, policy, state, now, EXPIRED_FORM, 403)
    attempt = _attempt(request, "dashboard", slug)
    verdict = rt.throttle.check(attempt, now)
    if not verdict.allowed:  # the token is not even looked at
        response = _login_form(request, rt, slug, policy, state, now, too_many_text(verdict), 429)
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    session = open_session(form.get("token", ""), rt.policies, rt.settings.admin_token, now)
    if session is None or (
        policy is None and not is_admin_session(session, rt.settings.admin_token)
    ):
        rt.throttle.failed(attempt, now)
        return _login_form(request, rt, slug, policy, state, now, WRONG_TOKEN, 403)
    if policy is None:
        rt.throttle.succeeded(attempt)
        return _message(request, 404, "Unknown site", "No site has this name.", None)
    if not may_read(session, policy, rt.settings.admin_token):
        rt.throttle.failed(attempt, now)
        return _login_form(request, rt, slug, policy, state, now, WRONG_TOKEN, 403)
    rt.throttle.succeeded(attempt)
    response = RedirectResponse(_dashboard_url(request, policy.slug, _page_state(request)), 303)
    _set_session(request, response, rt, session)  # a new session: a new CSRF value
    return response


async def _checked_post(
    request: Request,
) -> tuple[Runtime, Policy, Session, dict[str, str]] | Response:
    """A logged-in form post: the session may read the site and the CSRF value matches."""
    rt = runtime(request)
    slug = request.path_params["site"]
    session = _session(request, rt, _now())
    policy = _readable(rt, session, rt.policies.by_slug(slug))
    back = _dashboard_url(request, slug)
    if policy is None or session is None:
        return _message(request, 403, "Not logged in", "Please log in again.", back)
    form = await _form(request)
    if form is None or _cross_site(request) or not session.csrf_matches(form.get("csrf")):
        return _message(request, 403, "Form expired", EXPIRED_FORM, back)
    return rt, policy, session, form


async def logout(request: Request) -> Response:
    checked = await _checked_post(request)
    if isinstance(checked, Response):
        return checked
    _, policy, _, _ = checked
    response = RedirectResponse(_dashboard_url(request, policy.slug), 303)
    response.delete_cookie(
        COOKIE,
        path=_cookie_path(request),
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


async def share(request: Request) -> Response:
    checked = await _checked_post(request)
    if isinstance(checked, Response):
        return checked
    rt, policy, session, form = checked
    choice = form.get("days", "never")
    if choice not in SHARE_DAYS:
        return _message(request, 400, "Unknown validity", "Choose how long the link works.", None)
    days = SHARE_DAYS[choice]
    now = _now()
    token = _shares(rt).create(policy.slug, now, days)
    base = str(request.base_url).rstrip("/")
    url = f"{base}/share/{policy.slug}/{token}"
    expires = None
    if days is not None:
        expires = view.day_text(datetime.fromtimestamp(now + days * 86400, UTC).date())
    return _page(
        "dashboard_shared.html",
        root=_root(request),
        slug=policy.slug,
        site_name=policy.name,
        url=url,
        expires=expires,
        back=_dashboard_url(request, policy.slug),
    )


async def csv_export(request: Request) -> Response:
    """The stats API's CSV, fetched in-process through the app's own router.

    The session has been checked for this site; the sub-request carries the admin token, only
    inside this process, to a path built from the verified site and a report name from a fixed
    list, with ``from``/``to``/``interval`` copied. So the file is byte for byte what
    ``/api/sites/{site}/stats/{report}?format=csv`` returns, with the same columns and the
    same protection of spreadsheet formulas.
    """
    rt = runtime(request)
    slug = request.path_params["site"]
    policy = _readable(rt, _session(request, rt, _now()), rt.policies.by_slug(slug))
    if policy is None:
        return _message(
            request, 403, "Not logged in", "Please log in.", _dashboard_url(request, slug)
        )
    report = request.path_params["report"]
    if report not in CSV_REPORTS:
        return _message(request, 404, "Unknown report", "There is no such report.", None)
    params = [(k, v) for k in ("from", "to", "interval") if (v := request.query_params.get(k))]
    if report != "consents":  # consent decisions are not visits: filters do not apply
        params += [("filter", v) for v in request.query_params.getlist("filter")[:MAX_FILTERS]]
    if report not in ("summary", "timeseries", "consents"):
        params.append(("limit", "1000"))
    params.append(("format", "csv"))
    status, headers, body = await _subrequest(
        request, f"/api/sites/{policy.slug}/stats/{report}", urlencode(params)
    )
    if status != 200:
        return _message(
            request,
            status if 400 <= status < 500 else 502,
            "No CSV",
            "This report could not be exported for these dates.",
            _dashboard_url(request, policy.slug),
        )
    kept = {k: v for k, v in headers.items() if k in ("content-type", "content-disposition")}
    return Response(body, headers={**kept, "Cache-Control": "no-store"})


async def _subrequest(request: Request, path: str, query: str) -> tuple[int, dict[str, str], bytes]:
    rt = runtime(request)
    root = _root(request)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": request.url.scheme,
        "server": request.scope.get("server"),
        "client": request.scope.get("client"),
        "root_path": root,
        "path": root + path,
        "raw_path": (root + path).encode(),
        "query_string": query.encode(),
        "headers": [
            (b"host", request.headers.get("host", "localhost").encode("latin-1")),
            (b"authorization", f"Bearer {rt.settings.admin_token}".encode()),
        ],
        "state": dict(request.scope.get("state", {})),
    }
    status = 500
    headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for name, value in message.get("headers", []):
                headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await request.app(scope, receive, send)
    return status, headers, b"".join(chunks)


# -- public routes -----------------------------------------------------------------------------


async def shared(request: Request) -> Response:
    rt = runtime(request)
    slug = request.path_params["site"]
    now = _now()
    attempt = _attempt(request, "share", slug)
    verdict = rt.throttle.check(attempt, now)
    if not verdict.allowed:
        response = _message(request, 429, "Too many attempts", too_many_text(verdict), None)
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    grant = _shares(rt).read(request.path_params["token"], slug, now)
    policy = rt.policies.by_slug(slug)
    if grant is None or policy is None:
        rt.throttle.failed(attempt, now)
        return _message(
            request, 404, "Link not valid", "This link is not valid or has expired.", None
        )
    return await _render_dashboard(request, rt, policy, public=True)


async def stylesheet(request: Request) -> Response:
    return Response(
        _stylesheet(),
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


routes = [
    Route("/dashboard/static/dashboard.css", stylesheet, methods=["GET", "HEAD"]),
    Route("/dashboard/{site}", dashboard, methods=["GET", "HEAD"]),
    Route("/dashboard/{site}", login, methods=["POST"]),
    Route("/dashboard/{site}/logout", logout, methods=["POST"]),
    Route("/dashboard/{site}/share", share, methods=["POST"]),
    Route("/dashboard/{site}/csv/{report}", csv_export, methods=["GET"]),
    Route("/share/{site}/{token}", shared, methods=["GET", "HEAD"]),
]
