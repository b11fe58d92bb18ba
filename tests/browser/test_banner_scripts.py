"""Blocked scripts, embeds, Google Consent Mode and Matomo, in real Chromium.

- Requirement 6: scripts blocked with ``type="text/plain"`` run once, in the same page view,
  when their category is granted; embeds show an accessible placeholder whose button records a
  consent for that one service.
- Requirement 10: Google Consent Mode v2 (basic): ``default`` before any Google tag, one
  ``update`` per decision and per page view with a stored choice; Google tags load only after
  analytics or marketing is granted.
- Requirement 11: Matomo interop with a test double of matomo.js (``fake_matomo.js``), on a
  same-site and a cross-site gateway.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Request, Route

from tests.browser.banner_kit import (
    EMBED_YOUTUBE,
    FAKE_MATOMO,
    Env,
    banner_env,
    control,
    first_layer,
    hits_for,
    record_by_id,
    serve_on_gateway,
    settings_layer,
    stored_choice,
    superseding,
    wait_until,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with banner_env(tmp_path_factory.mktemp("scripts")) as value:
        (value.site.directory / "analytics-tag.js").write_text(
            "window.srcRuns = (window.srcRuns || 0) + 1;", encoding="utf-8"
        )
        (value.site.directory / "fake_matomo.js").write_bytes(FAKE_MATOMO.read_bytes())
        value.site.page("matomo.html", matomo_page(value, "fake_matomo.js"))
        yield value


# ---- requirement 6: blocked scripts and embeds --------------------------------------------------
#
# ``<script type="text/plain" data-gw-category=...>`` (inline and ``src``) runs only once its
# category is granted, in the same page view, and only once. An embed declared with
# ``data-gw-src`` shows an accessible placeholder; its "load content" button records a consent
# for just that service and then creates the frame; with the service's category granted the
# frame is created directly. (External hosts are unreachable here: the tests look at the frame
# element, not at what it loads.)

SCRIPTS = """
<script>window.pageView = Math.random();</script>
<script type="text/plain" data-gw-category="analytics">
  window.inlineRuns = (window.inlineRuns || 0) + 1;
</script>
<script type="text/plain" data-gw-category="analytics" src="analytics-tag.js"></script>
<script type="text/plain" data-gw-category="marketing">
  window.marketingRuns = (window.marketingRuns || 0) + 1;
</script>
<script type="text/plain" data-gw-category="analytics marketing">
  window.eitherRuns = (window.eitherRuns || 0) + 1;
