"""``/openapi.json`` describes the gateway's JSON endpoints, and the gateway answers as it says.

schemathesis takes the document and sends generated requests to every described operation of
the real app (real SQLite through the shared fixtures) - valid ones and, in its negative mode,
invalid ones, plus methods the operation does not have. Every answer must be no 5xx, a
documented status code, with a documented media type and headers and a body that matches the
documented schema.

Credentials are the real ones: the admin token for ``/api``, consent tokens recorded through
``POST /consent/{site}`` for the visitor's endpoints. Four generated site names in five are
steered to ``demo``, which has a visitor with hits, so the 200 answers are exercised and not
only the refusals; the rest keep the generated name and must be refused cleanly.
Deterministic (derandomised, a fixed seed, no example database) and bounded in time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.python import asgi
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from gateway.api.openapi import document
from gateway.app import create_app
from gateway.settings import Settings
from tests.api.kit import ADMIN_AUTH, consent, track
from tests.conftest import ORIGIN

VISITOR = "1a2b3c4d5e6f7a8b"
USER = "customer-1"
SEED = 20260301
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


class Visitors:
    """Consent tokens of real recorded choices, made through the app itself.

    ``lasting`` is one browser's token with hits stored under it (as visitor ``VISITOR``, user
    ``USER``); no generated request withdraws or erases it. Operations that withdraw or erase
    get a ``fresh`` token each time.
    """

    def __init__(self, app: Starlette) -> None:
        self.app = app
        with asgi.get_client(app) as client:
            self.lasting = consent(client)
            for page in ("/", "/about"):
                track(client, self.lasting, VISITOR, page, uid=USER)
            track(client, consent(client, site="other"), VISITOR, site="other")

    def fresh(self) -> str:
        with asgi.get_client(self.app) as client:
            return consent(client)


@pytest.fixture
def gateway_app(settings: Settings) -> Iterator[Starlette]:
    """The real app; schemathesis starts its lifespan (store, writer, pollers) on first use."""
    app = create_app(settings)
    try:
        yield app
    finally:
        asgi.shutdown_lifespans()  # while the database's folder still exists


@pytest.fixture
def visitors(gateway_app: Starlette) -> Visitors:
    return Visitors(gateway_app)


schema = schemathesis.openapi.from_dict(
    document(), config=SchemathesisConfig.from_dict({"seed": SEED})
)


def _picked(value: str, one_in: int) -> bool:
    """A deterministic choice of one generated value in ``one_in``."""
    return zlib.crc32(value.encode()) % one_in == 0


def steer(case: Any) -> None:
    """Point most generated requests at data that exists, so success answers are checked."""
    found = case.path_parameters or {}
    if "site" in found and not _picked(found["site"], 5):
        found["site"] = "demo"
    if "visitor_id" in found and _picked(found["visitor_id"], 3):
        by_user = (case.query or {}).get("by") == "user_id"
        found["visitor_id"] = USER if by_user else VISITOR


def credentials(case: Any, visitors: Visitors) -> None:
    """Put the real credential where the operation reads it."""
    route, method = case.operation.path, case.method.upper()
    if route.startswith("/api/"):
        case.headers.update(ADMIN_AUTH)
    elif route == "/privacy/{site}/my-data":
        token = visitors.fresh() if method == "DELETE" else visitors.lasting
        case.headers["Authorization"] = f"Bearer {token}"
    elif route == "/consent/{site}":
        case.headers["Origin"] = ORIGIN
        if method != "POST":
            token = visitors.fresh() if method == "DELETE" else visitors.lasting
            case.query = {**(case.query or {}), "gw_consent": token}


@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_documented(case: Any, gateway_app: Starlette, visitors: Visitors) -> None:
    steer(case)
    credentials(case, visitors)
    case.call_and_validate(checks=CHECKS, app=gateway_app)


def test_the_served_document_is_valid_openapi(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    served = response.json()
    assert served == document()
    assert served["openapi"] == "3.1.0"
    loaded = schemathesis.openapi.from_dict(served)
    loaded.validate()  # against the OpenAPI 3.1 meta-schema
    results = list(loaded.get_all_operations())
    assert results and all(isinstance(result, Ok) for result in results)


def test_every_api_route_is_described(gateway_app: Starlette) -> None:
    paths = document()["paths"]
    for route in gateway_app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/"):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                assert method.lower() in paths.get(route.path, {}), f"{method} {route.path}"


def test_the_servers_entry_follows_the_mount_point() -> None:
    assert document()["servers"] == [{"url": "/"}]
    assert document("/gw/")["servers"] == [{"url": "/gw"}]


# Inputs the gateway once mishandled (a 500, or a date with a newline accepted): now a 400.
BAD_INPUT = [
    ("GET", "/api/sites/demo/stats/pages?limit=%C2%B2", None),  # "²" passes str.isdigit()
    ("GET", "/api/sites/demo/stats/pages?limit=" + "9" * 5000, None),  # int() refuses 4300+
    ("GET", "/api/sites/demo/audit?limit=%C2%B2", None),
    ("GET", "/api/audit?limit=" + "1" * 5000, None),
    ("GET", "/api/sites/demo/hits?from=2026-01-01%0A", None),  # was accepted as a date
    ("POST", "/consent/demo", b"[" * 16000),  # JSON nested too deep for the parser
]


@pytest.mark.parametrize(("method", "url", "body"), BAD_INPUT)
def test_bad_input_is_a_clear_400(
    client: TestClient, method: str, url: str, body: bytes | None
) -> None:
    headers = {**ADMIN_AUTH, "Origin": ORIGIN}
    response = client.request(method, url, content=body, headers=headers)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
