"""The OpenAPI 3.1 description of the gateway's own JSON endpoints, served at ``/openapi.json``.

Hand-written from the routes (``gateway.consent.routes``, ``gateway.privacy``, ``gateway.api``,
``gateway.audit.routes``, ``gateway.reports.routes``), with the lists a route checks against -
report dimensions, filters, intervals, ledger actions and sources, hit columns - taken from the
code that checks them, so those lists cannot drift apart. ``tests/api/test_openapi.py`` runs
schemathesis against the real app with this document: every answer must be a documented status
with the documented media type and schema, and none may be a 5xx.

Not described: HTML pages (the notice, the dashboard, the my-data page's forms), scripts,
``/metrics`` (Prometheus text), and what speaks Matomo's protocols as Matomo documents them: the
tracking endpoints ``/matomo.php`` and ``/piwik.php`` and the Reporting API ``/index.php``.
``servers`` is the app's mount point (``root_path``), so the document holds behind a reverse
proxy's path prefix too.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import __version__
from gateway.audit import routes as audit
from gateway.consent.ledger import ACTIONS
from gateway.consent.routes import COOKIE, SOURCES
from gateway.reports import definitions as d
from gateway.reports import params as stats
from gateway.reports.source import INTERVALS
from gateway.tracking.record import HIT_COLUMNS

Json = dict[str, Any]
Security = list[dict[str, list[str]]]  # alternatives; {} means no credential needed

OPENAPI_VERSION: Final = "3.1.0"
CSV: Final = "text/csv"
NDJSON: Final = "application/x-ndjson"
HTML: Final = "text/html"
JSON: Final = "application/json"
STORAGE_UNAVAILABLE: Final = (
    "The database cannot take the write now (locked, full, unreachable, or the gateway is "
    "stopping); nothing was recorded. Retry after `Retry-After` seconds."
)

# ---- building blocks ----------------------------------------------------------------------------


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str) -> Json:
    return {"type": [kind, "null"]}


def array(items: Json) -> Json:
    return {"type": "array", "items": items}


def strings() -> Json:
    return array({"type": "string"})


def obj(properties: Json, required: tuple[str, ...] | None = None) -> Json:
    """An object; every property is required unless ``required`` names fewer."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
    }


def json_body(schema: Json, description: str, headers: Json | None = None) -> Json:
    response: Json = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def error(name: str) -> Json:
    return {"$ref": f"#/components/responses/{name}"}


def query(name: str, schema: Json, description: str, **extra: Any) -> Json:
    return {"name": name, "in": "query", "schema": schema, "description": description, **extra}


def path(name: str, schema: Json, description: str) -> Json:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


SITE: Final = path(
    "site", {"type": "string", "minLength": 1}, "The site's slug (its policy file's name)."
)
LANG: Final = query(
    "lang",
    {"type": "string"},
    "Preferred languages, e.g. `fi` or `de,sv`; the first the site offers wins, "
    "else the site's default language.",
)
DATE: Final = {"type": "string", "format": "date", "examples": ["2026-03-01"]}
FROM: Final = query("from", DATE, "First day, `YYYY-MM-DD`, UTC, inclusive.")
TO: Final = query("to", DATE, "Last day, `YYYY-MM-DD`, UTC, inclusive.")
ADMIN_OR_SITE: Final[Security] = [{"adminOrSiteToken": []}]
CONSENT_TOKEN: Final[Security] = [{"consentCookie": []}, {"consentQuery": []}, {}]
OWN_TOKEN: Final[Security] = [{"consentBearer": []}, {"consentQuery": []}, {"consentCookie": []}]

# ---- schemas ------------------------------------------------------------------------------------

HIT_TYPES: Final[dict[str, Json]] = {
    "ts": {"type": "string"},
    "site": {"type": "string"},
    "idsite": {"type": "integer"},
    "mode": {"type": "string", "enum": ["consented", "anonymous"]},
    "kind": {"type": "string"},
    "event_value": nullable("number"),
    "search_count": nullable("integer"),
    "goal_id": nullable("integer"),
    "revenue": nullable("number"),
    "new_visit": {"type": "boolean"},
    "visit_id": nullable("integer"),
}


