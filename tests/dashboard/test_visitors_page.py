"""The dashboard's "Visitor data (GDPR)" page: look a person up, see the hits, erase them."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.api.kit import consent, track
from tests.conftest import ADMIN, rows
from tests.dashboard.conftest import OTHER_TOKEN, csrf_of, login

LAPTOP, PHONE, BOB = "1a2b3c4d5e6f7a8b", "9f8e7d6c5b4a3f2e", "b0b0b0b0b0b0b0b0"
JANE = "jane@example.fi"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def people(client: TestClient) -> None:
    laptop, phone, bob = (consent(client) for _ in range(3))
    track(client, laptop, LAPTOP, "/", title=SCRIPT)
    track(client, laptop, LAPTOP, "/account", uid=JANE)
    track(client, phone, PHONE, "/account/phone", uid=JANE)
    track(client, bob, BOB, "/pricing")


def hits_by_visitor(db_path: Path) -> dict[str, int]:
    found = rows(db_path, "SELECT visitor_id, COUNT(*) AS n FROM hits GROUP BY visitor_id")
    return {str(r["visitor_id"]): int(r["n"]) for r in found}


def page(client: TestClient, query: str = "") -> str:
    response = client.get(f"/dashboard/demo/visitors{query}")
    assert response.status_code == 200, response.text
    return response.text


def test_without_a_session_the_page_asks_to_log_in_and_shows_nothing(
    client: TestClient, people: None
) -> None:
    response = client.get(f"/dashboard/demo/visitors?id={LAPTOP}")
    assert response.status_code == 403
    assert "Please log in" in response.text
    assert "/account" not in response.text


def test_a_session_for_another_site_is_refused(client: TestClient, people: None) -> None:
    login(client, OTHER_TOKEN, site="other")
    response = client.get(f"/dashboard/demo/visitors?id={LAPTOP}")
    assert response.status_code == 403
    assert "/account" not in response.text


def test_the_page_has_the_dashboards_strict_headers(client: TestClient) -> None:
    login(client, ADMIN)
    response = client.get("/dashboard/demo/visitors")
    assert response.status_code == 200
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert 'name="id"' in response.text
    assert "<script" not in response.text


def test_lookup_by_visitor_id_shows_the_hits_and_consent_records(
    client: TestClient, people: None
) -> None:
    login(client, ADMIN)
    html = page(client, f"?id={LAPTOP}")
    assert "http://127.0.0.1:8000/account" in html
    assert "/account/phone" not in html and "/pricing" not in html
    assert html.count('data-visitor="1a2b3c4d5e6f7a8b"') == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and SCRIPT not in html
    assert "custom" in html  # the consent record of that browser
    assert 'action="/dashboard/demo/visitors/erase"' in html


def test_lookup_by_user_id_shows_every_browser_of_that_user(
    client: TestClient, people: None
) -> None:
    login(client, ADMIN)
    html = page(client, f"?id={JANE}&by=user_id")
    assert html.count('data-visitor="1a2b3c4d5e6f7a8b"') == 2
    assert html.count('data-visitor="9f8e7d6c5b4a3f2e"') == 1
    assert "/pricing" not in html


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?id=abc", 400, "a visitor id is 16 hexadecimal characters"),
        ("?id=abc&by=phone", 400, "&#39;by&#39; must be visitor_id or user_id"),
        ("?id=ffffffffffffffff", 404, "Nothing is stored for this visitor."),
        ("?id=nobody@example.fi&by=user_id", 404, "Nothing is stored for this visitor."),
    ],
)
def test_bad_or_unknown_ids_are_explained(
    client: TestClient, people: None, query: str, status: int, message: str
) -> None:
    login(client, ADMIN)
    response = client.get(f"/dashboard/demo/visitors{query}")
    assert response.status_code == status
    assert message in response.text


def erase_form(client: TestClient, value: str, by: str = "visitor_id") -> dict[str, str]:
    html = page(client, f"?id={value}&by={by}")
    return {"csrf": csrf_of(html), "id": value, "by": by}


def test_erasing_needs_the_confirmation_box(
    client: TestClient, db_path: Path, people: None
) -> None:
    login(client, ADMIN)
    before = hits_by_visitor(db_path)
    response = client.post("/dashboard/demo/visitors/erase", data=erase_form(client, LAPTOP))
    assert response.status_code == 400
    assert "Nothing was erased" in response.text
    assert hits_by_visitor(db_path) == before


@pytest.mark.parametrize(
    ("change", "headers"),
    [
        ({"csrf": "not-the-sessions-value"}, {}),
        ({}, {"Sec-Fetch-Site": "cross-site"}),
    ],
)
def test_a_forged_erase_form_erases_nothing(
    client: TestClient,
    db_path: Path,
    people: None,
    change: dict[str, str],
    headers: dict[str, str],
) -> None:
    login(client, ADMIN)
    before = hits_by_visitor(db_path)
    form = {**erase_form(client, LAPTOP), "confirm": "yes", **change}
    response = client.post("/dashboard/demo/visitors/erase", data=form, headers=headers)
    assert response.status_code == 403
    assert hits_by_visitor(db_path) == before


def test_erasing_by_user_id_removes_every_browser_of_that_user_and_nobody_else(
    client: TestClient, db_path: Path, people: None
) -> None:
    login(client, ADMIN)
    form = {**erase_form(client, JANE, "user_id"), "confirm": "yes"}
    response = client.post("/dashboard/demo/visitors/erase", data=form)
    assert response.status_code == 200, response.text
    assert 'data-erased="3"' in response.text
    assert hits_by_visitor(db_path) == {BOB: 1}
    visits = rows(db_path, "SELECT visitor FROM visits")
    assert [r["visitor"] for r in visits] == [BOB]
    # and gone for good
    assert client.get(f"/dashboard/demo/visitors?id={LAPTOP}").status_code == 404


def test_the_owners_dashboard_links_the_gdpr_page(client: TestClient) -> None:
    login(client, ADMIN)
    html = client.get("/dashboard/demo").text
    assert 'href="/dashboard/demo/visitors"' in html
