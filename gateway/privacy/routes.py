"""The site's privacy notice, rendered from its policy in the visitor's language.

``?lang=`` picks the language (default: the site's first). The notice lists the controller, every
section the policy carries, and every cookie category with its services - the same facts the
banner shows, from the same file, so the two cannot disagree.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from gateway.consent.texts import texts_for
from gateway.errors import json_error
from gateway.privacy.notice import blocks
from gateway.runtime import runtime

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)

LABELS = {
    "fi": {
        "controller": "Rekisterinpitäjä",
        "cookies": "Evästeet ja palvelut",
        "required": "aina käytössä",
        "optional": "vain suostumuksella",
        "provider": "Palveluntarjoaja",
        "version": "Versio",
        "service": "Palvelu",
        "purpose": "Tarkoitus",
        "cookie_names": "Evästeet",
        "retention": "Säilytysaika",
    },
    "sv": {
        "controller": "Personuppgiftsansvarig",
        "cookies": "Kakor och tjänster",
        "required": "alltid i bruk",
        "optional": "endast med samtycke",
        "provider": "Leverantör",
        "version": "Version",
        "service": "Tjänst",
        "purpose": "Syfte",
        "cookie_names": "Kakor",
        "retention": "Lagringstid",
    },
    "en": {
        "controller": "Controller",
        "cookies": "Cookies and services",
        "required": "always on",
        "optional": "only with consent",
        "provider": "Provider",
        "version": "Version",
        "service": "Service",
        "purpose": "Purpose",
        "cookie_names": "Cookies",
        "retention": "Retention",
    },
}


async def privacy_notice(request: Request) -> Response:
    policy = runtime(request).policies.by_slug(request.path_params["site"])
    if policy is None:
        return json_error(404, "unknown site")
    lang = request.query_params.get("lang", policy.default_language)
    if lang not in policy.languages:
        return json_error(400, f"'lang' must be one of: {', '.join(policy.languages)}")
    html = _env.get_template("notice.html").render(
        policy=policy,
        lang=lang,
        labels=LABELS.get(lang, LABELS["en"]),
        blocks=blocks,
        banner_texts=texts_for("first", lang, policy.texts),
    )
    return HTMLResponse(html, headers={"Cache-Control": "public, max-age=300"})


routes = [Route("/privacy/{site}", privacy_notice, methods=["GET", "HEAD"], name="privacy_notice")]
