"""``gateway copy-db`` moves a SQLite gateway's whole history into PostgreSQL, row for row."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from gateway.storage.copy import TABLES
from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, PEER_IP, SECRET, grant, rows, write_site
from tests.pg_server import PgDatabase

pytestmark = pytest.mark.sqlite_only  # it makes its own SQLite and PostgreSQL databases

ENV = {"GATEWAY_SECRET_KEYS": SECRET, "GATEWAY_ADMIN_TOKEN": ADMIN, "PATH": ""}


def gateway(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )


def app_for(policies: Path, url: str) -> TestClient:
    settings = Settings(policies_dir=policies, db_url=url, secret_keys=(SECRET,), admin_token=ADMIN)
    return TestClient(create_app(settings), base_url=ORIGIN, client=(PEER_IP, 50000))


def summary(client: TestClient) -> dict[str, Any]:
    today = datetime.now(UTC).date().isoformat()
    response = client.get(
        "/api/sites/demo/stats/summary",
        params={"from": today, "to": today},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def table_rows(db: Path | PgDatabase, table: str, order: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in rows(db, f"SELECT * FROM {table} ORDER BY {order}")]


def test_every_table_is_copied_and_the_copy_serves(tmp_path: Path, pg_database: PgDatabase) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    write_site(policies, "demo", 1)
    source = tmp_path / "gw.db"
    with app_for(policies, f"sqlite:///{source}") as client:
        tokens = [grant(client, ["analytics"])["token"] for _ in range(3)]
        for n, token in enumerate(tokens):
            for page in range(3):
                client.get(
                    "/matomo.php",
                    params={
                        "idsite": 1,
                        "rec": 1,
                        "url": f"http://127.0.0.1:8000/p{page}",
                        "action_name": f"P{page}",
                        "_id": f"{n + 1:016x}",
                        "gw_consent": token,
                        "e_c": "Video",
                        "e_a": "play",
                        "e_v": "2.5",
                    },
                    headers={"User-Agent": BROWSER_UA},
                )
        # the newest hit is erased, so SQLite's id high-water mark is above MAX(id)
        erased = client.delete(
            f"/api/sites/demo/visitors/{3:016x}", headers={"Authorization": f"Bearer {ADMIN}"}
        )
        assert erased.status_code == 200, erased.text
        before = summary(client)

    names = {
        r[0]
        for r in sqlite3.connect(source).execute(
            "SELECT name FROM sqlite_master WHERE type='table'"
        )
    }
    assert names - {"schema_version", "sqlite_sequence"} == {t for t, _, _ in TABLES}

    copied = gateway("copy-db", "--from", f"sqlite:///{source}", "--to", pg_database.url)
    assert copied.returncode == 0, copied.stdout + copied.stderr
    assert "hits: 9 rows" not in copied.stdout  # three were erased
    assert "hits: 6 rows" in copied.stdout and copied.stdout.rstrip().endswith(
        "run verify-consents on the new database for each site"
    )
    for table, order, _ in TABLES:
        assert table_rows(pg_database, table, order) == table_rows(source, table, order), table
    verified = gateway("verify-consents", "demo", "--db", pg_database.url)
    assert verified.returncode == 0 and "ok: 3 consent records" in verified.stdout

    with app_for(policies, pg_database.url) as client:
        assert summary(client) == before
        token = grant(client, ["analytics"])["token"]
        client.get(
            "/matomo.php",
            params={"idsite": 1, "rec": 1, "url": "http://127.0.0.1:8000/new", "gw_consent": token},
            headers={"User-Agent": BROWSER_UA},
        )
    high = (
        sqlite3.connect(source)
        .execute("SELECT seq FROM sqlite_sequence WHERE name = 'hits'")
        .fetchone()[0]
    )
    new_id = rows(pg_database, "SELECT id FROM hits WHERE url LIKE ?", "%/new")[0]["id"]
    assert new_id == high + 1  # no id of an erased hit comes back
    site_seqs = [r["site_seq"] for r in rows(pg_database, "SELECT site_seq FROM consents")]
    assert sorted(site_seqs) == [1, 2, 3, 4]

    again = gateway("copy-db", "--from", f"sqlite:///{source}", "--to", pg_database.url)
    assert again.returncode == 2
    assert "the target already holds data (table consents)" in again.stderr


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("postgresql://x@h/db", "postgresql://y@h/db", "--from must be a sqlite:/// URL"),
        ("sqlite:///{tmp}/gw.db", "sqlite:///{tmp}/other.db", "--to must be a postgresql:// URL"),
    ],
)
def test_copy_refuses_what_it_cannot_do(
    tmp_path: Path, source: str, target: str, message: str
) -> None:
    (tmp_path / "gw.db").touch()
    result = gateway(
        "copy-db", "--from", source.format(tmp=tmp_path), "--to", target.format(tmp=tmp_path)
    )
    assert result.returncode == 2
    assert message in result.stderr
