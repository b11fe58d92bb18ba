"""The first layer in real Chromium: its size, what it does (nothing) before a choice, its
honesty, its languages, and the page API with its proof round trip.

- Requirement 1 (size): before the first layer shows, at most two requests (banner.js and the
  site's config in one language), at most 6,000 bytes gzip -9 together; the settings layer (its
  script and the category details) loads only when opened, at most 5,000 bytes more. Measured
  on the bodies Chromium fetched. Every response is public and cacheable.
- Requirement 2 (no side effects): on a page with a Google tag and a Matomo snippet, before a
  choice: no request to another host than the page's and the gateway's, no cookie, no storage,
  no tag script, no hit; scrolling, Escape and waiting never count as consent.
- Requirement 3 (honest): Accept all, Reject all and Settings on the first layer; accept and
  reject look exactly alike; no optional category is on by default.
- Requirement 5 (languages): ``<html lang>``, then the browser's languages, then the policy's
  default; a policy overrides any built-in text (site ``other`` here).
- Requirements 13 and 14: ``window.gatewayConsent`` (open, get, on('change'), withdraw) and the
  ``gw:consent`` event; a click is in ``GET /api/sites/demo/consents`` within one second.
"""

from __future__ import annotations

import gzip
import time
import tomllib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, Response, Route

from tests.browser.banner_kit import (
    EMBED_YOUTUBE,
    FAKE_MATOMO,
    ROOT,
    Env,
    banner_env,
    consent_records,
    first_layer,
    settings_layer,
    stored_choice,
)

pytestmark = pytest.mark.browser

FIRST_BUDGET = 6000
SETTINGS_BUDGET = 5000
# Site "other": the demo policy with texts overridden as a site owner writes them.
OVERRIDES = {
    'title = "Evästeet ja yksityisyys"': 'title = "Koneyrittäjien evästeet"',
    'accept_all = "Hyväksy kaikki"': 'accept_all = "Hyväksy kaikki evästeet"',
    'save = "Tallenna valinnat"': 'save = "Tallenna omat valinnat"',
    'close = "Sulje"': 'close = "Sulje"\nembed_load = "Näytä video"',
}
GTAG = """
<script type="text/plain" data-gw-category="analytics" async
  src="https://www.googletagmanager.com/gtag/js?id=G-TEST"></script>
<script type="text/plain" data-gw-category="analytics">
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-TEST');
</script>
"""
STYLE = """e => {
  const s = getComputedStyle(e), r = e.getBoundingClientRect();
  return {background: s.backgroundColor, color: s.color, border: s.borderTopColor,
          borderWidth: s.borderTopWidth, fontFamily: s.fontFamily, fontSize: s.fontSize,
          fontWeight: s.fontWeight, padding: s.padding, radius: s.borderTopLeftRadius,
          width: Math.round(r.width), height: Math.round(r.height)};
}"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with banner_env(tmp_path_factory.mktemp("first-layer"), other_site=OVERRIDES) as value:
        (value.site.directory / "fake_matomo.js").write_bytes(FAKE_MATOMO.read_bytes())
        yield value


# ---- requirement 1: size ------------------------------------------------------------------------


def gz(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=9, mtime=0))


def short(response: Response) -> str:
    return response.url.split("/consent/", 1)[1]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_first_layer_and_settings_fit_their_budgets(env: Env, lang: str) -> None:
    page = env.page()
    fetched: list[Response] = []
    page.on("response", lambda r: fetched.append(r) if r.url.startswith(env.server.base) else None)
    page.goto(env.site_page(f"budget-{lang}.html", lang=lang))
    first_layer(page).wait_for(state="visible")

    before = list(fetched)
    assert [short(r) for r in before] == ["banner.js", f"demo/config?lang={lang}"]
    first_sizes = {short(r): (len(r.body()), gz(r.body())) for r in before}
    first_total = sum(z for _, z in first_sizes.values())

    first_layer(page).get_by_role("button").nth(2).click()  # Settings
    settings_layer(page).wait_for(state="visible")
    later = fetched[len(before) :]
    assert sorted(short(r) for r in later) == ["banner-settings.js", f"demo/details?lang={lang}"]
    settings_sizes = {short(r): (len(r.body()), gz(r.body())) for r in later}
    settings_total = sum(z for _, z in settings_sizes.values())

    for label, sizes, total in (
        ("first layer", first_sizes, first_total),
        ("settings adds", settings_sizes, settings_total),
    ):
        parts = ", ".join(f"{n} {raw} B raw / {z} B gzip -9" for n, (raw, z) in sizes.items())
        print(f"[{lang}] {label}: {parts}; total {total} B gzip -9")
    assert first_total <= FIRST_BUDGET, first_sizes
    assert settings_total <= SETTINGS_BUDGET, settings_sizes

    for response in before + later:  # cacheable, and nothing per visitor
        assert response.status == 200
        headers = response.headers
        assert "public" in headers.get("cache-control", ""), (response.url, headers)
        assert "set-cookie" not in headers
        assert "cookie" not in headers.get("vary", "").lower()
    page.context.close()


# ---- requirement 2: no side effects before a choice ---------------------------------------------


def matomo_snippet(tracker_url: str) -> str:
    return f"""
