"""``gateway serve --workers 2`` on one SQLite file behaves as one gateway.

Two uvicorn worker processes share the listening socket and the database. Each write
transaction takes SQLite's write lock (``BEGIN IMMEDIATE``), hit ids and consent chain positions
are given inside it, and each worker polls the ledger for withdrawals. These tests drive both
workers at once over real HTTP and check what was stored.

A keep-alive connection stays with the worker that accepted it, which is how the tests address
one worker or the other: a marker hit (a hit without a user agent, dropped as a bot) sent
through one connection shows in that worker's own ``/metrics`` and not in the other's.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, SECRET, free_port, write_site

BOT_MARKER = 'gateway_hits_dropped_total{site="demo",reason="bot"}'


class Worker:
    """One keep-alive connection, so every request on it reaches the same worker process."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        self.conn.auto_open = 0  # never reconnect silently (that could reach the other worker)
        self.conn.connect()

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, ua: bool = True
    ) -> tuple[int, bytes]:
        headers = {"Origin": ORIGIN, "Connection": "keep-alive"}
        if ua:
            headers["User-Agent"] = BROWSER_UA
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def grant(self, granted: list[str]) -> tuple[int, str]:
        status, body = self.request(
            "POST",
            "/consent/demo",
            {"granted": granted, "policy_version": "2026-01-01", "lang": "fi"},
        )
        return status, json.loads(body).get("token", "") if status == 201 else ""

    def hit(self, token: str, path: str, ua: bool = True) -> int:
        query = urllib.parse.urlencode(
            {
                "idsite": 1,
                "rec": 1,
                "url": f"http://127.0.0.1:8000{path}",
                "_id": "0123456789abcdef",
                "gw_consent": token,
            }
        )
        status, _ = self.request("GET", f"/matomo.php?{query}", ua=ua)
        return status

    def metrics(self) -> dict[str, float]:
        status, body = self.request("GET", "/metrics")
        assert status == 200
        samples: dict[str, float] = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                series, _, value = line.rpartition(" ")
                samples[series] = float(value)
        return samples

    def marked(self) -> bool:
        """Whether this connection's worker is the one that received the marker hit."""
        return self.metrics().get(BOT_MARKER, 0) > 0

    def close(self) -> None:
        self.conn.close()


class TwoWorkers:
    def __init__(self, port: int, db_path: Path, log_path: Path) -> None:
        self.port = port
        self.db_path = db_path
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.connections: list[Worker] = []

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def split(self, per_worker: int) -> tuple[list[Worker], list[Worker]]:
        """At least ``per_worker`` connections to each worker: (marked worker, the other)."""
        marked: list[Worker] = []
        other: list[Worker] = []
        for _ in range(200):
            if len(marked) >= per_worker and len(other) >= per_worker:
                return marked, other
            worker = self.connect()
            group = marked if worker.marked() else other
            if len(group) < per_worker:
                group.append(worker)
            else:
                worker.close()
        raise AssertionError("connections never reached both workers")

    def connect(self) -> Worker:
        worker = Worker(self.port)
        self.connections.append(worker)
        return worker

    def stop(self) -> int:
        assert self.process is not None
        for worker in self.connections:
            worker.close()
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[TwoWorkers]:
    policies = tmp_path / "policies"
    policies.mkdir()
    write_site(policies, "demo", 1)
    db_path = tmp_path / "data" / "gateway.db"
    server = TwoWorkers(free_port(), db_path, tmp_path / "server.log")
    env = {
        **os.environ,
        "GATEWAY_SECRET_KEYS": SECRET,
        "GATEWAY_ADMIN_TOKEN": ADMIN,
        "GATEWAY_RATE_CONSENT": "0",  # this test is one client sending a lot, on purpose
        "GATEWAY_RATE_TRACKING": "0",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "gateway", "serve", "--workers", "2"]
    command += ["--port", str(server.port), "--policies", str(policies)]
    command += ["--db", f"sqlite:///{db_path}"]
    with server.log_path.open("wb") as log_file:
        server.process = subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
            start_new_session=True,  # its own process group, so a stuck run can be ended whole
        )
        try:
            deadline = time.monotonic() + 60
            while server.log().count("Application startup complete") < 2:
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the workers did not start:\n" + server.log())
                time.sleep(0.1)
            marker = server.connect()
            assert marker.hit("", "/marker", ua=False) == 200  # dropped as a bot, counted
            yield server
        finally:
            for worker in server.connections:
                worker.close()
            if server.process.poll() is None:
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait()


