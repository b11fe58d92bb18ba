"""A subset of Matomo's Reporting API at ``/index.php?module=API``, so Matomo clients can read.

Methods: ``VisitsSummary.get``, ``Actions.getPageUrls`` (always flat), ``Actions.getEntryPageUrls``,
``Referrers.getReferrerType``, ``Referrers.getWebsites``, ``UserCountry.getCountry``,
``DevicesDetection.getType``, ``DevicesDetection.getBrowsers`` and ``Events.getCategory``, with
Matomo's field names and shapes in ``format=JSON`` (the only format; a missing ``format`` means
JSON here). ``idSite`` is the policy's ``idsite``; ``token_auth`` (query or POST body, or a
bearer header) is the admin token or the site's token. ``period``/``date`` follow Matomo
(``gateway.reports.matomo_dates``), ``filter_limit`` (default 100, -1 for all) cuts rows, and
``segment`` accepts ``dimension==value`` conditions joined by ``;`` for the dimensions in
``SEGMENTS``.

Differences from Matomo, all deliberate: ``nb_uniq_visitors`` of ``VisitsSummary.get`` is exact
for every period (Matomo skips ranges by default); ``max_actions``, ``nb_users``, goal and
time-on-page metrics are not computed; errors come with a 4xx status (Matomo 5 does so for
authentication) and Matomo's body ``{"result": "error", "message": ...}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import parse_qsl, quote_plus, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.auth import bearer_token
from gateway.dashboard import throttle
from gateway.net.body import BodyTooLarge, read_body
from gateway.reports import definitions as d
from gateway.reports.countries import country_name
from gateway.reports.matomo_dates import MatomoDateError, resolve
from gateway.reports.params import access
from gateway.reports.queries import Query
from gateway.reports.sessions import VALUE_SCALE, language_value, page_value
from gateway.reports.source import Filter, ReportSource, RowData
from gateway.runtime import runtime

MAX_BODY: Final = 65536
DEFAULT_LIMIT: Final = 100
REFERRER_TYPES: Final = {  # our type -> (Matomo label, Matomo referer_type code)
    "direct": ("Direct Entry", 1),
    "search": ("Search Engines", 2),
    "website": ("Websites", 3),
    "campaign": ("Campaigns", 6),
    "social": ("Social Networks", 7),
}
DEVICE_LABELS: Final = {
    "desktop": "Desktop",
    "smartphone": "Smartphone",
    "tablet": "Tablet",
    "mobile": "Mobile",
    "bot": "Bot",
}


def _same(value: str) -> str:
    return value


# Matomo segment dimension -> (our filter name, how the value is read).
SEGMENTS: Final[Mapping[str, tuple[str, Callable[[str], str]]]] = {
    "countryCode": ("country", str.upper),
    "referrerType": ("referrer_type", str.lower),
    "referrerName": ("referrer", _same),
    "campaignName": ("campaign", str.lower),
    "deviceType": ("device", str.lower),
    "browserName": ("browser", _same),
    "operatingSystemName": ("os", _same),
    "resolution": ("resolution", _same),
    "languageCode": ("language", language_value),
    "pageUrl": ("page", page_value),
    "entryPageUrl": ("entry_page", page_value),
    "exitPageUrl": ("exit_page", page_value),
    "pageTitle": ("page_title", _same),
    "eventCategory": ("event_category", _same),
    "eventAction": ("event_action", _same),
    "eventName": ("event_name", _same),
}


class MatomoError(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def error(status: int, message: str, retry_after: int | None = None) -> JSONResponse:
    headers = None if retry_after is None else {"Retry-After": str(retry_after)}
    return JSONResponse(
        {"result": "error", "message": message}, status_code=status, headers=headers
    )


def parse_segment(segment: str) -> tuple[Filter, ...]:
    """``countryCode==fi;deviceType==desktop`` as filters (values URL-decoded)."""
    if not segment.strip():
        return ()
    found: list[Filter] = []
    for part in segment.split(";"):
        name, op, value = part.partition("==")
        if not op or "," in part:
            raise MatomoError(400, "Only segments of the form dimension==value joined by ';'.")
        if name not in SEGMENTS:
            raise MatomoError(400, f"The segment '{name}' is not supported here.")
        ours, read = SEGMENTS[name]
        found.append(Filter(ours, read(unquote_plus(value))))
    return tuple(found)


@dataclass(frozen=True)
class Context:
    period: str  # day, week, month, year or range
    limit: int | None
    origin: str

    @property
    def visitors_key(self) -> str:
        """Matomo reports unique visitors of a row for a day, their daily sum otherwise."""
        return self.visitors("")

    def visitors(self, prefix: str) -> str:
        """``entry_nb_uniq_visitors`` for a day, ``sum_daily_entry_nb_uniq_visitors`` else."""
        name = f"{prefix}_nb_uniq_visitors" if prefix else "nb_uniq_visitors"
        return name if self.period == "day" else f"sum_daily_{name}"


def _pct(part: int, whole: int) -> str:
    """Matomo's rate format: the quotient to two decimals, as a whole percentage."""
    return f"{round(100 * round(part / whole, 2))}%" if whole else "0%"


