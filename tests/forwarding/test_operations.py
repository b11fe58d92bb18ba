"""What ``gateway outbox`` prints: pure text from the backlog and the parked rows."""

from __future__ import annotations

import pytest

from gateway.forwarding.operations import age_text, changed_lines, status_lines
from gateway.forwarding.outbox import Backlog, ParkedRow


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0 s"),
        (59.9, "59 s"),
        (60.0, "1 min 0 s"),
        (3599.0, "59 min 59 s"),
        (3725.4, "1 h 2 min"),
        (86400.0, "1 d 0 h"),
        (3 * 86400 + 5 * 3600 + 59, "3 d 5 h"),
    ],
)
def test_backlog_age_for_people(seconds: float, text: str) -> None:
    assert age_text(seconds) == text


def parked(row_id: int, error: str | None = "HTTP 400 (request refused)") -> ParkedRow:
    return ParkedRow(row_id, "demo", "2026-01-01T00:00:01.000000Z", 2, error)


def test_status_without_parked_rows_is_one_line() -> None:
    assert status_lines(Backlog(0, 0, 0.0), []) == ["outbox: 0 pending; 0 parked"]
    assert status_lines(Backlog(4, 0, 75.0), []) == [
        "outbox: 4 pending, oldest 1 min 15 s; 0 parked"
    ]


def test_parked_rows_are_a_table_and_the_rest_a_count() -> None:
    lines = status_lines(Backlog(0, 5, 0.0), [parked(7), parked(1200, error=None)])
    assert lines == [
        "outbox: 0 pending; 5 parked",
        "",
        "parked (refused by the upstream Matomo; fix the cause, then --release):",
        "  id    site  created                      attempts  last error",
        "  7     demo  2026-01-01T00:00:01.000000Z  2         HTTP 400 (request refused)",
        "  1200  demo  2026-01-01T00:00:01.000000Z  2",
        "  ... and 3 more",
    ]


@pytest.mark.parametrize(
    ("action", "count", "ids", "line", "note"),
    [
        ("release", 3, None, "released 3 parked rows: due for delivery now", None),
        ("release", 1, [4], "released 1 parked row: due for delivery now", None),
        ("release", 1, [4, 4, 5], "released 1 parked row: due for delivery now", "1 of the"),
        ("drop", 0, [4, 5], "dropped 0 parked rows", "2 of the given ids are not a parked row"),
        ("drop", 2, None, "dropped 2 parked rows", None),
    ],
)
def test_what_release_and_drop_report(
    action: str, count: int, ids: list[int] | None, line: str, note: str | None
) -> None:
    report = changed_lines("release" if action == "release" else "drop", count, ids)
    assert report.lines == [line]
    if note is None:
        assert report.notes == []
    else:
        (written,) = report.notes
        assert written.startswith(note)
