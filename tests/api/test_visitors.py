"""GDPR tools for the site owner: ``GET`` and ``DELETE /api/sites/{site}/visitors/{id}``.

The people in every test (all hits sent through ``/matomo.php`` by a consenting browser):

- Jane uses two browsers, ``JANE_LAPTOP`` (2 page views, the second logged in as
  ``jane@example.fi``) and ``JANE_PHONE`` (1 page view, logged in).
- Bob browses ``demo`` anonymously in ``BOB`` (2 page views).
- The same browser id as Jane's laptop also visits the site ``other`` (1 page view): another
  site's data, which nothing on ``demo`` may touch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gateway.cli import main as gateway_cli
from tests.api.kit import (
    ADMIN_AUTH,
    DEMO_TOKEN,
    OTHER_TOKEN,
    WRONG_TOKEN,
    bearer,
    consent,
    today,
    track,
)
from tests.conftest import PEER_IP, rows

JANE_LAPTOP, JANE_PHONE, BOB = "1a2b3c4d5e6f7a8b", "9f8e7d6c5b4a3f2e", "b0b0b0b0b0b0b0b0"
JANE = "jane@example.fi"


@dataclass(frozen=True)
class People:
    consent_of: dict[str, str]  # visitor id on demo -> consent id


@pytest.fixture
def people(client: TestClient, db_path: Path) -> People:
    tokens = {v: consent(client) for v in (JANE_LAPTOP, JANE_PHONE, BOB)}
    track(client, tokens[JANE_LAPTOP], JANE_LAPTOP, "/")
    track(client, tokens[JANE_LAPTOP], JANE_LAPTOP, "/account", uid=JANE)
    track(client, tokens[JANE_PHONE], JANE_PHONE, "/account", uid=JANE)
    track(client, tokens[BOB], BOB, "/")
    track(client, tokens[BOB], BOB, "/pricing")
    track(client, consent(client, "other"), JANE_LAPTOP, "/elsewhere", site="other")
    ids = {
        str(r["visitor_id"]): str(r["consent_id"])
        for r in rows(db_path, "SELECT visitor_id, consent_id FROM hits WHERE site = 'demo'")
    }
    return People(ids)


def visitors_of(db_path: Path, site: str) -> dict[str, int]:
    found = rows(
        db_path,
        "SELECT visitor_id, COUNT(*) AS n FROM hits WHERE site = ? GROUP BY visitor_id",
        site,
    )
    return {str(r["visitor_id"]): int(r["n"]) for r in found}


def summary(client: TestClient, site: str = "demo") -> dict[str, Any]:
    response = client.get(
        f"/api/sites/{site}/stats/summary",
        params={"from": today(), "to": today()},
        headers=ADMIN_AUTH,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- reading ----------------------------------------------------------------------------------


def test_get_by_visitor_id_answers_the_hits_visits_and_consent_records(
    client: TestClient, people: People
) -> None:
    response = client.get(f"/api/sites/demo/visitors/{JANE_LAPTOP}", headers=ADMIN_AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lookup"] == {"by": "visitor_id", "visitor_id": JANE_LAPTOP}
    assert body["visitor_ids"] == [JANE_LAPTOP]
    assert [h["url"] for h in body["hits"]] == [
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/account",
    ]
    assert {h["site"] for h in body["hits"]} == {"demo"}  # never the other site's hit
    assert all(h["ip"] == "203.0.0.0" for h in body["hits"])  # stored truncated, shown as stored
    assert len(body["visits"]) == 1
    assert body["visits"][0]["pageviews"] == 2
    assert [c["consent_id"] for c in body["consents"]] == [people.consent_of[JANE_LAPTOP]]
    assert "pii_salt" not in body["consents"][0]
    assert response.headers["cache-control"] == "no-store"


def test_visitor_ids_are_case_insensitive_as_in_matomo(client: TestClient, people: People) -> None:
    response = client.get(f"/api/sites/demo/visitors/{JANE_LAPTOP.upper()}", headers=ADMIN_AUTH)
    assert response.status_code == 200
    assert response.json()["visitor_ids"] == [JANE_LAPTOP]


def test_get_by_user_id_finds_every_browser_of_that_user(
    client: TestClient, people: People
) -> None:
    response = client.get(
        f"/api/sites/demo/visitors/{JANE}", params={"by": "user_id"}, headers=bearer(DEMO_TOKEN)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["visitor_ids"] == sorted([JANE_LAPTOP, JANE_PHONE])
    # every hit of those browsers, also the one before Jane logged in
    assert len(body["hits"]) == 3
    assert {c["consent_id"] for c in body["consents"]} == {
        people.consent_of[JANE_LAPTOP],
        people.consent_of[JANE_PHONE],
    }
    # the answer names the user id only as stored: its pseudonym, never the address itself
    assert body["lookup"]["by"] == "user_id"
    assert JANE not in response.text
    assert body["lookup"]["user_id"] == body["hits"][1]["user_id"]


def test_a_later_choice_of_the_same_browser_is_a_linked_consent_record(
    client: TestClient, people: People
) -> None:
    first = consent(client)
    track(client, first, "cafecafecafecafe", "/")
    client.cookies.set("gw_consent", first)
    changed = client.post(
        "/consent/demo",
        json={"granted": [], "policy_version": "2026-01-01", "lang": "fi"},
        headers={"Origin": "http://127.0.0.1:8000"},
    )
    assert changed.status_code == 201, changed.text
    client.cookies.clear()
    body = client.get("/api/sites/demo/visitors/cafecafecafecafe", headers=ADMIN_AUTH).json()
    assert [c["action"] for c in body["consents"]] == ["custom", "reject_all"]


@pytest.mark.parametrize(
    ("path", "params", "error"),
    [
        ("/api/sites/demo/visitors/0123", {}, "a visitor id is 16 hexadecimal characters"),
        (
            "/api/sites/demo/visitors/0123456789abcdeg",
            {},
            "a visitor id is 16 hexadecimal characters",
        ),
        (
            "/api/sites/demo/visitors/0123456789abcdef",
            {"by": "email"},
            "'by' must be visitor_id or user_id",
        ),
        ("/api/sites/demo/visitors/%20", {"by": "user_id"}, "a user id has 1 to 1024 characters"),
        (
            f"/api/sites/demo/visitors/{'x' * 1025}",
            {"by": "user_id"},
            "a user id has 1 to 1024 characters",
        ),
    ],
)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_malformed_ids_are_a_400(
    client: TestClient, method: str, path: str, params: dict[str, str], error: str
) -> None:
    response = client.request(method, path, params=params, headers=ADMIN_AUTH)
    assert response.status_code == 400
    assert response.json() == {"error": error}


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/sites/demo/visitors/ffffffffffffffff", {}),
        ("/api/sites/demo/visitors/nobody@example.fi", {"by": "user_id"}),
        (f"/api/sites/other/visitors/{BOB}", {}),  # Bob never visited the other site
    ],
)
def test_nothing_stored_is_a_404(
    client: TestClient, people: People, method: str, path: str, params: dict[str, str]
) -> None:
    response = client.request(method, path, params=params, headers=ADMIN_AUTH)
    assert response.status_code == 404
    assert response.json() == {"error": "nothing is stored for this visitor"}


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize(
    ("site", "headers", "status"),
    [
        ("demo", {}, 401),
        ("demo", {"Authorization": "Basic abc"}, 401),
        ("demo", bearer(WRONG_TOKEN), 403),
        ("demo", bearer(OTHER_TOKEN), 403),  # a site's token never reads another site
        ("nosuchsite", bearer(DEMO_TOKEN), 403),  # no probing for site names
        ("nosuchsite", ADMIN_AUTH, 404),
    ],
)
def test_wrong_or_missing_credentials_are_refused_and_nothing_is_erased(
    client: TestClient,
    db_path: Path,
    people: People,
    method: str,
    site: str,
    headers: dict[str, str],
    status: int,
) -> None:
    before = visitors_of(db_path, "demo")
    response = client.request(method, f"/api/sites/{site}/visitors/{BOB}", headers=headers)
    assert response.status_code == status
    assert "error" in response.json()
    assert visitors_of(db_path, "demo") == before


# -- erasing ----------------------------------------------------------------------------------


def test_delete_by_visitor_id_erases_the_hits_and_their_report_counts(
    client: TestClient, db_path: Path, settings: Any, people: People
) -> None:
    assert summary(client)["visitors"] == 3
    response = client.delete(f"/api/sites/demo/visitors/{BOB}", headers=bearer(DEMO_TOKEN))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "site": "demo",
        "lookup": {"by": "visitor_id", "visitor_id": BOB},
        "visitor_ids": [BOB],
        "erased": {"hits": 2, "consents_pseudonymised": 1},
    }
    assert visitors_of(db_path, "demo") == {JANE_LAPTOP: 2, JANE_PHONE: 1}
    assert visitors_of(db_path, "other") == {JANE_LAPTOP: 1}
    assert rows(db_path, "SELECT COUNT(*) AS n FROM visits WHERE visitor = ?", BOB)[0]["n"] == 0
    after = summary(client)
    assert (after["visitors"], after["visits"], after["pageviews"]) == (2, 2, 3)
    # and gone for good
    again = client.get(f"/api/sites/demo/visitors/{BOB}", headers=ADMIN_AUTH)
    assert again.status_code == 404


def test_delete_pseudonymises_the_linked_consent_records_and_the_chain_still_verifies(
    client: TestClient, db_path: Path, settings: Any, people: People
) -> None:
    bob_consent = people.consent_of[BOB]
    client.delete(f"/api/sites/demo/visitors/{BOB}", headers=ADMIN_AUTH)
    (record,) = rows(db_path, "SELECT * FROM consents WHERE consent_id = ?", bob_consent)
    assert (record["ip"], record["ua_family"], record["pii_salt"]) == (None, None, None)
    assert record["pii_digest"]  # the record itself stays, as proof of consent
    others = rows(
        db_path, "SELECT ip FROM consents WHERE site = 'demo' AND consent_id != ?", bob_consent
    )
    assert others and all(r["ip"] is not None for r in others)
    assert gateway_cli(["verify-consents", "demo", "--db", settings.db_url]) == 0


def test_delete_by_user_id_erases_every_browser_of_that_user(
    client: TestClient, db_path: Path, people: People
) -> None:
    response = client.delete(
        f"/api/sites/demo/visitors/{JANE}", params={"by": "user_id"}, headers=ADMIN_AUTH
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["visitor_ids"] == sorted([JANE_LAPTOP, JANE_PHONE])
    assert body["erased"] == {"hits": 3, "consents_pseudonymised": 2}
    assert visitors_of(db_path, "demo") == {BOB: 2}
    assert visitors_of(db_path, "other") == {JANE_LAPTOP: 1}  # another site's data stays
    after = summary(client)
    assert (after["visitors"], after["pageviews"]) == (1, 2)


def test_hits_from_before_a_key_rotation_are_found_by_user_id(
    tmp_path: Path, settings: Any
) -> None:
    from dataclasses import replace

    from gateway.app import create_app
    from tests.conftest import ORIGIN

    with TestClient(create_app(settings), base_url=ORIGIN, client=(PEER_IP, 1)) as old:
        track(old, consent(old), JANE_PHONE, "/", uid=JANE)
    rotated = replace(
        settings, secret_keys=("a-newer-secret-key-0123456789abcdef", *settings.secret_keys)
    )
    with TestClient(create_app(rotated), base_url=ORIGIN, client=(PEER_IP, 1)) as new:
        found = new.get(
            f"/api/sites/demo/visitors/{JANE}", params={"by": "user_id"}, headers=ADMIN_AUTH
        )
        assert found.status_code == 200
        assert found.json()["visitor_ids"] == [JANE_PHONE]
