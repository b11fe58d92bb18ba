"""SVG geometry and markup: pure functions checked with plain numbers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from gateway.dashboard import charts
from gateway.dashboard.charts import NARROW, WIDE, Series

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("largest", "integer", "expected"),
    [
        (0, False, [0, 0.25, 0.5, 0.75, 1]),
        (0, True, [0, 1, 2, 3, 4]),
        (1, True, [0, 1]),
        (3, True, [0, 1, 2, 3]),
        (5, True, [0, 2, 4, 6]),
        (8, True, [0, 2, 4, 6, 8]),
        (12, True, [0, 5, 10, 15]),
        (10, False, [0, 2.5, 5, 7.5, 10]),
        (0.3, False, [0, 0.1, 0.2, 0.3]),
        (99, True, [0, 25, 50, 75, 100]),
        (2400, True, [0, 1000, 2000, 3000]),
    ],
)
def test_axis_ticks_are_round(largest: float, integer: bool, expected: list[float]) -> None:
    assert charts.axis_ticks(largest, integer=integer) == pytest.approx(expected)


@pytest.mark.parametrize("largest", [1, 2, 3, 7, 13, 99, 101, 999, 12345])
def test_integer_axes_cover_the_data_in_whole_steps(largest: int) -> None:
    ticks = charts.axis_ticks(largest, integer=True)
    assert ticks[0] == 0 and ticks[-1] >= largest
    assert all(float(t).is_integer() for t in ticks)
    assert 2 <= len(ticks) <= 6


def test_ticks_positions_and_clamping() -> None:
    assert charts.y_ticks(20) == [0, 5, 10, 15, 20]
    assert charts.x_positions(0, 100, 10) == []
    assert charts.x_positions(1, 100, 10) == [60]
    assert charts.x_positions(3, 100, 10) == [10, 60, 110]
    assert charts.y_position(0, 10, 100, 5) == 105  # bottom
    assert charts.y_position(10, 10, 100, 5) == 5  # top
    assert charts.y_position(50, 10, 100, 5) == 5  # clamped
    assert charts.y_position(-1, 10, 100, 5) == 105
    assert charts.y_position(3, 0, 100, 5) == 105  # an empty axis draws at the bottom


@pytest.mark.parametrize(
    ("n", "most", "expected"),
    [
        (0, 6, []),
        (1, 6, [0]),
        (6, 6, [0, 1, 2, 3, 4, 5]),
        (7, 6, [0, 2, 4, 6]),
        (30, 6, [0, 6, 12, 18, 24, 29]),
        (31, 4, [0, 10, 20, 30]),
        (90, 8, [0, 13, 26, 39, 52, 65, 78, 89]),
    ],
)
def test_label_indexes(n: int, most: int, expected: list[int]) -> None:
    chosen = charts.label_indexes(n, most)
    assert chosen == expected
    assert len(chosen) <= most + 1


def test_segments_break_at_gaps_and_paths() -> None:
    points = [(0.0, 1.0), None, (2.0, 3.0), (4.0, 5.0), None, None, (6.0, 7.0)]
    runs = charts.segments(points)
    assert runs == [[(0.0, 1.0)], [(2.0, 3.0), (4.0, 5.0)], [(6.0, 7.0)]]
    assert charts.path_data(runs[1]) == "M2.0 3.0 L4.0 5.0"
    assert charts.area_data(runs[1], 10) == "M2.0 3.0 L4.0 5.0 L4.0 10.0 L2.0 10.0 Z"
    assert charts.area_data([], 10) == ""


def test_number_formats() -> None:
    assert charts.plain_number(1234) == "1,234"
    assert charts.plain_number(12.5) == "12.5"
    assert charts.plain_number(2.0) == "2"
    assert charts.percent_number(50) == "50%"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_line_chart_is_accessible_well_formed_svg() -> None:
    svg = charts.line_chart(
        ["1 Mar", "2 Mar", "3 Mar"],
        [Series("visits", (1, 4, 2)), Series("page views", (2, 8, None))],
        chart_id="c",
        title="Visits",
        desc="Three days.",
        frame=WIDE,
    )
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c-t c-d"
    assert root.get("viewBox") == "0 0 960 300"
    assert root.find(f"{SVG}title").text == "Visits"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Three days."  # type: ignore[union-attr]
    tips = [t.text for t in root.iter(f"{SVG}title")][1:]
    assert tips == [
        "1 Mar, visits: 1",
        "2 Mar, visits: 4",
        "3 Mar, visits: 2",
        "1 Mar, page views: 2",
        "2 Mar, page views: 8",
    ]
    ticks = [t.text for t in root.iter(f"{SVG}text")]
    assert ticks[:5] == ["0", "2", "4", "6", "8"]  # nice steps up to the largest value
    assert ticks[5:] == ["1 Mar", "2 Mar", "3 Mar"]
    assert "style=" not in svg and "<script" not in svg


def test_points_land_where_the_values_are() -> None:
    svg = charts.line_chart(
        ["a", "b"], [Series("s", (0, 10))], chart_id="c", title="t", desc="d", frame=NARROW
    )
    circles = re.findall(r'cx="([\d.]+)" cy="([\d.]+)"', svg)
    f = NARROW
    assert [(float(x), float(y)) for x, y in circles] == [
        (f.left, f.top + f.plot_height),
        (f.width - f.right, f.top),
    ]


def test_a_lonely_point_between_gaps_gets_a_marker_even_in_long_series() -> None:
    values: list[float | None] = [None] * 100
    values[50] = 3
    svg = charts.line_chart(
        [str(i) for i in range(100)],
        [Series("s", tuple(values))],
        chart_id="c",
        title="t",
        desc="d",
    )
    assert svg.count("<circle") == 1 and 'class="lonely"' in svg
    assert '<path class="line"' not in svg


def test_long_series_have_no_markers_but_lines() -> None:
    svg = charts.line_chart(
        [str(i) for i in range(100)],
        [Series("s", tuple(float(i) for i in range(100)))],
        chart_id="c",
        title="t",
        desc="d",
    )
    assert "<circle" not in svg and svg.count('<path class="line"') == 1


def test_every_text_is_escaped() -> None:
    evil = '<script>alert(1)</script>"><svg onload=alert(1)>'
    svg = charts.responsive_chart(
        [evil],
        [Series(evil, (1,))],
        chart_id='x" onload="alert(1)',
        title=evil,
        desc=evil,
        tick_labels=[evil],
    )
    assert "<script" not in svg and "<svg onload" not in svg and '" onload="' not in svg
    wrapped = f"<root>{svg}</root>"
    root = ET.fromstring(wrapped)  # still well-formed markup
    assert len(root.findall(f".//{SVG}svg")) == 2
    assert svg.count('class="chart-wide"') == 1 and svg.count('class="chart-narrow"') == 1


def test_empty_chart_draws_an_axis() -> None:
    svg = charts.line_chart([], [Series("s", ())], chart_id="c", title="t", desc="d", integer=True)
    root = parse(svg)
    assert [t.text for t in root.iter(f"{SVG}text")] == ["0", "1", "2", "3", "4"]
