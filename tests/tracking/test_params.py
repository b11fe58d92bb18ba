"""Tracking API request parsing: the rules Matomo's trackers rely on, as tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from gateway.tracking.params import (
    BadRequest,
    Bulk,
    Hit,
    is_bulk,
    merge_single,
    needs_auth_for_time,
    parse_bulk,
    parse_custom_time,
    parse_hit,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
BASE = {"idsite": "1", "rec": "1"}


def hit(**params: str) -> Hit:
    return parse_hit({**BASE, **params})


# --- merge_single: PHP's $_GET + $_POST -------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "body", "expected"),
    [
        pytest.param(
            b"idsite=1&rec=1&action_name=Home",
            b"",
            {"idsite": "1", "rec": "1", "action_name": "Home"},
            id="sendBeacon: query string, empty body",
        ),
        pytest.param(
            b"",
            b"idsite=1&rec=1",
            {"idsite": "1", "rec": "1"},
            id="XHR POST: everything in the body",
        ),
        pytest.param(
            b"idsite=1&url=https%3A%2F%2Fq.example%2F",
            b"idsite=2&url=https%3A%2F%2Fb.example%2F&rec=1",
            {"idsite": "1", "url": "https://q.example/", "rec": "1"},
            id="query wins a clash, body adds the rest",
        ),
        pytest.param(b"a=1&a=2&a=3", b"", {"a": "3"}, id="repeated name: last value wins"),
        pytest.param(b"", b"a=1&a=2", {"a": "2"}, id="repeated in the body: last wins"),
        pytest.param(
            b"action_name=Hello+World%21", b"", {"action_name": "Hello World!"}, id="plus is space"
        ),
        pytest.param(b"a=&b", b"", {"a": "", "b": ""}, id="blank values kept"),
        pytest.param(b"=x&&a=1", b"", {"a": "1"}, id="empty names and pieces skipped"),
        pytest.param(b"n=%C3%A4%C3%B6", b"", {"n": "äö"}, id="percent-encoded UTF-8"),
        pytest.param(b"n=\xc3\xa4", b"", {"n": "ä"}, id="raw UTF-8 bytes"),
        pytest.param(b"n=%FF", b"", {"n": "\ufffd"}, id="invalid UTF-8 escape replaced"),
        pytest.param(b"n=\xff", b"", {"n": "\ufffd"}, id="invalid raw byte replaced"),
        pytest.param(b"a=1", b"\x00\x01garbage", {"a": "1", "\x00\x01garbage": ""}, id="garbage"),
        pytest.param(
            b"idsite=1",
            b'{"requests": ["?idsite=1"]}',
            {"idsite": "1", '{"requests": ["?idsite': '1"]}'},
            id="JSON body is just odd pairs",
        ),
        pytest.param(b"", b"", {}, id="nothing at all"),
    ],
)
def test_merge_single(query: bytes, body: bytes, expected: dict[str, str]) -> None:
    assert merge_single(query, body) == expected


# --- bulk -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"requests":["?idsite=1"]}', True),
        (b"{'requests':[]}", True),
        (b'  {"requests": []}', True),
        (b'"requests"', False),  # offset 0 is falsy in PHP's strpos() test
        (b"'requests'", False),
        (b"idsite=1&rec=1", False),
        (b"", False),
        (b'{"request": []}', False),
    ],
)
def test_is_bulk(body: bytes, expected: bool) -> None:
    assert is_bulk(body) is expected


def test_bulk_of_query_strings_as_matomo_js_sends_it() -> None:
    body = b'{"requests":["?e_c=A&e_a=B&idsite=1&rec=1","?c_n=Ad&idsite=1&rec=1"],"send_image":0}'
    assert parse_bulk(body) == Bulk(
        entries=(
            {"e_c": "A", "e_a": "B", "idsite": "1", "rec": "1"},
            {"c_n": "Ad", "idsite": "1", "rec": "1"},
        ),
        token_auth=None,
        send_image="0",
    )


def test_bulk_of_objects_converts_values_to_parameter_text() -> None:
    body = json.dumps(
        {
            "requests": [
                {
                    "idsite": 1,
                    "rec": True,
                    "new_visit": False,
                    "e_v": 1.50,
                    "revenue": 2e3,
                    "uid": None,
                    "action_name": "Hëllo",
                    "_cvar": {"1": ["k", "v"]},
                    "ec_items": [["sku", "name", "cat", 9.5, 1]],
                }
            ],
            "token_auth": "abc123",
        }
    ).encode()
    bulk = parse_bulk(body)
    assert bulk.token_auth == "abc123"
    assert bulk.entries == (
        {
            "idsite": "1",
            "rec": "1",
            "new_visit": "0",
            "e_v": "1.5",
            "revenue": "2000.0",
            "action_name": "Hëllo",
            "_cvar": '{"1":["k","v"]}',
            "ec_items": '[["sku","name","cat",9.5,1]]',
        },
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.50", "1.50"),
        ("1e3", "1e3"),
        ("-0.25", "-0.25"),
        ("42", "42"),
    ],
)
def test_bulk_numbers_keep_their_json_text(raw: str, expected: str) -> None:
    body = ('{"requests":[{"idsite":1,"e_v":' + raw + "}]}").encode()
    entry = parse_bulk(body).entries[0]
    assert entry is not None
    assert entry["e_v"] == expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param('"?idsite=1&rec=1"', {"idsite": "1", "rec": "1"}, id="query string"),
        pytest.param(
            '"/matomo.php?idsite=1"', {"idsite": "1"}, id="path before the query is ignored"
        ),
        pytest.param('"?idsite=1#frag"', {"idsite": "1"}, id="fragment is not part of it"),
        pytest.param('"idsite=1&rec=1"', None, id="no question mark: no query"),
        pytest.param('"?"', None, id="empty query"),
        pytest.param('"#?idsite=1"', None, id="question mark inside the fragment"),
        pytest.param('""', None, id="empty string"),
        pytest.param("42", None, id="number"),
        pytest.param("1.5", None, id="float"),
        pytest.param("true", None, id="boolean"),
        pytest.param("null", None, id="null"),
        pytest.param('["?idsite=1"]', None, id="list"),
        pytest.param("{}", {}, id="empty object is an entry without parameters"),
        pytest.param('{"": "x", "idsite": 1}', {"idsite": "1"}, id="empty key skipped"),
        pytest.param('{"a": "\\ud800"}', {"a": "\ufffd\ufffd\ufffd"}, id="lone surrogate replaced"),
    ],
)
def test_bulk_entries(entry: str, expected: dict[str, str] | None) -> None:
    bulk = parse_bulk(('{"requests": [' + entry + "]}").encode())
    assert bulk.entries == (expected,)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "0"), ('"0"', "0"), ("1", "1"), ("false", "0"), ("null", None), ("[0]", None)],
)
def test_bulk_send_image(value: str, expected: str | None) -> None:
    assert parse_bulk(('{"requests": [], "send_image": ' + value + "}").encode()).send_image == (
        expected
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [('"t0k3n"', "t0k3n"), ("12345", "12345"), ("null", None), ('{"a": 1}', None)],
)
def test_bulk_token_auth(value: str, expected: str | None) -> None:
    body = ('{"requests": [], "token_auth": ' + value + "}").encode()
    assert parse_bulk(body).token_auth == expected


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b'{"requests": [', id="truncated JSON"),
        pytest.param(b"{'requests': []}", id="single quotes are not JSON"),
        pytest.param(b'["requests"]', id="top level is a list"),
        pytest.param(b'"requests"', id="top level is a string"),
        pytest.param(b'{"request": []}', id="no requests key"),
        pytest.param(b'{"requests": "?idsite=1"}', id="requests is not a list"),
        pytest.param(b'{"requests": {"0": "?idsite=1"}}', id="requests is an object"),
        pytest.param(b'{"requests": [NaN]}', id="NaN is not JSON"),
        pytest.param(b'{"requests": [], "x": Infinity}', id="Infinity is not JSON"),
        pytest.param(b'{"requests": ["\xff"]}', id="invalid UTF-8"),
        pytest.param(b'{"requests": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", id="deep nesting"),
        pytest.param(
            json.dumps({"requests": ["?idsite=1"] * 1001}).encode(), id="more than 1000 requests"
        ),
    ],
)
def test_broken_bulk_bodies_raise(body: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_bulk(body)


def test_bulk_of_exactly_1000_requests_is_fine() -> None:
    body = json.dumps({"requests": ["?idsite=1"] * 1000}).encode()
    assert len(parse_bulk(body).entries) == 1000


def test_bulk_accepts_a_utf8_bom() -> None:
    assert parse_bulk(b'\xef\xbb\xbf{"requests": ["?a=1"]}').entries == ({"a": "1"},)


# --- parse_hit: errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"rec": "1"}, "invalid idsite", id="idsite missing"),
        pytest.param({"idsite": ""}, "invalid idsite", id="idsite blank"),
        pytest.param({"idsite": "abc"}, "invalid idsite", id="idsite not a number"),
        pytest.param({"idsite": "1.5"}, "invalid idsite", id="idsite not an integer"),
        pytest.param({"idsite": "1abc"}, "invalid idsite", id="idsite with trailing junk"),
        pytest.param({"idsite": "0"}, "invalid idsite", id="idsite zero"),
        pytest.param({"idsite": "-3"}, "invalid idsite", id="idsite negative"),
        pytest.param({"idsite": "9" * 30}, "invalid idsite", id="idsite absurdly long"),
        pytest.param({**BASE, "cid": "abc"}, "cid", id="cid too short"),
        pytest.param({**BASE, "cid": "0123456789abcdeg"}, "cid", id="cid not hex"),
        pytest.param({**BASE, "cid": "0123456789abcdef0"}, "cid", id="cid too long"),
        pytest.param({**BASE, "e_c": "Video"}, "e_c and e_a", id="event without action"),
        pytest.param({**BASE, "e_a": "Play"}, "e_c and e_a", id="event without category"),
        pytest.param({**BASE, "e_c": "Video", "e_a": "  "}, "e_c and e_a", id="blank action"),
        pytest.param({**BASE, "e_c": " ", "e_a": "Play"}, "e_c and e_a", id="blank category"),
        pytest.param({**BASE, "idgoal": "one"}, "idgoal", id="idgoal not an integer"),
        pytest.param({**BASE, "search_count": "1.5"}, "search_count", id="search_count float"),
        pytest.param({**BASE, "cdo": "ten"}, "cdo", id="cdo not an integer"),
    ],
)
def test_parse_hit_rejects(params: dict[str, str], message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_hit(params)
    assert message in raised.value.message


@pytest.mark.parametrize(
    ("params", "secret"),
    [
        ({**BASE, "cid": "203.0.113.77x"}, "203.0.113.77x"),
        ({**BASE, "cdo": "secret-token-value"}, "secret-token-value"),
        ({"idsite": "secret-token-value"}, "secret-token-value"),
        ({**BASE, "idgoal": "198.51.100.7"}, "198.51.100.7"),
    ],
)
def test_bad_request_messages_never_echo_values(params: dict[str, str], secret: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_hit(params)
    assert secret not in raised.value.message
    assert secret not in str(raised.value)


# --- parse_hit: values ------------------------------------------------------------------------


def test_a_matomo_js_page_view() -> None:
    query = (
        b"action_name=Test%20Page&idsite=1&rec=1&r=271411&h=0&m=23&s=44"
        b"&url=https%3A%2F%2Fshop.example.org%2Fproducts%2Fx%3Futm_campaign%3Dspring%26q%3D1"
        b"&urlref=https%3A%2F%2Fwww.google.com%2Fsearch%3Fq%3Dfoo&_id=884ca5214b6d0d41&_idn=1"
        b"&send_image=0&_rcn=spring&_refts=1700000000&pv_id=y9MphW&uadata=%7B%7D&cookie=1&res=0x0"
    )
    assert parse_hit(merge_single(query, b"")) == Hit(
        idsite=1,
        recorded=True,
        kind="pageview",
        url="https://shop.example.org/products/x?utm_campaign=spring&q=1",
        action_name="Test Page",
        referrer="https://www.google.com/search?q=foo",
        visitor_id="884ca5214b6d0d41",
        pv_id="y9MphW",
        resolution="0x0",
        campaign_name="spring",
        send_image="0",
    )


@pytest.mark.parametrize(
    ("params", "kind"),
    [
        ({}, "pageview"),
        ({"ping": "1"}, "ping"),
        ({"ping": "1", "e_c": "A", "e_a": "B"}, "ping"),
        ({"ping": "0"}, "pageview"),
        ({"e_c": "Video", "e_a": "Play"}, "event"),
        ({"e_c": "Video", "e_a": "Play", "download": "https://a.example/f.pdf"}, "event"),
        ({"download": "https://a.example/f.pdf"}, "download"),
        ({"download": "https://a.example/f.pdf", "link": "https://b.example/"}, "download"),
        ({"link": "https://b.example/"}, "outlink"),
        ({"link": ""}, "pageview"),
        ({"search": "shoes"}, "search"),
        ({"search": "shoes", "c_n": "Banner"}, "search"),
        ({"c_n": "Banner", "c_p": "img.png"}, "content"),
        ({"c_n": "Banner", "idgoal": "3"}, "content"),
        ({"idgoal": "3", "revenue": "9.90"}, "goal"),
        ({"idgoal": "0", "ec_id": "A1"}, "goal"),
        ({"idgoal": "-1"}, "pageview"),
        ({"idgoal": ""}, "pageview"),
        ({"e_c": "", "e_a": ""}, "pageview"),
    ],
)
def test_kinds(params: dict[str, str], kind: str) -> None:
    assert hit(**params).kind == kind


@pytest.mark.parametrize(
    ("params", "field", "expected"),
    [
        ({"rec": "1"}, "recorded", True),
        ({"rec": "0"}, "recorded", False),
        ({"rec": ""}, "recorded", False),
        ({"idsite": " 7 "}, "idsite", 7),
        ({"idsite": "+7"}, "idsite", 7),
        ({"cid": "0123456789ABCDEF"}, "visitor_id", "0123456789abcdef"),
        ({"cid": "0123456789abcdef", "_id": "fedcba9876543210"}, "visitor_id", "0123456789abcdef"),
        ({"cid": "", "_id": "fedcba9876543210"}, "visitor_id", "fedcba9876543210"),
        ({"_id": "fedcba987654321"}, "visitor_id", None),
        ({"_id": "not-hex-not-hex!"}, "visitor_id", None),
        ({"_id": ""}, "visitor_id", None),
        ({"uid": "user@example.org"}, "user_id", "user@example.org"),
        ({"uid": "   "}, "user_id", None),
        ({"pv_id": "aB3dE9"}, "pv_id", "aB3dE9"),
        ({"pv_id": "aB3dE"}, "pv_id", None),
        ({"pv_id": "aB3d-9"}, "pv_id", None),
        ({"res": "1920x1080"}, "resolution", "1920x1080"),
        ({"res": "1920X1080"}, "resolution", None),
        ({"res": "123456x1"}, "resolution", None),
        ({"res": "unknown"}, "resolution", None),
        ({"lang": "fi-FI,fi;q=0.9"}, "lang", "fi-FI,fi;q=0.9"),
        ({"ua": "Mozilla/5.0"}, "ua", "Mozilla/5.0"),
        ({"_rcn": " Spring Sale ", "_rck": "Shoes"}, "campaign_name", "spring sale"),
        ({"_rcn": "x", "_rck": "Red Shoes"}, "campaign_keyword", "red shoes"),
        ({"e_c": " Video ", "e_a": "Play"}, "event_category", "Video"),
        ({"e_c": "Video", "e_a": "Play", "e_n": "Intro"}, "event_name", "Intro"),
        ({"e_v": "3"}, "event_value", 3.0),
        ({"e_v": "-1.25e2"}, "event_value", -125.0),
        ({"e_v": "nan"}, "event_value", None),
        ({"e_v": "inf"}, "event_value", None),
        ({"e_v": "1e999"}, "event_value", None),
        ({"e_v": "1_000"}, "event_value", None),
        ({"e_v": "1,5"}, "event_value", None),
        ({"e_v": ""}, "event_value", None),
        ({"search": "red shoes", "search_cat": "Shop"}, "search_category", "Shop"),
        ({"search": "x", "search_count": "12"}, "search_count", 12),
        ({"search": "x", "search_count": ""}, "search_count", None),
        ({"idgoal": "3"}, "goal_id", 3),
        ({"idgoal": "0"}, "goal_id", 0),
        ({"idgoal": "-1"}, "goal_id", None),
        ({"idgoal": "0", "revenue": "19.90"}, "revenue", 19.9),
        ({"revenue": "free"}, "revenue", None),
        ({"c_n": "Ad", "c_p": "img.png", "c_t": "https://t.example/"}, "content_piece", "img.png"),
        ({"c_n": "Ad", "c_t": "https://t.example/"}, "content_target", "https://t.example/"),
        ({"link": "https://out.example/"}, "link", "https://out.example/"),
        ({"download": "https://a.example/f.pdf"}, "link", "https://a.example/f.pdf"),
        (
            {"download": "https://a.example/f.pdf", "link": "https://b/"},
            "link",
            "https://a.example/f.pdf",
        ),
        ({"_cvar": '{"1":["OS","Linux"]}'}, "custom_vars", '{"1":["OS","Linux"]}'),
        ({"_cvar": "{broken"}, "custom_vars", None),
        ({"_cvar": "[" * 5000}, "custom_vars", None),
        ({"new_visit": "1"}, "new_visit", True),
        ({"new_visit": "0"}, "new_visit", False),
        ({"gw_consent": "eyJ2IjoxfQ.sig"}, "consent_token", "eyJ2IjoxfQ.sig"),
        ({"gw_consent": "x" * 5000}, "consent_token", None),
        ({"token_auth": "t" * 32}, "token_auth", "t" * 32),
        ({"send_image": "0"}, "send_image", "0"),
        ({"cip": "203.0.113.9"}, "cip", "203.0.113.9"),
        ({"cdt": "1700000000"}, "cdt", "1700000000"),
        ({"cdo": "30"}, "cdo", "30"),
        ({"unknown_param": "x", "apiv": "1", "r": "123456"}, "url", None),
    ],
)
def test_fields(params: dict[str, str], field: str, expected: object) -> None:
    assert getattr(hit(**params), field) == expected


def test_dimensions_keep_numbered_non_empty_values() -> None:
    parsed = hit(
        dimension1="a",
        dimension20=" b ",
        dimension999="c",
        dimension0="no",
        dimension1000="no",
        dimension01="no",
        dimension3="",
        Dimension4="no",
        dimensionx="no",
    )
    assert parsed.dimensions == {1: "a", 20: "b", 999: "c"}


def test_at_most_50_dimensions_the_lowest_ids() -> None:
    params = {f"dimension{i}": str(i) for i in range(100, 0, -1)}
    dimensions = hit(**params).dimensions
    assert list(dimensions) == list(range(1, 51))


@pytest.mark.parametrize(
    ("name", "field", "cap"),
    [
        ("url", "url", 2048),
        ("urlref", "referrer", 2048),
        ("link", "link", 2048),
        ("download", "link", 2048),
        ("action_name", "action_name", 1024),
        ("lang", "lang", 64),
        ("ua", "ua", 1024),
        ("uid", "user_id", 255),
        ("_rcn", "campaign_name", 255),
        ("search", "search", 255),
        ("c_n", "content_name", 255),
        ("c_t", "content_target", 255),
        ("dimension5", "dimensions", 255),
        ("cip", "cip", 255),
        ("city", "geo_overrides", 255),
    ],
)
def test_text_is_capped_not_rejected(name: str, field: str, cap: int) -> None:
    value = getattr(hit(**{name: "x" * (cap + 500)}), field)
    if isinstance(value, dict):
        (value,) = value.values()
    assert value == "x" * cap


def test_event_text_is_capped() -> None:
    parsed = hit(e_c="c" * 300, e_a="a" * 300, e_n="n" * 300)
    assert (parsed.event_category, parsed.event_action, parsed.event_name) == (
        "c" * 255,
        "a" * 255,
        "n" * 255,
    )


@pytest.mark.parametrize(
    ("params", "auth_params", "geo"),
    [
        ({}, (), {}),
        ({"cip": "", "cdt": "", "country": ""}, (), {}),
        ({"cip": "203.0.113.9"}, ("cip",), {}),
        (
            {"long": "24.9", "country": "fi", "cdo": "5", "lat": "60.1", "cdt": "1700000000"},
            ("cdt", "cdo", "country", "lat", "long"),
            {"country": "fi", "lat": "60.1", "long": "24.9"},
        ),
        (
            {"city": "Kaustinen", "region": "08", "cip": "198.51.100.1"},
            ("cip", "region", "city"),
            {"region": "08", "city": "Kaustinen"},
        ),
        ({"token_auth": "t", "uid": "u"}, (), {}),
    ],
)
def test_auth_params_and_geo_overrides(
    params: dict[str, str], auth_params: tuple[str, ...], geo: dict[str, str]
) -> None:
    parsed = hit(**params)
    assert parsed.auth_params == auth_params
    assert parsed.geo_overrides == geo


# --- custom time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cdt", "cdo", "expected"),
    [
        pytest.param(None, None, NOW, id="none: now"),
        pytest.param("", "", NOW, id="blank: now"),
        pytest.param(str(int(NOW.timestamp()) - 3600), None, NOW - timedelta(hours=1), id="unix"),
        pytest.param(
            f"{NOW.timestamp() - 1.5:.1f}", None, NOW - timedelta(seconds=1.5), id="fractional"
        ),
        pytest.param(
            str(int(NOW.timestamp() * 1000) - 60_000),
            None,
            NOW - timedelta(minutes=1),
            id="milliseconds",
        ),
        pytest.param("2026-03-01 11:00:00", None, NOW - timedelta(hours=1), id="datetime UTC"),
        pytest.param("2026-03-01T11:00:00Z", None, NOW - timedelta(hours=1), id="ISO-like"),
        pytest.param(
            "2026-03-01T10:59:59.500Z",
            None,
            NOW - timedelta(hours=1, seconds=0.5),
            id="JavaScript toISOString",
        ),
        pytest.param(
            "2026-03-01T13:00:00+02:00", None, NOW - timedelta(hours=1), id="ISO with offset"
        ),
        pytest.param(None, "90", NOW - timedelta(seconds=90), id="offset from now"),
        pytest.param(None, "-90", NOW - timedelta(seconds=90), id="offset sign ignored"),
        pytest.param(
            "2026-03-01 11:00:00", "60", NOW - timedelta(hours=1, minutes=1), id="offset from cdt"
        ),
        pytest.param(
            str(int(NOW.timestamp()) + 30), None, NOW, id="less than 60 s ahead: clamped to now"
        ),
        pytest.param(
            "2006-03-10 12:00:00", None, datetime(2006, 3, 10, 12, tzinfo=UTC), id="19.99 years"
        ),
    ],
)
def test_parse_custom_time(cdt: str | None, cdo: str | None, expected: datetime) -> None:
    assert parse_custom_time(cdt, cdo, NOW) == expected


@pytest.mark.parametrize(
    ("cdt", "cdo", "message"),
    [
        pytest.param("yesterday", None, "cdt", id="words"),
        pytest.param("2026-13-01 00:00:00", None, "cdt", id="no such month"),
        pytest.param("2026-03-01", None, "cdt", id="date without time"),
        pytest.param("-5", None, "cdt", id="negative timestamp"),
        pytest.param("0x10", None, "cdt", id="hex"),
        pytest.param(None, "1.5", "cdo", id="fractional offset"),
        pytest.param(str(int(NOW.timestamp()) + 61), None, "future", id="61 s ahead"),
        pytest.param("2027-01-01 00:00:00", None, "future", id="next year"),
        pytest.param("9" * 16, None, "future", id="beyond year 9999"),
        pytest.param("2006-02-20 00:00:00", None, "20 years", id="older than 20 years"),
        pytest.param("0", None, "20 years", id="epoch"),
        pytest.param("0001-01-01 00:00:00", "5", "20 years", id="year one"),
        pytest.param(None, "9" * 18, "20 years", id="huge offset"),
    ],
)
def test_parse_custom_time_rejects(cdt: str | None, cdo: str | None, message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_custom_time(cdt, cdo, NOW)
    assert message in raised.value.message


def test_parse_custom_time_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_custom_time(None, None, NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(0), False),
        (timedelta(hours=23), False),
        (timedelta(seconds=86400), False),
        (timedelta(seconds=86401), True),
        (timedelta(days=30), True),
    ],
)
def test_needs_auth_for_time(age: timedelta, expected: bool) -> None:
    assert needs_auth_for_time(NOW - age, NOW) is expected
