"""Forwarding end to end: the app, its outbox and a fake Matomo that goes down and comes back."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import BROWSER_UA, ORIGIN, PEER_IP, grant, rows
from tests.forwarding.conftest import UPSTREAM_TOKEN
from tests.forwarding.fake_matomo import FakeMatomo

HEADERS = {"User-Agent": BROWSER_UA, "Accept-Language": "fi-FI"}
VISITORS = [f"{n:016x}" for n in (1, 2, 3)]


def gateway(settings: Settings, url: str, token: str = UPSTREAM_TOKEN) -> TestClient:
    """The app forwarding to ``url``, with short timings so a test sees many retries."""
    app = create_app(replace(settings, upstream_url=url, upstream_token=token))
    rt = app.state.runtime
    rt.forwarding = replace(
        rt.forwarding,
        timeout=0.5,
        backoff_base=0.05,
        backoff_max=0.3,
        poll_interval=0.05,
        lease_seconds=3.0,
        shutdown_grace=2.0,
    )
    return TestClient(app, base_url=ORIGIN, client=(PEER_IP, 50000))


def wait_for(condition: Callable[[], Any], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def send_hits(client: TestClient, token: str, pages: int) -> list[str]:
    """``pages`` page views per visitor, alternating single and bulk requests; their URLs."""
    urls: list[str] = []
    for page in range(pages):
        batch = []
        for visitor in VISITORS:
            url = f"{ORIGIN}/{visitor}/{page}"
            urls.append(url)
            params = {"idsite": "1", "rec": "1", "url": url, "_id": visitor, "gw_consent": token}
            batch.append(params)
        if page % 2:
            requests = ["?" + "&".join(f"{k}={v}" for k, v in p.items()) for p in batch]
            answer = client.post("/matomo.php", json={"requests": requests}, headers=HEADERS)
            assert answer.json()["tracked"] == len(VISITORS)
        else:
            for params in batch:
                assert client.get("/matomo.php", params=params, headers=HEADERS).status_code == 200
    return urls


def metric(client: TestClient, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no metric {name}")


def outbox(db_path: Path) -> int:
    return len(rows(db_path, "SELECT id FROM outbox"))


def test_down_then_back_delivers_every_hit_once_in_order_without_raw_ips(
    settings: Settings,
    matomo: FakeMatomo,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    matomo.stop()  # Matomo is down: connections are refused
    with gateway(settings, matomo.url) as client:
        token = grant(client, ["analytics"])["token"]
        urls = send_hits(client, token, pages=4)
        wait_for(lambda: metric(client, 'gateway_forwarded_total{outcome="failed"}') >= 2)
        assert metric(client, "gateway_forward_backlog") == len(urls)
        assert metric(client, "gateway_forward_oldest_seconds") > 0
        detail = client.get("/healthz").json()
        assert detail["status"] == "ok"  # a Matomo outage does not make the gateway unhealthy
        forwarding = detail["forwarding"]
        assert (forwarding["backlog"], forwarding["failing"]) == (len(urls), True)
        assert "cannot connect" in forwarding["last_error"]
    # a clean restart of the gateway, then Matomo comes back on the same address
    with gateway(settings, matomo.url) as client:
        matomo.start()
        wait_for(lambda: outbox(db_path) == 0)
        assert metric(client, 'gateway_forwarded_total{outcome="delivered"}') == len(urls)
        assert client.get("/healthz").json()["forwarding"]["failing"] is False

    tracked = matomo.tracked
    assert sorted(h["url"] for h in tracked) == sorted(urls)  # every hit, none twice
    for visitor in VISITORS:
        mine = [h["url"] for h in tracked if h["_id"] == visitor]
        assert mine == [u for u in urls if f"/{visitor}/" in u]  # in order per visitor
    stored_ip = {r["ip"] for r in rows(db_path, "SELECT ip FROM hits")}
    assert stored_ip == {"203.0.0.0"}
    assert {h["cip"] for h in tracked} == stored_ip
    assert all(h["ua"] == BROWSER_UA and h["lang"] == "fi-FI" for h in tracked)
    assert all("token_auth" not in h and "gw_consent" not in h for h in tracked)
    for received in matomo.received:
        assert PEER_IP not in received.query and PEER_IP.encode() not in received.body
    logged = caplog.text
    assert PEER_IP not in logged and UPSTREAM_TOKEN not in logged
    assert logged.count("forwarding to upstream Matomo failed") == 1  # once per episode


def test_failing_and_slow_upstreams_are_retried_until_delivered(
    settings: Settings, matomo: FakeMatomo, db_path: Path
) -> None:
    matomo.mode = "failing"
    with gateway(settings, matomo.url) as client:
        token = grant(client, ["analytics"])["token"]
        urls = send_hits(client, token, pages=2)
        wait_for(lambda: len(matomo.received) >= 3)
        assert outbox(db_path) == len(urls)
        assert client.get("/healthz").json()["forwarding"]["last_error"] == "HTTP 500"
        matomo.mode = "slow"  # answers after the forwarder's time limit
        seen = len(matomo.received)
        wait_for(lambda: len(matomo.received) >= seen + 2)
        assert outbox(db_path) == len(urls)
        assert "no answer" in client.get("/healthz").json()["forwarding"]["last_error"]
        matomo.mode = "ok"
        wait_for(lambda: outbox(db_path) == 0)
    assert {h["url"] for h in matomo.tracked} == set(urls)  # at least once


def test_refused_hits_are_parked_not_retried_forever(
    settings: Settings, matomo: FakeMatomo, db_path: Path
) -> None:
    with gateway(settings, matomo.url, token="not-the-matomo-token") as client:
        token = grant(client, ["analytics"])["token"]
        urls = send_hits(client, token, pages=2)
        wait_for(lambda: len(rows(db_path, "SELECT id FROM outbox WHERE parked = 1")) == len(urls))
        forwarding = client.get("/healthz").json()["forwarding"]
        assert (forwarding["backlog"], forwarding["parked"]) == (0, len(urls))
        assert metric(client, "gateway_forward_parked") == len(urls)
    assert matomo.tracked == []  # Matomo answered 400: a cip needs its token
    reasons = {r["last_error"] for r in rows(db_path, "SELECT last_error FROM outbox")}
    assert reasons == {"HTTP 400 (request refused)"}


def test_bulk_posts_carry_at_most_50_hits_each_with_its_own_cip(
    settings: Settings, matomo: FakeMatomo, db_path: Path
) -> None:
    matomo.stop()
    with gateway(settings, matomo.url) as client:
        token = grant(client, ["analytics"])["token"]
        urls = send_hits(client, token, pages=40)  # 120 hits
        matomo.start()
        wait_for(lambda: outbox(db_path) == 0)
    sizes = [len(json.loads(r.body)["requests"]) for r in matomo.received if r.body]
    assert max(sizes) <= 50 and sum(sizes) >= len(urls)
    for received in matomo.received:
        body = json.loads(received.body)
        assert body["token_auth"] == UPSTREAM_TOKEN
        for entry in body["requests"]:
            assert dict(parse_qsl(entry[1:]))["cip"] == "203.0.0.0"