</script>
"""
EMBEDS = (
    EMBED_YOUTUBE
    + EMBED_YOUTUBE.replace("embed/x", "embed/y").replace("esittelyvideo", "syysmarkkinat")
    + '<div style="height:120px" data-gw-src="https://ads.example.net/frame"'
    ' data-gw-service="campaign-tracking" data-gw-title="Kampanja"></div>'
)
COUNTERS = "() => [window.inlineRuns, window.srcRuns, window.marketingRuns, window.eitherRuns]"


def save_settings(page: Page, *labels: str) -> None:
    dialog = settings_layer(page)
    dialog.wait_for(state="visible")
    for label in labels:
        dialog.get_by_role("checkbox", name=label).check()
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        dialog.get_by_role("button", name="Tallenna valinnat").click()
    assert answer.value.status == 201
    dialog.wait_for(state="hidden")


def test_blocked_scripts_run_once_when_their_category_is_granted(env: Env) -> None:
    page = env.page()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(env.site_page("scripts.html", body=SCRIPTS))
    first = first_layer(page)
    first.wait_for(state="visible")
    view = page.evaluate("window.pageView")
    assert page.evaluate(COUNTERS) == [None, None, None, None]
    assert not [u for u in fetched if u.endswith("analytics-tag.js")]

    first.get_by_role("button", name="Asetukset").click()
    save_settings(page, "Analytiikka")
    page.wait_for_function("window.srcRuns === 1")
    assert page.evaluate(COUNTERS) == [1, 1, None, 1]

    control(page).click()  # the persistent control
    save_settings(page, "Markkinointi")
    page.wait_for_function("window.marketingRuns === 1")
    page.wait_for_timeout(200)
    assert page.evaluate(COUNTERS) == [1, 1, 1, 1]  # nothing ran twice
    assert page.evaluate("window.pageView") == view  # the same page view
    assert len([u for u in fetched if u.endswith("analytics-tag.js")]) == 1
    assert page.locator('script[type="text/plain"]').count() == 0
    page.context.close()


def embed_state(page: Page) -> list[dict[str, Any]]:
    state: list[dict[str, Any]] = page.evaluate(
        """() => [...document.querySelectorAll('[data-gw-src]')].map(el => {
          const f = el.querySelector('iframe'), b = el.querySelector('button');
          const d = b && document.getElementById(b.getAttribute('aria-describedby'));
          return {frame: f && f.getAttribute('src'), title: f && f.title,
                  button: b && b.textContent, description: d && d.textContent,
                  heading: el.querySelector('b') && el.querySelector('b').textContent};
        })"""
    )
    return state


def test_embed_placeholder_loads_one_service_then_categories_load_all(env: Env) -> None:
    page = env.page()
    external: list[Request] = []
    page.route("https://**/*", lambda route: (external.append(route.request), route.abort()))
    page.goto(env.site_page("embeds.html", body=EMBEDS))
    first_layer(page).wait_for(state="visible")

    placeholders = embed_state(page)
    assert [p["frame"] for p in placeholders] == [None, None, None]
    assert [p["button"] for p in placeholders] == ["Lataa sisältö"] * 3
    assert "palvelusta YouTube" in str(placeholders[0]["description"])
    assert "palvelusta Campaign tracking" in str(placeholders[2]["description"])
    assert placeholders[0]["heading"] == "Osuuskunnan esittelyvideo"
    assert external == []

    button = page.locator(".gw-ph").first.get_by_role("button", name="Lataa sisältö")
    with page.expect_request(lambda r: r.method == "POST") as posted:
        button.click()
    body = json.loads(posted.value.post_data or "{}")
    assert (body["granted"], body["services"], body["source"]) == ([], ["youtube"], "embed")
    page.wait_for_selector("[data-gw-src] iframe")
    frames = embed_state(page)
    assert [f["frame"] for f in frames] == [
        "https://www.youtube-nocookie.com/embed/x",
        "https://www.youtube-nocookie.com/embed/y",
        None,  # another service stays behind its placeholder
    ]
    assert frames[0]["title"] == "Osuuskunnan esittelyvideo"
    assert page.evaluate("document.activeElement.tagName") == "IFRAME"
    assert first_layer(page).is_visible()  # the banner's question is still open

    choice = stored_choice(page)
    assert (choice["services"], choice["granted"]) == (["youtube"], ["necessary"])
    record = wait_until(lambda: record_by_id(env.server, choice["consent_id"]))
    assert record["services"] == '["youtube"]'
    assert record["granted"] == '["necessary"]'
    assert record["source"] == "embed"

    page.reload()  # remembered: the frames load directly, the question is still open
    first = first_layer(page)
    first.wait_for(state="visible")
    assert [f["frame"] is not None for f in embed_state(page)] == [True, True, False]

    # With the categories granted, every embed loads, and on later pages directly.
    first.get_by_role("button", name="Hyväksy kaikki").click()
    page.wait_for_function("document.querySelectorAll('[data-gw-src] iframe').length === 3")
    page.reload()
    control(page).wait_for(state="visible")
    assert [f["frame"] is not None for f in embed_state(page)] == [True, True, True]
    assert page.locator(".gw-ph").count() == 0
    assert not first.is_visible()
    page.context.close()


# ---- requirement 10: Google Consent Mode v2 -----------------------------------------------------
#
# Basic mode. The demo policy maps analytics -> analytics_storage and marketing -> ad_storage,
# ad_user_data, ad_personalization. Before any Google tag the banner pushes
# ``gtag('consent', 'default', ...)`` with all seven types (security_storage granted, the rest
# denied, wait_for_update); then one ``update`` with all seven per decision, and one per page
# view with a stored choice. The Google tag itself is a blocked script: it loads only after
# analytics or marketing is granted.

GOOGLE_TAG = """
<script type="text/plain" data-gw-category="analytics marketing" async
  src="https://www.googletagmanager.com/gtag/js?id=G-TEST"></script>
