"""Error answers: always JSON ``{"error": "..."}`` with a 4xx status for anything a client did.

A 5xx means the gateway itself failed (the database is unreachable); bad input never gets one.
Messages name what was wrong with the request, never echo IP addresses or tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.storage.writer import StorageUnavailable, WriterClosed

log = logging.getLogger("gateway")


def json_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 413:
        return json_error(413, "request body too large")
    return json_error(exc.status_code, str(exc.detail), headers=exc.headers)


async def server_error(request: Request, exc: Exception) -> Response:
    # Any route whose write met a database outage (the writer logged it once): retry later.
    if isinstance(exc, StorageUnavailable):
        return json_error(503, "storage unavailable; retry", headers={"Retry-After": "5"})
    if isinstance(exc, WriterClosed):
        return json_error(503, "shutting down; retry", headers={"Retry-After": "5"})
    log.error("unexpected error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return json_error(500, "internal error")
