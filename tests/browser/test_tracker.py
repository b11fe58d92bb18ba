"""The gateway's own tracker (``/tracker.js``) in a real headless Chromium.

Each test serves a page from another origin (``site_server``) that loads the tracker from a
running ``gateway serve`` and drives it only through ``_paq``, as a site and the banner do. The
consent token comes from ``POST /consent/demo`` over HTTP, so the banner plays no part. Outcomes
are checked where they matter: on the wire (every hit a POST with an empty body and all
parameters in the query string, as ``navigator.sendBeacon`` sends them) and in the ``hits`` table.

Headless Chromium under Playwright reports every page as visible and focused, even a tab that
is not in front (``document.hasFocus()`` is true through Playwright's focus emulation). The
heartbeat test turns that emulation off over CDP and brings another tab to the front, so the
page really loses the focus, without stubbing anything in it.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request

from tests.browser.banner_kit import chromium
from tests.conftest import BROWSER_UA, LiveServer, SiteServer, rows

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "gateway" / "static" / "consent-banner" / "tracker.js"
BUDGET_GZIP = 1500
VERSION = "2026-01-01"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(user_agent=BROWSER_UA, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


# ---------------------------------------------------------------------------------------------
# Helpers


def grant_analytics(server: LiveServer, site: SiteServer) -> dict[str, Any]:
    """Record a consent for analytics as a visitor of ``site`` would; return the 201 body."""
    request = urllib.request.Request(
        f"{server.base}/consent/demo",
        data=json.dumps({"granted": ["analytics"], "policy_version": VERSION}).encode(),
        headers={"Content-Type": "application/json", "Origin": site.origin},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 201
        body: dict[str, Any] = json.load(response)
    assert body["token"]
    return body


def tracker_page(
    server: LiveServer, site: SiteServer, name: str, calls: str, body: str = ""
) -> str:
    """A page of ``site`` with the Matomo-style snippet, ``calls`` and the served tracker."""
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Start page</title>
<script>
  var _paq = window._paq = window._paq || [];
  {calls}
  _paq.push(['setTrackerUrl', '{server.base}/matomo.php']);
  _paq.push(['setSiteId', '1']);
</script>
<script src="{server.base}/tracker.js"></script>
</head>
<body>
{body}
</body></html>
"""
    return site.page(name, html)


def push(page: Page, *call: Any) -> None:
    """``_paq.push([...call])`` in the page."""
    page.evaluate("call => window._paq.push(call)", list(call))


class Wire:
    """Every tracking request the page makes, in order, with the time it was seen."""

    def __init__(self, page: Page, server: LiveServer) -> None:
        self.page = page
        self.endpoint = f"{server.base}/matomo.php"
        self.requests: list[tuple[float, Request]] = []
        page.on("request", self._seen)

    def _seen(self, request: Request) -> None:
        if request.url.split("?")[0] == self.endpoint:
            self.requests.append((time.monotonic(), request))

    @property
    def hits(self) -> list[dict[str, str]]:
        return [dict(parse_qsl(urlsplit(r.url).query)) for _, r in self.requests]

    def kinds(self) -> list[str]:
        return [kind(hit) for hit in self.hits]

    def wait(self, count: int, timeout: float = 5) -> list[dict[str, str]]:
        wait_until(self.page, lambda: len(self.requests) >= count, timeout)
        return self.hits

    def assert_beacons(self, resource_type: str = "ping") -> None:
        """Each hit is sent like matomo.js's sendBeacon: POST, empty body, all in the query."""
        for _, request in self.requests:
            assert request.resource_type == resource_type
            assert request.method == "POST"
            assert not request.post_data_buffer
            params = dict(parse_qsl(urlsplit(request.url).query))
            assert params["rec"] == "1" and params["idsite"] == "1"
            assert params["send_image"] == "0"
            assert len(params["r"]) == 6
            assert all(params[k].isdigit() for k in ("h", "m", "s"))
            assert params["res"].count("x") == 1
            assert len(params["pv_id"]) == 6 and params["pv_id"].isalnum()
            assert params["url"].startswith("http")


