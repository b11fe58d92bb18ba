"""The Prometheus histogram: which bucket a value lands in, and how it is written out."""

from __future__ import annotations

import math

import pytest

from gateway.histogram import COMMIT_BUCKETS, Histogram, format_bound

BOUNDS = (0.1, 0.5, 1.0)


@pytest.mark.parametrize(
    ("observations", "cumulative"),
    [
        ([], [("0.1", 0), ("0.5", 0), ("1.0", 0), ("+Inf", 0)]),
        ([0.05], [("0.1", 1), ("0.5", 1), ("1.0", 1), ("+Inf", 1)]),
        # le is inclusive: a value equal to a bound counts in that bucket
        ([0.1], [("0.1", 1), ("0.5", 1), ("1.0", 1), ("+Inf", 1)]),
        ([0.10001], [("0.1", 0), ("0.5", 1), ("1.0", 1), ("+Inf", 1)]),
        ([1.0], [("0.1", 0), ("0.5", 0), ("1.0", 1), ("+Inf", 1)]),
        # above the last bound: only +Inf
        ([7.5], [("0.1", 0), ("0.5", 0), ("1.0", 0), ("+Inf", 1)]),
        ([0.0], [("0.1", 1), ("0.5", 1), ("1.0", 1), ("+Inf", 1)]),
        (
            [0.01, 0.2, 0.3, 0.9, 2.0, 0.1],
            [("0.1", 2), ("0.5", 4), ("1.0", 5), ("+Inf", 6)],
        ),
    ],
)
def test_buckets_are_cumulative_and_inclusive(
    observations: list[float], cumulative: list[tuple[str, int]]
) -> None:
    histogram = Histogram(BOUNDS)
    for value in observations:
        histogram.observe(value)
    assert histogram.cumulative() == cumulative
    assert histogram.count == len(observations)
    assert histogram.sum == pytest.approx(sum(observations))


def test_renders_prometheus_text() -> None:
    histogram = Histogram(BOUNDS)
    for value in (0.05, 0.7, 3.0):
        histogram.observe(value)
    assert histogram.render("x_seconds", "How long x took.") == [
        "# HELP x_seconds How long x took.",
        "# TYPE x_seconds histogram",
        'x_seconds_bucket{le="0.1"} 1',
        'x_seconds_bucket{le="0.5"} 1',
        'x_seconds_bucket{le="1.0"} 2',
        'x_seconds_bucket{le="+Inf"} 3',
        "x_seconds_sum 3.750000",
        "x_seconds_count 3",
    ]


@pytest.mark.parametrize(
    ("bounds", "problem"),
    [
        ((), "at least one bucket"),
        ((0.5, 0.1), "strictly ascending"),
        ((0.1, 0.1), "strictly ascending"),
        ((0.1, math.inf), "finite"),
        ((math.nan,), "finite"),
    ],
)
def test_refuses_bounds_that_are_not_buckets(bounds: tuple[float, ...], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Histogram(bounds)


def test_refuses_nan_and_keeps_its_counts() -> None:
    histogram = Histogram(BOUNDS)
    histogram.observe(0.2)
    with pytest.raises(ValueError, match="NaN"):
        histogram.observe(math.nan)
    assert histogram.count == 1 and histogram.sum == 0.2


@pytest.mark.parametrize(
    ("bound", "text"), [(0.0005, "0.0005"), (0.25, "0.25"), (1, "1.0"), (10.0, "10.0")]
)
def test_bounds_are_written_as_floats(bound: float, text: str) -> None:
    assert format_bound(bound) == text


def test_commit_buckets_span_sub_millisecond_to_lock_waits() -> None:
    histogram = Histogram(COMMIT_BUCKETS)  # valid as a histogram
    assert histogram.bounds[0] <= 0.001 and histogram.bounds[-1] >= 10.0
