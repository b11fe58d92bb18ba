"""A hit as it is stored: already consent-checked, truncated and sanitised.

Nothing in a ``HitRecord`` is raw: ``ip`` is truncated (or None in anonymous mode), URLs are
sanitised, the user id is a keyed hash. Storage writes it as it is, adding the ``visit_id`` of
the visit the hit belongs to; reports read it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Literal

Mode = Literal["consented", "anonymous"]

# Column order of the hits table and of exports (``ts`` .. ``device`` are the contract's minimum).
HIT_COLUMNS: tuple[str, ...] = (
    "ts",
    "site",
    "idsite",
    "mode",
    "kind",
    "visitor_id",
    "user_id",
    "consent_id",
    "url",
    "action_name",
    "pv_id",
    "referrer",
    "referrer_host",
    "campaign_name",
    "campaign_keyword",
    "event_category",
    "event_action",
    "event_name",
    "event_value",
    "search",
    "search_category",
    "search_count",
    "goal_id",
    "revenue",
    "link",
    "content_name",
    "content_piece",
    "content_target",
    "resolution",
    "lang",
    "country",
    "browser",
    "browser_version",
    "os",
    "device",
    "ip",
    "dimensions",
    "new_visit",
    "visit_id",
)


@dataclass(frozen=True)
class HitRecord:
    ts: str
    site: str
    idsite: int
    mode: Mode
    kind: str
    visitor_id: str | None = None
    user_id: str | None = None
    consent_id: str | None = None
    url: str | None = None
    action_name: str | None = None
    pv_id: str | None = None
    referrer: str | None = None
    referrer_host: str | None = None
    campaign_name: str | None = None
    campaign_keyword: str | None = None
    event_category: str | None = None
    event_action: str | None = None
    event_name: str | None = None
    event_value: float | None = None
    search: str | None = None
    search_category: str | None = None
    search_count: int | None = None
    goal_id: int | None = None
    revenue: float | None = None
    link: str | None = None
    content_name: str | None = None
    content_piece: str | None = None
    content_target: str | None = None
    resolution: str | None = None
    lang: str | None = None
    country: str | None = None
    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    device: str | None = None
    ip: str | None = None
    dimensions: str | None = None
    new_visit: bool = False
    # Assigned by the storage when the hit is committed (see ``gateway.reports.sessions``).
    visit_id: int | None = None

    def row(self) -> tuple[object, ...]:
        values: tuple[object, ...] = _ROW(self)
        return values


_ROW = attrgetter(*HIT_COLUMNS)  # one C-level call per row: the writer calls it for every hit
