"""``gateway outbox``: an operator sees the backlog and the rows Matomo refused, and releases
or drops them without SQL. The command runs as its own process on the gateway's database."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from gateway.settings import Settings
from tests.conftest import ADMIN, ROOT, SECRET, db_url, grant, rows
from tests.forwarding.fake_matomo import FakeMatomo
from tests.forwarding.test_delivery import VISITORS, gateway, send_hits, wait_for
from tests.pg_server import PgDatabase

REFUSED = "HTTP 400 (request refused)"


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def outbox_command(db: Path | PgDatabase, cwd: Path, *args: str) -> Ran:
    env = {
        **os.environ,
        "GATEWAY_SECRET_KEYS": SECRET,
        "GATEWAY_ADMIN_TOKEN": ADMIN,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("GATEWAY_DB", None)
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "outbox", "--db", db_url(db), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def parked_ids(db: Path | PgDatabase) -> list[int]:
    return [r["id"] for r in rows(db, "SELECT id FROM outbox WHERE parked = 1 ORDER BY id")]


def url_of(db: Path | PgDatabase, row_id: int) -> str:
    (row,) = rows(db, "SELECT params FROM outbox WHERE id = ?", row_id)
    return dict(parse_qsl(str(row["params"])))["url"]


def test_parked_rows_are_listed_then_released_and_delivered_or_dropped(
    settings: Settings, matomo: FakeMatomo, db_path: Path | PgDatabase, tmp_path: Path
) -> None:
    # Matomo refuses every hit: the gateway's token has no write access (wrong token)
    with gateway(settings, matomo.url, token="not-the-matomo-token") as client:
        token = grant(client, ["analytics"])["token"]
        send_hits(client, token, pages=2)
        wait_for(lambda: len(parked_ids(db_path)) == 2 * len(VISITORS))
    ids = parked_ids(db_path)
    first, second = ids[0], ids[1]

    shown = outbox_command(db_path, tmp_path)
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == f"outbox: 0 pending; {len(ids)} parked"
    listed = [line.split() for line in lines if line.strip()[:1].isdigit()]
    assert [int(cells[0]) for cells in listed] == ids
    assert all(cells[1] == "demo" and cells[3] == "1" for cells in listed)  # site, attempts
    assert all(line.endswith(REFUSED) for line in lines[-len(ids) :])
    # never the queued request: it holds the visitor's URL, id, user agent and IP
    for private in ("url", "cip", "203.0.0.0", "Mozilla", "127.0.0.1", *VISITORS):
        assert private not in shown.out

    released_url, dropped_url = url_of(db_path, first), url_of(db_path, second)
    released = outbox_command(db_path, tmp_path, "--release", str(first))
    assert (released.code, released.out) == (0, "released 1 parked row: due for delivery now\n")
    (row,) = rows(db_path, "SELECT * FROM outbox WHERE id = ?", first)
    assert (row["parked"], row["next_attempt_at"], row["attempts"]) == (0, 0, 1)

    dropped = outbox_command(db_path, tmp_path, "--drop", str(second))
    assert (dropped.code, dropped.out) == (0, "dropped 1 parked row\n")
    assert rows(db_path, "SELECT id FROM outbox WHERE id = ?", second) == []

    again = outbox_command(db_path, tmp_path, "--release", str(first), "999999")
    assert (again.code, again.out) == (0, "released 0 parked rows: due for delivery now\n")
    assert "2 of the given ids are not a parked row" in again.err

    shown = outbox_command(db_path, tmp_path)
    assert shown.out.startswith("outbox: 1 pending, oldest ")
    assert shown.out.splitlines()[0].endswith(f"; {len(ids) - 2} parked")

    # the cause fixed (the right token): the released row is delivered, parked ones stay
    with gateway(settings, matomo.url) as client:
        wait_for(lambda: rows(db_path, "SELECT id FROM outbox WHERE parked = 0") == [])
        assert [h["url"] for h in matomo.tracked] == [released_url]
        assert parked_ids(db_path) == ids[2:]
        # releasing every parked row while the gateway runs: all of them are delivered
        released = outbox_command(db_path, tmp_path, "--release")
        assert released.out == f"released {len(ids) - 2} parked rows: due for delivery now\n"
        wait_for(lambda: rows(db_path, "SELECT id FROM outbox") == [])
        assert client.get("/healthz").json()["forwarding"]["parked"] == 0
    tracked = [h["url"] for h in matomo.tracked]
    assert len(tracked) == len(ids) - 1 and dropped_url not in tracked

    assert outbox_command(db_path, tmp_path).out == "outbox: 0 pending; 0 parked\n"


def test_dropping_every_parked_row(
    settings: Settings, matomo: FakeMatomo, db_path: Path | PgDatabase, tmp_path: Path
) -> None:
    with gateway(settings, matomo.url, token="not-the-matomo-token") as client:
        token = grant(client, ["analytics"])["token"]
        send_hits(client, token, pages=1)
        wait_for(lambda: len(parked_ids(db_path)) == len(VISITORS))
    dropped = outbox_command(db_path, tmp_path, "--drop")
    assert (dropped.code, dropped.out) == (0, f"dropped {len(VISITORS)} parked rows\n")
    assert rows(db_path, "SELECT id FROM outbox") == []
    assert matomo.tracked == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--release", "x"), "argument --release: invalid int value: 'x'"),
        (("--release", "--drop"), "not allowed with argument"),
    ],
)
def test_bad_arguments_are_refused(
    db_path: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    ran = outbox_command(db_path, tmp_path, *args)
    assert ran.code == 2 and message in ran.err


@pytest.mark.sqlite_only
def test_a_missing_database_is_not_created(db_path: Path, tmp_path: Path) -> None:
    ran = outbox_command(db_path, tmp_path)
    assert ran.code == 2
    assert f"GATEWAY_DB / --db: no database at {db_path}" in ran.err
    assert not db_path.exists()
