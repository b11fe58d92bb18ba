"""``create_app(settings)``: routes, middleware and lifespan. No business logic lives here."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gateway import __version__
from gateway.api.exports import routes as api_routes
from gateway.api.openapi import routes as openapi_routes
from gateway.api.visitors import routes as visitor_routes
from gateway.audit.middleware import AuditMiddleware
from gateway.audit.routes import routes as audit_routes
from gateway.consent.revocations import Revocations
from gateway.consent.routes import routes as consent_routes
from gateway.consent.tokens import ConsentTokens
from gateway.dashboard.routes import routes as dashboard_routes
from gateway.dashboard.visitors import routes as dashboard_visitor_routes
from gateway.demo.routes import routes as demo_routes
from gateway.errors import http_exception, server_error
from gateway.forwarding.config import ForwardingConfig
from gateway.forwarding.forwarder import Forwarder
from gateway.forwarding.health import forwarding_health
from gateway.net.clientip import ClientIPMiddleware
from gateway.net.headers import SecurityHeadersMiddleware
from gateway.net.ratelimit import RateLimiter
from gateway.policy import PolicySet
from gateway.policy_loader import load_policies
from gateway.privacy.mydata import routes as my_data_routes
from gateway.privacy.routes import routes as privacy_routes
from gateway.privacy.versions import record_served_versions
from gateway.privacy.versions import routes as version_routes
from gateway.readiness import routes as readiness_routes
from gateway.reports.matomo_api import routes as matomo_api_routes
from gateway.reports.routes import routes as report_routes
from gateway.retention.daily import DailyPurge
from gateway.retention.purge import retentions
from gateway.runtime import Runtime, runtime
from gateway.settings import Settings
from gateway.storage import open_store
from gateway.storage.writer import GroupCommitWriter
from gateway.tracking.geo import open_geo
from gateway.tracking.pipeline import Services
from gateway.tracking.routes import routes as tracking_routes
from gateway.tracking.useragent import UserAgentClassifier

log = logging.getLogger("gateway")


async def healthz(request: Request) -> Response:
    rt = runtime(request)
    try:
        db_ok = await rt.store.health()
    except Exception:
        db_ok = False
    body: dict[str, object] = {
        "status": "ok" if db_ok else "degraded",
        "version": __version__,
        "database": db_ok,
        "sites": [p.slug for p in rt.policies],
    }
    if rt.forwarding.enabled:  # detail only: a slow upstream does not make the gateway unhealthy
        body["forwarding"] = await forwarding_health(rt.store, rt.forwarding_state)
    return JSONResponse(body, status_code=200 if db_ok else 503)


async def metrics(request: Request) -> Response:
    rt = runtime(request)
    outbox = None
    if rt.forwarding.enabled:
        with contextlib.suppress(Exception):
            outbox = await rt.store.outbox_backlog()
    text = rt.metrics.render(
        batches=rt.writer.batches,
        operations=rt.writer.operations,
        commit_seconds=rt.writer.commit_seconds,
        queue_depth=rt.writer.queue_depth,
        outbox=outbox,
    )
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4")


def build_runtime(settings: Settings, policies: PolicySet | None = None) -> Runtime:
    policy_set = policies if policies is not None else load_policies(settings.policies_dir)
    store = open_store(settings.db_url, {p.slug: p.visit_timeout_minutes * 60 for p in policy_set})
    tokens = ConsentTokens(settings.secret_keys)
    revocations = Revocations(store, settings.revocation_poll_seconds)
    user_agents = UserAgentClassifier()
    geo = open_geo(settings.geoip_path)
    return Runtime(
        settings=settings,
        policies=policy_set,
        store=store,
        writer=GroupCommitWriter(store, settings.batch_max),
        tokens=tokens,
        revocations=revocations,
        user_agents=user_agents,
        geo=geo,
        consent_limiter=RateLimiter(settings.consent_rate),
        tracking_limiter=RateLimiter(settings.tracking_rate),
        forwarding=ForwardingConfig.from_settings(settings),
        services=Services(
            tokens=tokens,
            revocations=revocations,
            user_agents=user_agents,
            geo=geo,
            admin_token=settings.admin_token,
            # The newest signing key: user-id pseudonyms change when keys rotate, which
            # also limits how long one pseudonym links a person's visits.
            pseudonym_key=settings.secret_keys[0].encode(),
        ),
    )


def create_app(settings: Settings, policies: PolicySet | None = None) -> Starlette:
    """Build the ASGI app. Policies load (and fail) here, before anything is served."""
    rt = build_runtime(settings, policies)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await rt.store.open()
        await record_served_versions(rt.store, rt.policies)
        await rt.writer.start()
        await rt.revocations.start()
        purge = DailyPurge(rt.store, retentions(rt.policies), settings.purge_interval_hours)
        await purge.start()
        forwarder = Forwarder(rt.store, rt.forwarding, rt.metrics, rt.forwarding_state)
        await forwarder.start()
        try:
            yield
        finally:
            await forwarder.stop()
            await purge.stop()
            await rt.revocations.stop()
            await rt.writer.stop()
            await rt.store.close()
            close = getattr(rt.geo, "close", None)
            if close is not None:
                close()

    app = Starlette(
        routes=[
            *tracking_routes,  # first: exact paths, and the busiest by far
            *consent_routes,
            *api_routes,
            *visitor_routes,
            *audit_routes,
            *report_routes,
            *matomo_api_routes,
            *version_routes,
            *my_data_routes,
            *privacy_routes,
            *dashboard_visitor_routes,
            *dashboard_routes,
            *demo_routes,
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
            *readiness_routes,
            Route("/metrics", metrics, methods=["GET"]),
            *openapi_routes,
        ],
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(ClientIPMiddleware, trusted=settings.trusted_proxies),
            Middleware(AuditMiddleware),  # who read, exported or erased personal data
        ],
        exception_handlers={HTTPException: http_exception, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.runtime = rt
    return app
