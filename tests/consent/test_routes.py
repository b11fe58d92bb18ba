"""/consent/{site}: recording, reading and withdrawing a choice, with origin checks and CORS."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import ORIGIN, grant, rows

VERSION = "2026-01-01"


def test_post_records_and_answers_as_the_contract_says(client: TestClient, db_path: Path) -> None:
    response = client.post(
        "/consent/demo",
        json={"granted": ["analytics"], "policy_version": VERSION, "lang": "sv"},
        headers={"Origin": ORIGIN, "User-Agent": "Mozilla/5.0 Firefox/128.0"},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"consent_id", "token", "granted", "expires_at"}
    assert body["granted"] == ["analytics", "necessary"]
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"gw_consent={body['token']}")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=15552000" in cookie
    (record,) = rows(db_path, "SELECT * FROM consents")
    assert record["consent_id"] == body["consent_id"]
    assert record["action"] == "custom"
    assert record["granted"] == '["analytics", "necessary"]'
    assert record["denied"] == '["marketing", "social"]'
    assert record["lang"] == "sv"
    assert record["ip"] == "203.0.0.0"
    assert record["policy_version"] == VERSION and len(record["policy_hash"]) == 64


def test_get_shows_the_current_choice_from_cookie_or_parameter(client: TestClient) -> None:
    consent = grant(client, ["analytics", "marketing", "social"])
    by_param = client.get("/consent/demo", params={"gw_consent": consent["token"]})
    assert by_param.status_code == 200
    assert by_param.json()["granted"] == ["analytics", "marketing", "necessary", "social"]
    client.cookies.set("gw_consent", consent["token"])
    assert client.get("/consent/demo").json()["consent_id"] == consent["consent_id"]
    client.cookies.clear()
    assert client.get("/consent/demo").status_code == 404


def test_delete_withdraws_clears_the_cookie_and_the_token_stops_counting(
    client: TestClient, db_path: Path
) -> None:
    consent = grant(client, ["analytics"])
    client.cookies.set("gw_consent", consent["token"])
    response = client.delete("/consent/demo", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.json()["withdrawn"] == consent["consent_id"]
    assert 'gw_consent=""' in response.headers["set-cookie"]
    client.cookies.clear()
    assert client.get("/consent/demo", params={"gw_consent": consent["token"]}).status_code == 404
    again = client.delete("/consent/demo", params={"gw_consent": consent["token"]})
    assert again.status_code == 404
    withdraw = rows(db_path, "SELECT * FROM consents WHERE action = 'withdraw'")
    assert [r["supersedes"] for r in withdraw] == [consent["consent_id"]]
    assert withdraw[0]["granted"] == '["necessary"]'


def test_preflight_allows_exactly_the_policy_origins(client: TestClient) -> None:
    ok = client.options(
        "/consent/demo", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in ok.headers["access-control-allow-methods"]
    evil = client.options(
        "/consent/demo",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert evil.status_code == 403
    assert "access-control-allow-origin" not in evil.headers


@pytest.mark.parametrize(
    ("headers", "body", "status", "message"),
    [
        (
            {"Origin": "https://evil.example"},
            {"granted": [], "policy_version": VERSION},
            403,
            "origin not allowed",
        ),
        ({}, {"granted": [], "policy_version": VERSION}, 403, "origin not allowed"),
        (
            {"Origin": ORIGIN},
            {"granted": ["tracking"], "policy_version": VERSION},
            400,
            "unknown categories: tracking",
        ),
        (
            {"Origin": ORIGIN},
            {"granted": "analytics", "policy_version": VERSION},
            400,
            "'granted' must be a list",
        ),
        (
            {"Origin": ORIGIN},
            {"granted": [1], "policy_version": VERSION},
            400,
            "'granted' must be a list",
        ),
        ({"Origin": ORIGIN}, {"granted": []}, 400, "'policy_version' must be a string"),
        (
            {"Origin": ORIGIN},
            {"granted": [], "policy_version": VERSION, "lang": "de"},
            400,
            "'lang' must be one of: fi, sv, en",
        ),
        ({"Origin": ORIGIN}, ["analytics"], 400, "must be a JSON object"),
        (
            {"Origin": ORIGIN},
            {"granted": [], "policy_version": "2020-01-01"},
            409,
            "the policy has changed",
        ),
    ],
)
def test_bad_choices_get_clear_errors_and_record_nothing(
    client: TestClient,
    db_path: Path,
    headers: dict[str, str],
    body: object,
    status: int,
    message: str,
) -> None:
    response = client.post("/consent/demo", json=body, headers=headers)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert rows(db_path, "SELECT * FROM consents") == []


@pytest.mark.parametrize(
    ("content", "status"),
    [(b"{not json", 400), (b"\xff\xfe", 400), (b"", 400), (b"x" * 20_000, 413)],
)
def test_broken_and_oversized_bodies(client: TestClient, content: bytes, status: int) -> None:
    response = client.post("/consent/demo", content=content, headers={"Origin": ORIGIN})
    assert response.status_code == status
    assert "error" in response.json()


def test_unknown_site_is_404_everywhere(client: TestClient) -> None:
    assert client.post("/consent/nope", json={}, headers={"Origin": ORIGIN}).status_code == 404
    assert client.get("/consent/nope").status_code == 404
    assert client.delete("/consent/nope").status_code == 404
    assert client.get("/consent/nope/config").status_code == 404


def test_config_carries_what_the_banner_needs(client: TestClient) -> None:
    response = client.get("/consent/demo/config")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    config = response.json()
    assert config["version"] == VERSION
    assert config["languages"] == ["fi", "sv", "en"]
    assert [c["id"] for c in config["categories"]][0] == "necessary"
    assert config["categories"][0]["required"] is True
    for lang in ("fi", "sv", "en"):
        for key in ("title", "description", "accept_all", "reject_all", "settings", "save"):
            assert config["texts"][lang][key]
    assert config["privacy_url"].endswith("/privacy/demo")


def test_banner_script_is_static_and_cacheable(client: TestClient) -> None:
    response = client.get("/consent/banner.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert "max-age" in response.headers["cache-control"]
    assert "etag" in response.headers
    assert "gw_consent" in response.text
