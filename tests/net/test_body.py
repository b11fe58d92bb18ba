"""Request bodies are read with a limit; odd Content-Length headers never raise."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.types import Message

from gateway.net.body import BodyTooLarge, read_body


def request_with(content_length: bytes | None, body: bytes) -> Request:
    headers = [] if content_length is None else [(b"content-length", content_length)]
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    return Request(scope, receive)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("declared", "body", "outcome"),
    [
        (b"5", b"hello", b"hello"),
        (None, b"hello", b"hello"),
        ("²".encode("latin-1"), b"hello", b"hello"),  # not a number: the stream decides
        (b"-1", b"hello", b"hello"),
        (b"11", b"x" * 11, BodyTooLarge),
        (b"9" * 5000, b"", BodyTooLarge),  # absurdly long: refused without int() on it
        (None, b"x" * 11, BodyTooLarge),  # no header: counted while reading
        (b"3", b"x" * 11, BodyTooLarge),  # the header lies: still counted
    ],
)
async def test_limits_and_odd_headers(
    declared: bytes | None, body: bytes, outcome: bytes | type[Exception]
) -> None:
    request = request_with(declared, body)
    if isinstance(outcome, bytes):
        assert await read_body(request, 10) == outcome
    else:
        with pytest.raises(outcome):
            await read_body(request, 10)
