"""What the dashboard shows, computed from report data by pure functions.

The routes read one ``ReportData`` from the store (one snapshot, one thread hop) and hand it
here; these functions turn numbers into the tiles, charts and tables the templates print. No
I/O and no HTML except the SVG from ``charts`` (escaped there); the templates escape the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final, Literal
from urllib.parse import urlencode

from markupsafe import Markup

from gateway.dashboard import charts
from gateway.reports import definitions as d
from gateway.reports import queries
from gateway.reports.countries import country_name
from gateway.reports.periods import MAX_HOUR_DAYS, DateRange, Slot, slots
from gateway.reports.queries import Query
from gateway.reports.source import Filter, Interval, ReportSource

TABLE_ROWS: Final = 10  # rows shown per breakdown table
PUBLIC_FETCH: Final = 100  # rows read for a public table before small rows are hidden
PRESET_DAYS: Final = (7, 30, 90)


# -- formatting --------------------------------------------------------------------------------


def fmt_int(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "–"


def fmt_percent(value: object) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "–"
    return f"{charts.plain_number(round(float(value), 1))}%"


def fmt_duration(value: object) -> str:
    """Whole seconds as ``45s``, ``2m 05s`` or ``1h 02m``."""
    if not isinstance(value, int) or isinstance(value, bool):
        return "–"
    if value < 60:
        return f"{value}s"
    if value < 3600:
        return f"{value // 60}m {value % 60:02d}s"
    return f"{value // 3600}h {value % 3600 // 60:02d}m"


# -- periods -----------------------------------------------------------------------------------


def interval_for(period: DateRange) -> Interval:
    """Hours for one day, days up to a quarter, weeks up to two years, months beyond: about
    7 to 100 points, enough to see a shape and few enough to read."""
    if period.days == 1:
        return "hour"
    if period.days <= MAX_HOUR_DAYS:
        return "day"
    if period.days <= 731:
        return "week"
    return "month"


@dataclass(frozen=True)
class Preset:
    days: int
    start: str
    end: str
    active: bool


def presets(today: date, period: DateRange) -> list[Preset]:
    """The "last N days" links of the date-range picker (each ends today)."""
    result = []
    for days in PRESET_DAYS:
        first = today - timedelta(days=days - 1)
        active = period.first == first and period.last == today
        result.append(Preset(days, first.isoformat(), today.isoformat(), active))
    return result


_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def day_text(day: date, year: bool = True) -> str:
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def period_text(period: DateRange) -> str:
    if period.days == 1:
        return day_text(period.first)
    return (
        f"{day_text(period.first, period.first.year != period.last.year)} – {day_text(period.last)}"
    )


def slot_texts(label: str, interval: Interval) -> tuple[str, str]:
    """(full label for tooltips and tables, short label for the x axis) of a series row."""
    if interval == "hour":
        day, hour = date.fromisoformat(label[:10]), label[11:13]
        return f"{day_text(day)} {hour}:00", f"{hour}:00"
    day = date.fromisoformat(label)
    if interval == "month":
        text = f"{_MONTHS[day.month - 1]} {day.year}"
        return text, text
    if interval == "week":
        return f"Week of {day_text(day)}", day_text(day, False)
    return day_text(day), day_text(day, False)


# -- reading -----------------------------------------------------------------------------------

TableName = Literal[
    "pages",
    "page_titles",
    "entry_pages",
    "referrers",
    "campaigns",
    "countries",
    "browsers",
    "os",
    "devices",
    "events",
]


@dataclass(frozen=True)
class Column:
    title: str
    key: str
    kind: Literal["int", "percent"] = "int"


@dataclass(frozen=True)
class TableSpec:
    name: TableName
    title: str
    label: str
    columns: tuple[Column, ...]
    empty_label: str = "(not set)"
    filter: str = ""  # the stats API filter a row of this table sets (``filter=name:value``)


VISITORS = Column("Visitors", "visitors")
VISITS = Column("Visits", "visits")
TABLES: Final[tuple[TableSpec, ...]] = (
    TableSpec("pages", "Pages", "Page", (VISITORS, Column("Views", "pageviews")), filter="page"),
    TableSpec(
        "page_titles",
        "Page titles",
        "Title",
        (VISITORS, Column("Views", "pageviews")),
        filter="page_title",
    ),
    TableSpec(
        "entry_pages",
        "Entry pages",
        "Page",
        (VISITORS, Column("Entries", "visits"), Column("Bounce rate", "bounce_rate", "percent")),
        filter="entry_page",
    ),
    TableSpec(
        "referrers", "Referrers", "Source", (VISITORS, VISITS), "Direct entry", filter="referrer"
    ),
    TableSpec("campaigns", "Campaigns", "Campaign", (VISITORS, VISITS), filter="campaign"),
    TableSpec("countries", "Countries", "Country", (VISITORS, VISITS), filter="country"),
    TableSpec("browsers", "Browsers", "Browser", (VISITORS, VISITS), filter="browser"),
    TableSpec("os", "Operating systems", "System", (VISITORS, VISITS), filter="os"),
    TableSpec("devices", "Devices", "Device type", (VISITORS, VISITS), filter="device"),
    TableSpec(
        "events",
        "Events",
        "Category / action / name",
        (VISITORS, Column("Events", "events")),
        filter="event",
    ),
)


# -- filters -----------------------------------------------------------------------------------

FILTER_LABELS: Final[Mapping[str, str]] = {
    "page": "Page",
    "page_title": "Page title",
    "entry_page": "Entry page",
    "exit_page": "Exit page",
    "referrer": "Referrer",
    "referrer_type": "Channel",
    "campaign": "Campaign",
    "search_engine": "Search engine",
    "social_network": "Social network",
    "website": "Website",
    "country": "Country",
    "browser": "Browser",
    "os": "Operating system",
    "device": "Device type",
    "resolution": "Screen resolution",
    "language": "Language",
    "event": "Event",
    "event_category": "Event category",
    "event_action": "Event action",
    "event_name": "Event name",
    "outlink": "Outlink",
    "download": "Download",
    "search": "Site search",
}


@dataclass(frozen=True)
class Chip:
    """An active filter as the page shows it, with the link that removes it."""

    label: str
    value: str
    remove: str  # query string (with a leading "?") of the page without this filter


def page_query(period: DateRange | None, filters: Sequence[Filter]) -> str:
    """``?from=..&to=..&filter=name:value...``: the state of a dashboard page as a query
    string (URL-encoded; the template escapes it again for the attribute)."""
    pairs: list[tuple[str, str]] = []
    if period is not None:
        pairs += [("from", period.start), ("to", period.end)]
    pairs += [("filter", f"{f.name}:{f.value}") for f in filters]
    return "?" + urlencode(pairs)


def with_filter(filters: Sequence[Filter], added: Filter) -> tuple[Filter, ...]:
    """``filters`` with ``added`` in place of any filter of the same name (a second country
    would match nothing), appended otherwise."""
    return (*(f for f in filters if f.name != added.name), added)


def filter_value_text(f: Filter) -> str:
    if f.name == "country":
        return f"{country_name(f.value.upper())} ({f.value.upper()})" if f.value else "Unknown"
    if f.name == "event":
        return " / ".join(part for part in f.value.split(d.EVENT_SEPARATOR) if part)
    if f.name == "referrer" and not f.value:
        return "Direct entry"
    return f.value or "(not set)"


def chips(period: DateRange | None, filters: Sequence[Filter]) -> list[Chip]:
    return [
        Chip(
            FILTER_LABELS.get(f.name, f.name),
            filter_value_text(f),
            page_query(period, [g for g in filters if g != f]),
        )
        for f in filters
    ]


def row_filter(spec: TableSpec, row: Mapping[str, object]) -> Filter | None:
    """The filter that narrows the dashboard to one breakdown row."""
    if not spec.filter:
        return None
    if spec.name == "events":
        parts = (row.get("category"), row.get("action"), row.get("name"))
        return Filter("event", d.EVENT_SEPARATOR.join(str(p or "") for p in parts))
    return Filter(spec.filter, str(row.get("value") or ""))


@dataclass(frozen=True)
class ReportData:
    """Everything one dashboard page shows, read in one snapshot."""

    summary: Mapping[str, object]
    series: Sequence[Mapping[str, object]]
    previous_series: Sequence[Mapping[str, object]]
    tables: Mapping[str, Sequence[Mapping[str, object]]]
    consents: Mapping[str, object]
    realtime: Mapping[str, object] | None = None


def collect(
    src: ReportSource,
    query: Query,
    interval: Interval,
    required_categories: Iterable[str],
    table_limit: int,
    now: datetime | None = None,
) -> ReportData:
    """Run every report the page needs against one source; ``now`` adds the realtime count."""
    return ReportData(
        summary=queries.summary(src, query, compare=True),
        series=queries.timeseries(src, query, interval),
        previous_series=queries.timeseries(src, query.previous(), interval),
        tables={t.name: queries.breakdown(src, query, t.name, table_limit) for t in TABLES},
        consents=queries.consents(src, query.site, query.period, list(required_categories)),
        realtime=None if now is None else queries.realtime(src, query.site, now, 0),
    )


# -- tiles -------------------------------------------------------------------------------------


Trend = Literal["up", "down", "flat", "none"]


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    previous: str
    change: str
    trend: Trend
    good: bool | None  # whether the change is good news (None: neutral or unknown)


_TILES: Final = (
    ("visitors", "Visitors", fmt_int, True),
    ("visits", "Visits", fmt_int, True),
    ("pageviews", "Page views", fmt_int, True),
    ("bounce_rate", "Bounce rate", fmt_percent, False),
    ("avg_visit_duration_s", "Avg. visit duration", fmt_duration, True),
    ("returning_visitors", "Returning visitors", fmt_int, True),
)


def change_text(change: object, current: object, previous: object) -> tuple[str, Trend]:
    """("+12.5%", "up") from a relative change; "new" when the previous period had none."""
    if isinstance(change, (int, float)) and not isinstance(change, bool):
        if change > 0:
            return f"+{charts.plain_number(change)}%", "up"
        if change < 0:
            return f"−{charts.plain_number(-change)}%", "down"
        return "±0%", "flat"
    if previous in (0, None) and isinstance(current, (int, float)) and current:
        return "new", "up"
    return "–", "none"


def tiles(summary: Mapping[str, object]) -> list[Tile]:
    previous = summary.get("previous")
    before: Mapping[str, object] = previous if isinstance(previous, Mapping) else {}
    changes_raw = summary.get("change")
    changes: Mapping[str, object] = changes_raw if isinstance(changes_raw, Mapping) else {}
    result = []
    for key, label, fmt, higher_is_better in _TILES:
        text, trend = change_text(changes.get(key), summary.get(key), before.get(key))
        good = None
        if trend in ("up", "down") and text != "new":
            good = (trend == "up") == higher_is_better
        result.append(
            Tile(key, label, fmt(summary.get(key)), fmt(before.get(key)), text, trend, good)
        )
    return result


# -- charts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartView:
    """An SVG chart and the same numbers as a table (the accessible alternative)."""

    svg: Markup
    legend: tuple[tuple[str, str], ...]  # (name, swatch class)
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: bool = False


PREVIOUS_VISITS: Final = "visits, previous period"


def aligned(
    previous: Sequence[Mapping[str, object]], n: int, interval: Interval
) -> tuple[list[int | None], list[str]]:
    """The previous period's visits and point labels, by position in the period: point ``i``
    of the previous period against point ``i`` of this one (None where it has fewer)."""
    values: list[int | None] = []
    labels: list[str] = []
    for i in range(n):
        if i < len(previous):
            values.append(_int(previous[i].get("visits")))
            labels.append(slot_texts(str(previous[i]["date"]), interval)[0])
        else:
            values.append(None)
            labels.append("")
    return values, labels


def visits_chart(
    rows: Sequence[Mapping[str, object]],
    interval: Interval,
    previous: Sequence[Mapping[str, object]] | None = None,
) -> ChartView:
    """Visits and page views per point; with ``previous`` (the time series of the period just
    before, same interval) also that period's visits as a faint dashed line."""
    labels, ticks = [], []
    visits: list[float | None] = []
    views: list[float | None] = []
    table: list[tuple[str, ...]] = []
    before, before_labels = aligned(previous or (), len(rows), interval)
    for i, row in enumerate(rows):
        full, short = slot_texts(str(row["date"]), interval)
        labels.append(full)
        ticks.append(short)
        v, p = _int(row.get("visits")), _int(row.get("pageviews"))
        visits.append(v)
        views.append(p)
        cells: tuple[str, ...] = (full, fmt_int(_int(row.get("visitors"))), fmt_int(v), fmt_int(p))
        if previous is not None:
            cells += (fmt_int(before[i]),)
        table.append(cells)
    total_visits, total_views = sum(v or 0 for v in visits), sum(p or 0 for p in views)
    unit = {"hour": "hour", "day": "day", "week": "week", "month": "month"}[interval]
    series = [charts.Series("visits", tuple(visits)), charts.Series("page views", tuple(views))]
    legend = [("Visits", "s0"), ("Page views", "s1")]
    columns = ["Period", "Visitors", "Visits", "Page views"]
    desc = (
        f"Line chart, one point per {unit}: {total_visits:,} visits and "
        f"{total_views:,} page views in all."
    )
    if previous is not None:
        series.append(
            charts.Series(PREVIOUS_VISITS, tuple(before), tuple(before_labels), "previous")
        )
        legend.append(("Visits, previous period", "s-previous"))
        columns.append("Visits, previous period")
        desc += (
            f" A dashed line shows the visits of the previous period, "
            f"{sum(v or 0 for v in before):,} in all, point by point."
        )
    svg = charts.responsive_chart(
        labels,
        series,
        chart_id="visits-chart",
        title="Visits and page views",
        desc=desc + " The table below has every value.",
        tick_labels=ticks,
        integer=True,
        fill_first=True,
    )
    return ChartView(
        svg,
        tuple(legend),
        tuple(columns),
        tuple(table),
        empty=total_visits == 0 and total_views == 0,
    )