def hit_schema() -> Json:
    """A stored hit: every column of the hits export (``HIT_COLUMNS``), null when not sent."""
    return obj({name: HIT_TYPES.get(name, nullable("string")) for name in HIT_COLUMNS})


def consent_record(with_policy_url: bool) -> Json:
    properties: Json = {
        "site_seq": {"type": "integer"},
        "consent_id": {"type": "string"},
        "site": {"type": "string"},
        "ts": {"type": "string"},
        "action": {"type": "string", "enum": list(ACTIONS)},
        "policy_version": {"type": "string"},
        "policy_hash": {"type": "string"},
        "granted": strings(),
        "denied": strings(),
        "lang": {"type": "string"},
        "supersedes": nullable("string"),
        "expires_at": nullable("string"),
        "ip": nullable("string"),
        "ua_family": nullable("string"),
        "pii_digest": {"type": "string"},
        "prev_hash": {"type": "string"},
        "hash": {"type": "string"},
        "services": strings(),
        "source": {"type": "string"},
    }
    if with_policy_url:
        properties["policy_url"] = {"type": "string"}
    return obj(properties)


VISIT_METRICS: Final[Json] = {
    "visits": {"type": "integer"},
    "pageviews": {"type": "integer"},
    "actions": {"type": "integer"},
    "bounces": {"type": "integer"},
    "bounce_rate": nullable("number"),
    "duration_s": {"type": "integer"},
    "avg_visit_duration_s": nullable("integer"),
    "actions_per_visit": nullable("number"),
    "pageviews_per_visit": nullable("number"),
}

SUMMARY_METRICS: Final[Json] = {
    "from": {"type": "string"},
    "to": {"type": "string"},
    "visitors": {"type": "integer"},
    **VISIT_METRICS,
    "new_visitors": {"type": "integer"},
    "returning_visitors": {"type": "integer"},
    "returning_visits": {"type": "integer"},
}

STATS_HEAD: Final[Json] = {
    "site": {"type": "string"},
    "from": {"type": "string"},
    "to": {"type": "string"},
    "filters": array(obj({"name": {"type": "string"}, "value": {"type": "string"}})),
}


def summary_schema() -> Json:
    change = {"type": "object", "additionalProperties": nullable("number")}
    properties = {
        **STATS_HEAD,
        **SUMMARY_METRICS,
        "previous": obj(SUMMARY_METRICS),
        "change": change,
    }
    return obj(properties, tuple(k for k in properties if k not in ("previous", "change")))


def breakdown_row() -> Json:
    properties: Json = {
        "value": {"type": "string"},
        "label": {"type": "string"},
        "type": {"type": "string"},
        "visitors": {"type": "integer"},
        **VISIT_METRICS,
        "pageviews": nullable("integer"),
        "hits": {"type": "integer"},
        "events": {"type": "integer"},
        "events_with_value": {"type": "integer"},
        "event_value_sum": {"type": "number"},
        "event_value_avg": nullable("number"),
        "category": {"type": "string"},
        "action": {"type": "string"},
        "name": {"type": "string"},
        "previous": obj(
            {
                "visitors": {"type": "integer"},
                "visits": {"type": "integer"},
                "pageviews": {"type": "integer"},
            }
        ),
        "change": obj({"visits": nullable("number")}),
    }
    return obj(properties, ("value", "visitors", "visits", "pageviews"))


def series_row() -> Json:
    properties: Json = {
        "date": {"type": "string"},
        "from": {"type": "string"},
        "to": {"type": "string"},
        "visitors": {"type": "integer"},
        **VISIT_METRICS,
    }
    return obj(properties, tuple(k for k in properties if k not in ("from", "to")))


def timeseries_schema() -> Json:
    rows = array(ref("SeriesRow"))
    properties = {
        **STATS_HEAD,
        "interval": {"type": "string", "enum": list(INTERVALS)},
        "rows": rows,
        "previous": obj({"from": {"type": "string"}, "to": {"type": "string"}, "rows": rows}),
    }
    return obj(properties, tuple(k for k in properties if k != "previous"))


