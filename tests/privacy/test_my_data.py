"""A visitor's own data at /privacy/{site}/my-data: see it, take it along, erase it.

Two visitors, A and B, consent on the demo site and browse; everything goes through the real
routes (``/consent``, ``/matomo.php``) into a real SQLite file:

- A grants analytics (token ``a1``), views two pages as visitor id ``aaaa...`` and one with no
  visitor id, then changes the choice to "accept all" (token ``a2``, superseding ``a1``) and
  views one more page.
- B grants analytics (token ``b``) and views two pages as visitor id ``bbbb...``.

A's token - the current one or the superseded one - shows exactly A's records and hits; erasing
them leaves nothing of A in the hits, visits or reports, strips IP, user agent and salt from A's
consent records, keeps the hash chain verifiable, and stops A's tokens from counting.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from gateway.tracking.record import HIT_COLUMNS
from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, SECRET, db_url, grant, rows
from tests.pg_server import PgDatabase

UA = {"User-Agent": BROWSER_UA}
A_VISITOR, B_VISITOR = "a" * 16, "b" * 16
PAGE = "/privacy/demo/my-data"


def track(client: TestClient, token: str, path: str, visitor: str | None) -> None:
    params: dict[str, Any] = {
        "idsite": 1,
        "rec": 1,
        "url": f"{ORIGIN}{path}",
        "action_name": path.strip("/") or "home",
        "gw_consent": token,
    }
    if visitor is not None:
        params["_id"] = visitor
    response = client.get("/matomo.php", params=params, headers=UA)
    assert response.status_code == 200, response.text
    client.cookies.clear()


def change_choice(client: TestClient, previous: str, granted: list[str]) -> dict[str, Any]:
    response = client.post(
        "/consent/demo",
        params={"gw_consent": previous},
        json={"granted": granted, "policy_version": "2026-01-01", "lang": "fi"},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 201, response.text
    client.cookies.clear()
    body: dict[str, Any] = response.json()
    return body


class Visitors:
    def __init__(self, client: TestClient) -> None:
        first = grant(client, ["analytics"])
        self.a1, self.a_first = first["token"], first["consent_id"]
        track(client, self.a1, "/a-home", A_VISITOR)
        track(client, self.a1, "/a-about", A_VISITOR)
        track(client, self.a1, "/a-lone", None)
        second = change_choice(client, self.a1, ["analytics", "marketing", "social"])
        self.a2, self.a_second = second["token"], second["consent_id"]
        track(client, self.a2, "/a-contact", A_VISITOR)
        b = grant(client, ["analytics"])
        self.b, self.b_id = b["token"], b["consent_id"]
        track(client, self.b, "/b-home", B_VISITOR)
        track(client, self.b, "/b-news", B_VISITOR)

    @property
    def a_ids(self) -> set[str]:
        return {self.a_first, self.a_second}


@pytest.fixture
def visitors(client: TestClient) -> Visitors:
    return Visitors(client)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def summary(client: TestClient) -> dict[str, Any]:
    today = datetime.now(UTC).date().isoformat()
    response = client.get(
        "/api/sites/demo/stats/summary", params={"from": today, "to": today}, headers=bearer(ADMIN)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def verify_consents(db_path: Path | PgDatabase) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway",
            "verify-consents",
            "demo",
            "--db",
            db_url(db_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"GATEWAY_SECRET_KEYS": SECRET, "GATEWAY_ADMIN_TOKEN": "x" * 20, "PATH": ""},
    )


# ---- seeing one's own data ----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["current token", "superseded token"])
def test_export_holds_exactly_the_callers_records_and_hits(
    client: TestClient, visitors: Visitors, which: str
) -> None:
    token = visitors.a2 if which == "current token" else visitors.a1
    response = client.get(PAGE, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["site"] == "demo"
    assert [r["consent_id"] for r in body["consent_records"]] == [
        visitors.a_first,
        visitors.a_second,
    ]
    assert [h["url"] for h in body["hits"]] == [
        f"{ORIGIN}/a-home",
        f"{ORIGIN}/a-about",
        f"{ORIGIN}/a-lone",
        f"{ORIGIN}/a-contact",
    ]
    assert {h["consent_id"] for h in body["hits"]} == visitors.a_ids
    assert {h["visitor_id"] for h in body["hits"]} == {A_VISITOR, None}
    assert visitors.b not in response.text and visitors.b_id not in response.text
    assert B_VISITOR not in response.text and "/b-" not in response.text


def test_export_shows_every_stored_hit_column_and_public_record_fields(
    client: TestClient, visitors: Visitors
) -> None:
    body = client.get(PAGE, headers=bearer(visitors.a2)).json()
    assert all(list(hit) == list(HIT_COLUMNS) for hit in body["hits"])
    assert {hit["ip"] for hit in body["hits"]} == {"203.0.0.0"}  # truncated as stored
    first, second = body["consent_records"]
    assert "pii_salt" not in first
    assert (first["action"], first["granted"], first["denied"]) == (
        "custom",
        ["analytics", "necessary"],
        ["marketing", "social"],
    )
    assert (second["action"], second["supersedes"], second["source"]) == (
        "accept_all",
        visitors.a_first,
        "banner",
    )
    for record in (first, second):
        assert record["policy_version"] == "2026-01-01"
        assert re.fullmatch(r"[0-9a-f]{64}", record["policy_hash"])
        assert record["ts"] and record["ip"] == "203.0.0.0"


@pytest.mark.parametrize(
    "carrier",
    ["bearer", "parameter", "cookie"],
)
def test_the_token_may_come_as_header_parameter_or_cookie(
    client: TestClient, visitors: Visitors, carrier: str
) -> None:
    if carrier == "bearer":
        response = client.get(PAGE, headers=bearer(visitors.a2))
    elif carrier == "parameter":
        response = client.get(PAGE, params={"gw_consent": visitors.a2})
    else:
        client.cookies.set("gw_consent", visitors.a2)
        response = client.get(PAGE)
    assert response.status_code == 200
    assert len(response.json()["hits"]) == 4


def test_download_is_a_json_attachment(client: TestClient, visitors: Visitors) -> None:
    response = client.get(PAGE, params={"format": "json"}, headers=bearer(visitors.b))
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="my-data-demo.json"'
    assert [h["url"] for h in response.json()["hits"]] == [f"{ORIGIN}/b-home", f"{ORIGIN}/b-news"]


def test_a_withdrawn_consent_still_opens_the_visitors_data(
    client: TestClient, visitors: Visitors
) -> None:
    withdrawn = client.delete(
        "/consent/demo", params={"gw_consent": visitors.b}, headers={"Origin": ORIGIN}
    )
    assert withdrawn.status_code == 200
    body = client.get(PAGE, headers=bearer(visitors.b)).json()
    assert [r["action"] for r in body["consent_records"]] == ["custom", "withdraw"]
    assert len(body["hits"]) == 2


# ---- who may ------------------------------------------------------------------------------------


def other_site_token(client: TestClient) -> str:
    token: str = grant(client, ["analytics"], site="other")["token"]
    return token


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize(
    ("credential", "status"),
    [
        ("none", 401),
        ("empty bearer", 401),
        ("tampered", 403),
        ("other site's token", 403),
        ("admin token", 403),
        ("garbage", 403),
    ],
)
def test_wrong_or_missing_credentials_are_refused(
    client: TestClient,
    visitors: Visitors,
    db_path: Path,
    method: str,
    credential: str,
    status: int,
) -> None:
    headers = {
        "none": {},
        "empty bearer": {"Authorization": "Bearer "},
        "tampered": bearer(
            visitors.a2[:-3] + ("AAA" if not visitors.a2.endswith("AAA") else "BBB")
        ),
        "other site's token": bearer(other_site_token(client)),
        "admin token": bearer(ADMIN),
        "garbage": bearer("x" * 5000),
    }[credential]
    response = client.request(method, PAGE, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]
    assert "/a-home" not in response.text
    assert len(rows(db_path, "SELECT id FROM hits")) == 6  # nothing erased


def test_a_sites_token_does_not_open_another_site(client: TestClient, visitors: Visitors) -> None:
    response = client.get("/privacy/other/my-data", headers=bearer(visitors.a2))
    assert response.status_code == 403
    assert client.get("/privacy/nosuch/my-data", headers=bearer(visitors.a2)).status_code == 404


# ---- erasure ------------------------------------------------------------------------------------


def test_erasure_removes_the_visitors_hits_and_pseudonymises_their_records(
    client: TestClient, visitors: Visitors, db_path: Path
) -> None:
    before = summary(client)
    assert (before["visitors"], before["visits"], before["pageviews"]) == (3, 3, 6)
    b_records = rows(db_path, "SELECT * FROM consents WHERE consent_id = ?", visitors.b_id)

    client.cookies.set("gw_consent", visitors.a2)
    response = client.delete(PAGE, headers=bearer(visitors.a2))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "site": "demo",
        "hits_erased": 4,
        "consent_records_pseudonymised": 2,
        "withdrawn": visitors.a_second,
    }
    assert 'gw_consent=""' in response.headers["set-cookie"]

    # No hit, no visit of A is left; B is untouched.
    left = rows(db_path, "SELECT url, visitor_id, consent_id FROM hits ORDER BY id")
    assert [r["url"] for r in left] == [f"{ORIGIN}/b-home", f"{ORIGIN}/b-news"]
    assert not rows(db_path, "SELECT id FROM visits WHERE visitor = ?", A_VISITOR)
    assert len(rows(db_path, "SELECT id FROM visits")) == 1
    # The reports count B alone, as if A had never been tracked.
    after = summary(client)
    assert (after["visitors"], after["visits"], after["pageviews"]) == (1, 1, 2)
    assert not rows(
        db_path, "SELECT * FROM rollup_days WHERE visitors < 0 OR visits < 0 OR pageviews < 0"
    )

    # A's records stay, stripped of IP, user agent and salt; a withdrawal stops the last one.
    a_rows = rows(
        db_path,
        "SELECT consent_id, ip, ua_family, pii_salt, action, source, supersedes FROM consents "
        "WHERE consent_id IN (?, ?) OR supersedes = ?",
        visitors.a_first,
        visitors.a_second,
        visitors.a_second,
    )
    assert len(a_rows) == 3
    assert all(r["ip"] is None and r["ua_family"] is None and r["pii_salt"] is None for r in a_rows)
    stop = [r for r in a_rows if r["supersedes"] == visitors.a_second][0]
    assert (stop["action"], stop["source"]) == ("withdraw", "mydata")
    assert rows(db_path, "SELECT * FROM consents WHERE consent_id = ?", visitors.b_id) == b_records

    checked = verify_consents(db_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_after_erasure_the_visitors_tokens_no_longer_count(
    client: TestClient, visitors: Visitors, db_path: Path
) -> None:
    assert client.delete(PAGE, headers=bearer(visitors.a1)).status_code == 200
    track(client, visitors.a2, "/a-again", A_VISITOR)
    track(client, visitors.a1, "/a-replayed", A_VISITOR)
    track(client, visitors.b, "/b-again", B_VISITOR)
    assert [r["url"] for r in rows(db_path, "SELECT url FROM hits ORDER BY id")] == [
        f"{ORIGIN}/b-home",
        f"{ORIGIN}/b-news",
        f"{ORIGIN}/b-again",
    ]


def test_erasing_twice_is_harmless(client: TestClient, visitors: Visitors, db_path: Path) -> None:
    first = client.delete(PAGE, headers=bearer(visitors.a2))
    records = len(rows(db_path, "SELECT seq FROM consents"))
    second = client.delete(PAGE, headers=bearer(visitors.a2))
    assert first.json()["hits_erased"] == 4
    assert second.status_code == 200
    assert second.json() == {
        "site": "demo",
        "hits_erased": 0,
        "consent_records_pseudonymised": 0,
        "withdrawn": None,
    }
    assert len(rows(db_path, "SELECT seq FROM consents")) == records
    assert summary(client)["visitors"] == 1
    assert verify_consents(db_path).returncode == 0
    # The visitor can still see what is kept: the pseudonymised records, no hits.
    body = client.get(PAGE, headers=bearer(visitors.a2)).json()
    assert body["hits"] == [] and len(body["consent_records"]) == 3


# ---- the page -----------------------------------------------------------------------------------

HTML = {"Accept": "text/html,application/xhtml+xml"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_a_browser_gets_a_page_in_its_language_with_a_strict_csp(
    client: TestClient, visitors: Visitors
) -> None:
    client.cookies.set("gw_consent", visitors.a2)
    response = client.get(PAGE, params={"lang": "sv"}, headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    html = response.text
    assert '<html lang="sv">' in html and "Mina uppgifter" in html
    assert "/a-contact" in html and "/b-home" not in html
    for action in ("download", "erase", "withdraw", "object"):
        assert f'name="action" value="{action}"' in html


@pytest.mark.parametrize(("lang", "text"), [("fi", "Omat tietoni"), ("en", "My data")])
def test_the_page_explains_a_missing_token(client: TestClient, lang: str, text: str) -> None:
    response = client.get(PAGE, params={"lang": lang}, headers=HTML)
    assert response.status_code == 401
    assert text in response.text and "gw_consent" not in response.text.split("<main>")[1]


def test_the_banners_link_posts_the_token_and_the_page_acts_with_csrf(
    client: TestClient, visitors: Visitors, db_path: Path
) -> None:
    # The "My data" link in the site's banner: a form posting the token from another site.
    opened = client.post(
        PAGE,
        data={"gw_consent": visitors.a2, "lang": "en"},
        headers={**HTML, "Origin": ORIGIN},
    )
    assert opened.status_code == 200 and "/a-lone" in opened.text
    csrf = csrf_of(opened.text)

    # Without the CSRF value (a forged form) nothing changes.
    forged = client.post(PAGE, data={"gw_consent": visitors.a2, "action": "erase"}, headers=HTML)
    assert forged.status_code == 403
    assert len(rows(db_path, "SELECT id FROM hits WHERE visitor_id = ?", A_VISITOR)) == 3

    erased = client.post(
        PAGE,
        data={"gw_consent": visitors.a2, "action": "erase", "csrf": csrf, "lang": "en"},
        headers=HTML,
    )
    assert erased.status_code == 200
    assert (
        "Your data was erased. Actions deleted: 4. Consent choices pseudonymised: 2." in erased.text
    )
    assert not rows(db_path, "SELECT id FROM hits WHERE consent_id IN (?, ?)", *visitors.a_ids)


def test_the_page_downloads_withdraws_and_objects(
    client: TestClient, visitors: Visitors, db_path: Path
) -> None:
    opened = client.post(PAGE, data={"gw_consent": visitors.a2}, headers=HTML)
    csrf = csrf_of(opened.text)
    form = {"gw_consent": visitors.a2, "csrf": csrf, "lang": "en"}

    download = client.post(PAGE, data={**form, "action": "download"}, headers=HTML)
    assert download.headers["content-disposition"].startswith("attachment")
    assert len(download.json()["hits"]) == 4

    objected = client.post(PAGE, data={**form, "action": "object"}, headers=HTML)
    assert "You objected to analytics" in objected.text
    record = rows(db_path, "SELECT * FROM consents WHERE supersedes = ?", visitors.a_second)[0]
    assert (record["granted"], record["source"], record["action"]) == (
        '["marketing", "necessary", "social"]',
        "mydata",
        "custom",
    )
    # The page keeps working with the new token, and a second objection changes nothing.
    again = client.post(
        PAGE, data={**form, "gw_consent": csrf_token_of(objected.text), "action": "object"}
    )
    assert "Analytics is already refused." in again.text

    withdrawn = client.post(PAGE, data={**form, "action": "withdraw"}, headers=HTML)
    assert "Your consent was withdrawn." in withdrawn.text
    last = rows(db_path, "SELECT action, source FROM consents ORDER BY seq DESC LIMIT 1")[0]
    assert (last["action"], last["source"]) == ("withdraw", "mydata")
    track(client, visitors.a2, "/a-after", A_VISITOR)
    assert not rows(db_path, "SELECT id FROM hits WHERE url LIKE ?", "%/a-after")


def csrf_token_of(html: str) -> str:
    """The consent token the page's forms carry."""
    found = re.search(r'name="gw_consent" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


# ---- the banner's side ---------------------------------------------------------------------------


def test_the_opt_out_element_records_its_own_source(client: TestClient, db_path: Path) -> None:
    response = client.post(
        "/consent/demo",
        json={"granted": [], "policy_version": "2026-01-01", "lang": "en", "source": "optout"},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 201
    record = rows(db_path, "SELECT action, source FROM consents")[0]
    assert (record["action"], record["source"]) == ("reject_all", "optout")


@pytest.mark.parametrize(("lang", "label"), [("fi", "Omat tietoni"), ("sv", "Mina uppgifter")])
def test_the_settings_details_link_the_page_and_carry_the_opt_out_texts(
    client: TestClient, lang: str, label: str
) -> None:
    body = client.get("/consent/demo/details", params={"lang": lang}).json()
    assert body["my_data_url"] == f"{ORIGIN}/privacy/demo/my-data?lang={lang}"
    texts = body["texts"]
    assert texts["my_data"] == label
    assert {"optout_label", "optout_on", "optout_off"} <= set(texts)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("action=explode&gw_consent=x", 400),
        ("&".join(f"f{i}=1" for i in range(40)), 400),
        ("action=erase", 401),
        ("gw_consent=%ff%fe&action=view", 403),
    ],
)
def test_bad_forms_get_a_clear_4xx(client: TestClient, body: str, status: int) -> None:
    response = client.post(
        PAGE, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == status


# ---- across a policy change ---------------------------------------------------------------------


def test_after_a_policy_change_one_token_opens_and_erases_both_versions_data(
    settings: Settings, policies_dir: Path, db_path: Path
) -> None:
    """Asked again after the policy changed, a visitor's new choice continues their history:
    the old token still proves which data is theirs, and so does the new one."""
    with TestClient(create_app(settings), base_url=ORIGIN) as client:
        before = grant(client, ["analytics"])
        track(client, before["token"], "/before", A_VISITOR)
    path = policies_dir / "demo.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'version = "2026-01-01"', 'version = "2026-06-01"', 1
        ),
        encoding="utf-8",
    )
    with TestClient(create_app(settings), base_url=ORIGIN) as client:
        response = client.post(
            "/consent/demo",
            params={"gw_consent": before["token"]},
            json={"granted": ["analytics"], "policy_version": "2026-06-01", "lang": "fi"},
            headers={"Origin": ORIGIN},
        )
        assert response.status_code == 201, response.text
        client.cookies.clear()
        after = response.json()
        track(client, after["token"], "/after", A_VISITOR)

        for token in (before["token"], after["token"]):
            data = client.get(PAGE, headers=bearer(token)).json()
            versions = {record["policy_version"] for record in data["consent_records"]}
            assert versions == {"2026-01-01", "2026-06-01"}
            assert sorted(hit["url"] for hit in data["hits"]) == [
                f"{ORIGIN}/after",
                f"{ORIGIN}/before",
            ]
        assert client.delete(PAGE, headers=bearer(before["token"])).status_code == 200
    assert rows(db_path, "SELECT * FROM hits") == []
    superseding = rows(
        db_path, "SELECT supersedes FROM consents WHERE consent_id = ?", after["consent_id"]
    )
    assert superseding[0]["supersedes"] == before["consent_id"]
