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
    assert set(body) == {"consent_id", "token", "granted", "services", "expires_at"}
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


def test_config_carries_what_the_first_layer_needs_in_one_language(client: TestClient) -> None:
    response = client.get("/consent/demo/config", params={"lang": "sv"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "max-age" in response.headers["cache-control"]
    assert response.headers["vary"] == "Sec-GPC"
    config = response.json()
    assert (config["version"], config["lang"]) == (VERSION, "sv")
    assert config["languages"] == ["fi", "sv", "en"]
    assert config["categories"][0] == {
        "id": "necessary",
        "required": True,
        "cookies": ["gw_consent"],
    }
    analytics = next(c for c in config["categories"] if c["id"] == "analytics")
    assert "_pk_id.*" in analytics["cookies"]
    assert config["texts"]["accept_all"] == "Godkänn alla"
    assert config["texts"]["manage"]  # built-in text the policy does not override
    assert config["gpc"] is False
    assert config["privacy_url"].endswith("/privacy/demo")
    assert config["details_url"].endswith("/consent/demo/details?lang=sv")
    assert "title" not in config["categories"][1]  # details come later


@pytest.mark.parametrize(
    ("asked", "served"), [("fi", "fi"), ("en-GB", "en"), ("de", "fi"), (None, "fi")]
)
def test_config_language_falls_back_to_the_policy_default(
    client: TestClient, asked: str | None, served: str
) -> None:
    params = {"lang": asked} if asked else {}
    assert client.get("/consent/demo/config", params=params).json()["lang"] == served


def test_config_is_revalidated_by_etag_and_reports_gpc(client: TestClient) -> None:
    first = client.get("/consent/demo/config", params={"lang": "fi"})
    again = client.get(
        "/consent/demo/config",
        params={"lang": "fi"},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304
    gpc = client.get("/consent/demo/config", params={"lang": "fi"}, headers={"Sec-GPC": "1"})
    assert gpc.json()["gpc"] is True
    assert gpc.headers["etag"] != first.headers["etag"]


def test_details_carry_categories_and_services(client: TestClient) -> None:
    details = client.get("/consent/demo/details", params={"lang": "en"}).json()
    assert details["texts"]["save"]
    analytics = next(c for c in details["categories"] if c["id"] == "analytics")
    assert analytics["title"] and analytics["description"]
    assert analytics["services"][0]["name"].startswith("Matomo")
    assert analytics["services"][0]["id"]


def test_gpc_well_known_resource(client: TestClient) -> None:
    assert client.get("/.well-known/gpc.json").json()["gpc"] is True


def test_a_gpc_refusal_is_recorded_without_a_cookie(client: TestClient, db_path: Path) -> None:
    response = client.post(
        "/consent/demo",
        json={"granted": [], "policy_version": VERSION, "source": "gpc"},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 201
    assert "gw_consent=" not in response.headers.get("set-cookie", "")
    (record,) = rows(db_path, "SELECT action, source FROM consents")
    assert (record["action"], record["source"]) == ("reject_all", "gpc")
    refused = client.post(
        "/consent/demo",
        json={"granted": ["analytics"], "policy_version": VERSION, "source": "gpc"},
        headers={"Origin": ORIGIN},
    )
    assert refused.status_code == 400


def test_a_single_service_can_be_granted_from_an_embed(client: TestClient, db_path: Path) -> None:
    service = client.get("/consent/demo/config").json()["services"][0]
    response = client.post(
        "/consent/demo",
        json={
            "granted": [],
            "services": [service["id"]],
            "policy_version": VERSION,
            "source": "embed",
        },
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["services"] == [service["id"]]
    assert body["granted"] == ["necessary"]
    current = client.get("/consent/demo", params={"gw_consent": body["token"]}).json()
    assert current["services"] == [service["id"]]
    (record,) = rows(db_path, "SELECT action, source, services FROM consents")
    assert (record["action"], record["source"]) == ("custom", "embed")
    unknown = client.post(
        "/consent/demo",
        json={"granted": [], "services": ["nope"], "policy_version": VERSION},
        headers={"Origin": ORIGIN},
    )
    assert unknown.status_code == 400 and "unknown services" in unknown.json()["error"]


def test_banner_script_is_static_and_cacheable(client: TestClient) -> None:
    response = client.get("/consent/banner.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert "max-age" in response.headers["cache-control"]
    assert "etag" in response.headers
    assert "gw_consent" in response.text


def test_refusing_or_withdrawing_expires_declared_cookies_the_gateway_can_reach(
    tmp_path: Path,
) -> None:
    from gateway.app import create_app
    from gateway.settings import Settings
    from tests.conftest import PEER_IP, SECRET, write_site

    policies = tmp_path / "cookie-policies"
    policies.mkdir()
    write_site(
        policies,
        "demo",
        1,
        **{
            'cookies = ["_pk_id.*", "_pk_ses.*"]': (
                'cookies = ["_pk_id.*", "_pk_ses.*", "stats_sid"]'
            )
        },
    )
    settings = Settings(
        policies_dir=policies,
        db_url=f"sqlite:///{tmp_path}/c.db",
        secret_keys=(SECRET,),
        admin_token="a" * 24,
    )
    with TestClient(create_app(settings), base_url=ORIGIN, client=(PEER_IP, 1)) as c:
        refused = c.post(
            "/consent/demo",
            json={"granted": [], "policy_version": VERSION},
            headers={"Origin": ORIGIN},
        )
        cookies = refused.headers.get_list("set-cookie")
        assert any(h.startswith('stats_sid=""') and "Max-Age=0" in h for h in cookies)
        assert not any(h.startswith("_pk_id") for h in cookies)  # patterns: the banner's job
        granted = c.post(
            "/consent/demo",
            json={"granted": ["analytics"], "policy_version": VERSION},
            headers={"Origin": ORIGIN},
        )
        assert not any(h.startswith("stats_sid") for h in granted.headers.get_list("set-cookie"))
        token = granted.json()["token"]
        c.cookies.clear()
        withdrawn = c.delete(
            "/consent/demo", params={"gw_consent": token}, headers={"Origin": ORIGIN}
        )
        assert any(h.startswith('stats_sid=""') for h in withdrawn.headers.get_list("set-cookie"))