<script type="text/plain" data-gw-category="analytics marketing">
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-TEST');
</script>
"""
TYPES = [
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
]
DATA_LAYER = """() => (window.dataLayer || []).map(e => {
  const a = Array.from(e);
  return [a[0], a[1], typeof a[2] === 'object' && !(a[2] instanceof Date) ? a[2] : null];
})"""


def consent(granted: set[str]) -> dict[str, str]:
    return {t: "granted" if t in granted or t == "security_storage" else "denied" for t in TYPES}


def open_page(env: Env) -> tuple[Page, list[str]]:
    """A page with the Google tag; gtag.js requests are answered by a stub that counts itself."""
    page = env.page()
    loads: list[str] = []

    def stub(route: Route) -> None:
        loads.append(route.request.url)
        route.fulfill(
            body="window.gtagJsRuns = (window.gtagJsRuns || 0) + 1;",
            content_type="text/javascript",
        )

    page.route("https://www.googletagmanager.com/**", stub)
    page.goto(env.site_page("gtag.html", head=GOOGLE_TAG))
    return page, loads


def data_layer(page: Page) -> list[list[Any]]:
    entries: list[list[Any]] = page.evaluate(DATA_LAYER)
    return entries


def decide(page: Page, button: str, *categories: str) -> None:
    first = first_layer(page)
    first.wait_for(state="visible")
    if categories:
        first.get_by_role("button", name="Asetukset").click()
        dialog = settings_layer(page)
        dialog.wait_for(state="visible")
        for label in categories:
            dialog.get_by_role("checkbox", name=label).check()
        dialog.get_by_role("button", name=button).click()
        dialog.wait_for(state="hidden")
    else:
        first.get_by_role("button", name=button).click()
        first.wait_for(state="hidden")


def test_default_before_anything_then_one_update_per_decision(env: Env) -> None:
    page, loads = open_page(env)
    first_layer(page).wait_for(state="visible")
    default = {**consent(set()), "wait_for_update": 500}
    assert data_layer(page) == [["consent", "default", default]]
    assert loads == []

    decide(page, "Hyväksy kaikki")
    page.wait_for_function("window.gtagJsRuns === 1")
    granted = consent({"analytics_storage", "ad_storage", "ad_user_data", "ad_personalization"})
    entries = data_layer(page)
    assert entries[:2] == [["consent", "default", default], ["consent", "update", granted]]
    assert [e[0] for e in entries[2:]] == ["js", "config"]  # the tag's own calls come after
    assert len(loads) == 1

    page.reload()  # a stored choice: one update per page view, before the tag runs
    page.wait_for_function("window.gtagJsRuns === 1")
    entries = data_layer(page)
    assert entries[:2] == [["consent", "default", default], ["consent", "update", granted]]
    assert [e[1] for e in entries].count("update") == 1
    page.context.close()


def test_reject_keeps_google_tags_unloaded(env: Env) -> None:
    page, loads = open_page(env)
    decide(page, "Hylkää kaikki")
    page.wait_for_timeout(300)
    assert data_layer(page) == [
        ["consent", "default", {**consent(set()), "wait_for_update": 500}],
        ["consent", "update", consent(set())],
    ]
    assert loads == []
    page.context.close()


@pytest.mark.parametrize(
    ("label", "types"),
    [
        ("Analytiikka", {"analytics_storage"}),
        ("Markkinointi", {"ad_storage", "ad_user_data", "ad_personalization"}),
    ],
)
def test_analytics_or_marketing_alone_loads_the_tag(env: Env, label: str, types: set[str]) -> None:
    page, loads = open_page(env)
    decide(page, "Tallenna valinnat", label)
    page.wait_for_function("window.gtagJsRuns === 1")
    assert data_layer(page)[1] == ["consent", "update", consent(types)]
    assert len(loads) == 1
    page.context.close()


# ---- requirement 11: Matomo interop -------------------------------------------------------------
#
# With a test double of matomo.js (``fake_matomo.js``). The banner drives Matomo through
# ``_paq``: ``appendToTrackingUrl('gw_consent=<token>')`` then ``setConsentGiven`` and
# ``rememberCookieConsentGiven`` on a grant of analytics; ``forgetConsentGiven`` and
# ``forgetCookieConsentGiven`` on a refusal or withdrawal; and keeps Matomo's own
# ``mtm_consent_removed`` cookie (Date.now() in ms) in line, both ways.
#
# matomo.js builds each request when the tracking call is made and replays requests queued before
# consent unchanged (plus ``consent=1``), so the first page view after a fresh consent carries no
# token parameter:
#
# - same-site gateway (the page is served from the gateway's own origin here): the HttpOnly
#   ``gw_consent`` cookie set by the consent answer travels with the beacon, and that page view
#   is stored;
# - cross-site gateway: the cookie does not reach it, so that one replayed page view is dropped;
#   every later hit carries the token (the banner puts it first in ``_paq`` when it runs before
#   matomo.js) and is stored.


def matomo_page(env: Env, tracker: str) -> str:
    """A page with the banner first, then the usual Matomo snippet (both deferred, in order)."""
    base = env.server.base
    return f"""<!doctype html><html lang="fi"><head><meta charset="utf-8"><title>Matomo page</title>
