"""A real ``gateway serve`` process to break, and load to drive it with.

``GatewayProcess`` starts the gateway on a free loopback port and collects its output from a
pipe (not a file: a file-size limit put on the process for a fault must not stop its logs).
``Load`` sends concurrent tracking hits and consent choices with httpx2 and records every
answer, so a test can compare what was acknowledged with what the database holds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx2 as httpx

from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, SECRET, free_port, write_site

UNLIMITED = "0"  # GATEWAY_RATE_*: the per-address limits would drop a load from one address


class GatewayProcess:
    """``gateway serve`` on ``db_path``; start, kill and restart it like an operator would."""

    def __init__(self, workdir: Path, db_path: Path) -> None:
        self.workdir = workdir
        self.db_path = db_path
        self.policies = workdir / "policies"
        if not self.policies.exists():
            self.policies.mkdir(parents=True)
            write_site(self.policies, "demo", 1)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        env = {
            **os.environ,
            "GATEWAY_SECRET_KEYS": SECRET,
            "GATEWAY_ADMIN_TOKEN": ADMIN,
            "GATEWAY_RATE_CONSENT": UNLIMITED,
            "GATEWAY_RATE_TRACKING": UNLIMITED,
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "-m", "gateway", "serve", "--port", str(self.port)]
        command += ["--policies", str(self.policies), "--db", f"sqlite:///{self.db_path}"]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=self.workdir,
        )
        self._reader = threading.Thread(target=self._read, args=(self.process,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 30
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gateway did not start:\n" + self.output())
            time.sleep(0.1)

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._lines.append(line)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def output(self) -> str:
        return "".join(self._lines)

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """The exit code once the process has ended (negative: ended by that signal)."""
        assert self.process is not None
        code = self.process.wait(timeout=timeout)
        self._join()
        return code

    def stop(self) -> None:
        """Ends the process if it still runs (cleanup; tests signal it themselves)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._join()

    def _join(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()


@contextmanager
def running_gateway(workdir: Path, db_path: Path) -> Iterator[GatewayProcess]:
    gateway = GatewayProcess(workdir, db_path)
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


# -- load ----------------------------------------------------------------------------------------


@dataclass
class Answer:
    """One request and what came back: ``status`` None when no answer came (connection lost)."""

    kind: str  # "hit" or "consent"
    key: str  # the hit's unique URL; the consent_id the gateway answered with (2xx only)
    status: int | None
    body: str = ""
    answered_at: float = 0.0  # time.monotonic()


@dataclass
class Load:
    """Concurrent hits and consent choices against one gateway, every answer kept."""

    base: str
    tag: str  # makes this load's hit URLs unique in the database
    answers: list[Answer] = field(default_factory=list)

    def hit_url(self, n: int) -> str:
        return f"http://127.0.0.1:8000/{self.tag}/{n}"

    async def consent(self, client: httpx.AsyncClient) -> str | None:
        """Records a choice granting analytics; returns its token when it was answered 201."""
        try:
            response = await client.post(
                "/consent/demo",
                json={"granted": ["analytics"], "policy_version": "2026-01-01", "lang": "fi"},
                headers={"Origin": ORIGIN, "User-Agent": BROWSER_UA},
            )
        except httpx.TransportError:
            self.answers.append(Answer("consent", "", None, answered_at=time.monotonic()))
            return None
        key = ""
        token: str | None = None
        if response.status_code == 201:
            key = response.json()["consent_id"]
            token = response.json()["token"]
        self.answers.append(
            Answer("consent", key, response.status_code, response.text, time.monotonic())
        )
        return token

    async def hit(self, client: httpx.AsyncClient, n: int, token: str, size: int = 0) -> None:
        """One page view with the visitor's consent token; ``size`` pads the title."""
        url = self.hit_url(n)
        params = {
            "idsite": "1",
            "rec": "1",
            "url": url,
            "action_name": "x" * size or "Page",
            "_id": f"{n % 65536:016x}",
            "gw_consent": token,
            "send_image": "0",
        }
        try:
            response = await client.get(
                "/matomo.php", params=params, headers={"User-Agent": BROWSER_UA}
            )
        except httpx.TransportError:
            self.answers.append(Answer("hit", url, None, answered_at=time.monotonic()))
            return
        self.answers.append(
            Answer("hit", url, response.status_code, response.text, time.monotonic())
        )

    async def run(
        self, client: httpx.AsyncClient, tokens: list[str], requests: int, seconds: float
    ) -> None:
        """``requests`` requests spread over ``seconds``: hits, and every tenth a consent."""
        tasks: list[asyncio.Task[object]] = []
        for n in range(requests):
            if n % 10 == 9:
                tasks.append(asyncio.create_task(self.consent(client)))
            else:
                tasks.append(asyncio.create_task(self.hit(client, n, tokens[n % len(tokens)])))
            await asyncio.sleep(seconds / requests)
        await asyncio.gather(*tasks)

    async def until_acknowledged(self, count: int, timeout: float = 30.0) -> None:
        """Returns once ``count`` requests were answered 2xx: the load is well under way."""
        deadline = time.monotonic() + timeout
        while sum(a.status is not None and 200 <= a.status < 300 for a in self.answers) < count:
            assert time.monotonic() < deadline, "the load did not get going"
            await asyncio.sleep(0.01)

    def acknowledged(self, kind: str) -> set[str]:
        return {
            a.key
            for a in self.answers
            if a.kind == kind and a.status is not None and 200 <= a.status < 300
        }

    def statuses(self) -> set[int | None]:
        return {a.status for a in self.answers}


def client_for(base: str, connections: int = 200) -> httpx.AsyncClient:
    """A client that keeps no cookies: each choice is a new visitor's, not one visitor's
    changes of mind (which would supersede, and so revoke, the tokens the hits carry)."""
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        base_url=base,
        cookies=no_cookies,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        timeout=httpx.Timeout(60.0),
    )


async def tokens_for(load: Load, client: httpx.AsyncClient, count: int) -> list[str]:
    tokens = [await load.consent(client) for _ in range(count)]
    assert all(tokens), load.answers
    return [t for t in tokens if t is not None]


# -- the database, read directly -----------------------------------------------------------------


def stored_urls(db_path: Path, tag: str) -> set[str]:
    return {
        row[0] for row in _query(db_path, "SELECT url FROM hits WHERE url LIKE ?", f"%/{tag}/%")
    }


def stored_consent_ids(db_path: Path) -> set[str]:
    return {row[0] for row in _query(db_path, "SELECT consent_id FROM consents")}


def _query(db_path: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return list(conn.execute(sql, args))
    finally:
        conn.close()


def verify_consents(db_path: Path, site: str = "demo") -> str:
    """``gateway verify-consents``: its output; the test asserts it starts with "ok:"."""
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "verify-consents", site, "--db", f"sqlite:///{db_path}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GATEWAY_SECRET_KEYS": SECRET, "GATEWAY_ADMIN_TOKEN": ADMIN},
    )
    return result.stdout + result.stderr
