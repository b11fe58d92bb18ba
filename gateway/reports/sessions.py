"""Visits: which hits belong together, and what a visit is made of. Pure functions, no I/O.

A visit is summarised, not listed: ``Visit`` holds what every report needs (first and last hit,
counts, entry and exit page, the first hit's referrer and device, and per dimension how often
each value occurred). Summaries combine (``build``) in any order, because each field is a sum,
a minimum or a maximum over the visit's hits ordered by ``(time, hit id)``. So a hit that arrives
late, or bridges two visits into one, is handled by combining summaries: nothing has to be
re-read hit by hit.

``chain`` is the gap rule itself: given a visitor's stored visits near some new hits, it groups
them into the visits they form together. Stored visits are always at least a timeout apart from
each other; only new hits can bring them together.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final, NamedTuple
from urllib.parse import urlsplit

from gateway.reports import definitions as d
from gateway.reports.referrers import classify
from gateway.tracking.record import HitRecord

US_PER_SECOND: Final = 1_000_000
US_PER_HOUR: Final = 3600 * US_PER_SECOND
US_PER_DAY: Final = 24 * US_PER_HOUR
# Event values are summed exactly, as integer millionths, within +-1e9.
VALUE_SCALE: Final = 1_000_000
VALUE_LIMIT: Final = 1e9
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

Intern = Callable[[int, str], int]  # (dimension code, text) -> value id, stable forever


def epoch_us(ts: str) -> int:
    """Microseconds since 1970 of a stored ISO 8601 UTC timestamp."""
    if len(ts) == 27 and ts[26] == "Z" and ts[10] == "T":  # the stored form, parsed fast
        return (
            _day_number(ts[:10]) * US_PER_DAY
            + (int(ts[11:13]) * 3600 + int(ts[14:16]) * 60 + int(ts[17:19])) * US_PER_SECOND
            + int(ts[20:26])
        )
    moment = datetime.fromisoformat(ts)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


@functools.lru_cache(maxsize=1024)
def _day_number(day: str) -> int:
    return (date.fromisoformat(day) - _EPOCH.date()).days


def day_of(us: int) -> str:
    """The UTC date ``YYYY-MM-DD`` of a moment in epoch microseconds."""
    return _day_name(us // US_PER_DAY)


@functools.lru_cache(maxsize=1024)
def _day_name(days: int) -> str:
    return (_EPOCH + timedelta(days=days)).strftime("%Y-%m-%d")


def day_start_us(day: str) -> int:
    return epoch_us(day + "T00:00:00+00:00")


@functools.lru_cache(maxsize=16384)
def page_value(url: str | None) -> str:
    """How a page is named in reports: path and query of its URL, without host or fragment."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


@functools.lru_cache(maxsize=1024)
def language_value(lang: str | None) -> str:
    """The primary language of a ``lang`` value or an Accept-Language header (``fi-FI,en``: fi)."""
    if not lang:
        return ""
    first = lang.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return first.split("-", 1)[0].split("_", 1)[0][:16]


def event_value(value: float | None) -> int | None:
    if value is None:
        return None
    return round(max(-VALUE_LIMIT, min(VALUE_LIMIT, value)) * VALUE_SCALE)


class Attributes(NamedTuple):
    """What a visit takes from its first hit (every field "" when unknown)."""

    referrer_type: str
    referrer_name: str
    country: str
    browser: str
    os: str
    device: str
    resolution: str
    language: str


class Key(NamedTuple):
    """One hit-level dimension value a hit carries; ``value`` is an event value, in millionths."""

    dim: int
    text: str
    value: int | None = None


@dataclass(frozen=True)
class HitFacts:
    """What one stored hit contributes to its visit."""

    id: int
    us: int
    site: str
    visitor: str | None
    is_action: bool
    page: str | None  # set for page views only
    keys: tuple[Key, ...]
    attributes: Attributes