def stored_urls(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return [str(url) for (url,) in conn.execute("SELECT url FROM hits ORDER BY id")]
    finally:
        conn.close()


def consent_seqs(db_path: Path) -> list[int]:
    conn = sqlite3.connect(db_path)
    try:
        return [
            int(seq)
            for (seq,) in conn.execute(
                "SELECT site_seq FROM consents WHERE site = 'demo' ORDER BY seq"
            )
        ]
    finally:
        conn.close()


def test_concurrent_writes_through_both_workers_are_all_stored_in_one_chain(
    two_workers: TwoWorkers,
) -> None:
    marked, other = two_workers.split(per_worker=3)
    answered_hits: list[str] = []
    consents_created = 0
    failures: list[str] = []
    lock = threading.Lock()

    def visitor_traffic(worker: Worker, name: str) -> None:
        nonlocal consents_created
        try:
            for round_ in range(12):
                status, token = worker.grant(["analytics"])
                if status != 201:
                    failures.append(f"{name}: consent answered {status}")
                    continue
                with lock:
                    consents_created += 1
                for n in range(3):
                    path = f"/{name}/{round_}/{n}"
                    status = worker.hit(token, path)
                    if 200 <= status < 300:
                        with lock:
                            answered_hits.append(f"http://127.0.0.1:8000{path}")
                    else:
                        failures.append(f"{name}: hit answered {status}")
        except Exception as exc:  # reported below with the server's log
            failures.append(f"{name}: {exc!r}")

    threads = [
        threading.Thread(target=visitor_traffic, args=(worker, f"{group}{i}"))
        for group, workers in (("a", marked), ("b", other))
        for i, worker in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, f"{failures}\n{two_workers.log()}"

    # every hit answered 2xx is stored, once
    assert sorted(stored_urls(two_workers.db_path)) == sorted(answered_hits)
    assert len(answered_hits) == 6 * 12 * 3
    # both workers wrote: each counts its own consent records
    for workers in (marked, other):
        samples = workers[0].metrics()
        assert samples['gateway_consents_total{site="demo",action="custom"}'] >= 12

    # one chain: positions 1..N in commit order, no gap, no repeat; it verifies
    assert consent_seqs(two_workers.db_path) == list(range(1, consents_created + 1))
    verify = subprocess.run(
        [sys.executable, "-m", "gateway", "verify-consents", "demo"]
        + ["--db", f"sqlite:///{two_workers.db_path}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert f"ok: {consents_created} consent records for site demo verify" in verify.stdout

    assert two_workers.stop() == 0  # SIGTERM: both workers shut down cleanly
    assert two_workers.log().count("Finished server process") == 2


def test_a_withdrawal_on_one_worker_stops_the_token_on_the_other_within_5_seconds(
    two_workers: TwoWorkers,
) -> None:
    (here,), (there,) = two_workers.split(per_worker=1)
    status, token = here.grant(["analytics"])
    assert status == 201
    # the other worker accepts the token (shared keys) and stores its hit
    assert there.hit(token, "/before") == 200
    assert "http://127.0.0.1:8000/before" in stored_urls(two_workers.db_path)

    status, _ = here.request("DELETE", f"/consent/demo?gw_consent={token}")
    assert status == 200
    withdrawn_at = time.monotonic()
    # the worker that recorded the withdrawal stops the token at once
    assert here.hit(token, "/here-after") == 200
    assert "http://127.0.0.1:8000/here-after" not in stored_urls(two_workers.db_path)

    # the other worker: replay the old token until it is refused, at most 5 seconds
    attempt = 0
    while True:
        attempt += 1
        path = f"/there-after/{attempt}"
        assert there.hit(token, path) == 200  # answered like any hit, stored or not
        if f"http://127.0.0.1:8000{path}" not in stored_urls(two_workers.db_path):
            break
        assert time.monotonic() - withdrawn_at < 5, "still stored 5 s after the withdrawal"
        time.sleep(0.1)
    honoured_after = time.monotonic() - withdrawn_at
    assert honoured_after < 5
    # ... and stays refused
    for n in range(5):
        assert there.hit(token, f"/there-later/{n}") == 200
    assert not [u for u in stored_urls(two_workers.db_path) if "/there-later/" in u]
    assert there.metrics()['gateway_hits_dropped_total{site="demo",reason="token_revoked"}'] >= 6
