"""Per-client request budgets: a token bucket per client address, in memory.

A visitor records a consent choice a few times per visit and sends a few tracking requests per
page; a script flooding either endpoint from one address is abuse. Each client address gets a
bucket of ``burst`` requests refilled at ``per_second``; a request that finds the bucket empty
is refused (the caller decides how: 429 for consent, a quiet drop for tracking, as Matomo
answers excluded requests).

Addresses live only in this process's memory, never in storage or logs, and the table is
bounded: the least recently seen clients are forgotten first. With several instances each
keeps its own buckets, so the effective limit grows with the number of instances - enough to
stop a flood, not an exact quota.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """``per_second`` sustained, up to ``burst`` at once; ``per_second <= 0`` means no limit."""

    per_second: float
    burst: int

    @property
    def unlimited(self) -> bool:
        return self.per_second <= 0

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"20/s"``, ``"600/min"``, ``"20/s,200"`` (with burst) or ``"0"`` (off)."""
        spec, _, burst_text = text.strip().partition(",")
        if spec.strip() in ("0", "off", ""):
            return cls(0.0, 0)
        amount_text, slash, unit = spec.partition("/")
        seconds = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}.get(unit.strip())
        try:
            amount = float(amount_text)
            burst = int(burst_text) if burst_text.strip() else max(1, int(amount * 10))
        except ValueError:
            raise ValueError(f"not a rate: {text!r} (use e.g. 20/s or 600/min,100)") from None
        if not slash or seconds is None or amount <= 0 or burst < 1:
            raise ValueError(f"not a rate: {text!r} (use e.g. 20/s or 600/min,100)")
        return cls(amount / seconds, burst)

    def __str__(self) -> str:
        return "off" if self.unlimited else f"{self.per_second:g}/s,{self.burst}"


class RateLimiter:
    """Token buckets keyed by client address; ``allow(key)`` spends one token if there is one."""

    def __init__(
        self,
        rate: Rate,
        *,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.refused = 0

    def allow(self, key: str) -> bool:
        if self.rate.unlimited:
            return True
        now = self._clock()
        tokens, then = self._buckets.pop(key, (float(self.rate.burst), now))
        tokens = min(float(self.rate.burst), tokens + (now - then) * self.rate.per_second)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        else:
            self.refused += 1
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self, key: str) -> int:
        """Whole seconds until ``key`` has a token again (at least 1)."""
        if self.rate.unlimited:
            return 0
        tokens, _ = self._buckets.get(key, (0.0, 0.0))
        return max(1, int((1.0 - tokens) / self.rate.per_second + 0.999))