def realtime_schema() -> Json:
    page = obj(
        {
            "value": {"type": "string"},
            "visitors": {"type": "integer"},
            "pageviews": {"type": "integer"},
        }
    )
    return obj(
        {
            "site": {"type": "string"},
            "minutes": {"type": "integer"},
            "since": {"type": "string"},
            "visitors": {"type": "integer"},
            "pageviews": {"type": "integer"},
            "hits": {"type": "integer"},
            "pages": array(page),
        }
    )


def consent_report_schema() -> Json:
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    rates = {"type": "object", "additionalProperties": nullable("number")}
    granted_denied = obj({"granted": {"type": "integer"}, "denied": {"type": "integer"}})
    day = obj(
        {
            "date": {"type": "string"},
            "decisions": {"type": "integer"},
            **{action: {"type": "integer"} for action in ACTIONS},
            "gpc": {"type": "integer"},
            "categories": {"type": "object", "additionalProperties": granted_denied},
        }
    )
    return obj(
        {
            "site": {"type": "string"},
            "from": {"type": "string"},
            "to": {"type": "string"},
            "decisions": {"type": "integer"},
            "choices": {"type": "integer"},
            "actions": counts,
            "sources": counts,
            "gpc_share": nullable("number"),
            "categories": array(
                obj(
                    {
                        "category": {"type": "string"},
                        "granted": {"type": "integer"},
                        "denied": {"type": "integer"},
                        "opt_in_rate": nullable("number"),
                    }
                )
            ),
            "languages": array(
                obj(
                    {
                        "lang": {"type": "string"},
                        "decisions": {"type": "integer"},
                        "opt_in_rate": rates,
                    }
                )
            ),
            "policy_versions": array(
                obj(
                    {
                        "policy_version": {"type": "string"},
                        "decisions": {"type": "integer"},
                        "opt_in_rate": rates,
                    }
                )
            ),
            "days": array(day),
        }
    )


def site_config_schema() -> Json:
    return obj(
        {
            "version": {"type": "string"},
            "lang": {"type": "string"},
            "languages": strings(),
            "consent_days": {"type": "integer"},
            "privacy_url": {"type": "string"},
            "categories": array(
                obj(
                    {
                        "id": {"type": "string"},
                        "required": {"type": "boolean"},
                        "cookies": strings(),
                    }
                )
            ),
            "services": array(
                obj(
                    {
                        "id": {"type": "string"},
                        "category": {"type": "string"},
                        "name": {"type": "string"},
                    }
                )
            ),
            "texts": {"type": "object", "additionalProperties": {"type": "string"}},
            "changes": nullable("string"),
            "gpc": {"type": "boolean", "description": "Whether the request carried `Sec-GPC: 1`."},
            "consent_mode": {
                "oneOf": [
                    {"type": "null"},
                    obj(
                        {
                            "wait_for_update": {"type": "integer"},
                            "map": {"type": "object", "additionalProperties": strings()},
                        }
                    ),
                ]
            },
            "details_url": {"type": "string"},
        }
    )


