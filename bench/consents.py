"""Consent records committed per second, and the gateway's resident memory under load.

Starts ``gateway serve`` on a SQLite file (and, with ``--postgres``, a second one on a
PostgreSQL server of its own) and drives ``POST /consent/demo`` with ``wrk``: every request is
a banner choice (one of four, as visitors click them) that is sealed into the site's hash chain
and committed before its 201. Prints requests/s per round, the
records in the ledger afterwards (each one verified by ``gateway verify-consents``), and the
highest resident set size (VmHWM) of the gateway process.

    python bench/consents.py [--rounds 3] [--seconds 8] [--connections 32] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import SECRET, UA, free_port, wait_up  # noqa: E402

ADMIN = "bench-admin-token-0123456789"
ORIGIN = "http://127.0.0.1:8000"
LUA = """
local bodies = {
  '{"granted": ["analytics"], "policy_version": "2026-01-01", "lang": "fi"}',
  '{"granted": [], "policy_version": "2026-01-01", "lang": "fi"}',
  '{"granted": ["analytics", "marketing"], "policy_version": "2026-01-01", "lang": "sv"}',
  '{"granted": ["marketing"], "policy_version": "2026-01-01", "lang": "en"}',
}
local headers = {["Content-Type"] = "application/json", ["Origin"] = "%(origin)s"}
request = function()
  return wrk.format("POST", "/consent/demo", headers, bodies[math.random(1, 4)])
end
"""


def wrk(base: str, script: Path, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H", f"User-Agent: {UA}"]
        + ["-s", str(script), base],
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


def peak_rss_mb(pid: int) -> float:
    """The process's highest resident set size so far (VmHWM), in MB."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    assert match, status
    return int(match.group(1)) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--postgres", action="store_true", help="also measure PostgreSQL")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="gateway-consents-"))
    os.chmod(work, 0o755)
    policies = work / "policies"
    policies.mkdir()
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
    urls = {"sqlite": f"sqlite:///{work}/bench.db"}
    server = None
    if args.postgres:
        from tests.pg_server import PgServer

        server = PgServer(work / "pg", free_port())
        server.start(durable=True)
        urls["postgres"] = server.database().url
    script = work / "consent.lua"
    script.write_text(LUA % {"origin": ORIGIN}, encoding="utf-8")
    try:
        for name, url in urls.items():
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "serve", "--port", str(port)]
                + ["--policies", str(policies), "--db", url],
                cwd=work,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                wait_up(f"{base}/healthz", process)
                idle = peak_rss_mb(process.pid)
                rates = []
                for round_no in range(1, args.rounds + 1):
                    rate = wrk(base, script, args.seconds, args.connections)
                    rates.append(rate)
                    print(f"{name:8s} round {round_no}: {rate:7.0f} consents/s", flush=True)
                peak = peak_rss_mb(process.pid)
            finally:
                process.terminate()
                process.wait(timeout=20)
            check = subprocess.run(
                [sys.executable, "-m", "gateway", "verify-consents", "demo", "--db", url],
                capture_output=True,
                text=True,
                env=env,
                cwd=work,
            )
            print(
                f"{name:8s} median {statistics.median(rates):.0f} consents/s; "
                f"ledger: {check.stdout.strip() or check.stderr.strip()}; "
                f"resident memory {idle:.0f} MB idle, {peak:.0f} MB at most under load"
            )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
