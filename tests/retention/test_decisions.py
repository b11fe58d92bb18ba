"""Retention decisions as tables: cutoffs per site and kind, how a visitor's history is cut,
and how much of a consent chain may go."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gateway.consent.ledger import Anchor, ConsentDraft, ConsentRecord, seal
from gateway.policy import Retention
from gateway.retention.cutoffs import Cutoff, cutoff_before, plan
from gateway.retention.ledger import purgeable_prefix
from gateway.retention.visits import Split, VisitSpan, split_history

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "days", "before"),
    [
        (NOW, 1, "2026-03-09T00:00:00+00:00"),
        (NOW, 9, "2026-03-01T00:00:00+00:00"),
        (NOW, 10, "2026-02-28T00:00:00+00:00"),  # across a month end
        (NOW, 365, "2025-03-10T00:00:00+00:00"),
        (NOW, 395, "2025-02-08T00:00:00+00:00"),  # 13 months, the default for hits
        (datetime(2026, 3, 10, 0, 0, tzinfo=UTC), 1, "2026-03-09T00:00:00+00:00"),
        (datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC), 1, "2026-03-09T00:00:00+00:00"),
        (datetime.fromisoformat("2026-03-10T01:00:00+03:00"), 1, "2026-03-08T00:00:00+00:00"),
    ],
)
def test_the_cutoff_is_midnight_utc_of_today_minus_the_days(
    now: datetime, days: int, before: str
) -> None:
    assert cutoff_before(now, days).isoformat() == before


def test_a_plan_covers_every_policy_site_and_every_stored_site() -> None:
    retention = {
        "demo": Retention(hits_days=30, consents_days=400, audit_days=90),
        "shop": Retention(audit_days=700),
    }
    stored = {"hits": ["demo", "gone"], "consents": ["demo"], "audit": ["shop", None]}
    got = [(c.site, c.kind, c.days, c.before, c.from_policy) for c in plan(retention, stored, NOW)]
    assert got == [
        ("demo", "hits", 30, "2026-02-08T00:00:00.000000Z", True),
        ("demo", "consents", 400, "2025-02-03T00:00:00.000000Z", True),
        ("demo", "audit", 90, "2025-12-10T00:00:00.000000Z", True),
        # a site without a policy file: the default retention, only for what it has stored
        ("gone", "hits", 395, "2025-02-08T00:00:00.000000Z", False),
        ("shop", "hits", 395, "2025-02-08T00:00:00.000000Z", True),
        ("shop", "consents", 1095, "2023-03-11T00:00:00.000000Z", True),
        ("shop", "audit", 700, "2024-04-09T00:00:00.000000Z", True),
        # audit entries without a site: the longest audit_days of all policies
        (None, "audit", 700, "2024-04-09T00:00:00.000000Z", True),
    ]


def test_audit_entries_without_a_site_and_no_policies_keep_365_days() -> None:
    assert plan({}, {"audit": [None]}, NOW) == [
        Cutoff(None, "audit", 365, "2025-03-10T00:00:00.000000Z")
    ]


# -- a visitor's history at the cutoff ---------------------------------------------------------

DAY_US = 86_400_000_000
CUT = 10 * DAY_US  # the cutoff: midnight starting day 10


def _visit(visit_id: int, day: int, start_h: float, end_h: float) -> VisitSpan:
    start = int(day * DAY_US + start_h * 3_600_000_000)
    end = int(day * DAY_US + end_h * 3_600_000_000)
    return VisitSpan(visit_id, f"2026-01-{day:02d}", (start, visit_id), end)


D = {n: f"2026-01-{n:02d}" for n in range(1, 31)}


@pytest.mark.parametrize(
    ("visits", "expected"),
    [
        # nothing old: nothing to do
        ([_visit(1, 11, 9, 10)], Split(())),
        # all old: purged, nothing to rebase (a later hit starts a new visitor)
        ([_visit(1, 2, 9, 10), _visit(2, 5, 9, 10)], Split((1, 2))),
        # one old visit, one kept: split in two visitors of one visit each
        (
            [_visit(1, 2, 9, 10), _visit(2, 12, 9, 10)],
            Split(
                (1,),
                2,
                span=((D[12], D[2], -1), (D[12], "", 1)),
                firsts=((D[2], D[12], -1), (D[2], "~", 1), (D[12], "~", 1)),
            ),
        ),
        # two old, two kept (given out of order): the old part keeps its first two days
        (
            [_visit(4, 14, 9, 10), _visit(1, 2, 9, 10), _visit(3, 12, 9, 10), _visit(2, 3, 9, 10)],
            Split(
                (1, 2),
                3,
                span=((D[12], D[3], -1), (D[12], "", 1)),
                firsts=((D[12], D[14], 1),),
            ),
        ),
        # a kept visit that started before the cutoff (across midnight) is kept whole
        (
            [_visit(1, 3, 9, 10), _visit(2, 9, 23.5, 24.5)],
            Split(
                (1,),
                2,
                span=((D[9], D[3], -1), (D[9], "", 1)),
                firsts=((D[3], D[9], -1), (D[3], "~", 1), (D[9], "~", 1)),
            ),
        ),
        # the same day before and after midnight's cutoff: the day goes to the kept part
        (
            [_visit(1, 7, 1, 2), _visit(2, 9, 8, 9), _visit(3, 9, 23.9, 24.2)],
            Split(
                (1, 2),
                3,
                span=((D[9], D[7], -1), (D[9], "", 1)),
                firsts=((D[9], "~", 1),),
            ),
        ),
    ],
)
def test_a_history_is_cut_into_a_purged_visitor_and_a_kept_one(
    visits: list[VisitSpan], expected: Split
) -> None:
    got = split_history(visits, CUT)
    assert got.purged == expected.purged
    assert got.first_kept == expected.first_kept
    assert sorted(got.span) == sorted(expected.span)
    assert sorted(got.firsts) == sorted(expected.firsts)


# -- the consent chain -------------------------------------------------------------------------


def _chain(*specs: tuple[str, str | None, str | None]) -> list[ConsentRecord]:
    """Records from (ts day, expires_at day or None, consent id it supersedes or None)."""
    records: list[ConsentRecord] = []
    previous = "0" * 64
    for n, (day, expires, supersedes) in enumerate(specs, start=1):
        draft = ConsentDraft(
            consent_id=f"c{n}",
            site="demo",
            ts=f"2026-01-{day}T12:00:00.000000Z",
            action="accept_all",
            policy_version="v1",
            policy_hash="h" * 64,
            granted=("analytics", "necessary"),
            denied=(),
            lang="fi",
            supersedes=supersedes,
            expires_at=None if expires is None else f"2026-{expires}T12:00:00.000000Z",
            ip="192.0.0.0",
            ua_family="Chrome",
        )
        record = seal(draft, n, previous, salt="s")
        records.append(record)
        previous = record.hash
    return records


BEFORE = "2026-01-10T00:00:00.000000Z"
NOW_TS = "2026-03-01T00:00:00.000000Z"


@pytest.mark.parametrize(
    ("records", "superseded", "count", "stop"),
    [
        (_chain(), set(), 0, ""),
        # old and expired records go; the first newer one stops the prefix
        (_chain(("01", "02-01", None), ("05", "02-05", None), ("11", "09-01", None)), set(), 2, ""),
        # every record old and expired: all go
        (_chain(("01", "02-01", None), ("02", None, "c1")), set(), 2, ""),
        # an old record still somebody's current consent stops the prefix there
        (
            _chain(("01", "02-01", None), ("02", "04-01", None), ("03", "02-03", None)),
            set(),
            1,
            "record 2 is still a current consent",
        ),
        # ... unless a later record superseded it
        (
            _chain(("01", "02-01", None), ("02", "04-01", None), ("03", "02-03", None)),
            {"c2"},
            3,
            "",
        ),
    ],
)
def test_only_an_old_no_longer_current_prefix_of_the_chain_may_go(
    records: list[ConsentRecord], superseded: set[str], count: int, stop: str
) -> None:
    prefix = purgeable_prefix(
        records, anchor=None, before=BEFORE, now=NOW_TS, superseded=superseded
    )
    assert (prefix.count, prefix.stop) == (count, stop)


def test_a_tampered_record_is_never_purged_so_the_break_stays_visible() -> None:
    records = _chain(("01", "02-01", None), ("02", "02-02", None), ("03", "02-03", None))
    records[1] = replace(records[1], granted=("necessary",))
    prefix = purgeable_prefix(records, anchor=None, before=BEFORE, now=NOW_TS, superseded=set())
    assert prefix.count == 1
    assert prefix.stop.startswith("chain broken at record 2 (c2)")


def test_a_purge_continues_from_the_anchor_of_the_previous_one() -> None:
    records = _chain(("01", "02-01", None), ("02", "02-02", None), ("03", "02-03", None))
    anchor = Anchor(records[0].site_seq, records[0].hash)
    rest = records[1:]
    assert (
        purgeable_prefix(rest, anchor=anchor, before=BEFORE, now=NOW_TS, superseded=()).count == 2
    )
    wrong = Anchor(1, "f" * 64)
    prefix = purgeable_prefix(rest, anchor=wrong, before=BEFORE, now=NOW_TS, superseded=())
    assert prefix.count == 0 and "previous-hash link" in prefix.stop
