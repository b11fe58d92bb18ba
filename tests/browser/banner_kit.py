"""Shared pieces of the banner's browser tests (``test_banner_*.py``).

Each test module starts one Debian Chromium (Playwright with ``executable_path``: nothing is
downloaded), one ``gateway serve`` process and one static site server on another origin
(``http://localhost:<port>``, so the gateway is cross-site), and gives every test a fresh
browser context: tests share nothing a visitor could carry over (storage, cookies, cache). The
gateway's ledger is shared within a module, so tests find their own records by consent id.

The gateway serves the demo policy as site ``demo`` and, when a module asks for it, a copy
with changed texts as site ``other``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import shutil
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import (
    ADMIN,
    BROWSER_UA,
    SECRET,
    LiveServer,
    SiteServer,
    free_port,
    rows,
    write_site,
)
from tests.gateway_process import started_gateway

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"
FAKE_MATOMO = Path(__file__).resolve().parent / "fake_matomo.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEMO_ORIGINS = 'origins = ["http://127.0.0.1:8000", "http://localhost:8000"]'
EMBED_YOUTUBE = (
    '<div class="video" style="height:240px"'
    ' data-gw-src="https://www.youtube-nocookie.com/embed/x"'
    ' data-gw-service="youtube" data-gw-title="Osuuskunnan esittelyvideo"></div>'
)


class Env:
    """What one test module shares: the browser, the gateway and the site server."""

    def __init__(self, browser: Browser, server: LiveServer, site: SiteServer) -> None:
        self.browser = browser
        self.server = server
        self.site = site

    def page(self, **options: Any) -> Page:
        """A page in a fresh context: a first-time visitor with a normal desktop Chrome UA.

        (The gateway drops ``HeadlessChrome`` as a bot, as it should.)
        """
        options.setdefault("user_agent", BROWSER_UA)
        options.setdefault("locale", "fi-FI")
        context = self.browser.new_context(**options)
        context.set_default_timeout(10_000)
        return context.new_page()

    def site_page(
        self, name: str, body: str = "", head: str = "", lang: str = "fi", site: str = "demo"
    ) -> str:
        """Write a page that embeds the banner on the site server; return its URL."""
        return self.site.page(name, page_html(self.server, body, head, lang, site))


@contextlib.contextmanager
def banner_env(
    directory: Path,
    site_host: str = "localhost",
    browser_args: tuple[str, ...] = (),
    other_site: Mapping[str, str] | None = None,
    **replacements: str,
) -> Iterator[Env]:
    """Browser, gateway and site server for one test module.

    ``replacements`` change the demo policy's text; ``other_site`` adds a copy of it as site
    ``other`` with those replacements. ``site_host`` names the site by another host name
    (resolved to 127.0.0.1 through ``browser_args`` such as ``--host-resolver-rules``).
    The gateway starts while the browser launches.
    """
    with site_server(directory / "site") as site:
        site.origin = site.origin.replace("localhost", site_host)
        with (
            starting_gateway(
                directory / "gateway", site.origin, other_site=other_site, **replacements
            ) as ready,
            chromium(*browser_args) as browser,
        ):
            yield Env(browser, ready(), site)


@contextlib.contextmanager
def chromium(*extra_args: str) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Debian's chromium is not installed: run scripts/test")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*ARGS, *extra_args], headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def site_server(directory: Path) -> Iterator[SiteServer]:
    """A static server for test pages on ``http://localhost:<port>`` (another site)."""
    directory.mkdir(parents=True, exist_ok=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SiteServer(directory, f"http://localhost:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def starting_gateway(
    directory: Path,
    *site_origins: str,
    other_site: Mapping[str, str] | None = None,
    **replacements: str,
) -> Iterator[Callable[[], LiveServer]]:
    """Start ``gateway serve`` on a free port; the yielded function waits until it answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    policies = directory / "policies"
    policies.mkdir(parents=True)
    listed = ", ".join(f'"{origin}"' for origin in (base, *site_origins))
    origins = {DEMO_ORIGINS: f"origins = [{listed}]"}
    write_site(policies, "demo", 1, **origins, **replacements)
    if other_site is not None:
        write_site(policies, "other", 7, **origins, **other_site)
    db_path = directory / "data" / "gateway.db"
    log_path = directory / "server.log"
    with started_gateway(
        port=port,
        policies=policies,
        db_url=f"sqlite:///{db_path}",
        log_path=log_path,
        env={"GATEWAY_SECRET_KEYS": SECRET, "GATEWAY_ADMIN_TOKEN": ADMIN},
        args=["--access-log"],
    ) as ready:
        yield lambda: LiveServer(ready(), db_path, log_path)


# ---- pages --------------------------------------------------------------------------------------


def banner_tag(server: LiveServer, extra: str = "", site: str = "demo") -> str:
    return f'<script src="{server.base}/consent/banner.js" data-site="{site}" {extra}></script>'


def page_html(
    server: LiveServer, body: str = "", head: str = "", lang: str = "fi", site: str = "demo"
) -> str:
    """A small site page that embeds the banner (``lang=""``: no ``<html lang>``)."""
    lang_attr = f' lang="{lang}"' if lang else ""
    return (
        f"<!doctype html><html{lang_attr}><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Test page</title>{head}{banner_tag(server, 'async', site)}</head>"
        f"<body><main><h1>Test page</h1><p>Content.</p>{body}</main></body></html>"
    )


def serve_on_gateway(page: Page, server: LiveServer, name: str, body: str, kind: str) -> str:
    """Make ``page`` see ``body`` at ``{gateway}/test-site/{name}``: a same-site deployment.

    The gateway serves no test pages itself, so the browser's request for that one URL is
    answered here; every other request to the gateway's origin reaches the real gateway.
    """
    url = f"{server.base}/test-site/{name}"
    page.route(url, lambda route: route.fulfill(status=200, body=body, content_type=kind))
    return url


def first_layer(page: Page) -> Any:
    return page.locator("#gw-consent .gw-first")


def settings_layer(page: Page) -> Any:
    return page.locator("#gw-consent .gw-modal")


def control(page: Page) -> Any:
    """The persistent settings control (shown once a choice exists)."""
    return page.locator("button.gw-ctl")


def stored_choice(page: Page, site: str = "demo") -> Any:
    return page.evaluate(f"JSON.parse(localStorage.getItem('gw_consent.{site}'))")


# ---- the gateway's records ----------------------------------------------------------------------


def wait_until(check: Callable[[], Any], timeout: float = 5, step: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy (returned) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def consent_records(server: LiveServer) -> list[dict[str, Any]]:
    """The demo site's ledger through the admin API."""
    request = urllib.request.Request(
        server.base + "/api/sites/demo/consents", headers={"Authorization": f"Bearer {ADMIN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        records: list[dict[str, Any]] = json.loads(response.read())["records"]
    return records


def record_by_id(server: LiveServer, consent_id: str) -> dict[str, Any] | None:
    found = rows(server.db_path, "SELECT * FROM consents WHERE consent_id = ?", consent_id)
    return dict(found[0]) if found else None


def superseding(server: LiveServer, consent_id: str) -> dict[str, Any] | None:
    """The ledger record that replaced ``consent_id`` (a later choice or a withdrawal)."""
    found = rows(server.db_path, "SELECT * FROM consents WHERE supersedes = ?", consent_id)
    return dict(found[0]) if found else None


def hits_for(server: LiveServer, consent_id: str) -> list[dict[str, Any]]:
    found = rows(server.db_path, "SELECT * FROM hits WHERE consent_id = ? ORDER BY id", consent_id)
    return [dict(r) for r in found]
