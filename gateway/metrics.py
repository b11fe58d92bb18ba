"""In-process counters, rendered as Prometheus text at ``/metrics``.

Counters are per process; a scraper sums them across instances. Labels are closed sets (sites
from the policy files, drop reasons from ``DropReason``), so the series count stays bounded.
"""

from __future__ import annotations

from collections import Counter


class Metrics:
    def __init__(self) -> None:
        self.hits: Counter[tuple[str, str]] = Counter()  # (site, outcome)
        self.drops: Counter[tuple[str, str]] = Counter()  # (site, reason)
        self.invalid: Counter[str] = Counter()  # by reason class
        self.consents: Counter[tuple[str, str]] = Counter()  # (site, action)
        self.rate_limited: Counter[str] = Counter()  # by endpoint: consent, tracking

    def render(self, *, batches: int, operations: int) -> str:
        lines = [
            "# HELP gateway_hits_total Tracking hits by outcome (stored, anonymous, dropped).",
            "# TYPE gateway_hits_total counter",
        ]
        lines += [
            f'gateway_hits_total{{site="{site}",outcome="{outcome}"}} {n}'
            for (site, outcome), n in sorted(self.hits.items())
        ]
        lines += [
            "# HELP gateway_hits_dropped_total Hits dropped, by reason.",
            "# TYPE gateway_hits_dropped_total counter",
        ]
        lines += [
            f'gateway_hits_dropped_total{{site="{site}",reason="{reason}"}} {n}'
            for (site, reason), n in sorted(self.drops.items())
        ]
        lines += [
            "# HELP gateway_requests_invalid_total Tracking requests answered 400.",
            "# TYPE gateway_requests_invalid_total counter",
        ]
        lines += [
            f'gateway_requests_invalid_total{{reason="{reason}"}} {n}'
            for reason, n in sorted(self.invalid.items())
        ]
        lines += [
            "# HELP gateway_requests_rate_limited_total Requests over a client's rate limit.",
            "# TYPE gateway_requests_rate_limited_total counter",
        ]
        lines += [
            f'gateway_requests_rate_limited_total{{endpoint="{endpoint}"}} {n}'
            for endpoint, n in sorted(self.rate_limited.items())
        ]
        lines += [
            "# HELP gateway_consents_total Consent records written, by action.",
            "# TYPE gateway_consents_total counter",
        ]
        lines += [
            f'gateway_consents_total{{site="{site}",action="{action}"}} {n}'
            for (site, action), n in sorted(self.consents.items())
        ]
        lines += [
            "# HELP gateway_write_batches_total Transactions committed by the group-commit writer.",
            "# TYPE gateway_write_batches_total counter",
            f"gateway_write_batches_total {batches}",
            "# HELP gateway_write_operations_total Operations committed by the writer.",
            "# TYPE gateway_write_operations_total counter",
            f"gateway_write_operations_total {operations}",
        ]
        return "\n".join(lines) + "\n"
