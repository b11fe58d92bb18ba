"""The Matomo request forwarded for one stored hit: built only from what the gateway decided.

Pure: no I/O, no clock. The query is assembled from the stored ``HitRecord`` (already consent
checked, sanitised, with the truncated IP and the user-id pseudonym) plus the two things Matomo
needs from the visitor's request and the gateway does not store: the user agent and the
language. Nothing is copied from the client's own parameters wholesale, so a client's
``token_auth``, ``cip``, ``cdt``, ``cdo`` or geo overrides can never ride on the gateway's
upstream token: the gateway sets ``cip`` (the truncated IP), ``cdt`` (the stored time) and
``country`` (its own lookup) itself.

Only hits stored in "consented" mode are forwarded. Anonymous-mode hits are counts without a
visitor, IP or user agent; Matomo would turn each into a new visit from the gateway's address,
so they stay in the gateway's own reports.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

from gateway.forwarding.outbox import OutboxEntry
from gateway.timefmt import iso
from gateway.tracking.params import UA_MAX, Hit
from gateway.tracking.pipeline import RequestContext
from gateway.tracking.record import HitRecord

# Sent when a consented record has no IP at all: Matomo must not fall back to the address the
# forwarded request comes from (the gateway's own), which an empty ``cip`` would do.
NO_IP = "0.0.0.0"
# Kinds that matomo.js marks as "custom action" (not a page view).
_CUSTOM_ACTION_KINDS = frozenset({"event", "content"})


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def unix_seconds(ts: str) -> int:
    """The stored ISO time (``YYYY-MM-DDTHH:MM:SS.ffffffZ``) as a unix timestamp."""
    moment = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return int(moment.timestamp())


def forward_params(hit: Hit, record: HitRecord, ctx: RequestContext) -> list[tuple[str, str]]:
    """The parameters of the upstream request for a consented ``record``, in a fixed order.

    Raises ``ValueError`` for a record not stored in "consented" mode (see ``outbox_entry``).
    """
    if record.mode != "consented":
        raise ValueError("only consented hits are forwarded")
    pairs: list[tuple[str, str]] = [("idsite", str(record.idsite)), ("rec", "1"), ("apiv", "1")]

    def put(name: str, value: str | int | float | None) -> None:
        if value is None or value == "":
            return
        if isinstance(value, float):
            pairs.append((name, _number(value)))
        else:
            pairs.append((name, str(value)))

    if record.kind == "ping":
        put("ping", "1")
    if record.kind in _CUSTOM_ACTION_KINDS:
        put("ca", "1")
    put("url", record.url)
    put("action_name", record.action_name)
    put("urlref", record.referrer)
    put("_id", record.visitor_id)
    put("uid", record.user_id)
    put("pv_id", record.pv_id)
    put("res", record.resolution)
    if record.new_visit:
        put("new_visit", "1")
    put("_rcn", record.campaign_name)
    put("_rck", record.campaign_keyword)
    put("e_c", record.event_category)
    put("e_a", record.event_action)
    put("e_n", record.event_name)
    put("e_v", record.event_value)
    put("search", record.search)
    put("search_cat", record.search_category)
    put("search_count", record.search_count)
    put("idgoal", record.goal_id)
    put("revenue", record.revenue)
    if record.kind == "download":
        put("download", record.link)
    elif record.kind == "outlink":
        put("link", record.link)
    put("c_n", record.content_name)
    put("c_p", record.content_piece)
    put("c_t", record.content_target)
    if record.dimensions:
        for number, value in sorted(json.loads(record.dimensions).items(), key=_dim_order):
            put(f"dimension{number}", str(value))
    put("cdt", unix_seconds(record.ts))
    put("cip", record.ip or NO_IP)
    put("country", record.country.lower() if record.country else None)
    put("ua", (hit.ua or ctx.user_agent or "")[:UA_MAX])
    put("lang", record.lang)
    return pairs


def _dim_order(item: tuple[str, object]) -> int:
    return int(item[0])


def forward_query(hit: Hit, record: HitRecord, ctx: RequestContext) -> str:
    """``forward_params`` as a query string (no leading ``?``)."""
    return urlencode(forward_params(hit, record, ctx))


def outbox_entry(hit: Hit, record: HitRecord, ctx: RequestContext) -> OutboxEntry | None:
    """The outbox row for a record, or None when the record is not forwarded (not consented)."""
    if record.mode != "consented":
        return None
    return OutboxEntry(
        site=record.site,
        visitor=record.visitor_id,
        created=iso(ctx.now),
        query=forward_query(hit, record, ctx),
        consent_id=record.consent_id,
    )
