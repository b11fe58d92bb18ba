"""The demo site at ``/`` and ``/about``.

The demo pages look like a small real site that embeds the banner and tracks page views through
this gateway, so a newcomer sees the whole flow - banner, consent record, page view stored only
after Accept - in a browser. They are served only while a policy with the slug ``demo`` exists.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from gateway.runtime import runtime

HERE = Path(__file__).resolve().parent
DEMO_SLUG = "demo"
# What a site embedding the banner needs: the banner and tracker from the gateway, the inline
# page scripts the banner releases after consent, its injected styles, and the consented video.
DEMO_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-src https://www.youtube-nocookie.com; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_env = Environment(
    loader=FileSystemLoader(HERE), autoescape=select_autoescape(["html"]), auto_reload=False
)


def _page(template: str):  # type: ignore[no-untyped-def]
    async def page(request: Request) -> Response:
        rt = runtime(request)
        policy = rt.policies.by_slug(DEMO_SLUG)
        if policy is None:
            return JSONResponse(
                {"service": "gateway", "sites": [p.slug for p in rt.policies]},
            )
        base = str(request.base_url).rstrip("/")
        html = _env.get_template(template).render(base=base, site=policy.slug, idsite=policy.idsite)
        return HTMLResponse(html, headers={"Content-Security-Policy": DEMO_CSP})

    return page


routes = [
    Route("/", _page("index.html"), methods=["GET", "HEAD"]),
    Route("/about", _page("about.html"), methods=["GET", "HEAD"]),
]
