"""Requirement 4: an accessible banner (WCAG 2.1 AA, EN 301 549), in real Chromium.

role=dialog, labelled and described; focus moves in; the settings layer is modal (aria-modal,
the page behind it inert, Tab cannot leave it in 20 presses either way), Escape closes it and
focus returns to its opener; the focus ring has >= 3:1 contrast; targets are >= 24x24 px; no
horizontal scrolling at 320 px; ``lang`` on the banner's elements; axe-core 4.14.1 (injected
into the page) finds no violations in Finnish, Swedish and English, light and dark, on the
first layer and the settings layer, and on the persistent control and an embed placeholder.
(The honest first layer, requirement 3, is in test_banner_first_layer.py.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.banner_kit import (
    AXE,
    EMBED_YOUTUBE,
    Env,
    banner_env,
    control,
    first_layer,
    settings_layer,
)

pytestmark = pytest.mark.browser

LANGS = {
    "fi": ("Hylkää kaikki", "Asetukset"),
    "sv": ("Avvisa alla", "Inställningar"),
    "en": ("Reject all", "Settings"),
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with banner_env(tmp_path_factory.mktemp("a11y")) as value:
        yield value


def luminance(rgb: tuple[int, ...]) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = (luminance(parse_rgb(c)) for c in (a, b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def parse_rgb(css: str) -> tuple[int, ...]:
    numbers = re.findall(r"[\d.]+", css)
    assert len(numbers) >= 3, css
    return tuple(round(float(n)) for n in numbers[:3])


def inside(page: Page, selector: str) -> bool:
    return bool(
        page.evaluate("s => document.querySelector(s).contains(document.activeElement)", selector)
    )


def axe(page: Page, include: list[str]) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        """([include, tags]) => axe.run({include: include.map(s => [s])},
             {runOnly: {type: 'tag', values: tags}})
           .then(r => r.violations.map(v => ({id: v.id, impact: v.impact,
             nodes: v.nodes.map(n => n.target.join(' '))})))""",
        [include, AXE_TAGS],
    )
    return violations


def test_keyboard_focus_trap_escape_and_return(env: Env) -> None:
    page = env.page()
    page.goto(env.site_page("keyboard.html", body='<a href="#x">A page link</a>'))
    first = first_layer(page)
    first.wait_for(state="visible")

    # The first layer: a labelled, described dialog that takes focus when it opens.
    assert first.get_attribute("role") == "dialog"
    assert page.locator("#gw-t").inner_text() == "Evästeet ja yksityisyys"
    assert "välttämättömiä evästeitä" in page.locator("#gw-d").inner_text()
    assert inside(page, "#gw-consent .gw-first")
    assert page.locator("#gw-consent").get_attribute("lang") == "fi"

    # Open the settings from the keyboard: privacy link, accept, reject, settings.
    for _ in range(4):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Asetukset"
    page.keyboard.press("Enter")
    dialog = settings_layer(page)
    dialog.wait_for(state="visible")
    assert dialog.get_attribute("role") == "dialog"
    assert dialog.get_attribute("aria-modal") == "true"
    assert page.locator("#" + str(dialog.get_attribute("aria-labelledby"))).inner_text()
    assert page.locator("#" + str(dialog.get_attribute("aria-describedby"))).inner_text()
    assert inside(page, "#gw-consent .gw-modal")

    escaped = 0
    for key in ["Tab"] * 20 + ["Shift+Tab"] * 20:
        page.keyboard.press(key)
        escaped += not inside(page, "#gw-consent .gw-modal")
    assert escaped == 0
    # The page behind the modal layer is inert.
    assert page.locator("main").get_attribute("inert") == ""

    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert first.is_visible()
    assert page.evaluate("document.activeElement.textContent") == "Asetukset"
    assert page.locator("main").get_attribute("inert") is None

    # After a choice, the persistent control opens the settings; Escape returns focus to it.
    first.get_by_role("button", name="Hylkää kaikki").press("Enter")
    first.wait_for(state="hidden")
    control = page.get_by_role("button", name="Evästeasetukset")
    control.wait_for(state="visible")
    control.press("Enter")
    dialog.wait_for(state="visible")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Evästeasetukset"
    assert not first.is_visible()  # the choice stands
    page.context.close()


def focus_ring(page: Page) -> dict[str, Any]:
    ring: dict[str, Any] = page.evaluate(
        """() => {
          const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
          let bg = 'rgb(255, 255, 255)';
          for (let p = e.parentElement; p; p = p.parentElement) {
            const c = getComputedStyle(p).backgroundColor;
            if (c !== 'rgba(0, 0, 0, 0)') { bg = c; break; }
          }
          return {tag: e.tagName, text: e.textContent || e.getAttribute('aria-label'),
                  style: s.outlineStyle, width: parseFloat(s.outlineWidth),
                  color: s.outlineColor, shadow: s.boxShadow, around: bg,
                  w: r.width, h: r.height, inline: s.display === 'inline'};
        }"""
    )
    return ring


def check_ring(ring: dict[str, Any]) -> None:
    assert ring["style"] == "solid" and ring["width"] >= 2, ring
    assert contrast(ring["color"], ring["around"]) >= 3, ring
    if not ring["inline"]:  # inline text links are exempt from the target size
        assert ring["w"] >= 24 and ring["h"] >= 24, ring


def test_focus_ring_contrast_and_target_size(env: Env) -> None:
    page = env.page()
    page.goto(env.site_page("ring.html"))
    first = first_layer(page)
    first.wait_for(state="visible")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        first.focus()
        for _ in range(4):  # privacy link, accept, reject, settings
            page.keyboard.press("Tab")
            check_ring(focus_ring(page))
    page.keyboard.press("Enter")
    dialog = settings_layer(page)
    dialog.wait_for(state="visible")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        seen = set()
        for _ in range(12):
            page.keyboard.press("Tab")
            ring = focus_ring(page)
            seen.add(ring["tag"])
            check_ring(ring)
        assert {"A", "BUTTON", "INPUT"} <= seen
    for box in dialog.get_by_role("checkbox").all():
        size = box.bounding_box()
        assert size and size["width"] >= 24 and size["height"] >= 24

    # The persistent control: a black ring between white ones shows on any page background.
    dialog.get_by_role("button", name="Hylkää kaikki").click()
    control(page).wait_for(state="visible")
    page.reload()
    control(page).wait_for(state="visible")
    page.keyboard.press("Tab")  # the first Tab stop of the page
    ring = focus_ring(page)
    assert ring["text"] == "Evästeasetukset"
    assert ring["style"] == "solid" and ring["width"] >= 2
    assert contrast(ring["color"], "rgb(255, 255, 255)") >= 3
    assert "rgb(255, 255, 255)" in ring["shadow"]
    assert 24 <= ring["w"] <= 48 and 24 <= ring["h"] <= 48  # small: unobtrusive
    page.context.close()


def test_no_horizontal_scroll_at_320px(env: Env) -> None:
    page = env.page(viewport={"width": 320, "height": 640})
    page.goto(env.site_page("narrow.html", body=EMBED_YOUTUBE))
    first = first_layer(page)
    first.wait_for(state="visible")
    no_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_scroll)
    box = first.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320
    first.get_by_role("button", name="Asetukset").click()
    settings_layer(page).wait_for(state="visible")
    assert page.evaluate(no_scroll)
    box = settings_layer(page).bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320
    page.context.close()


def test_axe_finds_no_violations(env: Env) -> None:
    results: dict[str, list[dict[str, Any]]] = {}
    page = env.page()
    for lang, (reject, settings) in LANGS.items():
        page.goto(env.site_page(f"axe-{lang}.html", body=EMBED_YOUTUBE, lang=lang))
        first = first_layer(page)
        first.wait_for(state="visible")
        assert page.locator("#gw-consent").get_attribute("lang") == lang
        assert page.locator(".gw-ph").get_attribute("lang") == lang
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            results[f"{lang}/{scheme}/first layer + embed placeholder"] = axe(
                page, ["#gw-consent", ".gw-ph"]
            )
        first.get_by_role("button", name=settings, exact=True).click()
        settings_layer(page).wait_for(state="visible")
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            results[f"{lang}/{scheme}/settings"] = axe(page, ["#gw-consent"])
        if lang == "fi":  # after a choice: the control and the placeholder
            settings_layer(page).get_by_role("button", name=reject).click()
            control(page).wait_for(state="visible")
            assert control(page).get_attribute("lang") == lang
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                results[f"{lang}/{scheme}/control + embed placeholder"] = axe(
                    page, [".gw-ctl", ".gw-ph"]
                )
            page.evaluate("localStorage.clear()")  # the next language meets a new visitor
    page.context.close()
    for name, violations in results.items():
        print(f"axe-core 4.14.1 {name}: {len(violations)} violations {violations or ''}")
    assert {name: v for name, v in results.items() if v} == {}