def consent_categories(report: Mapping[str, object], configured: Sequence[str]) -> list[str]:
    """The policy's optional categories in policy order, then any others the data has."""
    found: set[str] = set()
    for item in _list(report.get("categories")):
        if isinstance(item, Mapping) and isinstance(item.get("category"), str):
            found.add(str(item["category"]))
    return [*configured, *sorted(found - set(configured))]


def consent_rates(
    days: Sequence[Mapping[str, object]], buckets: Sequence[Slot], categories: Sequence[str]
) -> dict[str, list[float | None]]:
    """Opt-in rate (0..100, one decimal) per category and bucket; None for a bucket in which
    no choice offered the category. ``days`` are the consent report's ``days``."""
    counts: dict[str, list[list[int]]] = {c: [[0, 0] for _ in buckets] for c in categories}
    starts = [b.first for b in buckets]
    for day in days:
        when = date.fromisoformat(str(day.get("date")))
        index = _bucket_index(starts, when)
        if index is None:
            continue
        per_category = day.get("categories")
        if not isinstance(per_category, Mapping):
            continue
        for category, numbers in per_category.items():
            if category in counts and isinstance(numbers, Mapping):
                counts[category][index][0] += _int(numbers.get("granted"))
                counts[category][index][1] += _int(numbers.get("denied"))
    return {
        c: [queries.percent(g, g + d) for g, d in per_bucket] for c, per_bucket in counts.items()
    }


