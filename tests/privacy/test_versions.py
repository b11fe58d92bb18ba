"""Every policy version served is kept: a consent record's policy hash always leads to the
exact notice and banner texts the visitor saw, even after the policy file has changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import ADMIN, ORIGIN, grant, rows

OLD_TITLE = 'title = "Evästeet ja yksityisyys"'


def serve(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), base_url=ORIGIN)


def test_a_consent_records_hash_leads_to_the_notice_it_was_given_under(
    client: TestClient, policies_dir: Path
) -> None:
    record = grant(client, ["analytics"])
    consents = client.get(
        "/api/sites/demo/consents", headers={"Authorization": f"Bearer {ADMIN}"}
    ).json()["records"]
    (mine,) = [r for r in consents if r["consent_id"] == record["consent_id"]]
    digest = mine["policy_hash"]
    assert digest == hashlib.sha256((policies_dir / "demo.toml").read_bytes()).hexdigest()
    assert mine["policy_url"] == f"{ORIGIN}/privacy/demo/versions/{digest}"
    assert client.get(mine["policy_url"]).status_code == 200

    listed = client.get("/privacy/demo/versions", params={"format": "json"}).json()
    (entry,) = listed["versions"]
    assert (entry["hash"], entry["version"]) == (digest, "2026-01-01")
    assert entry["url"] == f"{ORIGIN}/privacy/demo/versions/{digest}?lang=fi"

    page = client.get(f"/privacy/demo/versions/{digest}")
    assert page.status_code == 200
    assert '<html lang="fi">' in page.text
    assert "Tietosuojaseloste: Demo site" in page.text
    assert "Evästebannerin tekstit" in page.text  # the banner texts the visitor saw
    assert "Hyväksy kaikki" in page.text
    html_list = client.get("/privacy/demo/versions", params={"lang": "en"}).text
    assert f'href="{ORIGIN}/privacy/demo/versions/{digest}?lang=en"' in html_list
    # The current notice's change history links here too.
    notice = client.get("/privacy/demo", params={"lang": "en"}).text
    assert f"/privacy/demo/versions/{digest}?lang=en" in notice


def test_a_changed_policy_keeps_the_old_version_viewable(
    settings: Settings, policies_dir: Path, db_path: Path
) -> None:
    path = policies_dir / "demo.toml"
    with serve(settings) as client:
        old = grant(client, [])
    old_hash = hashlib.sha256(path.read_bytes()).hexdigest()

    text = path.read_text(encoding="utf-8")
    assert text.count(OLD_TITLE) == 1
    text = text.replace(OLD_TITLE, 'title = "Uusi otsikko evästeille"').replace(
        'version = "2026-01-01"', 'version = "2026-03-01"', 1
    )
    path.write_text(text, encoding="utf-8")
    new_hash = hashlib.sha256(path.read_bytes()).hexdigest()

    with serve(settings) as client:
        new = grant(client, ["analytics"], version="2026-03-01")
        versions = client.get("/privacy/demo/versions", params={"format": "json"}).json()
        assert [(v["version"], v["hash"]) for v in versions["versions"]] == [
            ("2026-03-01", new_hash),
            ("2026-01-01", old_hash),
        ]
        old_page = client.get(f"/privacy/demo/versions/{old_hash}").text
        new_page = client.get(f"/privacy/demo/versions/{new_hash}").text
        assert "Evästeet ja yksityisyys" in old_page
        assert "Uusi otsikko evästeille" not in old_page
        assert "Uusi otsikko evästeille" in new_page
        listing = client.get("/privacy/demo/versions").text
        assert listing.index("2026-03-01") < listing.index("2026-01-01")  # newest first

    hashes = {
        r["consent_id"]: r["policy_hash"]
        for r in rows(db_path, "SELECT consent_id, policy_hash FROM consents")
    }
    assert (hashes[old["consent_id"]], hashes[new["consent_id"]]) == (old_hash, new_hash)
    kept = rows(db_path, "SELECT hash, snapshot FROM policy_versions WHERE site = 'demo'")
    assert {r["hash"]: hashlib.sha256(r["snapshot"].encode()).hexdigest() for r in kept} == {
        old_hash: old_hash,
        new_hash: new_hash,
    }


def test_restarting_keeps_when_a_version_was_first_served(
    settings: Settings, db_path: Path
) -> None:
    with serve(settings):
        pass
    first = rows(db_path, "SELECT site, hash, first_served FROM policy_versions ORDER BY site")
    with serve(settings):
        pass
    again = rows(db_path, "SELECT site, hash, first_served FROM policy_versions ORDER BY site")
    assert [tuple(r) for r in again] == [tuple(r) for r in first]
    assert [r["site"] for r in first] == ["demo", "other"]


def test_unknown_versions_and_bad_requests_get_json_errors(client: TestClient) -> None:
    unknown = "0" * 64
    for path, status in [
        (f"/privacy/demo/versions/{unknown}", 404),
        ("/privacy/demo/versions/not-a-hash", 404),
        (f"/privacy/nope/versions/{unknown}", 404),
        ("/privacy/nope/versions", 404),
        ("/privacy/demo/versions?format=xml", 400),
        ("/privacy/demo/versions?lang=de", 400),
    ]:
        response = client.get(path)
        assert response.status_code == status, path
        assert "error" in response.json()
    digest = client.get("/privacy/demo/versions", params={"format": "json"}).json()["versions"][0]
    assert client.get(f"/privacy/demo/versions/{digest['hash']}?lang=de").status_code == 400
    # A site's version is not reachable under another site.
    assert client.get(f"/privacy/other/versions/{digest['hash']}").status_code == 404


@pytest.mark.sqlite_only  # works on the SQLite file itself
def test_a_version_the_loader_no_longer_accepts_is_shown_as_its_text(
    client: TestClient, db_path: Path
) -> None:
    import sqlite3

    snapshot = '[site]\nslug = "demo"\nold_key = "from an older release"\n'
    digest = hashlib.sha256(snapshot.encode()).hexdigest()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO policy_versions VALUES ('demo', ?, '2020-01-01', "
            "'2020-01-01T00:00:00.000000Z', ?)",
            (digest, snapshot),
        )
    conn.close()
    page = client.get(f"/privacy/demo/versions/{digest}")
    assert page.status_code == 200
    assert "from an older release" in page.text
