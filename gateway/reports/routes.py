"""The stats API: ``/api/sites/{site}/stats/...`` as JSON or CSV.

Routes only translate: parameters and access are decided in ``gateway.reports.params``, the
numbers come from ``gateway.reports.queries`` over the store's report source. Every route needs
``Authorization: Bearer <token>`` (the admin token or the site's own token). Bad parameters get
400 ``{"error": ...}``; nothing a client sends can cause a 5xx.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Final, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.auth import bearer_token
from gateway.dashboard import throttle
from gateway.errors import json_error
from gateway.policy import Policy
from gateway.reports import definitions as d
from gateway.reports import queries
from gateway.reports.csvfmt import to_csv
from gateway.reports.params import ParamError, StatsParams, access, parse_stats_params
from gateway.reports.periods import MAX_HOUR_DAYS
from gateway.reports.queries import Query
from gateway.reports.source import ReportSource
from gateway.runtime import runtime

PREFIX: Final = "/api/sites/{site}/stats"
T = TypeVar("T")


def _now() -> datetime:
    return datetime.now(UTC)


def _policy(request: Request) -> Policy | Response:
    rt = runtime(request)
    slug = request.path_params["site"]
    policy = rt.policies.by_slug(slug)
    token = bearer_token(request.headers.get("authorization"))
    now = time.time()
    attempt = throttle.key("stats", request.client.host if request.client else None, slug)
    blocked = rt.throttle.check(attempt, now)
    if not blocked.allowed:
        return json_error(429, throttle.TOO_MANY, {"Retry-After": str(blocked.retry_after)})
    verdict = access(token, policy, rt.settings.admin_token)
    if verdict == "forbidden":
        rt.throttle.failed(attempt, now)
    if verdict == "missing":
        return json_error(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    if verdict == "unknown":
        return json_error(404, "unknown site")
    if verdict == "forbidden" or policy is None:
        return json_error(403, "this token cannot read this site")
    return policy


def _params(request: Request) -> StatsParams | Response:
    single = {k: v for k, v in request.query_params.items() if k != "filter"}
    try:
        return parse_stats_params(single, request.query_params.getlist("filter"), _now().date())
    except ParamError as exc:
        return json_error(400, str(exc))


def _answer(
    policy: Policy,
    params: StatsParams,
    name: str,
    body: Mapping[str, object],
    csv_rows: Sequence[Mapping[str, object]],
) -> Response:
    if params.format == "csv":
        filename = f"{policy.slug}-{name}-{params.period.start}-{params.period.end}.csv"
        return Response(
            to_csv(csv_rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return JSONResponse(dict(body))


def _head(policy: Policy, params: StatsParams) -> dict[str, object]:
    return {
        "site": policy.slug,
        "from": params.period.start,
        "to": params.period.end,
        "filters": [{"name": f.name, "value": f.value} for f in params.filters],
    }


def _prepare(request: Request) -> tuple[Policy, StatsParams, Query] | Response:
    policy = _policy(request)
    if isinstance(policy, Response):
        return policy
    params = _params(request)
    if isinstance(params, Response):
        return params
    return policy, params, Query(policy.slug, params.period, params.filters)


async def _read(request: Request, fn: Callable[[ReportSource], T]) -> T:
    return await runtime(request).store.read_reports(fn)


async def summary(request: Request) -> Response:
    prepared = _prepare(request)
    if isinstance(prepared, Response):
        return prepared
    policy, params, query = prepared
    result = await _read(request, lambda src: queries.summary(src, query, params.compare))
    body = {**_head(policy, params), **result}
    rows: list[Mapping[str, object]] = [result]
    previous = result.get("previous")
    if isinstance(previous, Mapping):
        current = {k: v for k, v in result.items() if k not in ("previous", "change")}
        rows = [{"period": "current", **current}, {"period": "previous", **previous}]
    return _answer(policy, params, "summary", body, rows)


async def timeseries(request: Request) -> Response:
    prepared = _prepare(request)
    if isinstance(prepared, Response):
        return prepared
    policy, params, query = prepared
    if params.interval == "hour" and params.period.days > MAX_HOUR_DAYS:
        return json_error(400, f"hourly series cover at most {MAX_HOUR_DAYS} days")
    before = query.previous()

    def run(src: ReportSource) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        current = queries.timeseries(src, query, params.interval)
        earlier = queries.timeseries(src, before, params.interval) if params.compare else []
        return current, earlier

    current, earlier = await _read(request, run)
    body: dict[str, object] = {**_head(policy, params), "interval": params.interval}
    body["rows"] = current
    rows: Sequence[Mapping[str, object]] = current
    if params.compare:
        body["previous"] = {"from": before.period.start, "to": before.period.end, "rows": earlier}
        rows = [{"period": "current", **r} for r in current] + [
            {"period": "previous", **r} for r in earlier
        ]
    return _answer(policy, params, f"timeseries-{params.interval}", body, rows)


async def dimension(request: Request) -> Response:
    prepared = _prepare(request)
    if isinstance(prepared, Response):
        return prepared
    policy, params, query = prepared
    name = request.path_params["dimension"]
    if name not in d.dimension_names():
        return json_error(404, f"unknown dimension; use one of: {', '.join(d.dimension_names())}")
    rows = await _read(
        request,
        lambda src: queries.breakdown(src, query, name, params.limit, params.compare),
    )
    body = {**_head(policy, params), "dimension": name, "rows": rows}
    return _answer(policy, params, name, body, rows)


async def realtime(request: Request) -> Response:
    policy = _policy(request)
    if isinstance(policy, Response):
        return policy
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "csv"):
        return json_error(400, "'format' must be json or csv")
    now = _now()
    slug = policy.slug
    result = await _read(request, lambda src: queries.realtime(src, slug, now))
    if fmt == "csv":
        return Response(to_csv([result]), media_type="text/csv; charset=utf-8")
    return JSONResponse({"site": policy.slug, **result})


async def consents(request: Request) -> Response:
    prepared = _prepare(request)
    if isinstance(prepared, Response):
        return prepared
    policy, params, _ = prepared
    slug, required = policy.slug, sorted(policy.required_category_ids)
    result = await _read(request, lambda src: queries.consents(src, slug, params.period, required))
    body = {"site": policy.slug, **result}
    return _answer(policy, params, "consents", body, queries.consent_day_rows(result))


routes = [
    Route(f"{PREFIX}/summary", summary, methods=["GET"]),
    Route(f"{PREFIX}/timeseries", timeseries, methods=["GET"]),
    Route(f"{PREFIX}/realtime", realtime, methods=["GET"]),
    Route(f"{PREFIX}/consents", consents, methods=["GET"]),
    Route(PREFIX + "/{dimension}", dimension, methods=["GET"]),
]
