"""Apply retention through the ``Store``: every site and kind, one line of outcome each.

``gateway purge`` and the daily purge inside ``gateway serve`` both call ``purge_all``. Running it
twice, or on two instances at once, is harmless: each purge removes what is old now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from gateway.policy import Policy, Retention
from gateway.retention.cutoffs import Cutoff, plan
from gateway.retention.result import Removed
from gateway.storage.base import Store
from gateway.timefmt import iso


@dataclass(frozen=True)
class Outcome:
    cutoff: Cutoff
    removed: Removed
    dry_run: bool
    error: str = ""  # why this site and kind could not be purged this time

    def line(self) -> str:
        """``demo  hits  removed 120 hits, 30 visits stored before 2025-01-01 (395 days)``."""
        c = self.cutoff
        site = c.site if c.site is not None else "(no site)"
        if self.error:
            return f"{site:<24} {c.kind:<8} purge failed: {self.error}"
        verb = "would remove" if self.dry_run else "removed"
        counts = ", ".join(f"{n} {name}" for name, n in self.removed.counts.items())
        source = "" if c.from_policy else ", default: no policy file"
        text = f"{site:<24} {c.kind:<8} {verb} {counts} stored before {c.before_day} "
        text += f"({c.days} days{source})"
        if self.removed.note:
            text += f"; kept from {self.removed.note}"
        return text


def retentions(policies: Iterable[Policy]) -> dict[str, Retention]:
    return {p.slug: p.retention for p in policies}


async def purge_all(
    store: Store, retention: Mapping[str, Retention], now: datetime, *, dry_run: bool = False
) -> list[Outcome]:
    """Purge (or count, with ``dry_run``) everything older than its site's retention.

    A site and kind that fails is reported in its outcome (``error``) and the others still run;
    whatever a failed chunk changed was rolled back, so the next purge starts cleanly.
    """
    stored = await store.retention_sites()
    outcomes: list[Outcome] = []
    for cutoff in plan(retention, stored, now):
        try:
            removed = await store.purge(
                cutoff.kind, cutoff.site, cutoff.before, now=iso(now), dry_run=dry_run
            )
        except Exception as exc:
            outcomes.append(Outcome(cutoff, Removed(), dry_run, f"{type(exc).__name__}: {exc}"))
            continue
        outcomes.append(Outcome(cutoff, removed, dry_run))
    return outcomes
