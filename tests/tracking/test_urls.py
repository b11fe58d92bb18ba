"""URL and referrer sanitising: what may be stored of a page address."""

from __future__ import annotations

import pytest

from gateway.tracking.urls import (
    CAMPAIGN_KEYWORD_PARAMS,
    CAMPAIGN_NAME_PARAMS,
    DEFAULT_EXCLUDED_PARAMS,
    extract_campaign,
    referrer_host,
    sanitize_referrer,
    sanitize_url,
    strip_query,
)

# Matomo's config/global.ini.php, [Tracker] url_query_parameter_to_exclude_from_url.
MATOMO_URL_QUERY_PARAMETER_TO_EXCLUDE_FROM_URL = (
    "gclid,fbclid,msclkid,twclid,wbraid,gbraid,yclid,fb_xd_fragment,fb_comment_id,"
    "phpsessid,jsessionid,sessionid,aspsessionid,doing_wp_cron,sid,pk_vid"
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://example.fi/a?b=1", "https://example.fi/a?b=1", id="unchanged"),
        pytest.param(
            "HTTPS://WWW.Example.FI/Path?Q=Keep",
            "https://www.example.fi/Path?Q=Keep",
            id="scheme and host lowercased, path and query not",
        ),
        pytest.param("https://user:pw@example.fi/a", "https://example.fi/a", id="userinfo dropped"),
        pytest.param("https://user@example.fi:8443/a", "https://example.fi:8443/a", id="port kept"),
        pytest.param("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x", id="IPv6 host"),
        pytest.param("https://example.fi", "https://example.fi/", id="empty path is /"),
        pytest.param("  https://example.fi/a  ", "https://example.fi/a", id="whitespace trimmed"),
        pytest.param(
            "https://example.fi/?gclid=abc&q=shoes&fbclid=x&page=2",
            "https://example.fi/?q=shoes&page=2",
            id="click ids removed, order kept",
        ),
        pytest.param(
            "https://example.fi/?GCLID=abc&PHPSESSID=1&JSessionId=2&q=1",
            "https://example.fi/?q=1",
            id="case-insensitive",
        ),
        pytest.param(
            "https://example.fi/?%67clid=abc&q=1", "https://example.fi/?q=1", id="encoded name"
        ),
        pytest.param(
            "https://example.fi/?utm_source=nl&utm_medium=email&utm_campaign=spring&mtm_kwd=k"
            "&pk_campaign=c&matomo_cpn=m&id=7",
            "https://example.fi/?id=7",
            id="campaign parameters removed",
        ),
        pytest.param(
            "https://example.fi/?gw_consent=SECRET.sig&ignore_referrer=1&ignore_referer=1",
            "https://example.fi/",
            id="own token and ignore_referrer removed, empty query dropped",
        ),
        pytest.param(
            "https://example.fi/?q=a%20b&x=%E2%82%AC&&flag",
            "https://example.fi/?q=a%20b&x=%E2%82%AC&flag",
            id="kept pieces keep their spelling, empty pieces dropped",
        ),
        pytest.param(
            "https://example.fi/?sid=1&sidebar=open",
            "https://example.fi/?sidebar=open",
            id="names match whole, not by prefix",
        ),
        pytest.param(
            "https://example.fi/page#section-2",
            "https://example.fi/page#section-2",
            id="plain fragment kept",
        ),
        pytest.param(
            "https://example.fi/#gclid=abc&tab=2",
            "https://example.fi/#tab=2",
            id="query-like fragment filtered",
        ),
        pytest.param(
            "https://example.fi/?a=1#utm_source=x",
            "https://example.fi/?a=1",
            id="fragment emptied by filtering is dropped",
        ),
        pytest.param(
            "https://example.fi/app#/route?fbclid=1&view=list",
            "https://example.fi/app#/route?view=list",
            id="hash route with a query",
        ),
        pytest.param(
            "https://example.fi/app#/route?fbclid=1",
            "https://example.fi/app#/route",
            id="hash route query emptied",
        ),
        pytest.param(None, None, id="None"),
        pytest.param("", None, id="empty"),
        pytest.param("/relative/path?a=1", None, id="relative"),
        pytest.param("//example.fi/a", None, id="scheme-relative"),
        pytest.param("ftp://example.fi/file", None, id="ftp"),
        pytest.param("javascript:alert(1)", None, id="javascript"),
        pytest.param("data:text/html,hi", None, id="data"),
        pytest.param("android-app://com.example.app", None, id="app referrer"),
        pytest.param("http:///path", None, id="no host"),
        pytest.param("https://user@/path", None, id="userinfo but no host"),
        pytest.param("http://[2001:db8::1/x", None, id="broken IPv6 brackets"),
        pytest.param("http://example.fi:port/x", None, id="port not a number"),
        pytest.param("http://example.fi:99999/x", None, id="port out of range"),
    ],
)
def test_sanitize_url(url: str | None, expected: str | None) -> None:
    assert sanitize_url(url) == expected
    assert sanitize_referrer(url) == expected


