"""Which requests the access audit records, and what each is called: one table, pure functions.

Every route that reads, exports or erases personal data, or opens a way to do so (dashboard
login, shared links), has a row in ``RULES``: the methods and path it answers, the action name
written to ``audit_log``, the kind of credential it takes, and how the target is described.
Anything else under ``/api/`` or ``/dashboard/{site}/`` that no row names is still recorded,
as ``api.request`` or ``dashboard.request``, so a route added later is never silently left out.
Tracking (``/matomo.php``), the banner, the privacy notice and static files are not audited:
they read nobody's data.

Targets keep only values of a known shape (dates, report names, 16-hex visitor ids, short
words): whatever else a client sends is written as ``(invalid)``, so no token, IP address or
free text reaches the audit log. A user id is written only as its keyed pseudonym, the form in
which the hits store it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

Credential = Literal["bearer", "matomo", "session", "login", "share", "visitor"]

INVALID: Final = "(invalid)"
MAX_USER_ID: Final = 1024
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WORD = re.compile(r"[A-Za-z0-9_.,:-]{1,64}")
_HEX16 = re.compile(r"[0-9a-fA-F]{16}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

Pseudonym = Callable[[str, str], str]  # (site, user id) -> the pseudonym hits store


@dataclass(frozen=True)
class Facts:
    """What the middleware saw of a request: path parameters, query, form body (if read)."""

    params: Mapping[str, str]
    query: Mapping[str, str]
    form: Mapping[str, str] = field(default_factory=dict)
    pseudonym: Pseudonym | None = None


Describe = Callable[[Facts], tuple[str, str | None]]  # -> (action, target)


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    credential: Credential
    describe: Describe
    reads_body: bool = False  # the target or the credential is in a form body


def word(value: str | None) -> str | None:
    """A short value of a safe shape as it is; anything else as ``(invalid)``."""
    if value is None or value == "":
        return None
    return value if _WORD.fullmatch(value) else INVALID


def _date(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    return value if _DATE.fullmatch(value) else INVALID


def _join(**parts: str | None) -> str | None:
    kept = [f"{name.rstrip('_')}={value}" for name, value in parts.items() if value is not None]
    return " ".join(kept) or None


def _dates(query: Mapping[str, str]) -> dict[str, str | None]:
    return {"from_": _date(query.get("from")), "to": _date(query.get("to"))}


def visitor_target(
    site: str, value: str | None, by: str | None, pseudonym: Pseudonym | None
) -> str:
    """``visitor_id=<16 hex>`` or ``user_id=<pseudonym>``; never the user id itself."""
    if by in (None, "", "visitor_id"):
        if value is not None and _HEX16.fullmatch(value):
            return f"visitor_id={value.lower()}"
        return f"visitor_id={INVALID}"
    if by == "user_id":
        if value and len(value) <= MAX_USER_ID and pseudonym is not None:
            return f"user_id={pseudonym(site, value)}"
        return f"user_id={INVALID}"
    return f"by={INVALID}"


def _action(name: str, target: Callable[[Facts], str | None]) -> Describe:
    def describe(facts: Facts) -> tuple[str, str | None]:
        return name, target(facts)

    return describe


def _stats(f: Facts) -> str | None:
    return _join(
        report=word(f.params["report"]),
        **_dates(f.query),
        interval=word(f.query.get("interval")),
        format=word(f.query.get("format")),
    )


def _hits(f: Facts) -> str | None:
    return _join(format=word(f.query.get("format")) or "ndjson", **_dates(f.query))


def _consents(f: Facts) -> str | None:
    return _join(format=word(f.query.get("format")) or "json")


def _visitor(f: Facts) -> str | None:
    return visitor_target(f.params["site"], f.params["visitor"], f.query.get("by"), f.pseudonym)


def _audit(f: Facts) -> str | None:
    return _join(
        site=word(f.query.get("site")),
        **_dates(f.query),
        limit=word(f.query.get("limit")),
        format=word(f.query.get("format")),
    )


def _matomo(f: Facts) -> str | None:
    merged = {**f.form, **f.query}  # the query string wins, as the Reporting API reads it
    return _join(
        method=word(merged.get("method")),
        period=word(merged.get("period")),
        date=word(merged.get("date")),
    )


def _dashboard_page(f: Facts) -> str | None:
    return _join(page="overview", **_dates(f.query))


def _csv(f: Facts) -> str | None:
    return _join(
        report=word(f.params["report"]), **_dates(f.query), interval=word(f.query.get("interval"))
    )


def _visitors_page(f: Facts) -> tuple[str, str | None]:
    value = f.query.get("id")
    if not value:
        return "dashboard.view", "page=visitors"
    return "visitor.read", visitor_target(f.params["site"], value, f.query.get("by"), f.pseudonym)


def _visitors_erase(f: Facts) -> str | None:
    return visitor_target(f.params["site"], f.form.get("id"), f.form.get("by"), f.pseudonym)


def _shared(f: Facts) -> str | None:
    return _join(**_dates(f.query))


def _share_create(f: Facts) -> str | None:
    return _join(days=word(f.form.get("days")))


def _route(f: Facts) -> str | None:
    return _join(route=word(f.params.get("rest", "").split("/", 1)[0]) or "/")


# The visitor's own-data page posts one form whose ``action`` says what it does.
MY_DATA_ACTIONS: Final = {
    "view": "my_data.read",
    "download": "my_data.read",
    "erase": "my_data.erase",
    "withdraw": "my_data.withdraw",
    "object": "my_data.object",
}


def _my_data_form(f: Facts) -> tuple[str, str | None]:
    chosen = f.form.get("action") or "view"
    return MY_DATA_ACTIONS.get(chosen, "my_data.request"), _join(action=word(chosen))


def _none(f: Facts) -> str | None:
    return None


def _rule(
    methods: str,
    path: str,
    credential: Credential,
    describe: Describe,
    *,
    reads_body: bool = False,
) -> Rule:
    pieces = re.split(r"\{(\w+)\}", path)  # literal, name, literal, name, ..., literal
    regex = "".join(
        re.escape(piece) if i % 2 == 0 else f"(?P<{piece}>[^/]+)" for i, piece in enumerate(pieces)
    )
    return Rule(
        frozenset(methods.split()), re.compile(f"^{regex}$"), credential, describe, reads_body
    )


GET = "GET HEAD"
SITE_API = "/api/sites/{site}"
# Order matters: the first row whose methods and path match decides.
RULES: Final[tuple[Rule, ...]] = (
    _rule(GET, SITE_API + "/stats/{report}", "bearer", _action("stats.read", _stats)),
    _rule(GET, SITE_API + "/hits", "bearer", _action("hits.export", _hits)),
    _rule(GET, SITE_API + "/consents", "bearer", _action("consents.export", _consents)),
    _rule(GET, SITE_API + "/visitors/{visitor}", "bearer", _action("visitor.read", _visitor)),
    _rule("DELETE", SITE_API + "/visitors/{visitor}", "bearer", _action("visitor.erase", _visitor)),
    _rule(GET, SITE_API + "/audit", "bearer", _action("audit.read", _audit)),
    _rule(GET, "/api/audit", "bearer", _action("audit.read", _audit)),
    _rule("GET POST", "/index.php", "matomo", _action("matomo_api.read", _matomo), reads_body=True),
    _rule(GET, "/dashboard/{site}", "session", _action("dashboard.view", _dashboard_page)),
    _rule("POST", "/dashboard/{site}", "login", _action("dashboard.login", _none), reads_body=True),
    _rule("POST", "/dashboard/{site}/logout", "session", _action("dashboard.logout", _none)),
    _rule(
        "POST",
        "/dashboard/{site}/share",
        "session",
        _action("share.create", _share_create),
        reads_body=True,
    ),
    _rule(GET, "/dashboard/{site}/csv/{report}", "session", _action("dashboard.csv", _csv)),
    _rule(GET, "/dashboard/{site}/visitors", "session", _visitors_page),
    _rule(
        "POST",
        "/dashboard/{site}/visitors/erase",
        "session",
        _action("visitor.erase", _visitors_erase),
        reads_body=True,
    ),
    _rule(GET, "/share/{site}/{token}", "share", _action("share.view", _shared)),
    _rule(GET, "/privacy/{site}/my-data", "visitor", _action("my_data.read", _none)),
    _rule("DELETE", "/privacy/{site}/my-data", "visitor", _action("my_data.erase", _none)),
    _rule("POST", "/privacy/{site}/my-data", "visitor", _my_data_form, reads_body=True),
)
# Catch-alls: anything else that could reach personal data is recorded under a generic name.
_SITE_API_ANY = re.compile(r"^/api/sites/(?P<site>[^/]+)(?:/(?P<rest>.*))?$")
_API_ANY = re.compile(r"^/api(?:/(?P<rest>.*))?$")
_DASHBOARD_ANY = re.compile(r"^/dashboard/(?P<site>[^/]+)/(?P<rest>.+)$")
_NOT_AUDITED = re.compile(r"^/dashboard/static/")


@dataclass(frozen=True)
class Match:
    rule: Rule
    params: dict[str, str]


def _generic(credential: Credential, describe: Describe) -> Rule:
    return Rule(frozenset(), re.compile(""), credential, describe)


_API_REQUEST = _generic("bearer", _action("api.request", _route))
_DASHBOARD_REQUEST = _generic("session", _action("dashboard.request", _route))


def match(method: str, path: str) -> Match | None:
    """The rule for a request (``path`` without the app's root path), or None: not audited."""
    if _NOT_AUDITED.match(path):
        return None
    for rule in RULES:
        if method in rule.methods and (found := rule.pattern.match(path)):
            return Match(rule, {k: v for k, v in found.groupdict().items() if v is not None})
    if found := _SITE_API_ANY.match(path) or _API_ANY.match(path):
        return Match(_API_REQUEST, {k: v for k, v in found.groupdict().items() if v is not None})
    if found := _DASHBOARD_ANY.match(path):
        return Match(_DASHBOARD_REQUEST, found.groupdict())
    return None


def site_of(found: Match) -> str | None:
    """The site a request names in its path, if the name has a slug's shape (else None)."""
    slug = found.params.get("site")
    return slug if slug is not None and _SLUG.fullmatch(slug) else None


def idsite_of(query: Mapping[str, str], form: Mapping[str, str]) -> int | None:
    """The Matomo ``idSite`` of a Reporting API call (query string first, then the body)."""
    value = query.get("idSite", form.get("idSite", ""))
    return int(value) if value.isdigit() and len(value) <= 9 else None


def result(status: int, allowed: bool | None) -> str:
    """The outcome written to ``detail``: ``ok``, ``refused`` (credentials missing, wrong or
    not valid for the site - also when a dashboard answers with its login form - or too many
    failed attempts) or ``failed`` (any other error)."""
    if status in (401, 403, 429) or allowed is False:
        return "refused"
    return "ok" if status < 400 else "failed"
