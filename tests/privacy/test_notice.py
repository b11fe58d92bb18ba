"""The privacy notice carries what the policy says, in the visitor's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.privacy.notice import Block, blocks
from gateway.settings import Settings
from tests.conftest import ORIGIN, ROOT, SECRET


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("One.\n\nTwo.", [Block("paragraph", ("One.",)), Block("paragraph", ("Two.",))]),
        ("Street 7\n00420 Helsinki", [Block("paragraph", ("Street 7", "00420 Helsinki"))]),
        ("- a\n- b", [Block("list", ("a", "b"))]),
        ("Lead:\n- a\n- b", [Block("paragraph", ("Lead:",)), Block("list", ("a", "b"))]),
        ("\n\n  \n\n", []),
    ],
)
def test_body_format(body: str, expected: list[Block]) -> None:
    assert blocks(body) == expected


@pytest.fixture
def shipped(tmp_path: Path) -> TestClient:
    settings = Settings(
        policies_dir=ROOT / "policies",
        db_url=f"sqlite:///{tmp_path}/n.db",
        secret_keys=(SECRET,),
        admin_token="a" * 24,
    )
    return TestClient(create_app(settings), base_url=ORIGIN)


@pytest.mark.parametrize(
    ("site", "lang", "facts"),
    [
        (
            "koneyrittajat",
            "fi",
            [
                "0201722-8",
                "Päivi Löppönen",
                "Tietosuojavaltuutetun toimisto",
                "Ratapihantie 9",
                "Google Analytics",
                "Matomo",
                "LinkedIn",
            ],
        ),
        ("koneyrittajat", "sv", ["0201722-8", "Google Analytics", "Matomo"]),
        ("koneyrittajat", "en", ["0201722-8", "Google Analytics", "Matomo"]),
        (
            "kaustisen-seutukunta",
            "fi",
            [
                "Lestintie 39",
                "69440 Lestijärvi",
                "info@kaustisenseutu.fi",
                "Petri Jylhä",
                "MailChimp",
                "Questback",
                "Visma Sign",
            ],
        ),
        ("kaustisen-seutukunta", "sv", ["Lestintie 39", "MailChimp"]),
        ("kaustisen-seutukunta", "en", ["Lestintie 39", "MailChimp"]),
    ],
)
def test_seed_notices_carry_their_facts(
    shipped: TestClient, site: str, lang: str, facts: list[str]
) -> None:
    with shipped as client:
        response = client.get(f"/privacy/{site}", params={"lang": lang})
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text
    for fact in facts:
        assert fact in response.text, fact


def test_unknown_language_and_site(shipped: TestClient) -> None:
    with shipped as client:
        assert client.get("/privacy/demo", params={"lang": "de"}).status_code == 400
        assert client.get("/privacy/nope").status_code == 404


def test_cookie_declaration_comes_from_the_policy(shipped: TestClient) -> None:
    with shipped as client:
        html = client.get("/privacy/koneyrittajat", params={"lang": "en"}).text
    assert "<code>_pk_id.*</code>" in html
    assert '<th scope="row">' in html


def test_a_policy_without_banner_texts_still_renders(tmp_path: Path) -> None:
    from tests.conftest import write_site

    policies = tmp_path / "p"
    policies.mkdir()
    text = write_site(policies, "demo", 1).read_text(encoding="utf-8")
    start = text.index("[texts.fi]")
    end = text.index("# --- privacy notice")
    (policies / "demo.toml").write_text(text[:start] + text[end:], encoding="utf-8")
    settings = Settings(
        policies_dir=policies,
        db_url=f"sqlite:///{tmp_path}/n.db",
        secret_keys=(SECRET,),
        admin_token="a" * 24,
    )
    with TestClient(create_app(settings), base_url=ORIGIN) as client:
        response = client.get("/privacy/demo", params={"lang": "sv"})
        assert response.status_code == 200
        assert "Dataskyddsbeskrivning" in response.text
        config = client.get("/consent/demo/config", params={"lang": "sv"}).json()
        assert config["texts"]["accept_all"] == "Godkänn alla"
