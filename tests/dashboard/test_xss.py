"""Stored XSS attempts render as text: titles and URLs from tracked hits, and a site name.

The hits go in through the real ``/matomo.php`` with a consent token, so whatever the tracking
pipeline stores is what the dashboard reads. (The browser test checks the same page in
Chromium: no dialog, no injected element.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, grant, rows
from tests.dashboard.conftest import csrf_of, login
from tests.dashboard.scenario import FIRST_DAY, PERIOD, SCRIPT_TITLE, SVG_QUERY, hit_params

EVIL_NAME = "Demo <img src=x onerror=alert(1)>"


@pytest.fixture
def stored(client: TestClient, db_path: Path) -> TestClient:
    token = grant(client, ["analytics"])["token"]
    for params in hit_params(ORIGIN, token, FIRST_DAY):
        response = client.get("/matomo.php", params=params, headers={"User-Agent": BROWSER_UA})
        assert response.status_code == 204
    # The attempts really are stored as they were sent: the page must do the escaping.
    assert rows(db_path, "SELECT 1 FROM hits WHERE action_name = ?", SCRIPT_TITLE)
    assert rows(db_path, "SELECT 1 FROM hits WHERE url LIKE ?", f"%{SVG_QUERY}")
    return client


def assert_inert(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered and "<svg onload" not in lowered and "<img" not in lowered
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.IGNORECASE)  # no handlers


def test_titles_and_urls_are_escaped_on_the_dashboard(stored: TestClient) -> None:
    html = login(stored, ADMIN, query=PERIOD)
    assert_inert(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "/search?q=&#34;&gt;&lt;svg onload=alert(1)&gt;" in html


def test_titles_and_urls_are_escaped_on_a_shared_page(stored: TestClient) -> None:
    # The site's own threshold would hide these one-visitor rows; visits of two more
    # visitors on the XSS pages make them public.
    token = grant(stored, ["analytics"])["token"]
    for visitor in ("d" * 16, "e" * 16):
        for params in hit_params(ORIGIN, token, FIRST_DAY)[1:3]:
            params["_id"] = visitor
            sent = stored.get("/matomo.php", params=params, headers={"User-Agent": BROWSER_UA})
            assert sent.status_code == 204
    page = login(stored, ADMIN)
    created = stored.post("/dashboard/demo/share", data={"csrf": csrf_of(page), "days": "7"})
    path = re.search(r"(/share/demo/[^\"]+)\"", created.text)
    assert path
    stored.cookies.clear()
    html = stored.get(path.group(1) + PERIOD).text
    assert_inert(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "/search?q=&#34;&gt;&lt;svg onload=alert(1)&gt;" in html


def test_a_site_name_from_the_policy_is_escaped(tmp_path: Path) -> None:
    from gateway.app import create_app
    from gateway.settings import Settings
    from tests.conftest import SECRET, write_site

    policies = tmp_path / "evil-policies"
    policies.mkdir()
    write_site(policies, "demo", 1, **{'name = "Demo site"': f'name = "{EVIL_NAME}"'})
    settings = Settings(
        policies_dir=policies,
        db_url=f"sqlite:///{tmp_path / 'evil.db'}",
        secret_keys=(SECRET,),
        admin_token=ADMIN,
    )
    with TestClient(create_app(settings), base_url=ORIGIN) as client:
        form = client.get("/dashboard/demo").text
        assert "Demo &lt;img src=x onerror=alert(1)&gt;" in form
        assert_inert(form)
        html = login(client, ADMIN)
        assert "Demo &lt;img src=x onerror=alert(1)&gt;" in html
        assert_inert(html)
