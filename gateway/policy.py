"""A site's policy: what the banner asks, what the gateway may keep, and what the notice says.

One TOML file per site in the policies folder (``policies/<slug>.toml``). The file is the site
owner's whole configuration: the gateway never stores policy state of its own, so a policy
version and its content hash are what a consent record points to.

The model here is immutable and fully validated: code that receives a ``Policy`` may rely on
every invariant documented on the fields. Loading and validation live in
``gateway.policy_loader``; this module only holds the shapes and small pure helpers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

WithoutConsent = Literal["drop", "anonymous"]

# A mapping from language code ("fi", "sv", "en") to text. Validation guarantees that every
# language the site lists has an entry.
Texts = Mapping[str, str]


@dataclass(frozen=True)
class Service:
    """A third-party or first-party service that a category covers (Matomo, Google Analytics)."""

    name: str
    provider: str
    purpose: Texts
    id: str = ""
    cookies: tuple[str, ...] = ()
    retention: Texts | None = None
    privacy_url: str | None = None


ConsentType = Literal[
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
]
CONSENT_TYPES: tuple[ConsentType, ...] = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
)


@dataclass(frozen=True)
class ConsentMode:
    """Google Consent Mode v2 (basic): which consent types each granted category turns on."""

    map: Mapping[str, tuple[ConsentType, ...]]
    wait_for_update: int = 500


@dataclass(frozen=True)
class Category:
    """A purpose a visitor can grant. ``necessary`` is always present and always granted."""

    id: str
    required: bool
    title: Texts
    description: Texts
    services: tuple[Service, ...] = ()


@dataclass(frozen=True)
class Controller:
    """The data controller and the people to contact about personal data."""

    name: str
    business_id: str | None
    address: str | None
    email: str | None
    phone: str | None
    contact_person: str | None
    contact_email: str | None
    # ``contact_*`` is the data-protection contact: whom a visitor asks about personal data.
    contact_phone: str | None = None


@dataclass(frozen=True)
class NoticeSection:
    """One section of the privacy notice, in every language of the site.

    ``topic`` places the section in the notice's fixed outline (``NOTICE_TOPICS``); a section
    without one is shown after the outline, under "more information".
    """

    id: str
    title: Texts
    body: Texts
    topic: str | None = None


# The notice's outline, in order: every element GDPR Art. 13 asks for has its place.
NOTICE_TOPICS: tuple[str, ...] = (
    "intro",
    "controller",
    "purposes",
    "data",
    "sources",
    "recipients",
    "transfers",
    "cookies",
    "retention",
    "security",
    "rights",
    "authority",
    "changes",
)

LegalBasis = Literal[
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
]
# GDPR Art. 6(1)(a)-(f), in the article's order.
LEGAL_BASES: tuple[LegalBasis, ...] = (
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
)

# A list of items in every language of the site: ``given.fi = ["name", "e-mail"]``.
TextList = Mapping[str, tuple[str, ...]]

RecipientRole = Literal["recipient", "processor"]
RECIPIENT_ROLES: tuple[RecipientRole, ...] = ("recipient", "processor")


@dataclass(frozen=True)
class Purpose:
    """A purpose of processing and the legal bases it rests on."""

    text: Texts
    bases: tuple[LegalBasis, ...]


@dataclass(frozen=True)
class Recipient:
    """Who receives personal data: a processor acting for the controller, or a recipient."""

    name: Texts
    role: RecipientRole
    purpose: Texts
    location: Texts | None = None


@dataclass(frozen=True)
class Transfers:
    """Transfers outside the EU/EEA: ``outside_eea = false`` is the explicit "none"."""

    outside_eea: bool
    text: Texts | None = None


@dataclass(frozen=True)
class NoticeFacts:
    """The structured facts of ``[notice]``; the notice renders each under its own heading."""

    purposes: tuple[Purpose, ...] = ()
    data_given: TextList | None = None
    data_observed: TextList | None = None
    data_derived: TextList | None = None
    sources: TextList | None = None
    recipients: tuple[Recipient, ...] = ()
    transfers: Transfers | None = None
    security: TextList | None = None


@dataclass(frozen=True)
class SupervisoryAuthority:
    """Where a visitor can lodge a complaint (in Finland: Tietosuojavaltuutetun toimisto)."""

    name: Texts
    visiting_address: Texts | None = None
    postal_address: Texts | None = None
    phone: str | None = None
    email: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Change:
    """One entry of the notice's change history (``[[changes]]``); ``date`` is YYYY-MM-DD."""

    date: str
    text: Texts
    version: str | None = None


