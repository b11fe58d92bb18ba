"""Random small hit sets for the property tests, built to hit the edges of the definitions.

Hits cluster around midnight and around the visit timeout (gaps of exactly the timeout, one
microsecond less or more, equal timestamps), mix kinds, referrers, campaigns, anonymous hits
and consented hits without a visitor id, and span a Sunday-Monday week and a month boundary.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from gateway.timefmt import iso
from gateway.tracking.record import HitRecord
from gateway.tracking.urls import referrer_host

TIMEOUTS = {"demo": 30 * 60, "other": 10 * 60}  # seconds, per site
# Sunday 2026-05-31 22:00 UTC: the next day is a Monday and a new month.
BASE = datetime(2026, 5, 31, 22, 0, tzinfo=UTC)
KINDS = (
    ["pageview"] * 10
    + ["event"] * 3
    + ["ping"] * 2
    + ["outlink", "download", "search", "content", "goal"]
)
URLS = (
    "https://example.fi/",
    "https://example.fi/a",
    "https://example.fi/b?x=1",
    "https://example.fi/c#part",
)
REFERRERS = (
    None,
    None,
    "https://www.google.fi/search",
    "https://l.facebook.com/",
    "https://blog.example.org/post",
    "https://example.fi/a",
)


def _gaps(timeout: int) -> list[timedelta]:
    t = timedelta(seconds=timeout)
    us = timedelta(microseconds=1)
    return [
        timedelta(0),
        us,
        timedelta(seconds=1),
        timedelta(minutes=7),
        t - us,
        t,
        t + us,
        timedelta(minutes=31),
        timedelta(hours=3),
    ]


def _hit(rng: random.Random, site: str, when: datetime, visitor: str | None) -> HitRecord:
    mode = "anonymous" if visitor == "anonymous" else "consented"
    url = rng.choice(URLS)
    referrer = rng.choice(REFERRERS)
    if mode == "anonymous":
        return HitRecord(
            ts=iso(when),
            site=site,
            idsite=1,
            mode="anonymous",
            kind="pageview",
            url=url.split("?")[0].split("#")[0],
            referrer_host=referrer_host(referrer),
            country=rng.choice(["FI", None]),
            device=rng.choice(["desktop", "mobile"]),
        )
    kind = rng.choice(KINDS)
    event = kind == "event"
    return HitRecord(
        ts=iso(when),
        site=site,
        idsite=1,
        mode="consented",
        kind=kind,
        visitor_id=visitor,
        url=url,
        action_name=rng.choice(["Home", "About", None]) if kind == "pageview" else None,
        referrer=referrer,
        referrer_host=referrer_host(referrer),
        campaign_name=rng.choice([None, None, None, "spring"]),
        event_category=rng.choice(["Video", "Form"]) if event else None,
        event_action=rng.choice(["Play", "Submit"]) if event else None,
        event_name=rng.choice([None, "intro"]) if event else None,
        event_value=rng.choice([None, 1.5, -2.25, 3.0]) if event else None,
        search="kone" if kind == "search" else None,
        link="https://other.example/file.pdf" if kind in ("outlink", "download") else None,
        resolution=rng.choice(["1920x1080", None]),
        lang=rng.choice(["fi-FI,fi;q=0.9", "sv", None]),
        country=rng.choice(["FI", "SE", None]),
        browser=rng.choice(["Chrome", "Firefox"]),
        os=rng.choice(["Windows", "Android"]),
        device=rng.choice(["desktop", "smartphone"]),
    )


def hits(rng: random.Random) -> list[HitRecord]:
    visitors = [f"{n:016x}" for n in range(rng.randint(1, 5))] + [None, "anonymous"]
    found: list[HitRecord] = []
    for site, timeout in TIMEOUTS.items():
        gaps = _gaps(timeout)
        for visitor in visitors:
            for _ in range(rng.randint(0, 3)):
                when = BASE + timedelta(minutes=rng.randint(0, 48 * 60), seconds=rng.random())
                for _ in range(rng.randint(1, 6)):
                    found.append(_hit(rng, site, when, visitor))
                    when += rng.choice(gaps)
    return found


def batches(rng: random.Random, found: list[HitRecord]) -> list[list[HitRecord]]:
    """The hits cut into transactions: in time order for some seeds, shuffled for others."""
    order = list(found)
    if rng.random() < 0.3:
        order.sort(key=lambda h: h.ts)
    else:
        rng.shuffle(order)
    result: list[list[HitRecord]] = []
    while order:
        size = rng.randint(1, 12)
        result.append(order[:size])
        order = order[size:]
    return result
