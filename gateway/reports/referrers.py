"""Where a visit came from: direct, search engine, social network, another website or a campaign.

Matomo's channel types, decided from what a stored hit keeps: the campaign name (read from the
landing URL's ``mtm_*``/``pk_*``/``utm_*`` parameters or ``_rcn``), the referrer's host and the
page's own host. The order is Matomo's: a campaign wins over any referrer; a referrer from the
page's own host (``www.`` ignored) is an internal navigation and counts as direct entry.

The host lists hold the engines and networks that send real traffic to Finnish and European
sites; a host matches an entry when it is that domain or a subdomain of it. Search engines that
run on many country domains (``google.fi``, ``google.co.uk``) match by pattern.
"""

from __future__ import annotations

import functools
import re
from typing import Final, NamedTuple
from urllib.parse import urlsplit

SEARCH_ENGINES: Final[dict[str, str]] = {
    "bing.com": "Bing",
    "duckduckgo.com": "DuckDuckGo",
    "ecosia.org": "Ecosia",
    "qwant.com": "Qwant",
    "startpage.com": "Startpage",
    "search.brave.com": "Brave Search",
    "search.yahoo.com": "Yahoo!",
    "yahoo.com": "Yahoo!",
    "baidu.com": "Baidu",
    "yandex.ru": "Yandex",
    "yandex.com": "Yandex",
    "ya.ru": "Yandex",
    "ask.com": "Ask",
    "search.aol.com": "AOL",
    "seznam.cz": "Seznam",
    "naver.com": "Naver",
    "sogou.com": "Sogou",
    "so.com": "360 Search",
    "mojeek.com": "Mojeek",
    "kagi.com": "Kagi",
    "metager.de": "MetaGer",
    "you.com": "You.com",
    "perplexity.ai": "Perplexity",
    "chatgpt.com": "ChatGPT",
    "search.lilo.org": "Lilo",
}
# Country domains: google.fi, google.co.uk, google.com.au, yandex.kz, yahoo.co.jp ...
_SEARCH_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"(?:^|\.)google\.(?:com?\.)?[a-z]{2,3}$"), "Google"),
    (re.compile(r"(?:^|\.)yandex\.(?:com?\.)?[a-z]{2,3}$"), "Yandex"),
    (re.compile(r"(?:^|\.)search\.yahoo\.(?:com?\.)?[a-z]{2,3}$"), "Yahoo!"),
)

SOCIAL_NETWORKS: Final[dict[str, str]] = {
    "facebook.com": "Facebook",
    "fb.com": "Facebook",
    "fb.me": "Facebook",
    "messenger.com": "Facebook",
    "instagram.com": "Instagram",
    "threads.net": "Threads",
    "twitter.com": "Twitter",
    "x.com": "Twitter",
    "t.co": "Twitter",
    "linkedin.com": "LinkedIn",
    "lnkd.in": "LinkedIn",
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "tiktok.com": "TikTok",
    "pinterest.com": "Pinterest",
    "pin.it": "Pinterest",
    "reddit.com": "Reddit",
    "redd.it": "Reddit",
    "bsky.app": "Bluesky",
    "mastodon.social": "Mastodon",
    "mstdn.social": "Mastodon",
    "some.fi": "Mastodon",
    "snapchat.com": "Snapchat",
    "tumblr.com": "Tumblr",
    "vk.com": "VKontakte",
    "ok.ru": "Odnoklassniki",
    "t.me": "Telegram",
    "telegram.org": "Telegram",
    "whatsapp.com": "WhatsApp",
    "wa.me": "WhatsApp",
    "discord.com": "Discord",
    "quora.com": "Quora",
    "medium.com": "Medium",
    "flickr.com": "Flickr",
    "vimeo.com": "Vimeo",
    "twitch.tv": "Twitch",
    "xing.com": "XING",
    "weibo.com": "Sina Weibo",
    "suomi24.fi": "Suomi24",
}
# Pinterest runs on country domains too (pinterest.fi, pinterest.co.uk).
_SOCIAL_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"(?:^|\.)pinterest\.(?:com?\.)?[a-z]{2,3}$"), "Pinterest"),
)


class Referrer(NamedTuple):
    """``type`` is one of ``definitions.REFERRER_TYPES``; ``name`` is "" for direct entry."""

    type: str
    name: str


DIRECT: Final = Referrer("direct", "")


def bare_host(host: str | None) -> str:
    """A host as reports name it: lowercased, a trailing dot and a leading ``www.`` removed."""
    if not host:
        return ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _lookup(host: str, table: dict[str, str]) -> str | None:
    parts = host.split(".")
    for start in range(len(parts) - 1):
        name = table.get(".".join(parts[start:]))
        if name is not None:
            return name
    return None


def _match(host: str, patterns: tuple[tuple[re.Pattern[str], str], ...]) -> str | None:
    for pattern, name in patterns:
        if pattern.search(host):
            return name
    return None


def search_engine(host: str) -> str | None:
    """The search engine a bare host belongs to, or None."""
    return _lookup(host, SEARCH_ENGINES) or _match(host, _SEARCH_PATTERNS)


def social_network(host: str) -> str | None:
    """The social network a bare host belongs to, or None."""
    return _lookup(host, SOCIAL_NETWORKS) or _match(host, _SOCIAL_PATTERNS)


@functools.lru_cache(maxsize=4096)
def page_host(url: str | None) -> str:
    """The bare host of a page URL, "" when there is none."""
    if not url:
        return ""
    try:
        return bare_host(urlsplit(url).hostname)
    except ValueError:
        return ""


def classify(campaign: str | None, referrer_host: str | None, page_url: str | None) -> Referrer:
    """The channel of a visit from its first hit. Pure; never raises."""
    if campaign:
        return Referrer("campaign", campaign)
    return _by_host(bare_host(referrer_host), page_host(page_url))


@functools.lru_cache(maxsize=4096)
def _by_host(host: str, own_host: str) -> Referrer:
    if not host or host == own_host:
        return DIRECT
    engine = search_engine(host)
    if engine is not None:
        return Referrer("search", engine)
    network = social_network(host)
    if network is not None:
        return Referrer("social", network)
    return Referrer("website", host)
