"""Charts as inline SVG strings, computed by pure functions: no chart library, no script.

Why server-rendered SVG: the page needs no JavaScript at all (so the CSP can forbid scripts),
the chart is part of the HTML the test reads, and it prints. Geometry (scales, ticks, paths) is
separated from markup so each step is tested with plain numbers.

Accessibility: every chart is ``role="img"`` labelled by its ``<title>`` and ``<desc>``, each
point carries a ``<title>`` tooltip with its exact value, and the dashboard puts the same
numbers in a data table next to the chart. Every text that reaches the SVG is escaped.
Colours come from the stylesheet through the ``series-N`` classes, so the SVG has no
``style`` attributes (which the CSP would block).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from markupsafe import Markup, escape

MAX_POINT_MARKERS: Final = 62  # above this, points get no marker (the table has the values)

Point = tuple[float, float]


@dataclass(frozen=True)
class Frame:
    """The drawing area in SVG units: the size, the margins for tick labels, and how many x
    labels fit.

    An SVG scales as a whole, text included, so one drawing cannot suit both a wide screen
    and a phone: the page carries a ``WIDE`` and a ``NARROW`` drawing of each chart and the
    stylesheet shows the one that fits (the hidden one is not rendered, nor read out).
    """

    width: int
    height: int
    left: int = 48
    right: int = 14
    top: int = 14
    bottom: int = 30
    x_labels: int = 6

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom


WIDE: Final = Frame(960, 300, x_labels=8)
NARROW: Final = Frame(360, 240, left=44, right=12, x_labels=4)


@dataclass(frozen=True)
class Series:
    """One line: ``values`` align with the chart's labels; None is a gap (no data).

    ``labels`` name this series' own points in tooltips when they differ from the chart's
    (a previous period drawn against the current one, aligned by position). ``kind``
    "previous" draws a faint dashed line in the stylesheet's ``series-previous`` style instead
    of the next colour.
    """

    name: str
    values: tuple[float | None, ...]
    labels: tuple[str, ...] | None = None
    kind: Literal["line", "previous"] = "line"


def nice_step(raw: float, integer: bool = False) -> float:
    """The smallest "nice" step (1, 2, 2.5 or 5 times a power of ten) >= ``raw``.

    Ticks on nice steps read as round numbers; counts (``integer``) never get a fractional
    step, since half a visit means nothing.
    """
    if raw <= 0 or math.isnan(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    if integer and power < 1:
        return 1.0
    multiples = (1, 2, 5, 10) if integer and power == 1 else (1, 2, 2.5, 5, 10)
    for multiple in multiples:
        if raw <= multiple * power * (1 + 1e-9):
            return multiple * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def axis_ticks(largest: float, count: int = 4, integer: bool = False) -> list[float]:
    """Tick values from 0 to the first nice step at or above ``largest``, about ``count``
    intervals; an empty axis goes from 0 to 1 (or 0 to ``count`` for counts)."""
    if largest <= 0 or math.isnan(largest):
        largest = float(count) if integer else 1.0
    step = nice_step(largest / count, integer)
    n = max(1, math.ceil(largest / step - 1e-9))
    return [step * i for i in range(n + 1)]


def y_ticks(top: float, count: int = 4) -> list[float]:
    """``count + 1`` evenly spaced tick values from 0 to ``top``."""
    return [top * i / count for i in range(count + 1)]


def x_positions(n: int, width: float, left: float) -> list[float]:
    """x of ``n`` evenly spaced points; a single point sits in the middle."""
    if n <= 0:
        return []
    if n == 1:
        return [left + width / 2]
    return [left + width * i / (n - 1) for i in range(n)]


def y_position(value: float, top: float, height: float, offset: float) -> float:
    """y of ``value`` on an axis from 0 (bottom) to ``top``; values are clamped to the axis."""
    share = min(max(value / top, 0.0), 1.0) if top > 0 else 0.0
    return offset + height * (1 - share)


def label_indexes(n: int, most: int) -> list[int]:
    """Which of ``n`` x labels to print so that at most ``most`` show, evenly, the first
    always and the last when it does not crowd its neighbour."""
    if n <= most:
        return list(range(n))
    step = math.ceil((n - 1) / (most - 1))
    chosen = list(range(0, n, step))
    if (n - 1) - chosen[-1] >= step / 2:
        chosen.append(n - 1)
    return chosen


def segments(points: Sequence[Point | None]) -> list[list[Point]]:
    """Runs of consecutive points between gaps (None)."""
    runs: list[list[Point]] = []
    current: list[Point] = []
    for point in points:
        if point is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(point)
    if current:
        runs.append(current)
    return runs


def path_data(run: Sequence[Point]) -> str:
    """An SVG path ``d`` through the points of one run."""
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f} {y:.1f}" for i, (x, y) in enumerate(run))


def area_data(run: Sequence[Point], baseline: float) -> str:
    """A closed path ``d`` between one run and the baseline (for a light fill under a line)."""
    if not run:
        return ""
    first, last = run[0], run[-1]
    return f"{path_data(run)} L{last[0]:.1f} {baseline:.1f} L{first[0]:.1f} {baseline:.1f} Z"


def plain_number(value: float) -> str:
    """Integers with thousands separators, other values with one decimal."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def percent_number(value: float) -> str:
    return f"{plain_number(value)}%"


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    desc: str,
    frame: Frame = WIDE,
    tick_labels: Sequence[str] | None = None,
    y_max: float | None = None,
    integer: bool = False,
    fmt: Callable[[float], str] = plain_number,
    fill_first: bool = False,
) -> Markup:
    """An SVG line chart: one line per series over ``labels`` (x, in order).

    ``labels`` name each point in tooltips; ``tick_labels`` (same length) are the shorter texts
    printed under the x axis. ``y_max`` fixes the axis (100 for rates); otherwise the axis
    ends on a nice step at or above the largest value (whole steps for ``integer`` counts).
    ``fill_first`` shades the area under the first series.
    """
    f = frame
    ticks_text = list(tick_labels) if tick_labels is not None else list(labels)
    largest = max((v for s in series for v in s.values if v is not None), default=0.0)
    ticks = y_ticks(y_max) if y_max is not None else axis_ticks(largest, integer=integer)
    top = ticks[-1]
    xs = x_positions(len(labels), f.plot_width, f.left)

    def y_of(value: float) -> float:
        return y_position(value, top, f.plot_height, f.top)

    baseline = y_of(0)
    ident = escape(chart_id)
    out: list[str] = [
        f'<svg class="chart" viewBox="0 0 {f.width} {f.height}" role="img"'
        f' aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(desc)}</desc>',
        '<g class="grid">',
    ]
    for tick in ticks:
        y = y_of(tick)
        out.append(
            f'<line x1="{f.left}" x2="{f.width - f.right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(tick))}</text>"
        )
    out.append("</g>")
    out.append('<g class="xticks">')
    for i in label_indexes(len(labels), f.x_labels):
        anchor = "middle"
        if len(labels) > 1 and i == 0:
            anchor = "start"
        elif len(labels) > 1 and i == len(labels) - 1:
            anchor = "end"
        out.append(
            f'<text x="{xs[i]:.1f}" y="{f.height - 8}" text-anchor="{anchor}">'
            f"{escape(ticks_text[i])}</text>"
        )
    out.append("</g>")
    markers = len(labels) <= MAX_POINT_MARKERS
    for index, one in enumerate(series):
        points: list[Point | None] = [
            None if v is None else (xs[i], y_of(v)) for i, v in enumerate(one.values)
        ]
        runs = segments(points)
        style = "series-previous" if one.kind == "previous" else f"series-{index}"
        names = one.labels if one.labels is not None else labels
        out.append(f'<g class="series {style}">')
        if fill_first and index == 0:
            out.extend(f'<path class="area" d="{area_data(run, baseline)}"/>' for run in runs)
        out.extend(f'<path class="line" d="{path_data(run)}"/>' for run in runs if len(run) > 1)
        for i, value in enumerate(one.values):
            point = points[i]
            if value is None or point is None:
                continue
            lonely = _lonely(one.values, i)
            if not markers and not lonely:
                continue
            out.append(
                f'<circle class="{"lonely" if lonely else "point"}"'
                f' cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="{4 if lonely else 3}">'
                f"<title>{escape(names[i])}, {escape(one.name)}: {escape(fmt(value))}</title>"
                "</circle>"
            )
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def responsive_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    desc: str,
    tick_labels: Sequence[str] | None = None,
    y_max: float | None = None,
    integer: bool = False,
    fmt: Callable[[float], str] = plain_number,
    fill_first: bool = False,
) -> Markup:
    """The same chart drawn for wide screens and for phones (see ``Frame``), each in its own
    wrapper that the stylesheet shows or hides."""
    drawings = [
        line_chart(
            labels,
            series,
            chart_id=f"{chart_id}-{name}",
            title=title,
            desc=desc,
            frame=frame,
            tick_labels=tick_labels,
            y_max=y_max,
            integer=integer,
            fmt=fmt,
            fill_first=fill_first,
        )
        for name, frame in (("wide", WIDE), ("narrow", NARROW))
    ]
    return Markup('<div class="chart-wide">{}</div><div class="chart-narrow">{}</div>').format(
        *drawings
    )


def _lonely(values: Sequence[float | None], i: int) -> bool:
    """A point with gaps on both sides draws no line, so it always gets a marker."""
    before = i > 0 and values[i - 1] is not None
    after = i + 1 < len(values) and values[i + 1] is not None
    return not before and not after
