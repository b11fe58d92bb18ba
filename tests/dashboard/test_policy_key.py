"""``privacy.report_min_visitors``: default 5, a whole number from 1 up, named when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.policy_loader import PolicyError, load_policy_file
from tests.conftest import write_site


def test_default_is_five(tmp_path: Path) -> None:
    assert load_policy_file(write_site(tmp_path, "demo", 1)).report_min_visitors == 5


def test_set_in_the_privacy_table(tmp_path: Path) -> None:
    path = write_site(
        tmp_path,
        "demo",
        1,
        **{"consent_days = 180": "consent_days = 180\nreport_min_visitors = 12"},
    )
    assert load_policy_file(path).report_min_visitors == 12


@pytest.mark.parametrize("value", ["0", "-1", '"5"', "2.5", "true"])
def test_bad_values_are_named(tmp_path: Path, value: str) -> None:
    path = write_site(
        tmp_path,
        "demo",
        1,
        **{"consent_days = 180": f"consent_days = 180\nreport_min_visitors = {value}"},
    )
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    assert [p.key for p in caught.value.problems] == ["privacy.report_min_visitors"]