<script>
  var _paq = window._paq = window._paq || [];
  _paq.push(['requireConsent']);
  _paq.push(['trackPageView']);
  _paq.push(['enableLinkTracking']);
  _paq.push(['setTrackerUrl', '{tracker_url}']);
  _paq.push(['setSiteId', '1']);
</script>
<script src="fake_matomo.js" async></script>
"""


def test_nothing_happens_before_a_choice(env: Env) -> None:
    long_page = "".join(f"<p>Paragraph {i}.</p>" for i in range(120))
    url = env.site_page(
        "tags.html", head=GTAG + matomo_snippet(f"{env.server.base}/matomo.php"), body=long_page
    )
    page = env.page()
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    google: list[str] = []

    def block_google(route: Route) -> None:
        google.append(route.request.url)
        route.abort()

    page.route("https://www.googletagmanager.com/**", block_google)
    page.goto(url)
    first = first_layer(page)
    first.wait_for(state="visible")
    page.wait_for_function("window.fakeMatomo !== undefined")  # Matomo is there, waiting

    # Scroll, press Escape inside the first layer, wait: none of it is consent.
    page.mouse.wheel(0, 3000)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    first.get_by_role("button").first.focus()
    page.keyboard.press("Escape")
    page.wait_for_timeout(1000)
    assert first.is_visible()

    allowed = {urlsplit(url).netloc, urlsplit(env.server.base).netloc}
    hosts = {urlsplit(r.url).netloc for r in requests}
    assert hosts <= allowed, hosts - allowed
    assert google == []
    assert [r.url for r in requests if "matomo.php" in r.url] == []
    assert [r for r in requests if r.method != "GET"] == []  # nothing recorded
    assert page.context.cookies() == []
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("sessionStorage.length") == 0
    assert page.evaluate("window.gtag") is None  # the inline tag did not run
    assert page.evaluate("window.fakeMatomo.sent") == []
    assert page.evaluate("window.gatewayConsent.get()") is None
    page.context.close()


# ---- requirement 3: an honest first layer -------------------------------------------------------


def test_first_layer_is_honest_in_light_and_dark(env: Env) -> None:
    page = env.page()
    page.goto(env.site_page("honest.html"))
    first = first_layer(page)
    first.wait_for(state="visible")
    buttons = first.get_by_role("button")
    assert buttons.all_inner_texts() == ["Hyväksy kaikki", "Hylkää kaikki", "Asetukset"]
    looks = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        accept, reject = buttons.nth(0).evaluate(STYLE), buttons.nth(1).evaluate(STYLE)
        assert accept == reject, scheme
        looks.append(accept["background"])
    assert looks[0] != looks[1]  # the dark scheme is really applied

    buttons.nth(2).click()
    dialog = settings_layer(page)
    dialog.wait_for(state="visible")
    boxes = dialog.get_by_role("checkbox")
    necessary = boxes.first
    assert necessary.is_checked() and necessary.is_disabled()
    optional = boxes.all()[1:]
    assert len(optional) == 3 and not any(box.is_checked() for box in optional)
    save, accept_all, reject_all = dialog.locator(".gw-btns").first.get_by_role("button").all()
    assert accept_all.evaluate(STYLE) == reject_all.evaluate(STYLE) == save.evaluate(STYLE)
    page.context.close()


# ---- requirement 5: languages -------------------------------------------------------------------


def browser_languages(*languages: str) -> str:
    listed = ", ".join(f"'{lang}'" for lang in languages)
    return (
        f"Object.defineProperty(Navigator.prototype, 'languages', {{get: () => [{listed}]}});"
        f"Object.defineProperty(Navigator.prototype, 'language', {{get: () => '{languages[0]}'}});"
    )


def open_and_read(page: Page, url: str) -> tuple[str, str, list[str]]:
    """Load ``url``; return the banner's lang, its title and the config URLs fetched."""
    configs: list[str] = []
    page.on("request", lambda r: configs.append(r.url) if "/config" in r.url else None)
    page.goto(url)
    first_layer(page).wait_for(state="visible")
    lang = str(page.locator("#gw-consent").get_attribute("lang"))
    return lang, page.locator("#gw-t").inner_text(), [c.split("/consent/")[1] for c in configs]


