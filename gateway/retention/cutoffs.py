"""What is old enough to purge: one cutoff per site and kind. Pure functions, no I/O.

Retention counts whole UTC days. A row stored on day D is kept through day D + N (N = the
policy's days) and removed by the first purge on day D + N + 1: the cutoff is midnight UTC at
the start of ``today - N``, and rows strictly before it go. Whole days keep every report day
either fully raw or fully aggregated (see ``gateway.retention.visits``).

Sites without a policy file (data left from a removed site) get the default retention, so
nothing stays forever because its policy is gone. Audit entries without a site are kept as long
as the longest ``audit_days`` of any policy (365 days without policies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Final, Literal

from gateway.policy import Retention
from gateway.timefmt import iso

Kind = Literal["hits", "consents", "audit"]
KINDS: Final[tuple[Kind, ...]] = ("hits", "consents", "audit")
DEFAULT: Final = Retention()


@dataclass(frozen=True)
class Cutoff:
    """Rows of ``kind`` for ``site`` (None: audit entries without a site) stored before
    ``before`` (a ``gateway.timefmt`` timestamp, midnight UTC) are purged."""

    site: str | None
    kind: Kind
    days: int
    before: str
    from_policy: bool = True

    @property
    def before_day(self) -> str:
        return self.before[:10]


def days_for(retention: Retention, kind: Kind) -> int:
    if kind == "hits":
        return retention.hits_days
    if kind == "consents":
        return retention.consents_days
    return retention.audit_days


def cutoff_before(now: datetime, days: int) -> datetime:
    """Midnight UTC starting the day ``days`` before ``now``'s UTC day."""
    today = now.astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=days), time(0), tzinfo=UTC)


def plan(
    retentions: Mapping[str, Retention],
    stored: Mapping[Kind, Iterable[str | None]],
    now: datetime,
) -> list[Cutoff]:
    """Every cutoff to apply, sites in name order, then kinds in ``KINDS`` order.

    ``retentions``: each policy's slug and retention. ``stored``: per kind, the sites that
    have rows of that kind in the database (None for audit entries without a site).
    """
    sites: set[str] = set(retentions)
    for kind in KINDS:
        sites.update(s for s in stored.get(kind, ()) if s is not None)
    unsited_days = max((r.audit_days for r in retentions.values()), default=DEFAULT.audit_days)
    cutoffs: list[Cutoff] = []
    for site in sorted(sites):
        retention = retentions.get(site)
        for kind in KINDS:
            known = set(stored.get(kind, ()))
            if retention is None and site not in known:
                continue  # no policy and nothing stored of this kind: nothing to say
            days = days_for(retention or DEFAULT, kind)
            cutoffs.append(
                Cutoff(site, kind, days, iso(cutoff_before(now, days)), retention is not None)
            )
    if None in set(stored.get("audit", ())):
        cutoffs.append(Cutoff(None, "audit", unsited_days, iso(cutoff_before(now, unsited_days))))
    return cutoffs
