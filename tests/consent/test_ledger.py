"""The consent ledger is a hash chain: it verifies, and any edit breaks it at that record."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.consent.ledger import (
    GENESIS,
    ConsentDraft,
    classify_action,
    seal,
    verify_chain,
)
from tests.conftest import ORIGIN, SECRET, db_url, execute, grant, rows
from tests.pg_server import PgDatabase


def draft(n: int) -> ConsentDraft:
    return ConsentDraft(
        consent_id=f"id-{n}",
        site="demo",
        ts=f"2026-01-01T00:00:0{n}.000000Z",
        action="accept_all",
        policy_version="2026-01-01",
        policy_hash="ab" * 32,
        granted=("analytics", "necessary"),
        denied=(),
        lang="fi",
        supersedes=None,
        expires_at=None,
        ip="203.0.0.0",
        ua_family="Chrome",
    )


def chain(length: int) -> list:  # type: ignore[type-arg]
    records, previous = [], GENESIS
    for n in range(1, length + 1):
        record = seal(draft(n), n, previous)
        records.append(record)
        previous = record.hash
    return records


@pytest.mark.parametrize(
    ("granted", "optional", "action"),
    [
        ({"analytics", "marketing"}, {"analytics", "marketing"}, "accept_all"),
        ({"necessary"}, {"analytics", "marketing"}, "reject_all"),
        (set(), {"analytics"}, "reject_all"),
        ({"necessary"}, {"analytics", "social"}, "reject_all"),
        ({"analytics"}, {"analytics", "marketing"}, "custom"),
    ],
)
def test_action_is_derived_from_the_choice(
    granted: set[str], optional: set[str], action: str
) -> None:
    assert classify_action(granted, optional) == action


def test_a_single_service_grant_is_not_a_refusal() -> None:
    assert classify_action({"necessary"}, {"analytics", "social"}, {"youtube"}) == "custom"


def test_an_intact_chain_verifies() -> None:
    assert verify_chain(chain(5)) is None


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("granted", ("necessary",), "record content was altered"),
        ("ts", "2025-01-01T00:00:00.000000Z", "record content was altered"),
        ("policy_hash", "cd" * 32, "record content was altered"),
        ("services", ("youtube",), "record content was altered"),
        ("source", "gpc", "record content was altered"),
        ("ip", "198.51.0.0", "personal fields were altered"),
        ("ua_family", "Firefox", "personal fields were altered"),
        ("prev_hash", "1" * 64, "previous-hash link does not match"),
    ],
)
def test_any_edit_breaks_the_chain_at_that_record(field: str, value: object, reason: str) -> None:
    from dataclasses import replace

    records = chain(4)
    records[2] = replace(records[2], **{field: value})
    broken = verify_chain(records)
    assert broken is not None
    assert (broken.site_seq, broken.consent_id, broken.reason) == (3, "id-3", reason)


def test_a_removed_record_breaks_the_chain() -> None:
    records = chain(4)
    del records[1]
    broken = verify_chain(records)
    assert broken is not None and broken.site_seq == 3


def test_erasing_personal_fields_keeps_the_chain_valid() -> None:
    from dataclasses import replace

    records = chain(3)
    records[1] = replace(records[1], ip=None, ua_family=None, pii_salt=None)
    assert verify_chain(records) is None


def verify_cli(db_path: Path | PgDatabase, site: str = "demo") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "verify-consents", site, "--db", db_url(db_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"GATEWAY_SECRET_KEYS": SECRET, "GATEWAY_ADMIN_TOKEN": "x" * 20, "PATH": ""},
    )


def test_verify_consents_passes_then_names_the_edited_record(
    client: TestClient, db_path: Path
) -> None:
    ids = [grant(client, g)["consent_id"] for g in (["analytics"], [], ["marketing"], [])]
    withdraw_target = grant(client, ["analytics"])
    response = client.delete(
        "/consent/demo",
        params={"gw_consent": withdraw_target["token"]},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 200
    stored = rows(db_path, "SELECT site_seq, action FROM consents WHERE site='demo' ORDER BY seq")
    assert [r["action"] for r in stored] == [
        "custom",
        "reject_all",
        "custom",
        "reject_all",
        "custom",
        "withdraw",
    ]
    ok = verify_cli(db_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ok: 6 consent records" in ok.stdout

    execute(db_path, "UPDATE consents SET granted = '[\"analytics\"]' WHERE consent_id = ?", ids[1])
    broken = verify_cli(db_path)
    assert broken.returncode == 1
    assert f"record 2 ({ids[1]})" in broken.stdout
    assert "altered" in broken.stdout
