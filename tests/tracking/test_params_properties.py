"""Property: no tracking input, however malformed, makes the parser fail other than by design.

The parser has exactly two outcomes: a typed ``Hit`` (or ``Bulk``), or ``BadRequest`` - which
the route answers with Matomo's 400. Any other exception would surface as a 5xx, so these
properties feed it arbitrary parameter names and values, arbitrary bytes, and arbitrary JSON.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.tracking.params import (
    ACTION_NAME_MAX,
    MAX_BULK_REQUESTS,
    TEXT_MAX,
    URL_MAX,
    BadRequest,
    Bulk,
    Hit,
    merge_single,
    parse_bulk,
    parse_hit,
)

PROPERTY = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Every parameter the parser reads, so generated requests hit the real code paths.
KNOWN = [
    "idsite", "rec", "url", "action_name", "_id", "cid", "uid", "urlref", "_rcn", "_rck",
    "e_c", "e_a", "e_n", "e_v", "search", "search_cat", "search_count", "idgoal", "revenue",
    "link", "download", "c_n", "c_p", "c_t", "res", "lang", "cdt", "cdo", "cip", "token_auth",
    "ping", "pv_id", "dimension1", "dimension999", "_cvar", "cvar", "send_image", "ua",
    "gw_consent", "new_visit", "h", "m", "s", "_idts", "_viewts", "country", "bots",
]  # fmt: skip

texts = st.text(max_size=300)
numbers_as_text = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "1", "0", "-1", "1e309", "NaN", "0x10", " 3 ", "٣", "1_000"]),
)
values = st.one_of(texts, numbers_as_text)
params = st.dictionaries(
    st.one_of(st.sampled_from(KNOWN), st.text(min_size=1, max_size=20)), values, max_size=25
)


@PROPERTY
@given(params)
def test_any_parameters_give_a_hit_or_a_400(raw: dict[str, str]) -> None:
    raw.setdefault("idsite", "1")
    raw.setdefault("rec", "1")
    try:
        hit = parse_hit(raw)
    except BadRequest as error:
        assert error.message
        return
    assert isinstance(hit, Hit)
    caps = {
        "url": URL_MAX,
        "referrer": URL_MAX,
        "action_name": ACTION_NAME_MAX,
        "event_category": TEXT_MAX,
        "event_action": TEXT_MAX,
        "search": TEXT_MAX,
    }
    for name, cap in caps.items():
        text = getattr(hit, name)
        assert text is None or len(text) <= cap, name


@PROPERTY
@given(st.binary(max_size=2000), st.binary(max_size=2000))
def test_any_bytes_parse_as_a_form(query: bytes, body: bytes) -> None:
    merged = merge_single(query, body)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in merged.items())
    assert all(k for k in merged)


json_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=50)
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
entries = st.one_of(
    params.map(lambda p: "?" + "&".join(f"{k}={v}" for k, v in p.items())),
    params,
    json_values,
)


@PROPERTY
@given(
    st.fixed_dictionaries(
        {"requests": st.lists(entries, max_size=8)},
        optional={"token_auth": json_values, "send_image": json_values},
    )
)
def test_any_bulk_object_gives_entries_or_a_400(body: dict[str, Any]) -> None:
    try:
        bulk = parse_bulk(json.dumps(body).encode())
    except BadRequest:
        return
    assert isinstance(bulk, Bulk)
    assert len(bulk.entries) == len(body["requests"])
    for entry in bulk.entries:
        if entry is None:
            continue
        with contextlib.suppress(BadRequest):
            parse_hit(entry)


@PROPERTY
@given(st.one_of(st.binary(max_size=3000), json_values.map(lambda v: json.dumps(v).encode())))
def test_any_bulk_bytes_give_entries_or_a_400(body: bytes) -> None:
    try:
        bulk = parse_bulk(body)
    except BadRequest as error:
        assert "bulk" in error.message
        return
    assert len(bulk.entries) <= MAX_BULK_REQUESTS


def test_deeply_nested_bulk_json_is_a_400_not_a_crash() -> None:
    body = b'{"requests": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(BadRequest):
        parse_bulk(body)
