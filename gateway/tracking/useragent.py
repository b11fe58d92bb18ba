"""Coarse user-agent classification: browser, OS, device class, and whether it is a bot.

Only these coarse values are ever stored, never the user agent itself. Parsing uses the
``user_agents`` package (over ua-parser's regexes), which costs about 2 ms for an unseen string;
real traffic repeats a small set of user agents, so a bounded LRU cache makes the common case
cheap without letting a flood of random strings grow memory.

Bots are what ua-parser calls spiders, plus headless browsers and common HTTP clients and
crawlers that it does not flag. A missing user agent counts as a bot: no browser omits it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

import user_agents

Device = Literal["desktop", "smartphone", "tablet", "bot", "other"]
DeviceClass = Literal["desktop", "mobile", "other"]

# Longer strings are cut before parsing and caching, which bounds the cache's memory too.
UA_MAX = 1024

# ``bot`` as a word ending (Googlebot/2.1, AdsBot-Google) but not the Cubot phone brand.
_BOT_MARKERS = re.compile(
    r"(?<!cu)bot\b|crawl|spider|slurp|curl/|wget/|python-requests|python-httpx|python-urllib"
    r"|go-http-client|libwww-perl|scrapy|facebookexternalhit|headlesschrome|lighthouse|phantomjs",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class UserAgentInfo:
    """What the gateway keeps of a user agent. ``browser_version`` is at most ``major.minor``."""

    browser: str
    browser_version: str
    os: str
    device: Device
    is_bot: bool


UNKNOWN = UserAgentInfo(
    browser="Other", browser_version="", os="Other", device="other", is_bot=True
)


def _classify(ua: str) -> UserAgentInfo:
    parsed = user_agents.parse(ua)
    browser: str = parsed.browser.family or "Other"
    version = ".".join(str(part) for part in parsed.browser.version[:2])
    os: str = parsed.os.family or "Other"
    is_bot = bool(parsed.is_bot) or "headless" in browser.lower() or bool(_BOT_MARKERS.search(ua))
    device: Device
    if is_bot:
        device = "bot"
    elif parsed.is_tablet:
        device = "tablet"
    elif parsed.is_mobile:
        device = "smartphone"
    elif parsed.is_pc:
        device = "desktop"
    else:
        device = "other"
    return UserAgentInfo(browser, version, os, device, is_bot)


class UserAgentClassifier:
    """Classifies user agents through an LRU cache of at most ``cache_size`` entries.

    Safe to share between requests and threads (``functools.lru_cache`` is thread-safe).
    """

    def __init__(self, cache_size: int = 4096) -> None:
        if cache_size < 0:
            raise ValueError("cache_size must not be negative")
        self._cached: functools._lru_cache_wrapper[UserAgentInfo] = functools.lru_cache(
            maxsize=cache_size
        )(_classify)

    def classify(self, ua: str | None) -> UserAgentInfo:
        """Classify ``ua``; a missing or blank user agent is an unknown bot (device "other")."""
        if ua is None:
            return UNKNOWN
        ua = ua.strip()[:UA_MAX]
        if not ua:
            return UNKNOWN
        return self._cached(ua)

    def cache_info(self) -> functools._CacheInfo:
        """Hits, misses and size of the cache, for metrics and tests."""
        return self._cached.cache_info()


def device_class(info: UserAgentInfo) -> DeviceClass:
    """The coarsest device class, for anonymous mode: desktop, mobile (phone or tablet), other."""
    if info.device == "desktop":
        return "desktop"
    if info.device in ("smartphone", "tablet"):
        return "mobile"
    return "other"
