"""The walking skeleton end to end: consent, then a page view stored; refusal stores nothing."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from tests.conftest import BROWSER_UA, ORIGIN, grant, rows


def pageview(client: TestClient, token: str | None, **extra: str) -> int:
    params = {
        "idsite": "1",
        "rec": "1",
        "action_name": "Etusivu",
        "url": "http://127.0.0.1:8000/?utm_campaign=kevat&gclid=abc",
        "_id": "0123456789abcdef",
        "send_image": "0",
        **extra,
    }
    if token:
        params["gw_consent"] = token
    response = client.post(
        "/matomo.php", params=params, headers={"User-Agent": BROWSER_UA, "Origin": ORIGIN}
    )
    return response.status_code


def test_accept_then_pageview_is_stored(client: TestClient, db_path: Path) -> None:
    consent = grant(client, ["analytics"])
    assert pageview(client, consent["token"]) == 204
    (hit,) = rows(db_path, "SELECT * FROM hits")
    assert hit["site"] == "demo"
    assert hit["visitor_id"] == "0123456789abcdef"
    assert hit["ip"] == "203.0.0.0"
    assert hit["url"] == "http://127.0.0.1:8000/"
    assert hit["campaign_name"] == "kevat"
    assert hit["consent_id"] == consent["consent_id"]


def test_reject_then_pageview_is_not_stored(client: TestClient, db_path: Path) -> None:
    consent = grant(client, [])
    assert pageview(client, consent["token"]) == 204
    assert pageview(client, None) == 204
    assert rows(db_path, "SELECT * FROM hits") == []
