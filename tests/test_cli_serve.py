"""``gateway serve`` as a real process: it starts, prints where things are, and serves."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.conftest import ROOT, LiveServer, write_site


def test_serve_prints_urls_and_answers_health(live_server: LiveServer) -> None:
    with urllib.request.urlopen(f"{live_server.base}/healthz") as response:
        health = json.load(response)
    assert health["status"] == "ok"
    assert health["sites"] == ["demo"]
    log = live_server.log()
    assert f"demo page:    {live_server.base}/" in log
    assert "admin token:  from GATEWAY_ADMIN_TOKEN" in log


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_check_accepts_the_shipped_policies() -> None:
    result = run_cli("check", str(ROOT / "policies"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok: 3 policy files valid"


def test_check_names_file_and_key_and_exits_1(tmp_path: Path) -> None:
    bad = write_site(tmp_path, "demo", 1, **{"ip_mask_bytes = 2": "ip_mask_bytes = 5"})
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 1
    (line,) = result.stdout.strip().splitlines()
    assert line.startswith(f"{bad}: privacy.ip_mask_bytes: ")


def test_serve_refuses_broken_policies_with_the_same_lines(tmp_path: Path) -> None:
    write_site(tmp_path, "demo", 1, **{'without_consent = "drop"': 'without_consent = "maybe"'})
    result = run_cli("serve", "--policies", str(tmp_path), "--db", f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 2
    assert "privacy.without_consent" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_serve_refuses_bad_settings_clearly(tmp_path: Path) -> None:
    result = run_cli("serve", "--db", "mysql://nope", cwd=tmp_path)
    assert result.returncode == 2
    assert "GATEWAY_DB / --db" in result.stderr


def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    """``--log-format json``: the gateway's and uvicorn's lines alike, ready for a collector."""
    import os
    import signal
    import time

    from tests.conftest import ADMIN, SECRET, free_port

    port = free_port()
    policies = tmp_path / "policies"
    policies.mkdir()
    write_site(policies, "demo", 1)
    env = {**os.environ, "GATEWAY_SECRET_KEYS": SECRET, "GATEWAY_ADMIN_TOKEN": ADMIN}
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-m", "gateway", "serve", "--port", str(port)]
    command += ["--policies", str(policies), "--db", f"sqlite:///{tmp_path}/g.db"]
    command += ["--log-format", "json", "--access-log"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        with urllib.request.urlopen(f"{base}/matomo.php?idsite=1&rec=1&url=/x&_id=abc") as r:
            assert r.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    lines = [line for line in stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"ts", "level", "logger", "message"} <= entry.keys() for entry in entries)
    messages = [entry["message"] for entry in entries]
    assert any("Application startup complete" in m for m in messages), messages
    assert any('"GET /matomo.php" 200' in m for m in messages), messages
    assert not any("_id=abc" in m for m in messages)  # never a query string
