"""A request log without addresses: method, path (never the query string), status, duration.

The query string is left out because tracking requests carry URLs, tokens and, from trusted
servers, ``cip`` client addresses; the peer address is left out because it is untruncated.
Path segments that are credentials (a shared dashboard link) or identify a visitor (the GDPR
tools' visitor id) are replaced by ``…``.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("gateway.access")

_SECRET_SEGMENTS = re.compile(r"^(/share/[^/]+/|/api/sites/[^/]+/visitors/)[^/]+")


def loggable_path(path: str) -> str:
    """The path with credential and visitor-id segments replaced by ``…``."""
    return _SECRET_SEGMENTS.sub(r"\1…", path)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info(
                '"%s %s" %d %.1fms', scope["method"], loggable_path(scope["path"]), status, elapsed
            )
