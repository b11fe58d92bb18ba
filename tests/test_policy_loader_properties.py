"""Property: a policy file with any value in any place loads or fails with named problems.

Site owners edit these files by hand, so every key may hold the wrong type, an empty value or
garbage. The loader must answer with ``PolicyError`` problems naming the file and key - the
lines `gateway check` prints - and never with another exception (which would be a traceback at
start-up instead of a helpful message).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.policy import Policy
from gateway.policy_loader import PolicyError, load_policy_file

ROOT = Path(__file__).resolve().parent.parent
DEMO = (ROOT / "policies" / "demo.toml").read_text(encoding="utf-8").splitlines()
ASSIGNMENTS = [i for i, line in enumerate(DEMO) if re.match(r"^[A-Za-z_.\"]+\s*=", line)]

toml_strings = st.text(max_size=40).map(json.dumps)  # JSON strings are TOML basic strings
toml_scalars = st.one_of(
    toml_strings,
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["true", "false", "inf", "nan", "1979-05-27", "07:32:00", "''", '""']),
)
toml_values = st.one_of(
    toml_scalars,
    st.lists(toml_scalars, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
    st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), toml_scalars, max_size=3).map(
        lambda table: "{" + ", ".join(f"{k} = {v}" for k, v in table.items()) + "}"
    ),
    st.text(max_size=20),  # not TOML at all
)


@pytest.fixture
def policy_path(tmp_path: Path) -> Path:
    return tmp_path / "demo.toml"


@settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(st.sampled_from(ASSIGNMENTS), toml_values),
        min_size=1,
        max_size=4,
        unique_by=lambda change: change[0],
    )
)
def test_any_value_for_any_key_loads_or_names_the_problem(
    policy_path: Path, changes: list[tuple[int, str]]
) -> None:
    lines = list(DEMO)
    for index, value in changes:
        key = lines[index].split("=", 1)[0].rstrip()
        lines[index] = f"{key} = {value}"
    policy_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        policy = load_policy_file(policy_path)
    except PolicyError as error:
        assert error.problems
        for problem in error.problems:
            assert str(policy_path) in str(problem)
        return
    assert isinstance(policy, Policy)


@settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.binary(max_size=500))
def test_any_bytes_load_or_name_the_problem(policy_path: Path, raw: bytes) -> None:
    policy_path.write_bytes(raw)
    with pytest.raises(PolicyError):
        load_policy_file(policy_path)
