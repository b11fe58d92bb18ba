"""Every access to personal data leaves exactly one audit row: who, what, which site, result.

Each case runs its preparation (log in, create a shared link), then one request, and expects
exactly one new ``audit_log`` row with the given actor, action, site, status and result. Wrong,
missing and other-site credentials are refused and recorded as refused. Requests that read
nobody's data (tracking, the banner, the notice) leave no row.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from gateway.dashboard.routes import COOKIE
from gateway.dashboard.session import SessionCodec
from gateway.tracking.pipeline import pseudonym
from tests.api.kit import (
    ADMIN,
    ADMIN_AUTH,
    DEMO_TOKEN,
    OTHER_TOKEN,
    WRONG_TOKEN,
    audit_rows,
    bearer,
    consent,
    sha,
    track,
)
from tests.conftest import SECRET

DEMO_KEY, OTHER_KEY = sha(DEMO_TOKEN)[:12], sha(OTHER_TOKEN)[:12]
VISITOR = "0123456789abcdef"
JANE = "jane@example.fi"
JANE_PSEUDONYM = pseudonym(SECRET.encode(), "demo", JANE)
MATOMO = {"module": "API", "method": "VisitsSummary.get", "idSite": "1", "period": "day"}


def session_csrf(client: TestClient) -> str:
    """The CSRF value of the browser's dashboard session, read from its cookie (no request)."""
    session = SessionCodec((SECRET,)).loads(client.cookies.get(COOKIE), time.time())
    assert session is not None
    return session.csrf


def login_form(client: TestClient) -> None:
    assert client.get("/dashboard/demo").status_code == 200


def login(client: TestClient, token: str = DEMO_TOKEN, site: str = "demo") -> httpx.Response:
    return client.post(
        f"/dashboard/{site}",
        data={"csrf": session_csrf(client), "token": token},
        follow_redirects=False,
    )


def logged_in(token: str = DEMO_TOKEN) -> Callable[[TestClient], None]:
    def prepare(client: TestClient) -> None:
        login_form(client)
        assert login(client, token).status_code == 303

    return prepare


def share_link(client: TestClient) -> str:
    logged_in()(client)
    page = client.post("/dashboard/demo/share", data={"csrf": session_csrf(client), "days": "7"})
    found = re.search(r'value="http://[^"]+(/share/demo/[^"]+)"', page.text)
    assert found, page.text
    client.cookies.clear()
    return found.group(1)


def with_jane(client: TestClient) -> None:
    token = consent(client)
    track(client, token, VISITOR, "/", uid=JANE)


@dataclass(frozen=True)
class Case:
    name: str
    act: Callable[[TestClient], httpx.Response]
    actor: str
    action: str
    site: str | None
    status: int | None  # None: whatever the route answers
    result: str
    target: str | None = None
    prepare: Callable[[TestClient], None] = field(default=lambda client: None)


def get(path: str, **kwargs: object) -> Callable[[TestClient], httpx.Response]:
    def act(client: TestClient) -> httpx.Response:
        return client.get(path, follow_redirects=False, **kwargs)  # type: ignore[arg-type]

    return act


