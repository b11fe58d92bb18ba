"""The pure pieces behind the metrics, as tables: referrers, page and language names, visits."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.reports.referrers import Referrer, bare_host, classify
from gateway.reports.sessions import (
    Attributes,
    Chain,
    HitFacts,
    Key,
    build,
    chain,
    day_of,
    epoch_us,
    event_value,
    hit_facts,
    language_value,
    page_value,
)
from gateway.tracking.record import HitRecord

SITE = "https://www.example.fi/page"


@pytest.mark.parametrize(
    ("campaign", "referrer_host", "page", "expected"),
    [
        (None, None, SITE, Referrer("direct", "")),
        (None, "www.example.fi", SITE, Referrer("direct", "")),  # internal navigation
        (None, "example.fi", SITE, Referrer("direct", "")),  # www. is ignored both ways
        ("spring", "www.google.com", SITE, Referrer("campaign", "spring")),  # campaign wins
        (None, "www.google.com", SITE, Referrer("search", "Google")),
        (None, "www.google.fi", SITE, Referrer("search", "Google")),
        (None, "www.google.co.uk", SITE, Referrer("search", "Google")),
        (None, "www.bing.com", SITE, Referrer("search", "Bing")),
        (None, "duckduckgo.com", SITE, Referrer("search", "DuckDuckGo")),
        (None, "search.brave.com", SITE, Referrer("search", "Brave Search")),
        (None, "yandex.ru", SITE, Referrer("search", "Yandex")),
        (None, "l.facebook.com", SITE, Referrer("social", "Facebook")),
        (None, "m.facebook.com", SITE, Referrer("social", "Facebook")),
        (None, "t.co", SITE, Referrer("social", "Twitter")),
        (None, "www.linkedin.com", SITE, Referrer("social", "LinkedIn")),
        (None, "fi.pinterest.com", SITE, Referrer("social", "Pinterest")),
        (None, "www.youtube.com", SITE, Referrer("social", "YouTube")),
        (None, "blog.example.org", SITE, Referrer("website", "blog.example.org")),
        (None, "www.kone.fi", SITE, Referrer("website", "kone.fi")),
        (None, "googleusercontent.com", SITE, Referrer("website", "googleusercontent.com")),
        (None, "notfacebook.com", SITE, Referrer("website", "notfacebook.com")),
        (None, "www.example.fi", None, Referrer("website", "example.fi")),  # no page URL
    ],
)
def test_referrer_types(
    campaign: str | None, referrer_host: str | None, page: str | None, expected: Referrer
) -> None:
    assert classify(campaign, referrer_host, page) == expected


@pytest.mark.parametrize(
    ("host", "bare"), [("WWW.Example.FI.", "example.fi"), ("www", "www"), (None, ""), ("", "")]
)
def test_bare_host(host: str | None, bare: str) -> None:
    assert bare_host(host) == bare


@pytest.mark.parametrize(
    ("url", "page"),
    [
        ("https://example.fi/a/b?x=1&y=2#top", "/a/b?x=1&y=2"),
        ("https://example.fi", "/"),
        ("https://example.fi/?", "/"),
        (None, ""),
        ("http://[::1", ""),
    ],
)
def test_page_names(url: str | None, page: str) -> None:
    assert page_value(url) == page


@pytest.mark.parametrize(
    ("lang", "value"),
    [("fi-FI,fi;q=0.9,en;q=0.8", "fi"), ("sv", "sv"), ("EN_us", "en"), ("", ""), (None, "")],
)
def test_languages(lang: str | None, value: str) -> None:
    assert language_value(lang) == value


@pytest.mark.parametrize(
    ("value", "stored"),
    [(2.5, 2_500_000), (-0.000001, -1), (1e12, 10**15), (-1e12, -(10**15)), (None, None)],
)
def test_event_values_are_exact_millionths_within_limits(
    value: float | None, stored: int | None
) -> None:
    assert event_value(value) == stored


def test_timestamps() -> None:
    us = epoch_us("2026-03-01T23:59:59.999999Z")
    assert day_of(us) == "2026-03-01" and day_of(us + 1) == "2026-03-02"
    assert epoch_us("2026-03-01T23:59:59.999999+00:00") == us  # the slow path agrees


def _hit(hit_id: int, minute: float, kind: str = "pageview", url: str = "/a") -> HitFacts:
    return hit_facts(
        hit_id,
        HitRecord(
            ts=f"2026-03-01T10:{int(minute):02d}:{int(minute % 1 * 60):02d}.000000Z",
            site="s",
            idsite=1,
            mode="consented",
            kind=kind,
            visitor_id="v" * 16,
            url=f"https://example.fi{url}",
            link="https://x.example/" if kind == "outlink" else None,
        ),
    )


def _ids(chains: list[Chain]) -> list[list[int]]:
    return [sorted([h.id for h in c.new] + [v.id for v in c.old]) for c in chains]


MINUTE = 60_000_000


@pytest.mark.parametrize(
    ("minutes", "groups"),
    [
        ([0, 29.99], [[1, 2]]),
        ([0, 30], [[1], [2]]),  # a gap of exactly the timeout starts a new visit
        ([0, 31], [[1], [2]]),
        ([0, 20, 40, 59], [[1, 2, 3, 4]]),  # gaps, not the visit's length, count
        ([40, 0, 20], [[1, 2, 3]]),  # arrival order does not matter
        ([0, 0, 0], [[1, 2, 3]]),
    ],
)
def test_gap_rule(minutes: list[float], groups: list[list[int]]) -> None:
    hits = [_hit(n, m) for n, m in enumerate(minutes, start=1)]
    chains = chain([], hits, 30 * MINUTE)
    assert sorted(_ids(chains)) == groups


def test_a_late_hit_bridges_two_visits() -> None:
    def intern(dim: int, text: str) -> int:
        return hash((dim, text)) % 1000

    early = build(Chain(new=[_hit(1, 0, url="/first")]), 10, intern)
    late = build(Chain(new=[_hit(2, 50, url="/last"), _hit(3, 51, "outlink")]), 11, intern)
    assert chain([early, late], [], 30 * MINUTE)[0].old == [early]  # apart: two visits
    bridge = _hit(4, 25, url="/middle")
    (joined,) = chain([early, late], [bridge], 30 * MINUTE)
    visit = build(joined, 10, intern)
    summary: dict[str, Any] = {
        "hits": visit.hits,
        "actions": visit.actions,
        "pageviews": visit.pageviews,
        "entry": visit.entry_page,
        "exit": visit.exit_page,
        "duration": visit.duration,
        "bounce": visit.bounce,
    }
    assert summary == {
        "hits": 4,
        "actions": 4,
        "pageviews": 3,
        "entry": "/first",
        "exit": "/last",
        "duration": 51 * 60,
        "bounce": 0,
    }


def test_visit_takes_referrer_and_device_from_its_first_hit() -> None:
    def intern(dim: int, text: str) -> int:
        return 0

    first = HitFacts(1, 10, "s", "v", True, "/a", (Key(20, "/a"),), Attributes(*"abcdefgh"))
    later = HitFacts(2, 20, "s", "v", True, "/b", (Key(20, "/b"),), Attributes(*"ijklmnop"))
    for order in ([first, later], [later, first]):
        assert build(Chain(new=order), 1, intern).attributes == Attributes(*"abcdefgh")


def test_pings_extend_a_visit_but_are_not_actions() -> None:
    def intern(dim: int, text: str) -> int:
        return 0

    visit = build(Chain(new=[_hit(1, 0), _hit(2, 0.5, kind="ping")]), 1, intern)
    assert (visit.actions, visit.bounce, visit.duration) == (1, 1, 30)


@pytest.mark.parametrize(
    "rows",
    [
        [[1, 2, 3], [4, 5, 6]],
        [[0, -1, 0, 2**61], [5, 1, -7, -(2**61)]],
        [[-3] * 9, [3] * 9, [1] * 9],
    ],
)
def test_packed_metrics_add_lane_by_lane(rows: list[list[int]]) -> None:
    from gateway.reports.rollups import pack, unpack

    lanes = len(rows[0])
    assert unpack(sum(pack(r) for r in rows), lanes) == [
        sum(col) for col in zip(*rows, strict=True)
    ]
    with pytest.raises(ValueError):
        unpack(pack([1] * (lanes + 1)), lanes)
