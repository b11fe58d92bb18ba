"""Shared pieces for the visitor-data and audit tests: two sites with their own tokens, and
hits sent the way a browser's tracker sends them (through ``/matomo.php`` with a consent token).

``demo`` lists ``DEMO_TOKEN`` and ``other`` lists ``OTHER_TOKEN``; the admin token reads both.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from starlette.testclient import TestClient

from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, grant, rows, write_site

DEMO_TOKEN = "demo-site-token-for-visitor-tools-0123"
OTHER_TOKEN = "other-site-token-for-visitor-tools-0123"
WRONG_TOKEN = "not-a-token-anyone-lists-0123456789"
IDSITE = {"demo": 1, "other": 7}


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def write_sites(directory: Path) -> None:
    for slug, token in (("demo", DEMO_TOKEN), ("other", OTHER_TOKEN)):
        listed = f'token_sha256 = ["{sha(token)}"]'
        write_site(directory, slug, IDSITE[slug], **{"token_sha256 = []": listed})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ADMIN_AUTH = bearer(ADMIN)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def consent(client: TestClient, site: str = "demo") -> str:
    """A fresh consent granting analytics (one browser's choice); its token."""
    token: str = grant(client, ["analytics"], site=site)["token"]
    return token


def track(
    client: TestClient,
    token: str,
    visitor: str,
    path: str = "/",
    *,
    site: str = "demo",
    uid: str | None = None,
    title: str = "Page",
) -> None:
    """One page view as a consenting browser sends it; asserts it was accepted."""
    params: dict[str, str | int] = {
        "idsite": IDSITE[site],
        "rec": 1,
        "url": f"{ORIGIN}{path}",
        "action_name": title,
        "_id": visitor,
        "gw_consent": token,
        "send_image": 0,
    }
    if uid is not None:
        params["uid"] = uid
    response = client.get("/matomo.php", params=params, headers={"User-Agent": BROWSER_UA})
    assert response.status_code == 204, response.text


def audit_rows(db_path: Path) -> list[dict[str, object]]:
    return [dict(r) for r in rows(db_path, "SELECT * FROM audit_log ORDER BY id")]


__all__ = ["ADMIN", "ADMIN_AUTH", "DEMO_TOKEN", "OTHER_TOKEN", "WRONG_TOKEN"]
