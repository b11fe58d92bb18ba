"""What the banner is told about a site: a small first-layer config, and the settings details.

Pure builders over a ``Policy``. The first-layer config carries only what the first layer and
its immediate actions need (category ids and their cookies, service ids for embeds, the first
group of texts in ONE language), because every byte is fetched before the banner can show.
Titles, descriptions and services follow in ``details`` when the visitor opens Settings.
"""

from __future__ import annotations

from gateway.consent import texts
from gateway.policy import Policy


def pick_language(policy: Policy, requested: str | None) -> str:
    """The first of the requested languages (``fi`` or a list ``de,sv``) the site offers."""
    for candidate in (requested or "").split(",")[:8]:
        lang = candidate.strip().lower()[:2]
        if lang in policy.languages:
            return lang
    return policy.default_language


def category_cookies(policy: Policy) -> dict[str, list[str]]:
    return {
        c.id: sorted({cookie for s in c.services for cookie in s.cookies})
        for c in policy.categories
    }


def first_layer(
    policy: Policy, lang: str, *, gpc: bool, privacy_url: str, details_url: str
) -> dict[str, object]:
    cookies = category_cookies(policy)
    mode = policy.consent_mode
    return {
        "version": policy.version,
        "lang": lang,
        "languages": list(policy.languages),
        "consent_days": policy.consent_days,
        "privacy_url": privacy_url,
        "categories": [
            {"id": c.id, "required": c.required, "cookies": cookies[c.id]}
            for c in policy.categories
        ],
        "services": [{"id": s.id, "category": c.id, "name": s.name} for c, s in policy.services],
        "texts": texts.texts_for("first", lang, policy.texts),
        "changes": (policy.changes or {}).get(lang),
        "gpc": gpc,
        "consent_mode": None
        if mode is None
        else {
            "wait_for_update": mode.wait_for_update,
            "map": {k: list(v) for k, v in mode.map.items()},
        },
        "details_url": details_url,
    }


def details(policy: Policy, lang: str, my_data_url: str | None = None) -> dict[str, object]:
    """The settings layer's texts and categories; ``my_data_url``: the visitor's own-data page
    (the settings layer links to it, the opt-out element needs the texts)."""
    return {
        "lang": lang,
        "my_data_url": my_data_url,
        "texts": texts.texts_for("settings", lang, policy.texts),
        "categories": [
            {
                "id": c.id,
                "required": c.required,
                "title": c.title.get(lang, ""),
                "description": c.description.get(lang, ""),
                "services": [
                    {
                        "id": s.id,
                        "name": s.name,
                        "provider": s.provider,
                        "purpose": s.purpose.get(lang, ""),
                        "cookies": list(s.cookies),
                        "privacy_url": s.privacy_url,
                    }
                    for s in c.services
                ],
            }
            for c in policy.categories
        ],
    }


def expirable_cookies(policy: Policy, denied: frozenset[str]) -> list[str]:
    """Declared cookies of denied categories that the gateway can expire by exact name.

    Wildcard patterns (``_pk_id.*``) are deleted by the banner in the page; HttpOnly cookies
    with an exact name are expired by the gateway's own answer, which scripts cannot do.
    """
    names = {
        cookie
        for category in policy.categories
        if category.id in denied
        for service in category.services
        for cookie in service.cookies
        if "*" not in cookie and cookie != "gw_consent"
    }
    return sorted(names)
