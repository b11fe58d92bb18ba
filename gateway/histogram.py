"""A Prometheus histogram: fixed buckets, a running sum and count, rendered as text.

Small on purpose: the gateway needs one histogram (group-commit latency) and no client library.
Buckets are upper bounds in ascending order; an observation counts in the first bucket whose
bound is at least the value (Prometheus ``le`` is inclusive), and every value counts in the
implicit ``+Inf`` bucket. Rendering gives cumulative bucket counts, ``_sum`` and ``_count``, as
the text exposition format wants them. Per process, like the counters in ``gateway.metrics``.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from typing import Final

# Seconds. A group commit on SQLite in WAL mode takes well under a millisecond to tens of
# milliseconds; the upper buckets catch waits for another process's write lock.
COMMIT_BUCKETS: Final = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


class Histogram:
    """Observations counted into buckets with fixed upper bounds."""

    def __init__(self, bounds: Sequence[float]) -> None:
        """``bounds``: finite upper bounds, strictly ascending, at least one."""
        if not bounds:
            raise ValueError("a histogram needs at least one bucket")
        if any(not math.isfinite(b) for b in bounds):
            raise ValueError("bucket bounds must be finite (+Inf is implicit)")
        if any(a >= b for a, b in zip(bounds, bounds[1:], strict=False)):
            raise ValueError("bucket bounds must be strictly ascending")
        self.bounds: tuple[float, ...] = tuple(float(b) for b in bounds)
        self._counts = [0] * (len(self.bounds) + 1)  # the last one is +Inf only
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        """Count ``value``; NaN is refused (it belongs in no bucket and would poison the sum)."""
        if math.isnan(value):
            raise ValueError("cannot observe NaN")
        self._counts[bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def cumulative(self) -> list[tuple[str, int]]:
        """``(le, observations <= le)`` for every bucket, ending with ``("+Inf", count)``."""
        rows: list[tuple[str, int]] = []
        running = 0
        for bound, n in zip(self.bounds, self._counts, strict=False):
            running += n
            rows.append((format_bound(bound), running))
        rows.append(("+Inf", running + self._counts[-1]))
        return rows

    def render(self, name: str, help_text: str) -> list[str]:
        """The histogram in Prometheus text format: HELP, TYPE, buckets, ``_sum``, ``_count``."""
        lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
        lines += [f'{name}_bucket{{le="{le}"}} {n}' for le, n in self.cumulative()]
        lines.append(f"{name}_sum {self.sum:.6f}")
        lines.append(f"{name}_count {self.count}")
        return lines


def format_bound(bound: float) -> str:
    """A bucket bound as Prometheus clients write it: ``0.005``, ``1.0``, ``10.0``."""
    return repr(float(bound))
