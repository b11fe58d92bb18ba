"""The dashboard in Debian's Chromium: login, the scenario's numbers, CSP, phone width, XSS.

One browser and one ``gateway serve`` process for the module; the scenario's hits
(``tests/dashboard/scenario.py``) go in through ``/matomo.php`` with a consent token, dated two
days ago and yesterday (``cdt`` with the admin ``token_auth``). Every test uses a fresh
browser context and checks that the page raised no CSP violation and no dialog.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from gateway.dashboard.view import day_text
from tests.browser.banner_kit import chromium, starting_gateway
from tests.conftest import ADMIN, BROWSER_UA, LiveServer
from tests.dashboard.conftest import DEMO_TOKEN, sha
from tests.dashboard.scenario import PER_DAY, SCRIPT_TITLE, TOTALS, hit_params

pytestmark = pytest.mark.browser

TODAY = datetime.now(UTC).date()
FIRST_DAY = TODAY - timedelta(days=2)
WEEK = f"?from={(TODAY - timedelta(days=6)).isoformat()}&to={TODAY.isoformat()}"
POLICY_CHANGES = {
    "token_sha256 = []": f'token_sha256 = ["{sha(DEMO_TOKEN)}"]',
    "consent_days = 180": "consent_days = 180\nreport_min_visitors = 2",
}


class Env:
    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser = browser
        self.server = server


class Watched:
    """A page with everything it reports collected: console messages, page errors, dialogs."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.console.append(m.text))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_clean(self) -> None:
        assert not [m for m in self.console if "Content Security Policy" in m], self.console
        assert not [m for m in self.console if "pageerror" in m], self.console
        assert self.dialogs == []
        injected = self.page.evaluate(
            "document.querySelectorAll('script, svg[onload], img, iframe, [onerror]').length"
        )
        assert injected == 0


