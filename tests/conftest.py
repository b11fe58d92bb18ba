"""Shared fixtures: a real database, the shipped demo policy, the app with its lifespan.

``client`` talks to the real ASGI app (routes, middleware, writer, database) through Starlette's
TestClient; the peer address is a documentation address (203.0.113.9) so tests can search the
database and logs for it.

The database is a SQLite file, and for the tests under ``BOTH_ENGINES`` also a database on a
real PostgreSQL server the tests start (``tests/pg_server.py``): those tests run once per
engine (``[sqlite]`` / ``[postgres]``). ``db_path`` is then a ``PgDatabase``, which ``rows``
reads the same way. A test that can only mean SQLite (it opens the file itself) is marked
``sqlite_only``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.gateway_process import running_gateway
from tests.pg_server import PgDatabase, PgServer

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "http://127.0.0.1:8000"
PEER_IP = "203.0.113.9"
ADMIN = "admin-token-for-tests-0123456789"
SECRET = "test-secret-key-0123456789abcdef"
TESTS = Path(__file__).resolve().parent
BOTH_ENGINES = (
    "storage",
    "consent",
    "tracking",
    "reports",
    "forwarding",
    "privacy",
    "retention",
    "audit",
    "api",
    "dashboard",
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    parts = Path(str(metafunc.definition.fspath)).resolve().relative_to(TESTS).parts
    both = parts[0] in BOTH_ENGINES and not metafunc.definition.get_closest_marker("sqlite_only")
    metafunc.parametrize("backend", ["sqlite", "postgres"] if both else ["sqlite"])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    import shutil
    import tempfile

    # Not under pytest's temporary directory: that one is private to root, and the server
    # runs as the postgres user.
    directory = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
    server = PgServer(directory, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def pg_database(pg_server: PgServer) -> Iterator[PgDatabase]:
    db = pg_server.database()
    try:
        yield db
    finally:
        pg_server.drop(db)


def write_site(directory: Path, slug: str, idsite: int, **replacements: str) -> Path:
    """Write a copy of the demo policy as another site (slug, idsite, plus text replacements)."""
    text = (ROOT / "policies" / "demo.toml").read_text(encoding="utf-8")
    text = text.replace('slug = "demo"', f'slug = "{slug}"', 1)
    text = text.replace("idsite = 1", f"idsite = {idsite}", 1)
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path = directory / f"{slug}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def policies_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "policies"
    directory.mkdir()
    write_site(directory, "demo", 1)
    write_site(directory, "other", 7)
    return directory


@pytest.fixture
def db_path(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Path | PgDatabase:
    """The test's database: a SQLite file's path, or a ``PgDatabase`` on the test server."""
    if backend == "postgres":
        db: PgDatabase = request.getfixturevalue("pg_database")
        return db
    return tmp_path / "data" / "gateway.db"


def db_url(db: Path | PgDatabase) -> str:
    return db.url if isinstance(db, PgDatabase) else f"sqlite:///{db}"


@pytest.fixture
def settings(policies_dir: Path, db_path: Path | PgDatabase) -> Settings:
    return Settings(
        policies_dir=policies_dir,
        db_url=db_url(db_path),
        secret_keys=(SECRET,),
        admin_token=ADMIN,
        revocation_poll_seconds=0.2,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, base_url=ORIGIN, client=(PEER_IP, 50000)) as test_client:
        yield test_client


def rows(db_path: Path | PgDatabase, sql: str, *args: Any) -> list[sqlite3.Row | asyncpg.Record]:
    """Rows of ``sql`` (``?`` placeholders) on either engine; columns by name or position."""
    if isinstance(db_path, PgDatabase):
        return list(db_path.rows(sql, *args))
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute(sql, args))
    finally:
        conn.close()


def execute(db_path: Path | PgDatabase, sql: str, *args: Any) -> None:
    """Change the database behind the gateway's back (tampering tests), on either engine."""
    if isinstance(db_path, PgDatabase):
        db_path.execute(sql, *args)
        return
    conn = sqlite3.connect(db_path)
    try:
        with conn:
            conn.execute(sql, args)
    finally:
        conn.close()


def grant(
    client: TestClient, granted: list[str], site: str = "demo", version: str = "2026-01-01"
) -> dict[str, Any]:
    """Record a choice as the banner does; return the 201 body."""
    response = client.post(
        f"/consent/{site}",
        json={"granted": granted, "policy_version": version, "lang": "fi"},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 201, response.text
    client.cookies.clear()
    body: dict[str, Any] = response.json()
    return body


BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """``gateway serve`` running as its own process on a free loopback port."""

    def __init__(self, base: str, db_path: Path, log_path: Path) -> None:
        self.base = base
        self.db_path = db_path
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


class SiteServer:
    """A plain static web server standing in for the site that embeds the banner.

    It serves ``directory`` at ``origin`` (``http://localhost:<port>``): another site than the
    gateway's ``http://127.0.0.1:<port>``, so tests see a cross-site deployment. Write pages
    into ``directory`` before loading them.
    """

    def __init__(self, directory: Path, origin: str) -> None:
        self.directory = directory
        self.origin = origin

    def page(self, name: str, html: str) -> str:
        (self.directory / name).write_text(html, encoding="utf-8")
        return f"{self.origin}/{name}"


@pytest.fixture
def site_server(tmp_path: Path) -> Iterator[SiteServer]:
    import functools
    import http.server
    import threading

    directory = tmp_path / "site"
    directory.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SiteServer(directory, f"http://localhost:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def live_server(tmp_path: Path, site_server: SiteServer) -> Iterator[LiveServer]:

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    policies = tmp_path / "live-policies"
    policies.mkdir()
    write_site(
        policies,
        "demo",
        1,
        **{
            'origins = ["http://127.0.0.1:8000", "http://localhost:8000"]': (
                f'origins = ["{base}", "{site_server.origin}"]'
            )
        },
    )
    db_path = tmp_path / "live" / "gateway.db"
    log_path = tmp_path / "server.log"
    with running_gateway(
        port=port,
        policies=policies,
        db_url=f"sqlite:///{db_path}",
        log_path=log_path,
        env={"GATEWAY_SECRET_KEYS": SECRET, "GATEWAY_ADMIN_TOKEN": ADMIN},
        args=["--access-log"],
    ) as started:
        assert started == base
        yield LiveServer(base, db_path, log_path)
