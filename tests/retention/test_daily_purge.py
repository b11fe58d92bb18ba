"""The purge inside ``gateway serve``: it runs by itself, removes old rows, and a failing run
neither stops the server nor the next run."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings, SettingsError
from gateway.storage.base import AddHits
from gateway.storage.sqlite import SQLiteStore
from gateway.timefmt import iso
from gateway.tracking.record import HitRecord
from tests.conftest import ORIGIN, PEER_IP, rows

HOURS = 0.5 / 3600  # every half second


def _hit(when: datetime, visitor: str) -> HitRecord:
    return HitRecord(
        ts=iso(when),
        site="demo",
        idsite=1,
        mode="consented",
        kind="pageview",
        visitor_id=visitor,
        url="https://example.fi/",
    )


async def _store_hits(path: Path) -> None:
    now = datetime.now(UTC)
    store = SQLiteStore(path)
    await store.open()
    try:
        hits = (
            _hit(now - timedelta(days=500), "a" * 16),  # older than the default 395 days
            _hit(now - timedelta(days=400), "b" * 16),
            _hit(now - timedelta(days=3), "a" * 16),
        )
        await store.write_batch([AddHits(hits)])
    finally:
        await store.close()


def _wait_for(check: object, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.sqlite_only  # works on the SQLite file itself
def test_serve_purges_by_itself_and_survives_a_failed_run(
    settings: Settings, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    asyncio.run(_store_hits(db_path))
    # a broken database part makes the first runs fail
    conn = sqlite3.connect(db_path)
    conn.execute("ALTER TABLE consent_anchors RENAME TO consent_anchors_away")
    conn.close()
    caplog.set_level(logging.INFO, logger="gateway.retention")
    fast = Settings(**{**settings.__dict__, "purge_interval_hours": HOURS})
    with TestClient(create_app(fast), base_url=ORIGIN, client=(PEER_IP, 50000)) as client:
        _wait_for(lambda: "purge failed: OperationalError" in caplog.text)
        # the other kinds still ran
        assert "demo                     hits     removed 2 hits, 2 visits" in caplog.text
        assert len(rows(db_path, "SELECT * FROM hits")) == 1
        assert client.get("/healthz").status_code == 200
        conn = sqlite3.connect(db_path)
        conn.execute("ALTER TABLE consent_anchors_away RENAME TO consent_anchors")
        conn.close()
        caplog.clear()
        _wait_for(lambda: "retention: purge done, 0 rows removed\n" in caplog.text)
        assert client.get("/healthz").status_code == 200
    assert [r["visitor_id"] for r in rows(db_path, "SELECT visitor_id FROM hits")] == ["a" * 16]


@pytest.mark.sqlite_only  # works on the SQLite file itself
def test_an_interval_of_zero_never_purges(settings: Settings, db_path: Path) -> None:
    asyncio.run(_store_hits(db_path))
    off = Settings(**{**settings.__dict__, "purge_interval_hours": 0.0})
    with TestClient(create_app(off), base_url=ORIGIN, client=(PEER_IP, 50000)) as client:
        assert client.get("/healthz").status_code == 200
        time.sleep(1)
    assert len(rows(db_path, "SELECT * FROM hits")) == 3


ENV = {"GATEWAY_SECRET_KEYS": "k" * 32, "GATEWAY_ADMIN_TOKEN": "admin-token-0123456789"}


@pytest.mark.parametrize(
    ("value", "hours"),
    [("", 24.0), ("24", 24.0), ("0", 0.0), ("0.25", 0.25), (" 168 ", 168.0), ("8760", 8760.0)],
)
def test_the_purge_interval_comes_from_the_environment(value: str, hours: float) -> None:
    built = Settings.build({**ENV, "GATEWAY_PURGE_INTERVAL_HOURS": value}, create_secrets=False)
    assert built.purge_interval_hours == hours


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("-1", "outside 0..8760"), ("9000", "outside 0..8760"), ("nan", "outside"), ("x", "hours")],
)
def test_a_bad_purge_interval_is_refused_by_name(value: str, fragment: str) -> None:
    with pytest.raises(SettingsError, match="GATEWAY_PURGE_INTERVAL_HOURS") as caught:
        Settings.build({**ENV, "GATEWAY_PURGE_INTERVAL_HOURS": value}, create_secrets=False)
    assert fragment in str(caught.value)
