"""One row of the access audit, as stored in ``audit_log`` and served by the audit API.

``ts`` is in the same format as hits (``gateway.timefmt.iso``: UTC, microseconds, ``Z``), so
retention deletes old rows by comparing text. ``actor`` names a credential without containing
it (see ``gateway.audit.actors``); ``target`` says what was asked for (report, export format
and dates, visitor id) and never holds a token or an IP address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

COLUMNS: Final = ("id", "ts", "site", "actor", "action", "target", "status", "detail")


@dataclass(frozen=True)
class AccessEntry:
    ts: str
    site: str | None
    actor: str
    action: str
    target: str | None
    status: int
    detail: str | None = None
    id: int | None = None  # given by the store

    def public(self) -> dict[str, object]:
        """The row as the audit API shows it, in ``COLUMNS`` order."""
        return {
            "id": self.id,
            "ts": self.ts,
            "site": self.site,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "status": self.status,
            "detail": self.detail,
        }
