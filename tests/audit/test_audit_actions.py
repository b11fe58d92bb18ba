"""The audit's decision table: which requests are recorded, under which name, with what target."""

from __future__ import annotations

import pytest

from gateway.audit.actions import Facts, match, result, visitor_target


def pseudonym(site: str, user_id: str) -> str:
    return f"p({site},{len(user_id)})"


@pytest.mark.parametrize(
    ("method", "path", "query", "form", "action", "target"),
    [
        (
            "GET",
            "/api/sites/demo/stats/summary",
            {"from": "2026-01-01", "format": "csv"},
            {},
            "stats.read",
            "report=summary from=2026-01-01 format=csv",
        ),
        ("HEAD", "/api/sites/demo/stats/pages", {}, {}, "stats.read", "report=pages"),
        (
            "GET",
            "/api/sites/demo/hits",
            {"to": "2026-01-31"},
            {},
            "hits.export",
            "format=ndjson to=2026-01-31",
        ),
        ("GET", "/api/sites/demo/consents", {"format": "csv"}, {}, "consents.export", "format=csv"),
        (
            "GET",
            "/api/sites/demo/visitors/0123456789ABCDEF",
            {},
            {},
            "visitor.read",
            "visitor_id=0123456789abcdef",
        ),
        (
            "DELETE",
            "/api/sites/demo/visitors/jane@example.fi",
            {"by": "user_id"},
            {},
            "visitor.erase",
            "user_id=p(demo,15)",
        ),
        ("GET", "/api/sites/demo/audit", {"limit": "5"}, {}, "audit.read", "limit=5"),
        ("GET", "/api/audit", {"site": "demo"}, {}, "audit.read", "site=demo"),
        (
            "POST",
            "/index.php",
            {"method": "VisitsSummary.get"},
            {"method": "Other.get", "date": "today"},
            "matomo_api.read",
            "method=VisitsSummary.get date=today",
        ),
        ("GET", "/dashboard/demo", {}, {}, "dashboard.view", "page=overview"),
        ("POST", "/dashboard/demo", {}, {"token": "secret", "csrf": "x"}, "dashboard.login", None),
        ("POST", "/dashboard/demo/logout", {}, {}, "dashboard.logout", None),
        ("POST", "/dashboard/demo/share", {}, {"days": "never"}, "share.create", "days=never"),
        (
            "GET",
            "/dashboard/demo/csv/pages",
            {"interval": "week"},
            {},
            "dashboard.csv",
            "report=pages interval=week",
        ),
        ("GET", "/dashboard/demo/visitors", {}, {}, "dashboard.view", "page=visitors"),
        (
            "GET",
            "/dashboard/demo/visitors",
            {"id": "x@y.fi", "by": "user_id"},
            {},
            "visitor.read",
            "user_id=p(demo,6)",
        ),
        (
            "POST",
            "/dashboard/demo/visitors/erase",
            {},
            {"id": "0123456789abcdef"},
            "visitor.erase",
            "visitor_id=0123456789abcdef",
        ),
        ("GET", "/share/demo/some.signed.value", {}, {}, "share.view", None),
        ("GET", "/privacy/demo/my-data", {}, {}, "my_data.read", None),
        ("DELETE", "/privacy/demo/my-data", {}, {}, "my_data.erase", None),
        (
            "POST",
            "/privacy/demo/my-data",
            {},
            {"action": "download"},
            "my_data.read",
            "action=download",
        ),
        (
            "POST",
            "/privacy/demo/my-data",
            {},
            {"action": "withdraw"},
            "my_data.withdraw",
            "action=withdraw",
        ),
        (
            "POST",
            "/privacy/demo/my-data",
            {},
            {"action": "object"},
            "my_data.object",
            "action=object",
        ),
        (
            "POST",
            "/privacy/demo/my-data",
            {},
            {"action": "nonsense"},
            "my_data.request",
            "action=nonsense",
        ),
        # anything else that could reach data is recorded under a generic name
        ("PUT", "/api/sites/demo/hits", {}, {}, "api.request", "route=hits"),
        ("GET", "/api/anything/else", {}, {}, "api.request", "route=anything"),
        ("GET", "/dashboard/demo/somewhere", {}, {}, "dashboard.request", "route=somewhere"),
    ],
)
def test_audited_requests(
    method: str,
    path: str,
    query: dict[str, str],
    form: dict[str, str],
    action: str,
    target: str | None,
) -> None:
    found = match(method, path)
    assert found is not None
    assert found.rule.describe(Facts(found.params, query, form, pseudonym)) == (action, target)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/matomo.php"),
        ("POST", "/piwik.php"),
        ("GET", "/consent/banner.js"),
        ("POST", "/consent/demo"),
        ("GET", "/privacy/demo"),
        ("GET", "/privacy/demo/versions"),
        ("GET", "/dashboard/static/dashboard.css"),
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/"),
        ("GET", "/tracker.js"),
    ],
)
def test_requests_that_read_nobodys_data_are_not_audited(method: str, path: str) -> None:
    assert match(method, path) is None


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ({"from": "2026-01-01T00:00"}, "report=summary from=(invalid)"),
        ({"from": "2026-01-01", "to": "<script>"}, "report=summary from=2026-01-01 to=(invalid)"),
        ({"format": "csv; rm -rf"}, "report=summary format=(invalid)"),
        ({"interval": "x" * 65}, "report=summary interval=(invalid)"),
    ],
)
def test_values_of_an_unknown_shape_are_never_written(query: dict[str, str], target: str) -> None:
    found = match("GET", "/api/sites/demo/stats/summary")
    assert found is not None
    assert found.rule.describe(Facts(found.params, query)) == ("stats.read", target)


@pytest.mark.parametrize(
    ("value", "by", "target"),
    [
        ("0123456789ABCDEF", None, "visitor_id=0123456789abcdef"),
        ("0123456789abcdef", "visitor_id", "visitor_id=0123456789abcdef"),
        ("203.0.113.9", None, "visitor_id=(invalid)"),
        ("jane@example.fi", "user_id", "user_id=p(demo,15)"),
        ("", "user_id", "user_id=(invalid)"),
        ("x" * 1025, "user_id", "user_id=(invalid)"),
        ("jane@example.fi", "email", "by=(invalid)"),
    ],
)
def test_visitor_targets_never_hold_the_user_id_itself(
    value: str, by: str | None, target: str
) -> None:
    assert visitor_target("demo", value, by, pseudonym) == target


@pytest.mark.parametrize(
    ("status", "allowed", "outcome"),
    [
        (200, None, "ok"),
        (303, None, "ok"),
        (200, True, "ok"),
        (200, False, "refused"),  # a dashboard answering with its login form
        (401, None, "refused"),
        (403, None, "refused"),
        (429, None, "refused"),
        (400, None, "failed"),
        (404, None, "failed"),
        (500, None, "failed"),
    ],
)
def test_result(status: int, allowed: bool | None, outcome: str) -> None:
    assert result(status, allowed) == outcome
