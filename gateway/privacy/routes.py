"""The site's privacy notice, rendered from its policy in the visitor's language.

``?lang=`` picks the language (default: the site's first). The notice follows one outline for
every site (see ``gateway.privacy.notice``): the policy's structured facts and free-text
sections, the cookie declaration built from the same categories and services the banner blocks,
how each right is exercised on this gateway, and the change history with a link to every
version served. ``render_notice`` also renders archived versions (``gateway.privacy.versions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from gateway.consent.texts import texts_for
from gateway.errors import json_error
from gateway.policy import Policy
from gateway.privacy import notice
from gateway.privacy.wording import RIGHTS, wording
from gateway.runtime import runtime
from gateway.storage.base import PolicyVersion

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)


class Links:
    """Absolute addresses of the site's privacy pages (printed notices show them in full)."""

    def __init__(self, request: Request, slug: str, lang: str) -> None:
        self.base = f"{str(request.base_url).rstrip('/')}/privacy/{slug}"
        self.lang = lang

    @property
    def notice(self) -> str:
        return f"{self.base}?lang={self.lang}"

    @property
    def my_data(self) -> str:
        return f"{self.base}/my-data?lang={self.lang}"

    @property
    def versions(self) -> str:
        return f"{self.base}/versions?lang={self.lang}"

    def version(self, digest: str) -> str:
        return f"{self.base}/versions/{digest}?lang={self.lang}"

    def language(self, lang: str) -> str:
        return f"?lang={lang}"


def chosen_language(request: Request, languages: Sequence[str]) -> str | Response:
    lang = request.query_params.get("lang", languages[0])
    if lang not in languages:
        return json_error(400, f"'lang' must be one of: {', '.join(languages)}")
    return lang


def render_notice(
    request: Request,
    policy: Policy,
    lang: str,
    *,
    versions: Sequence[PolicyVersion] = (),
    archived: PolicyVersion | None = None,
) -> str:
    """The notice page of ``policy`` in ``lang``; ``archived`` marks an earlier version."""
    by_version: dict[str, str] = {}
    for item in sorted(versions, key=lambda v: v.first_served):
        by_version.setdefault(item.version, item.hash)
    return env.get_template("notice.html").render(
        policy=policy,
        lang=lang,
        w=wording(lang),
        n=notice,
        rights=RIGHTS,
        links=Links(request, policy.slug, lang),
        version_hashes=by_version,
        archived=archived,
        banner_first=texts_for("first", lang, policy.texts) if archived else {},
        banner_settings=texts_for("settings", lang, policy.texts) if archived else {},
    )


async def privacy_notice(request: Request) -> Response:
    rt = runtime(request)
    policy = rt.policies.by_slug(request.path_params["site"])
    if policy is None:
        return json_error(404, "unknown site")
    lang = chosen_language(request, policy.languages)
    if isinstance(lang, Response):
        return lang
    versions = await rt.store.policy_versions(policy.slug)
    html = render_notice(request, policy, lang, versions=versions)
    return HTMLResponse(html, headers={"Cache-Control": "public, max-age=300"})


routes = [Route("/privacy/{site}", privacy_notice, methods=["GET", "HEAD"], name="privacy_notice")]
