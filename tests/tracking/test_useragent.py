"""User-agent classification on real user-agent strings."""

from __future__ import annotations

import pytest

from gateway.tracking.useragent import (
    UNKNOWN,
    UserAgentClassifier,
    UserAgentInfo,
    device_class,
)

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.127 Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
IPAD_SAFARI = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.230 Safari/537.36"
)
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; CUBOT KING KONG CS) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/96.0.4664.45 Mobile Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.6099.28 Safari/537.36"
)
LIGHTHOUSE = (
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse"
)
FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        pytest.param(
            CHROME_WINDOWS,
            UserAgentInfo("Chrome", "126.0", "Windows", "desktop", False),
            id="Chrome",
        ),
        pytest.param(
            FIREFOX_WINDOWS,
            UserAgentInfo("Firefox", "127.0", "Windows", "desktop", False),
            id="Firefox",
        ),
        pytest.param(
            SAFARI_MAC, UserAgentInfo("Safari", "17.4", "Mac OS X", "desktop", False), id="Safari"
        ),
        pytest.param(
            IPHONE_SAFARI,
            UserAgentInfo("Mobile Safari", "17.4", "iOS", "smartphone", False),
            id="iPhone Safari",
        ),
        pytest.param(
            IPAD_SAFARI, UserAgentInfo("Mobile Safari", "16.6", "iOS", "tablet", False), id="iPad"
        ),
        pytest.param(
            ANDROID_TABLET,
            UserAgentInfo("Chrome", "120.0", "Android", "tablet", False),
            id="Android tablet",
        ),
        pytest.param(
            CUBOT_PHONE,
            UserAgentInfo("Chrome Mobile", "96.0", "Android", "smartphone", False),
            id="Cubot phone is not a bot",
        ),
        pytest.param(
            GOOGLEBOT, UserAgentInfo("Googlebot", "2.1", "Other", "bot", True), id="Googlebot"
        ),
        pytest.param(
            HEADLESS_CHROME,
            UserAgentInfo("HeadlessChrome", "120.0", "Linux", "bot", True),
            id="HeadlessChrome",
        ),
        pytest.param("curl/8.5.0", UserAgentInfo("curl", "8.5", "Other", "bot", True), id="curl"),
        pytest.param("", UNKNOWN, id="empty"),
        pytest.param("   ", UNKNOWN, id="blank"),
        pytest.param(None, UNKNOWN, id="missing"),
    ],
)
def test_classify(ua: str | None, expected: UserAgentInfo) -> None:
    assert UserAgentClassifier().classify(ua) == expected


@pytest.mark.parametrize(
    "ua",
    [
        GOOGLEBOT_SMARTPHONE,
        LIGHTHOUSE,
        FACEBOOK,
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
        "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
        "CCBot/2.0 (https://commoncrawl.org/faq/)",
        "Wget/1.21.4",
        "python-requests/2.31.0",
        "python-httpx/0.27.0",
        "Python-urllib/3.11",
        "Go-http-client/1.1",
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1",
    ],
)
def test_bots(ua: str) -> None:
    info = UserAgentClassifier().classify(ua)
    assert info.is_bot
    assert info.device == "bot"


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        (CHROME_WINDOWS, "desktop"),
        (IPHONE_SAFARI, "mobile"),
        (ANDROID_TABLET, "mobile"),
        (GOOGLEBOT, "other"),
        ("", "other"),
        ("Mozilla/5.0 (PlayStation 5 3.11) AppleWebKit/605.1.15 (KHTML, like Gecko)", "other"),
    ],
)
def test_device_class(ua: str, expected: str) -> None:
    assert device_class(UserAgentClassifier().classify(ua)) == expected


def test_browser_version_is_at_most_major_minor() -> None:
    info = UserAgentClassifier().classify(CHROME_WINDOWS)
    assert info.browser_version.count(".") <= 1


def test_repeated_user_agents_come_from_the_cache() -> None:
    classifier = UserAgentClassifier(cache_size=8)
    first = classifier.classify(CHROME_WINDOWS)
    assert classifier.classify(CHROME_WINDOWS) is first
    assert classifier.cache_info().hits == 1


def test_the_cache_is_bounded() -> None:
    classifier = UserAgentClassifier(cache_size=4)
    for n in range(20):
        classifier.classify(
            f"Mozilla/5.0 (X11; Linux x86_64; rv:{n}.0) Gecko/20100101 Firefox/{n}.0"
        )
    assert classifier.cache_info().currsize == 4


def test_very_long_user_agents_are_cut_before_caching() -> None:
    classifier = UserAgentClassifier()
    info = classifier.classify(CHROME_WINDOWS + " " + "x" * 10_000)
    assert info.browser == "Chrome"
    assert classifier.classify(CHROME_WINDOWS + " " + "x" * 20_000) is info


def test_cache_size_zero_disables_caching() -> None:
    classifier = UserAgentClassifier(cache_size=0)
    assert classifier.classify(CHROME_WINDOWS) == classifier.classify(CHROME_WINDOWS)
    assert classifier.cache_info().currsize == 0


def test_negative_cache_size_is_refused() -> None:
    with pytest.raises(ValueError, match="cache_size"):
        UserAgentClassifier(cache_size=-1)
