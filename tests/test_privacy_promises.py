"""Privacy promises, tested like features.

No untruncated IP address is written anywhere - database files, logs, error messages - whether it
arrives as the socket peer, through a trusted proxy's X-Forwarded-For, or as an authenticated
``cip`` parameter.
"""

from __future__ import annotations

import http.client
import json
import logging
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.net.clientip import parse_networks
from gateway.settings import Settings
from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, SECRET, LiveServer, rows

PROXY = "203.0.113.9"  # the connecting peer: a trusted reverse proxy
VISITOR = "198.51.100.77"  # the visitor, as the proxy reports it
CIP = "192.0.2.55"  # a client IP sent by a server-side tracker with token_auth
VISITOR6 = "2001:db8:1234:5678:9abc:def0:1234:5678"
SECRETS = [VISITOR, CIP, VISITOR6, "2001:db8:1234:5678", "100.77", "0.2.55"]


def db_bytes(db_path: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)
    )


def test_no_untruncated_ip_in_database_or_logs(
    settings: Settings, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    proxied = Settings(
        policies_dir=settings.policies_dir,
        db_url=settings.db_url,
        secret_keys=(SECRET,),
        admin_token=ADMIN,
        trusted_proxies=parse_networks([PROXY]),
    )
    with TestClient(create_app(proxied), base_url=ORIGIN, client=(PROXY, 4000)) as c:
        for visitor in (VISITOR, VISITOR6):
            xff = {"X-Forwarded-For": f"10.9.9.9, {visitor}", "User-Agent": BROWSER_UA}
            consent = c.post(
                "/consent/demo",
                json={"granted": ["analytics"], "policy_version": "2026-01-01"},
                headers={"Origin": ORIGIN, **xff},
            ).json()
            c.cookies.clear()
            base = {
                "idsite": 1,
                "rec": 1,
                "url": "http://127.0.0.1:8000/",
                "gw_consent": consent["token"],
                "_id": "0123456789abcdef",
            }
            assert c.get("/matomo.php", params=base, headers=xff).status_code == 200
            bulk = {"requests": ["?" + urlencode(base), base], "token_auth": ADMIN}
            assert c.post("/matomo.php", content=json.dumps(bulk), headers=xff).status_code == 200
            with_cip = {**base, "cip": CIP, "token_auth": ADMIN}
            assert c.get("/matomo.php", params=with_cip, headers=xff).status_code == 200
            # Refused requests must not echo the address either.
            refused = c.get("/matomo.php", params={**base, "cip": CIP}, headers=xff)
            assert refused.status_code == 400
            assert CIP not in refused.text
            bad_cip = c.get(
                "/matomo.php", params={**base, "cip": f"{CIP}x", "token_auth": ADMIN}, headers=xff
            )
            assert bad_cip.status_code == 400 and CIP not in bad_cip.text
            c.delete(
                "/consent/demo",
                params={"gw_consent": consent["token"]},
                headers={"Origin": ORIGIN, **xff},
            )
        exported = c.get("/api/sites/demo/hits", headers={"Authorization": f"Bearer {ADMIN}"})
        ledger = c.get("/api/sites/demo/consents", headers={"Authorization": f"Bearer {ADMIN}"})

    ips = {r["ip"] for r in rows(db_path, "SELECT ip FROM hits")}
    assert ips == {"198.51.0.0", "192.0.0.0", "2001:db8:1234::"}
    assert {r["ip"] for r in rows(db_path, "SELECT ip FROM consents")} == {
        "198.51.0.0",
        "2001:db8:1234::",
    }
    # Every log line the gateway process wrote (the test client's own request log excluded).
    logged = "\n".join(
        f"{r.name} {r.getMessage()}" for r in caplog.records if not r.name.startswith("httpx")
    )
    assert any(r.levelno == logging.DEBUG for r in caplog.records), "DEBUG was not captured"
    everything = db_bytes(db_path) + exported.content + ledger.content + logged.encode()
    for secret in SECRETS:
        assert secret.encode() not in everything, secret


def test_live_server_log_has_no_visitor_address(live_server: LiveServer) -> None:
    """A real uvicorn process with its request log on: the peer address never appears."""
    visitor = "127.0.0.77"  # loopback alias, so the log cannot confuse it with the listen address
    parts = urlsplit(live_server.base)
    assert parts.hostname is not None and parts.port is not None

    def request(
        method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=10, source_address=(visitor, 0)
        )
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    status, body = request(
        "POST",
        "/consent/demo",
        json.dumps({"granted": ["analytics"], "policy_version": "2026-01-01"}).encode(),
        {"Origin": live_server.base, "Content-Type": "application/json"},
    )
    assert status == 201
    token = json.loads(body)["token"]
    query = urlencode(
        {
            "idsite": 1,
            "rec": 1,
            "url": f"{live_server.base}/",
            "send_image": 0,
            "gw_consent": token,
            "cip": "192.0.2.200",
            "token_auth": ADMIN,
        }
    )
    status, _ = request("GET", f"/matomo.php?{query}", headers={"User-Agent": BROWSER_UA})
    assert status == 204
    status, _ = request("GET", "/matomo.php?idsite=1&rec=1&cip=192.0.2.201")
    assert status == 400
    (hit,) = rows(live_server.db_path, "SELECT ip FROM hits")
    assert hit["ip"] == "192.0.0.0"
    log = live_server.log()
    assert '"GET /matomo.php" 204' in log  # the request log is on
    for secret in (visitor, "192.0.2.200", "192.0.2.201", token):
        assert secret not in log
        assert secret.encode() not in db_bytes(live_server.db_path) or secret == token