def site_details_schema() -> Json:
    service = obj(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "provider": {"type": "string"},
            "purpose": {"type": "string"},
            "cookies": strings(),
            "privacy_url": nullable("string"),
        }
    )
    category = obj(
        {
            "id": {"type": "string"},
            "required": {"type": "boolean"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "services": array(service),
        }
    )
    return obj(
        {
            "lang": {"type": "string"},
            "my_data_url": nullable("string"),
            "texts": {"type": "object", "additionalProperties": {"type": "string"}},
            "categories": array(category),
        }
    )


def audit_entry_schema() -> Json:
    return obj(
        {
            "id": nullable("integer"),
            "ts": {"type": "string"},
            "site": nullable("string"),
            "actor": {"type": "string"},
            "action": {"type": "string"},
            "target": nullable("string"),
            "status": {"type": "integer"},
            "detail": nullable("string"),
        }
    )


def lookup_schema() -> Json:
    return {
        "type": "object",
        "required": ["by"],
        "properties": {
            "by": {"type": "string", "enum": ["visitor_id", "user_id"]},
            "visitor_id": {"type": "string"},
            "user_id": {"type": "string", "description": "The user id's pseudonym, never the id."},
        },
    }


def schemas() -> Json:
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string", "description": "What was wrong."}},
        },
        "Hit": hit_schema(),
        "ConsentRecord": consent_record(with_policy_url=False),
        "ExportedConsentRecord": consent_record(with_policy_url=True),
        "ConsentChoice": {
            "type": "object",
            "required": ["granted", "policy_version"],
            "properties": {
                "granted": {
                    **strings(),
                    "description": "Category ids granted; required categories are added.",
                },
                "policy_version": {
                    "type": "string",
                    "description": "The `version` of `/consent/{site}/config`; 409 if outdated.",
                },
                "lang": {"type": "string", "description": "One of the site's languages."},
                "services": {**strings(), "description": "Services granted on their own."},
                "source": {"type": "string", "enum": list(SOURCES), "default": "banner"},
            },
            "examples": [
                {"granted": ["analytics"], "policy_version": "2026-01-01", "lang": "fi"},
            ],
        },
        "ConsentGranted": obj(
            {
                "consent_id": {"type": "string"},
                "token": {"type": "string", "description": "The signed consent token."},
                "granted": strings(),
                "services": strings(),
                "expires_at": nullable("string"),
            }
        ),
        "CurrentConsent": obj(
            {
                "consent_id": {"type": "string"},
                "site": {"type": "string"},
                "granted": strings(),
                "services": strings(),
                "policy_version": {"type": "string"},
                "issued_at": {"type": "string"},
                "expires_at": {"type": "string"},
            }
        ),
        "Withdrawal": obj(
            {
                "consent_id": {"type": "string", "description": "The withdrawal's own record."},
                "withdrawn": {"type": "string", "description": "The consent it withdrew."},
            }
        ),
        "SiteConfig": site_config_schema(),
        "SiteDetails": site_details_schema(),
        "OwnData": obj(
            {
                "site": {"type": "string"},
                "exported_at": {"type": "string"},
                "consent_records": array(ref("ConsentRecord")),
                "hits": array(ref("Hit")),
            }
        ),
        "OwnErasure": obj(
            {
                "site": {"type": "string"},
                "hits_erased": {"type": "integer"},
                "consent_records_pseudonymised": {"type": "integer"},
                "withdrawn": nullable("string"),
            }
        ),
        "PolicyVersions": obj(
            {
                "site": {"type": "string"},
                "versions": array(
                    obj(
                        {
                            "version": {"type": "string"},
                            "hash": {"type": "string"},
                            "first_served": {"type": "string"},
                            "url": {"type": "string"},
                        }
                    )
                ),
            }
        ),
        "Summary": summary_schema(),
        "SeriesRow": series_row(),
        "Timeseries": timeseries_schema(),
        "BreakdownRow": breakdown_row(),
        "Breakdown": obj(
            {
                **STATS_HEAD,
                "dimension": {"type": "string", "enum": list(d.dimension_names())},
                "rows": array(ref("BreakdownRow")),
            }
        ),
        "Realtime": realtime_schema(),
        "ConsentReport": consent_report_schema(),
        "ConsentLedger": obj({"records": array(ref("ExportedConsentRecord"))}),
        "VisitorData": obj(
            {
                "site": {"type": "string"},
                "lookup": lookup_schema(),
                "visitor_ids": strings(),
                "hits": array(ref("Hit")),
                "visits": array({"type": "object"}),
                "consents": array(ref("ConsentRecord")),
            }
        ),
        "VisitorErasure": obj(
            {
                "site": {"type": "string"},
                "lookup": lookup_schema(),
                "visitor_ids": strings(),
                "erased": obj(
                    {"hits": {"type": "integer"}, "consents_pseudonymised": {"type": "integer"}}
                ),
            }
        ),
        "AuditEntry": audit_entry_schema(),
        "AuditPage": obj(
            {
                "site": nullable("string"),
                "from": nullable("string"),
                "to": nullable("string"),
                "entries": array(ref("AuditEntry")),
            }
        ),
        "Health": obj(
            {
                "status": {"type": "string", "enum": ["ok", "degraded"]},
                "version": {"type": "string"},
                "database": {"type": "boolean"},
                "sites": strings(),
            }
        ),
    }