def visits_summary(src: ReportSource, q: Query, ctx: Context) -> object:
    first, last = q.period.start, q.period.end
    t = src.totals(q.site, first, last, q.filters)
    if not t.visits:
        return []
    return {
        "nb_uniq_visitors": src.visitors(q.site, first, last, q.filters),
        "nb_visits": t.visits,
        "nb_actions": t.actions,
        "bounce_count": t.bounces,
        "sum_visit_length": t.duration,
        "bounce_rate": _pct(t.bounces, t.visits),
        "nb_actions_per_visit": round(t.actions / t.visits, 1),
        "avg_time_on_site": round(t.duration / t.visits),
    }


def _visit_row(row: RowData, ctx: Context) -> dict[str, object]:
    return {
        ctx.visitors_key: row.visitors,
        "nb_visits": row.visits,
        "nb_actions": row.actions,
        "sum_visit_length": row.duration,
        "bounce_count": row.bounces,
    }


def _rows(src: ReportSource, q: Query, name: str, ctx: Context) -> list[RowData]:
    dim = d.BY_NAME[name]
    return src.rows(q.site, [dim.code], q.period.start, q.period.end, q.filters, ctx.limit)


def _by_value(src: ReportSource, q: Query, name: str, values: list[str]) -> dict[str, RowData]:
    if not values:
        return {}
    dim = d.BY_NAME[name]
    found = src.rows(q.site, [dim.code], q.period.start, q.period.end, q.filters, None, values)
    return {r.value: r for r in found}


def _url(ctx: Context, page: str) -> str:
    return ctx.origin + page


def page_urls(src: ReportSource, q: Query, ctx: Context) -> object:
    pages = _rows(src, q, "pages", ctx)
    values = [r.value for r in pages]
    entries = _by_value(src, q, "entry_pages", values)
    exits = _by_value(src, q, "exit_pages", values)
    result = []
    for r in pages:
        item: dict[str, object] = {
            "label": r.value,
            "nb_visits": r.visits,
            ctx.visitors_key: r.visitors,
            "nb_hits": r.hits,
        }
        entry, exit_ = entries.get(r.value), exits.get(r.value)
        if entry is not None:
            item.update(_entry_metrics(entry, ctx))
        if exit_ is not None:
            item["exit_nb_visits"] = exit_.visits
            item[ctx.visitors("exit")] = exit_.visitors
        item["bounce_rate"] = _pct(entry.bounces, entry.visits) if entry else "0%"
        item["exit_rate"] = _pct(exit_.visits if exit_ else 0, r.visits)
        url = _url(ctx, r.value)
        item["url"] = url
        item["segment"] = "pageUrl==" + quote_plus(url)
        result.append(item)
    return result


def _entry_metrics(entry: RowData, ctx: Context) -> dict[str, object]:
    return {
        "entry_nb_visits": entry.visits,
        ctx.visitors("entry"): entry.visitors,
        "entry_nb_actions": entry.actions,
        "entry_sum_visit_length": entry.duration,
        "entry_bounce_count": entry.bounces,
    }


def entry_page_urls(src: ReportSource, q: Query, ctx: Context) -> object:
    entries = _rows(src, q, "entry_pages", ctx)
    pages = _by_value(src, q, "pages", [r.value for r in entries])
    result = []
    for r in entries:
        page = pages.get(r.value)
        url = _url(ctx, r.value)
        result.append(
            {
                "label": r.value,
                "nb_visits": page.visits if page else 0,
                "nb_hits": page.hits if page else 0,
                **_entry_metrics(r, ctx),
                "bounce_rate": _pct(r.bounces, r.visits),
                "url": url,
                "segment": "entryPageUrl==" + quote_plus(url),
            }
        )
    return result


def referrer_types(src: ReportSource, q: Query, ctx: Context) -> object:
    result = []
    for r in _rows(src, q, "referrer_types", ctx):
        label, code = REFERRER_TYPES.get(r.value, (r.value, 0))
        result.append(
            {
                "label": label,
                **_visit_row(r, ctx),
                "segment": f"referrerType=={r.value}",
                "referrer_type": code,
            }
        )
    return result


def websites(src: ReportSource, q: Query, ctx: Context) -> object:
    return [
        {"label": r.value, **_visit_row(r, ctx), "segment": "referrerName==" + quote_plus(r.value)}
        for r in _rows(src, q, "websites", ctx)
    ]


def countries(src: ReportSource, q: Query, ctx: Context) -> object:
    result = []
    for r in _rows(src, q, "countries", ctx):
        code = r.value.lower() or "xx"
        result.append(
            {
                "label": country_name(r.value),
                **_visit_row(r, ctx),
                "code": code,
                "segment": f"countryCode=={code}",
            }
        )
    return result


