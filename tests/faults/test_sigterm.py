"""SIGTERM during a load: requests already received finish with their normal answers, the
writer's queue drains into the database, and the process exits 0 within a few seconds."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from pathlib import Path

from tests.conftest import BROWSER_UA
from tests.faults.kit import (
    GatewayProcess,
    Load,
    client_for,
    stored_consent_ids,
    stored_urls,
    tokens_for,
    verify_consents,
)


def begin_slow_post(gateway: GatewayProcess, url: str, token: str) -> tuple[socket.socket, bytes]:
    """A tracking POST whose headers and half of its body are sent; returns the rest."""
    body = (
        f"idsite=1&rec=1&send_image=0&_id=00000000000000aa&gw_consent={token}&url={url}"
    ).encode()
    head = (
        "POST /matomo.php HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{gateway.port}\r\n"
        f"User-Agent: {BROWSER_UA}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
    half = len(body) // 2
    sock.sendall(head + body[:half])
    return sock, body[half:]


def status_of(sock: socket.socket) -> int:
    reply = b""
    while b"\r\n" not in reply:
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
    sock.close()
    return int(reply.split(b" ", 2)[1])


async def load_then_terminate(gateway: GatewayProcess, load: Load) -> tuple[int, float, int]:
    """Drives the load, sends SIGTERM in its middle with one request half sent; returns that
    request's status, seconds from the signal to the exit, and the exit code."""
    async with client_for(gateway.base) as client:
        tokens = await tokens_for(load, client, 20)
        driving = asyncio.create_task(load.run(client, tokens, requests=1200, seconds=2.0))
        await load.until_acknowledged(320)  # the 20 grants above, and 300 of the load
        sock, rest = begin_slow_post(gateway, load.hit_url(100_000), tokens[0])
        await asyncio.sleep(0.2)  # the gateway has the request's headers: it is in flight
        gateway.signal(signal.SIGTERM)
        signalled = time.monotonic()
        await asyncio.sleep(0.5)
        sock.sendall(rest)  # the in-flight request completes after the signal
        slow_status = await asyncio.to_thread(status_of, sock)
        await driving
    code = await asyncio.to_thread(gateway.wait, 30)
    return slow_status, time.monotonic() - signalled, code


def test_sigterm_finishes_in_flight_requests_drains_the_queue_and_exits_0(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "data" / "gateway.db"
    gateway = GatewayProcess(tmp_path, db_path)
    gateway.start()
    load = Load(gateway.base, tag="term")
    try:
        slow_status, seconds, code = asyncio.run(load_then_terminate(gateway, load))
    finally:
        gateway.stop()

    assert code == 0, gateway.output()
    assert seconds < 5
    assert slow_status == 204  # received before the signal, answered normally after it
    assert load.hit_url(100_000) in stored_urls(db_path, "term")
    # Everything answered 2xx was committed before the process ended; nothing was answered
    # with an error: requests after the signal found the port closed (no answer at all).
    assert load.statuses() <= {200, 201, 204, None}
    hits, consents = load.acknowledged("hit"), load.acknowledged("consent")
    assert len(hits) + len(consents) >= 320
    assert hits <= stored_urls(db_path, "term")
    assert consents <= stored_consent_ids(db_path)
    assert verify_consents(db_path).startswith("ok: ")
    output = gateway.output()
    assert "Traceback" not in output
    assert "Application shutdown complete" in output
