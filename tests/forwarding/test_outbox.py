"""The outbox: written with its hits in one transaction, claimed in order per visitor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.forwarding.outbox import OutboxEntry
from gateway.settings import Settings
from gateway.storage import open_store
from gateway.storage.base import AddHits, Store
from gateway.tracking.record import HitRecord
from tests.conftest import BROWSER_UA, ORIGIN, PEER_IP, db_url, grant, rows, write_site
from tests.pg_server import PgDatabase


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def hit_params(token: str, visitor: str = "0123456789abcdef", **extra: Any) -> dict[str, Any]:
    return {
        "idsite": 1,
        "rec": 1,
        "url": f"{ORIGIN}/p",
        "_id": visitor,
        "gw_consent": token,
        **extra,
    }


@pytest.fixture
def queued_client(settings: Settings) -> Iterator[TestClient]:
    """Forwarding configured without a token: hits are queued, nothing is sent. Hits without
    consent are counted anonymously."""
    write_site(
        settings.policies_dir,
        "demo",
        1,
        **{'without_consent = "drop"': 'without_consent = "anonymous"'},
    )
    app = create_app(replace(settings, upstream_url="http://127.0.0.1:9/matomo.php"))
    with TestClient(app, base_url=ORIGIN, client=(PEER_IP, 50000)) as client:
        yield client


def test_a_hit_answered_2xx_has_its_outbox_row(queued_client: TestClient, db_path: Path) -> None:
    token = grant(queued_client, ["analytics"])["token"]
    response = queued_client.get(
        "/matomo.php",
        params=hit_params(token, send_image=0, cip="198.51.100.7"),
        headers={"User-Agent": BROWSER_UA, "Accept-Language": "fi"},
    )
    assert response.status_code == 400  # cip without token_auth, as Matomo answers
    response = queued_client.get(
        "/matomo.php",
        params=hit_params(token, send_image=0),
        headers={"User-Agent": BROWSER_UA, "Accept-Language": "fi"},
    )
    assert response.status_code == 204
    (stored,) = rows(db_path, "SELECT ip FROM hits")
    (queued,) = rows(db_path, "SELECT * FROM outbox")
    assert (queued["site"], queued["visitor"], queued["attempts"]) == (
        "demo",
        "0123456789abcdef",
        0,
    )
    assert f"cip={stored['ip']}" in queued["params"]
    assert PEER_IP not in queued["params"]
    health = queued_client.get("/healthz").json()
    assert health["forwarding"]["backlog"] == 1
    assert "GATEWAY_UPSTREAM_TOKEN" in health["forwarding"]["last_error"]


def test_bulk_hits_and_their_rows_commit_together(queued_client: TestClient, db_path: Path) -> None:
    token = grant(queued_client, ["analytics"])["token"]
    requests = [f"?idsite=1&rec=1&_id={n:016x}&url=/p{n}&gw_consent={token}" for n in range(5)]
    response = queued_client.post("/matomo.php", json={"requests": requests})
    assert response.json() == {"status": "success", "tracked": 5, "invalid": 0}
    hits = rows(db_path, "SELECT visitor_id FROM hits ORDER BY id")
    queued = rows(db_path, "SELECT visitor FROM outbox ORDER BY id")
    assert [h["visitor_id"] for h in hits] == [q["visitor"] for q in queued]


def test_a_visitors_own_erasure_drops_what_is_still_queued(
    queued_client: TestClient, db_path: Path
) -> None:
    """Erased data must not reach Matomo later: with or without a visitor id."""
    mine = grant(queued_client, ["analytics"])["token"]
    other = grant(queued_client, ["analytics"])["token"]
    ua = {"User-Agent": BROWSER_UA}
    queued_client.get("/matomo.php", params=hit_params(mine, visitor="a" * 16), headers=ua)
    lone = {**hit_params(mine), "url": f"{ORIGIN}/lone"}
    del lone["_id"]
    queued_client.get("/matomo.php", params=lone, headers=ua)
    queued_client.get("/matomo.php", params=hit_params(other, visitor="b" * 16), headers=ua)
    assert len(rows(db_path, "SELECT * FROM outbox")) == 3
    erased = queued_client.delete(
        "/privacy/demo/my-data", headers={"Authorization": f"Bearer {mine}"}
    )
    assert erased.status_code == 200, erased.text
    assert [r["visitor"] for r in rows(db_path, "SELECT visitor FROM outbox")] == ["b" * 16]


def test_anonymous_hits_are_not_queued(queued_client: TestClient, db_path: Path) -> None:
    response = queued_client.get("/matomo.php", params={"idsite": 1, "rec": 1, "url": "/p"})
    assert response.status_code == 200
    assert [r["mode"] for r in rows(db_path, "SELECT mode FROM hits")] == ["anonymous"]
    assert rows(db_path, "SELECT * FROM outbox") == []


def test_without_an_upstream_nothing_is_queued(client: TestClient, db_path: Path) -> None:
    token = grant(client, ["analytics"])["token"]
    assert client.get("/matomo.php", params=hit_params(token)).status_code == 200
    assert len(rows(db_path, "SELECT * FROM hits")) == 1
    assert rows(db_path, "SELECT * FROM outbox") == []
    assert "forwarding" not in client.get("/healthz").json()
    assert "gateway_forward_backlog" not in client.get("/metrics").text


def record(n: int, visitor: str | None) -> tuple[HitRecord, OutboxEntry]:
    ts = f"2026-01-01T00:00:{n:02d}.000000Z"
    hit = HitRecord(ts=ts, site="demo", idsite=1, mode="consented", kind="pageview")
    return hit, OutboxEntry("demo", visitor, ts, f"idsite=1&rec=1&n={n}")


@pytest.mark.anyio
async def test_claims_keep_each_visitors_order(db_path: Path | PgDatabase) -> None:
    store = open_store(db_url(db_path))
    await store.open()
    try:
        made = [record(1, "a"), record(2, "b"), record(3, "a"), record(4, None), record(5, "b")]
        await store.write_batch([AddHits(tuple(h for h, _ in made), tuple(e for _, e in made))])
        first = await store.outbox_claim(2, now=100.0, lease_until=130.0)
        assert [r.query[-3:] for r in first] == ["n=1", "n=2"]
        # a's first row and b's first row are leased: their later rows wait; n=4 has no visitor
        second = await store.outbox_claim(10, now=101.0, lease_until=131.0)
        assert [r.query[-3:] for r in second] == ["n=4"]
        await store.outbox_retry([first[0].id], when=200.0, error="HTTP 503")
        await store.outbox_delivered([first[1].id])
        third = await store.outbox_claim(10, now=120.0, lease_until=400.0)
        assert [r.query[-3:] for r in third] == ["n=5"]  # a still waits for its retry
        await store.outbox_park([first[0].id], "HTTP 400 (request refused)")
        fourth = await store.outbox_claim(10, now=190.0, lease_until=220.0)
        # a parked row does not block; n=4's lease ran out, so it is due again
        assert [r.query[-3:] for r in fourth] == ["n=3", "n=4"]
        backlog = await store.outbox_backlog()
        assert (backlog.pending, backlog.parked) == (3, 1)
        assert backlog.oldest_age > 0
        await store.forget_visitor("demo", "a")
        assert (await store.outbox_backlog()).pending == 2
    finally:
        await store.close()


async def queue(store: Store, *visitors: str | None) -> list[int]:
    made = [record(n, v) for n, v in enumerate(visitors, start=1)]
    await store.write_batch([AddHits(tuple(h for h, _ in made), tuple(e for _, e in made))])
    return [r.id for r in await store.outbox_claim(len(made), now=100.0, lease_until=130.0)]


@pytest.mark.anyio
async def test_parked_rows_are_listed_released_and_dropped(db_path: Path | PgDatabase) -> None:
    store = open_store(db_url(db_path))
    await store.open()
    try:
        first, second, third, fourth = await queue(store, "a", "b", "c", "d")
        await store.outbox_park([first, second, third], "HTTP 400 (request refused)")
        await store.outbox_retry([fourth], when=500.0, error="HTTP 503")
        parked = await store.outbox_parked(2)
        assert [(p.id, p.site, p.attempts, p.last_error) for p in parked] == [
            (first, "demo", 1, "HTTP 400 (request refused)"),
            (second, "demo", 1, "HTTP 400 (request refused)"),
        ]
        assert parked[0].created == "2026-01-01T00:00:01.000000Z"
        # only parked rows are touched: the pending one keeps its retry time
        assert await store.outbox_release([first, fourth, 999]) == 1
        assert await store.outbox_drop([second, fourth]) == 1
        assert await store.outbox_release([first]) == 0  # already released
        due = await store.outbox_claim(10, now=101.0, lease_until=131.0)
        assert [(r.id, r.attempts) for r in due] == [(first, 1)]  # due now, attempts kept
        assert [p.id for p in await store.outbox_parked(10)] == [third]
        backlog = await store.outbox_backlog()
        assert (backlog.pending, backlog.parked) == (2, 1)
        await store.outbox_park([first], "HTTP 400 (request refused)")
        assert await store.outbox_release(None) == 2  # all of them
        assert await store.outbox_parked(10) == []
        await store.outbox_park([first, third], "HTTP 400 (request refused)")
        assert await store.outbox_drop(None) == 2
        assert (await store.outbox_backlog()).parked == 0
        remaining = await store.outbox_claim(10, now=1000.0, lease_until=1030.0)
        assert [r.id for r in remaining] == [fourth]  # only the row that was never parked
    finally:
        await store.close()
