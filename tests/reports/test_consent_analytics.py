"""Consent analytics: decisions per day and category, opt-in rates, languages, versions, GPC.

Five choices recorded through the real ``/consent`` routes (categories of the demo policy:
necessary, analytics, marketing, social):

1. accept all (fi)                 granted analytics, marketing, social
2. reject all (sv)                 denied all three
3. custom (en)                     granted analytics; denied marketing, social
4. Global Privacy Control (fi)     a refusal, source "gpc"
5. withdrawal of choice 1 (sv)     counted as a decision, left out of opt-in rates
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from starlette.testclient import TestClient

from tests.conftest import ORIGIN, grant
from tests.reports.conftest import admin


def choose(client: TestClient, granted: list[str], lang: str, source: str = "banner") -> None:
    response = client.post(
        "/consent/demo",
        json={"granted": granted, "policy_version": "2026-01-01", "lang": lang, "source": source},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 201, response.text
    client.cookies.clear()


def record_choices(client: TestClient) -> None:
    first = grant(client, ["analytics", "marketing", "social"])  # fi
    choose(client, [], "sv")
    choose(client, ["analytics"], "en")
    choose(client, [], "fi", source="gpc")
    withdrawn = client.delete(
        "/consent/demo",
        params={"gw_consent": first["token"], "lang": "sv"},
        headers={"Origin": ORIGIN},
    )
    assert withdrawn.status_code == 200, withdrawn.text


def report(client: TestClient, **params: str) -> dict[str, Any]:
    response = client.get("/api/sites/demo/stats/consents", params=params, headers=admin())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_consent_report(client: TestClient) -> None:
    record_choices(client)
    today = datetime.now(UTC).date().isoformat()
    body = report(client, **{"from": today, "to": today})
    assert body["decisions"] == 5 and body["choices"] == 4
    assert body["actions"] == {"accept_all": 1, "reject_all": 2, "custom": 1, "withdraw": 1}
    assert body["sources"] == {"banner": 4, "embed": 0, "gpc": 1}
    assert body["gpc_share"] == 20.0
    assert body["categories"] == [
        {"category": "analytics", "granted": 2, "denied": 2, "opt_in_rate": 50.0},
        {"category": "marketing", "granted": 1, "denied": 3, "opt_in_rate": 25.0},
        {"category": "social", "granted": 1, "denied": 3, "opt_in_rate": 25.0},
    ]
    languages = {row["lang"]: row for row in body["languages"]}
    assert {lang: row["decisions"] for lang, row in languages.items()} == {
        "en": 1,
        "fi": 2,
        "sv": 2,
    }
    assert languages["fi"]["opt_in_rate"] == {
        "analytics": 50.0,
        "marketing": 50.0,
        "social": 50.0,
    }
    assert languages["sv"]["opt_in_rate"] == {"analytics": 0.0, "marketing": 0.0, "social": 0.0}
    assert body["policy_versions"] == [
        {
            "policy_version": "2026-01-01",
            "decisions": 5,
            "opt_in_rate": {"analytics": 50.0, "marketing": 25.0, "social": 25.0},
        }
    ]
    (day,) = body["days"]
    assert day["date"] == today and day["decisions"] == 5 and day["gpc"] == 1
    assert day["categories"]["analytics"] == {"granted": 2, "denied": 2}


def test_consent_report_csv_and_empty_days(client: TestClient) -> None:
    record_choices(client)
    today = datetime.now(UTC).date().isoformat()
    response = client.get(
        "/api/sites/demo/stats/consents",
        params={"from": "2026-01-01", "to": today, "format": "csv"},
        headers=admin(),
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["date"] == "2026-01-01" and rows[0]["decisions"] == "0"
    assert rows[-1]["date"] == today and rows[-1]["decisions"] == "5"
    assert rows[-1]["analytics_granted"] == "2" and rows[-1]["withdraw"] == "1"


def test_nothing_recorded_gives_zeros_not_errors(client: TestClient) -> None:
    body = report(client, **{"from": "2026-03-01", "to": "2026-03-02"})
    assert body["decisions"] == 0 and body["gpc_share"] is None and body["categories"] == []
    assert [d["decisions"] for d in body["days"]] == [0, 0]


def test_other_sites_choices_stay_out(client: TestClient) -> None:
    record_choices(client)
    response = client.get("/api/sites/other/stats/consents", headers=admin())
    assert response.json()["decisions"] == 0
