"""``gateway serve`` as a real process: it starts, prints where things are, and serves."""

from __future__ import annotations

import json
import urllib.request

from tests.conftest import LiveServer


def test_serve_prints_urls_and_answers_health(live_server: LiveServer) -> None:
    with urllib.request.urlopen(f"{live_server.base}/healthz") as response:
        health = json.load(response)
    assert health["status"] == "ok"
    assert health["sites"] == ["demo"]
    log = live_server.log()
    assert f"demo page:    {live_server.base}/" in log
    assert "admin token:  from GATEWAY_ADMIN_TOKEN" in log
