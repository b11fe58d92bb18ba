"""Purging consent records on a real database: the chain still verifies from its anchor, grows
from it, and somebody's current consent is never purged; consent reports keep their numbers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.consent.ledger import ConsentDraft, verify_chain
from gateway.storage.base import AppendConsent
from gateway.storage.sqlite import SQLiteStore

NOW = "2026-06-01T00:00:00.000000Z"
BEFORE = "2026-03-01T00:00:00.000000Z"
LATER = "2027-01-01T00:00:00.000000Z"


def _draft(n: int, ts: str, expires: str | None, supersedes: str | None = None) -> ConsentDraft:
    return ConsentDraft(
        consent_id=f"c{n}",
        site="demo",
        ts=ts,
        action="withdraw" if expires is None else "accept_all",
        policy_version="v1",
        policy_hash="0" * 64,
        granted=("necessary",) if expires is None else ("analytics", "necessary"),
        denied=("analytics",) if expires is None else (),
        lang="fi",
        supersedes=supersedes,
        expires_at=expires,
        ip="192.0.2.0",
        ua_family="Firefox",
    )


async def _scenario(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    try:
        drafts = [
            _draft(1, "2026-01-01T10:00:00.000000Z", "2026-02-01T10:00:00.000000Z"),
            _draft(2, "2026-01-05T10:00:00.000000Z", "2026-07-05T10:00:00.000000Z"),
            _draft(3, "2026-01-06T10:00:00.000000Z", None, supersedes="c2"),  # c2 withdrawn
            _draft(4, "2026-01-20T10:00:00.000000Z", "2026-12-20T10:00:00.000000Z"),  # current
            _draft(5, "2026-02-01T10:00:00.000000Z", "2026-02-20T10:00:00.000000Z"),
            _draft(6, "2026-04-01T10:00:00.000000Z", "2026-10-01T10:00:00.000000Z"),
        ]
        for draft in drafts:
            await store.write_batch([AppendConsent(draft)])
        counts_before = await store.read_reports(
            lambda src: src.consent_counts("demo", "2026-01-01", "2026-12-31")
        )

        dry = await store.purge("consents", "demo", BEFORE, now=NOW, dry_run=True)
        assert dry.counts == {"records": 3}
        assert [r.consent_id for r in await store.consent_records("demo")][0] == "c1"

        first = await store.purge("consents", "demo", BEFORE, now=NOW)
        assert first.counts == {"records": 3}  # c1, c2 (withdrawn) and c3
        assert first.note == "record 4 is still a current consent"
        left = await store.consent_records("demo")
        assert [r.consent_id for r in left] == ["c4", "c5", "c6"]
        anchor = await store.consent_anchor("demo")
        assert anchor is not None and anchor.site_seq == 3
        assert verify_chain(left, anchor) is None
        assert verify_chain(left) is not None  # without the anchor the start is missing

        # once c4 has expired, the prefix runs up to the first record newer than the cutoff
        later = await store.purge("consents", "demo", "2026-03-01T00:00:00.000000Z", now=LATER)
        assert later.counts == {"records": 2}
        left = await store.consent_records("demo")
        assert [r.consent_id for r in left] == ["c6"]
        anchor = await store.consent_anchor("demo")
        assert anchor is not None and verify_chain(left, anchor) is None

        # every record purged: the next one still links to the last purged
        gone = await store.purge("consents", "demo", "2026-05-01T00:00:00.000000Z", now=LATER)
        assert gone.counts == {"records": 1}
        assert await store.consent_records("demo") == []
        anchor = await store.consent_anchor("demo")
        assert anchor is not None and anchor.site_seq == 6
        [record] = await store.write_batch(
            [AppendConsent(_draft(7, "2026-05-02T10:00:00.000000Z", "2026-11-02T10:00:00.000000Z"))]
        )
        assert not isinstance(record, int)
        assert (record.site_seq, record.prev_hash) == (7, anchor.hash)
        assert verify_chain(await store.consent_records("demo"), anchor) is None

        counts_after = await store.read_reports(
            lambda src: src.consent_counts("demo", "2026-01-01", "2026-04-30")
        )
        assert counts_after == [c for c in counts_before if c.day <= "2026-04-30"]
    finally:
        await store.close()


def test_the_chain_is_purged_from_its_start_and_verifies_from_the_anchor(tmp_path: Path) -> None:
    asyncio.run(_scenario(tmp_path / "c.db"))


def test_no_purge_reaches_past_a_tampered_record(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "c.db"

    async def setup() -> None:
        store = SQLiteStore(path)
        await store.open()
        try:
            for n in range(1, 4):
                draft = _draft(n, f"2026-01-0{n}T10:00:00.000000Z", "2026-01-20T10:00:00.000000Z")
                await store.write_batch([AppendConsent(draft)])
        finally:
            await store.close()

    async def purge() -> tuple[dict[str, int], str]:
        store = SQLiteStore(path)
        await store.open()
        try:
            removed = await store.purge("consents", "demo", BEFORE, now=NOW)
            return dict(removed.counts), removed.note
        finally:
            await store.close()

    asyncio.run(setup())
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE consents SET lang = 'en' WHERE consent_id = 'c2'")
    conn.close()
    counts, note = asyncio.run(purge())
    assert counts == {"records": 1}
    assert note.startswith("chain broken at record 2 (c2)")