def device_types(src: ReportSource, q: Query, ctx: Context) -> object:
    return [
        {
            "label": DEVICE_LABELS.get(r.value, "Unknown"),
            **_visit_row(r, ctx),
            "segment": "deviceType==" + quote_plus(r.value),
        }
        for r in _rows(src, q, "devices", ctx)
    ]


def browsers(src: ReportSource, q: Query, ctx: Context) -> object:
    return [
        {
            "label": r.value or "Unknown",
            **_visit_row(r, ctx),
            "segment": "browserName==" + quote_plus(r.value),
        }
        for r in _rows(src, q, "browsers", ctx)
    ]


def event_categories(src: ReportSource, q: Query, ctx: Context) -> object:
    return [
        {
            "label": r.value,
            ctx.visitors_key: r.visitors,
            "nb_visits": r.visits,
            "nb_events": r.hits,
            "nb_events_with_value": r.value_n,
            "sum_event_value": r.value_sum / VALUE_SCALE,
            "avg_event_value": round(r.value_sum / r.value_n / VALUE_SCALE, 2) if r.value_n else 0,
            "segment": "eventCategory==" + quote_plus(r.value),
        }
        for r in _rows(src, q, "event_categories", ctx)
    ]


METHODS: Final[Mapping[str, Callable[[ReportSource, Query, Context], object]]] = {
    "VisitsSummary.get": visits_summary,
    "Actions.getPageUrls": page_urls,
    "Actions.getEntryPageUrls": entry_page_urls,
    "Referrers.getReferrerType": referrer_types,
    "Referrers.getWebsites": websites,
    "UserCountry.getCountry": countries,
    "DevicesDetection.getType": device_types,
    "DevicesDetection.getBrowsers": browsers,
    "Events.getCategory": event_categories,
}


async def _params(request: Request) -> dict[str, str]:
    params: dict[str, str] = {}
    if request.method == "POST":
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            raise MatomoError(413, "The request body is too large.") from None
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    params.update(request.query_params.items())  # the query string wins, as $_GET + $_POST
    return params


def _limit(text: str | None) -> int | None:
    if text is None or text == "":
        return DEFAULT_LIMIT
    if text == "-1":
        return None
    if not text.isdigit() or int(text) < 1:
        raise MatomoError(400, "filter_limit must be a positive integer or -1.")
    return min(int(text), 100_000)


async def api(request: Request) -> Response:
    try:
        return await _api(request)
    except MatomoError as exc:
        return error(exc.status, exc.message, exc.retry_after)


async def _api(request: Request) -> Response:
    params = await _params(request)
    if params.get("module") != "API":
        raise MatomoError(400, "Only module=API is served here.")
    fmt = params.get("format", "json").lower()
    if fmt != "json":
        raise MatomoError(400, "Only format=JSON is supported.")
    method = params.get("method", "")
    fn = METHODS.get(method)
    if fn is None:
        raise MatomoError(
            400,
            f"The method '{method}' is not available here. Available: " + ", ".join(METHODS),
        )
    rt = runtime(request)
    id_site = params.get("idSite", "")
    if not id_site.isdigit():
        raise MatomoError(400, "idSite must be the integer id of one website.")
    policy = rt.policies.by_idsite(int(id_site))
    token = params.get("token_auth") or bearer_token(request.headers.get("authorization"))
    now = time.time()
    attempt = throttle.key("matomo", request.client.host if request.client else None, id_site)
    blocked = rt.throttle.check(attempt, now)
    if not blocked.allowed:
        raise MatomoError(429, throttle.TOO_MANY, blocked.retry_after)
    verdict = access(token or None, policy, rt.settings.admin_token)
    if verdict == "forbidden":
        rt.throttle.failed(attempt, now)
    if verdict == "missing":
        raise MatomoError(401, "You must be logged in to access this functionality: token_auth.")
    if verdict == "unknown":
        raise MatomoError(400, f"The website id {id_site} does not exist.")
    if verdict == "forbidden" or policy is None:
        raise MatomoError(
            401,
            f"You can't access this resource as it requires 'view' access for the website id "
            f"= {id_site}.",
        )
    period = params.get("period", "")
    try:
        resolved = resolve(period, params.get("date", ""), datetime.now(UTC).date())
    except MatomoDateError as exc:
        raise MatomoError(400, str(exc)) from None
    filters = parse_segment(params.get("segment", ""))
    origin = policy.origins[0] if policy.origins else ""
    ctx = Context(period, _limit(params.get("filter_limit")), origin)
    slug = policy.slug

    def run(src: ReportSource) -> object:
        answers = {
            key: fn(src, Query(slug, dates, filters), ctx) for key, dates in resolved.periods
        }
        return answers if resolved.keyed else next(iter(answers.values()))

    return JSONResponse(await rt.store.read_reports(run))


routes = [Route("/index.php", api, methods=["GET", "POST"])]
