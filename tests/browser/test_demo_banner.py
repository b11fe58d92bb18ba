"""The demo in a real headless Chromium: banner -> consent record -> page view only after Accept.

Debian's Chromium is driven by Playwright (``executable_path``; no browser download) against a
running ``gateway serve`` process. The browser's user agent is set to a normal desktop Chrome:
the gateway drops ``HeadlessChrome`` as a bot, as it should.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.banner_kit import chromium
from tests.conftest import BROWSER_UA, LiveServer, rows

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(user_agent=BROWSER_UA, locale="fi-FI")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def wait_for_rows(server: LiveServer, sql: str, count: int, timeout: float = 10) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = rows(server.db_path, sql) if server.db_path.exists() else []
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_accept_all_records_consent_and_counts_page_views(
    live_server: LiveServer, page: Page
) -> None:
    page.goto(f"{live_server.base}/")
    accept = page.get_by_role("button", name="Hyväksy kaikki")
    accept.wait_for(state="visible", timeout=10_000)
    assert rows(live_server.db_path, "SELECT * FROM hits") == []  # nothing before a choice
    with page.expect_response(lambda r: r.url.endswith("/consent/demo")) as answer:
        accept.click()
    assert answer.value.status == 201
    (record,) = wait_for_rows(live_server, "SELECT * FROM consents", 1)
    assert record["action"] == "accept_all"
    assert record["lang"] == "fi"
    (hit,) = wait_for_rows(live_server, "SELECT * FROM hits", 1)
    assert hit["consent_id"] == record["consent_id"]
    assert hit["url"] == f"{live_server.base}/"
    assert hit["ip"] == "127.0.0.0"
    assert not page.get_by_role("button", name="Hyväksy kaikki").is_visible()

    page.goto(f"{live_server.base}/about")  # the choice is remembered: no banner, counted
    hits = wait_for_rows(live_server, "SELECT * FROM hits ORDER BY id", 2)
    assert [h["url"] for h in hits] == [f"{live_server.base}/", f"{live_server.base}/about"]
    assert hits[0]["visitor_id"] and hits[0]["visitor_id"] == hits[1]["visitor_id"]
    page.wait_for_timeout(300)
    assert not page.get_by_role("button", name="Hyväksy kaikki").is_visible()


def test_reject_all_records_the_refusal_and_stores_no_hit(
    live_server: LiveServer, page: Page
) -> None:
    page.goto(f"{live_server.base}/")
    reject = page.get_by_role("button", name="Hylkää kaikki")
    reject.wait_for(state="visible", timeout=10_000)
    with page.expect_response(lambda r: r.url.endswith("/consent/demo")) as answer:
        reject.click()
    assert answer.value.status == 201
    (record,) = wait_for_rows(live_server, "SELECT * FROM consents", 1)
    assert record["action"] == "reject_all"
    page.goto(f"{live_server.base}/about")
    page.wait_for_timeout(1500)
    assert rows(live_server.db_path, "SELECT * FROM hits") == []


def test_settings_layer_custom_choice_and_reopen(live_server: LiveServer, page: Page) -> None:
    page.goto(f"{live_server.base}/")
    page.get_by_role("button", name="Asetukset").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for(state="visible")
    necessary = dialog.get_by_role("checkbox").first
    assert necessary.is_checked() and necessary.is_disabled()
    optional = dialog.get_by_role("checkbox").all()[1:]
    assert optional and not any(box.is_checked() for box in optional)  # never pre-ticked
    dialog.get_by_role("checkbox", name="Analytiikka").check()
    with page.expect_response(lambda r: r.url.endswith("/consent/demo")) as answer:
        dialog.get_by_role("button", name="Tallenna valinnat").click()
    assert answer.value.status == 201
    (record,) = wait_for_rows(live_server, "SELECT * FROM consents", 1)
    assert record["action"] == "custom"
    assert record["granted"] == '["analytics", "necessary"]'
    wait_for_rows(live_server, "SELECT * FROM hits", 1)

    page.locator("[data-gw-consent-open]").first.click()  # reopen from the footer link
    reopened = page.get_by_role("dialog")
    reopened.wait_for(state="visible")
    assert reopened.get_by_role("checkbox", name="Analytiikka").is_checked()


def test_demo_shows_embed_blocked_script_control_and_api(
    live_server: LiveServer, page: Page
) -> None:
    page.route("https://www.youtube-nocookie.com/**", lambda route: route.abort())
    page.goto(f"{live_server.base}/")
    video = page.locator(".embed")
    video.get_by_role("button", name="Lataa sisältö").wait_for(state="visible")
    assert video.locator("iframe").count() == 0
    assert page.locator("#demo-script").inner_text() == "Ei suoritettu"

    page.get_by_role("button", name="Hyväksy kaikki").click()
    video.locator("iframe").wait_for(state="attached")
    assert "youtube-nocookie.com/embed/" in str(video.locator("iframe").get_attribute("src"))
    page.wait_for_function("document.getElementById('demo-id').textContent.length > 30")
    assert page.locator("#demo-script").inner_text().startswith("Suoritettu")
    assert page.locator("#demo-source").inner_text() == "oma valinta"
    assert "analytics_storage: granted" in page.locator("#demo-gcm").inner_text()

    page.goto(f"{live_server.base}/about")  # the persistent control on every page
    control = page.get_by_role("button", name="Evästeasetukset", exact=True)
    control.wait_for(state="visible")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Evästeasetukset"

    page.goto(f"{live_server.base}/")
    page.wait_for_function("document.getElementById('demo-id').textContent.length > 30")
    with page.expect_navigation():  # the analytics script ran: withdrawing reloads the page
        page.locator("#demo-withdraw").click()
    page.wait_for_function("document.getElementById('demo-source').textContent !== '–'")
    assert page.locator("#demo-source").inner_text() == "suostumus peruutettu"
    assert page.locator("#demo-script").inner_text() == "Ei suoritettu"
    video.get_by_role("button", name="Lataa sisältö").wait_for(state="visible")
