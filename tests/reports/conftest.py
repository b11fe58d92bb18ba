"""Report fixtures: the demo and "other" sites, each with its own API token, and a scenario.

``scenario`` loads a small, hand-checked set of visits through the real tracking endpoint
(``/matomo.php``, custom times with ``cdt`` and the admin ``token_auth``), in shuffled order and
partly as one bulk request. ``docs/reports.md`` walks through the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN, BROWSER_UA, grant, write_site

DEMO_TOKEN = "demo-site-token-0123456789"
OTHER_TOKEN = "other-site-token-0123456789"
SITE = "http://127.0.0.1:8000"
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
A, B, C, D = (letter * 16 for letter in "abcd")


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@pytest.fixture
def policies_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "policies"
    directory.mkdir()
    for slug, idsite, token in (("demo", 1, DEMO_TOKEN), ("other", 7, OTHER_TOKEN)):
        hashed = f'token_sha256 = ["{_sha(token)}"]'
        write_site(directory, slug, idsite, **{"token_sha256 = []": hashed})
    return directory


def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# The scenario, one row per hit: visitor, UTC time, extra tracking parameters. Per visit:
#   A1  03-01 23:50 - 00:10  from Google: /, event Video/Play/intro (2.5), /products (crosses
#       midnight: the whole visit counts on 03-01). 1,200 s, 3 actions, 2 page views.
#   A2  03-02 00:41 - 00:43  31 minutes after A1's last hit, so a new visit, direct:
#       /contact, an outlink, a download. 120 s, 3 actions, 1 page view. A returns.
#   A3  03-02 20:00          direct, / only: a bounce of a returning visitor. 0 s.
#   B1  03-02 10:00 - 10:00:20  campaign "spring" (mtm_ parameters): /, then a ping - a
#       bounce (one action) whose duration still counts the ping: 20 s.
#   C1  03-02 12:00 - 12:05  iPhone from Facebook, no country: /products, /. 300 s.
#   D1  03-01 09:00 - 09:01  Swedish, from blog.example.org: /, event Form/Submit. 60 s.
SCENARIO: list[tuple[str, str, dict[str, Any]]] = [
    (A, "2026-03-01 23:50:00", {"url": f"{SITE}/", "urlref": "https://www.google.com/"}),
    (
        A,
        "2026-03-01 23:55:00",
        {"url": f"{SITE}/", "e_c": "Video", "e_a": "Play", "e_n": "intro", "e_v": "2.5"},
    ),
    (A, "2026-03-02 00:10:00", {"url": f"{SITE}/products", "urlref": f"{SITE}/"}),
    (A, "2026-03-02 00:41:00", {"url": f"{SITE}/contact"}),
    (A, "2026-03-02 00:42:00", {"url": f"{SITE}/contact", "link": "https://partner.example/"}),
    (
        A,
        "2026-03-02 00:43:00",
        {"url": f"{SITE}/contact", "download": f"{SITE}/files/brochure.pdf"},
    ),
    (A, "2026-03-02 20:00:00", {"url": f"{SITE}/"}),
    (B, "2026-03-02 10:00:00", {"url": f"{SITE}/?mtm_campaign=Spring&mtm_kwd=ad"}),
    (B, "2026-03-02 10:00:20", {"url": f"{SITE}/", "ping": "1"}),
    (C, "2026-03-02 12:00:00", {"url": f"{SITE}/products", "urlref": "https://www.facebook.com/"}),
    (C, "2026-03-02 12:05:00", {"url": f"{SITE}/", "urlref": f"{SITE}/products"}),
    (D, "2026-03-01 09:00:00", {"url": f"{SITE}/", "urlref": "https://blog.example.org/post"}),
    (D, "2026-03-01 09:01:00", {"url": f"{SITE}/", "e_c": "Form", "e_a": "Submit"}),
]
PROFILE = {  # per visitor: user agent and the parameters every hit of theirs carries
    A: (BROWSER_UA, {"country": "fi", "lang": "fi", "res": "1920x1080"}),
    B: (BROWSER_UA, {"country": "fi", "lang": "fi-FI", "res": "1920x1080"}),
    C: (PHONE_UA, {"lang": "en-US", "res": "390x844"}),
    D: (BROWSER_UA, {"country": "se", "lang": "sv", "res": "2560x1440"}),
}


def _params(token: str, visitor: str, when: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "idsite": 1,
        "rec": 1,
        "_id": visitor,
        "gw_consent": token,
        "cdt": when,
        "token_auth": ADMIN,
        "send_image": 0,
        "action_name": "Page",
        **PROFILE[visitor][1],
        **extra,
    }


def load_scenario(client: TestClient) -> None:
    token: str = grant(client, ["analytics"])["token"]
    hits = list(SCENARIO)
    random.Random(4).shuffle(hits)  # arrival order must not matter
    for visitor, when, extra in hits[:8]:
        response = client.get(
            "/matomo.php",
            params=_params(token, visitor, when, extra),
            headers={"User-Agent": PROFILE[visitor][0]},
        )
        assert response.status_code == 204, response.text
    for visitor, when, extra in hits[8:]:  # the rest as one bulk request each
        body = {
            "requests": [{**_params(token, visitor, when, extra), "ua": PROFILE[visitor][0]}],
            "token_auth": ADMIN,
        }
        response = client.post("/matomo.php", content=json.dumps(body))
        assert response.status_code == 200 and response.json()["tracked"] == 1, response.text


@pytest.fixture
def scenario(client: TestClient) -> Iterator[TestClient]:
    load_scenario(client)
    yield client
