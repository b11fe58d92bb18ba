"""Older databases get their visits and rollups; the visit timeout is the site's policy key."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.policy_loader import PolicyError, load_policy_file
from gateway.settings import Settings
from gateway.storage.migrations import MIGRATIONS
from gateway.storage.sqlite import SQLiteStore
from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, PEER_IP, SECRET, grant, write_site


def test_a_database_from_before_reports_is_counted_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1)")
    for n, minute in enumerate((0, 10, 50)):  # 10:00, 10:10 one visit; 10:50 the next
        conn.execute(
            "INSERT INTO hits (ts, site, idsite, mode, kind, visitor_id, url) "
            "VALUES (?, 'demo', 1, 'consented', 'pageview', 'aaaaaaaaaaaaaaaa', ?)",
            (f"2026-03-01T10:{minute:02d}:00.000000Z", f"https://example.fi/{n}"),
        )
    conn.execute(
        "INSERT INTO consents (site, site_seq, consent_id, ts, action, policy_version, "
        "policy_hash, granted, denied, lang, pii_digest, prev_hash, hash) VALUES ('demo', 1, "
        "'c1', '2026-03-01T09:00:00.000000Z', 'custom', 'v1', 'h', '[\"analytics\"]', "
        "'[\"marketing\"]', 'fi', 'd', 'p', 'x')"
    )
    conn.commit()
    conn.close()

    async def open_and_read() -> tuple[int, int, int]:
        store = SQLiteStore(path)
        await store.open()
        totals = await store.read_reports(
            lambda s: s.totals("demo", "2026-03-01", "2026-03-01", ())
        )
        visitors = await store.read_reports(
            lambda s: s.returning_visitors("demo", "2026-03-01", "2026-03-01", ())
        )
        await store.close()
        return totals.visits, totals.pageviews, visitors

    assert asyncio.run(open_and_read()) == (2, 3, 1)
    check = sqlite3.connect(path)
    assert check.execute("SELECT COUNT(*) FROM hits WHERE visit_id IS NULL").fetchone()[0] == 0
    assert check.execute("SELECT action, n FROM consent_days").fetchall() == [("custom", 1)]
    check.close()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("visit_timeout_minutes = 0", "privacy.visit_timeout_minutes: must be from 1 to 1440"),
        ("visit_timeout_minutes = 1441", "privacy.visit_timeout_minutes: must be from 1 to 1440"),
        ('visit_timeout_minutes = "30"', "privacy.visit_timeout_minutes"),
    ],
)
def test_visit_timeout_is_validated(tmp_path: Path, line: str, message: str) -> None:
    path = write_site(tmp_path, "demo", 1, **{"[privacy]\n": f"[privacy]\n{line}\n"})
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    assert message in str(caught.value)


def test_a_shorter_visit_timeout_cuts_visits_sooner(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    write_site(policies, "demo", 1, **{"[privacy]\n": "[privacy]\nvisit_timeout_minutes = 10\n"})
    assert load_policy_file(policies / "demo.toml").visit_timeout_minutes == 10
    settings = Settings(
        policies_dir=policies,
        db_url=f"sqlite:///{tmp_path / 'g.db'}",
        secret_keys=(SECRET,),
        admin_token=ADMIN,
    )
    with TestClient(create_app(settings), base_url=ORIGIN, client=(PEER_IP, 50000)) as client:
        token = grant(client, ["analytics"])["token"]
        for when in ("2026-03-01 10:00:00", "2026-03-01 10:09:59", "2026-03-01 10:20:00"):
            response = client.get(
                "/matomo.php",
                params={
                    "idsite": 1,
                    "rec": 1,
                    "url": "https://example.fi/",
                    "_id": "a" * 16,
                    "gw_consent": token,
                    "cdt": when,
                    "token_auth": ADMIN,
                },
                headers={"User-Agent": BROWSER_UA},
            )
            assert response.status_code == 200
        summary = client.get(
            "/api/sites/demo/stats/summary",
            params={"from": "2026-03-01", "to": "2026-03-01"},
            headers={"Authorization": f"Bearer {ADMIN}"},
        ).json()
    assert (summary["visits"], summary["visitors"], summary["returning_visitors"]) == (2, 1, 1)