def _bucket_index(starts: Sequence[date], when: date) -> int | None:
    index = None
    for i, start in enumerate(starts):
        if start <= when:
            index = i
        else:
            break
    return index


def consent_chart(
    report: Mapping[str, object],
    period: DateRange,
    interval: Interval,
    configured: Sequence[str],
) -> ChartView:
    """Opt-in rate by category over time (daily buckets for a one-day range: consents are
    counted per day)."""
    bucket_interval: Interval = "day" if interval == "hour" else interval
    buckets = slots(period, bucket_interval)
    categories = consent_categories(report, configured)
    rates = consent_rates(
        [d for d in _list(report.get("days")) if isinstance(d, Mapping)], buckets, categories
    )
    labels, ticks = zip(*(slot_texts(b.label, bucket_interval) for b in buckets), strict=True)
    svg = charts.responsive_chart(
        list(labels),
        [charts.Series(f"opted in to {c}", tuple(rates[c])) for c in categories],
        chart_id="consent-chart",
        title="Opt-in rate by category",
        desc=(
            "Line chart of the share of consent choices that granted each category, "
            f"per {bucket_interval}, from 0 to 100 percent. The table below has every value."
        ),
        tick_labels=list(ticks),
        y_max=100,
        fmt=charts.percent_number,
    )
    table = tuple(
        (labels[i], *(fmt_percent(rates[c][i]) for c in categories)) for i in range(len(buckets))
    )
    choices = report.get("choices")
    return ChartView(
        svg,
        tuple((c, f"s{i}") for i, c in enumerate(categories)),
        ("Period", *categories),
        table,
        empty=not choices or not categories,
    )


