"""Every policy version the gateway has served, kept and viewable.

A consent record stores the SHA-256 of the policy file it was given under. At startup the
gateway keeps each loaded policy's text under that hash (first one wins, nothing is ever
deleted), so a record's hash always leads to the exact notice and banner texts the visitor saw:

* ``GET /privacy/{site}/versions``: every version, newest first (HTML; ``?format=json``).
* ``GET /privacy/{site}/versions/{hash}``: that version's notice and banner texts, rendered
  from the stored text with the policy loader (``?lang=``). A version the current loader no
  longer accepts is shown as its original text. Unknown hashes answer 404 JSON.

Banner texts a policy does not override come from the gateway's built-in texts of the running
release; a site that must pin every word overrides them all in ``[texts.<lang>]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from gateway.errors import json_error
from gateway.policy import Policy
from gateway.policy_loader import PolicyError, load_policy_source
from gateway.privacy.routes import Links, chosen_language, env, render_notice
from gateway.privacy.wording import wording
from gateway.runtime import runtime
from gateway.storage.base import PolicyVersion, Store
from gateway.timefmt import iso

_HASH: Final = re.compile(r"[0-9a-f]{64}")


def served_versions(policies: Iterable[Policy], now: datetime) -> list[PolicyVersion]:
    """What to keep of the loaded policies; a policy without its source text is skipped."""
    return [
        PolicyVersion(
            site=p.slug,
            hash=p.hash,
            version=p.version,
            first_served=iso(now),
            snapshot=p.source_text,
        )
        for p in policies
        if p.source_text
    ]


async def record_served_versions(store: Store, policies: Iterable[Policy]) -> int:
    """Keep every loaded policy version not kept yet; return how many were new."""
    return await store.record_policy_versions(served_versions(policies, datetime.now(UTC)))


def parse_snapshot(version: PolicyVersion) -> Policy | None:
    """The stored text as a policy, or None when the current loader rejects it."""
    try:
        return load_policy_source(version.snapshot.encode("utf-8"), Path(f"{version.site}.toml"))
    except PolicyError:
        return None


def public(version: PolicyVersion, links: Links) -> dict[str, object]:
    return {
        "version": version.version,
        "hash": version.hash,
        "first_served": version.first_served,
        "url": links.version(version.hash),
    }


async def _site_versions(request: Request) -> tuple[str, Policy | None, list[PolicyVersion]]:
    rt = runtime(request)
    site = request.path_params["site"]
    policy = rt.policies.by_slug(site)
    versions = await rt.store.policy_versions(site) if policy or _is_slug(site) else []
    return site, policy, versions


def _is_slug(site: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", site))


async def list_versions(request: Request) -> Response:
    site, policy, versions = await _site_versions(request)
    # A site no longer configured still shows what it served: consent records outlive it.
    if policy is None and not versions:
        return json_error(404, "unknown site")
    languages = policy.languages if policy else ("fi", "sv", "en")
    lang = chosen_language(request, languages)
    if isinstance(lang, Response):
        return lang
    fmt = request.query_params.get("format", "html")
    if fmt not in ("html", "json"):
        return json_error(400, "'format' must be html or json")
    links = Links(request, site, lang)
    if fmt == "json":
        return JSONResponse({"site": site, "versions": [public(v, links) for v in versions]})
    html = env.get_template("versions.html").render(
        site=site,
        name=policy.name if policy else site,
        languages=languages,
        lang=lang,
        w=wording(lang),
        links=links,
        versions=versions,
        current=policy.hash if policy else None,
    )
    return HTMLResponse(html)


async def show_version(request: Request) -> Response:
    rt = runtime(request)
    site = request.path_params["site"]
    digest = request.path_params["hash"]
    if not _HASH.fullmatch(digest):
        return json_error(404, "unknown policy version: a version is named by its SHA-256 (hex)")
    version = await rt.store.policy_version(site, digest) if _is_slug(site) else None
    if version is None:
        return json_error(404, "unknown policy version")
    policy = parse_snapshot(version)
    languages = policy.languages if policy else ("fi", "sv", "en")
    lang = chosen_language(request, languages)
    if isinstance(lang, Response):
        return lang
    # Immutable: the same hash always names the same text.
    headers = {"Cache-Control": "public, max-age=86400"}
    if policy is None:
        html = env.get_template("version_source.html").render(
            site=site, lang=lang, w=wording(lang), version=version, links=Links(request, site, lang)
        )
        return HTMLResponse(html, headers=headers)
    versions = await rt.store.policy_versions(site)
    html = render_notice(request, policy, lang, versions=versions, archived=version)
    return HTMLResponse(html, headers=headers)


routes = [
    Route("/privacy/{site}/versions", list_versions, methods=["GET", "HEAD"]),
    Route("/privacy/{site}/versions/{hash}", show_version, methods=["GET", "HEAD"]),
]
