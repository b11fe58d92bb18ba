"""Every HTML page of the gateway carries security headers, whether or not its route set them."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from gateway.net.headers import DEFAULT_HTML_CSP, SecurityHeadersMiddleware
from tests.conftest import ADMIN


async def plain_page(request: Request) -> Response:
    return HTMLResponse("<p>hi</p>")


async def own_csp_page(request: Request) -> Response:
    return HTMLResponse("<p>hi</p>", headers={"Content-Security-Policy": "default-src 'self'"})


async def data(request: Request) -> Response:
    return JSONResponse({"ok": True})


@pytest.fixture
def small_app() -> TestClient:
    app = Starlette(
        routes=[Route("/page", plain_page), Route("/own", own_csp_page), Route("/data", data)],
        middleware=[Middleware(SecurityHeadersMiddleware)],
    )
    return TestClient(app)


def test_html_without_headers_gets_the_strict_defaults(small_app: TestClient) -> None:
    response = small_app.get("/page")
    assert response.headers["content-security-policy"] == DEFAULT_HTML_CSP
    assert "script-src" not in DEFAULT_HTML_CSP and "default-src 'none'" in DEFAULT_HTML_CSP
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_route_that_sets_its_own_policy_keeps_it(small_app: TestClient) -> None:
    response = small_app.get("/own")
    assert response.headers.get_list("content-security-policy") == ["default-src 'self'"]


def test_other_responses_get_nosniff_only(small_app: TestClient) -> None:
    response = small_app.get("/data")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers


HTML_PAGES = [
    ("/", {}),
    ("/about", {}),
    ("/privacy/demo", {}),
    ("/privacy/demo?lang=en", {}),
    ("/privacy/demo/versions", {}),
    ("/dashboard/demo", {}),
    ("/privacy/demo/my-data", {"Accept": "text/html"}),
]


@pytest.mark.parametrize(("path", "headers"), HTML_PAGES)
def test_every_html_page_of_the_gateway_has_a_csp_and_no_framing(
    client: TestClient, path: str, headers: dict[str, str]
) -> None:
    response = client.get(path, headers={**headers, "Authorization": f"Bearer {ADMIN}"})
    assert response.headers["content-type"].startswith("text/html"), (path, response.status_code)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors" in csp and "'unsafe-eval'" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