@pytest.mark.parametrize(
    ("url", "extra", "expected"),
    [
        (
            "https://example.fi/?token=1&Ref=2&page=3",
            ["token", "REF"],
            "https://example.fi/?page=3",
        ),
        ("https://example.fi/#token=1&x=2", ["token"], "https://example.fi/#x=2"),
        ("https://example.fi/?a=1", [" ", ""], "https://example.fi/?a=1"),
        ("https://example.fi/?a=1&b=2", ("a",), "https://example.fi/?b=2"),
    ],
)
def test_sanitize_url_with_site_exclusions(url: str, extra: list[str], expected: str) -> None:
    assert sanitize_url(url, extra) == expected


def test_sanitize_url_caps_length() -> None:
    url = "https://example.fi/" + "p" * 5000
    result = sanitize_url(url)
    assert result is not None
    assert len(result) == 2048
    assert result.startswith("https://example.fi/ppp")


def test_default_exclusions_are_matomos_list_plus_ours() -> None:
    matomo = MATOMO_URL_QUERY_PARAMETER_TO_EXCLUDE_FROM_URL.split(",")
    ours = {"ignore_referrer", "ignore_referer", "gw_consent"}
    assert set(DEFAULT_EXCLUDED_PARAMS) == {*matomo, *ours}


@pytest.mark.parametrize(
    "name",
    [
        *DEFAULT_EXCLUDED_PARAMS,
        *CAMPAIGN_NAME_PARAMS,
        *CAMPAIGN_KEYWORD_PARAMS,
        "utm_content",
        "mtm_group",
    ],
)
def test_every_excluded_name_is_removed(name: str) -> None:
    assert sanitize_url(f"https://example.fi/?{name}=v&keep=1") == "https://example.fi/?keep=1"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.Example.fi:8443/a?b=1", "www.example.fi"),
        ("http://user:pw@Sub.Example.FI/", "sub.example.fi"),
        ("https://[2001:db8::1]/", "2001:db8::1"),
        ("https://t.co/abc", "t.co"),
        ("ftp://example.fi/", None),
        ("android-app://com.google.android.gm", None),
        ("not a url", None),
        ("http://[::1/", None),
        ("", None),
        (None, None),
    ],
)
def test_referrer_host(url: str | None, expected: str | None) -> None:
    assert referrer_host(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://User:pw@Example.fi/a/b?c=1#d", "https://example.fi/a/b"),
        ("https://example.fi", "https://example.fi/"),
        ("http://example.fi:8080/x?y", "http://example.fi:8080/x"),
        ("mailto:someone@example.fi", None),
        (None, None),
    ],
)
def test_strip_query(url: str | None, expected: str | None) -> None:
    assert strip_query(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://example.fi/", (None, None), id="none"),
        pytest.param(None, (None, None), id="no url"),
        pytest.param(
            "https://example.fi/?utm_campaign=Spring&utm_term=Shoes",
            ("spring", "shoes"),
            id="utm, lowercased as Matomo stores them",
        ),
        pytest.param("https://example.fi/?UTM_CAMPAIGN=x", ("x", None), id="name case-insensitive"),
        pytest.param(
            "https://example.fi/?pk_campaign=a&utm_campaign=b",
            ("a", None),
            id="pk_campaign before utm_campaign",
        ),
        pytest.param("https://example.fi/?mtm_cpn=a&pk_cpn=b", ("b", None), id="order of the list"),
        pytest.param(
            "https://example.fi/?pk_campaign=&mtm_campaign=m", ("m", None), id="blank name skipped"
        ),
        pytest.param("https://example.fi/?pk_kwd=k", (None, None), id="keyword without name"),
        pytest.param(
            "https://example.fi/?mtm_campaign=Kev%C3%A4t+2026&mtm_kwd=a%20b",
            ("kevät 2026", "a b"),
            id="decoded",
        ),
        pytest.param(
            "https://example.fi/?pk_campaign=a&pk_campaign=b", ("b", None), id="last value wins"
        ),
        pytest.param("https://example.fi/#pk_campaign=Hash&pk_kwd=K", ("hash", "k"), id="fragment"),
        pytest.param(
            "https://example.fi/app#/p?utm_campaign=route", ("route", None), id="hash route"
        ),
        pytest.param(
            "https://example.fi/?utm_campaign=q#utm_campaign=f&utm_term=t",
            ("q", None),
            id="query before fragment, keyword from the same place",
        ),
        pytest.param(
            "https://example.fi/?utm_campaign=" + "c" * 300, ("c" * 255, None), id="capped"
        ),
        pytest.param("http://[broken/?utm_campaign=x", (None, None), id="unparsable"),
    ],
)
def test_extract_campaign(url: str | None, expected: tuple[str | None, str | None]) -> None:
    assert extract_campaign(url) == expected
