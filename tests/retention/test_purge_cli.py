"""``gateway purge`` end to end: a database built by the app, the command as a process.

Hits reach the database through ``/matomo.php`` (with ``cdt`` custom times and the admin
``token_auth``), consent records through the store's own ledger sealing, audit entries as
rows. The policy keeps hits 5 days, consent records 30 days and audit entries 10 days.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.consent.ledger import ConsentDraft
from gateway.settings import Settings
from gateway.storage.base import AppendConsent
from gateway.storage.sqlite import SQLiteStore
from gateway.timefmt import iso
from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, PEER_IP, SECRET, grant, rows, write_site

TODAY = datetime.now(UTC).date()
HITS_DAYS, CONSENTS_DAYS, AUDIT_DAYS = 5, 30, 10
RETENTION = f"[retention]\nhits_days = {HITS_DAYS}\nconsents_days = {CONSENTS_DAYS}\n"
RETENTION += f"audit_days = {AUDIT_DAYS}\n"


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def at(offset: int, hour: int = 12) -> datetime:
    return datetime.combine(day(offset), datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


@pytest.fixture
def policies_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "policies"
    directory.mkdir()
    retention = "[retention]\nhits_days = 395\nconsents_days = 1095\naudit_days = 365\n"
    write_site(
        directory, "demo", 1, **{retention: RETENTION, "consent_days = 180": "consent_days = 1"}
    )
    write_site(directory, "other", 7)
    return directory


def _hit(client: TestClient, token: str, visitor: str, when: datetime, page: str) -> None:
    params: dict[str, Any] = {
        "idsite": 1,
        "rec": 1,
        "_id": visitor,
        "gw_consent": token,
        "cdt": when.strftime("%Y-%m-%d %H:%M:%S"),
        "token_auth": ADMIN,
        "send_image": 0,
        "url": f"{ORIGIN}/{page}",
        "action_name": page,
    }
    response = client.get("/matomo.php", params=params, headers={"User-Agent": BROWSER_UA})
    assert response.status_code == 204, response.text


def _summary(client: TestClient, first: date, last: date) -> dict[str, Any]:
    response = client.get(
        f"/api/sites/demo/stats/summary?from={first}&to={last}",
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _pages(client: TestClient, first: date, last: date) -> list[dict[str, Any]]:
    response = client.get(
        f"/api/sites/demo/stats/pages?from={first}&to={last}",
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["rows"]
    return found


async def _old_consents(db: Path, days: list[int]) -> None:
    """Consent records stored ``days`` ago, sealed into the chain exactly as the app does."""
    store = SQLiteStore(db)
    await store.open()
    try:
        for n, offset in enumerate(days):
            draft = ConsentDraft(
                consent_id=f"old-{n}",
                site="demo",
                ts=iso(at(offset)),
                action="accept_all",
                policy_version="2026-01-01",
                policy_hash="0" * 64,
                granted=("analytics", "necessary"),
                denied=(),
                lang="fi",
                supersedes=None,
                expires_at=iso(at(offset + 1)),
                ip="203.0.0.0",
                ua_family="Chrome",
            )
            await store.write_batch([AppendConsent(draft)])
    finally:
        await store.close()


def _gateway(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_SECRET_KEYS": SECRET, "GATEWAY_ADMIN_TOKEN": ADMIN}
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture
def built(settings: Settings, policies_dir: Path, db_path: Path) -> dict[str, Any]:
    """The database: visitor a on days -9 and -2, b on -8, c on -1; old and new consents;
    audit entries every few days. Returns what the reports said before any purge."""
    asyncio.run(_old_consents(db_path, [-60, -45, -20]))  # the chain's oldest records
    with TestClient(create_app(settings), base_url=ORIGIN, client=(PEER_IP, 50000)) as client:
        token = grant(client, ["analytics"])["token"]
        for visitor, offset, page in (
            ("a" * 16, -9, "one"),
            ("a" * 16, -2, "two"),
            ("b" * 16, -8, "one"),
            ("c" * 16, -1, "three"),
        ):
            _hit(client, token, visitor, at(offset), page)
            _hit(client, token, visitor, at(offset) + timedelta(minutes=3), page + "/more")
        before = {
            "old": _summary(client, day(-12), day(-6)),
            "old_pages": _pages(client, day(-12), day(-6)),
        }
    conn = sqlite3.connect(db_path)
    with conn:
        conn.executemany(
            "INSERT INTO audit_log (ts, site, actor, action, target, status) "
            "VALUES (?, ?, 'archive', 'hits.export', NULL, 200)",
            [(iso(at(offset)), site) for offset in (-30, -11, -3) for site in ("demo", None)],
        )
    conn.close()
    return before


def _args(policies_dir: Path, db_path: Path, *more: str) -> list[str]:
    return ["purge", "--policies", str(policies_dir), "--db", f"sqlite:///{db_path}", *more]


@pytest.mark.sqlite_only  # works on the SQLite file itself
def test_purge_removes_exactly_what_is_older_and_says_so(
    built: dict[str, Any], settings: Settings, policies_dir: Path, db_path: Path
) -> None:
    hits_before = rows(db_path, "SELECT ts FROM hits WHERE site = 'demo' ORDER BY ts")
    assert len(hits_before) == 8 + 0  # page views of a, b and c (two each per visit)

    dry = _gateway(*_args(policies_dir, db_path, "--dry-run"))
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    cut_hits = day(-HITS_DAYS)
    assert lines[0].split() == [
        "demo", "hits", "would", "remove", "4", "hits,", "2", "visits",
        "stored", "before", str(cut_hits), f"({HITS_DAYS}", "days)",
    ]  # fmt: skip
    assert "would remove 2 records" in lines[1] and lines[1].startswith("demo ")
    assert "would remove 2 entries" in lines[2] and lines[2].startswith("demo ")
    assert [line.split()[:2] for line in lines] == [
        ["demo", "hits"],
        ["demo", "consents"],
        ["demo", "audit"],
        ["other", "hits"],
        ["other", "consents"],
        ["other", "audit"],
        ["(no", "site)"],
    ]
    assert "would remove 0 entries" in lines[6] and "(365 days)" in lines[6]  # the longest
    assert rows(db_path, "SELECT ts FROM hits WHERE site = 'demo' ORDER BY ts") == hits_before
    assert len(rows(db_path, "SELECT * FROM consents")) == 4  # the dry run removed nothing

    done = _gateway(*_args(policies_dir, db_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(
        "demo                     hits     removed 4 hits, 2 visits"
    )
    assert "removed 2 records" in done.stdout.splitlines()[1]

    kept = [r["ts"] for r in rows(db_path, "SELECT ts FROM hits WHERE site = 'demo' ORDER BY ts")]
    assert kept == [r["ts"] for r in hits_before if r["ts"] >= f"{cut_hits}T"]
    assert len(kept) == 4
    assert not rows(db_path, "SELECT 1 FROM visits WHERE day < ?", str(cut_hits))
    consents = rows(db_path, "SELECT consent_id FROM consents ORDER BY site_seq")
    assert [r["consent_id"] for r in consents][0] == "old-2"  # -20 days: inside 30 days
    audit = rows(
        db_path, "SELECT ts, site FROM audit_log WHERE actor = 'archive' ORDER BY site, ts"
    )
    assert [(r["ts"][:10], r["site"]) for r in audit] == [
        (str(day(-30)), None),  # no site: 365 days
        (str(day(-11)), None),
        (str(day(-3)), None),
        (str(day(-3)), "demo"),
    ]

    verified = _gateway("verify-consents", "demo", "--db", f"sqlite:///{db_path}")
    assert verified.returncode == 0, verified.stdout
    assert verified.stdout.startswith("ok: 2 consent records for site demo verify from record 2")

    with TestClient(create_app(settings), base_url=ORIGIN, client=(PEER_IP, 50000)) as client:
        assert _summary(client, day(-12), day(-6)) == built["old"]
        assert _pages(client, day(-12), day(-6)) == built["old_pages"]
        exported = client.get("/api/sites/demo/hits", headers={"Authorization": f"Bearer {ADMIN}"})
        assert [json.loads(line)["ts"] for line in exported.text.splitlines()] == kept
        # the chain grows from what is left: a new choice links to the newest kept record
        grant(client, ["analytics"])
    again = _gateway("verify-consents", "demo", "--db", f"sqlite:///{db_path}")
    assert again.returncode == 0 and again.stdout.startswith("ok: 3 consent records"), again.stdout

    second = _gateway(*_args(policies_dir, db_path))
    assert "removed 0 hits, 0 visits" in second.stdout.splitlines()[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--db", "mysql://x"], "GATEWAY_DB / --db: 'mysql://x' is not a database URL"),
        (["--db", "sqlite:///{tmp}/missing/gw.db"], "no database at"),
        (["--policies", "{tmp}/nowhere"], "the policy files have problems"),
    ],
)
def test_purge_refuses_bad_settings_clearly(
    tmp_path: Path, policies_dir: Path, args: list[str], message: str
) -> None:
    full = ["purge", "--policies", str(policies_dir), "--db", f"sqlite:///{tmp_path}/x.db"]
    for flag, value in zip(args[::2], args[1::2], strict=True):
        full[full.index(flag) + 1] = value.format(tmp=tmp_path)
    result = _gateway(*full)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