def _error_response(description: str, headers: Json | None = None) -> Json:
    return json_body(ref("Error"), description, headers)


RETRY_AFTER: Final[Json] = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "string"},
    }
}


def responses() -> Json:
    return {
        "BadRequest": _error_response("A parameter or the body is not acceptable."),
        "Unauthorized": _error_response("No bearer token."),
        "Forbidden": _error_response(
            "This token cannot read this site (also an unknown site, unless the token is the "
            "admin token)."
        ),
        "NotFound": _error_response("Unknown site, or nothing to answer."),
        "TooManyRequests": _error_response(
            "Too many failed tokens (or consent choices) from this address lately.", RETRY_AFTER
        ),
        "TooLarge": _error_response("The body is larger than allowed."),
    }


# ---- operations ---------------------------------------------------------------------------------


def csv_or_json(schema: Json, description: str) -> Json:
    return {
        "description": description,
        "content": {JSON: {"schema": schema}, CSV: {"schema": {"type": "string"}}},
    }


def api_errors(*, throttled: bool = True) -> Json:
    """The answers every ``/api/sites/{site}`` route gives besides its 200: 400 for a bad
    parameter, the refusals of ``gateway.api.guard``, and 429 where failed tokens are counted."""
    answers: Json = {
        "400": error("BadRequest"),
        "401": error("Unauthorized"),
        "403": error("Forbidden"),
        "404": error("NotFound"),
    }
    if throttled:
        answers["429"] = error("TooManyRequests")
    return answers


def stats_query(*, dates: bool = True, compare: bool = False, limit: bool = False) -> list[Json]:
    names = "|".join(d.filter_names())
    parameters: list[Json] = [FROM, TO] if dates else []
    parameters.append(
        query(
            "filter",
            {
                "type": "array",
                "maxItems": stats.MAX_FILTERS,
                "items": {"type": "string", "pattern": f"^({names}):"},
            },
            "Only visits with this value, `name:value` (e.g. `country:FI`); repeat for several "
            "(all must match).",
            style="form",
            explode=True,
        )
    )
    if compare:
        parameters.append(
            query(
                "compare",
                {"type": "string", "enum": ["previous"]},
                "Also the previous period of the same length.",
            )
        )
    if limit:
        parameters.append(
            query(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": stats.MAX_LIMIT},
                f"Rows to return (default {stats.DEFAULT_LIMIT}).",
            )
        )
    parameters.append(
        query(
            "format", {"type": "string", "enum": list(stats.FORMATS)}, "`json` (default) or `csv`."
        )
    )
    return parameters


def stats_operation(summary: str, schema: str, parameters: list[Json]) -> Json:
    return {
        "get": {
            "tags": ["reports"],
            "summary": summary,
            "security": ADMIN_OR_SITE,
            "parameters": [SITE, *parameters],
            "responses": {
                "200": csv_or_json(ref(schema), "The report (CSV with `format=csv`)."),
                **api_errors(),
            },
        }
    }


def audit_query() -> list[Json]:
    return [
        FROM,
        TO,
        query(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": audit.MAX_LIMIT},
            f"Rows, newest first (default {audit.DEFAULT_LIMIT}).",
        ),
        query("format", {"type": "string", "enum": ["json", "csv"]}, "`json` (default) or `csv`."),
    ]


