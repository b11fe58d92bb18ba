"""``gateway outbox``: what waits to be forwarded, and releasing or dropping parked rows.

Parked rows are hits the upstream Matomo refused one by one (HTTP 400, typically a token
without write access to a site). They stay in the outbox until an operator, having fixed the
cause, releases them (due again now, their attempts kept) or drops them for good. The report
shows each row's id, site, time, attempts and the reason; never its query, which holds the
visitor's data (URL, user agent, truncated IP). Text is built by pure functions; ``run`` is
the only part that touches the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gateway.forwarding.outbox import Backlog, ParkedRow
from gateway.storage.base import Store

# Parked rows listed by ``gateway outbox``; the count of the rest is printed after them.
LIST_MAX = 100

Action = Literal["show", "release", "drop"]


@dataclass(frozen=True)
class Report:
    """What the command prints: ``lines`` to standard output, ``notes`` to standard error."""

    lines: list[str]
    notes: list[str]


def age_text(seconds: float) -> str:
    """A backlog age for people: ``45 s``, ``12 min 5 s``, ``3 h 20 min``, ``2 d 4 h``."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def status_lines(backlog: Backlog, parked: Sequence[ParkedRow]) -> list[str]:
    """The backlog in one line, then a table of the parked rows (at most ``len(parked)``)."""
    oldest = f", oldest {age_text(backlog.oldest_age)}" if backlog.pending else ""
    lines = [f"outbox: {backlog.pending} pending{oldest}; {backlog.parked} parked"]
    if not parked:
        return lines
    header = ("id", "site", "created", "attempts", "last error")
    table = [header] + [
        (str(r.id), r.site, r.created, str(r.attempts), r.last_error or "") for r in parked
    ]
    widths = [max(len(row[col]) for row in table) for col in range(len(header) - 1)]
    lines.append("")
    lines.append("parked (refused by the upstream Matomo; fix the cause, then --release):")
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  " + "  ".join([*cells, row[-1]]).rstrip())
    more = backlog.parked - len(parked)
    if more > 0:
        lines.append(f"  ... and {more} more")
    return lines


def changed_lines(action: Action, count: int, ids: Sequence[int] | None) -> Report:
    """The outcome of ``--release`` / ``--drop``: how many rows, and given ids left alone."""
    noun = "row" if count == 1 else "rows"
    if action == "release":
        lines = [f"released {count} parked {noun}: due for delivery now"]
    else:
        lines = [f"dropped {count} parked {noun}"]
    notes: list[str] = []
    if ids is not None and count < len(set(ids)):
        missing = len(set(ids)) - count
        notes.append(
            f"{missing} of the given ids {'is' if missing == 1 else 'are'} not a parked row "
            "(already released, delivered or dropped, or no such row); left alone"
        )
    return Report(lines, notes)


async def run(store: Store, action: Action, ids: Sequence[int] | None) -> Report:
    """Do ``action`` on an open store. ``ids`` None means every parked row."""
    if action == "release":
        return changed_lines(action, await store.outbox_release(ids), ids)
    if action == "drop":
        return changed_lines(action, await store.outbox_drop(ids), ids)
    backlog = await store.outbox_backlog()
    parked = await store.outbox_parked(LIST_MAX)
    return Report(status_lines(backlog, parked), [])
