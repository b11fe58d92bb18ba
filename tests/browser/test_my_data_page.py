"""The visitor's own-data page in a real headless Chromium, reached from the banner.

A visitor accepts on the site (another origin than the gateway), opens the cookie settings and
follows "My data": the banner posts the consent token to the gateway in a new tab (no token in
any URL), the page lists the page view just stored, and "Erase my data" removes it. axe-core
checks the page in Finnish, Swedish and English.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.banner_kit import AXE, Env, banner_env, wait_until
from tests.conftest import rows

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with banner_env(tmp_path_factory.mktemp("mydata")) as value:
        yield value


def tracked_page(env: Env, name: str) -> str:
    base = env.server.base
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script src="{base}/consent/banner.js" data-site="demo" defer></script>
<script>
  var _paq = window._paq = window._paq || [];
  _paq.push(['requireConsent']);
  _paq.push(['setTrackerUrl', '{base}/matomo.php']);
  _paq.push(['setSiteId', '1']);
  _paq.push(['trackPageView']);
</script>
<script src="{base}/tracker.js" defer></script>
</head><body><main><h1>Shop</h1><a href="#" data-gw-consent-open>Cookie settings</a></main>
</body></html>"""
    return env.site.page(name, html)


def hits_of(env: Env, consent_id: str) -> list[Any]:
    return rows(env.server.db_path, "SELECT * FROM hits WHERE consent_id = ?", consent_id)


def test_my_data_from_the_banner_shows_the_visit_and_erases_it(env: Env) -> None:
    page = env.page(locale="en-GB")
    url = tracked_page(env, "shop.html")
    page.goto(url)
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.gatewayConsent.get() && window.gatewayConsent.get().token")
    consent_id = page.evaluate("() => window.gatewayConsent.get().consent_id")
    assert wait_until(lambda: hits_of(env, consent_id)), "the page view is stored"

    page.get_by_role("link", name="Cookie settings").click()
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="My data").click()
    mine = opened.value
    mine.wait_for_load_state()
    assert mine.url == f"{env.server.base}/privacy/demo/my-data?lang=en"  # no token in the URL
    assert mine.get_by_role("heading", level=1).inner_text() == "My data: Demo site"
    assert url in mine.locator("main").inner_text()

    erase = mine.get_by_role("button", name="Erase my data")
    # The page's only stylesheet is allowed by its nonce under the strict CSP.
    assert erase.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(29, 63, 110)"
    erase.click()
    mine.get_by_role("status").wait_for()
    assert mine.get_by_role("status").inner_text() == (
        "Your data was erased. Actions deleted: 1. Consent choices pseudonymised: 1."
    )
    assert "Nothing about your visits is stored." in mine.locator("main").inner_text()
    assert hits_of(env, consent_id) == []
    (record,) = rows(
        env.server.db_path,
        "SELECT ip, ua_family, pii_salt FROM consents WHERE consent_id = ?",
        consent_id,
    )
    assert tuple(record) == (None, None, None)
    page.context.close()


def grant(env: Env) -> str:
    request = urllib.request.Request(
        f"{env.server.base}/consent/demo",
        data=json.dumps({"granted": ["analytics"], "policy_version": "2026-01-01"}).encode(),
        headers={"Content-Type": "application/json", "Origin": env.site.origin},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        token: str = json.load(response)["token"]
    return token


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_page_passes_axe(env: Env, lang: str) -> None:
    token = grant(env)
    # axe is injected as a script, which the page's CSP rightly forbids: bypass it for the check.
    page = env.page(bypass_csp=True)
    page.goto(f"{env.server.base}/privacy/demo/my-data?lang={lang}&gw_consent={token}")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})
           .then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target).join()))""",
        AXE_TAGS,
    )
    assert violations == []
    page.context.close()