def consent_paths() -> Json:
    not_found = error("NotFound")
    origin = {
        "name": "Origin",
        "in": "header",
        "schema": {"type": "string"},
        "description": "The page's origin; only the site's `origins` may record a choice.",
    }
    cached = {
        "ETag": {"required": True, "schema": {"type": "string"}},
    }
    if_none_match = {
        "name": "If-None-Match",
        "in": "header",
        "schema": {"type": "string"},
        "description": "An earlier answer's ETag: 304 if unchanged.",
    }
    return {
        "/consent/{site}": {
            "post": {
                "tags": ["consent"],
                "summary": "Record a consent choice",
                "description": "The record is committed when the answer is sent. Sets the "
                f"`{COOKIE}` cookie (not for a Global Privacy Control choice).",
                "parameters": [SITE, origin],
                "security": CONSENT_TOKEN,
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": ref("ConsentChoice")}},
                },
                "responses": {
                    "201": json_body(ref("ConsentGranted"), "Recorded."),
                    "400": error("BadRequest"),
                    "403": _error_response("The `Origin` is not one of the site's origins."),
                    "404": not_found,
                    "409": json_body(
                        {
                            **ref("Error"),
                            "description": "Also carries the current `policy_version`.",
                        },
                        "The policy changed: ask again.",
                    ),
                    "413": error("TooLarge"),
                    "429": error("TooManyRequests"),
                    "503": _error_response(STORAGE_UNAVAILABLE),
                },
            },
            "get": {
                "tags": ["consent"],
                "summary": "The caller's current consent",
                "parameters": [SITE],
                "security": CONSENT_TOKEN,
                "responses": {
                    "200": json_body(ref("CurrentConsent"), "The current, unrevoked consent."),
                    "404": _error_response("Unknown site, or no current consent."),
                },
            },
            "delete": {
                "tags": ["consent"],
                "summary": "Withdraw consent",
                "description": "Recorded like any choice; the cookie is cleared.",
                "parameters": [SITE, origin, LANG],
                "security": CONSENT_TOKEN,
                "responses": {
                    "200": json_body(ref("Withdrawal"), "Withdrawn."),
                    "403": _error_response("The `Origin` is not one of the site's origins."),
                    "404": _error_response("Unknown site, or no current consent to withdraw."),
                    "429": error("TooManyRequests"),
                    "503": _error_response(STORAGE_UNAVAILABLE),
                },
            },
        },
        "/consent/{site}/config": {
            "get": {
                "tags": ["consent"],
                "summary": "What the banner's first layer needs",
                "parameters": [
                    SITE,
                    LANG,
                    if_none_match,
                    {
                        "name": "Sec-GPC",
                        "in": "header",
                        "schema": {"type": "string"},
                        "description": "`1`: the browser sends Global Privacy Control.",
                    },
                ],
                "responses": {
                    "200": json_body(ref("SiteConfig"), "The site's banner settings.", cached),
                    "304": {"description": "Not modified."},
                    "404": not_found,
                },
            }
        },
        "/consent/{site}/details": {
            "get": {
                "tags": ["consent"],
                "summary": "The banner's settings layer: categories, services, texts",
                "parameters": [SITE, LANG, if_none_match],
                "responses": {
                    "200": json_body(ref("SiteDetails"), "The settings layer.", cached),
                    "304": {"description": "Not modified."},
                    "404": not_found,
                },
            }
        },
        "/.well-known/gpc.json": {
            "get": {
                "tags": ["consent"],
                "summary": "Global Privacy Control support resource",
                "responses": {
                    "200": json_body(
                        obj({"gpc": {"type": "boolean"}, "lastUpdate": {"type": "string"}}),
                        "GPC is honoured.",
                    )
                },
            }
        },
    }


