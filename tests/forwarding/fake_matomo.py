"""A stand-in for Matomo's tracking endpoint that answers as Matomo documents it.

A real HTTP server on a loopback port (``http.server`` in a thread). ``/matomo.php`` accepts
GET and bulk POST like Matomo (``core/Tracker/Request.php``, the BulkTracking plugin):

- ``cip``, ``country``... (auth-only parameters) or a ``cdt`` older than 24 hours without the
  right ``token_auth`` -> 400; in a bulk request that fails the whole batch (Matomo runs bulk
  requests in one transaction): ``400 {"status": "error", "tracked": 0, "invalid": 0}``;
- an entry without a positive ``idsite`` or without ``rec=1`` is counted ``invalid`` and
  skipped; the batch answers ``200 {"status": "success", "tracked": N, "invalid": M}``.

Modes: ``"ok"``; ``"slow"`` (sleeps ``slow_seconds`` before answering, longer than the
forwarder's time limit, and tracks nothing); ``"failing"`` (500, tracks nothing). ``stop()``
takes it down (connection refused) and ``start()`` brings it back on the same port. Every
request received is kept in ``received`` (raw query and body); what was tracked in ``tracked``.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

Mode = Literal["ok", "slow", "failing"]
AUTH_PARAMS = ("cip", "cdo", "country", "region", "city", "lat", "long")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"


class Refused(Exception):
    """Matomo's InvalidRequestParameterException: HTTP 400."""


@dataclass
class Received:
    method: str
    query: str
    body: bytes


@dataclass
class FakeMatomo:
    token: str
    mode: Mode = "ok"
    slow_seconds: float = 1.5
    port: int = 0
    received: list[Received] = field(default_factory=list)
    tracked: list[dict[str, str]] = field(default_factory=list)
    _server: http.server.ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/matomo.php"

    def start(self) -> None:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fake._handle(self, self.rfile.read(length))

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- what Matomo does ---------------------------------------------------------------------

    def _handle(self, handler: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        parts = urlsplit(handler.path)
        with self._lock:
            self.received.append(Received(handler.command, parts.query, body))
            mode = self.mode
        if parts.path != "/matomo.php":
            return _answer(handler, 404, b"not found", "text/plain")
        if mode == "slow":
            time.sleep(self.slow_seconds)
            return _answer(handler, 200, b'{"status":"success","tracked":0,"invalid":0}')
        if mode == "failing":
            return _answer(handler, 500, b"Internal Server Error", "text/plain")
        if b'"requests"' in body[1:]:
            return self._bulk(handler, body)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        params.update(dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)))
        try:
            valid = self._check(params, params.get("token_auth"))
        except Refused:
            return _answer(handler, 400, GIF, "image/gif")
        if valid:
            with self._lock:
                self.tracked.append(params)
        _answer(handler, 200, GIF, "image/gif")

    def _bulk(self, handler: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        try:
            payload = json.loads(body)
            entries = payload["requests"]
        except (ValueError, KeyError, TypeError):
            return _answer(handler, 400, b'{"status":"error","tracked":0,"invalid":0}')
        token = payload.get("token_auth")
        accepted: list[dict[str, str]] = []
        invalid = 0
        try:
            for entry in entries:
                if isinstance(entry, str):
                    params = dict(parse_qsl(urlsplit(entry).query, keep_blank_values=True))
                else:
                    params = {str(k): str(v) for k, v in entry.items()}
                if self._check(params, token):
                    accepted.append(params)
                else:
                    invalid += 1
        except Refused:  # one transaction: nothing of the batch is kept
            return _answer(handler, 400, b'{"status":"error","tracked":0,"invalid":0}')
        with self._lock:
            self.tracked.extend(accepted)
        answer = {"status": "success", "tracked": len(accepted), "invalid": invalid}
        _answer(handler, 200, json.dumps(answer).encode())

    def _check(self, params: dict[str, str], token: str | None) -> bool:
        """False: an invalid request (skipped); raises Refused where Matomo answers 400."""
        authed = token == self.token
        if not authed and any(params.get(name) for name in AUTH_PARAMS):
            raise Refused
        cdt = params.get("cdt")
        if cdt and not authed and cdt.isdigit() and int(cdt) < time.time() - 86400:
            raise Refused
        idsite = params.get("idsite", "")
        return idsite.isdigit() and int(idsite) > 0 and params.get("rec") == "1"


def _answer(
    handler: http.server.BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str = "application/json",
) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except OSError:  # the client gave up waiting (slow mode)
        pass
