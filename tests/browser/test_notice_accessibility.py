"""The privacy notices and the policy-version pages pass axe-core in Chromium.

The notice is what a visitor reads before choosing; it must be as accessible as the banner.
Every shipped policy (the demo and both seed sites) is rendered by the real app and checked in
each of its languages (the Finnish one also in the dark colour scheme), and printed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.browser.banner_kit import AXE, chromium
from tests.conftest import ADMIN, BROWSER_UA, ROOT, SECRET

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SITES = ["demo", "koneyrittajat", "kaustisen-seutukunta"]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Every page to check, rendered once by the app on the shipped policies."""
    db = tmp_path_factory.mktemp("notice") / "gateway.db"
    settings = Settings(
        policies_dir=ROOT / "policies",
        db_url=f"sqlite:///{db}",
        secret_keys=(SECRET,),
        admin_token=ADMIN,
    )
    rendered: dict[str, str] = {}
    with TestClient(create_app(settings)) as client:
        for site in SITES:
            for lang in ("fi", "sv", "en"):
                response = client.get(f"/privacy/{site}", params={"lang": lang})
                if response.status_code == 200:
                    rendered[f"{site}:{lang}"] = response.text
            listing = client.get(f"/privacy/{site}/versions")
            assert listing.status_code == 200
            rendered[f"{site}:versions"] = listing.text
            (version,) = client.get(f"/privacy/{site}/versions", params={"format": "json"}).json()[
                "versions"
            ]
            rendered[f"{site}:version"] = client.get(
                f"/privacy/{site}/versions/{version['hash']}"
            ).text
    yield rendered


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as value:
        yield value


def axe_violations(browser: Browser, html: str, **context: str) -> list[str]:
    page = browser.new_context(user_agent=BROWSER_UA, **context).new_page()
    try:
        page.set_content(html)
        page.add_script_tag(path=str(AXE))
        violations: list[str] = page.evaluate(
            """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})
               .then(r => r.violations.map(
                 v => v.id + ': ' + v.nodes.map(n => n.target).join(' | ')))""",
            AXE_TAGS,
        )
        return violations
    finally:
        page.context.close()


@pytest.mark.parametrize("site", SITES)
def test_every_language_of_every_notice_passes_axe(
    browser: Browser, pages: dict[str, str], site: str
) -> None:
    checked = [key for key in pages if key.startswith(f"{site}:")]
    assert len(checked) >= 3
    for key in checked:
        schemes = ("light", "dark") if key.endswith(":fi") else ("light",)
        for scheme in schemes:
            assert axe_violations(browser, pages[key], color_scheme=scheme) == [], (key, scheme)


def test_the_printed_notice_passes_axe_and_hides_navigation(
    browser: Browser, pages: dict[str, str]
) -> None:
    page = browser.new_context(user_agent=BROWSER_UA).new_page()
    try:
        page.emulate_media(media="print")
        page.set_content(pages["koneyrittajat:fi"])
        nav_visible = page.evaluate(
            "() => [...document.querySelectorAll('nav')].some(n => n.offsetParent !== null)"
        )
        assert not nav_visible
        assert "0201722-8" in page.inner_text("body")
    finally:
        page.context.close()
