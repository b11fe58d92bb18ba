"""``/readyz`` tells a load balancer whether this instance can do its job."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.readiness import reasons_not_ready
from gateway.settings import Settings
from gateway.storage.migrations import MIGRATIONS


@pytest.mark.parametrize(
    ("schema", "expected", "reason"),
    [
        (6, 6, None),
        (None, 6, "database unreachable"),
        (5, 6, "older than this release's 6: migrations pending"),
        (7, 6, "newer than this release's 6: upgrade this gateway"),
    ],
)
def test_reasons(schema: int | None, expected: int, reason: str | None) -> None:
    reasons = reasons_not_ready(schema, expected)
    if reason is None:
        assert reasons == []
    else:
        (only,) = reasons
        assert reason in only


def test_a_migrated_database_is_ready(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "schema": len(MIGRATIONS),
        "expected_schema": len(MIGRATIONS),
        "reasons": [],
    }
    assert response.headers["cache-control"] == "no-store"


def test_a_database_migrated_by_a_newer_release_is_not_ready(
    settings: Settings, db_path: Path
) -> None:
    with TestClient(create_app(settings)) as client:
        newer = len(MIGRATIONS) + 1
        conn = sqlite3.connect(db_path)
        with conn:
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (newer,))
        conn.close()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["ready"] is False
        assert "upgrade this gateway" in response.json()["reasons"][0]
        assert client.get("/healthz").status_code == 200  # alive, just not ready


def test_an_unreachable_database_is_not_ready(settings: Settings, db_path: Path) -> None:
    with TestClient(create_app(settings)) as client:
        conn = sqlite3.connect(db_path)
        with conn:
            conn.execute("DROP TABLE schema_version")
        conn.close()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["reasons"] == ["database unreachable"]
