"""A real PostgreSQL server for the tests: Debian's binaries, a temporary cluster, a free port.

``PgServer.start`` runs ``initdb`` and ``pg_ctl`` (as the ``postgres`` user when the tests run
as root, which PostgreSQL refuses to run as) in a temporary directory, listening on 127.0.0.1
only, with durability settings off for speed. Each test gets its own database
(``PgServer.database``), dropped afterwards.
"""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import pwd
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from gateway.storage.pg_sync import translate

USER = "gateway"


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(
            f"PostgreSQL's {name} is not installed: apt-get install postgresql "
            "(scripts/test does this)"
        )
    return candidates[-1]


def _as_server_user(argv: Sequence[str]) -> list[str]:
    if os.geteuid() != 0:
        return list(argv)
    return ["runuser", "-u", "postgres", "--", *argv]


@dataclass
class PgDatabase:
    """One database on the test server; ``rows`` reads it as the SQLite helper does."""

    url: str

    def __str__(self) -> str:
        # Caught here: a test that formats the database into a sqlite:/// URL would quietly
        # test a new, empty SQLite file instead.
        raise TypeError("a PgDatabase is not a file path; use tests.conftest.db_url()")

    def rows(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async def fetch() -> list[asyncpg.Record]:
            conn = await asyncpg.connect(self.url)
            try:
                await conn.set_type_codec(
                    "numeric", schema="pg_catalog", encoder=str, decoder=_number, format="text"
                )
                return list(await conn.fetch(translate(sql), *args))
            finally:
                await conn.close()

        return asyncio.run(fetch())

    def execute(self, sql: str, *args: Any) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(self.url)
            try:
                await conn.execute(translate(sql), *args)
            finally:
                await conn.close()

        asyncio.run(run())


def _number(text: str) -> int | float:
    return int(text) if text.lstrip("-").isdigit() else float(text)


class PgServer:
    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.data = directory / "data"
        self._names = itertools.count(1)

    @property
    def admin_url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def start(self, *, durable: bool = False) -> None:
        """``durable``: keep PostgreSQL's default fsync and synchronous commit (benchmarks);
        the tests turn both off for speed."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            _as_server_user(
                [
                    _binary("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.data} -c max_connections=300"
        )
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            _as_server_user(
                [
                    _binary("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.directory / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            _as_server_user([_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
            capture_output=True,
        )

    def database(self) -> PgDatabase:
        name = f"t{next(self._names)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE template0")
        return PgDatabase(f"postgresql://{USER}@127.0.0.1:{self.port}/{name}")

    def drop(self, db: PgDatabase) -> None:
        name = db.url.rsplit("/", 1)[1]
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def _admin(self, sql: str) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(self.admin_url)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(run())
