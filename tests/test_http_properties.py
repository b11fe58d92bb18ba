"""Property: no request from the outside world gets a 5xx, and the gateway keeps serving.

Arbitrary query strings, bodies and headers are sent through the real ASGI app (SQLite file,
group-commit writer, every middleware) to the endpoints that face the internet - tracking,
consent - and to the token-protected report APIs with random parameters. Each answer must be
one of the documented statuses; afterwards ``/healthz`` still answers 200.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import ADMIN, ORIGIN, PEER_IP

HTTP = settings(
    max_examples=120,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

names = st.one_of(
    st.sampled_from(
        ["idsite", "rec", "url", "action_name", "_id", "uid", "urlref", "e_c", "e_v", "cdt",
         "cip", "token_auth", "send_image", "gw_consent", "res", "lang", "ping", "bots"]
    ),
    st.text(min_size=1, max_size=12),
)  # fmt: skip
values = st.one_of(
    st.text(max_size=120),
    st.sampled_from(["1", "0", "-1", "2", "999999999999999999999", "NaN", "1e309", ""]),
)
pairs = st.lists(st.tuples(names, values), max_size=12)


@pytest.fixture
def live(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(
        app, base_url=ORIGIN, client=(PEER_IP, 50000), raise_server_exceptions=False
    ) as client:
        yield client
        assert client.get("/healthz").status_code == 200


@HTTP
@given(pairs, st.text(max_size=80))
def test_tracking_get_answers_as_matomo(
    live: TestClient, query: list[tuple[str, str]], ua: str
) -> None:
    query = [("idsite", "1"), ("rec", "1"), *query]
    headers = {"User-Agent": ua.encode("ascii", "ignore").decode() or "x"}
    response = live.get("/matomo.php", params=query, headers=headers)
    assert response.status_code in {200, 204, 400}, response.text


@HTTP
@given(st.binary(max_size=600))
def test_tracking_raw_query_bytes(live: TestClient, raw: bytes) -> None:
    response = live.get("/matomo.php?" + quote_from_bytes(raw, safe="=&"))
    assert response.status_code in {200, 204, 400}, response.text


bulk_entries = st.one_of(
    pairs.map(lambda p: "?idsite=1&rec=1&" + "&".join(f"{k}={v}" for k, v in p)),
    pairs.map(lambda p: {"idsite": 1, "rec": 1, **dict(p)}),
    st.integers(),
    st.none(),
)


@HTTP
@given(
    st.one_of(
        st.binary(max_size=1500),
        st.lists(bulk_entries, max_size=6).map(lambda r: json.dumps({"requests": r}).encode()),
    )
)
def test_tracking_post_bodies(live: TestClient, body: bytes) -> None:
    response = live.post(
        "/matomo.php",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in {200, 204, 400, 413}, response.text


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30)),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
choices = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "granted": json_values | st.lists(st.sampled_from(["analytics", "necessary", "x"])),
            "policy_version": st.sampled_from(["2026-01-01", "", "old"]) | json_values,
            "lang": st.sampled_from(["fi", "sv", "en", "de"]) | json_values,
            "services": json_values,
            "source": st.sampled_from(["banner", "embed", "gpc", "x"]) | json_values,
        },
    ).map(lambda body: json.dumps(body).encode()),
    st.binary(max_size=300),
)


@HTTP
@given(choices, st.sampled_from(["demo", "other", "nope", "DEMO", "../demo"]))
def test_consent_post_is_201_or_a_clear_4xx(live: TestClient, body: bytes, site: str) -> None:
    response = live.post(
        f"/consent/{site}",
        content=body,
        headers={"Origin": ORIGIN, "Content-Type": "application/json"},
    )
    live.cookies.clear()
    assert response.status_code in {201, 400, 403, 404, 413, 415, 422}, response.text
    if response.status_code != 201:
        assert "error" in response.json()


report_params = st.lists(
    st.tuples(
        st.sampled_from(["from", "to", "limit", "filter", "interval", "compare", "format", "x"]),
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(
                ["2026-01-01", "2026-02-30", "0", "-5", "country:FI", "country:", ":", "day",
                 "hour", "previous", "csv", "json"]
            ),
        ),
    ),
    max_size=6,
)  # fmt: skip


@HTTP
@given(
    st.sampled_from(
        ["summary", "timeseries", "realtime", "consents", "pages", "countries", "nope", "%00"]
    ),
    report_params,
)
def test_report_api_never_fails(
    live: TestClient, report: str, params: list[tuple[str, str]]
) -> None:
    response = live.get(
        f"/api/sites/demo/stats/{report}",
        params=params,
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert response.status_code in {200, 400, 404}, response.text


@HTTP
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["module", "method", "idSite", "period", "date", "format", "x"]),
            st.text(max_size=30)
            | st.sampled_from(["API", "VisitsSummary.get", "day", "range", "today", "JSON"]),
        ),
        max_size=7,
    )
)
def test_matomo_reporting_api_never_fails(live: TestClient, params: list[tuple[str, str]]) -> None:
    response = live.get("/index.php", params=[*params, ("token_auth", ADMIN)])
    assert response.status_code < 500, response.text
