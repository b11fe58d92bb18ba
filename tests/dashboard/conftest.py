"""Fixtures for the dashboard: two sites, each with its own token, and a logged-in client.

``demo`` lists ``DEMO_TOKEN`` and shows shared-link rows from 2 visitors up
(``report_min_visitors = 2``); ``other`` lists ``OTHER_TOKEN``. The admin token reads both.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import write_site

DEMO_TOKEN = "demo-site-token-0123456789abcdef"
OTHER_TOKEN = "other-site-token-0123456789abcdef"


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def site_files(directory: Path, demo_tokens: tuple[str, ...] = (DEMO_TOKEN,)) -> None:
    listed = ", ".join(f'"{sha(t)}"' for t in demo_tokens)
    write_site(
        directory,
        "demo",
        1,
        **{
            "token_sha256 = []": f"token_sha256 = [{listed}]",
            "consent_days = 180": "consent_days = 180\nreport_min_visitors = 2",
        },
    )
    write_site(
        directory, "other", 7, **{"token_sha256 = []": f'token_sha256 = ["{sha(OTHER_TOKEN)}"]'}
    )


@pytest.fixture
def policies_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "policies"
    directory.mkdir()
    site_files(directory)
    return directory


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def login(client: TestClient, token: str, site: str = "demo", query: str = "") -> str:
    """Log in through the form; return the dashboard page's HTML."""
    form = client.get(f"/dashboard/{site}{query}")
    assert form.status_code == 200
    response = client.post(
        f"/dashboard/{site}{query}",
        data={"csrf": csrf_of(form.text), "token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert 'class="tiles"' in page.text
    return page.text
