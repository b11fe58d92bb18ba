"""The dashboard over HTTP: login, session, CSRF, site binding, numbers, CSV, shared links.

Everything runs against the real app (SQLite, writer, tracking endpoint) through Starlette's
TestClient; the scenario's hits go in through ``/matomo.php`` with a consent token.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.dashboard import routes
from gateway.dashboard.session import Session, SessionCodec, key_of_token
from gateway.settings import Settings
from tests.conftest import ADMIN, BROWSER_UA, ORIGIN, SECRET, grant
from tests.dashboard.conftest import DEMO_TOKEN, OTHER_TOKEN, csrf_of, login, site_files
from tests.dashboard.scenario import FIRST_DAY, PER_DAY, PERIOD, TOTALS, hit_params

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@pytest.fixture
def scenario(client: TestClient) -> TestClient:
    token = grant(client, ["analytics"])["token"]
    grant(client, [])  # a refusal: analytics opt-in rate 50 %
    for params in hit_params(ORIGIN, token, FIRST_DAY):
        response = client.get("/matomo.php", params=params, headers={"User-Agent": BROWSER_UA})
        assert response.status_code == 204
    return client


def cookies_set(response: object) -> list[str]:
    headers = response.headers  # type: ignore[attr-defined]
    return [v for v in headers.get_list("set-cookie") if v.startswith(f"{routes.COOKIE}=")]


def tile(html: str, metric: str) -> str:
    found = re.search(
        rf'data-metric="{metric}">\s*<span class="tile-label">[^<]*</span>\s*'
        r'<strong class="tile-value">([^<]*)</strong>',
        html,
    )
    assert found, metric
    return found.group(1)


def logged_out(html: str) -> bool:
    return 'name="token"' in html and 'class="tiles"' not in html


# -- login, cookie, logout ---------------------------------------------------------------------


def test_login_form_sets_a_strict_cookie_then_the_session(client: TestClient) -> None:
    form = client.get(f"/dashboard/demo{PERIOD}")
    assert form.status_code == 200 and logged_out(form.text)
    (anonymous,) = cookies_set(form)
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/dashboard/", "Max-Age=43200"):
        assert attribute in anonymous
    assert "Secure" not in anonymous  # plain http here
    response = client.post(
        f"/dashboard/demo{PERIOD}",
        data={"csrf": csrf_of(form.text), "token": ADMIN},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/demo?from=2026-03-01&to=2026-03-07"
    (session,) = cookies_set(response)
    assert "HttpOnly" in session and "SameSite=strict" in session
    assert "Path=/dashboard/" in session and "Max-Age=43200" in session
    assert ADMIN not in session  # a fingerprint, never the token
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and 'class="tiles"' in page.text
    assert csrf_of(page.text) != csrf_of(form.text)  # a new CSRF value after login


def test_cookie_is_secure_on_https(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="https://127.0.0.1:8000") as https:
        (cookie,) = cookies_set(https.get("/dashboard/demo"))
        assert "Secure" in cookie


def test_wrong_token_shows_the_form_again(client: TestClient) -> None:
    form = client.get("/dashboard/demo")
    response = client.post("/dashboard/demo", data={"csrf": csrf_of(form.text), "token": "wrong"})
    assert response.status_code == 403
    assert logged_out(response.text)
    assert "This token cannot open this site&#39;s dashboard." in response.text
    assert logged_out(client.get("/dashboard/demo").text)


def test_logout_ends_the_session(client: TestClient) -> None:
    page = login(client, ADMIN)
    refused = client.post("/dashboard/demo/logout", data={"csrf": "forged"})
    assert refused.status_code == 403
    assert not logged_out(client.get("/dashboard/demo").text)  # still logged in
    response = client.post(
        "/dashboard/demo/logout", data={"csrf": csrf_of(page)}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/demo"
    (cleared,) = cookies_set(response)
    assert "Max-Age=0" in cleared and "Path=/dashboard/" in cleared
    assert logged_out(client.get("/dashboard/demo").text)


# -- sites and tokens --------------------------------------------------------------------------


def test_a_site_token_never_opens_another_site(client: TestClient) -> None:
    form = client.get("/dashboard/other")
    refused = client.post(
        "/dashboard/other", data={"csrf": csrf_of(form.text), "token": DEMO_TOKEN}
    )
    assert refused.status_code == 403 and logged_out(refused.text)
    login(client, DEMO_TOKEN, "demo")
    other = client.get("/dashboard/other")
    assert other.status_code == 200 and logged_out(other.text)
    assert "does not cover this site" in other.text
    assert client.get("/dashboard/other/csv/pages").status_code == 403
    assert "cannot" not in client.get("/dashboard/demo").text  # demo still open
    login(client, OTHER_TOKEN, "other")  # a new login replaces the session
    assert logged_out(client.get("/dashboard/demo").text)


def test_admin_token_opens_every_site(client: TestClient) -> None:
    login(client, ADMIN, "demo")
    assert 'class="tiles"' in client.get("/dashboard/other").text
    unknown = client.get("/dashboard/nosuchsite")
    assert unknown.status_code == 404 and "Unknown site" in unknown.text


def test_unknown_site_looks_like_a_foreign_one_to_others(client: TestClient) -> None:
    form = client.get("/dashboard/nosuchsite")
    assert form.status_code == 200 and logged_out(form.text)
    response = client.post(
        "/dashboard/nosuchsite", data={"csrf": csrf_of(form.text), "token": DEMO_TOKEN}
    )
    assert response.status_code == 403 and "cannot open" in response.text


def test_session_ends_when_the_policy_drops_the_token(
    settings: Settings, policies_dir: Path
) -> None:
    with TestClient(create_app(settings), base_url=ORIGIN) as first:
        login(first, DEMO_TOKEN)
        cookie = first.cookies.get(routes.COOKIE)
    assert cookie
    site_files(policies_dir, demo_tokens=("a-new-token-for-demo-0123456789",))
    with TestClient(create_app(settings), base_url=ORIGIN) as second:
        second.cookies.set(routes.COOKIE, cookie, path="/dashboard/")
        assert logged_out(second.get("/dashboard/demo").text)


# -- session integrity and expiry --------------------------------------------------------------


def test_session_expires_after_twelve_hours(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(client, ADMIN)
    later = time.time() + 12 * 3600 + 1
    monkeypatch.setattr(routes, "_now", lambda: later)
    assert logged_out(client.get("/dashboard/demo").text)


def test_an_expired_cookie_is_refused_even_when_sent(client: TestClient) -> None:
    codec = SessionCodec((SECRET,))
    expired = Session("x" * 32, int(time.time()) - 1, key_of_token(ADMIN), ("*",))
    client.cookies.set(routes.COOKIE, codec.dumps(expired), path="/dashboard/")
    assert logged_out(client.get("/dashboard/demo").text)


@pytest.mark.parametrize("how", ["signature", "payload", "other-key", "consent-token"])
def test_tampered_or_foreign_cookies_are_refused(client: TestClient, how: str) -> None:
    genuine = SessionCodec((SECRET,)).dumps(
        Session("x" * 32, int(time.time()) + 600, key_of_token(ADMIN), ("*",))
    )
    if how == "signature":
        value = genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB")
    elif how == "payload":
        body, _, signature = genuine.rpartition(".")
        middle = len(body) // 2
        swapped = "A" if body[middle] != "A" else "B"
        value = body[:middle] + swapped + body[middle + 1 :] + "." + signature
    elif how == "other-key":
        value = SessionCodec(("another-secret-key-0123456789",)).dumps(
            Session("x" * 32, int(time.time()) + 600, key_of_token(ADMIN), ("*",))
        )
    else:
        value = grant(client, ["analytics"])["token"]
    client.cookies.set(routes.COOKIE, value, path="/dashboard/")
    response = client.get("/dashboard/demo")
    assert response.status_code == 200 and logged_out(response.text)


# -- CSRF --------------------------------------------------------------------------------------


def test_login_needs_the_forms_csrf_value(client: TestClient) -> None:
    form = client.get("/dashboard/demo")
    csrf = csrf_of(form.text)
    attempts = [
        ({"token": ADMIN}, {}),
        ({"token": ADMIN, "csrf": "forged"}, {}),
        ({"token": ADMIN, "csrf": csrf}, {"Sec-Fetch-Site": "cross-site"}),
    ]
    for data, headers in attempts:
        response = client.post("/dashboard/demo", data=data, headers=headers)
        assert response.status_code == 403
        assert "This form has expired" in response.text
        assert logged_out(client.get("/dashboard/demo").text)
    client.cookies.clear()  # a form without the cookie it came with
    response = client.post("/dashboard/demo", data={"token": ADMIN, "csrf": csrf})
    assert response.status_code == 403 and "This form has expired" in response.text


def test_share_needs_the_sessions_csrf_value(client: TestClient) -> None:
    login(client, ADMIN)
    for data in ({"days": "7"}, {"days": "7", "csrf": "forged"}):
        response = client.post("/dashboard/demo/share", data=data)
        assert response.status_code == 403 and "/share/" not in response.text


def test_posts_without_a_session_are_refused(client: TestClient) -> None:
    for path in ("/dashboard/demo/logout", "/dashboard/demo/share"):
        assert client.post(path, data={"csrf": "x"}).status_code == 403


# -- the page ----------------------------------------------------------------------------------


def test_dashboard_shows_the_scenarios_numbers(scenario: TestClient) -> None:
    html = login(scenario, ADMIN, query=PERIOD)
    for metric, expected in TOTALS.items():
        assert tile(html, metric) == expected, metric
    (day0_visits, day0_views), (day1_visits, day1_views) = PER_DAY
    assert f"<title>2 Mar 2026, visits: {day0_visits}</title>" in html
    assert f"<title>2 Mar 2026, page views: {day0_views}</title>" in html
    assert f"<title>3 Mar 2026, visits: {day1_visits}</title>" in html
    assert f"<title>3 Mar 2026, page views: {day1_views}</title>" in html
    assert "<title>1 Mar 2026, visits: 0</title>" in html
    assert re.search(r"<th scope=\"row\">3 Mar 2026</th><td>2</td><td>2</td><td>4</td>", html)
    assert re.search(r'class="label"[^>]*>/</a></th><td class="num">3</td>', html)
    assert re.search(r'class="label"[^>]*>/contact</a></th><td class="num">1</td>', html)
    assert 'aria-current="true"' not in html  # no preset: the period is from the query
    assert "1 Mar – 7 Mar 2026" in html


def test_consent_chart_shows_todays_choices(scenario: TestClient) -> None:
    html = login(scenario, ADMIN)  # the default period ends today, when consents were given
    assert "2 consent decisions" in html
    assert "analytics: 50% opted in" in html
    assert re.search(r"<title>[^<]*, opted in to analytics: 50%</title>", html)


def test_every_page_carries_the_strict_csp(scenario: TestClient) -> None:
    pages = [scenario.get("/dashboard/demo")]
    login(scenario, ADMIN)
    pages.append(scenario.get(f"/dashboard/demo{PERIOD}"))
    pages.append(scenario.get("/dashboard/demo?from=bad"))
    pages.append(scenario.get(share_path(scenario)))
    for page in pages:
        assert page.headers["content-security-policy"] == CSP
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert "<script" not in page.text and " style=" not in page.text
        assert "<style" not in page.text
    css = scenario.get("/dashboard/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".b20{--w:100%}" in css.text


# -- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("report", "extra"),
    [("summary", ""), ("pages", "&limit=1000"), ("timeseries", "&interval=day"), ("consents", "")],
)
def test_csv_downloads_are_the_apis_csv(scenario: TestClient, report: str, extra: str) -> None:
    assert scenario.get(f"/dashboard/demo/csv/{report}{PERIOD}").status_code == 403
    html = login(scenario, ADMIN, query=PERIOD)
    assert f'href="/dashboard/demo/csv/{report}?from=2026-03-01&amp;to=2026-03-07' in html
    mine = scenario.get(f"/dashboard/demo/csv/{report}{PERIOD}&interval=day")
    api = scenario.get(
        f"/api/sites/demo/stats/{report}{PERIOD}&format=csv{extra}",
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert mine.status_code == api.status_code == 200
    assert mine.content == api.content
    assert mine.headers["content-type"] == api.headers["content-type"]
    assert mine.headers["content-disposition"] == api.headers["content-disposition"]


def test_site_token_session_downloads_its_own_csv(scenario: TestClient) -> None:
    login(scenario, DEMO_TOKEN)
    response = scenario.get(f"/dashboard/demo/csv/pages{PERIOD}")
    assert response.status_code == 200 and response.text.startswith("value,visitors")
    assert scenario.get("/dashboard/other/csv/pages").status_code == 403


# -- shared link -------------------------------------------------------------------------------


def share_path(client: TestClient, days: str = "30") -> str:
    page = client.get("/dashboard/demo")
    response = client.post("/dashboard/demo/share", data={"csrf": csrf_of(page.text), "days": days})
    assert response.status_code == 200
    found = re.search(
        r'readonly value="http://127\.0\.0\.1:8000(/share/demo/[^"]+)"', response.text
    )
    assert found
    return found.group(1)


def test_shared_link_needs_no_login_and_hides_small_rows(scenario: TestClient) -> None:
    login(scenario, DEMO_TOKEN)
    path = share_path(scenario)
    scenario.cookies.clear()
    public = scenario.get(path + PERIOD)
    assert public.status_code == 200
    html = public.text
    assert tile(html, "visits") == "4"  # totals are not cut
    assert re.search(r'<span class="label">/</span></th><td class="num">3</td>', html)
    assert re.search(r'<span class="label">/pricing</span></th><td class="num">2</td>', html)
    assert "/contact" not in html and "svg onload" not in html  # 1 visitor each: hidden
    assert "Rows with fewer than 2 visitors are not shown." in html
    assert "/csv/" not in html and "CSV" not in html  # no raw data
    assert "logout" not in html and '/share"' not in html and 'name="csrf"' not in html
    assert "Public dashboard" in html
    assert "/visitors" not in html  # the GDPR tools are for the owner only
    assert not cookies_set(public)


def test_shared_link_expires_and_is_bound_to_its_site(
    scenario: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(scenario, ADMIN)
    weekly, forever = share_path(scenario, "7"), share_path(scenario, "never")
    scenario.cookies.clear()
    assert scenario.get(weekly).status_code == 200
    token = weekly.rsplit("/", 1)[1]
    assert scenario.get(f"/share/other/{token}").status_code == 404
    assert scenario.get(weekly[:-3] + "xyz").status_code == 404
    later = time.time() + 8 * 86400
    monkeypatch.setattr(routes, "_now", lambda: later)
    expired = scenario.get(weekly)
    assert expired.status_code == 404 and "not valid or has expired" in expired.text
    assert scenario.get(forever).status_code == 200


# -- bad input ---------------------------------------------------------------------------------

BAD_GETS = [
    "/dashboard/demo?from=yesterday",
    "/dashboard/demo?from=2026-02-30",
    "/dashboard/demo?from=2026-03-07&to=2026-03-01",
    "/dashboard/demo?from=1900-01-01&to=2026-01-01",
    "/dashboard/demo?to=%00%ff",
    "/dashboard/demo?from=" + "9" * 5000,
    "/dashboard/demo?from=&to=",
    "/dashboard/demo?from=2026-03-01&from=2026-03-02",
    "/dashboard/demo/csv/nosuchreport",
    "/dashboard/demo/csv/pages?from=bad",
    "/dashboard/demo/csv/timeseries?interval=hour&from=2020-01-01&to=2026-01-01",
    "/dashboard/demo/csv/timeseries?interval=fortnight",
    "/dashboard/%3Cscript%3E",
    "/share/demo/not-a-token",
    "/share/demo/" + "A" * 6000,
    "/share/nosuchsite/abc.def",
]


@pytest.mark.parametrize("logged_in", [False, True])
def test_bad_parameters_never_cause_a_5xx(client: TestClient, logged_in: bool) -> None:
    if logged_in:
        login(client, ADMIN)
    for path in BAD_GETS:
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
    bodies: list[dict[str, object]] = [
        {"content": b'{"token": "x"}', "headers": {"Content-Type": "application/json"}},
        {"files": {"token": ("t.txt", b"x")}},
        {"content": b"token=" + b"x" * 40_000, "headers": _form_type()},
        {"content": b"\xff\xfe=\xff", "headers": _form_type()},
        {"content": b"&".join(b"f%d=1" % i for i in range(500)), "headers": _form_type()},
        {"data": {"csrf": "x", "token": "t" * 5000}},
        {"data": {"csrf": "x", "days": "forever"}},
    ]
    for path in (
        "/dashboard/demo",
        "/dashboard/demo/logout",
        "/dashboard/demo/share",
        "/dashboard/nosuchsite",
    ):
        for body in bodies:
            response = client.post(path, **body)  # type: ignore[arg-type]
            assert 400 <= response.status_code < 500, (path, body, response.status_code)


def test_long_range_uses_weeks_and_one_day_uses_hours(scenario: TestClient) -> None:
    login(scenario, ADMIN)
    year = scenario.get("/dashboard/demo?from=2025-06-01&to=2026-05-31")
    assert year.status_code == 200 and "Week of 2 Mar 2026" in year.text
    day = scenario.get("/dashboard/demo?from=2026-03-02&to=2026-03-02")
    assert day.status_code == 200 and "<title>2 Mar 2026 10:00, visits: 1</title>" in day.text


def _form_type() -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def test_visits_chart_shows_the_previous_period(scenario: TestClient) -> None:
    login(scenario, ADMIN)
    html = scenario.get("/dashboard/demo?from=2026-03-03&to=2026-03-04").text
    # 3..4 Mar against 1..2 Mar, point by point: 2 Mar had the scenario's first 2 visits
    assert "<title>3 Mar 2026, visits: 2</title>" in html
    assert "<title>1 Mar 2026, visits, previous period: 0</title>" in html
    assert "<title>2 Mar 2026, visits, previous period: 2</title>" in html
    assert 'class="series series-previous"' in html
    assert '<span class="sw s-previous"></span>Visits, previous period' in html
