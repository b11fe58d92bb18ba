"""Page URLs and referrers as they may be stored: Matomo's exclusions, plus no credentials.

Matomo strips a fixed list of click ids and session ids, ``ignore_referrer``, the campaign
parameters and each site's own list from every URL it records, case-insensitively and also
inside a query-like ``#fragment`` (``core/Tracker/PageUrl.php``). The same is done here, and
more: only absolute ``http``/``https`` URLs survive, userinfo (``user:pass@``) is dropped, and
the gateway's own ``gw_consent`` token is always removed. Campaign name and keyword are read
before the parameters are stripped (``extract_campaign``).

All functions are pure and never raise on bad input: what cannot be parsed is ``None``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import SplitResult, parse_qsl, unquote_plus, urlsplit

URL_MAX = 2048
CAMPAIGN_MAX = 255

# Matomo's ``[Tracker] url_query_parameter_to_exclude_from_url``, then ``ignore_referrer`` /
# ``ignore_referer`` (always stripped by Matomo) and the gateway's own consent token.
DEFAULT_EXCLUDED_PARAMS: tuple[str, ...] = (
    "gclid",
    "fbclid",
    "msclkid",
    "twclid",
    "wbraid",
    "gbraid",
    "yclid",
    "fb_xd_fragment",
    "fb_comment_id",
    "phpsessid",
    "jsessionid",
    "sessionid",
    "aspsessionid",
    "doing_wp_cron",
    "sid",
    "pk_vid",
    "ignore_referrer",
    "ignore_referer",
    "gw_consent",
)

# Matomo's campaign parameters, in its order of precedence.
CAMPAIGN_NAME_PARAMS: tuple[str, ...] = (
    "pk_campaign",
    "pk_cpn",
    "mtm_campaign",
    "mtm_cpn",
    "matomo_campaign",
    "matomo_cpn",
    "utm_campaign",
)
CAMPAIGN_KEYWORD_PARAMS: tuple[str, ...] = (
    "pk_kwd",
    "pk_keyword",
    "mtm_kwd",
    "mtm_keyword",
    "matomo_kwd",
    "utm_term",
)
# Every parameter with one of these prefixes is campaign data (source, medium, content...):
# it is reported through the campaign fields, never kept in a URL.
CAMPAIGN_PREFIXES: tuple[str, ...] = ("pk_", "mtm_", "matomo_", "utm_")

_DEFAULT_EXCLUDED = frozenset(DEFAULT_EXCLUDED_PARAMS)
_WEB_SCHEMES = ("http", "https")


class _Parts(NamedTuple):
    origin: str  # scheme://host[:port], lowercased, no userinfo
    path: str
    query: str
    fragment: str


def _split(url: str | None) -> _Parts | None:
    """An absolute http(s) URL in parts, or None for anything else."""
    if not url:
        return None
    try:
        parts: SplitResult = urlsplit(url.strip())
        _ = parts.port  # raises ValueError for a port that is not a number in 0..65535
        if parts.scheme not in _WEB_SCHEMES or not parts.hostname:
            return None
    except ValueError:
        return None
    host = parts.netloc.rpartition("@")[2].lower()
    return _Parts(f"{parts.scheme}://{host}", parts.path or "/", parts.query, parts.fragment)


def _param_name(piece: str) -> str:
    return unquote_plus(piece.partition("=")[0], errors="replace").strip().lower()


def _is_excluded(name: str, extra: frozenset[str]) -> bool:
    return name in _DEFAULT_EXCLUDED or name in extra or name.startswith(CAMPAIGN_PREFIXES)


def _filter_query(query: str, extra: frozenset[str]) -> str:
    """Drop excluded parameters, keeping the others in order and exactly as they were written."""
    return "&".join(
        piece for piece in query.split("&") if piece and not _is_excluded(_param_name(piece), extra)
    )


def _fragment_query(fragment: str) -> tuple[str, str] | None:
    """Split a query-like fragment into (prefix, query): ``#a=1`` or ``#/route?a=1``."""
    if "=" not in fragment:
        return None
    head, mark, query = fragment.partition("?")
    return (head + mark, query) if mark else ("", fragment)