def kind(hit: dict[str, str]) -> str:
    """The gateway's name for a hit's kind (``gateway.tracking.params.parse_hit``)."""
    if hit.get("ping") == "1":
        return "ping"
    if "e_c" in hit:
        return "event"
    if "download" in hit:
        return "download"
    if "link" in hit:
        return "outlink"
    return "pageview"


def wait_until(page: Page, ready: Callable[[], bool], timeout: float = 5) -> None:
    """Let the page run (and Playwright deliver its events) until ``ready()`` or the timeout."""
    deadline = time.monotonic() + timeout
    while not ready() and time.monotonic() < deadline:
        page.wait_for_timeout(50)


def stored(server: LiveServer, count: int, timeout: float = 5) -> list[Any]:
    """The ``hits`` rows, in id order, once there are at least ``count`` of them."""
    deadline = time.monotonic() + timeout
    while True:
        found = rows(server.db_path, "SELECT * FROM hits ORDER BY id")
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def storage_and_cookies(page: Page) -> tuple[dict[str, str], list[Any]]:
    local: dict[str, str] = page.evaluate("Object.assign({}, localStorage, sessionStorage)")
    return local, page.context.cookies()


# ---------------------------------------------------------------------------------------------
# Tests


def test_size_budget() -> None:
    """The built tracker (what ``/tracker.js`` serves) is at most 1,500 bytes with gzip -9."""
    built = BUILT.read_bytes()
    packed = len(gzip.compress(built, compresslevel=9, mtime=0))
    print(f"\ntracker.js: {len(built)} bytes, {packed} bytes gzip -9 (budget {BUDGET_GZIP})")
    assert packed <= BUDGET_GZIP


def test_nothing_before_consent_then_queued_hits_replayed_with_the_token(
    live_server: LiveServer, site_server: SiteServer, page: Page
) -> None:
    url = tracker_page(
        live_server,
        site_server,
        "wait.html",
        """_paq.push(['requireConsent']);
  _paq.push(['trackPageView']);
  _paq.push(['enableLinkTracking']);
  _paq.push(['enableHeartBeatTimer', 1]);""",
        '<a id="out" href="https://example.org/partner">partner</a>'
        "<script>document.addEventListener('click', e => e.preventDefault());</script>",
    )
    for path in ("/tracker.js", "/consent/tracker.js"):  # both serve the built file
        with urllib.request.urlopen(f"{live_server.base}{path}", timeout=5) as response:
            assert "javascript" in response.headers["Content-Type"]
            assert response.read() == BUILT.read_bytes()
    wire = Wire(page, live_server)
    page.goto(url)
    push(page, "trackEvent", "Video", "Play", "Intro", 3)
    page.click("#out")
    page.wait_for_timeout(1300)  # longer than the heartbeat interval
    assert wire.requests == []  # not a byte sent before consent, not even a ping
    assert storage_and_cookies(page) == ({}, [])  # no identifier anywhere
    assert (
        page.evaluate("_paq.push([function () { window.seen = this.getVisitorId(); }]), seen") == ""
    )

    consent = grant_analytics(live_server, site_server)
    push(page, "appendToTrackingUrl", f"gw_consent={consent['token']}")
    push(page, "setConsentGiven")
    hits = wire.wait(3)
    wire.assert_beacons()
    # Replayed in order, each with the token added when sent and the new visitor id.
    assert wire.kinds()[:3] == ["pageview", "event", "outlink"]
    local, cookies = storage_and_cookies(page)
    assert cookies == []
    assert list(local) == ["gw_vid"]
    vid = local["gw_vid"]
    assert re.fullmatch("[0-9a-f]{16}", vid)
    for hit in hits[:3]:
        assert hit["gw_consent"] == consent["token"]
        assert hit["_id"] == vid
        assert hit["pv_id"] == hits[0]["pv_id"]
    assert hits[0]["action_name"] == "Start page" and hits[0]["url"] == url

    by_kind = {row["kind"]: row for row in stored(live_server, 3)}
    assert set(by_kind) >= {"pageview", "event", "outlink"}
    for row in by_kind.values():
        assert row["consent_id"] == consent["consent_id"]
        assert row["visitor_id"] == vid
        assert row["url"] == url
    assert by_kind["pageview"]["action_name"] == "Start page"
    event = by_kind["event"]
    assert (event["event_category"], event["event_action"]) == ("Video", "Play")
    assert (event["event_name"], event["event_value"]) == ("Intro", 3.0)
    assert hits[1]["ca"] == "1"
    assert by_kind["outlink"]["link"] == "https://example.org/partner"


