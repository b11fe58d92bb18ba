"""Matomo Tracking API requests: from raw query strings and bodies to a validated ``Hit``.

The gateway must accept exactly what Matomo's trackers send, so the rules here follow Matomo's
own (``core/Tracker/RequestSet.php``, ``core/Tracker/Request.php``, the BulkTracking plugin):

- single request: parameters are PHP's ``$_GET + $_POST``, so the query string wins a clash
  and ``navigator.sendBeacon`` (query string, empty body) works unchanged;
- bulk request: a JSON body ``{"requests": [...]}`` whose entries are ``"?a=b"`` strings or
  objects; an unusable entry is ``None`` (counted as invalid), never fatal to the batch;
- ``parse_hit`` turns one entry into a ``Hit``: the values the gateway may keep, typed and
  length-capped, or ``BadRequest`` where Matomo answers 400.

Everything here is pure: no I/O, no clock (``now`` is passed in), no framework types.
``BadRequest`` messages are safe to send back and to log: they never echo a value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import unquote

HitKind = Literal["pageview", "event", "download", "outlink", "search", "content", "goal", "ping"]

URL_MAX = 2048
ACTION_NAME_MAX = 1024
TEXT_MAX = 255
LANG_MAX = 64
# A user agent is only classified, never stored; a longer cap keeps bot markers that sit late in
# long app user agents.
UA_MAX = 1024
# Tokens are verified, never stored. A longer value is not a token: it is dropped, not cut.
TOKEN_MAX = 4096
# ``_cvar`` is kept only as whole JSON; cutting it would break it.
CUSTOM_VARS_MAX = 4096
MAX_DIMENSIONS = 50
MAX_BULK_REQUESTS = 1000

# The parameters that Matomo accepts only with a valid ``token_auth``, in reporting order.
AUTH_PARAMS: tuple[str, ...] = ("cip", "cdt", "cdo", "country", "region", "city", "lat", "long")
GEO_PARAMS: tuple[str, ...] = ("country", "region", "city", "lat", "long")

# Matomo: a custom timestamp older than this needs ``token_auth``
# (``tracking_requests_require_authentication_when_custom_timestamp_newer_than``).
CUSTOM_TIME_AUTH_AFTER = timedelta(seconds=86400)
# Matomo rejects timestamps older than 20 years of 365 days.
CUSTOM_TIME_MAX_AGE = timedelta(days=20 * 365)
# Matomo rejects any future timestamp; a minute of client clock skew is tolerated here.
CUSTOM_TIME_MAX_SKEW = timedelta(seconds=60)
# A unix timestamp above this is in milliseconds (10**11 s is the year 5138).
_MILLISECONDS_ABOVE = 10**11
# 9999-12-31 23:59:59 UTC, the last second ``datetime`` can hold.
_LAST_UNIX_SECOND = 253402300799

_INT_RE = re.compile(r"[+-]?\d{1,18}")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_HEX16_RE = re.compile(r"[0-9a-fA-F]{16}")
_PV_ID_RE = re.compile(r"[0-9a-zA-Z]{6}")
_RESOLUTION_RE = re.compile(r"\d{1,5}x\d{1,5}")
_DIMENSION_RE = re.compile(r"dimension([1-9]\d{0,2})")
_UNIX_TIME_RE = re.compile(r"\d{1,16}(?:\.\d{1,9})?")
# ISO 8601 as clients write it: "2026-01-02 03:04:05", "...T03:04:05Z", JavaScript's
# toISOString() "...T03:04:05.123Z", or with an offset "+02:00" (PHP's strtotime reads all).
_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:?\d{2})?"
)


class BadRequest(Exception):
    """The request is malformed in a way Matomo answers with HTTP 400.

    ``message`` is meant for the response body: it names the parameter, never its value, so
    no IP address or token can leak through it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------------
# Single requests


