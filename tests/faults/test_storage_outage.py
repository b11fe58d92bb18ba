"""The database refusing writes: 503 (never a 2xx for something not stored), one ERROR line
per outage, one INFO line when it ends, and the gateway serving again by itself.

Each fault is made for real against a running ``gateway serve``: another connection holding
SQLite's write lock past the busy timeout, a file system with no space left, and the kernel
refusing the process's file writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.conftest import ADMIN
from tests.faults.kit import (
    GatewayProcess,
    Load,
    client_for,
    stored_consent_ids,
    stored_urls,
    tokens_for,
    verify_consents,
)

OUTAGE_LINE = re.compile(r"^ERROR gateway\.storage: storage unavailable: (.+); answering 503$")
RECOVERY_LINE = re.compile(r"^INFO gateway\.storage: storage available again after ")


def outage_lines(output: str) -> tuple[list[str], list[str]]:
    """The reasons of the outage lines, and the recovery lines, in the gateway's output."""
    lines = output.splitlines()
    reasons = [m.group(1) for m in map(OUTAGE_LINE.match, lines) if m]
    return reasons, [line for line in lines if RECOVERY_LINE.match(line)]


async def burst(load: Load, tokens: list[str], first: int, hits: int, consents: int) -> None:
    """``hits`` page views and ``consents`` choices at once."""
    async with client_for(load.base) as client:
        await asyncio.gather(
            *(
                load.hit(client, n, tokens[n % len(tokens)], size=1500)
                for n in range(first, first + hits)
            ),
            *(load.consent(client) for _ in range(consents)),
        )


async def get_json(base: str, path: str) -> tuple[int, dict[str, object]]:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.get(path)
        return response.status_code, response.json()


