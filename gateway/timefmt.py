"""One timestamp format everywhere: ISO 8601 in UTC with microseconds and a ``Z``.

Strings in this form sort in time order, so the database compares them as text.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
