"""In-process counters, rendered as Prometheus text at ``/metrics``.

Counters are per process; a scraper sums them across instances. Labels are closed sets (sites
from the policy files, drop reasons from ``DropReason``, consent actions from
``consent.ledger.ACTIONS``), so the series count stays bounded. The writer's own figures (batches,
operations, commit latency, queue depth) are passed in at render time: the writer keeps them.
"""

from __future__ import annotations

from collections import Counter

from gateway.forwarding.outbox import Backlog
from gateway.histogram import Histogram


class Metrics:
    def __init__(self) -> None:
        self.hits: Counter[tuple[str, str]] = Counter()  # (site, outcome)
        self.drops: Counter[tuple[str, str]] = Counter()  # (site, reason)
        self.invalid: Counter[str] = Counter()  # by reason class
        self.consents: Counter[tuple[str, str]] = Counter()  # (site, action)
        self.rate_limited: Counter[str] = Counter()  # by endpoint: consent, tracking
        # forwarded hits by outcome: delivered, failed (attempts), invalid, parked
        self.forwarded: Counter[str] = Counter()

    def render(
        self,
        *,
        batches: int,
        operations: int,
        commit_seconds: Histogram,
        queue_depth: int,
        outbox: Backlog | None = None,
    ) -> str:
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
            "# HELP gateway_consents_total Consent decisions recorded in the ledger, by action "
            "(accept_all, reject_all, custom, withdraw).",
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
            "# HELP gateway_write_queue_depth Operations waiting in the writer's queue.",
            "# TYPE gateway_write_queue_depth gauge",
            f"gateway_write_queue_depth {queue_depth}",
        ]
        lines += commit_seconds.render(
            "gateway_commit_seconds", "Duration of each group-commit transaction, in seconds."
        )
        if outbox is not None:
            lines += _forwarding_lines(self.forwarded, outbox)
        return "\n".join(lines) + "\n"


def _forwarding_lines(forwarded: Counter[str], outbox: Backlog) -> list[str]:
    lines = [
        "# HELP gateway_forward_backlog Hits in the outbox waiting to be forwarded.",
        "# TYPE gateway_forward_backlog gauge",
        f"gateway_forward_backlog {outbox.pending}",
        "# HELP gateway_forward_oldest_seconds Age of the oldest hit waiting to be forwarded.",
        "# TYPE gateway_forward_oldest_seconds gauge",
        f"gateway_forward_oldest_seconds {outbox.oldest_age:.3f}",
        "# HELP gateway_forward_parked Hits upstream refused, kept out of the delivery order.",
        "# TYPE gateway_forward_parked gauge",
        f"gateway_forward_parked {outbox.parked}",
        "# HELP gateway_forwarded_total Forwarded hits by outcome (delivered, failed attempts,",
        "# invalid in Matomo's answer, parked).",
        "# TYPE gateway_forwarded_total counter",
    ]
    lines += [
        f'gateway_forwarded_total{{outcome="{outcome}"}} {forwarded[outcome]}'
        for outcome in ("delivered", "failed", "invalid", "parked")
    ]
    return lines
