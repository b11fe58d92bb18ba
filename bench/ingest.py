"""Ingest throughput: the gateway's /matomo.php against a bare Starlette 204 handler.

Both run under uvicorn (one worker, same flags) on loopback and are loaded by ``wrk`` in
alternating rounds, so machine noise hits both alike. The gateway's hits carry a valid consent
token, so every request runs the whole pipeline and is committed to SQLite before its 204.

    python bench/ingest.py [--rounds 3] [--seconds 8] [--connections 32]

Needs ``wrk`` (Debian: ``apt-get install wrk``). Prints requests/s per round, the medians, and
the gateway/bare ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-0123456789abcdef"
UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early: {url}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server did not start: {url}")


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"User-Agent: {UA}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"{bad.group(1)} non-2xx answers from {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    policies = work / "policies"
    policies.mkdir()
    gw_port, bare_port = free_port(), free_port()
    origin = f"http://127.0.0.1:{gw_port}"
    demo = (ROOT / "policies" / "demo.toml").read_text(encoding="utf-8")
    demo = demo.replace('"http://127.0.0.1:8000"', f'"{origin}"', 1)
    (policies / "demo.toml").write_text(demo, encoding="utf-8")
    env = {
        **os.environ,
        "GATEWAY_SECRET_KEYS": SECRET,
        "GATEWAY_ADMIN_TOKEN": "bench-admin-token",
        # One load generator on one address: per-client limits would measure the limiter.
        "GATEWAY_RATE_TRACKING": "0",
        "GATEWAY_RATE_CONSENT": "0",
    }
    common = [
        "--host",
        "127.0.0.1",
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-proxy-headers",
    ]
    bare = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port), *common],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    gateway = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway",
            "serve",
            "--port",
            str(gw_port),
            "--policies",
            str(policies),
            "--db",
            f"sqlite:///{work}/bench.db",
        ],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_up(f"http://127.0.0.1:{bare_port}/matomo.php", bare)
        wait_up(f"{origin}/healthz", gateway)
        request = urllib.request.Request(
            f"{origin}/consent/demo",
            data=json.dumps({"granted": ["analytics"], "policy_version": "2026-01-01"}).encode(),
            headers={"Origin": origin, "Content-Type": "application/json"},
        )
        token = json.load(urllib.request.urlopen(request))["token"]
        query = urlencode(
            {
                "idsite": 1,
                "rec": 1,
                "action_name": "Etusivu",
                "url": f"{origin}/tuotteet?id=5",
                "_id": "0123456789abcdef",
                "send_image": 0,
                "res": "1920x1080",
                "gw_consent": token,
            }
        )
        results: dict[str, list[float]] = {"bare": [], "gateway": []}
        for round_no in range(1, args.rounds + 1):
            for name, url in (
                ("bare", f"http://127.0.0.1:{bare_port}/matomo.php?{query}"),
                ("gateway", f"{origin}/matomo.php?{query}"),
            ):
                rate = wrk(url, args.seconds, args.connections)
                results[name].append(rate)
                print(f"round {round_no}: {name:8s} {rate:9.0f} req/s", flush=True)
        stored = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3,sys;print(sqlite3.connect(sys.argv[1])"
                ".execute('select count(*) from hits').fetchone()[0])",
                str(work / "bench.db"),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    finally:
        for process in (bare, gateway):
            process.terminate()
            process.wait(timeout=10)
    bare_median = statistics.median(results["bare"])
    gw_median = statistics.median(results["gateway"])
    print(
        f"median: bare {bare_median:.0f} req/s, gateway {gw_median:.0f} req/s "
        f"({gw_median / bare_median:.0%} of bare); hits committed: {stored}"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