<script src="{base}/consent/banner.js" data-site="demo" defer></script>
<script>
  var _paq = window._paq = window._paq || [];
  _paq.push(['requireConsent']);
  _paq.push(['trackPageView']);
  _paq.push(['enableLinkTracking']);
  _paq.push(['setTrackerUrl', '{base}/matomo.php']);
  _paq.push(['setSiteId', '1']);
</script>
<script src="{tracker}" defer></script>
</head><body><main><h1>Matomo page</h1></main></body></html>"""


def click(page: Page, name: str) -> dict[str, Any]:
    first = first_layer(page)
    first.wait_for(state="visible")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        first.get_by_role("button", name=name).click()
    assert answer.value.status == 201
    first.wait_for(state="hidden")
    choice: dict[str, Any] = stored_choice(page)
    return choice


def calls(page: Page) -> list[list[Any]]:
    found: list[list[Any]] = page.evaluate("window.fakeMatomo.calls")
    return found


def sent(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.fakeMatomo.sent")
    return found


def cookie(page: Page, name: str) -> str | None:
    for c in page.context.cookies():
        if c["name"] == name:
            return c["value"]
    return None


def test_same_site_first_page_view_after_consent_is_stored_via_the_cookie(env: Env) -> None:
    page = env.page()
    html = matomo_page(env, f"{env.server.base}/test-site/fake_matomo.js")
    url = serve_on_gateway(page, env.server, "matomo.html", html, "text/html")
    serve_on_gateway(page, env.server, "fake_matomo.js", FAKE_MATOMO.read_text(), "text/javascript")
    page.goto(url)
    choice = click(page, "Hyväksy kaikki")
    page.wait_for_function("window.fakeMatomo.sent.length === 1")
    (replayed,) = sent(page)
    assert "consent=1" in replayed and "gw_consent" not in replayed  # built before consent
    (hit,) = wait_until(lambda: hits_for(env.server, choice["consent_id"]))
    assert hit["url"] == url and hit["kind"] == "pageview"

    names = [c[0] for c in calls(page)]
    at = names.index("appendToTrackingUrl")
    assert names[at : at + 3] == [
        "appendToTrackingUrl",
        "setConsentGiven",
        "rememberCookieConsentGiven",
    ]
    assert calls(page)[at][1] == "gw_consent=" + choice["token"]
    page.context.close()


def test_cross_site_first_replayed_page_view_is_lost_later_hits_count(env: Env) -> None:
    page = env.page()
    page.goto(f"{env.site.origin}/matomo.html")
    choice = click(page, "Hyväksy kaikki")
    page.wait_for_function("window.fakeMatomo.sent.length === 1")
    assert "gw_consent" not in sent(page)[0]
    assert page.context.cookies(env.server.base) == []  # the gateway's cookie is third-party

    page.evaluate("_paq.push(['trackEvent', 'Video', 'Play', 'intro'])")
    assert "gw_consent=" in sent(page)[1]
    (event,) = wait_until(lambda: hits_for(env.server, choice["consent_id"]))
    assert event["kind"] == "event" and event["event_action"] == "Play"
    page.wait_for_timeout(300)
    assert [h["kind"] for h in hits_for(env.server, choice["consent_id"])] == ["event"]

    page.reload()  # the stored token is first in _paq, so the page view carries it
    page.wait_for_function("window.fakeMatomo.sent.length === 1")
    assert "gw_consent=" in sent(page)[0]
    hits = wait_until(lambda: len(hits_for(env.server, choice["consent_id"])) == 2 or None)
    assert hits
    kinds = [h["kind"] for h in hits_for(env.server, choice["consent_id"])]
    assert kinds == ["event", "pageview"]
    page.context.close()


def test_refusal_forgets_consent_and_sets_matomo_opt_out_cookie(env: Env) -> None:
    page = env.page()
    page.goto(f"{env.site.origin}/matomo.html")
    before = page.evaluate("Date.now()")
    click(page, "Hylkää kaikki")
    page.wait_for_timeout(300)
    assert sent(page) == []
    names = [c[0] for c in calls(page)]
    at = names.index("forgetConsentGiven")
    assert names[at - 1 : at + 2] == [
        "appendToTrackingUrl",
        "forgetConsentGiven",
        "forgetCookieConsentGiven",
    ]
    assert calls(page)[at - 1][1] == ""
    removed = cookie(page, "mtm_consent_removed")
    assert removed and removed.isdigit() and int(removed) >= before  # Date.now() in ms
    assert cookie(page, "mtm_consent") is None

    # A later grant clears Matomo's opt-out cookie again.
    control(page).click()
    dialog = page.locator("#gw-consent .gw-modal")
    dialog.wait_for(state="visible")
    dialog.get_by_role("button", name="Hyväksy kaikki").click()
    dialog.wait_for(state="hidden")
    page.wait_for_function("!document.cookie.includes('mtm_consent_removed')")
    page.context.close()


def test_opting_out_in_matomo_is_recorded_as_a_choice(env: Env) -> None:
    page = env.page()
    page.goto(f"{env.site.origin}/matomo.html")
    accepted = click(page, "Hyväksy kaikki")
    page.wait_for_function("window.fakeMatomo.sent.length === 1")
    page.wait_for_timeout(5)
    page.evaluate("_paq.push(['optUserOut'])")  # what Matomo's opt-out form calls
    assert cookie(page, "mtm_consent_removed")

    page.reload()
    record = wait_until(lambda: superseding(env.server, accepted["consent_id"]))
    assert record and "analytics" in record["denied"] and "analytics" not in record["granted"]
    page.wait_for_function(
        "gatewayConsent.get() && !gatewayConsent.get().granted.includes('analytics')"
    )
    assert "forgetConsentGiven" in [c[0] for c in calls(page)]
    page.wait_for_timeout(300)
    assert sent(page) == []
    page.context.close()
