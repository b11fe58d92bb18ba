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

from markupsafe import Markup

from gateway.dashboard import charts
from gateway.reports import queries
from gateway.reports.periods import MAX_HOUR_DAYS, DateRange, Slot, slots
from gateway.reports.queries import Query
from gateway.reports.source import Interval, ReportSource

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


VISITORS = Column("Visitors", "visitors")
VISITS = Column("Visits", "visits")
TABLES: Final[tuple[TableSpec, ...]] = (
    TableSpec("pages", "Pages", "Page", (VISITORS, Column("Views", "pageviews"))),
    TableSpec("page_titles", "Page titles", "Title", (VISITORS, Column("Views", "pageviews"))),
    TableSpec(
        "entry_pages",
        "Entry pages",
        "Page",
        (VISITORS, Column("Entries", "visits"), Column("Bounce rate", "bounce_rate", "percent")),
    ),
    TableSpec("referrers", "Referrers", "Source", (VISITORS, VISITS), "Direct entry"),
    TableSpec("campaigns", "Campaigns", "Campaign", (VISITORS, VISITS)),
    TableSpec("countries", "Countries", "Country", (VISITORS, VISITS)),
    TableSpec("browsers", "Browsers", "Browser", (VISITORS, VISITS)),
    TableSpec("os", "Operating systems", "System", (VISITORS, VISITS)),
    TableSpec("devices", "Devices", "Device type", (VISITORS, VISITS)),
    TableSpec(
        "events", "Events", "Category / action / name", (VISITORS, Column("Events", "events"))
    ),
)


@dataclass(frozen=True)
class ReportData:
    """Everything one dashboard page shows, read in one snapshot."""

    summary: Mapping[str, object]
    series: Sequence[Mapping[str, object]]
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
    legend: tuple[str, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: bool = False


def visits_chart(rows: Sequence[Mapping[str, object]], interval: Interval) -> ChartView:
    labels, ticks = [], []
    visits: list[float | None] = []
    views: list[float | None] = []
    table: list[tuple[str, ...]] = []
    for row in rows:
        full, short = slot_texts(str(row["date"]), interval)
        labels.append(full)
        ticks.append(short)
        v, p = _int(row.get("visits")), _int(row.get("pageviews"))
        visits.append(v)
        views.append(p)
        table.append((full, fmt_int(_int(row.get("visitors"))), fmt_int(v), fmt_int(p)))
    total_visits, total_views = sum(v or 0 for v in visits), sum(p or 0 for p in views)
    unit = {"hour": "hour", "day": "day", "week": "week", "month": "month"}[interval]
    svg = charts.responsive_chart(
        labels,
        [charts.Series("visits", tuple(visits)), charts.Series("page views", tuple(views))],
        chart_id="visits-chart",
        title="Visits and page views",
        desc=(
            f"Line chart, one point per {unit}: {total_visits:,} visits and "
            f"{total_views:,} page views in all. The table below has every value."
        ),
        tick_labels=ticks,
        integer=True,
        fill_first=True,
    )
    return ChartView(
        svg,
        ("Visits", "Page views"),
        ("Period", "Visitors", "Visits", "Page views"),
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
        tuple(categories),
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
) -> Table:
    """A breakdown table: rows with fewer than ``min_visitors`` visitors are left out (public
    dashboards) and counted in ``hidden``; at most ``limit`` rows are kept."""
    kept = [r for r in rows if _int(r.get("visitors")) >= min_visitors]
    hidden = len(rows) - len(kept)
    kept = kept[:limit]
    largest = max((_int(r.get(spec.columns[0].key)) for r in kept), default=0)
    out = []
    for row in kept:
        label, detail = row_label(spec, row)
        first = _int(row.get(spec.columns[0].key))
        bar = round(20 * first / largest) if largest else 0
        out.append(TableRow(label, detail, tuple(_cell(c, row) for c in spec.columns), bar))
    return Table(spec, tuple(out), hidden, (spec.label, *(c.title for c in spec.columns)))


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []
