"""Every shipped site's first layer fits the 6,000-byte budget in every language.

The browser test measures the demo in Chromium; this one guards the real sites' policies, whose
configs are larger (more services), so a policy edit cannot silently break the budget.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import ROOT, SECRET

FIRST_LAYER_BUDGET = 6_000
SETTINGS_BUDGET = 5_000
SITES = ["demo", "koneyrittajat", "kaustisen-seutukunta"]


def gz(body: bytes) -> int:
    return len(gzip.compress(body, 9))


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    tmp: Path = tmp_path_factory.mktemp("budget")
    settings = Settings(
        policies_dir=ROOT / "policies",
        db_url=f"sqlite:///{tmp}/b.db",
        secret_keys=(SECRET,),
        admin_token="a" * 24,
    )
    return TestClient(create_app(settings))


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
@pytest.mark.parametrize("site", SITES)
def test_first_layer_and_settings_fit(shipped: TestClient, site: str, lang: str) -> None:
    client = shipped
    first = gz(client.get("/consent/banner.js").content) + gz(
        client.get(f"/consent/{site}/config", params={"lang": lang}).content
    )
    settings = gz(client.get("/consent/banner-settings.js").content) + gz(
        client.get(f"/consent/{site}/details", params={"lang": lang}).content
    )
    assert first <= FIRST_LAYER_BUDGET, f"{site}/{lang}: first layer {first} B"
    assert settings <= SETTINGS_BUDGET, f"{site}/{lang}: settings layer {settings} B"
