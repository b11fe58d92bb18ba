"""Several gateway instances on one PostgreSQL database behave as one gateway.

Two real ``gateway serve`` processes (one of them with two uvicorn workers: three processes in
all) share a database on the test PostgreSQL server and the same keys. Consents and hits are
sent to all of them at once; the database must then hold one valid consent chain per site,
visits and rollups as if one process had seen every hit, and a withdrawal made on one instance
must stop the token on the other within the promised 5 seconds.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, SECRET, free_port, rows, write_site
from tests.gateway_process import running_gateway
from tests.pg_server import PgDatabase

ENV = {"GATEWAY_SECRET_KEYS": SECRET, "GATEWAY_ADMIN_TOKEN": ADMIN}
CONSENTS_PER_INSTANCE = 40
VISITORS = 12
PAGES_PER_VISITOR = 6


@pytest.fixture
def instances(tmp_path: Path, pg_database: PgDatabase) -> Iterator[tuple[str, str]]:
    policies = tmp_path / "policies"
    policies.mkdir()
    write_site(policies, "demo", 1)
    write_site(policies, "other", 7)
    common = dict(policies=policies, db_url=pg_database.url, env=ENV)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        running_gateway(
            port=free_port(), log_path=tmp_path / "a" / "a.log", args=["--workers", "2"], **common
        ) as a,
        running_gateway(port=free_port(), log_path=tmp_path / "b" / "b.log", **common) as b,
    ):
        yield a, b


def consent(base: str, site: str, granted: list[str]) -> dict[str, Any]:
    response = httpx2.post(
        f"{base}/consent/{site}",
        json={"granted": granted, "policy_version": "2026-01-01", "lang": "fi"},
        headers={"Origin": ORIGIN},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def track(base: str, token: str, visitor: str, url: str, idsite: int = 1) -> None:
    response = httpx2.get(
        f"{base}/matomo.php",
        params={
            "idsite": idsite,
            "rec": 1,
            "url": f"http://127.0.0.1:8000{url}",
            "action_name": url,
            "_id": visitor,
            "gw_consent": token,
        },
        headers={"User-Agent": BROWSER_UA},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def test_tokens_chains_and_rollups_are_shared(
    instances: tuple[str, str], pg_database: PgDatabase
) -> None:
    a, b = instances
    # A token issued by one instance counts on the other.
    first = consent(a, "demo", ["analytics"])
    track(b, first["token"], "00000000000000aa", "/from-b")
    stored = rows(pg_database, "SELECT consent_id, mode FROM hits WHERE url LIKE ?", "%/from-b")
    assert [(r["consent_id"], r["mode"]) for r in stored] == [(first["consent_id"], "consented")]

    # Concurrent writers on three processes: one chain per site, numbered without gaps.
    jobs = [
        (base, site, granted)
        for base in (a, b)
        for i in range(CONSENTS_PER_INSTANCE)
        for site, granted in [("demo" if i % 3 else "other", ["analytics"] if i % 2 else [])]
    ]
    with ThreadPoolExecutor(16) as pool:
        recorded = list(pool.map(lambda job: consent(*job), jobs))
    assert len({r["consent_id"] for r in recorded}) == len(jobs)
    for site in ("demo", "other"):
        seqs = [
            r["site_seq"]
            for r in rows(
                pg_database, "SELECT site_seq FROM consents WHERE site = ? ORDER BY seq", site
            )
        ]
        assert seqs == list(range(1, len(seqs) + 1))
        check = subprocess.run(
            [sys.executable, "-m", "gateway", "verify-consents", site, "--db", pg_database.url],
            capture_output=True,
            text=True,
            timeout=60,
            env={**ENV, "PATH": ""},
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert f"ok: {len(seqs)} consent records" in check.stdout

    # Hits of the same visitors arrive on both instances at once: the visits and rollups
    # come out as one process would have counted them.
    tokens = [consent(a if v % 2 else b, "demo", ["analytics"])["token"] for v in range(VISITORS)]
    hits = [
        ((a, b)[(v + p) % 2], tokens[v], f"{v + 1:016x}", f"/v{v}/p{p}")
        for p in range(PAGES_PER_VISITOR)
        for v in range(VISITORS)
    ]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda h: track(*h), hits))
    today = datetime.now(UTC).date().isoformat()
    summaries = [
        httpx2.get(
            f"{base}/api/sites/demo/stats/summary",
            params={"from": today, "to": today},
            headers={"Authorization": f"Bearer {ADMIN}"},
            timeout=30,
        ).json()
        for base in (a, b)
    ]
    assert summaries[0] == summaries[1]
    # the visitor of the first hit (from-b) plus the VISITORS, each one visit
    assert summaries[0]["visitors"] == VISITORS + 1
    assert summaries[0]["visits"] == VISITORS + 1
    assert summaries[0]["pageviews"] == VISITORS * PAGES_PER_VISITOR + 1
    visit_counts = rows(
        pg_database,
        "SELECT visitor, COUNT(*) AS n, SUM(pageviews) AS pv FROM visits GROUP BY visitor",
    )
    assert sorted((r["n"], r["pv"]) for r in visit_counts) == sorted(
        [(1, PAGES_PER_VISITOR)] * VISITORS + [(1, 1)]
    )


def test_a_withdrawal_on_one_instance_stops_the_token_on_the_other_within_5_s(
    instances: tuple[str, str], pg_database: PgDatabase
) -> None:
    a, b = instances
    given = consent(a, "demo", ["analytics"])
    track(b, given["token"], "00000000000000bb", "/before")
    withdrawn = httpx2.request(
        "DELETE",
        f"{a}/consent/demo",
        params={"gw_consent": given["token"]},
        headers={"Origin": ORIGIN},
        timeout=30,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    started = time.monotonic()
    n = 0
    while True:
        n += 1
        track(b, given["token"], "00000000000000bb", f"/after-{n}")
        counted = rows(
            pg_database,
            "SELECT COUNT(*) AS n FROM hits WHERE consent_id = ? AND url LIKE ?",
            given["consent_id"],
            f"%/after-{n}",
        )[0]["n"]
        if counted == 0:
            break
        assert time.monotonic() - started < 5, "the withdrawn token still counts after 5 s"
        time.sleep(0.1)
    assert time.monotonic() - started < 5
