"""The opt-out element (``<div data-gw-optout></div>``) in a real headless Chromium.

A site's privacy page carries the banner, the Matomo-style snippet with the gateway's tracker,
and the element. The element shows whether analytics counts this browser now; unchecking it
records a refusal of analytics (source "optout") and no page view is stored after that;
checking it grants analytics again. It is a labelled native checkbox, operated here with the
keyboard, and axe-core finds nothing wrong with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.banner_kit import AXE, Env, banner_env, first_layer, wait_until
from tests.conftest import LiveServer, rows

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
LABELS = {
    "fi": "Kävijätilastot tällä sivustolla",
    "sv": "Besöksstatistik på den här webbplatsen",
    "en": "Analytics on this site",
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with banner_env(tmp_path_factory.mktemp("optout")) as value:
        yield value


def privacy_page(env: Env, name: str, lang: str = "en") -> str:
    """A site page with the banner, the tracker counting a page view, and the element."""
    base = env.server.base
    html = f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>Privacy</title>
<script src="{base}/consent/banner.js" data-site="demo" defer></script>
<script>
  var _paq = window._paq = window._paq || [];
  _paq.push(['requireConsent']);
  _paq.push(['setTrackerUrl', '{base}/matomo.php']);
  _paq.push(['setSiteId', '1']);
  _paq.push(['trackPageView']);
</script>
<script src="{base}/tracker.js" defer></script>
</head><body><main><h1>Privacy</h1><p>How we count visits.</p>
<div data-gw-optout></div></main></body></html>"""
    return env.site.page(name, html)


def hits_at(server: LiveServer, url: str) -> list[dict[str, Any]]:
    return [dict(r) for r in rows(server.db_path, "SELECT * FROM hits WHERE url = ?", url)]


def last_record(server: LiveServer) -> dict[str, Any]:
    return dict(rows(server.db_path, "SELECT * FROM consents ORDER BY seq DESC LIMIT 1")[0])


def switch(page: Page, lang: str = "en") -> Any:
    return page.get_by_role("checkbox", name=LABELS[lang])


def test_unchecking_stops_tracking_and_checking_grants_again(env: Env) -> None:
    page = env.page(locale="en-GB")
    first = privacy_page(env, "privacy.html")
    second = privacy_page(env, "privacy-again.html")
    page.goto(first)
    page.get_by_role("button", name="Accept all").click()
    assert wait_until(lambda: hits_at(env.server, first)), "the accepted page view is stored"
    box = switch(page)
    assert box.is_checked()
    consent_id = last_record(env.server)["consent_id"]

    box.focus()
    page.keyboard.press("Space")  # keyboard operable
    assert wait_until(lambda: last_record(env.server)["source"] == "optout")
    refusal = last_record(env.server)
    assert refusal["supersedes"] == consent_id
    assert "analytics" in json.loads(refusal["denied"])
    assert json.loads(refusal["granted"]) == ["marketing", "necessary", "social"]
    page.wait_for_function("() => !document.querySelector('[data-gw-optout] input').checked")
    assert "not counted" in page.locator("[data-gw-optout]").inner_text()

    page.goto(second)
    switch(page).wait_for()
    assert not switch(page).is_checked()
    page.evaluate("() => window._paq.push(['trackPageView', 'Again'])")
    page.wait_for_timeout(1500)
    assert hits_at(env.server, second) == []
    assert len(hits_at(env.server, first)) == 1

    switch(page).check()
    page.wait_for_function("() => window.gatewayConsent.get().granted.includes('analytics')")
    assert "analytics" in json.loads(last_record(env.server)["granted"])
    # Page views made while refused are not replayed; the next one counts.
    page.evaluate("() => window._paq.push(['trackPageView', 'Granted again'])")
    assert wait_until(lambda: hits_at(env.server, second)), "granted again: counted"
    assert [h["action_name"] for h in hits_at(env.server, second)] == ["Granted again"]
    grant = last_record(env.server)
    assert (grant["source"], grant["supersedes"]) == ("optout", refusal["consent_id"])
    assert "analytics" in json.loads(grant["granted"])
    page.context.close()


def test_before_any_choice_the_element_is_off_and_checking_it_grants_analytics(env: Env) -> None:
    page = env.page(locale="fi-FI")
    url = privacy_page(env, "privacy-fresh.html", lang="fi")
    page.goto(url)
    first_layer(page).wait_for(state="visible")
    box = switch(page, "fi")
    assert not box.is_checked()
    assert hits_at(env.server, url) == []
    box.check()
    assert wait_until(lambda: hits_at(env.server, url)), "the held page view is sent"
    record = last_record(env.server)
    assert (record["source"], record["action"]) == ("optout", "custom")
    assert json.loads(record["granted"]) == ["analytics", "necessary"]
    assert not first_layer(page).is_visible()  # a choice was made
    page.context.close()


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_element_is_labelled_in_the_page_language_and_passes_axe(env: Env, lang: str) -> None:
    page = env.page(locale={"fi": "fi-FI", "sv": "sv-SE", "en": "en-GB"}[lang])
    page.goto(privacy_page(env, f"privacy-{lang}.html", lang=lang))
    box = switch(page, lang)
    box.wait_for()
    described = page.evaluate(
        "() => { const b = document.querySelector('[data-gw-optout] input');"
        " return document.getElementById(b.getAttribute('aria-describedby')).textContent; }"
    )
    assert described
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """(tags) => axe.run({include: [['[data-gw-optout]']]},
             {runOnly: {type: 'tag', values: tags}})
           .then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target).join()))""",
        AXE_TAGS,
    )
    assert violations == []
    page.context.close()
