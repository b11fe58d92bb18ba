"""Ingest on SQLite and on PostgreSQL, with one and two gateway instances.

Starts a PostgreSQL server of its own (Debian's binaries, default durability: fsync and
synchronous commit on) and three gateways: one on a SQLite file, two on one PostgreSQL
database. ``wrk`` then loads, in alternating rounds:

- ``sqlite``: the SQLite gateway;
- ``postgres``: one PostgreSQL gateway;
- ``postgres x2``: both PostgreSQL gateways at once, half the connections each (summed).

Every request is a consented page view (``send_image=0``) from one of 1,000 visitors on one of
200 pages, so the visit upkeep sees many visitors, as on a real site.

    python bench/scaling.py [--rounds 3] [--seconds 8] [--connections 32]

Prints requests/s per round, the medians, and the hits each database holds afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import SECRET, UA, free_port, wait_up  # noqa: E402
from tests.pg_server import PgServer  # noqa: E402

ADMIN = "bench-admin-token-0123456789"
LUA = """
local token = "%(token)s"
local origin = "%(origin)s"
request = function()
  local v = math.random(1, 1000)
  local p = math.random(1, 200)
  local path = "/matomo.php?idsite=1&rec=1&send_image=0&res=1920x1080"
    .. "&action_name=Page%%20" .. p
    .. "&url=" .. origin .. "%%2Fpage%%2F" .. p
    .. "&_id=" .. string.format("%%016x", v)
    .. "&gw_consent=" .. token
  return wrk.format("GET", path)
end
"""


def wrk(base: str, script: Path, seconds: int, connections: int) -> float:
    import re

    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "-H",
            f"User-Agent: {UA}",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"{bad.group(1)} non-2xx answers from {base}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def token_for(base: str, origin: str) -> str:
    request = urllib.request.Request(
        f"{base}/consent/demo",
        data=json.dumps({"granted": ["analytics"], "policy_version": "2026-01-01"}).encode(),
        headers={"Origin": origin, "Content-Type": "application/json"},
    )
    token: str = json.load(urllib.request.urlopen(request))["token"]
    return token


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="gateway-scaling-"))
    os.chmod(work, 0o755)
    server = PgServer(work / "pg", free_port())
    server.start(durable=True)
    db = server.database()
    policies = work / "policies"
    policies.mkdir()
    origin = "http://127.0.0.1:8000"
    (policies / "demo.toml").write_text(
        (ROOT / "policies" / "demo.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    env = {
        **os.environ,
        "GATEWAY_SECRET_KEYS": SECRET,
        "GATEWAY_ADMIN_TOKEN": ADMIN,
        "GATEWAY_RATE_TRACKING": "0",
        "GATEWAY_RATE_CONSENT": "0",
    }
    urls = {"sqlite": f"sqlite:///{work}/bench.db", "pg-a": db.url, "pg-b": db.url}
    bases: dict[str, str] = {}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, url in urls.items():
            port = free_port()
            bases[name] = f"http://127.0.0.1:{port}"
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gateway", "serve", "--port", str(port)]
                    + ["--policies", str(policies), "--db", url],
                    cwd=work,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for name, process in zip(urls, processes, strict=True):
            wait_up(f"{bases[name]}/healthz", process)
        scripts: dict[str, Path] = {}
        for name in ("sqlite", "pg-a"):
            script = work / f"{name}.lua"
            token = token_for(bases[name], origin)
            script.write_text(
                LUA % {"token": token, "origin": "http%3A%2F%2F127.0.0.1%3A8000"},
                encoding="utf-8",
            )
            scripts[name] = script
        scripts["pg-b"] = scripts["pg-a"]

        def run(names: list[str]) -> float:
            per = max(1, args.connections // len(names))
            with ThreadPoolExecutor(len(names)) as pool:
                rates = pool.map(lambda n: wrk(bases[n], scripts[n], args.seconds, per), names)
                return sum(rates)

        configs = {"sqlite": ["sqlite"], "postgres": ["pg-a"], "postgres x2": ["pg-a", "pg-b"]}
        results: dict[str, list[float]] = {name: [] for name in configs}
        for round_no in range(1, args.rounds + 1):
            for name, names in configs.items():
                rate = run(names)
                results[name].append(rate)
                print(f"round {round_no}: {name:12s} {rate:9.0f} req/s", flush=True)
        sqlite_hits = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3,sys;print(sqlite3.connect(sys.argv[1])"
                ".execute('select count(*) from hits').fetchone()[0])",
                f"{work}/bench.db",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        pg_hits = db.rows("SELECT COUNT(*) AS n FROM hits")[0]["n"]
        sizes = db.rows(
            "SELECT pg_total_relation_size('hits') AS hits, "
            "pg_total_relation_size('visits') AS visits, "
            "pg_total_relation_size('rollup_days') + pg_total_relation_size('rollup_weeks') "
            "+ pg_total_relation_size('rollup_months') AS rollups"
        )[0]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
        server.stop()
    for name, rates in results.items():
        print(f"median: {name:12s} {statistics.median(rates):9.0f} req/s")
    print(f"hits stored: sqlite {sqlite_hits}, postgres {pg_hits}")
    per_hit = {k: sizes[k] / max(1, pg_hits) for k in ("hits", "visits", "rollups")}
    print(
        "postgres bytes per stored hit (tables with indexes): "
        + ", ".join(f"{k} {v:.0f}" for k, v in per_hit.items())
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