def load_scenario(server: LiveServer) -> None:
    consent = urllib.request.Request(
        f"{server.base}/consent/demo",
        data=json.dumps({"granted": ["analytics"], "policy_version": "2026-01-01"}).encode(),
        headers={"Content-Type": "application/json", "Origin": server.base},
        method="POST",
    )
    with urllib.request.urlopen(consent, timeout=5) as response:
        token = json.load(response)["token"]
    for params in hit_params(server.base, token, FIRST_DAY):
        request = urllib.request.Request(
            f"{server.base}/matomo.php?{urllib.parse.urlencode(params)}",
            headers={"User-Agent": BROWSER_UA},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 204


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    directory: Path = tmp_path_factory.mktemp("dashboard")
    gateway = starting_gateway(directory, **POLICY_CHANGES)  # type: ignore[arg-type]
    with gateway as ready, chromium() as browser:
        server = ready()
        load_scenario(server)
        yield Env(browser, server)


def open_page(env: Env, width: int = 1280, **options: Any) -> Watched:
    context = env.browser.new_context(
        user_agent=BROWSER_UA, viewport={"width": width, "height": 900}, **options
    )
    context.set_default_timeout(10_000)
    return Watched(context.new_page())


def log_in(watched: Watched, env: Env, token: str = ADMIN, query: str = WEEK) -> None:
    page = watched.page
    response = page.goto(f"{env.server.base}/dashboard/demo{query}")
    assert response is not None and response.status == 200
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Log in").click()
    page.locator(".tiles").wait_for()


def no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[2] and widths[1] <= widths[2], widths


def test_login_shows_the_scenarios_tiles_and_chart_under_the_csp(env: Env) -> None:
    watched = open_page(env)
    page = watched.page
    response = page.goto(f"{env.server.base}/dashboard/demo{WEEK}")
    assert response is not None
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page.get_by_label("Access token").fill("not-the-token")
    page.get_by_role("button", name="Log in").click()
    assert "cannot open this site" in page.get_by_role("alert").inner_text()

    log_in(watched, env)
    for metric, expected in TOTALS.items():
        assert page.locator(f'[data-metric="{metric}"] .tile-value').inner_text() == expected
    assert page.get_by_role("link", name="Last 7 days").get_attribute("aria-current") == "true"

    card = page.locator('section[aria-labelledby="visits-h"]')
    chart = card.locator(".chart-wide svg")
    assert chart.is_visible() and not card.locator(".chart-narrow svg").is_visible()
    assert chart.get_attribute("role") == "img"
    tips = chart.locator("circle title").all_text_contents()
    for offset, (visits, views) in enumerate(PER_DAY):
        day = day_text(FIRST_DAY + timedelta(days=offset))
        assert f"{day}, visits: {visits}" in tips
        assert f"{day}, page views: {views}" in tips
    assert f"{day_text(TODAY)}, visits: 0" in tips
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600  # the stylesheet applied (width: 100%)

    page.get_by_text("Show the numbers as a table").first.click()
    row = page.locator("table.data tr", has_text=day_text(FIRST_DAY)).first
    # visitors, visits, views, and the visits of the same day of the previous (empty) week
    assert row.locator("td").all_inner_texts() == ["2", "2", "3", "0"]

    # The stored XSS attempts are plain text: visible as typed, nothing injected or run.
    titles = page.locator('[data-table="page_titles"]')
    assert titles.get_by_text(SCRIPT_TITLE, exact=True).is_visible()
    assert page.locator('[data-table="pages"]').get_by_text('/search?q="><svg').is_visible()
    watched.assert_clean()

    with page.expect_download() as download:
        page.locator('[data-table="pages"] a.csv').click()
    assert download.value.suggested_filename.startswith("demo-pages-")
    page.context.close()


def test_reads_well_at_phone_width(env: Env) -> None:
    watched = open_page(env, width=360, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = watched.page
    page.goto(f"{env.server.base}/dashboard/demo")
    no_horizontal_scroll(page)
    log_in(watched, env)
    no_horizontal_scroll(page)
    card = page.locator('section[aria-labelledby="visits-h"]')
    assert card.locator(".chart-narrow svg").is_visible()
    assert not card.locator(".chart-wide svg").is_visible()
    tiles = page.locator(".tile").all()
    first, second = (t.bounding_box() for t in tiles[:2])
    assert first is not None and second is not None
    assert first["y"] == second["y"]  # two tiles per row
    assert page.locator('[data-metric="visits"] .tile-value').inner_text() == TOTALS["visits"]
    watched.assert_clean()
    page.context.close()


def test_shared_link_is_public_read_only_and_hides_small_rows(env: Env) -> None:
    owner = open_page(env)
    log_in(owner, env, token=DEMO_TOKEN)
    owner.page.get_by_label("Link works").select_option("7")
    owner.page.get_by_role("button", name="Create link").click()
    url = owner.page.locator("#share-url").input_value()
    assert url.startswith(f"{env.server.base}/share/demo/")
    owner.assert_clean()
    owner.page.context.close()

    for width in (1280, 360):
        visitor = open_page(env, width=width)
        page = visitor.page
        response = page.goto(url + WEEK)
        assert response is not None and response.status == 200
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert page.get_by_text("Public dashboard").is_visible()
        assert page.locator('[data-metric="visits"] .tile-value').inner_text() == "4"
        pages = page.locator('[data-table="pages"] tbody th').all_inner_texts()
        assert pages == ["/", "/pricing"]  # /contact and the search had 1 visitor each
        assert page.locator("a[href*='/csv/']").count() == 0
        assert page.locator("input[type=password], form[method=post]").count() == 0
        assert page.context.cookies() == []
        no_horizontal_scroll(page)
        visitor.assert_clean()
        page.context.close()


def test_clicking_a_row_filters_and_the_chip_removes_it(env: Env) -> None:
    watched = open_page(env, java_script_enabled=False)  # plain links and forms suffice
    page = watched.page
    log_in(watched, env)
    page.locator('[data-table="pages"]').get_by_role("link", name="/pricing", exact=True).click()
    page.locator(".chips").wait_for()
    assert "filter=page%3A%2Fpricing" in page.url
    tiles = {m: page.locator(f'[data-metric="{m}"] .tile-value').inner_text() for m in TOTALS}
    assert (tiles["visits"], tiles["pageviews"], tiles["visitors"]) == ("2", "5", "2")
    assert page.locator(".chip .chip-value").inner_text() == "/pricing"
    # the date form keeps the filter
    page.get_by_role("button", name="Show").click()
    assert page.locator('[data-metric="visits"] .tile-value').inner_text() == "2"
    page.get_by_role("link", name="Remove the filter Page: /pricing").click()
    assert page.locator(".chip").count() == 0
    assert page.locator('[data-metric="visits"] .tile-value').inner_text() == TOTALS["visits"]
    no_horizontal_scroll(page)
    watched.assert_clean()
    page.context.close()