def _recode(text: str) -> str:
    """Undo the byte-per-character decoding of ``_parse_form`` as UTF-8, replacing bad bytes."""
    return text.encode("latin-1").decode("utf-8", "replace")


def _parse_form(raw: bytes) -> dict[str, str]:
    """Parse ``application/x-www-form-urlencoded`` bytes like PHP's ``parse_str``.

    ``+`` is a space, blank values are kept, empty names are skipped and a repeated name keeps
    its last value. Raw bytes and percent escapes are both decoded as UTF-8 with replacement,
    so no input can raise.
    """
    # ``parse_qsl(text, keep_blank_values=True, encoding="latin-1")`` spelled out, with its
    # per-field work skipped where it changes nothing: no ``+`` to replace, no ``%`` to
    # unquote, plain ASCII to recode (the tracking hot path parses every hit this way).
    result: dict[str, str] = {}
    for field_text in raw.decode("latin-1").split("&"):
        if not field_text:
            continue
        name, _, value = field_text.partition("=")
        name = _form_unquote(name)
        if name:
            result[name if name.isascii() else _recode(name)] = (
                value
                if value.isascii() and "+" not in value and "%" not in value
                else _recode(_form_unquote(value))
            )
    return result


def _form_unquote(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    return unquote(text, encoding="latin-1") if "%" in text else text


def merge_single(query_string: bytes, body: bytes) -> dict[str, str]:
    """The parameters of a single tracking request: PHP's ``$_GET + $_POST``.

    On a name present in both, the query string wins. An empty body (sendBeacon) gives the
    query string alone; a body that is not form-encoded gives whatever pairs it happens to
    parse into, usually none that matter.
    """
    params = _parse_form(body) if body else {}
    params.update(_parse_form(query_string))
    return params


# ---------------------------------------------------------------------------------------------
# Bulk requests


def is_bulk(body: bytes) -> bool:
    """Matomo's bulk test: ``"requests"`` or ``'requests'`` first occurs at an offset above 0.

    The offset rule is PHP's ``strpos()`` truthiness, kept so that the same bodies are bulk
    here as on a real Matomo. The Content-Type is not looked at (matomo.js sends bulk JSON as
    ``application/x-www-form-urlencoded``).
    """
    return body.find(b'"requests"') > 0 or body.find(b"'requests'") > 0


@dataclass(frozen=True)
class Bulk:
    """A parsed bulk body. ``entries[i]`` is ``None`` when request ``i`` is unusable."""

    entries: tuple[dict[str, str] | None, ...]
    token_auth: str | None
    send_image: str | None


class _JsonFloat(float):
    """A JSON number with a fraction or exponent that remembers its source text."""

    text: str

    def __new__(cls, text: str) -> _JsonFloat:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _reject_constant(name: str) -> object:
    # NaN and Infinity are not JSON; PHP's json_decode rejects the whole body for them.
    raise ValueError(f"{name} is not JSON")


def _clean(text: str) -> str:
    """Replace lone surrogates (legal in JSON escapes, not in UTF-8) so the text can be stored."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _scalar(value: object) -> str | None:
    """A JSON value as a tracking parameter: the text a query string would have carried."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, _JsonFloat):
        return value.text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _clean(value)
    return _clean(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _bulk_entry(entry: object) -> dict[str, str] | None:
    if isinstance(entry, str):
        # Matomo: parse_url() then parse_str() on the query; no query means no request.
        _, mark, query = entry.partition("#")[0].partition("?")
        if not mark or not query:
            return None
        return _parse_form(query.encode("utf-8", "surrogatepass"))
    if isinstance(entry, dict):
        params: dict[str, str] = {}
        for name, value in entry.items():
            text = _scalar(value)
            if name and text is not None:
                params[_clean(name)] = text
        return params
    return None


def _top_level(value: object) -> str | None:
    return None if isinstance(value, (list, dict)) else _scalar(value)


def parse_bulk(body: bytes) -> Bulk:
    """Parse a bulk body ``{"requests": [...], "token_auth": ..., "send_image": ...}``.

    Each entry is a ``"?a=b&c=d"`` string or a JSON object of parameters (numbers keep their
    JSON text, booleans become ``"1"``/``"0"``, ``null`` drops the key, nested values become
    JSON text). Any other entry, or a string without a query, is ``None``. The body as a whole
    must be valid: otherwise ``BadRequest``. In a bulk request ``token_auth`` is read from the
    body only, as Matomo does.
    """
    try:
        data = json.loads(body, parse_float=_JsonFloat, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise BadRequest("bulk request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("bulk request body must be a JSON object")
    requests = data.get("requests")
    if not isinstance(requests, list):
        raise BadRequest("bulk request body needs a 'requests' list")
    if len(requests) > MAX_BULK_REQUESTS:
        raise BadRequest(f"a bulk request may hold at most {MAX_BULK_REQUESTS} requests")
    return Bulk(
        entries=tuple(_bulk_entry(entry) for entry in requests),
        token_auth=_top_level(data.get("token_auth")),
        send_image=_top_level(data.get("send_image")),
    )


# ---------------------------------------------------------------------------------------------
# One hit


@dataclass(frozen=True, kw_only=True)
class Hit:
    """One validated tracking request: what the gateway may use, typed and length-capped.

    Blank parameters are absent (``None``). Text is stripped and cut to its cap: URLs, the
    referrer and the link 2048, ``action_name`` 1024, ``lang`` 64, other text 255. Nothing is
    sanitised yet (see ``gateway.tracking.urls``) and the auth-only values (``cip``, ``cdt``,
    ``cdo``, ``geo_overrides``) are carried, not trusted: ``auth_params`` names the ones that
    need a valid ``token_auth``.
    """

    idsite: int
    recorded: bool = False
    kind: HitKind = "pageview"
    url: str | None = None
    action_name: str | None = None
    referrer: str | None = None
    visitor_id: str | None = None
    user_id: str | None = None
    pv_id: str | None = None
    resolution: str | None = None
    lang: str | None = None
    ua: str | None = None
    campaign_name: str | None = None
    campaign_keyword: str | None = None
    event_category: str | None = None
    event_action: str | None = None
    event_name: str | None = None
    event_value: float | None = None
    search: str | None = None
    search_category: str | None = None
    search_count: int | None = None
    goal_id: int | None = None
    revenue: float | None = None
    content_name: str | None = None
    content_piece: str | None = None
    content_target: str | None = None
    link: str | None = None
    dimensions: dict[int, str] = field(default_factory=dict)
    custom_vars: str | None = None
    new_visit: bool = False
    consent_token: str | None = None
    send_image: str | None = None
    cip: str | None = None
    cdt: str | None = None
    cdo: str | None = None
    token_auth: str | None = None
    geo_overrides: dict[str, str] = field(default_factory=dict)
    auth_params: tuple[str, ...] = ()


def _text(params: Mapping[str, str], name: str, cap: int = TEXT_MAX) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    value = value.strip()
    return value[:cap] if value else None


def _token(params: Mapping[str, str], name: str) -> str | None:
    value = _text(params, name, TOKEN_MAX + 1)
    return value if value is not None and len(value) <= TOKEN_MAX else None


def _int(params: Mapping[str, str], name: str) -> int | None:
    """An integer parameter; blank is absent, anything else non-integer is a 400."""
    value = _text(params, name)
    if value is None:
        return None
    if not _INT_RE.fullmatch(value):
        raise BadRequest(f"{name} must be an integer")
    return int(value)


def _float(params: Mapping[str, str], name: str) -> float | None:
    """A finite decimal number, or None: Matomo stores a bad float as nothing, not as an error."""
    value = _text(params, name)
    if value is None or not _FLOAT_RE.fullmatch(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _matching(params: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> str | None:
    value = _text(params, name)
    return value if value is not None and pattern.fullmatch(value) else None


def _idsite(params: Mapping[str, str]) -> int:
    value = _text(params, "idsite")
    if value is None or not _INT_RE.fullmatch(value) or int(value) <= 0:
        raise BadRequest("invalid idsite")
    return int(value)


def _visitor_id(params: Mapping[str, str]) -> str | None:
    """``cid`` (forced id; malformed is a 400 as in Matomo) else ``_id`` (malformed is ignored)."""
    cid = _text(params, "cid")
    if cid is not None:
        if not _HEX16_RE.fullmatch(cid):
            raise BadRequest("cid must be 16 hexadecimal characters")
        return cid.lower()
    visitor = _matching(params, "_id", _HEX16_RE)
    return visitor.lower() if visitor is not None else None


def _dimensions(params: Mapping[str, str]) -> dict[int, str]:
    found: list[tuple[int, str]] = []
    for name in params:
        match = _DIMENSION_RE.fullmatch(name)
        if match is not None:
            value = _text(params, name)
            if value is not None:
                found.append((int(match.group(1)), value))
    found.sort()
    return dict(found[:MAX_DIMENSIONS])


def _custom_vars(params: Mapping[str, str]) -> str | None:
    value = _text(params, "_cvar", CUSTOM_VARS_MAX + 1)
    if value is None or len(value) > CUSTOM_VARS_MAX:
        return None
    try:
        json.loads(value)
    except (ValueError, RecursionError):
        return None
    return value


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


def parse_hit(params: Mapping[str, str]) -> Hit:
    """Validate one request's parameters into a ``Hit``; unknown parameters are ignored.

    Raises ``BadRequest`` where Matomo answers 400: ``idsite`` missing, not an integer or not
    positive; ``cid`` not 16 hex characters; ``idgoal``, ``search_count`` or ``cdo`` not
    integers. Also (stricter than Matomo, which would record a page view instead) an event
    with only one of ``e_c``/``e_a``.

    The kind is decided in this order: ``ping=1``, event (``e_c`` and ``e_a``), ``download``,
    ``link`` (outlink), ``search``, content (``c_n``), goal (``idgoal`` >= 0; ``0`` is
    Matomo's ecommerce order or cart), else page view. Campaign name and keyword are lowercased
    as Matomo stores them.
    """
    idsite = _idsite(params)
    visitor_id = _visitor_id(params)

    event_category = _text(params, "e_c")
    event_action = _text(params, "e_a")
    if (event_category is None) != (event_action is None):
        raise BadRequest("an event needs both e_c and e_a")
    goal_id = _int(params, "idgoal")
    if goal_id is not None and goal_id < 0:
        goal_id = None  # -1 is Matomo's "no goal"
    search_count = _int(params, "search_count")
    cdo = _text(params, "cdo")
    if cdo is not None and not _INT_RE.fullmatch(cdo):
        raise BadRequest("cdo must be an integer")

    download = _text(params, "download", URL_MAX)
    outlink = _text(params, "link", URL_MAX)
    search = _text(params, "search")
    content_name = _text(params, "c_n")

    kind: HitKind
    if params.get("ping") == "1":
        kind = "ping"
    elif event_category is not None:
        kind = "event"
    elif download is not None:
        kind = "download"
    elif outlink is not None:
        kind = "outlink"
    elif search is not None:
        kind = "search"
    elif content_name is not None:
        kind = "content"
    elif goal_id is not None:
        kind = "goal"
    else:
        kind = "pageview"

    geo_overrides = {
        name: value for name in GEO_PARAMS if (value := _text(params, name)) is not None
    }
    auth_params = tuple(name for name in AUTH_PARAMS if _text(params, name) is not None)

    return Hit(
        idsite=idsite,
        recorded=params.get("rec") == "1",
        kind=kind,
        url=_text(params, "url", URL_MAX),
        action_name=_text(params, "action_name", ACTION_NAME_MAX),
        referrer=_text(params, "urlref", URL_MAX),
        visitor_id=visitor_id,
        user_id=_text(params, "uid"),
        pv_id=_matching(params, "pv_id", _PV_ID_RE),
        resolution=_matching(params, "res", _RESOLUTION_RE),
        lang=_text(params, "lang", LANG_MAX),
        ua=_text(params, "ua", UA_MAX),
        campaign_name=_lower(_text(params, "_rcn")),
        campaign_keyword=_lower(_text(params, "_rck")),
        event_category=event_category,
        event_action=event_action,
        event_name=_text(params, "e_n"),
        event_value=_float(params, "e_v"),
        search=search,
        search_category=_text(params, "search_cat"),
        search_count=search_count,
        goal_id=goal_id,
        revenue=_float(params, "revenue"),
        content_name=content_name,
        content_piece=_text(params, "c_p"),
        content_target=_text(params, "c_t"),
        link=download if download is not None else outlink,
        dimensions=_dimensions(params),
        custom_vars=_custom_vars(params),
        new_visit=params.get("new_visit") == "1",
        consent_token=_token(params, "gw_consent"),
        send_image=_text(params, "send_image"),
        cip=_text(params, "cip"),
        cdt=_text(params, "cdt"),
        cdo=cdo,
        token_auth=_token(params, "token_auth"),
        geo_overrides=geo_overrides,
        auth_params=auth_params,
    )


# ---------------------------------------------------------------------------------------------
# Custom request time


def _parse_cdt(cdt: str) -> datetime:
    value = cdt.strip()
    if _UNIX_TIME_RE.fullmatch(value):
        seconds = float(value)
        if seconds > _MILLISECONDS_ABOVE:
            seconds /= 1000
        if seconds > _LAST_UNIX_SECOND:
            raise BadRequest("cdt is in the future")
        return datetime.fromtimestamp(seconds, UTC)
    if _DATETIME_RE.fullmatch(value):
        try:
            parsed = datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError:
            raise BadRequest("cdt is not a valid date and time") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    raise BadRequest("cdt must be a unix timestamp or an ISO 8601 date and time (UTC)")


def parse_custom_time(cdt: str | None, cdo: str | None, now: datetime) -> datetime:
    """The time a hit happened: ``now``, or as ``cdt``/``cdo`` say (Matomo's rules).

    ``cdt`` is a unix timestamp in seconds (integer or fractional; above 10**11 it is taken as
    milliseconds) or ``YYYY-MM-DD HH:MM:SS`` in UTC. ``cdo`` is a number of seconds subtracted
    (as an absolute value) from ``cdt``, or from ``now`` when there is no ``cdt``. Raises
    ``BadRequest`` when unparsable, more than 60 s in the future or older than 20 years. A time
    slightly in the future is clamped to ``now``. ``now`` must be timezone-aware; the result is
    in UTC.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    cdt = cdt.strip() if cdt else None
    cdo = cdo.strip() if cdo else None
    if not cdt and not cdo:
        return now
    when = _parse_cdt(cdt) if cdt else now
    if cdo:
        if not _INT_RE.fullmatch(cdo):
            raise BadRequest("cdo must be an integer")
        offset = abs(int(cdo))
        if offset >= CUSTOM_TIME_MAX_AGE.total_seconds():
            raise BadRequest("custom time is older than 20 years")
        try:
            when -= timedelta(seconds=offset)
        except OverflowError:
            raise BadRequest("custom time is older than 20 years") from None
    if when > now + CUSTOM_TIME_MAX_SKEW:
        raise BadRequest("custom time is in the future")
    if when <= now - CUSTOM_TIME_MAX_AGE:
        raise BadRequest("custom time is older than 20 years")
    return min(when, now)


def needs_auth_for_time(when: datetime, now: datetime) -> bool:
    """Matomo's rule: only a custom time more than 86400 s in the past needs ``token_auth``."""
    return now - when > CUSTOM_TIME_AUTH_AFTER