def test_refusal_drops_hits_and_forget_removes_the_visitor_id(
    live_server: LiveServer, site_server: SiteServer, page: Page
) -> None:
    """A refusal drops held and later hits; a withdrawal stops hits and deletes ``gw_vid``."""
    consent = grant_analytics(live_server, site_server)
    url = tracker_page(
        live_server,
        site_server,
        "refuse.html",
        f"""_paq.push(['requireConsent']);
  _paq.push(['appendToTrackingUrl', 'gw_consent={consent["token"]}']);
  _paq.push(['trackPageView']);
  _paq.push(['enableHeartBeatTimer', 1]);""",
    )
    wire = Wire(page, live_server)
    page.goto(url)
    push(page, "forgetConsentGiven")  # a refusal: the held page view is dropped
    push(page, "trackEvent", "Form", "Send")  # and so is everything after it
    push(page, "setConsentGiven")  # a later grant replays nothing from before
    page.wait_for_timeout(1300)  # and sends no ping: no page view of this page was sent
    assert wire.requests == []
    assert rows(live_server.db_path, "SELECT * FROM hits") == []

    push(page, "trackPageView", "Granted")
    (hit,) = wire.wait(1)
    first_vid = hit["_id"]
    assert storage_and_cookies(page) == ({"gw_vid": first_vid}, [])
    (row,) = stored(live_server, 1)
    assert (row["kind"], row["action_name"], row["visitor_id"]) == (
        "pageview",
        "Granted",
        first_vid,
    )

    push(page, "forgetConsentGiven")  # withdrawal; the token is deliberately left appended
    assert storage_and_cookies(page) == ({}, [])
    push(page, "trackPageView", "After withdrawal")
    push(page, "trackEvent", "Form", "Send")
    page.evaluate("history.pushState({}, '', '/elsewhere')")
    page.wait_for_timeout(1200)  # the SPA delay and a heartbeat interval pass
    assert len(wire.requests) == 1
    assert len(rows(live_server.db_path, "SELECT * FROM hits")) == 1
    assert storage_and_cookies(page) == ({}, [])

    push(page, "setConsentGiven")  # granted again: a new visitor id, nothing replayed
    push(page, "trackPageView", "Granted again")
    hits = wire.wait(2)
    assert len(hits) == 2 and hits[1]["action_name"] == "Granted again"
    assert hits[1]["_id"] != first_vid
    wire.assert_beacons()
    push(page, "forgetCookieConsentGiven")  # also deletes the id
    assert storage_and_cookies(page) == ({}, [])


def test_no_identifier_before_consent_is_given_and_the_fetch_fallback(
    live_server: LiveServer, site_server: SiteServer, page: Page
) -> None:
    """Without requireConsent hits are sent, but without ``_id`` until setConsentGiven.

    The browser still holds the id of an earlier visit with consent: it is neither read nor sent
    before setConsentGiven, and used again after it. Here sendBeacon refuses every hit (as it
    does over its size quota), so each goes by ``fetch`` with ``keepalive``: still a POST with an
    empty body and the query string.
    """
    earlier = "0123456789abcdef"
    page.add_init_script(f"localStorage.gw_vid = '{earlier}'; navigator.sendBeacon = () => false;")
    consent = grant_analytics(live_server, site_server)
    url = tracker_page(
        live_server,
        site_server,
        "open.html",
        f"""_paq.push(['appendToTrackingUrl', 'gw_consent={consent["token"]}']);
  _paq.push(['trackPageView']);""",
    )
    wire = Wire(page, live_server)
    page.goto(url)
    (hit,) = wire.wait(1)
    assert "_id" not in hit
    assert storage_and_cookies(page) == ({"gw_vid": earlier}, [])
    (row,) = stored(live_server, 1)
    assert row["visitor_id"] is None and row["consent_id"] == consent["consent_id"]

    push(page, "setConsentGiven")
    push(page, "trackEvent", "Cart", "Add")
    hits = wire.wait(2)
    assert hits[1]["_id"] == earlier
    wire.assert_beacons(resource_type="fetch")
    found = [(r["kind"], r["visitor_id"]) for r in stored(live_server, 2)]
    assert found == [("pageview", None), ("event", earlier)]