@dataclass(frozen=True)
class Retention:
    """How long raw data is kept, in days (``[retention]``); report rollups outlive it.

    ``consents_days >= consent_days`` always holds: an active consent needs its record.
    """

    hits_days: int = 395
    consents_days: int = 1095
    audit_days: int = 365


@dataclass(frozen=True)
class Policy:
    """A fully validated site policy.

    ``hash`` is the SHA-256 (hex) of the file's bytes: a consent record stores it so the exact
    policy a visitor saw can be shown later. ``languages[0]`` is the default language.
    """

    slug: str
    idsite: int
    name: str
    origins: tuple[str, ...]
    languages: tuple[str, ...]
    version: str
    hash: str
    source_path: str
    categories: tuple[Category, ...]
    texts: Mapping[str, Mapping[str, str]]
    controller: Controller | None = None
    notice: tuple[NoticeSection, ...] = ()
    privacy_url: str | None = None
    ip_mask_bytes: int = 2
    without_consent: WithoutConsent = "drop"
    consent_days: int = 180
    # A visitor's hits with gaps under this many minutes form one visit (reports).
    visit_timeout_minutes: int = 30
    # Public (shared-link) dashboards hide breakdown rows with fewer visitors than this.
    report_min_visitors: int = 5
    excluded_query_params: tuple[str, ...] = ()
    token_sha256: tuple[str, ...] = ()
    changes: Texts | None = None
    consent_mode: ConsentMode | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
    # The privacy notice's structured facts, supervisory authority and change history.
    facts: NoticeFacts = field(default_factory=NoticeFacts)
    authority: SupervisoryAuthority | None = None
    history: tuple[Change, ...] = ()
    # The file's text exactly as hashed (``hash``): what the gateway keeps of each version.
    source_text: str = ""
    # How long raw hits, consent records and access audit entries are kept (``[retention]``).
    retention: Retention = field(default_factory=Retention)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def category_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.categories)

    @property
    def optional_category_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.categories if not c.required)

    @property
    def required_category_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.categories if c.required)

    @property
    def services(self) -> tuple[tuple[Category, Service], ...]:
        return tuple((c, s) for c in self.categories for s in c.services)

    def service(self, service_id: str) -> tuple[Category, Service] | None:
        for category, service in self.services:
            if service.id == service_id:
                return category, service
        return None

    def allows_origin(self, origin: str | None) -> bool:
        return origin is not None and origin.rstrip("/") in self.origins


@dataclass(frozen=True)
class PolicySet:
    """All loaded policies, indexed by slug and by Matomo ``idsite``."""

    policies: tuple[Policy, ...]
    _by_slug: dict[str, Policy] = field(init=False, repr=False, compare=False)
    _by_idsite: dict[int, Policy] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_slug", {p.slug: p for p in self.policies})
        object.__setattr__(self, "_by_idsite", {p.idsite: p for p in self.policies})

    def by_slug(self, slug: str) -> Policy | None:
        return self._by_slug.get(slug)

    def by_idsite(self, idsite: int) -> Policy | None:
        return self._by_idsite.get(idsite)

    def __iter__(self) -> Iterator[Policy]:
        return iter(self.policies)

    def __len__(self) -> int:
        return len(self.policies)