def test_language_from_html_lang_first(env: Env) -> None:
    page = env.page(locale="en-GB")
    lang, title, configs = open_and_read(page, env.site_page("sv.html", lang="sv-FI"))
    assert (lang, title, configs) == ("sv", "Kakor och integritet", ["demo/config?lang=sv"])
    buttons = first_layer(page).get_by_role("button").all_inner_texts()
    assert buttons == ["Godkänn alla", "Avvisa alla", "Inställningar"]
    first_layer(page).get_by_role("button", name="Inställningar").click()
    dialog = settings_layer(page)
    dialog.wait_for(state="visible")
    assert dialog.get_by_role("heading").inner_text() == "Kakinställningar"
    assert dialog.get_by_role("checkbox", name="Analys").is_visible()
    page.context.close()


def test_language_from_the_browser_when_the_page_has_none(env: Env) -> None:
    page = env.page(locale="en-GB")
    result = open_and_read(page, env.site_page("nolang.html", lang=""))
    assert result == ("en", "Cookies and privacy", ["demo/config?lang=en"])
    page.context.close()

    # The browser's first language is not offered but a later one is: that one is used.
    page = env.page()
    page.add_init_script(browser_languages("de-DE", "de", "sv-FI", "sv"))
    lang, title, configs = open_and_read(page, env.site_page("nolang.html", lang=""))
    assert (lang, title) == ("sv", "Kakor och integritet")
    assert configs == ["demo/config?lang=de", "demo/config?lang=sv"]
    page.context.close()


def test_language_is_the_policy_default_when_nothing_matches(env: Env) -> None:
    page = env.page(locale="de-DE")
    url = env.site_page("de.html", lang="de", site="other")
    lang, title, configs = open_and_read(page, url)
    assert (lang, configs) == ("fi", ["other/config?lang=de"])
    assert title == "Koneyrittäjien evästeet"
    page.context.close()


