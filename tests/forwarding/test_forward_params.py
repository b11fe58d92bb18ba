"""What is forwarded for a hit: only what the gateway decided, never the client's overrides."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest

from gateway.forwarding.params import forward_params, forward_query, outbox_entry
from gateway.tracking.params import parse_hit
from gateway.tracking.pipeline import RequestContext
from gateway.tracking.record import HitRecord

RAW_IP = "198.51.100.77"
NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
CTX = RequestContext(
    client_ip=RAW_IP,
    origin=None,
    user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0",
    accept_language="fi-FI,fi;q=0.9",
    consent_cookie=None,
    consent_removed=False,
    now=NOW,
)
RECORD = HitRecord(
    ts="2026-03-04T05:06:07.123456Z",
    site="demo",
    idsite=1,
    mode="consented",
    kind="pageview",
    visitor_id="0123456789abcdef",
    url="https://shop.example/p",
    action_name="P",
    lang="fi-FI,fi;q=0.9",
    ip="198.51.0.0",
)
CDT = str(int(datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC).timestamp()))

# (name, client parameters, record changes, expected params (subset), params that must be absent)
CASES: list[tuple[str, dict[str, str], dict[str, Any], dict[str, str], set[str]]] = [
    (
        "page view",
        {},
        {},
        {
            "idsite": "1",
            "rec": "1",
            "url": "https://shop.example/p",
            "action_name": "P",
            "_id": "0123456789abcdef",
            "cip": "198.51.0.0",
            "cdt": CDT,
            "ua": CTX.user_agent or "",
            "lang": "fi-FI,fi;q=0.9",
        },
        {"ca", "token_auth", "uid", "country"},
    ),
    (
        "client overrides are not copied",
        {
            "cip": RAW_IP,
            "cdt": "2020-01-01 00:00:00",
            "cdo": "-3600",
            "token_auth": "client-token",
            "region": "18",
            "lat": "60.1",
            "gw_consent": "consent-token",
        },
        {},
        {"cip": "198.51.0.0", "cdt": CDT},
        {"token_auth", "cdo", "region", "lat", "gw_consent"},
    ),
    (
        "client user agent parameter wins over the header",
        {"ua": "CustomAgent/1.0"},
        {},
        {"ua": "CustomAgent/1.0"},
        set(),
    ),
    (
        "event",
        {},
        {
            "kind": "event",
            "event_category": "Video",
            "event_action": "Play",
            "event_name": "Intro",
            "event_value": 3.0,
        },
        {"ca": "1", "e_c": "Video", "e_a": "Play", "e_n": "Intro", "e_v": "3"},
        set(),
    ),
    (
        "download",
        {},
        {"kind": "download", "link": "https://x.example/f.pdf"},
        {"download": "https://x.example/f.pdf"},
        {"link"},
    ),
    (
        "outlink",
        {},
        {"kind": "outlink", "link": "https://x.example/"},
        {"link": "https://x.example/"},
        {"download"},
    ),
    (
        "site search",
        {},
        {"kind": "search", "search": "shoes", "search_category": "c", "search_count": 4},
        {"search": "shoes", "search_cat": "c", "search_count": "4"},
        set(),
    ),
    (
        "the stored user-id pseudonym, campaign, dimensions, country",
        {"uid": "alice@example.com"},
        {
            "user_id": "a" * 32,
            "campaign_name": "spring",
            "dimensions": '{"2": "b", "10": "c"}',
            "country": "FI",
            "new_visit": True,
            "referrer": "https://www.google.com/",
            "pv_id": "AbC123",
            "resolution": "1920x1080",
        },
        {
            "uid": "a" * 32,
            "_rcn": "spring",
            "dimension2": "b",
            "dimension10": "c",
            "country": "fi",
            "new_visit": "1",
            "urlref": "https://www.google.com/",
            "pv_id": "AbC123",
            "res": "1920x1080",
        },
        set(),
    ),
    ("a record without an IP is sent as 0.0.0.0", {}, {"ip": None}, {"cip": "0.0.0.0"}, set()),
    ("ping", {"ping": "1"}, {"kind": "ping"}, {"ping": "1"}, {"ca"}),
]


@pytest.mark.parametrize(
    ("client", "changes", "expected", "absent"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_forwarded_parameters(
    client: dict[str, str], changes: dict[str, Any], expected: dict[str, str], absent: set[str]
) -> None:
    hit = parse_hit({"idsite": "1", "rec": "1", **client})
    params = dict(forward_params(hit, replace(RECORD, **changes), CTX))
    assert {name: params.get(name) for name in expected} == expected
    assert absent.isdisjoint(params)
    assert params["uid" if "uid" in params else "idsite"] != "alice@example.com"


@pytest.mark.parametrize("client", [case[1] for case in CASES], ids=[case[0] for case in CASES])
def test_the_raw_ip_never_appears(client: dict[str, str]) -> None:
    hit = parse_hit({"idsite": "1", "rec": "1", **client})
    query = forward_query(hit, RECORD, CTX)
    assert RAW_IP not in query and "198.51.100" not in query
    assert dict(parse_qsl(query))["cip"] == "198.51.0.0"


def test_each_parameter_appears_once_and_the_query_round_trips() -> None:
    hit = parse_hit({"idsite": "1", "rec": "1", "url": "https://shop.example/p?a=1&b=ä"})
    record = replace(RECORD, url="https://shop.example/p?a=1&b=ä")
    pairs = forward_params(hit, record, CTX)
    assert len({name for name, _ in pairs}) == len(pairs)
    assert parse_qsl(forward_query(hit, record, CTX)) == pairs


def test_only_consented_hits_are_forwarded() -> None:
    hit = parse_hit({"idsite": "1", "rec": "1"})
    anonymous = HitRecord(ts=RECORD.ts, site="demo", idsite=1, mode="anonymous", kind="pageview")
    assert outbox_entry(hit, anonymous, CTX) is None
    entry = outbox_entry(hit, RECORD, CTX)
    assert entry is not None
    assert (entry.site, entry.visitor, entry.created) == (
        "demo",
        "0123456789abcdef",
        "2026-03-04T05:06:07.000000Z",
    )
    with pytest.raises(ValueError):
        forward_params(hit, anonymous, CTX)
