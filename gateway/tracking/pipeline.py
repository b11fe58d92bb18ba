"""From one parsed Matomo hit to a stored record, an anonymous count, or a drop.

The order matters and is the privacy promise: auth-only parameters are checked first; the
consent decision is made before anything is derived; the full client IP is used only in memory
(country lookup) and is truncated before the record exists; URLs and referrers are sanitised;
the user id is replaced by a keyed hash. No I/O happens here apart from the memory-mapped GeoIP
lookup, so the whole pipeline is tested with tables of cases.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime

from gateway.api.auth import token_allows
from gateway.consent.revocations import Revocations
from gateway.consent.tokens import ConsentTokens
from gateway.policy import Policy
from gateway.timefmt import iso
from gateway.tracking.anonymize import truncate_ip
from gateway.tracking.gate import Decision, DropReason, GateFacts, decide
from gateway.tracking.geo import GeoLookup
from gateway.tracking.params import BadRequest, Hit, needs_auth_for_time, parse_custom_time
from gateway.tracking.record import HitRecord
from gateway.tracking.urls import (
    extract_campaign,
    referrer_host,
    sanitize_referrer,
    sanitize_url,
    strip_query,
)
from gateway.tracking.useragent import UserAgentClassifier, device_class


@dataclass(frozen=True)
class RequestContext:
    """What the HTTP request around a hit tells: who sent it and what cookies came along."""

    client_ip: str
    origin: str | None
    user_agent: str | None
    accept_language: str | None
    consent_cookie: str | None
    consent_removed: bool
    now: datetime


@dataclass(frozen=True)
class Services:
    tokens: ConsentTokens
    revocations: Revocations
    user_agents: UserAgentClassifier
    geo: GeoLookup
    admin_token: str
    pseudonym_key: bytes


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    record: HitRecord | None


def evaluate(
    hit: Hit,
    policy: Policy,
    ctx: RequestContext,
    services: Services,
    batch_token: str | None = None,
) -> Outcome:
    """Decide and build the record for one hit. Raises ``BadRequest`` where Matomo answers 400."""
    authed = token_allows(hit.token_auth or batch_token, policy, services.admin_token)
    when = parse_custom_time(hit.cdt, hit.cdo, ctx.now)
    time_params = {"cdt", "cdo"}
    if not authed:
        if any(name not in time_params for name in hit.auth_params):
            raise BadRequest(
                "this parameter needs a valid token_auth: "
                + ", ".join(name for name in hit.auth_params if name not in time_params)
            )
        if (hit.cdt or hit.cdo) and needs_auth_for_time(when, ctx.now):
            raise BadRequest("a custom time older than 24 hours needs a valid token_auth")
    ip = ctx.client_ip
    if hit.cip and authed:
        try:
            ip = str(ipaddress.ip_address(hit.cip.strip()))
        except ValueError:
            raise BadRequest("cip is not an IP address") from None

    ua_string = hit.ua or ctx.user_agent
    agent = services.user_agents.classify(ua_string)
    token = hit.consent_token or ctx.consent_cookie
    claims = None
    for candidate in (hit.consent_token, ctx.consent_cookie):
        claims = services.tokens.verify(
            candidate,
            site=policy.slug,
            policy_version=policy.version,
            max_age_days=policy.consent_days,
        )
        if claims is not None:
            break
    decision = decide(
        GateFacts(
            recorded=hit.recorded,
            origin_allowed=ctx.origin is None or policy.allows_origin(ctx.origin),
            consent_removed_cookie=ctx.consent_removed,
            is_bot=agent.is_bot,
            token_present=bool(token),
            claims=claims,
            revoked=claims is not None and claims.consent_id in services.revocations,
            kind=hit.kind,
            without_consent=policy.without_consent,
        )
    )
    if decision.action == "drop":
        return Outcome(decision, None)

    country = (
        hit.geo_overrides.get("country", "").upper()[:2] or None
        if authed and "country" in hit.geo_overrides
        else services.geo.country(ip)
    )
    if decision.action == "anonymous":
        return Outcome(
            decision,
            HitRecord(
                ts=iso(when),
                site=policy.slug,
                idsite=policy.idsite,
                mode="anonymous",
                kind="pageview",
                url=strip_query(sanitize_url(hit.url, policy.excluded_query_params)),
                action_name=hit.action_name,
                referrer_host=referrer_host(hit.referrer),
                country=country,
                device=device_class(agent),
            ),
        )

    assert claims is not None
    campaign_name, campaign_keyword = hit.campaign_name, hit.campaign_keyword
    if campaign_name is None:
        campaign_name, keyword_from_url = extract_campaign(hit.url)
        campaign_keyword = campaign_keyword or keyword_from_url
    referrer = sanitize_referrer(hit.referrer, policy.excluded_query_params)
    return Outcome(
        decision,
        HitRecord(
            ts=iso(when),
            site=policy.slug,
            idsite=policy.idsite,
            mode="consented",
            kind=hit.kind,
            visitor_id=hit.visitor_id,
            user_id=pseudonym(services.pseudonym_key, policy.slug, hit.user_id),
            consent_id=claims.consent_id,
            url=sanitize_url(hit.url, policy.excluded_query_params),
            action_name=hit.action_name,
            pv_id=hit.pv_id,
            referrer=referrer,
            referrer_host=referrer_host(referrer),
            campaign_name=campaign_name,
            campaign_keyword=campaign_keyword,
            event_category=hit.event_category,
            event_action=hit.event_action,
            event_name=hit.event_name,
            event_value=hit.event_value,
            search=hit.search,
            search_category=hit.search_category,
            search_count=hit.search_count,
            goal_id=hit.goal_id,
            revenue=hit.revenue,
            link=sanitize_url(hit.link, policy.excluded_query_params),
            content_name=hit.content_name,
            content_piece=hit.content_piece,
            content_target=hit.content_target,
            resolution=hit.resolution,
            lang=(hit.lang or ctx.accept_language or "")[:64] or None,
            country=country,
            browser=agent.browser,
            browser_version=agent.browser_version,
            os=agent.os,
            device=agent.device,
            ip=truncate_ip(ip, policy.ip_mask_bytes),
            dimensions=json.dumps({str(k): v for k, v in sorted(hit.dimensions.items())})
            if hit.dimensions
            else None,
            new_visit=hit.new_visit,
        ),
    )


def pseudonym(key: bytes, site: str, user_id: str | None) -> str | None:
    """A site-scoped keyed hash of Matomo's ``uid``: stable for reports, useless elsewhere."""
    if not user_id:
        return None
    digest = hmac.new(key, f"{site}\n{user_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


__all__ = ["DropReason", "Outcome", "RequestContext", "Services", "evaluate", "pseudonym"]