def test_policy_overrides_first_layer_and_settings_texts(env: Env) -> None:
    page = env.page()
    page.goto(env.site_page("override.html", body=EMBED_YOUTUBE, site="other"))
    first = first_layer(page)
    first.wait_for(state="visible")
    assert page.locator("#gw-t").inner_text() == "Koneyrittäjien evästeet"
    assert first.get_by_role("button").all_inner_texts() == [
        "Hyväksy kaikki evästeet",
        "Hylkää kaikki",
        "Asetukset",
    ]
    assert page.locator(".gw-ph").get_by_role("button").inner_text() == "Näytä video"
    first.get_by_role("button", name="Asetukset").click()
    dialog = settings_layer(page)
    dialog.wait_for(state="visible")
    assert dialog.get_by_role("button", name="Tallenna omat valinnat").is_visible()
    assert dialog.get_by_role("button", name="Sulje").is_visible()
    page.context.close()


def test_built_in_texts_are_complete_in_every_language() -> None:
    path = ROOT / "gateway" / "consent" / "default_texts.toml"
    texts = tomllib.loads(path.read_text(encoding="utf-8"))
    assert set(texts) == {"first", "settings"}
    for group in texts.values():
        assert set(group) == {"fi", "sv", "en"}
        keys = {lang: set(strings) for lang, strings in group.items()}
        assert keys["fi"] == keys["sv"] == keys["en"]
        for strings in group.values():
            assert all(value.strip() for value in strings.values())
            if "embed_text" in strings:
                assert "{service}" in strings["embed_text"]


# ---- requirements 13 and 14: the page API and the proof round trip ------------------------------

LISTEN = """() => {
  window.changes = []; window.events = [];
  gatewayConsent.on('change', d => changes.push(d));
  document.addEventListener('gw:consent', e => events.push(e.detail));
}"""


def test_page_api_open_get_on_change_withdraw(env: Env) -> None:
    page = env.page()
    page.goto(env.site_page("api.html", body='<button id="mine">Site button</button>'))
    first = first_layer(page)
    first.wait_for(state="visible")
    assert page.evaluate("typeof window.gwConsent") == "undefined"
    assert page.evaluate("Object.keys(gatewayConsent).sort()") == [
        "get",
        "on",
        "open",
        "withdraw",
    ]
    assert page.evaluate("gatewayConsent.get()") is None
    page.evaluate(LISTEN)

    page.focus("#mine")
    page.evaluate("gatewayConsent.open()")
    settings_layer(page).wait_for(state="visible")
    page.keyboard.press("Escape")
    settings_layer(page).wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "mine"  # back to the opener

    first.get_by_role("button", name="Hyväksy kaikki").click()
    page.wait_for_function("changes.length === 1")
    detail: dict[str, Any] = page.evaluate("changes[0]")
    assert detail["granted"] == ["analytics", "marketing", "necessary", "social"]
    assert detail["source"] == "banner" and detail["consent_id"] and detail["token"]
    assert page.evaluate("events") == [detail]
    assert page.evaluate("gatewayConsent.get()") == detail == stored_choice(page)

    assert page.evaluate("gatewayConsent.withdraw()") is True
    page.wait_for_function("changes.length === 2")
    after = page.evaluate("changes[1]")
    assert (after["granted"], after["source"], after["token"]) == (["necessary"], "withdraw", None)
    assert page.evaluate("events.length") == 2
    page.context.close()


def test_a_click_is_in_the_ledger_api_within_one_second(env: Env) -> None:
    page = env.page()
    page.goto(env.site_page("proof.html"))
    first = first_layer(page)
    first.wait_for(state="visible")
    before = len(consent_records(env.server))
    clicked = time.monotonic()
    first.get_by_role("button", name="Hylkää kaikki").click()
    while len(records := consent_records(env.server)) == before:
        assert time.monotonic() - clicked < 1.0, "the choice did not reach the ledger API in 1 s"
        time.sleep(0.02)
    elapsed = time.monotonic() - clicked
    print(f"click -> GET /api/sites/demo/consents: {elapsed * 1000:.0f} ms")
    assert elapsed < 1.0
    newest = records[-1]
    page.wait_for_function("gatewayConsent.get() !== null")
    assert newest["consent_id"] == stored_choice(page)["consent_id"]
    assert newest["action"] == "reject_all"
    page.context.close()
