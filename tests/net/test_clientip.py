"""Trusted-proxy rules: X-Forwarded-For counts only when the peer is a trusted proxy."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from gateway.net.clientip import ClientIPMiddleware, client_ip, parse_hop, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8:ffff::/48", "192.0.2.1"])

# (peer, X-Forwarded-For headers, trusted networks, expected client)
MATRIX = [
    ("198.51.100.7", [], PROXIES, "198.51.100.7"),
    ("198.51.100.7", ["6.6.6.6"], PROXIES, "198.51.100.7"),  # untrusted peer: header ignored
    ("127.0.0.1", ["6.6.6.6"], (), "127.0.0.1"),  # default trusts nobody, not even loopback
    ("10.0.0.5", ["198.51.100.7"], PROXIES, "198.51.100.7"),
    ("10.0.0.5", ["6.6.6.6, 198.51.100.7"], PROXIES, "198.51.100.7"),  # spoofed left part
    ("10.0.0.5", ["6.6.6.6, 198.51.100.7, 10.1.1.1"], PROXIES, "198.51.100.7"),  # two proxies
    ("10.0.0.5", ["6.6.6.6", "198.51.100.7"], PROXIES, "198.51.100.7"),  # repeated headers
    ("10.0.0.5", ["10.1.1.1, 10.2.2.2"], PROXIES, "10.1.1.1"),  # all trusted: leftmost
    ("10.0.0.5", ["not-an-ip"], PROXIES, "10.0.0.5"),  # garbage: last trusted hop stands
    ("10.0.0.5", ["198.51.100.7, <script>"], PROXIES, "10.0.0.5"),
    ("10.0.0.5", [""], PROXIES, "10.0.0.5"),
    ("10.0.0.5", ["198.51.100.7:4711"], PROXIES, "198.51.100.7"),
    ("10.0.0.5", ["[2001:db8::1]:443"], PROXIES, "2001:db8::1"),
    ("2001:db8:ffff::2", ["2001:db8:1::7"], PROXIES, "2001:db8:1::7"),  # IPv6 proxy
    ("2001:db8:1::9", ["6.6.6.6"], PROXIES, "2001:db8:1::9"),  # IPv6 peer not trusted
    ("192.0.2.1", ["203.0.113.50"], PROXIES, "203.0.113.50"),  # single trusted address
    ("192.0.2.2", ["203.0.113.50"], PROXIES, "192.0.2.2"),
    ("::ffff:10.0.0.5", ["198.51.100.7"], PROXIES, "198.51.100.7"),  # mapped peer
    ("testclient", ["198.51.100.7"], PROXIES, "0.0.0.0"),  # unusable peer
    (None, [], PROXIES, "0.0.0.0"),
]


@pytest.mark.parametrize(("peer", "xff", "trusted", "expected"), MATRIX)
def test_client_ip_matrix(
    peer: str | None, xff: list[str], trusted: tuple[object, ...], expected: str
) -> None:
    assert client_ip(peer, xff, trusted) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        (" 1.2.3.4 ", "1.2.3.4"),
        ("1.2.3.4:80", "1.2.3.4"),
        ("[::1]:80", "::1"),
        ("::1", "::1"),
        ("[::1", None),
        ("fe80::1%eth0", None),
        ("999.1.1.1", None),
        ("", None),
    ],
)
def test_parse_hop(value: str, expected: str | None) -> None:
    hop = parse_hop(value)
    assert (str(hop) if hop else None) == expected


@pytest.mark.parametrize("bad", ["*", "10.0.0.0/33", "proxy.example"])
def test_bad_trusted_proxy_values_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_networks([bad])


def whoami_app() -> Starlette:
    async def whoami(request: Request) -> JSONResponse:
        assert request.client is not None
        return JSONResponse({"ip": request.client.host, "scheme": request.url.scheme})

    app = Starlette(routes=[Route("/", whoami)])
    return app


@pytest.mark.parametrize(
    ("peer", "headers", "expected_ip", "expected_scheme"),
    [
        ("10.0.0.5", {"X-Forwarded-For": "6.6.6.6, 198.51.100.7"}, "198.51.100.7", "http"),
        ("10.0.0.5", {"X-Forwarded-Proto": "https"}, "10.0.0.5", "https"),
        ("10.0.0.5", {"X-Forwarded-Proto": "gopher"}, "10.0.0.5", "http"),
        (
            "198.51.100.9",
            {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"},
            "198.51.100.9",
            "http",
        ),
    ],
)
def test_middleware_rewrites_client_and_scheme(
    peer: str, headers: dict[str, str], expected_ip: str, expected_scheme: str
) -> None:
    app = ClientIPMiddleware(whoami_app(), PROXIES)
    with TestClient(app, client=(peer, 1234)) as client:
        assert client.get("/", headers=headers).json() == {
            "ip": expected_ip,
            "scheme": expected_scheme,
        }