# -- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    label: str
    detail: str
    cells: tuple[str, ...]
    bar: int  # 0..20: the bar behind the row, in 5 % steps of the largest first column
    href: str = ""  # the dashboard filtered to this row ("" when rows are not links)


@dataclass(frozen=True)
class Table:
    spec: TableSpec
    rows: tuple[TableRow, ...]
    hidden: int = 0
    columns: tuple[str, ...] = field(default=())


def row_label(spec: TableSpec, row: Mapping[str, object]) -> tuple[str, str]:
    """(label, detail) of one breakdown row: country names with their codes, referrer types
    beside referrer names, "(not set)" for empty values."""
    value = str(row.get("value") or "")
    if spec.name == "countries":
        return str(row.get("label") or "Unknown"), value
    if spec.name == "referrers":
        kind = str(row.get("type") or "")
        if kind == "direct" or not value:
            return spec.empty_label, ""
        return value, queries.REFERRER_TYPE_LABELS.get(kind, kind)
    return (value or spec.empty_label), ""


def _cell(column: Column, row: Mapping[str, object]) -> str:
    value = row.get(column.key)
    return fmt_percent(value) if column.kind == "percent" else fmt_int(value)


def table(
    spec: TableSpec,
    rows: Sequence[Mapping[str, object]],
    min_visitors: int = 0,
    limit: int = TABLE_ROWS,
    links: tuple[DateRange, Sequence[Filter]] | None = None,
) -> Table:
    """A breakdown table: rows with fewer than ``min_visitors`` visitors are left out (public
    dashboards) and counted in ``hidden``; at most ``limit`` rows are kept. With ``links``
    (the page's period and filters) every row links to the page filtered to it."""
    kept = [r for r in rows if _int(r.get("visitors")) >= min_visitors]
    hidden = len(rows) - len(kept)
    kept = kept[:limit]
    largest = max((_int(r.get(spec.columns[0].key)) for r in kept), default=0)
    out = []
    for row in kept:
        label, detail = row_label(spec, row)
        first = _int(row.get(spec.columns[0].key))
        bar = round(20 * first / largest) if largest else 0
        href = ""
        chosen = row_filter(spec, row) if links is not None else None
        if links is not None and chosen is not None:
            href = page_query(links[0], with_filter(links[1], chosen))
        out.append(TableRow(label, detail, tuple(_cell(c, row) for c in spec.columns), bar, href))
    return Table(spec, tuple(out), hidden, (spec.label, *(c.title for c in spec.columns)))


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []
