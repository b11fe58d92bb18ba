"""Security headers on every response, so no page can forget them.

Routes that know better set their own (the dashboard's and the my-data page's CSPs with
nonces, the demo's relaxed one); this middleware only fills in what a response lacks:

- every response: ``X-Content-Type-Options: nosniff``;
- HTML: a strict ``Content-Security-Policy`` (nothing runs, styles only inline or from us, forms
  post only to us, no framing), ``Referrer-Policy: no-referrer`` (visitors' page addresses stay
  private when they follow a link out of a notice), ``X-Frame-Options: DENY`` for old browsers
  and ``Permissions-Policy`` switching off powerful features nobody here needs.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_HTML_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HTML_DEFAULTS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", DEFAULT_HTML_CSP),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _fill_defaults(message)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _fill_defaults(message: Message) -> None:
    """Add the defaults a response start lacks, on its raw header list.

    Header names are matched as sent (ASGI names are lowercase bytes), as Starlette's
    ``MutableHeaders.setdefault`` matches them; working on the raw list skips building a
    headers object for every response, which on the tracking endpoint is most of the cost.
    """
    headers = list(message.get("headers", ()))
    present = {name for name, _ in headers}
    if b"x-content-type-options" not in present:
        headers.append((b"x-content-type-options", b"nosniff"))
    content_type = next((value for name, value in headers if name == b"content-type"), b"")
    if content_type.startswith(b"text/html"):
        for name, value in _HTML_DEFAULTS_RAW:
            if name not in present:
                headers.append((name, value))
    message["headers"] = headers


_HTML_DEFAULTS_RAW: tuple[tuple[bytes, bytes], ...] = tuple(
    (name.encode("latin-1"), value.encode("latin-1")) for name, value in HTML_DEFAULTS
)
