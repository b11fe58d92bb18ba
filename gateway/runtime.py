"""The gateway's running services, built once per process and shared by every route.

``create_app`` builds a ``Runtime`` from the settings; the lifespan opens what needs opening
(database, writer, revocation poller, GeoIP reader) and closes it at shutdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from gateway.consent.revocations import Revocations
from gateway.consent.tokens import ConsentTokens
from gateway.dashboard.throttle import FailureThrottle
from gateway.forwarding.config import ForwardingConfig
from gateway.forwarding.forwarder import ForwardingState
from gateway.metrics import Metrics
from gateway.net.ratelimit import Rate, RateLimiter
from gateway.policy import PolicySet
from gateway.settings import Settings
from gateway.storage.base import Store
from gateway.storage.writer import GroupCommitWriter
from gateway.tracking.geo import GeoLookup, NullGeo
from gateway.tracking.pipeline import Services
from gateway.tracking.useragent import UserAgentClassifier


@dataclass
class Runtime:
    settings: Settings
    policies: PolicySet
    store: Store
    writer: GroupCommitWriter
    tokens: ConsentTokens
    revocations: Revocations
    user_agents: UserAgentClassifier
    services: Services
    geo: GeoLookup = field(default_factory=NullGeo)
    metrics: Metrics = field(default_factory=Metrics)
    # failed dashboard logins, shared links and report tokens per client and site (in memory)
    throttle: FailureThrottle = field(default_factory=FailureThrottle)
    # requests per client address on the public endpoints (in memory; see net/ratelimit.py)
    consent_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(Rate(0.0, 0)))
    tracking_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(Rate(0.0, 0)))
    # upstream Matomo forwarding (gateway.forwarding): off unless an upstream URL is set
    forwarding: ForwardingConfig = field(default_factory=ForwardingConfig)
    forwarding_state: ForwardingState = field(default_factory=ForwardingState)


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt
