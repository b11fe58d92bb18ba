"""Withdrawal, re-consent and Global Privacy Control, in real Chromium.

- Requirement 7: a persistent control; withdrawing is recorded, stops scripts, deletes the
  declared cookies in every variant, and lets the gateway expire its HttpOnly ones.
- Requirement 8: a new policy version asks again with a note on what changed; a choice, a
  refusal too, is kept for ``consent_days`` and then asked again.
- Requirement 9: Global Privacy Control (``Sec-GPC: 1`` or ``navigator.globalPrivacyControl``)
  rejects all without the banner or a cookie, recorded once; a later explicit choice wins.

The site here is ``http://www.site.test:<port>`` (Chromium resolves it to 127.0.0.1), so cookies
can also live on the parent domain ``.site.test``. The demo policy is at a new version with a
note on what changed, and declares one more analytics cookie, an HttpOnly one of the gateway.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, Request, Route

from tests.browser.banner_kit import (
    Env,
    banner_env,
    banner_tag,
    control,
    first_layer,
    record_by_id,
    serve_on_gateway,
    settings_layer,
    stored_choice,
    superseding,
    wait_until,
)

pytestmark = pytest.mark.browser

# The demo policy's analytics cookies, plus an HttpOnly cookie of the gateway's host that only
# the gateway can expire.
DECLARED = {
    'cookies = ["_pk_id.*", "_pk_ses.*"]': 'cookies = ["_pk_id.*", "_pk_ses.*", "srv_stat"]'
}
# A new policy version, with a note on what changed.
VERSION = "2026-03-01"
CHANGES_FI = "Lisäsimme sivustolle YouTube-videoita."
POLICY_CHANGES = {
    'version = "2026-01-01"': (
        f'version = "{VERSION}"\n'
        f'changes.fi = "{CHANGES_FI}"\n'
        'changes.sv = "Vi har lagt till YouTube-videor på webbplatsen."\n'
        'changes.en = "We added YouTube videos to the site."'
    )
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with banner_env(
        tmp_path_factory.mktemp("choices"),
        site_host="www.site.test",
        browser_args=("--host-resolver-rules=MAP *.site.test 127.0.0.1",),
        **DECLARED,
        **POLICY_CHANGES,
    ) as value:
        (value.site.directory / "shop" / "cart").mkdir(parents=True)
        yield value


# ---- requirement 7: withdrawal ------------------------------------------------------------------
#
# Withdrawing is as easy as consenting. A small persistent control opens the settings on every
# page once a choice exists, reachable with the first Tab press. Withdrawing (in the settings
# layer or with ``gatewayConsent.withdraw()``) is recorded like any choice, stops the category's
# scripts (a script that already ran is stopped by reloading the page once), deletes the cookies
# the policy declares for the category in every path and domain variant the page can address,
# and lets the gateway expire its HttpOnly ones.

ANALYTICS_SCRIPT = """
<script type="text/plain" data-gw-category="analytics">
  window.analyticsRuns = (window.analyticsRuns || 0) + 1;
  window.ticker = setInterval(function () { window.ticks = (window.ticks || 0) + 1; }, 20);
  document.cookie = "_pk_ses.1.abcd=1; path=/";
