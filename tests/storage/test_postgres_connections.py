"""What a PostgreSQL operator plans for: connections per process, and surviving their loss."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from gateway.consent.ledger import ConsentDraft
from gateway.reports.source import ReportSource
from gateway.storage.base import AppendConsent
from gateway.storage.postgres import PostgresStore
from gateway.storage.sql_store import READ_POOL
from tests.pg_server import PgDatabase

pytestmark = pytest.mark.sqlite_only  # PostgreSQL only, on a database of its own


def gateway_connections(db: PgDatabase) -> int:
    found = db.rows(
        "SELECT COUNT(*) AS n FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = 'gateway'"
    )
    return int(found[0]["n"])


def draft(n: int) -> ConsentDraft:
    return ConsentDraft(
        consent_id=f"c{n}",
        site="demo",
        ts=datetime.now(UTC).isoformat(),
        action="accept_all",
        policy_version="2026-01-01",
        policy_hash="h",
        granted=("analytics",),
        denied=(),
        lang="fi",
        supersedes=None,
        expires_at=None,
        ip=None,
        ua_family=None,
    )


def test_a_process_holds_at_most_one_writer_and_the_read_pool(pg_database: PgDatabase) -> None:
    async def run() -> int:
        store = PostgresStore(pg_database.url)
        await store.open()
        try:

            def slow(source: ReportSource) -> int:
                time.sleep(0.2)
                return 1

            await asyncio.gather(*(store.read_reports(slow) for _ in range(20)))
            await asyncio.gather(*(store.consent_records("demo") for _ in range(20)))
            return await asyncio.to_thread(gateway_connections, pg_database)
        finally:
            await store.close()

    assert asyncio.run(run()) <= 1 + READ_POOL
    assert gateway_connections(pg_database) == 0  # close() closes them all


def test_connections_the_server_drops_are_opened_again(pg_database: PgDatabase) -> None:
    async def run() -> list[int]:
        store = PostgresStore(pg_database.url)
        await store.open()
        try:
            await store.write_batch([AppendConsent(draft(1))])
            assert len(await store.consent_records("demo")) == 1
            await asyncio.to_thread(
                pg_database.execute,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'gateway'",
            )
            seqs = []
            for n in (2, 3):
                try:  # the first statement on a dropped connection fails; no more than that
                    (record,) = await store.write_batch([AppendConsent(draft(n))])
                except Exception:
                    (record,) = await store.write_batch([AppendConsent(draft(n))])
                seqs.append(record.site_seq)  # type: ignore[union-attr]
            # every pooled reader meets its dropped connection, and reads again on a new one
            counts = await asyncio.gather(*(store.consent_records("demo") for _ in range(8)))
            return seqs + sorted({len(c) for c in counts})
        finally:
            await store.close()

    assert asyncio.run(run()) == [2, 3, 3]