def _filter_fragment(fragment: str, extra: frozenset[str]) -> str:
    split = _fragment_query(fragment)
    if split is None:
        return fragment
    head, query = split
    kept = _filter_query(query, extra)
    if kept:
        return head + kept
    return head.removesuffix("?")


def _extra(extra_excluded: Iterable[str]) -> frozenset[str]:
    return frozenset(name.strip().lower() for name in extra_excluded if name.strip())


def sanitize_url(url: str | None, extra_excluded: Iterable[str] = ()) -> str | None:
    """The URL as it may be stored, or None when it is not an absolute http(s) URL.

    Scheme and host are lowercased, userinfo is dropped, an empty path becomes ``/``. The
    excluded parameters (``DEFAULT_EXCLUDED_PARAMS``, every campaign parameter and
    ``extra_excluded``, all case-insensitive) are removed from the query and from a query-like
    fragment; the other parameters keep their order and spelling. Cut to 2048 characters.
    """
    if not url:
        return None
    return _sanitize(url, _extra(extra_excluded))


@functools.lru_cache(maxsize=8192)
def _sanitize(url: str, extra: frozenset[str]) -> str | None:
    """``sanitize_url`` proper, cached: a site's pages and referrers repeat hit after hit."""
    parts = _split(url)
    if parts is None:
        return None
    result = parts.origin + parts.path
    query = _filter_query(parts.query, extra)
    if query:
        result += "?" + query
    fragment = _filter_fragment(parts.fragment, extra)
    if fragment:
        result += "#" + fragment
    return result[:URL_MAX]


def sanitize_referrer(url: str | None, extra_excluded: Iterable[str] = ()) -> str | None:
    """A referrer as it may be stored: the same rules as ``sanitize_url``."""
    return sanitize_url(url, extra_excluded)


def referrer_host(url: str | None) -> str | None:
    """The lowercased host of an http(s) URL (``www.`` kept, no port), else None."""
    try:
        parts = urlsplit(url.strip()) if url else None
    except ValueError:
        return None
    if parts is None or parts.scheme not in _WEB_SCHEMES:
        return None
    return parts.hostname or None


def strip_query(url: str | None) -> str | None:
    """Only ``scheme://host/path`` of an http(s) URL: what anonymous mode may keep."""
    parts = _split(url)
    return None if parts is None else (parts.origin + parts.path)[:URL_MAX]


def _first_value(params: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = params.get(name, "").strip()
        if value:
            return value.lower()[:CAMPAIGN_MAX]
    return None


def _lowercase_params(query: str) -> dict[str, str]:
    # Later values win, as PHP's parse_str does.
    return {
        name.strip().lower(): value
        for name, value in parse_qsl(query, keep_blank_values=True, errors="replace")
    }


@functools.lru_cache(maxsize=8192)
def extract_campaign(url: str | None) -> tuple[str | None, str | None]:
    """(name, keyword) of the campaign a landing URL carries, lowercased as Matomo stores them.

    Parameter names are matched case-insensitively, in the order of ``CAMPAIGN_NAME_PARAMS``
    and ``CAMPAIGN_KEYWORD_PARAMS``. The query string is read first; only when it names no
    campaign is a query-like fragment read (as Matomo does). No name means no campaign, and no
    keyword then either.
    """
    if not url:
        return None, None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None, None
    fragment = _fragment_query(parts.fragment)
    sources = [parts.query] + ([fragment[1]] if fragment is not None else [])
    for source in sources:
        params = _lowercase_params(source)
        name = _first_value(params, CAMPAIGN_NAME_PARAMS)
        if name is not None:
            return name, _first_value(params, CAMPAIGN_KEYWORD_PARAMS)
    return None, None