def hit_facts(hit_id: int, hit: HitRecord) -> HitFacts:
    """Read a stored hit the way the reports count it."""
    kind = hit.kind
    keys: list[Key] = []
    page: str | None = None
    if kind == "pageview":
        page = page_value(hit.url)
        keys.append(Key(d.BY_NAME["pages"].code, page))
        if hit.action_name:
            keys.append(Key(d.BY_NAME["page_titles"].code, hit.action_name))
    elif kind == "event" and hit.event_category and hit.event_action:
        value = event_value(hit.event_value)
        name = hit.event_name or ""
        triple = d.EVENT_SEPARATOR.join((hit.event_category, hit.event_action, name))
        keys.append(Key(d.BY_NAME["events"].code, triple, value))
        keys.append(Key(d.BY_NAME["event_categories"].code, hit.event_category, value))
        keys.append(Key(d.BY_NAME["event_actions"].code, hit.event_action, value))
        if name:
            keys.append(Key(d.BY_NAME["event_names"].code, name, value))
    elif kind in ("outlink", "download") and hit.link:
        keys.append(Key(d.BY_NAME[kind + "s"].code, hit.link))
    elif kind == "search" and hit.search:
        keys.append(Key(d.BY_NAME["searches"].code, hit.search))
    referrer = classify(hit.campaign_name, hit.referrer_host, hit.url)
    return HitFacts(
        id=hit_id,
        us=epoch_us(hit.ts),
        site=hit.site,
        visitor=hit.visitor_id if hit.mode == "consented" else None,
        is_action=kind in d.ACTION_KINDS,
        page=page,
        keys=tuple(keys),
        attributes=Attributes(
            referrer_type=referrer.type,
            referrer_name=referrer.name,
            country=(hit.country or "").upper(),
            browser=hit.browser or "",
            os=hit.os or "",
            device=hit.device or "",
            resolution=hit.resolution or "",
            language=language_value(hit.lang),
        ),
    )


Point = tuple[int, int]  # (epoch microseconds, hit id): the order of hits within a visitor
KeyCounts = Mapping[int, Mapping[int, int]]  # dimension code -> value id -> hits
KeyValues = Mapping[int, Mapping[int, tuple[int, int]]]  # code -> id -> (value sum, values)


@dataclass(frozen=True)
class Visit:
    """The summary of one visit. ``entry``/``exit`` are its first and last page views."""

    id: int
    site: str
    visitor: str | None
    start: Point
    end: Point
    hits: int
    actions: int
    pageviews: int
    entry: Point | None
    entry_page: str | None
    exit: Point | None
    exit_page: str | None
    attributes: Attributes
    keys: KeyCounts = field(default_factory=dict)
    values: KeyValues = field(default_factory=dict)

    @property
    def day(self) -> str:
        return day_of(self.start[0])

    @property
    def hour(self) -> int:
        """Hours since 1970 (UTC) of the first hit."""
        return self.start[0] // US_PER_HOUR

    @property
    def duration(self) -> int:
        """Whole seconds from the first to the last hit: the difference of their seconds."""
        return self.end[0] // US_PER_SECOND - self.start[0] // US_PER_SECOND

    @property
    def bounce(self) -> int:
        return 1 if self.actions == 1 else 0


@dataclass
class Chain:
    """Stored visits and new hits that form one visit together."""

    old: list[Visit] = field(default_factory=list)
    new: list[HitFacts] = field(default_factory=list)
    end_us: int = 0


def chain(old: Iterable[Visit], new: Iterable[HitFacts], timeout_us: int) -> list[Chain]:
    """Group one visitor's stored visits and new hits by the gap rule, in time order.

    Items are taken by their first moment; an item joins the current chain when it starts less
    than ``timeout_us`` after the chain's last moment (or before it). A stored visit counts as
    the block of hits it is, so a new hit inside one simply joins it.
    """
    items: list[tuple[Point, int, Visit | HitFacts]] = [(v.start, v.end[0], v) for v in old]
    items += [((h.us, h.id), h.us, h) for h in new]
    items.sort(key=lambda item: item[0])
    chains: list[Chain] = []
    for start, end_us, item in items:
        if not chains or start[0] - chains[-1].end_us >= timeout_us:
            chains.append(Chain(end_us=end_us))
        current = chains[-1]
        current.end_us = max(current.end_us, end_us)
        if isinstance(item, Visit):
            current.old.append(item)
        else:
            current.new.append(item)
    return chains