def test_single_page_navigation_counts_page_views(
    live_server: LiveServer, site_server: SiteServer, page: Page
) -> None:
    consent = grant_analytics(live_server, site_server)
    url = tracker_page(
        live_server,
        site_server,
        "spa.html",
        f"""_paq.push(['requireConsent']);
  _paq.push(['appendToTrackingUrl', 'gw_consent={consent["token"]}']);
  _paq.push(['setConsentGiven']);
  _paq.push(['trackPageView']);""",
        # The application: it sets the title of each route, also on Back.
        """<script>
  const titles = {'/spa.html': 'Start page', '/app/two': 'Two', '/app/three': 'Three'};
  addEventListener('popstate', () => { document.title = titles[location.pathname]; });
</script>""",
    )
    origin = site_server.origin
    wire = Wire(page, live_server)
    page.goto(url)
    wire.wait(1)
    # A router pushes a new URL and sets the title once it has rendered: one page view with both.
    page.evaluate(
        "history.pushState({}, '', '/app/two'); setTimeout(() => document.title = 'Two', 30)"
    )
    wire.wait(2)
    # A #fragment or a state-only change is not a new page; replaceState to a new URL is.
    page.evaluate("history.pushState({}, '', '/app/two#details')")
    page.evaluate("history.replaceState({scroll: 1}, '')")
    page.evaluate("history.replaceState({}, '', '/app/three'); document.title = 'Three'")
    wire.wait(3)
    page.go_back()  # popstate
    wire.wait(4)
    page.go_back()
    wire.wait(5)
    # A site that tracks its own route changes is not counted twice.
    page.evaluate(
        """history.pushState({}, '', '/app/four');
        _paq.push(['setCustomUrl', location.href], ['setDocumentTitle', 'Four'],
                  ['trackPageView']);"""
    )
    page.wait_for_timeout(400)
    hits = wire.hits
    wire.assert_beacons()
    assert wire.kinds() == ["pageview"] * 6
    assert [(h["url"], h["action_name"], h.get("urlref")) for h in hits[:5]] == [
        (url, "Start page", None),
        (f"{origin}/app/two", "Two", url),
        (f"{origin}/app/three", "Three", f"{origin}/app/two"),
        (f"{origin}/app/two", "Two", f"{origin}/app/three"),
        (url, "Start page", f"{origin}/app/two"),
    ]
    assert (hits[5]["url"], hits[5]["action_name"]) == (f"{origin}/app/four", "Four")
    assert len({h["pv_id"] for h in hits}) == 6  # a new page view id each time
    assert {h["gw_consent"] for h in hits} == {consent["token"]}

    found = [(r["kind"], r["url"], r["action_name"], r["referrer"]) for r in stored(live_server, 6)]
    assert len(found) == 6
    assert ("pageview", f"{origin}/app/two", "Two", url) in found
    assert ("pageview", f"{origin}/app/three", "Three", f"{origin}/app/two") in found


