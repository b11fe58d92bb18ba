"""``kill -9`` in the middle of a load: every 2xx the gateway gave is in the database.

A 2xx is sent only after the write committed (group commit), and SQLite's WAL makes a commit
survive the process; so whatever was acknowledged before the kill must be found after a
restart on the same file, and the consent hash chain must still verify.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.faults.kit import (
    GatewayProcess,
    Load,
    client_for,
    stored_consent_ids,
    stored_urls,
    tokens_for,
    verify_consents,
)


async def load_then_kill(gateway: GatewayProcess, load: Load) -> None:
    """About 600 requests a second for 2 s (up to 200 at a time); SIGKILL once 300 were
    acknowledged, so the kill lands with work acknowledged, queued and in flight."""
    async with client_for(gateway.base) as client:
        tokens = await tokens_for(load, client, 20)
        driving = asyncio.create_task(load.run(client, tokens, requests=1200, seconds=2.0))
        await load.until_acknowledged(320)  # the 20 grants above, and 300 of the load
        gateway.signal(signal.SIGKILL)
        await driving


def test_everything_acknowledged_before_kill_9_is_stored_after_restart(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "gateway.db"
    gateway = GatewayProcess(tmp_path, db_path)
    gateway.start()
    load = Load(gateway.base, tag="kill9")
    try:
        asyncio.run(load_then_kill(gateway, load))
        assert gateway.wait(timeout=10) == -signal.SIGKILL
    finally:
        gateway.stop()

    hits = load.acknowledged("hit")
    consents = load.acknowledged("consent")
    unanswered = [a for a in load.answers if a.status is None]
    assert len(hits) + len(consents) >= 320  # the kill came in the middle of real work
    assert unanswered  # ... and cut requests off
    assert load.statuses() <= {200, 201, 204, None}

    restarted = GatewayProcess(tmp_path, db_path)
    restarted.start()  # the same file: recovery from the WAL, migrations, visit upkeep
    try:
        assert hits <= stored_urls(db_path, "kill9")
        assert consents <= stored_consent_ids(db_path)
        assert verify_consents(db_path).startswith("ok: ")
        # ... and the restarted gateway takes new work on the same chain
        after = Load(restarted.base, tag="after")
        asyncio.run(a_few_more(after))
        assert after.acknowledged("hit") == stored_urls(db_path, "after") != set()
    finally:
        restarted.stop()
    assert verify_consents(db_path).startswith("ok: ")


async def a_few_more(load: Load) -> None:
    async with client_for(load.base) as client:
        tokens = await tokens_for(load, client, 2)
        await asyncio.gather(*(load.hit(client, n, tokens[n % 2]) for n in range(20)))
