"""A third-party Matomo client against the running server: the ``matomo-tracker`` npm package.

``tests/node/send_hits.js`` uses the client as its README shows (``track()`` for a page view
and an event, ``trackBulk()`` for three more hits) and prints a JSON summary of what was sent
and answered. The assertions are on what ends up in the database.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BROWSER_UA, ROOT, LiveServer, rows

pytestmark = pytest.mark.node

NODE_DIR = ROOT / "tests" / "node"
SCRIPT = NODE_DIR / "send_hits.js"
CLIENT_PACKAGE = NODE_DIR / "node_modules" / "matomo-tracker" / "package.json"

VISITOR = "0123456789abcdef"
OTHER_VISITOR = "fedcba9876543210"
PAGE = "https://www.example.fi/tuotteet/"
PEER_IP = b"127.0.0.1"
TRUNCATED_IP = b"127.0.0.0"


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is required for this test: install node (v20 or newer)")
    if not CLIENT_PACKAGE.is_file():
        pytest.fail(
            "the matomo-tracker npm package is not installed: run `npm ci --prefix tests/node`"
        )
    return node


def consent_token(base: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{base}/consent/demo",
        data=json.dumps(
            {"granted": ["analytics"], "policy_version": "2026-01-01", "lang": "fi"}
        ).encode(),
        headers={"Content-Type": "application/json", "Origin": base},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        body: dict[str, Any] = json.load(response)
    return body


def send_hits(
    node: str, base: str, visitor: str, token: str | None, *options: str
) -> dict[str, Any]:
    """Run the client script; return its summary after checking it reported no error."""
    command = [node, str(SCRIPT), "--base", base, "--visitor", visitor, "--ua", BROWSER_UA]
    if token is not None:
        command += ["--token", token]
    command += options
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def check_answers(summary: dict[str, Any]) -> None:
    """What the client sent and what the gateway answered, as Matomo would answer it."""
    assert summary["errors"] == []
    sent = [
        (entry["method"], entry["path"], entry["content_type"], entry["status"])
        for entry in summary["requests"]
    ]
    assert sent == [
        ("GET", "/matomo.php", None, 200),
        ("GET", "/matomo.php", None, 200),
        ("POST", "/matomo.php", "application/json", 200),
    ]
    answered = [entry["response_content_type"] for entry in summary["requests"]]
    assert answered[:2] == ["image/gif", "image/gif"]
    assert answered[2].startswith("application/json")
    assert summary["bulk_response"] == {"status": "success", "tracked": 3, "invalid": 0}


def stored_hits(db_path: Path) -> dict[str, dict[str, Any]]:
    """Every stored hit keyed by its stored URL (each hit the script sends has its own)."""
    stored = [dict(row) for row in rows(db_path, "SELECT * FROM hits ORDER BY id")]
    by_url = {hit["url"]: hit for hit in stored}
    assert len(by_url) == len(stored), stored
    return by_url


def assert_no_full_peer_ip(db_path: Path) -> None:
    """The peer address is stored only truncated: not in the database file nor in its WAL."""
    files = [db_path, db_path.with_name(db_path.name + "-wal")]
    contents = {path.name: path.read_bytes() for path in files if path.exists()}
    for name, data in contents.items():
        # The kept policy versions hold the policy's origins (http://127.0.0.1:<port>): that is
        # configuration, not a visitor's address.
        data = data.replace(b"http://" + PEER_IP + b":", b"")
        assert PEER_IP not in data, f"untruncated peer IP in {name}"
    assert any(TRUNCATED_IP in data for data in contents.values())


def test_matomo_tracker_hits_are_stored_only_with_consent(live_server: LiveServer) -> None:
    node = node_executable()
    consent = consent_token(live_server.base)

    check_answers(send_hits(node, live_server.base, VISITOR, consent["token"]))

    stored = stored_hits(live_server.db_path)
    assert sorted(stored) == sorted([f"{PAGE}?koko=M", PAGE, f"{PAGE}1", f"{PAGE}2", f"{PAGE}3"])
    for hit in stored.values():
        assert hit["site"] == "demo"
        assert hit["idsite"] == 1
        assert hit["mode"] == "consented"
        assert hit["visitor_id"] == VISITOR
        assert hit["consent_id"] == consent["consent_id"]
        assert hit["ip"] == "127.0.0.0"
        assert hit["browser"] == "Chrome"
        assert hit["lang"] == "fi-FI"

    # track(): the page view, its excluded parameters removed and the campaign kept apart.
    pageview = stored[f"{PAGE}?koko=M"]
    assert pageview["kind"] == "pageview"
    assert pageview["action_name"] == "Tuotteet – kesä"
    assert pageview["campaign_name"] == "kevat"
    assert pageview["referrer"] == "https://haku.example.org/"
    assert pageview["resolution"] == "1920x1080"

    # track(): the event.
    event = stored[PAGE]
    assert event["kind"] == "event"
    assert event["action_name"] is None
    assert (event["event_category"], event["event_action"], event["event_name"]) == (
        "Ostoskori",
        "Lisää",
        "Sininen paita",
    )
    assert event["event_value"] == pytest.approx(19.9)

    # trackBulk(): two page views and an event in one JSON POST.
    bulk = [stored[f"{PAGE}{n}"] for n in (1, 2, 3)]
    assert [(hit["kind"], hit["action_name"]) for hit in bulk] == [
        ("pageview", "Bulk 1"),
        ("pageview", "Bulk 2"),
        ("event", None),
    ]
    assert (bulk[2]["event_category"], bulk[2]["event_action"], bulk[2]["event_name"]) == (
        "Bulk",
        "click",
        "third",
    )

    # The same requests without a token are answered the same way and store nothing.
    check_answers(send_hits(node, live_server.base, OTHER_VISITOR, None))
    assert stored_hits(live_server.db_path) == stored

    assert_no_full_peer_ip(live_server.db_path)


def test_matomo_tracker_iso_custom_time_is_accepted(live_server: LiveServer) -> None:
    node = node_executable()
    consent = consent_token(live_server.base)

    check_answers(send_hits(node, live_server.base, VISITOR, consent["token"], "--iso-time"))

    assert len(stored_hits(live_server.db_path)) == 5