def test_outlinks_and_downloads(
    live_server: LiveServer, site_server: SiteServer, page: Page
) -> None:
    consent = grant_analytics(live_server, site_server)
    origin = site_server.origin
    url = tracker_page(
        live_server,
        site_server,
        "links.html",
        f"""_paq.push(['requireConsent']);
  _paq.push(['appendToTrackingUrl', 'gw_consent={consent["token"]}']);
  _paq.push(['setConsentGiven']);
  _paq.push(['trackPageView']);
  _paq.push(['enableLinkTracking']);""",
        f"""<a id="internal" href="/about.html">about</a>
<a id="mail" href="mailto:info@example.org">mail</a>
<a id="report" href="/files/Report.PDF?v=2">report</a>
<a id="export" href="/export" download>export</a>
<a id="zip" href="https://www.example.org/pack.zip">zip</a>
<a id="middle" href="https://example.net/"><span>middle</span></a>
<a id="away" href="{live_server.base}/healthz">gateway</a>
<script>
  // Stay on the page for every link but the last.
  for (const type of ['click', 'auxclick']) document.addEventListener(type, e => {{
    if (!e.target.closest('#away')) e.preventDefault();
  }});
</script>""",
    )
    wire = Wire(page, live_server)
    page.goto(url)
    wire.wait(1)
    for link in ("internal", "mail", "report", "export", "zip"):
        page.click(f"#{link}")
    page.click("#middle span", button="middle")
    page.click("#middle span", button="right")
    with page.expect_navigation():
        page.click("#away")  # a real navigation: the beacon still arrives
    hits = wire.wait(6)
    wire.assert_beacons()
    links = [(kind(h), h.get("download") or h.get("link")) for h in hits[1:]]
    assert links == [
        ("download", f"{origin}/files/Report.PDF?v=2"),
        ("download", f"{origin}/export"),
        ("download", "https://www.example.org/pack.zip"),
        ("outlink", "https://example.net/"),
        ("outlink", f"{live_server.base}/healthz"),
    ]
    assert all(h["url"] == url and h["pv_id"] == hits[0]["pv_id"] for h in hits[1:])
    found = sorted(
        (r["kind"], r["link"]) for r in stored(live_server, 6)[1:] if r["kind"] != "pageview"
    )
    assert found == sorted(links)


def test_heartbeat_pings_only_after_a_page_view_and_with_focus(
    live_server: LiveServer, site_server: SiteServer, page: Page
) -> None:
    consent = grant_analytics(live_server, site_server)
    url = tracker_page(
        live_server,
        site_server,
        "beat.html",
        f"""_paq.push(['requireConsent']);
  _paq.push(['appendToTrackingUrl', 'gw_consent={consent["token"]}']);
  _paq.push(['setConsentGiven']);
  _paq.push(['enableHeartBeatTimer', 1]);""",
    )
    wire = Wire(page, live_server)
    page.goto(url)
    assert page.evaluate("[document.hasFocus(), document.visibilityState]") == [True, "visible"]
    page.wait_for_timeout(1200)
    assert wire.requests == []  # no page view yet: no ping

    push(page, "trackPageView")
    wire.wait(3, timeout=4)  # the page view and two pings
    times = [seen for seen, _ in wire.requests]
    hits = wire.hits
    wire.assert_beacons()
    assert wire.kinds()[:3] == ["pageview", "ping", "ping"]
    assert all(h["pv_id"] == hits[0]["pv_id"] for h in hits)
    assert all("action_name" not in h and "ca" not in h for h in hits[1:])
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert all(0.8 < gap < 1.9 for gap in gaps), gaps  # one a second, never faster

    # The visitor switches to another tab. Headless Chromium keeps every page "focused" through
    # Playwright's focus emulation; with it off, the tab in front has the focus.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    other = page.context.new_page()
    other.bring_to_front()
    assert page.evaluate("document.hasFocus()") is False
    page.wait_for_timeout(200)
    before = len(wire.requests)
    page.wait_for_timeout(1500)
    assert len(wire.requests) == before  # without focus: no ping
    page.bring_to_front()  # and back
    assert page.evaluate("document.hasFocus()") is True
    wire.wait(before + 1, timeout=2.5)
    assert wire.kinds()[before:] == ["ping"]
    other.close()

    pings = [r for r in stored(live_server, before + 1) if r["kind"] == "ping"]
    assert len(pings) >= 3
    assert {r["pv_id"] for r in pings} == {hits[0]["pv_id"]}
    assert {r["consent_id"] for r in pings} == {consent["consent_id"]}
