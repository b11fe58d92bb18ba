"""What the privacy notice shows and where: pure decisions the notice template renders.

The notice follows one outline for every site (``NOTICE_TOPICS``: controller, purposes and
legal bases, data, sources, recipients, transfers, cookies, retention, security, rights,
supervisory authority, change history). Structured policy facts fill each part, the gateway
adds what it knows itself (the cookie declaration, what analytics stores, retention, how each
right is exercised here), and the policy's free-text sections are placed by their ``topic``.

Section bodies are plain text: a blank line starts a new paragraph; a paragraph whose lines
all start with ``- `` is a list; other line breaks inside a paragraph are kept (addresses,
contact lines). Everything is escaped by the template, so policy text can never inject markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from gateway.policy import (
    NOTICE_TOPICS,
    Category,
    Change,
    LegalBasis,
    NoticeSection,
    Policy,
    Service,
)


@dataclass(frozen=True)
class Block:
    kind: Literal["paragraph", "list"]
    lines: tuple[str, ...]


def blocks(body: str) -> list[Block]:
    result: list[Block] = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.strip().split("\n") if line.strip()]
        if not lines:
            continue
        items = [line for line in lines if line.startswith("- ")]
        if items and len(items) == len(lines):
            result.append(Block("list", tuple(item[2:].strip() for item in items)))
        elif items:
            # Lead-in text followed by list items in one paragraph.
            first = next(i for i, line in enumerate(lines) if line.startswith("- "))
            if first:
                result.append(Block("paragraph", tuple(lines[:first])))
            rest = lines[first:]
            result.append(Block("list", tuple(line.removeprefix("- ").strip() for line in rest)))
        else:
            result.append(Block("paragraph", tuple(lines)))
    return result


# -- the notice's outline ---------------------------------------------------------------------

# Topics the notice always shows, because the gateway itself has something to say under each.
_ALWAYS: Final = frozenset(
    {"controller", "purposes", "data", "sources", "recipients", "cookies", "retention"}
    | {"security", "rights", "changes"}
)


@dataclass(frozen=True)
class Part:
    """One heading of the notice's outline with the free-text sections placed under it."""

    topic: str
    sections: tuple[NoticeSection, ...]


def outline(policy: Policy) -> list[Part]:
    """The notice's parts in order: intro, the topics of ``NOTICE_TOPICS`` that have anything
    to show, then "more" for sections without a topic. Pure: the template renders it."""
    placed: dict[str, list[NoticeSection]] = {topic: [] for topic in (*NOTICE_TOPICS, "more")}
    for section in policy.notice:
        placed[section.topic or "more"].append(section)
    present = {
        "controller": policy.controller is not None,
        "transfers": policy.facts.transfers is not None,
        "authority": policy.authority is not None,
    }
    parts: list[Part] = []
    for topic in (*NOTICE_TOPICS, "more"):
        sections = tuple(placed[topic])
        if topic in _ALWAYS or sections or present.get(topic, False):
            parts.append(Part(topic, sections))
    return parts


def anchor(section: NoticeSection) -> str | None:
    """A section's ``id`` in the page, unless an outline heading already uses that id."""
    return None if section.id in (*NOTICE_TOPICS, "more", "contents") else section.id


@dataclass(frozen=True)
class PurposeRow:
    text: str
    bases: tuple[LegalBasis, ...]


def purpose_rows(policy: Policy, lang: str, words: Mapping[str, str]) -> list[PurposeRow]:
    """The policy's purposes, then one per optional category (consent is its only basis: the
    gateway stores nothing for it without consent) and the consent record itself (Art. 7(1))."""
    rows = [PurposeRow(p.text[lang], p.bases) for p in policy.facts.purposes]
    for category in policy.categories:
        if not category.required:
            text = words["purpose_category"].format(
                title=category.title[lang], description=category.description[lang]
            )
            rows.append(PurposeRow(text, ("consent",)))
    rows.append(PurposeRow(words["purpose_consent_record"], ("legal_obligation",)))
    return rows


def is_first_party(policy: Policy, service: Service) -> bool:
    """A service run by the controller or the site itself ("Koneyrittäjät ry", or "Demo site
    operator (self-hosted)"); every other provider is a third party."""
    provider = service.provider.casefold()
    own = [policy.name.casefold()]
    if policy.controller is not None:
        own.append(policy.controller.name.casefold())
    return any(provider == name or provider.startswith(name + " ") for name in own)


def third_parties(policy: Policy) -> list[tuple[Category, Service]]:
    return [(c, s) for c, s in policy.services if not is_first_party(policy, s)]


def retention_days(policy: Policy) -> list[tuple[str, int]]:
    """``(wording key, days)`` for the periods of ``[retention]``: the gateway deletes raw
    hits, consent records and access-log entries older than these (``gateway purge``)."""
    kept = policy.retention
    return [
        ("retention_hits", kept.hits_days),
        ("retention_consents", kept.consents_days),
        ("retention_audit", kept.audit_days),
    ]


def history(policy: Policy) -> list[Change]:
    """The change history, newest first."""
    return sorted(policy.history, key=lambda change: change.date, reverse=True)
