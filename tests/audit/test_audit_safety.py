"""The audit never keeps a credential or an address, and never gets in the way of an answer."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.api.kit import (
    ADMIN,
    ADMIN_AUTH,
    DEMO_TOKEN,
    OTHER_TOKEN,
    WRONG_TOKEN,
    bearer,
    consent,
    track,
)
from tests.conftest import PEER_IP, rows

JANE = "jane@example.fi"
VISITOR = "0123456789abcdef"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_no_token_user_id_or_address_reaches_the_audit_log_or_the_logs(
    client: TestClient, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    track(client, consent(client), VISITOR, "/", uid=JANE)
    for token in (ADMIN, DEMO_TOKEN, OTHER_TOKEN, WRONG_TOKEN):
        client.get("/api/sites/demo/stats/summary", headers=bearer(token))
        client.get(f"/api/sites/demo/visitors/{JANE}?by=user_id", headers=bearer(token))
        client.get(
            "/index.php",
            params={
                "module": "API",
                "method": "VisitsSummary.get",
                "idSite": "1",
                "period": "day",
                "date": "today",
                "token_auth": token,
            },
        )
        client.post(
            "/index.php",
            data={
                "module": "API",
                "method": "VisitsSummary.get",
                "idSite": "1",
                "period": "day",
                "date": "today",
                "token_auth": token,
            },
        )
        form = client.get("/dashboard/demo")
        client.post("/dashboard/demo", data={"csrf": csrf_of(form.text), "token": token})
    page = client.post(
        "/dashboard/demo/share", data={"csrf": csrf_of(client.get("/dashboard/demo").text)}
    )
    link = re.search(r'value="http://[^"]+/share/demo/([^"]+)"', page.text)
    assert link
    client.get(f"/share/demo/{link.group(1)}")
    client.get(f"/dashboard/demo/visitors?id={JANE}&by=user_id")
    client.delete(f"/api/sites/demo/visitors/{JANE}?by=user_id", headers=ADMIN_AUTH)

    stored = "\n".join(
        "|".join(str(v) for v in tuple(r)) for r in rows(db_path, "SELECT * FROM audit_log")
    )
    assert stored.count("\n") > 20
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("gateway"))
    secrets = (ADMIN, DEMO_TOKEN, OTHER_TOKEN, WRONG_TOKEN, link.group(1), JANE, PEER_IP)
    for secret in secrets:
        assert secret not in stored
        assert secret not in logged


@pytest.mark.sqlite_only  # works on the SQLite file itself
def test_a_failed_audit_write_is_logged_and_the_answer_still_arrives(
    client: TestClient, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE audit_log")
    conn.close()
    response = client.get("/api/sites/demo/stats/summary", headers=bearer(DEMO_TOKEN))
    assert response.status_code == 200
    assert response.json()["site"] == "demo"
    assert "could not record the access audit row" in caplog.text
    assert DEMO_TOKEN not in caplog.text
