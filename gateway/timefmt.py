"""One timestamp format everywhere: ISO 8601 in UTC with microseconds and a ``Z``.

Strings in this form sort in time order, so the database compares them as text.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # strftime's %Y does not pad these; keep its output exactly
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # isoformat is several times faster than strftime and gives the same text from year 1000 on
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
