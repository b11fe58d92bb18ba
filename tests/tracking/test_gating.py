"""Consent gating, through real HTTP: which hits are stored, and that every answer is a 2xx."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.consent.tokens import SALT, ConsentTokens
from gateway.settings import Settings
from tests.conftest import BROWSER_UA, ORIGIN, PEER_IP, SECRET, grant, rows, write_site

VERSION = "2026-01-01"


class _OldSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 181 * 86400


def expired_token(consent_id: str) -> str:
    serializer = URLSafeTimedSerializer(SECRET, salt=SALT, signer=_OldSigner)
    return str(serializer.dumps({"c": consent_id, "s": "demo", "v": VERSION, "g": ["analytics"]}))


def send(
    client: TestClient,
    token: str | None = None,
    cookies: dict[str, str] | None = None,
    **extra: str,
) -> int:
    params = {
        "idsite": "1",
        "rec": "1",
        "url": "http://127.0.0.1:8000/x",
        "action_name": "X",
        "_id": "0123456789abcdef",
        "send_image": "0",
        **extra,
    }
    if token is not None:
        params["gw_consent"] = token
    client.cookies.clear()
    for name, value in (cookies or {}).items():
        client.cookies.set(name, value)
    response = client.get("/matomo.php", params=params, headers={"User-Agent": BROWSER_UA})
    client.cookies.clear()
    return response.status_code


Case = Callable[[TestClient], int]


def no_token(c: TestClient) -> int:
    return send(c)


def granted_param(c: TestClient) -> int:
    return send(c, grant(c, ["analytics"])["token"])


def granted_cookie(c: TestClient) -> int:
    return send(c, cookies={"gw_consent": grant(c, ["analytics"])["token"]})


def granted_nothing(c: TestClient) -> int:
    return send(c, grant(c, [])["token"])


def granted_marketing_only(c: TestClient) -> int:
    return send(c, grant(c, ["marketing"])["token"])


def tampered(c: TestClient) -> int:
    token = grant(c, ["analytics"])["token"]
    payload, rest = token.split(".", 1)
    return send(c, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest)


def other_site(c: TestClient) -> int:
    return send(c, grant(c, ["analytics"], site="other")["token"])


def old_policy_version(c: TestClient) -> int:
    token = ConsentTokens([SECRET]).issue("old-id", "demo", "2025-06-01", frozenset({"analytics"}))
    return send(c, token)


def expired(c: TestClient) -> int:
    return send(c, expired_token("expired-id"))


def signed_with_unknown_key(c: TestClient) -> int:
    token = ConsentTokens(["another-key-0123456789abcdef"]).issue(
        "x", "demo", VERSION, frozenset({"analytics"})
    )
    return send(c, token)


def withdrawn_then_replayed(c: TestClient) -> int:
    token = grant(c, ["analytics"])["token"]
    response = c.delete("/consent/demo", params={"gw_consent": token}, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    return send(c, token)


def changed_then_old_replayed(c: TestClient) -> int:
    old = grant(c, ["analytics"])["token"]
    c.cookies.set("gw_consent", old)
    response = c.post(
        "/consent/demo", json={"granted": [], "policy_version": VERSION}, headers={"Origin": ORIGIN}
    )
    assert response.status_code == 201
    return send(c, old)


def opted_out_cookie(c: TestClient) -> int:
    token = grant(c, ["analytics"])["token"]
    return send(c, token, cookies={"mtm_consent_removed": "1700000000000"})


def without_rec(c: TestClient) -> int:
    params_token = grant(c, ["analytics"])["token"]
    client_params = {
        "idsite": "1",
        "url": "http://127.0.0.1:8000/",
        "gw_consent": params_token,
        "send_image": "0",
    }
    return c.get(
        "/matomo.php", params=client_params, headers={"User-Agent": BROWSER_UA}
    ).status_code


def as_a_bot(c: TestClient) -> int:
    token = grant(c, ["analytics"])["token"]
    return send(
        c, token, ua="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    )


MATRIX: list[tuple[Case, bool]] = [
    (no_token, False),
    (granted_param, True),
    (granted_cookie, True),
    (granted_nothing, False),
    (granted_marketing_only, False),
    (tampered, False),
    (other_site, False),
    (old_policy_version, False),
    (expired, False),
    (signed_with_unknown_key, False),
    (withdrawn_then_replayed, False),
    (changed_then_old_replayed, False),
    (opted_out_cookie, False),
    (without_rec, False),
    (as_a_bot, False),
]


@pytest.mark.parametrize(("case", "stored"), MATRIX, ids=[c.__name__ for c, _ in MATRIX])
def test_gating_matrix(client: TestClient, db_path: Path, case: Case, stored: bool) -> None:
    assert case(client) == 204  # same answer whatever was decided
    hits = rows(db_path, "SELECT * FROM hits")
    assert len(hits) == (1 if stored else 0)
    if stored:
        assert hits[0]["mode"] == "consented"
        assert hits[0]["visitor_id"] == "0123456789abcdef"


def test_rotated_keys_still_verify_old_tokens(settings: Settings, db_path: Path) -> None:
    old_app = create_app(settings)
    with TestClient(old_app, base_url=ORIGIN, client=(PEER_IP, 1)) as old_client:
        token = grant(old_client, ["analytics"])["token"]
    rotated = Settings(
        policies_dir=settings.policies_dir,
        db_url=settings.db_url,
        secret_keys=("a-brand-new-key-0123456789abcdef", SECRET),
        admin_token=settings.admin_token,
    )
    with TestClient(create_app(rotated), base_url=ORIGIN, client=(PEER_IP, 1)) as new_client:
        assert send(new_client, token) == 204
        fresh = grant(new_client, ["analytics"])["token"]
    assert len(rows(db_path, "SELECT * FROM hits")) == 1
    # The old key alone cannot verify what the new key signed.
    assert (
        ConsentTokens([SECRET]).verify(fresh, site="demo", policy_version=VERSION, max_age_days=180)
        is None
    )


def test_withdrawal_stops_another_instance_within_five_seconds(
    settings: Settings, db_path: Path
) -> None:
    """Two instances share one database; a withdrawal on A stops B from counting the token."""
    with (
        TestClient(create_app(settings), base_url=ORIGIN, client=(PEER_IP, 1)) as a,
        TestClient(create_app(settings), base_url=ORIGIN, client=(PEER_IP, 2)) as b,
    ):
        token = grant(a, ["analytics"])["token"]
        assert send(b, token) == 204
        assert len(rows(db_path, "SELECT * FROM hits")) == 1
        response = a.delete(
            "/consent/demo", params={"gw_consent": token}, headers={"Origin": ORIGIN}
        )
        assert response.status_code == 200
        deadline = time.monotonic() + 5
        while True:
            before = len(rows(db_path, "SELECT * FROM hits"))
            send(b, token)
            if len(rows(db_path, "SELECT * FROM hits")) == before:
                break
            assert time.monotonic() < deadline, "instance B still counts a withdrawn token"
            time.sleep(0.1)


def test_anonymous_mode_keeps_a_count_that_identifies_nobody(tmp_path: Path) -> None:
    policies = tmp_path / "anon-policies"
    policies.mkdir()
    write_site(policies, "demo", 1, **{'without_consent = "drop"': 'without_consent = "anonymous"'})
    db_path = tmp_path / "anon.db"
    settings = Settings(
        policies_dir=policies,
        db_url=f"sqlite:///{db_path}",
        secret_keys=(SECRET,),
        admin_token="a" * 24,
    )
    with TestClient(create_app(settings), base_url=ORIGIN, client=(PEER_IP, 1)) as c:
        assert (
            send(
                c,
                None,
                uid="alice@example.org",
                dimension1="vip",
                urlref="https://search.example/q?term=x",
                url="http://127.0.0.1:8000/page?utm_campaign=x&user=7",
            )
            == 204
        )
        assert send(c, None, e_c="Video", e_a="Play") == 204  # not a page view: dropped
    (hit,) = rows(db_path, "SELECT * FROM hits")
    assert hit["mode"] == "anonymous"
    assert hit["kind"] == "pageview"
    assert hit["url"] == "http://127.0.0.1:8000/page"
    assert hit["referrer"] is None and hit["referrer_host"] == "search.example"
    for identifying in (
        "visitor_id",
        "user_id",
        "consent_id",
        "ip",
        "dimensions",
        "browser",
        "os",
        "resolution",
        "pv_id",
    ):
        assert hit[identifying] is None, identifying
    assert hit["device"] in ("desktop", "mobile", "other")


def test_country_comes_from_the_full_ip_before_truncation(
    settings: Settings, db_path: Path, tmp_path: Path
) -> None:
    """203.0.113.9 is in the fixture's German range; its truncation 203.0.0.0 is not."""
    from tests.tracking.test_geo import build_mmdb

    mmdb = build_mmdb(tmp_path / "country.mmdb", "GeoLite2-Country")
    with_geo = Settings(
        policies_dir=settings.policies_dir,
        db_url=settings.db_url,
        secret_keys=(SECRET,),
        admin_token="a" * 24,
        geoip_path=str(mmdb),
    )
    with TestClient(create_app(with_geo), base_url=ORIGIN, client=(PEER_IP, 1)) as c:
        assert send(c, grant(c, ["analytics"])["token"]) == 204
    (hit,) = rows(db_path, "SELECT country, ip FROM hits")
    assert (hit["country"], hit["ip"]) == ("DE", "203.0.0.0")
