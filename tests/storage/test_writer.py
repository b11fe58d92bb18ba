"""Group commit: concurrent writes share transactions, and every await returns after commit."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from gateway.consent.ledger import ConsentDraft, verify_chain
from gateway.storage.base import WriteOp, WriteResult
from gateway.storage.sqlite import SQLiteStore
from gateway.storage.writer import GroupCommitWriter, WriterClosed
from gateway.tracking.record import HitRecord

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def hit(n: int) -> HitRecord:
    return HitRecord(
        ts=f"2026-11-22T00:00:{n % 60:02d}.000000Z",
        site="demo",
        idsite=1,
        mode="consented",
        kind="pageview",
        url=f"https://example.fi/{n}",
    )


def draft(n: int, site: str = "demo") -> ConsentDraft:
    return ConsentDraft(
        consent_id=f"c-{site}-{n}",
        site=site,
        ts="2026-11-22T00:00:00.000000Z",
        action="accept_all",
        policy_version="v1",
        policy_hash="0" * 64,
        granted=("analytics", "necessary"),
        denied=(),
        lang="fi",
        supersedes=None,
        expires_at=None,
        ip="203.0.0.0",
        ua_family="Chrome",
    )


def count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


async def test_concurrent_writes_are_committed_in_few_transactions(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    store = SQLiteStore(path)
    await store.open()
    writer = GroupCommitWriter(store, max_batch=512)
    await writer.start()

    async def one(n: int) -> None:
        await writer.add_hits([hit(n)])
        # Committed before the await returned: visible to a separate connection right now.
        assert count(path, "hits") >= 1

    await asyncio.gather(
        *(one(n) for n in range(300)), *(writer.append_consent(draft(n)) for n in range(50))
    )
    await writer.stop()
    assert count(path, "hits") == 300
    assert count(path, "consents") == 50
    assert writer.operations == 350
    assert writer.batches < 350 / 5  # many operations per transaction
    records = await store.consent_records("demo")
    assert verify_chain(records) is None  # chained in commit order
    await store.close()


async def test_one_bad_operation_does_not_fail_its_batch(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "w.db")
    await store.open()
    writer = GroupCommitWriter(store)
    await writer.start()
    good = [writer.append_consent(draft(n)) for n in range(5)]
    duplicate = writer.append_consent(draft(2))  # consent_id is unique
    results = await asyncio.gather(*good, duplicate, return_exceptions=True)
    assert [isinstance(r, Exception) for r in results] == [False] * 5 + [True]
    await writer.stop()
    assert count(tmp_path / "w.db", "consents") == 5
    assert verify_chain(await store.consent_records("demo")) is None
    await store.close()


async def test_stop_commits_what_is_queued_and_then_refuses(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "w.db")
    await store.open()
    writer = GroupCommitWriter(store)
    await writer.start()
    pending = [asyncio.ensure_future(writer.add_hits([hit(n)])) for n in range(20)]
    await asyncio.sleep(0)
    await writer.stop()
    assert all(p.done() and p.result() == 1 for p in pending)
    with pytest.raises(WriterClosed):
        await writer.add_hits([hit(1)])
    assert count(tmp_path / "w.db", "hits") == 20
    await store.close()


async def test_chains_are_per_site_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    for _ in range(2):
        store = SQLiteStore(path)
        await store.open()
        writer = GroupCommitWriter(store)
        await writer.start()
        for n in range(3):
            suffix = count(path, "consents") if path.exists() else 0
            await writer.append_consent(replace(draft(n), consent_id=f"a-{suffix}-{n}"))
            await writer.append_consent(replace(draft(n, "other"), consent_id=f"b-{suffix}-{n}"))
        await writer.stop()
        await store.close()
    store = SQLiteStore(path)
    await store.open()
    for site in ("demo", "other"):
        records = await store.consent_records(site)
        assert [r.site_seq for r in records] == list(range(1, 7))
        assert verify_chain(records) is None
    await store.close()


class FlakyStore(SQLiteStore):
    fail_next = True

    async def write_batch(self, ops: list[WriteOp]) -> list[WriteResult]:  # type: ignore[override]
        if self.fail_next and len(ops) > 1:
            self.fail_next = False
            raise sqlite3.OperationalError("disk I/O error")
        return await super().write_batch(ops)


async def test_a_failed_batch_is_retried_one_by_one(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "w.db")
    await store.open()
    writer = GroupCommitWriter(store)
    await writer.start()
    await asyncio.gather(*(writer.add_hits([hit(n)]) for n in range(10)))
    await writer.stop()
    assert count(tmp_path / "w.db", "hits") == 10
    await store.close()
