"""Read a request body with a size limit, so an oversized body is refused before it is held.

A declared ``Content-Length`` over the limit is refused without reading; a chunked body is read
until it passes the limit. The caller answers 413 with a JSON error.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    # ASCII digits only: str.isdigit() also accepts "²", which int() rejects.
    numeric = declared is not None and declared.isascii() and declared.isdigit()
    if numeric and declared is not None and (len(declared) > 18 or int(declared) > limit):
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
    except ClientDisconnect:
        return b""
    return b"".join(chunks)