async def pages_report(base: str) -> dict[str, int]:
    """Page views per page from the stats API."""
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.get(
            "/api/sites/demo/stats/pages",
            params={"limit": "1000"},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
    assert response.status_code == 200, response.text
    return {row["value"]: row["pageviews"] for row in response.json()["rows"]}


def answers_since(load: Load, start: int) -> list[tuple[str, int | None, str]]:
    return [(a.kind, a.status, a.body) for a in load.answers[start:]]


def assert_refused(answers: list[tuple[str, int | None, str]]) -> None:
    """Every request answered 503 with the JSON error the routes give when nothing was stored."""
    assert answers
    for _, status, body in answers:
        assert status == 503, (status, body)
        assert json.loads(body) == {"error": "storage unavailable; retry"}


def assert_served(answers: list[tuple[str, int | None, str]]) -> None:
    assert answers
    assert {status for _, status, _ in answers} <= {201, 204}, answers


def test_a_lock_held_past_the_busy_timeout_answers_503_then_recovers(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "gateway.db"
    gateway = GatewayProcess(tmp_path, db_path)
    gateway.start()
    load = Load(gateway.base, tag="locked")
    try:

        async def scenario() -> None:
            async with client_for(gateway.base) as client:
                tokens = await tokens_for(load, client, 2)
            locker = sqlite3.connect(db_path, isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")  # held past the gateway's 10 s busy timeout
            try:
                start = len(load.answers)
                await burst(load, tokens, 0, hits=20, consents=3)
                assert_refused(answers_since(load, start))
                status, ready = await get_json(gateway.base, "/readyz")
                assert status == 503
                assert "storage unavailable: database is locked" in ready["reasons"]  # type: ignore[operator]
            finally:
                locker.execute("ROLLBACK")
                locker.close()
            start = len(load.answers)
            await burst(load, tokens, 100, hits=20, consents=3)
            assert_served(answers_since(load, start))
            assert (await get_json(gateway.base, "/readyz"))[0] == 200

        asyncio.run(scenario())
        gateway.signal(signal.SIGTERM)
        assert gateway.wait(timeout=30) == 0
    finally:
        gateway.stop()

    assert stored_urls(db_path, "locked") == load.acknowledged("hit")
    assert len(load.acknowledged("hit")) == 20  # the ones sent after the lock was released
    assert load.acknowledged("consent") <= stored_consent_ids(db_path)
    assert verify_consents(db_path).startswith("ok: ")
    output = gateway.output()
    reasons, recoveries = outage_lines(output)
    assert reasons == ["database is locked"], output
    assert len(recoveries) == 1, output
    assert "Traceback" not in output


# -- out of space ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoSpace:
    """A way to leave the gateway's database without room to write, and to give it back."""

    name: str
    reason: str  # SQLite's words for it, as the outage line quotes them
    exhaust: Callable[[GatewayProcess], None]
    restore: Callable[[GatewayProcess], None]


def fill_disk(gateway: GatewayProcess) -> None:
    """Fills the file system under the database; the WAL is emptied first so that every new
    write must grow a file (one that only overwrote old WAL frames would still fit)."""
    checkpoint = sqlite3.connect(gateway.db_path, isolation_level=None, timeout=30)
    try:
        checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        checkpoint.close()
    fd = os.open(gateway.db_path.parent / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    try:
        while True:
            os.write(fd, b"\0")
    except OSError:
        pass
    finally:
        os.close(fd)


def free_disk(gateway: GatewayProcess) -> None:
    (gateway.db_path.parent / "filler").unlink()


def refuse_file_writes(gateway: GatewayProcess) -> None:
    """RLIMIT_FSIZE 0 on the running process: the kernel refuses its writes to any file (as a
    quota would); works wherever the tests may signal the gateway, no mount needed."""
    _, hard = resource.prlimit(gateway.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(gateway.pid, resource.RLIMIT_FSIZE, (0, hard))


def allow_file_writes(gateway: GatewayProcess) -> None:
    _, hard = resource.prlimit(gateway.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(gateway.pid, resource.RLIMIT_FSIZE, (hard, hard))


NO_SPACE = [
    NoSpace("file system full", "database or disk is full", fill_disk, free_disk),
    NoSpace("file size limit", "disk I/O error", refuse_file_writes, allow_file_writes),
]


@contextmanager
def small_file_system(directory: Path) -> Iterator[Path]:
    """A 16 MB tmpfs at ``directory`` (needs root with CAP_SYS_ADMIN, else the test skips)."""
    directory.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=True)


@dataclass
class Run:
    load: Load
    pages: dict[str, int]  # page views per page in the reports, after the retries
    output: str


def run_out_of_space(tmp_path: Path, way: NoSpace) -> Run:
    """Grants, then 20 page views and 3 choices with no room to write (all must be 503), then
    room again and the same page views retried with 3 more choices (all must be 2xx)."""
    with contextlib.ExitStack() as stack:
        if way.exhaust is fill_disk:
            directory = stack.enter_context(small_file_system(tmp_path / "disk"))
        else:
            directory = tmp_path / "data"
        db_path = directory / "gateway.db"
        gateway = GatewayProcess(tmp_path, db_path)
        stack.callback(gateway.stop)
        gateway.start()
        load = Load(gateway.base, tag="full")

        async def scenario() -> dict[str, int]:
            async with client_for(gateway.base) as client:
                tokens = await tokens_for(load, client, 2)
            way.exhaust(gateway)
            start = len(load.answers)
            await burst(load, tokens, 0, hits=20, consents=3)
            assert_refused(answers_since(load, start))
            status, ready = await get_json(gateway.base, "/readyz")
            assert status == 503
            assert f"storage unavailable: {way.reason}" in ready["reasons"]  # type: ignore[operator]
            way.restore(gateway)
            start = len(load.answers)
            await burst(load, tokens, 0, hits=20, consents=3)  # the same page views, retried
            assert_served(answers_since(load, start))
            assert (await get_json(gateway.base, "/readyz"))[0] == 200
            return await pages_report(gateway.base)

        pages = asyncio.run(scenario())
        gateway.signal(signal.SIGTERM)
        assert gateway.wait(timeout=30) == 0
        assert stored_urls(db_path, "full") == load.acknowledged("hit")
        assert len(load.acknowledged("hit")) == 20
        assert load.acknowledged("consent") <= stored_consent_ids(db_path)
        assert verify_consents(db_path).startswith("ok: ")
    return Run(load, pages, gateway.output())


@pytest.mark.parametrize("way", NO_SPACE, ids=[w.name for w in NO_SPACE])
def test_no_room_to_write_answers_503_and_retries_succeed_once_there_is(
    tmp_path: Path, way: NoSpace
) -> None:
    run = run_out_of_space(tmp_path, way)
    reasons, recoveries = outage_lines(run.output)
    assert reasons == [way.reason], run.output
    assert len(recoveries) == 1, run.output
    assert "Traceback" not in run.output


def test_page_views_retried_after_no_room_count_under_their_own_pages(tmp_path: Path) -> None:
    run = run_out_of_space(tmp_path, NO_SPACE[1])
    expected = {f"/full/{n}": 1 for n in range(20)}
    assert {page: n for page, n in run.pages.items() if page.startswith("/full/")} == expected
