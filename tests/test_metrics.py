"""``/metrics`` after real requests: commit latency, writer queue depth, consent decisions."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import BROWSER_UA, ORIGIN, grant, rows

UA = {"User-Agent": BROWSER_UA}
SAMPLE = re.compile(r"^([a-z_]+)(\{[^}]*\})? (\S+)$")


def scrape(client: TestClient) -> dict[str, float]:
    """Every sample of ``/metrics`` by its series (``name{labels}``), checking the format."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, float] = {}
    typed: set[str] = set()
    for line in response.text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        name, labels, value = match.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in typed or family in typed, f"{name} has no TYPE line"
        samples[name + (labels or "")] = float(value)
    return samples


def hit(token: str, url: str) -> dict[str, str]:
    return {
        "idsite": "1",
        "rec": "1",
        "url": f"http://127.0.0.1:8000{url}",
        "_id": "0123456789abcdef",
        "gw_consent": token,
    }


def buckets(samples: dict[str, float]) -> list[tuple[str, float]]:
    found = [
        (series.split('"')[1], n)
        for series, n in samples.items()
        if series.startswith("gateway_commit_seconds_bucket")
    ]
    assert found, "no commit histogram buckets"
    return found


def test_commit_histogram_observes_every_committed_transaction(client: TestClient) -> None:
    token = grant(client, ["analytics"])["token"]
    for n in range(5):
        assert client.get("/matomo.php", params=hit(token, f"/p{n}"), headers=UA).status_code == 200
    samples = scrape(client)
    # one consent record and five hits, sent one after another: six transactions
    assert samples["gateway_write_batches_total"] == 6
    assert samples["gateway_commit_seconds_count"] == 6
    assert samples["gateway_commit_seconds_sum"] > 0
    counts = [n for _, n in buckets(samples)]
    assert counts == sorted(counts), "bucket counts are cumulative"
    assert buckets(samples)[-1] == ("+Inf", 6)
    assert samples["gateway_write_queue_depth"] == 0


def test_queue_depth_and_commit_time_while_another_process_holds_the_lock(
    settings: Settings, db_path: Path
) -> None:
    """Hits wait in the queue while the database is locked; the commit that waited is slow."""
    one_per_transaction = replace(settings, batch_max=1)
    with TestClient(create_app(one_per_transaction), base_url=ORIGIN) as client:
        token = grant(client, ["analytics"])["token"]
        answers: list[int] = []

        def send(path: str) -> None:
            response = client.get("/matomo.php", params=hit(token, path), headers=UA)
            answers.append(response.status_code)

        senders = [threading.Thread(target=send, args=(f"/w{n}",)) for n in range(5)]
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # as another gateway process writing would
        try:
            for thread in senders:
                thread.start()
            # the writer took one hit and waits for the lock; four wait in its queue
            deadline = time.monotonic() + 10
            while scrape(client)["gateway_write_queue_depth"] != 4:
                assert time.monotonic() < deadline, "the queue never held the four hits"
                time.sleep(0.05)
            time.sleep(0.3)
            assert not answers, "nothing is answered before it is committed"
        finally:
            other.execute("ROLLBACK")
            other.close()
        for thread in senders:
            thread.join(timeout=15)
        assert answers == [200] * 5
        assert len(rows(db_path, "SELECT id FROM hits")) == 5
        samples = scrape(client)
    assert samples["gateway_write_queue_depth"] == 0
    assert samples["gateway_commit_seconds_count"] == 6  # the consent record, then one per hit
    within_quarter_second = dict(buckets(samples))["0.25"]
    # the transaction that waited at least 0.3 s for the lock is above 0.25 s
    assert samples["gateway_commit_seconds_count"] - within_quarter_second >= 1
    assert samples["gateway_commit_seconds_sum"] >= 0.3


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ([["analytics", "marketing", "social"]], {"accept_all": 1}),
        ([[], []], {"reject_all": 2}),
        ([["analytics"], ["marketing"], []], {"custom": 2, "reject_all": 1}),
    ],
)
def test_consent_decisions_are_counted_by_action(
    client: TestClient, choices: list[list[str]], expected: dict[str, int]
) -> None:
    for granted in choices:
        grant(client, granted)
    samples = scrape(client)
    counted = {
        series.split('action="')[1].rstrip('"}'): n
        for series, n in samples.items()
        if series.startswith('gateway_consents_total{site="demo"')
    }
    assert counted == expected


def test_a_withdrawal_is_counted_as_its_own_action(client: TestClient) -> None:
    token = grant(client, ["analytics"])["token"]
    response = client.delete("/consent/demo", params={"gw_consent": token})
    assert response.status_code == 200, response.text
    samples = scrape(client)
    assert samples['gateway_consents_total{site="demo",action="custom"}'] == 1
    assert samples['gateway_consents_total{site="demo",action="withdraw"}'] == 1
    help_line = next(
        line
        for line in client.get("/metrics").text.splitlines()
        if line.startswith("# HELP gateway_consents_total")
    )
    assert "decisions" in help_line and "by action" in help_line