def build(chain_: Chain, visit_id: int, intern: Intern) -> Visit:
    """The summary of a chain's visit, under ``visit_id``.

    Every field is a sum, a minimum or a maximum over the stored visits' summaries and the new
    hits (ordered by ``(time, hit id)``), so the order in which hits arrived never matters.
    """
    keys: dict[int, dict[int, int]] = {}
    values: dict[int, dict[int, tuple[int, int]]] = {}
    start: Point | None = None
    end: Point | None = None
    entry: Point | None = None
    exit_: Point | None = None
    entry_page = exit_page = None
    attributes: Attributes | None = None
    site, visitor = "", None
    hits = actions = pageviews = 0
    for v in chain_.old:
        site, visitor = v.site, v.visitor
        hits += v.hits
        actions += v.actions
        pageviews += v.pageviews
        if start is None or v.start < start:
            start, attributes = v.start, v.attributes
        if end is None or v.end > end:
            end = v.end
        if v.entry is not None and (entry is None or v.entry < entry):
            entry, entry_page = v.entry, v.entry_page
        if v.exit is not None and (exit_ is None or v.exit > exit_):
            exit_, exit_page = v.exit, v.exit_page
        for code, counts in v.keys.items():
            target = keys.setdefault(code, {})
            for value_id, n in counts.items():
                target[value_id] = target.get(value_id, 0) + n
        for code, sums in v.values.items():
            pairs = values.setdefault(code, {})
            for value_id, (total, n) in sums.items():
                old_total, old_n = pairs.get(value_id, (0, 0))
                pairs[value_id] = (old_total + total, old_n + n)
    for h in chain_.new:
        site, visitor = h.site, h.visitor
        point = (h.us, h.id)
        hits += 1
        if h.is_action:
            actions += 1
        if start is None or point < start:
            start, attributes = point, h.attributes
        if end is None or point > end:
            end = point
        if h.page is not None:
            pageviews += 1
            if entry is None or point < entry:
                entry, entry_page = point, h.page
            if exit_ is None or point > exit_:
                exit_, exit_page = point, h.page
        for key in h.keys:
            value_id = intern(key.dim, key.text)
            target = keys.setdefault(key.dim, {})
            target[value_id] = target.get(value_id, 0) + 1
            if key.value is not None:
                pairs = values.setdefault(key.dim, {})
                old_total, old_n = pairs.get(value_id, (0, 0))
                pairs[value_id] = (old_total + key.value, old_n + 1)
    if start is None or end is None or attributes is None:
        raise ValueError("an empty chain has no visit")
    return Visit(
        id=visit_id,
        site=site,
        visitor=visitor,
        start=start,
        end=end,
        hits=hits,
        actions=actions,
        pageviews=pageviews,
        entry=entry,
        entry_page=entry_page,
        exit=exit_,
        exit_page=exit_page,
        attributes=attributes,
        keys=keys,
        values=values,
    )


def visit_of_hit(facts: HitFacts, visit_id: int, intern: Intern) -> Visit:
    """The visit of a hit that is a visit of its own (no visitor id)."""
    return build(Chain(new=[facts]), visit_id, intern)


def visit_values(visit: Visit) -> list[tuple[d.Dimension, str]]:
    """The visit-level dimension values of a visit (which breakdown rows it counts in)."""
    a = visit.attributes
    found: list[tuple[d.Dimension, str]] = []
    if visit.entry_page is not None:
        found.append((d.BY_NAME["entry_pages"], visit.entry_page))
    if visit.exit_page is not None:
        found.append((d.BY_NAME["exit_pages"], visit.exit_page))
    found.append((d.BY_NAME["referrer_types"], a.referrer_type))
    for dim in d.VISIT_DIMENSIONS:
        if dim.referrer_type is not None and dim.referrer_type == a.referrer_type:
            found.append((dim, a.referrer_name))
    found.append((d.BY_NAME["countries"], a.country))
    found.append((d.BY_NAME["browsers"], a.browser))
    found.append((d.BY_NAME["os"], a.os))
    found.append((d.BY_NAME["devices"], a.device))
    found.append((d.BY_NAME["resolutions"], a.resolution))
    found.append((d.BY_NAME["languages"], a.language))
    return found
