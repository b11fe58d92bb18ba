"""Reading the access audit: ``/api/sites/{site}/audit`` for a site, ``/api/audit`` for all."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.api.kit import (
    ADMIN_AUTH,
    DEMO_TOKEN,
    OTHER_TOKEN,
    WRONG_TOKEN,
    bearer,
    sha,
    today,
)
from tests.conftest import rows

ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


@pytest.fixture
def history(client: TestClient) -> None:
    """One read of each site's stats, and one refused attempt on demo."""
    assert client.get("/api/sites/demo/stats/summary", headers=ADMIN_AUTH).status_code == 200
    assert (
        client.get("/api/sites/other/stats/summary", headers=bearer(OTHER_TOKEN)).status_code == 200
    )
    assert client.get("/api/sites/demo/hits", headers=bearer(WRONG_TOKEN)).status_code == 403


def test_a_site_token_reads_its_own_sites_rows_newest_first(
    client: TestClient, history: None
) -> None:
    response = client.get("/api/sites/demo/audit", headers=bearer(DEMO_TOKEN))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["site"] == "demo"
    entries = body["entries"]
    assert [(e["action"], e["actor"], e["status"], e["detail"]) for e in entries] == [
        ("hits.export", "anonymous", 403, "refused"),
        ("stats.read", "admin", 200, "ok"),
    ]
    assert all(e["site"] == "demo" for e in entries)
    assert set(entries[0]) == {"id", "ts", "site", "actor", "action", "target", "status", "detail"}
    assert response.headers["cache-control"] == "no-store"


def test_reading_the_audit_is_itself_audited(client: TestClient, history: None) -> None:
    client.get("/api/sites/demo/audit", headers=bearer(DEMO_TOKEN))
    entries = client.get("/api/sites/demo/audit", headers=ADMIN_AUTH).json()["entries"]
    assert (entries[0]["action"], entries[0]["actor"]) == (
        "audit.read",
        f"site-token:{sha(DEMO_TOKEN)[:12]}",
    )


def test_the_admin_reads_every_site_and_can_narrow_it(client: TestClient, history: None) -> None:
    every = client.get("/api/audit", headers=ADMIN_AUTH).json()
    assert every["site"] is None
    assert {e["site"] for e in every["entries"]} == {"demo", "other"}
    other = client.get("/api/audit?site=other", headers=ADMIN_AUTH).json()["entries"]
    assert [(e["site"], e["action"]) for e in other] == [("other", "stats.read")]


def test_dates_and_limit(client: TestClient, history: None) -> None:
    day = today()
    assert (
        len(client.get(f"/api/audit?from={day}&to={day}", headers=ADMIN_AUTH).json()["entries"])
        == 3
    )
    assert client.get("/api/audit?to=2000-01-01", headers=ADMIN_AUTH).json()["entries"] == []
    assert client.get("/api/audit?from=2999-01-01", headers=ADMIN_AUTH).json()["entries"] == []
    limited = client.get("/api/audit?limit=2", headers=ADMIN_AUTH).json()["entries"]
    assert len(limited) == 2
    assert limited[0]["id"] > limited[1]["id"]


def test_csv(client: TestClient, history: None) -> None:
    response = client.get("/api/sites/demo/audit?format=csv", headers=ADMIN_AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="demo-audit.csv"' in response.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["action"] for r in table] == ["hits.export", "stats.read"]
    assert list(table[0]) == ["id", "ts", "site", "actor", "action", "target", "status", "detail"]
    empty = client.get("/api/sites/demo/audit?format=csv&from=2999-01-01", headers=ADMIN_AUTH)
    assert empty.text.strip() == "id,ts,site,actor,action,target,status,detail"


def test_timestamps_are_in_the_same_format_as_hits(
    client: TestClient, db_path: Path, history: None
) -> None:
    stamps = [str(r["ts"]) for r in rows(db_path, "SELECT ts FROM audit_log")]
    assert stamps and all(ISO.fullmatch(ts) for ts in stamps)


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/sites/demo/audit", {}, 401),
        ("/api/sites/demo/audit", bearer(WRONG_TOKEN), 403),
        ("/api/sites/demo/audit", bearer(OTHER_TOKEN), 403),
        ("/api/sites/nosuchsite/audit", bearer(DEMO_TOKEN), 403),
        ("/api/sites/nosuchsite/audit", ADMIN_AUTH, 404),
        ("/api/audit", {}, 401),
        ("/api/audit", bearer(DEMO_TOKEN), 403),  # every site's log is the admin's alone
        ("/api/audit", bearer(WRONG_TOKEN), 403),
    ],
)
def test_credentials_are_checked(
    client: TestClient, history: None, path: str, headers: dict[str, str], status: int
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == status
    assert "error" in response.json()


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("from=2026-1-1", "'from' must be a date YYYY-MM-DD"),
        ("to=yesterday", "'to' must be a date YYYY-MM-DD"),
        ("from=2026-02-01&to=2026-01-01", "'from' must not be after 'to'"),
        ("limit=0", "'limit' must be an integer from 1 to 10000"),
        ("limit=10001", "'limit' must be an integer from 1 to 10000"),
        ("limit=ten", "'limit' must be an integer from 1 to 10000"),
        ("format=xml", "'format' must be json or csv"),
        ("site=Not%20A%20Slug", "'site' must be a site slug"),
    ],
)
def test_bad_parameters_are_a_400(client: TestClient, query: str, error: str) -> None:
    response = client.get(f"/api/audit?{query}", headers=ADMIN_AUTH)
    assert response.status_code == 400
    assert response.json() == {"error": error}