def privacy_paths() -> Json:
    def own(description: str) -> Json:
        return {
            "description": description,
            "content": {JSON: {"schema": ref("Error")}, HTML: {"schema": {"type": "string"}}},
        }

    refusals = {
        "401": own("No consent token."),
        "403": own("Not a genuine, unexpired consent token of this site."),
        "404": own("Unknown site, or nothing stored under this token."),
    }
    return {
        "/privacy/{site}/my-data": {
            "get": {
                "tags": ["visitor rights"],
                "summary": "The caller's own consent records and hits",
                "description": "A browser navigation (`Accept: text/html`) gets a page instead; "
                "`format=json` answers as a file download.",
                "parameters": [
                    SITE,
                    LANG,
                    query("format", {"type": "string", "enum": ["json"]}, "Download as a file."),
                ],
                "security": OWN_TOKEN,
                "responses": {
                    "200": {
                        "description": "Everything stored under the token's consent history.",
                        "content": {
                            JSON: {"schema": ref("OwnData")},
                            HTML: {"schema": {"type": "string"}},
                        },
                    },
                    **refusals,
                },
            },
            "delete": {
                "tags": ["visitor rights"],
                "summary": "Erase the caller's own data",
                "description": "Hits, visits and report counts go; consent records stay as "
                "proof without IP and user agent; the consent is withdrawn.",
                "parameters": [SITE, LANG],
                "security": OWN_TOKEN,
                "responses": {
                    "200": json_body(ref("OwnErasure"), "Erased."),
                    "401": _error_response("No consent token."),
                    "403": _error_response("Not a genuine, unexpired consent token of this site."),
                    "404": _error_response("Unknown site, or nothing stored under this token."),
                },
            },
        },
        "/privacy/{site}/versions": {
            "get": {
                "tags": ["visitor rights"],
                "summary": "Every policy version the site has served",
                "parameters": [
                    SITE,
                    query(
                        "lang",
                        {"type": "string"},
                        "One of the site's languages (400 otherwise).",
                    ),
                    query(
                        "format",
                        {"type": "string", "enum": ["html", "json"]},
                        "`html` (default) or `json`.",
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "Newest first; each links to its notice and banner texts.",
                        "content": {
                            JSON: {"schema": ref("PolicyVersions")},
                            HTML: {"schema": {"type": "string"}},
                        },
                    },
                    "400": error("BadRequest"),
                    "404": error("NotFound"),
                },
            }
        },
    }


def api_paths() -> Json:
    prefix = "/api/sites/{site}"
    visitor = path(
        "visitor_id",
        {"type": "string", "minLength": 1},
        "A visitor id (16 hexadecimal characters), or with `by=user_id` the site's user id.",
    )
    by = query(
        "by",
        {"type": "string", "enum": ["visitor_id", "user_id"]},
        "What the path names (default `visitor_id`).",
    )
    return {
        f"{prefix}/hits": {
            "get": {
                "tags": ["exports"],
                "summary": "Stored hits",
                "security": ADMIN_OR_SITE,
                "parameters": [
                    SITE,
                    FROM,
                    TO,
                    query(
                        "format", {"type": "string", "enum": ["ndjson", "csv"]}, "Default `ndjson`."
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "One JSON object (a `Hit`) per line, or CSV with a header.",
                        "content": {
                            NDJSON: {"schema": {"type": "string"}},
                            CSV: {"schema": {"type": "string"}},
                        },
                    },
                    **api_errors(throttled=False),
                },
            }
        },
        f"{prefix}/consents": {
            "get": {
                "tags": ["exports"],
                "summary": "The consent ledger",
                "security": ADMIN_OR_SITE,
                "parameters": [
                    SITE,
                    query("format", {"type": "string", "enum": ["json", "csv"]}, "Default `json`."),
                ],
                "responses": {
                    "200": csv_or_json(ref("ConsentLedger"), "Every record, oldest first."),
                    **api_errors(throttled=False),
                },
            }
        },
        f"{prefix}/visitors/{{visitor_id}}": {
            "get": {
                "tags": ["visitor data"],
                "summary": "Everything stored about a visitor",
                "security": ADMIN_OR_SITE,
                "parameters": [SITE, visitor, by],
                "responses": {
                    "200": json_body(ref("VisitorData"), "The hits, visits and consent records."),
                    **api_errors(),
                },
            },
            "delete": {
                "tags": ["visitor data"],
                "summary": "Erase a visitor",
                "security": ADMIN_OR_SITE,
                "parameters": [SITE, visitor, by],
                "responses": {
                    "200": json_body(ref("VisitorErasure"), "What was removed."),
                    **api_errors(),
                },
            },
        },
        f"{prefix}/audit": {
            "get": {
                "tags": ["audit"],
                "summary": "The site's access audit",
                "security": ADMIN_OR_SITE,
                "parameters": [SITE, *audit_query()],
                "responses": {
                    "200": csv_or_json(ref("AuditPage"), "Rows, newest first."),
                    **api_errors(),
                },
            }
        },
        "/api/audit": {
            "get": {
                "tags": ["audit"],
                "summary": "Every site's access audit (admin token only)",
                "security": ADMIN_OR_SITE,
                "parameters": [
                    *audit_query(),
                    query(
                        "site", {"type": "string"}, "Only this site's rows (also a removed one)."
                    ),
                ],
                "responses": {
                    "200": csv_or_json(ref("AuditPage"), "Rows, newest first."),
                    "400": error("BadRequest"),
                    "401": error("Unauthorized"),
                    "403": _error_response("Not the admin token."),
                    "429": error("TooManyRequests"),
                },
            }
        },
        f"{prefix}/stats/summary": stats_operation(
            "Visitors, visits, page views, bounce rate, durations",
            "Summary",
            stats_query(compare=True),
        ),
        f"{prefix}/stats/timeseries": stats_operation(
            "One row per hour, day, week or month",
            "Timeseries",
            [
                *stats_query(compare=True),
                query(
                    "interval",
                    {"type": "string", "enum": list(INTERVALS)},
                    "Default `day`; `hour` covers at most 92 days.",
                ),
            ],
        ),
        f"{prefix}/stats/realtime": stats_operation(
            "The last 30 minutes",
            "Realtime",
            [query("format", {"type": "string", "enum": list(stats.FORMATS)}, "`json` or `csv`.")],
        ),
        f"{prefix}/stats/consents": stats_operation(
            "Consent decisions and opt-in rates", "ConsentReport", stats_query()
        ),
        f"{prefix}/stats/{{dimension}}": stats_operation(
            "A breakdown by one dimension",
            "Breakdown",
            [
                path("dimension", {"type": "string", "enum": list(d.dimension_names())}, "Which."),
                *stats_query(compare=True, limit=True),
            ],
        ),
    }


