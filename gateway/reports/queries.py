"""The reports themselves: summary, breakdowns, time series, realtime, consent analytics.

Each function takes a ``ReportSource`` and returns plain JSON-ready data, so the stats API, the
Matomo API and a dashboard rendered in-process all show the same numbers::

    summary_ = await store.read_reports(lambda src: queries.summary(src, query))

Ratios are ``None`` when their denominator is zero (no visits: no bounce rate). Percentages
are 0..100 with one decimal; durations are whole seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gateway.reports import definitions as d
from gateway.reports.countries import country_name
from gateway.reports.periods import DateRange, slots
from gateway.reports.sessions import VALUE_SCALE, page_value
from gateway.reports.source import Bucket, Filter, Interval, ReportSource, RowData, Totals
from gateway.timefmt import iso

REALTIME_MINUTES = 30
REFERRER_TYPE_LABELS = {
    "direct": "Direct entry",
    "search": "Search engines",
    "social": "Social networks",
    "website": "Websites",
    "campaign": "Campaigns",
}


@dataclass(frozen=True)
class Query:
    """A site, a period and filters (all of which a visit must match)."""

    site: str
    period: DateRange
    filters: tuple[Filter, ...] = field(default=())

    def previous(self) -> Query:
        return Query(self.site, self.period.previous(), self.filters)


def ratio(part: int, whole: int, digits: int = 2) -> float | None:
    return round(part / whole, digits) if whole else None


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def average(total: int, count: int) -> int | None:
    return round(total / count) if count else None


def change(current: float | int | None, previous: float | int | None) -> float | None:
    """Relative change in percent, one decimal; None when there is nothing to compare to."""
    if current is None or previous is None or previous == 0:
        return None
    return round(100 * (current - previous) / previous, 1)


def visit_metrics(t: Totals) -> dict[str, object]:
    return {
        "visits": t.visits,
        "pageviews": t.pageviews,
        "actions": t.actions,
        "bounces": t.bounces,
        "bounce_rate": percent(t.bounces, t.visits),
        "duration_s": t.duration,
        "avg_visit_duration_s": average(t.duration, t.visits),
        "actions_per_visit": ratio(t.actions, t.visits),
        "pageviews_per_visit": ratio(t.pageviews, t.visits),
    }


# -- summary -----------------------------------------------------------------------------------

SUMMARY_CHANGES = (
    "visitors",
    "visits",
    "pageviews",
    "bounce_rate",
    "avg_visit_duration_s",
    "returning_visitors",
    "actions_per_visit",
)


def summary_metrics(src: ReportSource, q: Query) -> dict[str, object]:
    first, last = q.period.start, q.period.end
    totals = src.totals(q.site, first, last, q.filters)
    new = src.new_visitors(q.site, first, last, q.filters)
    return {
        "from": first,
        "to": last,
        "visitors": src.visitors(q.site, first, last, q.filters),
        **visit_metrics(totals),
        "new_visitors": new,
        "returning_visitors": src.returning_visitors(q.site, first, last, q.filters),
        "returning_visits": totals.visits - new,
    }


def summary(src: ReportSource, q: Query, compare: bool = False) -> dict[str, object]:
    result = summary_metrics(src, q)
    if compare:
        previous = summary_metrics(src, q.previous())
        result["previous"] = previous
        result["change"] = {
            name: change(_number(result[name]), _number(previous[name])) for name in SUMMARY_CHANGES
        }
    return result


def _number(value: object) -> float | int | None:
    return value if isinstance(value, (int, float)) else None


# -- breakdowns --------------------------------------------------------------------------------


def row_dict(dim: d.Dimension, row: RowData) -> dict[str, object]:
    """One breakdown row as the API returns it."""
    result: dict[str, object] = {"value": row.value, "visitors": row.visitors}
    if dim.level == "visit":
        result.update(
            visit_metrics(Totals(row.visits, row.pageviews, row.actions, row.bounces, row.duration))
        )
        if dim.name == "countries":
            result["label"] = country_name(row.value)
        elif dim.name == "referrer_types":
            result["label"] = REFERRER_TYPE_LABELS.get(row.value, row.value)
        if dim.referrer_type is not None:
            result["type"] = dim.referrer_type
        return result
    result["visits"] = row.visits
    result["hits"] = row.hits
    result["pageviews"] = row.hits if dim.name in ("pages", "page_titles") else None
    if dim.name.startswith("event"):
        result["events"] = row.hits
        result["events_with_value"] = row.value_n
        result["event_value_sum"] = row.value_sum / VALUE_SCALE
        result["event_value_avg"] = (
            round(row.value_sum / row.value_n / VALUE_SCALE, 6) if row.value_n else None
        )
    if dim.name == "events":
        category, action, name = (row.value.split(d.EVENT_SEPARATOR) + ["", ""])[:3]
        result["category"], result["action"], result["name"] = category, action, name
        result["value"] = " / ".join(part for part in (category, action, name) if part)
    return result


def _direct_row(row: RowData) -> RowData:
    return RowData(
        dim=row.dim,
        value_id=row.value_id,
        value="",
        visitors=row.visitors,
        visits=row.visits,
        pageviews=row.pageviews,
        actions=row.actions,
        bounces=row.bounces,
        duration=row.duration,
    )


def _rows(
    src: ReportSource,
    q: Query,
    name: str,
    limit: int | None,
    values: Sequence[str] | None = None,
) -> list[tuple[d.Dimension, RowData]]:
    first, last = q.period.start, q.period.end
    if name != d.REFERRERS:
        dim = d.BY_NAME[name]
        return [
            (dim, r) for r in src.rows(q.site, [dim.code], first, last, q.filters, limit, values)
        ]
    dims = [d.BY_NAME[n] for n in d.REFERRER_DIMENSIONS]
    by_code = {dim.code: dim for dim in dims}
    found = [
        (by_code[r.dim], r)
        for r in src.rows(q.site, list(by_code), first, last, q.filters, limit, values)
    ]
    if values is None or "" in values:
        types = d.BY_NAME["referrer_types"]
        found += [
            (types, _direct_row(r))
            for r in src.rows(q.site, [types.code], first, last, q.filters, None, ["direct"])
        ]
    found.sort(key=lambda pair: (-pair[1].visits, -pair[1].hits, pair[1].value_id))
    return found[:limit] if limit is not None else found


def _referrer_dict(dim: d.Dimension, row: RowData) -> dict[str, object]:
    result = row_dict(dim, row)
    if dim.name == "referrer_types":  # the direct entries inside the referrers view
        result.pop("label", None)
        result["value"] = ""
        result["type"] = "direct"
    return result


def breakdown(
    src: ReportSource, q: Query, name: str, limit: int | None = 10, compare: bool = False
) -> list[dict[str, object]]:
    """Rows of dimension ``name`` (``definitions.dimension_names()``), most visits first."""
    found = _rows(src, q, name, limit)
    shape = _referrer_dict if name == d.REFERRERS else row_dict
    result = [shape(dim, row) for dim, row in found]
    if compare and found:
        before = {
            (dim.code, row.value): row
            for dim, row in _rows(src, q.previous(), name, None, [row.value for _, row in found])
        }
        for item, (dim, row) in zip(result, found, strict=True):
            old = before.get((dim.code, row.value))
            item["previous"] = {
                "visitors": old.visitors if old else 0,
                "visits": old.visits if old else 0,
                "pageviews": (old.pageviews if dim.level == "visit" else old.hits) if old else 0,
            }
            item["change"] = {"visits": change(row.visits, old.visits if old else 0)}
    return result


# -- time series -------------------------------------------------------------------------------


def timeseries(src: ReportSource, q: Query, interval: Interval) -> list[dict[str, object]]:
    """One row per hour, day, week or month of the period, empty buckets included."""
    buckets = {
        b.start: b for b in src.series(q.site, q.period.start, q.period.end, interval, q.filters)
    }
    rows: list[dict[str, object]] = []
    for slot in slots(q.period, interval):
        key = slot.label if interval == "hour" else slot.first.isoformat()
        bucket = buckets.get(key, Bucket(key, 0, Totals()))
        row: dict[str, object] = {"date": slot.label}
        if interval in ("week", "month"):
            row["from"], row["to"] = slot.first.isoformat(), slot.last.isoformat()
        row["visitors"] = bucket.visitors
        row.update(visit_metrics(bucket.totals))
        rows.append(row)
    return rows


# -- realtime ----------------------------------------------------------------------------------


def realtime(src: ReportSource, site: str, now: datetime, limit: int = 10) -> dict[str, object]:
    """Hits of the last 30 minutes, by hit time (not by visit)."""
    since = now - timedelta(minutes=REALTIME_MINUTES)
    hits = src.recent_hits(site, iso(since))
    visitors = {h.visitor if h.visitor is not None else f"hit:{h.hit_id}" for h in hits}
    pages: dict[str, set[str]] = defaultdict(set)
    views: dict[str, int] = defaultdict(int)
    for h in hits:
        if h.kind == "pageview":
            page = page_value(h.url)
            views[page] += 1
            pages[page].add(h.visitor if h.visitor is not None else f"hit:{h.hit_id}")
    top = sorted(views, key=lambda p: (-views[p], p))[:limit]
    return {
        "minutes": REALTIME_MINUTES,
        "since": iso(since),
        "visitors": len(visitors),
        "pageviews": sum(views.values()),
        "hits": len(hits),
        "pages": [{"value": p, "visitors": len(pages[p]), "pageviews": views[p]} for p in top],
    }


# -- consent analytics -------------------------------------------------------------------------

CHOICES = ("accept_all", "reject_all", "custom")
ACTIONS = (*CHOICES, "withdraw")
SOURCES = ("banner", "embed", "gpc")


def _rates(counts: Iterable[tuple[Sequence[str], Sequence[str], int]]) -> dict[str, object]:
    granted: dict[str, int] = defaultdict(int)
    denied: dict[str, int] = defaultdict(int)
    for g, dn, n in counts:
        for category in g:
            granted[category] += n
        for category in dn:
            denied[category] += n
    return {
        c: percent(granted[c], granted[c] + denied[c]) for c in sorted(set(granted) | set(denied))
    }


def consents(
    src: ReportSource, site: str, period: DateRange, required: Iterable[str] = ("necessary",)
) -> dict[str, object]:
    """Consent decisions of the period, from the ledger's daily counts; aggregates only.

    A decision is one ledger record. Opt-in rates count choices (accept all, reject all,
    custom) and leave withdrawals out; the rate of a category is the share of the choices that
    offered it which granted it. Categories in ``required`` are always granted and left out.
    """
    skip = set(required)
    counts = src.consent_counts(site, period.start, period.end)
    by_day: dict[str, dict[str, int]] = {}
    by_category: dict[str, dict[str, int]] = defaultdict(lambda: {"granted": 0, "denied": 0})
    day_categories: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    actions: dict[str, int] = dict.fromkeys(ACTIONS, 0)
    sources: dict[str, int] = dict.fromkeys(SOURCES, 0)
    choices: list[tuple[tuple[str, ...], tuple[str, ...], int]] = []
    by_lang: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], int]]] = defaultdict(list)
    by_version: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], int]]] = defaultdict(list)
    lang_totals: dict[str, int] = defaultdict(int)
    version_totals: dict[str, int] = defaultdict(int)
    for c in counts:
        granted = tuple(x for x in c.granted if x not in skip)
        denied = tuple(x for x in c.denied if x not in skip)
        counted = by_day.setdefault(c.day, {"decisions": 0, **dict.fromkeys(ACTIONS, 0), "gpc": 0})
        counted["decisions"] += c.n
        counted[c.action] = counted.get(c.action, 0) + c.n
        if c.source == "gpc":
            counted["gpc"] += c.n
        actions[c.action] = actions.get(c.action, 0) + c.n
        sources[c.source] = sources.get(c.source, 0) + c.n
        lang_totals[c.lang] += c.n
        version_totals[c.policy_version] += c.n
        if c.action == "withdraw":
            continue
        choices.append((granted, denied, c.n))
        by_lang[c.lang].append((granted, denied, c.n))
        by_version[c.policy_version].append((granted, denied, c.n))
        for category in granted:
            by_category[category]["granted"] += c.n
            day_categories[c.day].setdefault(category, {"granted": 0, "denied": 0})
            day_categories[c.day][category]["granted"] += c.n
        for category in denied:
            by_category[category]["denied"] += c.n
            day_categories[c.day].setdefault(category, {"granted": 0, "denied": 0})
            day_categories[c.day][category]["denied"] += c.n
    total = sum(actions.values())
    days = []
    for day in period.each_day():
        key = day.isoformat()
        values = by_day.get(key, {"decisions": 0, **dict.fromkeys(ACTIONS, 0), "gpc": 0})
        days.append({"date": key, **values, "categories": day_categories.get(key, {})})
    return {
        "from": period.start,
        "to": period.end,
        "decisions": total,
        "choices": sum(n for _, _, n in choices),
        "actions": actions,
        "sources": sources,
        "gpc_share": percent(sources.get("gpc", 0), total),
        "categories": [
            {"category": c, **v, "opt_in_rate": percent(v["granted"], v["granted"] + v["denied"])}
            for c, v in sorted(by_category.items())
        ],
        "languages": [
            {"lang": lang, "decisions": lang_totals[lang], "opt_in_rate": _rates(by_lang[lang])}
            for lang in sorted(lang_totals)
        ],
        "policy_versions": [
            {
                "policy_version": version,
                "decisions": version_totals[version],
                "opt_in_rate": _rates(by_version[version]),
            }
            for version in sorted(version_totals)
        ],
        "days": days,
    }


def consent_day_rows(report: dict[str, object]) -> list[dict[str, object]]:
    """The ``days`` of a consent report as flat rows (``analytics_granted`` ... columns)."""
    rows: list[dict[str, object]] = []
    days = report.get("days")
    assert isinstance(days, list)
    for day in days:
        row = {k: v for k, v in day.items() if k != "categories"}
        for category, counts in day["categories"].items():
            for what, n in counts.items():
                row[f"{category}_{what}"] = n
        rows.append(row)
    return rows