CASES = [
    # the stats API, with every kind of credential
    Case(
        "stats admin",
        get("/api/sites/demo/stats/summary", headers=ADMIN_AUTH),
        "admin",
        "stats.read",
        "demo",
        200,
        "ok",
        "report=summary",
    ),
    Case(
        "stats own token",
        get(
            "/api/sites/demo/stats/pages?from=2026-01-01&to=2026-01-31&format=csv",
            headers=bearer(DEMO_TOKEN),
        ),
        f"site-token:{DEMO_KEY}",
        "stats.read",
        "demo",
        200,
        "ok",
        "report=pages from=2026-01-01 to=2026-01-31 format=csv",
    ),
    Case(
        "stats other site's token",
        get("/api/sites/demo/stats/summary", headers=bearer(OTHER_TOKEN)),
        f"site-token:{OTHER_KEY}",
        "stats.read",
        "demo",
        403,
        "refused",
        "report=summary",
    ),
    Case(
        "stats no token",
        get("/api/sites/demo/stats/summary"),
        "anonymous",
        "stats.read",
        "demo",
        401,
        "refused",
        "report=summary",
    ),
    Case(
        "stats wrong token",
        get("/api/sites/demo/stats/summary", headers=bearer(WRONG_TOKEN)),
        "anonymous",
        "stats.read",
        "demo",
        403,
        "refused",
        "report=summary",
    ),
    Case(
        "stats bad parameter",
        get("/api/sites/demo/stats/summary?from=yesterday", headers=ADMIN_AUTH),
        "admin",
        "stats.read",
        "demo",
        400,
        "failed",
        "report=summary from=(invalid)",
    ),
    # exports
    Case(
        "hits export",
        get("/api/sites/demo/hits?format=csv&from=2026-01-01&to=2026-01-31", headers=ADMIN_AUTH),
        "admin",
        "hits.export",
        "demo",
        200,
        "ok",
        "format=csv from=2026-01-01 to=2026-01-31",
    ),
    Case(
        "hits export, other site's token",
        get("/api/sites/other/hits", headers=bearer(DEMO_TOKEN)),
        f"site-token:{DEMO_KEY}",
        "hits.export",
        "other",
        403,
        "refused",
        "format=ndjson",
    ),
    Case(
        "consents export",
        get("/api/sites/demo/consents", headers=bearer(DEMO_TOKEN)),
        f"site-token:{DEMO_KEY}",
        "consents.export",
        "demo",
        200,
        "ok",
        "format=json",
    ),
    # GDPR tools
    Case(
        "visitor read",
        get(f"/api/sites/demo/visitors/{VISITOR}", headers=ADMIN_AUTH),
        "admin",
        "visitor.read",
        "demo",
        200,
        "ok",
        f"visitor_id={VISITOR}",
        with_jane,
    ),
    Case(
        "visitor read, nothing stored",
        get("/api/sites/demo/visitors/FFFFFFFFFFFFFFFF", headers=ADMIN_AUTH),
        "admin",
        "visitor.read",
        "demo",
        404,
        "failed",
        "visitor_id=ffffffffffffffff",
    ),
    Case(
        "visitor read by user id",
        get(f"/api/sites/demo/visitors/{JANE}?by=user_id", headers=bearer(DEMO_TOKEN)),
        f"site-token:{DEMO_KEY}",
        "visitor.read",
        "demo",
        200,
        "ok",
        f"user_id={JANE_PSEUDONYM}",
        with_jane,
    ),
    Case(
        "visitor erase",
        lambda c: c.delete(f"/api/sites/demo/visitors/{VISITOR}", headers=ADMIN_AUTH),
        "admin",
        "visitor.erase",
        "demo",
        200,
        "ok",
        f"visitor_id={VISITOR}",
        with_jane,
    ),
    Case(
        "visitor erase by user id",
        lambda c: c.delete(f"/api/sites/demo/visitors/{JANE}?by=user_id", headers=ADMIN_AUTH),
        "admin",
        "visitor.erase",
        "demo",
        200,
        "ok",
        f"user_id={JANE_PSEUDONYM}",
        with_jane,
    ),
    Case(
        "visitor erase, no token",
        lambda c: c.delete(f"/api/sites/demo/visitors/{VISITOR}"),
        "anonymous",
        "visitor.erase",
        "demo",
        401,
        "refused",
        f"visitor_id={VISITOR}",
        with_jane,
    ),
    Case(
        "visitor erase, other site's token",
        lambda c: c.delete(f"/api/sites/demo/visitors/{VISITOR}", headers=bearer(OTHER_TOKEN)),
        f"site-token:{OTHER_KEY}",
        "visitor.erase",
        "demo",
        403,
        "refused",
        f"visitor_id={VISITOR}",
        with_jane,
    ),
    Case(
        "visitor read, malformed id",
        get("/api/sites/demo/visitors/abc", headers=ADMIN_AUTH),
        "admin",
        "visitor.read",
        "demo",
        400,
        "failed",
        "visitor_id=(invalid)",
    ),
    # the audit itself
    Case(
        "site audit",
        get("/api/sites/demo/audit?from=2026-01-01", headers=bearer(DEMO_TOKEN)),
        f"site-token:{DEMO_KEY}",
        "audit.read",
        "demo",
        200,
        "ok",
        "from=2026-01-01",
    ),
    Case(
        "site audit, other site's token",
        get("/api/sites/other/audit", headers=bearer(DEMO_TOKEN)),
        f"site-token:{DEMO_KEY}",
        "audit.read",
        "other",
        403,
        "refused",
    ),
    Case(
        "all audit", get("/api/audit", headers=ADMIN_AUTH), "admin", "audit.read", None, 200, "ok"
    ),
    Case(
        "all audit, site token",
        get("/api/audit", headers=bearer(DEMO_TOKEN)),
        f"site-token:{DEMO_KEY}",
        "audit.read",
        None,
        403,
        "refused",
    ),
    # the Matomo Reporting API: token_auth in the query, in a POST body, or wrong
    Case(
        "matomo api",
        get(
            "/index.php", params={**MATOMO, "date": "today", "format": "JSON", "token_auth": ADMIN}
        ),
        "admin",
        "matomo_api.read",
        "demo",
        200,
        "ok",
        "method=VisitsSummary.get period=day date=today",
    ),
    Case(
        "matomo api, POST body",
        lambda c: c.post("/index.php", data={**MATOMO, "date": "today", "token_auth": DEMO_TOKEN}),
        f"site-token:{DEMO_KEY}",
        "matomo_api.read",
        "demo",
        200,
        "ok",
        "method=VisitsSummary.get period=day date=today",
    ),
    Case(
        "matomo api, wrong token",
        get("/index.php", params={**MATOMO, "date": "today", "token_auth": WRONG_TOKEN}),
        "anonymous",
        "matomo_api.read",
        "demo",
        401,
        "refused",
        "method=VisitsSummary.get period=day date=today",
    ),
    Case(
        "matomo api, other site's token",
        get(
            "/index.php",
            params={**MATOMO, "idSite": "7", "date": "today", "token_auth": DEMO_TOKEN},
        ),
        f"site-token:{DEMO_KEY}",
        "matomo_api.read",
        "other",
        401,
        "refused",
        "method=VisitsSummary.get period=day date=today",
    ),
    # any other API path is still recorded
    Case(
        "unknown api path",
        get("/api/sites/demo/everything", headers=ADMIN_AUTH),
        "admin",
        "api.request",
        "demo",
        404,
        "failed",
        "route=everything",
    ),
    # the dashboard
    Case(
        "dashboard login",
        lambda c: login(c),
        f"site-token:{DEMO_KEY}",
        "dashboard.login",
        "demo",
        303,
        "ok",
        None,
        login_form,
    ),
    Case(
        "dashboard login as admin",
        lambda c: login(c, ADMIN),
        "admin",
        "dashboard.login",
        "demo",
        303,
        "ok",
        None,
        login_form,
    ),
    Case(
        "dashboard login, wrong token",
        lambda c: login(c, WRONG_TOKEN),
        "anonymous",
        "dashboard.login",
        "demo",
        403,
        "refused",
        None,
        login_form,
    ),
    Case(
        "dashboard login, other site's token",
        lambda c: login(c, OTHER_TOKEN),
        f"site-token:{OTHER_KEY}",
        "dashboard.login",
        "demo",
        403,
        "refused",
        None,
        login_form,
    ),
    Case(
        "dashboard view",
        get("/dashboard/demo?from=2026-01-01&to=2026-01-31"),
        f"session:{DEMO_KEY}",
        "dashboard.view",
        "demo",
        200,
        "ok",
        "page=overview from=2026-01-01 to=2026-01-31",
        logged_in(),
    ),
    Case(
        "dashboard view, admin session",
        get("/dashboard/demo"),
        "session:admin",
        "dashboard.view",
        "demo",
        200,
        "ok",
        "page=overview",
        logged_in(ADMIN),
    ),
    Case(
        "dashboard view, not logged in",
        get("/dashboard/demo"),
        "anonymous",
        "dashboard.view",
        "demo",
        200,
        "refused",
        "page=overview",
    ),
    Case(
        "dashboard view, session of another site",
        get("/dashboard/other"),
        f"session:{DEMO_KEY}",
        "dashboard.view",
        "other",
        200,
        "refused",
        "page=overview",
        logged_in(),
    ),
    Case(
        "dashboard csv",
        get("/dashboard/demo/csv/pages?from=2026-01-01&to=2026-01-31"),
        f"session:{DEMO_KEY}",
        "dashboard.csv",
        "demo",
        200,
        "ok",
        "report=pages from=2026-01-01 to=2026-01-31",
        logged_in(),
    ),
    Case(
        "dashboard csv, not logged in",
        get("/dashboard/demo/csv/pages"),
        "anonymous",
        "dashboard.csv",
        "demo",
        403,
        "refused",
        "report=pages",
    ),
    Case(
        "share link created",
        lambda c: c.post("/dashboard/demo/share", data={"csrf": session_csrf(c), "days": "30"}),
        f"session:{DEMO_KEY}",
        "share.create",
        "demo",
        200,
        "ok",
        "days=30",
        logged_in(),
    ),
    Case(
        "logout",
        lambda c: c.post(
            "/dashboard/demo/logout", data={"csrf": session_csrf(c)}, follow_redirects=False
        ),
        f"session:{DEMO_KEY}",
        "dashboard.logout",
        "demo",
        303,
        "ok",
        None,
        logged_in(),
    ),
    Case(
        "shared link, forged",
        get("/share/demo/forged-link-value"),
        "anonymous",
        "share.view",
        "demo",
        404,
        "refused",
    ),
    # the GDPR page of the dashboard
    Case(
        "visitor data page",
        get("/dashboard/demo/visitors"),
        f"session:{DEMO_KEY}",
        "dashboard.view",
        "demo",
        200,
        "ok",
        "page=visitors",
        logged_in(),
    ),
    Case(
        "visitor data page lookup",
        get(f"/dashboard/demo/visitors?id={VISITOR}"),
        f"session:{DEMO_KEY}",
        "visitor.read",
        "demo",
        200,
        "ok",
        f"visitor_id={VISITOR}",
        lambda c: (with_jane(c), logged_in()(c)),
    ),  # type: ignore[func-returns-value]
    Case(
        "visitor data page, not logged in",
        get(f"/dashboard/demo/visitors?id={JANE}&by=user_id"),
        "anonymous",
        "visitor.read",
        "demo",
        403,
        "refused",
        f"user_id={JANE_PSEUDONYM}",
    ),
    Case(
        "visitor data page erase",
        lambda c: c.post(
            "/dashboard/demo/visitors/erase",
            data={"csrf": session_csrf(c), "id": VISITOR, "confirm": "yes"},
        ),
        f"session:{DEMO_KEY}",
        "visitor.erase",
        "demo",
        200,
        "ok",
        f"visitor_id={VISITOR}",
        lambda c: (with_jane(c), logged_in()(c)),
    ),  # type: ignore[func-returns-value]
    # a visitor's own requests
    Case(
        "my data, with a consent token",
        lambda c: c.get("/privacy/demo/my-data", headers=bearer(consent(c))),
        "visitor",
        "my_data.read",
        "demo",
        200,
        "ok",
    ),
    Case(
        "my data in the page's form",
        lambda c: c.post(
            "/privacy/demo/my-data",
            data={"gw_consent": consent(c), "action": "view"},
            headers={"Accept": "text/html"},
        ),
        "visitor",
        "my_data.read",
        "demo",
        200,
        "ok",
        "action=view",
    ),
    Case(
        "my data, forged token",
        lambda c: c.get("/privacy/demo/my-data", headers=bearer("forged.token.value")),
        "anonymous",
        "my_data.read",
        "demo",
        403,
        "refused",
    ),
    Case(
        "my data erased, without a token",
        lambda c: c.delete("/privacy/demo/my-data"),
        "anonymous",
        "my_data.erase",
        "demo",
        401,
        "refused",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_access_leaves_exactly_one_audit_row(
    client: TestClient, db_path: Path, case: Case
) -> None:
    case.prepare(client)
    before = len(audit_rows(db_path))
    response = case.act(client)
    if case.status is not None:
        assert response.status_code == case.status, response.text
    new = audit_rows(db_path)[before:]
    assert len(new) == 1, new
    (row,) = new
    expected = (case.actor, case.action, case.site, response.status_code)
    assert (row["actor"], row["action"], row["site"], row["status"]) == expected
    if case.result != "*":
        assert row["detail"] == case.result
    if case.target is not None:
        assert row["target"] == case.target


def test_a_valid_shared_link_is_recorded_as_a_shared_link_view(
    client: TestClient, db_path: Path
) -> None:
    link = share_link(client)
    before = len(audit_rows(db_path))
    assert client.get(link + "?from=2026-01-01&to=2026-01-31").status_code == 200
    (row,) = audit_rows(db_path)[before:]
    assert (row["actor"], row["action"], row["site"], row["detail"]) == (
        "share-link",
        "share.view",
        "demo",
        "ok",
    )
    assert row["target"] == "from=2026-01-01 to=2026-01-31"


@pytest.mark.parametrize(
    "request_",
    [
        lambda c, t: c.get(
            "/matomo.php",
            params={
                "idsite": 1,
                "rec": 1,
                "url": "http://127.0.0.1:8000/",
                "_id": VISITOR,
                "gw_consent": t,
            },
            headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36"},
        ),
        lambda c, t: c.get("/consent/banner.js"),
        lambda c, t: c.get("/consent/demo/config"),
        lambda c, t: c.get("/privacy/demo"),
        lambda c, t: c.get("/healthz"),
        lambda c, t: c.get("/dashboard/static/dashboard.css"),
    ],
    ids=["tracking", "banner", "banner config", "privacy notice", "health", "stylesheet"],
)
def test_requests_that_read_nobodys_data_are_not_audited(
    client: TestClient, db_path: Path, request_: Callable[[TestClient, str], httpx.Response]
) -> None:
    token = consent(client)
    before = len(audit_rows(db_path))
    assert request_(client, token).status_code < 400
    assert audit_rows(db_path)[before:] == []