def other_paths() -> Json:
    return {
        "/healthz": {
            "get": {
                "tags": ["operations"],
                "summary": "Liveness",
                "responses": {
                    "200": json_body(ref("Health"), "Serving, database reachable."),
                    "503": json_body(ref("Health"), "The database is not reachable."),
                },
            }
        },
        "/readyz": {
            "get": {
                "tags": ["operations"],
                "summary": "Readiness: database reachable and its schema exactly this release's",
                "responses": {
                    "200": json_body(READINESS, "Ready for traffic."),
                    "503": json_body(READINESS, "Not ready; `reasons` says why."),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "tags": ["operations"],
                "summary": "This document",
                "responses": {"200": json_body({"type": "object"}, "OpenAPI 3.1.")},
            }
        },
    }


READINESS: Json = {
    "type": "object",
    "required": ["ready", "schema", "expected_schema", "reasons"],
    "properties": {
        "ready": {"type": "boolean"},
        "schema": {"type": ["integer", "null"]},
        "expected_schema": {"type": "integer"},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
}


@cache
def _document() -> Json:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "gateway",
            "version": __version__,
            "summary": "Cookie consent, proof of consent, consent-gated analytics.",
            "description": 'The gateway\'s own JSON endpoints. Errors are `{"error": "..."}` '
            "with a 4xx status. The tracking endpoints (`/matomo.php`, `/piwik.php`) follow "
            "Matomo's Tracking API and are not described here.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": {**consent_paths(), **privacy_paths(), **api_paths(), **other_paths()},
        "components": {
            "schemas": schemas(),
            "responses": responses(),
            "securitySchemes": {
                "adminOrSiteToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The admin token, or a site token whose SHA-256 the site's "
                    "policy lists (`[access] token_sha256`); a site token reads its own site.",
                },
                "consentCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": COOKIE,
                    "description": "The consent token the gateway set as a cookie.",
                },
                "consentQuery": {
                    "type": "apiKey",
                    "in": "query",
                    "name": COOKIE,
                    "description": "The consent token the banner got from `POST /consent/{site}`.",
                },
                "consentBearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The consent token as `Authorization: Bearer`.",
                },
            },
        },
    }


def document(root_path: str = "") -> Json:
    """The OpenAPI document, its ``servers`` naming where the app is mounted."""
    result = copy.deepcopy(_document())
    result["servers"] = [{"url": root_path.rstrip("/") or "/"}]
    return result


async def openapi_json(request: Request) -> Response:
    return JSONResponse(
        document(str(request.scope.get("root_path", ""))),
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )


routes = [Route("/openapi.json", openapi_json, methods=["GET", "HEAD"])]
