"""Stats API parameters and access, decided by pure functions (the routes only translate).

Access: the admin token reads every site; a site token (its SHA-256 listed in the policy) reads
only its own site. An unknown site is answered like a foreign one unless the caller is the
admin, so a site token cannot probe for site names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from gateway.api.auth import is_admin, token_allows
from gateway.policy import Policy
from gateway.reports import definitions as d
from gateway.reports.periods import DateRange, PeriodError, period_from_params
from gateway.reports.source import INTERVALS, Filter, Interval

Access = Literal["ok", "missing", "forbidden", "unknown"]
FORMATS: Final = ("json", "csv")
DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 1000
MAX_FILTERS: Final = 10
MAX_FILTER_VALUE: Final = 2048


class ParamError(ValueError):
    """A bad query parameter; the message is safe to return (it never echoes a value)."""


def access(token: str | None, policy: Policy | None, admin_token: str) -> Access:
    if token is None:
        return "missing"
    if policy is None:
        return "unknown" if is_admin(token, admin_token) else "forbidden"
    return "ok" if token_allows(token, policy, admin_token) else "forbidden"


@dataclass(frozen=True)
class StatsParams:
    period: DateRange
    filters: tuple[Filter, ...]
    format: str
    compare: bool
    limit: int
    interval: Interval


def parse_filter(text: str) -> Filter:
    name, colon, value = text.partition(":")
    if not colon:
        raise ParamError("'filter' must look like name:value, e.g. country:FI")
    if name not in d.filter_names():
        raise ParamError(f"unknown filter; use one of: {', '.join(d.filter_names())}")
    if len(value) > MAX_FILTER_VALUE:
        raise ParamError(f"a filter value may have at most {MAX_FILTER_VALUE} characters")
    return Filter(name, value)


def _integer(text: str, name: str, low: int, high: int) -> int:
    # ASCII and short: isdigit() also accepts "²", and int() refuses strings of 4300+ digits.
    if not (text.isascii() and text.isdigit() and len(text) <= 9) or not low <= int(text) <= high:
        raise ParamError(f"'{name}' must be an integer from {low} to {high}")
    return int(text)


def parse_stats_params(get: dict[str, str], filters: Sequence[str], today: date) -> StatsParams:
    """``get``: the single-valued query parameters; ``filters``: every ``filter`` value."""
    try:
        period = period_from_params(get.get("from"), get.get("to"), today)
    except PeriodError as exc:
        raise ParamError(str(exc)) from None
    fmt = get.get("format", "json")
    if fmt not in FORMATS:
        raise ParamError("'format' must be json or csv")
    compare = get.get("compare")
    if compare not in (None, "", "previous"):
        raise ParamError("'compare' must be 'previous'")
    interval = get.get("interval", "day")
    if interval not in INTERVALS:
        raise ParamError(f"'interval' must be one of: {', '.join(INTERVALS)}")
    if len(filters) > MAX_FILTERS:
        raise ParamError(f"at most {MAX_FILTERS} filters")
    limit = _integer(get.get("limit", str(DEFAULT_LIMIT)), "limit", 1, MAX_LIMIT)
    return StatsParams(
        period=period,
        filters=tuple(parse_filter(f) for f in filters),
        format=fmt,
        compare=compare == "previous",
        limit=limit,
        interval=interval,
    )
