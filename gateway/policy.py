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


@dataclass(frozen=True)
class NoticeSection:
    """One section of the privacy notice, in every language of the site."""

    id: str
    title: Texts
    body: Texts


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
