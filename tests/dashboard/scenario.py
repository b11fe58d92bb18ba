"""A hand-countable scenario for the dashboard, with two stored XSS attempts.

Visits (day 0 is the scenario's first day; times UTC):

- A, day 0: ``/`` at 10:00, ``/pricing`` at 10:05 (title ``<script>alert(1)</script>``):
  one visit, 2 page views, 300 s.
- B, day 0: ``/search?q="><svg onload=alert(1)>`` at 12:00: a bounce.
- B, day 1: ``/`` at 09:00: a bounce, and B is now a returning visitor.
- C, day 1: ``/``, ``/pricing``, ``/contact`` at 09:30, 09:31, 09:32: 3 page views, 120 s.

Totals: 3 visitors, 4 visits, 7 page views, 2 bounces (50 %), 420 s / 4 visits = 105 s
("1m 45s"), 1 returning visitor. Per day: day 0 has 2 visits and 3 page views, day 1 has
2 visits and 4 page views. Pages by the sum of daily visitors: ``/`` 3, ``/pricing`` 2,
``/contact`` 1, the XSS search URL 1.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.conftest import ADMIN

FIRST_DAY = date(2026, 3, 2)  # for the tests that use fixed dates
PERIOD = "?from=2026-03-01&to=2026-03-07"
SCRIPT_TITLE = "<script>alert(1)</script>"
SVG_QUERY = '"><svg onload=alert(1)>'
A, B, C = (letter * 16 for letter in "abc")

# (visitor, day offset, time, path, title)
HITS: list[tuple[str, int, str, str, str]] = [
    (A, 0, "10:00:00", "/", "Home"),
    (A, 0, "10:05:00", "/pricing", SCRIPT_TITLE),
    (B, 0, "12:00:00", f"/search?q={SVG_QUERY}", "Search"),
    (B, 1, "09:00:00", "/", "Home"),
    (C, 1, "09:30:00", "/", "Home"),
    (C, 1, "09:31:00", "/pricing", "Pricing"),
    (C, 1, "09:32:00", "/contact", "Contact"),
]

TOTALS = {
    "visitors": "3",
    "visits": "4",
    "pageviews": "7",
    "bounce_rate": "50%",
    "avg_visit_duration_s": "1m 45s",
    "returning_visitors": "1",
}
PER_DAY = [(2, 3), (2, 4)]  # (visits, page views) of day 0 and day 1


def hit_params(base: str, token: str, first_day: date) -> list[dict[str, Any]]:
    """Tracking parameters of every scenario hit, for a site served at ``base``."""
    result = []
    for visitor, offset, clock, path, title in HITS:
        day = first_day + timedelta(days=offset)
        result.append(
            {
                "idsite": 1,
                "rec": 1,
                "url": f"{base}{path}",
                "action_name": title,
                "_id": visitor,
                "gw_consent": token,
                "cdt": f"{day.isoformat()} {clock}",
                "token_auth": ADMIN,
                "send_image": 0,
            }
        )
    return result