</script>
"""


def accept_all(page: Page) -> dict[str, Any]:
    first = first_layer(page)
    first.wait_for(state="visible")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        first.get_by_role("button", name="Hyväksy kaikki").click()
    assert answer.value.status == 201
    first.wait_for(state="hidden")
    choice: dict[str, Any] = stored_choice(page)
    return choice


def cookie_names(page: Page) -> list[tuple[str, str, str]]:
    return sorted((c["name"], c["domain"], c["path"]) for c in page.context.cookies())


def test_control_is_on_every_page_and_the_first_tab_stop(env: Env) -> None:
    page = env.page()
    links = "".join(f'<a href="#l{i}">Link {i}</a> ' for i in range(10))
    page.goto(env.site_page("one.html", body=links))
    button = control(page)
    assert not button.is_visible()  # the first layer asks first
    accept_all(page)
    for name in ("one.html", "two.html"):
        page.goto(env.site_page(name, body=links))
        button.wait_for(state="visible")
        assert button.get_attribute("aria-label") == "Evästeasetukset"
        presses = 0
        while presses < 3 and page.evaluate("document.activeElement.className") != (
            "gw-root gw-ctl"
        ):
            page.keyboard.press("Tab")
            presses += 1
        assert presses == 1
        box = button.bounding_box()
        assert box and box["width"] <= 48 and box["height"] <= 48
        assert button.evaluate("e => getComputedStyle(e).position") == "fixed"
    page.keyboard.press("Enter")
    settings_layer(page).wait_for(state="visible")
    page.context.close()


def test_withdraw_in_settings_stops_scripts_deletes_cookies_and_is_recorded(env: Env) -> None:
    page = env.page()
    url = env.site_page("shop/cart/page.html", body=ANALYTICS_SCRIPT)
    page.goto(url)
    accepted = accept_all(page)
    page.wait_for_function("window.ticks > 2")
    origin = env.site.origin
    variants = [
        {"url": origin + "/"},
        {"url": origin + "/shop", "path": "/shop"},
        {"url": origin + "/shop/cart/", "path": "/shop/cart/"},
        {"url": origin + "/shop/cart/page.html", "path": "/shop/cart/page.html"},
        {"domain": ".site.test", "path": "/"},
        {"domain": ".site.test", "path": "/shop/cart"},
    ]
    cookies: list[Any] = [
        {"name": "_pk_id.1.abcd", "value": "v", **variant} for variant in variants
    ]
    cookies.append({"name": "theme", "value": "dark", "domain": ".site.test", "path": "/"})
    for cookie in cookies:
        if "url" in cookie and "path" in cookie:
            cookie["domain"] = "www.site.test"
            del cookie["url"]
    page.context.add_cookies(cookies)
    assert sum(name.startswith("_pk_") for name, _, _ in cookie_names(page)) == 7
    page.evaluate("window.beforeWithdraw = true")

    control(page).click()
    dialog = settings_layer(page)
    dialog.wait_for(state="visible")
    with page.expect_navigation():  # the script that ran is stopped by a reload
        dialog.get_by_role("button", name="Peruuta suostumus").click()
    control(page).wait_for(state="visible")
    assert page.evaluate("[window.beforeWithdraw, window.analyticsRuns, window.ticks]") == [
        None,
        None,
        None,
    ]
    assert page.locator('script[type="text/plain"][data-gw-category="analytics"]').count() == 1
    assert not first_layer(page).is_visible()  # the withdrawal is remembered as a refusal
    names = cookie_names(page)
    assert [n for n in names if n[0].startswith("_pk_")] == []
    assert ("theme", ".site.test", "/") in names

    choice = stored_choice(page)
    assert (choice["source"], choice["granted"], choice["token"]) == (
        "withdraw",
        ["necessary"],
        None,
    )

    record = wait_until(lambda: superseding(env.server, accepted["consent_id"]))
    assert record and record["action"] == "withdraw"
    page.context.close()


def test_withdraw_api_on_a_same_site_gateway_expires_its_httponly_cookies(env: Env) -> None:
    page = env.page()
    html = (
        "<!doctype html><html lang='fi'><head><title>Same site</title>"
        f"{banner_tag(env.server, 'async')}</head><body><main>Page</main></body></html>"
    )
    url = serve_on_gateway(page, env.server, "withdraw.html", html, "text/html")
    page.goto(url)
    accepted = accept_all(page)
    host = env.server.base.split("//")[1].split(":")[0]
    assert ("gw_consent", host, "/") in cookie_names(page)  # HttpOnly, set by the gateway
    page.context.add_cookies(
        [{"name": "srv_stat", "value": "1", "url": env.server.base + "/", "httpOnly": True}]
    )
    assert page.evaluate("document.cookie") == ""  # scripts cannot see or delete them

    assert page.evaluate("gatewayConsent.withdraw()") is True
    names = [n for n, _, _ in cookie_names(page)]
    assert "gw_consent" not in names and "srv_stat" not in names
    assert page.evaluate("gatewayConsent.get().granted") == ["necessary"]
    record = wait_until(lambda: superseding(env.server, accepted["consent_id"]))
    assert record and record["action"] == "withdraw"
    page.context.close()


# ---- requirement 8: re-consent and memory -------------------------------------------------------
#
# A new policy version asks again, with a note on what changed; a choice expires after
# ``consent_days`` (180 in the demo policy), and a refusal is remembered just as long.

ANALYTICS = (
    '<script type="text/plain" data-gw-category="analytics">window.analyticsRan = true;</script>'
)


def test_a_new_policy_version_asks_again_with_what_changed(env: Env) -> None:
    now = time.time() * 1000
    earlier = {
        "granted": ["analytics", "marketing", "necessary", "social"],
        "services": [],
        "consent_id": "00000000-0000-4000-8000-000000000000",
        "token": "old-token",
        "version": "2026-01-01",
        "at": now - 86_400_000,
        "expires_at": datetime.fromtimestamp(now / 1000 + 170 * 86400, UTC).isoformat(),
        "source": "banner",
        "chosen": True,
    }
    page = env.page()
    seed = json.dumps(json.dumps(earlier))  # a choice stored under the previous version, once
    page.add_init_script(
        "if (!sessionStorage.seeded) { sessionStorage.seeded = 1;"
        f" localStorage.setItem('gw_consent.demo', {seed}); }}"
    )
    page.goto(env.site_page("changed.html", body=ANALYTICS))
    first = first_layer(page)
    first.wait_for(state="visible")
    description = page.locator("#gw-d").inner_text()
    assert "Käytäntömme on muuttunut, joten kysymme valintaasi uudelleen." in description
    assert CHANGES_FI in description
    assert page.evaluate("window.analyticsRan") is None  # the old consent no longer counts
    assert page.evaluate("gatewayConsent.get()") is None

    first.get_by_role("button", name="Hylkää kaikki").click()
    first.wait_for(state="hidden")
    assert stored_choice(page)["version"] == VERSION
    page.reload()
    control(page).wait_for(state="visible")
    assert not first.is_visible()
    page.context.close()


@pytest.mark.parametrize("button", ["Hyväksy kaikki", "Hylkää kaikki"])
def test_a_choice_is_kept_for_consent_days_then_asked_again(env: Env, button: str) -> None:
    page = env.page()
    page.goto(env.site_page("memory.html", body=ANALYTICS))
    first = first_layer(page)
    first.wait_for(state="visible")
    first.get_by_role("button", name=button).click()
    first.wait_for(state="hidden")
    chosen_at = datetime.now(UTC)

    page.clock.set_fixed_time(chosen_at + timedelta(days=179))
    page.reload()
    control(page).wait_for(state="visible")
    assert not first.is_visible()
    assert page.evaluate("window.analyticsRan === true") is (button == "Hyväksy kaikki")

    page.clock.set_fixed_time(chosen_at + timedelta(days=181))
    page.reload()
    first.wait_for(state="visible")
    assert page.evaluate("window.analyticsRan") is None
    assert page.evaluate("gatewayConsent.get()") is None
    assert page.locator("#gw-d p[hidden]").count() == 1  # no "policy changed" note
    page.context.close()


def test_a_policy_change_while_the_banner_is_open_asks_again(env: Env) -> None:
    page = env.page()
    page.goto(env.site_page("changing.html"))
    first = first_layer(page)
    first.wait_for(state="visible")

    # The gateway's policy changes now: the choice is answered 409, the new config says so.
    def conflict(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        route.fulfill(
            status=409,
            json={"error": "the policy has changed; ask again", "policy_version": "2099-01-01"},
            headers={
                "Access-Control-Allow-Origin": env.site.origin,
                "Access-Control-Allow-Credentials": "true",
            },
        )

    def newer(route: Route) -> None:
        config = route.fetch().json()
        config.update(version="2099-01-01", changes="Uusi palvelu lisätty.")
        route.fulfill(json=config, headers={"Access-Control-Allow-Origin": "*"})

    page.route(f"{env.server.base}/consent/demo", conflict)
    page.route(f"{env.server.base}/consent/demo/config*", newer)
    first.get_by_role("button", name="Hyväksy kaikki").click()
    page.wait_for_function("document.querySelector('#gw-d p:not([hidden]) + p:not([hidden])')")
    description = page.locator("#gw-d").inner_text()
    assert "Käytäntömme on muuttunut" in description and "Uusi palvelu lisätty." in description
    assert first.is_visible()
    assert stored_choice(page) is None  # nothing was recorded
    page.context.close()


# ---- requirement 9: Global Privacy Control ------------------------------------------------------
#
# A visitor whose browser sends ``Sec-GPC: 1`` (read by the gateway into the config) or exposes
# ``navigator.globalPrivacyControl === true``, and who has no stored choice, gets "reject all"
# applied without the banner, recorded once with source "gpc", and no cookie. An explicit choice
# made later through the persistent control overrides it. The gateway serves
# ``/.well-known/gpc.json``.

NAVIGATOR_GPC = (
    "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"
)


def consent_posts(page: Page) -> list[Request]:
    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    return posts


def check_gpc_applied(env: Env, page: Page, url: str) -> dict[str, Any]:
    posts = consent_posts(page)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.goto(url)
    assert answer.value.status == 201
    assert "gw_consent=" not in (answer.value.headers.get("set-cookie") or "")
    body = json.loads(answer.value.request.post_data or "{}")
    assert (body["granted"], body["services"], body["source"]) == ([], [], "gpc")
    control(page).wait_for(state="visible")
    assert not first_layer(page).is_visible()  # never shown
    choice: dict[str, Any] = stored_choice(page)
    assert (choice["source"], choice["granted"]) == ("gpc", ["necessary"])
    record = wait_until(lambda: record_by_id(env.server, choice["consent_id"]))
    assert record and record["source"] == "gpc" and record["granted"] == '["necessary"]'
    assert page.context.cookies() == []

    page.reload()  # recorded once: the next page view remembers it
    control(page).wait_for(state="visible")
    page.wait_for_timeout(300)
    assert len(posts) == 1
    assert not first_layer(page).is_visible()
    return choice


def test_sec_gpc_header_rejects_all_without_banner_or_cookie(env: Env) -> None:
    page = env.page(extra_http_headers={"Sec-GPC": "1"})
    configs: list[Any] = []
    page.on("response", lambda r: configs.append(r.json()) if "/config" in r.url else None)
    gpc = check_gpc_applied(env, page, env.site_page("gpc-header.html"))
    assert configs[0]["gpc"] is True
    assert page.evaluate("navigator.globalPrivacyControl") is not True

    # An explicit later choice overrides the signal, and is remembered.
    control(page).click()
    dialog = settings_layer(page)
    dialog.wait_for(state="visible")
    assert "Global Privacy Control" in dialog.locator(".gw-note").inner_text()
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        dialog.get_by_role("button", name="Hyväksy kaikki").click()
    assert json.loads(answer.value.request.post_data or "{}")["source"] == "banner"
    dialog.wait_for(state="hidden")
    record = wait_until(lambda: superseding(env.server, gpc["consent_id"]))
    assert record and record["action"] == "accept_all"
    page.reload()
    control(page).wait_for(state="visible")
    assert stored_choice(page)["granted"] == ["analytics", "marketing", "necessary", "social"]
    page.context.close()


def test_navigator_global_privacy_control_rejects_all_too(env: Env) -> None:
    page = env.page()
    page.add_init_script(NAVIGATOR_GPC)
    configs: list[Any] = []
    page.on("response", lambda r: configs.append(r.json()) if "/config" in r.url else None)
    check_gpc_applied(env, page, env.site_page("gpc-navigator.html"))
    assert configs[0]["gpc"] is False
    page.context.close()


def test_gpc_json_is_served(env: Env) -> None:
    with urllib.request.urlopen(f"{env.server.base}/.well-known/gpc.json", timeout=5) as r:
        assert json.loads(r.read())["gpc"] is True
