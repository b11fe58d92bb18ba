"""Read policy files from disk and validate them completely before anything uses them.

A policy file is written by hand by a site owner, so every mistake is reported at once, each
as a :class:`Problem` naming the file and the dotted key (``site.idsite``,
``categories[1].id``, ``texts.sv.reject_all``; array indexes count from 0 in file order).
Nothing is loaded unless every file is valid: :class:`PolicyError` carries the complete list.
Values are never normalised (an origin with a trailing slash is rejected, not trimmed) because a
value that only works after silent repair would behave differently in the browser, which sends
origins exactly as ``scheme://host[:port]``.

The rules enforced here are the invariants that ``gateway.policy`` documents; code that receives
a :class:`~gateway.policy.Policy` may rely on them without checking again.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import tomllib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from difflib import get_close_matches
from pathlib import Path
from typing import Final, cast
from urllib.parse import urlsplit

from gateway.consent.texts import all_keys as banner_text_keys
from gateway.consent.texts import builtin_languages
from gateway.policy import (
    CONSENT_TYPES,
    LEGAL_BASES,
    NOTICE_TOPICS,
    RECIPIENT_ROLES,
    Category,
    Change,
    ConsentMode,
    ConsentType,
    Controller,
    LegalBasis,
    NoticeFacts,
    NoticeSection,
    Policy,
    PolicySet,
    Purpose,
    Recipient,
    RecipientRole,
    Retention,
    Service,
    SupervisoryAuthority,
    TextList,
    Transfers,
    WithoutConsent,
)

__all__ = [
    "FILE_KEY",
    "PolicyError",
    "Problem",
    "load_policies",
    "load_policy_file",
    "load_policy_source",
]

#: The key used for problems that concern a whole file (unreadable, invalid TOML, ...).
FILE_KEY: Final = "<file>"

_SLUG: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_LANGUAGE: Final = re.compile(r"[a-z]{2,3}")
_CATEGORY_ID: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")
# Section ids become URL fragments (#rights) in the rendered notice.
_SECTION_ID: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_SHA256_HEX: Final = re.compile(r"[0-9a-f]{64}")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_HOST_LABEL: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")
_ORIGIN_PARTS: Final = re.compile(
    r"(?P<scheme>[^:/?#]*)://(?P<host>\[[^\]/?#]*\]?|[^:/?#\[\]]*)(?::(?P<port>[^/?#]*))?(?P<rest>.*)",
    re.DOTALL,
)
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}

_NECESSARY: Final = "necessary"
_WITHOUT_CONSENT: Final[tuple[WithoutConsent, ...]] = ("drop", "anonymous")

_TOP_KEYS: Final = (
    "site",
    "privacy",
    "access",
    "categories",
    "texts",
    "controller",
    "notice",
    "consent_mode",
    "supervisory_authority",
    "changes",
    "retention",
)
# ``[extra]`` is free-form: whatever a site owner puts there is handed on as ``Policy.extra``.
_EXTRA_KEY: Final = "extra"
_SITE_KEYS: Final = (
    "slug",
    "idsite",
    "name",
    "origins",
    "languages",
    "version",
    "privacy_url",
    "changes",
)
_PRIVACY_KEYS: Final = (
    "ip_mask_bytes",
    "without_consent",
    "consent_days",
    "excluded_query_params",
    "visit_timeout_minutes",
    "report_min_visitors",
)
_ACCESS_KEYS: Final = ("token_sha256",)
_CATEGORY_KEYS: Final = ("id", "required", "title", "description", "services")
_SERVICE_KEYS: Final = (
    "id",
    "name",
    "provider",
    "purpose",
    "cookies",
    "retention",
    "privacy_url",
)
_SERVICE_ID: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_CONSENT_MODE_KEYS: Final = ("map", "wait_for_update")
_CONTROLLER_KEYS: Final = (
    "name",
    "business_id",
    "address",
    "email",
    "phone",
    "contact_person",
    "contact_email",
    "contact_phone",
)
_NOTICE_KEYS: Final = (
    "sections",
    "purposes",
    "data",
    "sources",
    "recipients",
    "transfers",
    "security",
)
_SECTION_KEYS: Final = ("id", "title", "body", "topic")
_PURPOSE_KEYS: Final = ("text", "basis")
_DATA_KEYS: Final = ("given", "observed", "derived")
_RECIPIENT_KEYS: Final = ("name", "role", "purpose", "location")
_TRANSFER_KEYS: Final = ("outside_eea", "text")
_AUTHORITY_KEYS: Final = ("name", "visiting_address", "postal_address", "phone", "email", "url")
_CHANGE_KEYS: Final = ("date", "text", "version")
_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")

_DEFAULT_IP_MASK_BYTES: Final = 2
_DEFAULT_CONSENT_DAYS: Final = 180
# 13 months, the longest a consent cookie may live under the CNIL guidance the product follows.
_MAX_CONSENT_DAYS: Final = 395
_DEFAULT_VISIT_TIMEOUT_MINUTES: Final = 30
# A day: longer "visits" would merge a regular visitor's separate days.
_MAX_VISIT_TIMEOUT_MINUTES: Final = 1440
_DEFAULT_REPORT_MIN_VISITORS: Final = 5
_MAX_REPORT_MIN_VISITORS: Final = 1_000_000
_RETENTION_KEYS: Final = ("hits_days", "consents_days", "audit_days")
# Ten years: longer than any limitation period a proof of consent or an audit entry serves.
_MAX_RETENTION_DAYS: Final = 3650


@dataclass(frozen=True)
class Problem:
    """One mistake in one policy file: ``str()`` gives the line ``gateway check`` prints."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class PolicyError(Exception):
    """Raised when any policy file is invalid; ``problems`` lists every problem found."""

    problems: list[Problem]

    def __init__(self, problems: list[Problem]) -> None:
        # The list itself is the only argument so that the exception pickles and copies intact.
        super().__init__(problems)
        self.problems = list(problems)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


def load_policy_file(path: Path) -> Policy:
    """Load and validate one policy file.

    The file name must be ``<slug>.toml``, exactly as when it is loaded from a directory, so
    a file that passes here also passes :func:`load_policies`, apart from the checks that
    compare files with each other. Raises :class:`PolicyError` listing every problem.
    """
    result = _check_file(path)
    if result.policy is None:
        raise PolicyError(result.problems)
    return result.policy


def load_policy_source(raw: bytes, path: Path) -> Policy:
    """Load and validate a policy from its bytes, as if read from ``path`` (``<slug>.toml``).

    For policy text kept elsewhere than in the policies folder, such as the stored snapshot of
    a version served earlier. Raises :class:`PolicyError` listing every problem.
    """
    result = _check_source(raw, path)
    if result.policy is None:
        raise PolicyError(result.problems)
    return result.policy


def load_policies(directory: Path) -> PolicySet:
    """Load every ``*.toml`` file in ``directory`` (sorted by name) into a :class:`PolicySet`.

    Hidden files (names starting with a dot, such as editor lock files) are ignored. Problems
    in all files are collected before raising, and the files are also checked against each
    other: a slug or ``idsite`` used twice is reported on the later file, naming the earlier
    one. A directory without policy files is an error too, since the gateway would then serve
    no site at all.
    """
    if not directory.is_dir():
        raise PolicyError([Problem(str(directory), FILE_KEY, "not a directory")])
    paths = sorted(
        (p for p in directory.glob("*.toml") if p.is_file() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )
    if not paths:
        raise PolicyError([Problem(str(directory), FILE_KEY, "no policy files (*.toml) found")])

    results = [_check_file(path) for path in paths]
    problems = [problem for result in results for problem in result.problems]
    slug_owner: dict[str, str] = {}
    idsite_owner: dict[int, str] = {}
    for result in results:
        if result.slug is not None:
            first = slug_owner.setdefault(result.slug, result.file)
            if first != result.file:
                problems.append(
                    Problem(
                        result.file,
                        "site.slug",
                        f"slug {result.slug!r} is already used by {first}",
                    )
                )
        if result.idsite is not None:
            first = idsite_owner.setdefault(result.idsite, result.file)
            if first != result.file:
                problems.append(
                    Problem(
                        result.file,
                        "site.idsite",
                        f"idsite {result.idsite} is already used by {first}",
                    )
                )
    if problems:
        raise PolicyError(problems)
    return PolicySet(tuple(result.policy for result in results if result.policy is not None))


@dataclass(frozen=True)
class _FileResult:
    """What one file yielded: the policy if valid, and the identifiers compared across files.

    ``slug`` and ``idsite`` are kept even when other parts of the file are invalid, so that
    clashes between files are reported in the same run as the other problems.
    """

    file: str
    problems: list[Problem]
    policy: Policy | None
    slug: str | None
    idsite: int | None


def _check_file(path: Path) -> _FileResult:
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        return _FileResult(
            file, [Problem(file, FILE_KEY, f"cannot read: {reason}")], None, None, None
        )
    return _check_source(raw, path)


def _check_source(raw: bytes, path: Path) -> _FileResult:
    file = str(path)
    if raw.startswith(b"\xef\xbb\xbf"):
        message = "starts with a byte order mark; save the file as UTF-8 without BOM"
        return _FileResult(file, [Problem(file, FILE_KEY, message)], None, None, None)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        message = f"not valid UTF-8 (byte {error.start})"
        return _FileResult(file, [Problem(file, FILE_KEY, message)], None, None, None)
    except tomllib.TOMLDecodeError as error:
        message = f"invalid TOML: {error}"
        return _FileResult(file, [Problem(file, FILE_KEY, message)], None, None, None)

    checker = _Checker(file)
    policy = checker.policy(data, path=path, digest=hashlib.sha256(raw).hexdigest())
    if policy is not None:
        policy = replace(policy, source_text=raw.decode("utf-8"))
    return _FileResult(file, checker.problems, policy, checker.slug, checker.idsite)


def _join(parent: str, key: str) -> str:
    # Keys that TOML would need quotes for are shown quoted, escaped so a line stays one line.
    shown = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{parent}.{shown}" if parent else shown


def _index(parent: str, index: int) -> str:
    return f"{parent}[{index}]"


def _describe(value: object) -> str:
    """Name a parsed TOML value's type the way the TOML specification does."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime):
        return "a date-time"
    if isinstance(value, date):
        return "a date (put it in quotes to make it a string)"
    if isinstance(value, time):
        return "a time"
    return type(value).__name__


def _pattern_check(pattern: re.Pattern[str], explain: str) -> Callable[[str], str | None]:
    """A string check for ``pattern``; ``explain`` may use ``{value!r}``."""

    def check(value: str) -> str | None:
        return None if pattern.fullmatch(value) else explain.format(value=value)

    return check


_slug_problem: Final = _pattern_check(
    _SLUG, "{value!r} must be 1-63 lowercase letters, digits or '-', not starting with '-'"
)
_language_problem: Final = _pattern_check(
    _LANGUAGE, "{value!r} must be a 2-3 letter lowercase language code such as 'fi'"
)
_category_id_problem: Final = _pattern_check(
    _CATEGORY_ID, "{value!r} must be a lowercase letter then up to 31 letters, digits or '_'"
)
_section_id_problem: Final = _pattern_check(
    _SECTION_ID, "{value!r} must be lowercase letters, digits, '-' or '_' (it becomes a #link)"
)
_token_problem: Final = _pattern_check(
    _SHA256_HEX, "must be 64 lowercase hex characters: the SHA-256 of the token, not the token"
)
_email_problem: Final = _pattern_check(_EMAIL, "{value!r} is not an e-mail address")


def _service_id_from(name: str) -> str:
    """A service id from its name when none is given: "Google Analytics" -> "google-analytics"."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:32] or "service"


def _http_url_problem(value: str) -> str | None:
    if any(ch.isspace() for ch in value):
        return "must not contain spaces"
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL"
    return None


def _origin_problem(value: str) -> str | None:
    """Why ``value`` is not an origin exactly as a browser sends it, or None if it is one."""
    match = _ORIGIN_PARTS.fullmatch(value)
    if match is None:
        return "must be scheme://host[:port], e.g. https://www.example.fi"
    scheme, host, port, rest = match.group("scheme", "host", "port", "rest")
    if scheme not in _DEFAULT_PORTS:
        return "scheme must be http or https (in lowercase)"
    if rest == "/":
        return "must not end with a slash"
    if rest:
        return "must not have a path, query or fragment: an origin is scheme://host[:port]"
    if "@" in host:
        return "must not contain a user name"
    if host.startswith("["):
        if not host.endswith("]"):
            return "an IPv6 address needs its closing ']'"
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return f"{host!r} is not a valid IPv6 address"
        if f"[{address.compressed}]" != host:
            return f"write the IPv6 address as browsers send it: [{address.compressed}]"
    else:
        if not host:
            return "has no host"
        if not host.isascii():
            return "host must be ASCII; write an international name in its xn-- form"
        if host != host.lower():
            return "host must be lowercase, as browsers send it"
        if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in host.split(".")):
            return f"{host!r} is not a valid host name"
    if port is not None:
        if not (port.isascii() and port.isdigit()) or port.startswith("0"):
            return "port must be a number from 1 to 65535"
        if not 1 <= int(port) <= 65535:
            return "port must be a number from 1 to 65535"
        if int(port) == _DEFAULT_PORTS[scheme]:
            return f"leave out the default port {port}: browsers do not send it"
    return None


class _Checker:
    """Validates one parsed file, recording problems and building the model where it can.

    Every accessor returns the validated value, or None when the key is absent or a problem
    was recorded for it. A policy is only built when the file has no problems at all, so a
    None standing in for an invalid value never reaches the model.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.slug: str | None = None
        self.idsite: int | None = None

    # -- recording ------------------------------------------------------------------------

    def add(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, key, message))

    def wrong_type(self, key: str, expected: str, value: object) -> None:
        self.add(key, f"expected {expected}, got {_describe(value)}")

    def unknown_keys(
        self, table: Mapping[str, object], parent: str, allowed: Collection[str]
    ) -> None:
        for key in table:
            if key in allowed:
                continue
            close = get_close_matches(key, list(allowed), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "allowed: " + ", ".join(allowed)
            self.add(_join(parent, key), f"unknown key {key!r}; {hint}")

    # -- typed accessors ------------------------------------------------------------------

    def value(self, table: Mapping[str, object], key: str, parent: str, required: bool) -> object:
        if key in table:
            return table[key]
        if required:
            self.add(_join(parent, key), "required key is missing")
        return None

    def table(
        self, table: Mapping[str, object], key: str, parent: str, *, required: bool
    ) -> dict[str, object] | None:
        value = self.value(table, key, parent, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.wrong_type(_join(parent, key), "a table", value)
            return None
        return cast(dict[str, object], value)

    def tables(
        self, table: Mapping[str, object], key: str, parent: str, *, required: bool
    ) -> list[dict[str, object]] | None:
        """An array of tables (``[[key]]``); the caller indexes the elements itself."""
        path = _join(parent, key)
        value = self.value(table, key, parent, required)
        if value is None:
            return None
        if not isinstance(value, list):
            self.wrong_type(path, f"an array of tables ([[{path}]])", value)
            return None
        good: list[dict[str, object]] = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                good.append(cast(dict[str, object], item))
            else:
                self.wrong_type(_index(path, index), "a table", item)
        return good if len(good) == len(value) else None

    def string(
        self,
        table: Mapping[str, object],
        key: str,
        parent: str,
        *,
        required: bool,
        check: Callable[[str], str | None] | None = None,
    ) -> str | None:
        value = self.value(table, key, parent, required)
        if value is None:
            return None
        return self.string_value(value, _join(parent, key), check)

    def string_value(
        self, value: object, path: str, check: Callable[[str], str | None] | None = None
    ) -> str | None:
        if not isinstance(value, str):
            self.wrong_type(path, "a string", value)
            return None
        if not value.strip():
            self.add(path, "must not be empty")
            return None
        problem = check(value) if check is not None else None
        if problem is not None:
            self.add(path, problem)
            return None
        return value

    def integer(
        self,
        table: Mapping[str, object],
        key: str,
        parent: str,
        *,
        required: bool,
        minimum: int,
        maximum: int | None = None,
    ) -> int | None:
        path = _join(parent, key)
        value = self.value(table, key, parent, required)
        if value is None:
            return None
        # bool is a subclass of int in Python; TOML keeps them apart and so do we.
        if isinstance(value, bool) or not isinstance(value, int):
            self.wrong_type(path, "an integer", value)
            return None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
            self.add(path, f"must be {bounds}, got {value}")
            return None
        return value

    def boolean(
        self, table: Mapping[str, object], key: str, parent: str, *, required: bool
    ) -> bool | None:
        value = self.value(table, key, parent, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.wrong_type(_join(parent, key), "a boolean (true or false)", value)
            return None
        return value

    def strings(
        self,
        table: Mapping[str, object],
        key: str,
        parent: str,
        *,
        required: bool,
        non_empty: bool = False,
        unique: bool = False,
        check: Callable[[str], str | None] | None = None,
    ) -> tuple[str, ...] | None:
        path = _join(parent, key)
        value = self.value(table, key, parent, required)
        if value is None:
            return None
        if not isinstance(value, list):
            self.wrong_type(path, "an array of strings", value)
            return None
        if non_empty and not value:
            self.add(path, "must list at least one value")
            return None
        good: list[str] = []
        ok = True
        for index, item in enumerate(value):
            text = self.string_value(item, _index(path, index), check)
            if text is None:
                ok = False
            elif unique and text in good:
                self.add(_index(path, index), f"duplicate value {text!r}")
                ok = False
            else:
                good.append(text)
        return tuple(good) if ok else None

    def texts(
        self,
        table: Mapping[str, object],
        key: str,
        parent: str,
        languages: Sequence[str] | None,
        *,
        required: bool,
    ) -> dict[str, str] | None:
        """A text in every site language: ``title.fi = "..."``, ``title.sv = "..."``.

        ``languages`` is None when ``site.languages`` itself is invalid; then only the types
        are checked, as coverage cannot be judged.
        """
        path = _join(parent, key)
        value = self.table(table, key, parent, required=required)
        if value is None:
            return None
        before = len(self.problems)
        result: dict[str, str] = {}
        for lang, text in value.items():
            if languages is not None and lang not in languages:
                self.add(_join(path, lang), f"language {lang!r} is not in site.languages")
                continue
            checked = self.string_value(text, _join(path, lang))
            if checked is not None:
                result[lang] = checked
        for lang in languages or ():
            if lang not in value:
                self.add(_join(path, lang), f"missing text for site language {lang!r}")
        return result if len(self.problems) == before else None

    # -- the policy -----------------------------------------------------------------------

    def policy(self, data: Mapping[str, object], *, path: Path, digest: str) -> Policy | None:
        self.unknown_keys(data, "", (*_TOP_KEYS, _EXTRA_KEY))

        site = self.table(data, "site", "", required=True) or {}
        self.unknown_keys(site, "site", _SITE_KEYS)
        slug = self.string(
            site,
            "slug",
            "site",
            required=True,
            check=_slug_problem,
        )
        if slug is not None:
            self.slug = slug
            if path.stem != slug:
                self.add(
                    "site.slug",
                    f"the file must be named {slug}.toml to match the slug (it is {path.name})",
                )
        idsite = self.integer(site, "idsite", "site", required=True, minimum=1)
        self.idsite = idsite
        name = self.string(site, "name", "site", required=True)
        origins = self.strings(
            site,
            "origins",
            "site",
            required=True,
            non_empty=True,
            unique=True,
            check=_origin_problem,
        )
        languages, text_languages = self.languages(site)
        version = self.string(site, "version", "site", required=True)
        privacy_url = self.string(
            site, "privacy_url", "site", required=False, check=_http_url_problem
        )
        changes = self.texts(site, "changes", "site", text_languages, required=False)

        privacy = self.table(data, "privacy", "", required=False) or {}
        self.unknown_keys(privacy, "privacy", _PRIVACY_KEYS)
        ip_mask_bytes = self.integer(
            privacy, "ip_mask_bytes", "privacy", required=False, minimum=0, maximum=4
        )
        without_consent = self.without_consent(privacy)
        consent_days = self.integer(
            privacy,
            "consent_days",
            "privacy",
            required=False,
            minimum=1,
            maximum=_MAX_CONSENT_DAYS,
        )
        excluded = self.strings(privacy, "excluded_query_params", "privacy", required=False)
        visit_timeout = self.integer(
            privacy,
            "visit_timeout_minutes",
            "privacy",
            required=False,
            minimum=1,
            maximum=_MAX_VISIT_TIMEOUT_MINUTES,
        )
        min_visitors = self.integer(
            privacy,
            "report_min_visitors",
            "privacy",
            required=False,
            minimum=1,
            maximum=_MAX_REPORT_MIN_VISITORS,
        )

        access = self.table(data, "access", "", required=False) or {}
        self.unknown_keys(access, "access", _ACCESS_KEYS)
        tokens = self.strings(
            access,
            "token_sha256",
            "access",
            required=False,
            check=_token_problem,
        )

        categories = self.categories(data, text_languages)
        texts = self.banner_texts(data, text_languages)
        controller = self.controller(data)
        notice = self.notice(data, text_languages)
        facts = self.notice_facts(data, text_languages)
        authority = self.authority(data, text_languages)
        history = self.history(data, text_languages)
        consent_mode = self.consent_mode(data, categories)
        retention = self.retention(data, consent_days)
        extra = self.table(data, _EXTRA_KEY, "", required=False) or {}

        if (
            self.problems
            or slug is None
            or idsite is None
            or name is None
            or origins is None
            or languages is None
            or version is None
            or categories is None
            or texts is None
            or retention is None
        ):
            return None
        return Policy(
            slug=slug,
            idsite=idsite,
            name=name,
            origins=origins,
            languages=languages,
            version=version,
            hash=digest,
            source_path=str(path),
            categories=categories,
            texts=texts,
            controller=controller,
            notice=notice,
            privacy_url=privacy_url,
            ip_mask_bytes=_DEFAULT_IP_MASK_BYTES if ip_mask_bytes is None else ip_mask_bytes,
            without_consent=without_consent or "drop",
            consent_days=_DEFAULT_CONSENT_DAYS if consent_days is None else consent_days,
            excluded_query_params=excluded or (),
            visit_timeout_minutes=(
                _DEFAULT_VISIT_TIMEOUT_MINUTES if visit_timeout is None else visit_timeout
            ),
            report_min_visitors=(
                _DEFAULT_REPORT_MIN_VISITORS if min_visitors is None else min_visitors
            ),
            token_sha256=tokens or (),
            changes=changes,
            consent_mode=consent_mode,
            extra=extra,
            facts=facts,
            authority=authority,
            history=history,
            retention=retention,
        )

    def retention(self, data: Mapping[str, object], consent_days: int | None) -> Retention | None:
        """``[retention]``: days raw hits, consent records and audit entries are kept."""
        table = self.table(data, "retention", "", required=False) or {}
        self.unknown_keys(table, "retention", _RETENTION_KEYS)
        before = len(self.problems)
        days = {
            key: self.integer(
                table, key, "retention", required=False, minimum=1, maximum=_MAX_RETENTION_DAYS
            )
            for key in _RETENTION_KEYS
        }
        chosen = replace(Retention(), **{k: v for k, v in days.items() if v is not None})
        # The default (1095) exceeds the longest consent_days (395), so only a set value fails.
        choice_days = _DEFAULT_CONSENT_DAYS if consent_days is None else consent_days
        if chosen.consents_days < choice_days:
            self.add(
                "retention.consents_days",
                f"must be at least privacy.consent_days ({choice_days}): an active consent "
                f"needs its record, got {chosen.consents_days}",
            )
        elif chosen.consents_days < chosen.hits_days:
            self.add(
                "retention.consents_days",
                f"must be at least retention.hits_days ({chosen.hits_days}): stored hits need "
                f"the consent records they were stored under, got {chosen.consents_days}",
            )
        return chosen if len(self.problems) == before else None

    def languages(
        self, site: Mapping[str, object]
    ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
        """``site.languages`` for the model, and the languages to check texts against.

        The second value keeps the well-formed codes of a partly invalid list, so that a typo
        in one code does not hide missing texts for the others. It is None when no code is
        usable, and then text coverage is not checked at all.
        """
        languages = self.strings(
            site,
            "languages",
            "site",
            required=True,
            non_empty=True,
            unique=True,
            check=_language_problem,
        )
        if languages is not None:
            return languages, languages
        raw = site.get("languages")
        if not isinstance(raw, list):
            return None, None
        usable = tuple(
            dict.fromkeys(
                item for item in raw if isinstance(item, str) and _LANGUAGE.fullmatch(item)
            )
        )
        return None, usable or None

    def without_consent(self, privacy: Mapping[str, object]) -> WithoutConsent | None:
        value = self.string(privacy, "without_consent", "privacy", required=False)
        if value is None:
            return None
        for allowed in _WITHOUT_CONSENT:
            if value == allowed:
                return allowed
        choices = " or ".join(repr(v) for v in _WITHOUT_CONSENT)
        self.add("privacy.without_consent", f"must be {choices}, got {value!r}")
        return None

    def categories(
        self, data: Mapping[str, object], languages: Sequence[str] | None
    ) -> tuple[Category, ...] | None:
        items = self.tables(data, "categories", "", required=True)
        if items is None:
            return None
        result: list[Category] = []
        seen: dict[str, str] = {}
        for index, item in enumerate(items):
            path = _index("categories", index)
            self.unknown_keys(item, path, _CATEGORY_KEYS)
            cat_id = self.string(
                item,
                "id",
                path,
                required=True,
                check=_category_id_problem,
            )
            required = self.boolean(item, "required", path, required=False)
            title = self.texts(item, "title", path, languages, required=True)
            description = self.texts(item, "description", path, languages, required=True)
            services = self.services(item, path, languages)
            if cat_id is not None:
                if cat_id in seen:
                    self.add(
                        f"{path}.id", f"duplicate category id {cat_id!r} (also {seen[cat_id]})"
                    )
                else:
                    seen[cat_id] = path
                if cat_id == _NECESSARY and required is not True:
                    self.add(
                        f"{path}.required",
                        "the 'necessary' category must set required = true",
                    )
                if cat_id != _NECESSARY and required is True:
                    self.add(
                        f"{path}.required",
                        f"only the 'necessary' category may be required; visitors must be "
                        f"free to refuse {cat_id!r}",
                    )
            if cat_id is not None and title is not None and description is not None:
                result.append(
                    Category(
                        id=cat_id,
                        required=bool(required),
                        title=title,
                        description=description,
                        services=services or (),
                    )
                )
        if _NECESSARY not in seen:
            self.add("categories", "a category with id = 'necessary' and required = true is needed")
        return tuple(result)

    def services(
        self, category: Mapping[str, object], parent: str, languages: Sequence[str] | None
    ) -> tuple[Service, ...] | None:
        items = self.tables(category, "services", parent, required=False)
        if items is None:
            return None
        result: list[Service] = []
        for index, item in enumerate(items):
            path = _index(f"{parent}.services", index)
            self.unknown_keys(item, path, _SERVICE_KEYS)
            name = self.string(item, "name", path, required=True)
            service_id = self.string(
                item,
                "id",
                path,
                required=False,
                check=_pattern_check(
                    _SERVICE_ID, "{value!r} is not a service id (lowercase letters, digits, - _)"
                ),
            )
            provider = self.string(item, "provider", path, required=True)
            purpose = self.texts(item, "purpose", path, languages, required=True)
            cookies = self.strings(item, "cookies", path, required=False, unique=True)
            retention = self.texts(item, "retention", path, languages, required=False)
            privacy_url = self.string(
                item, "privacy_url", path, required=False, check=_http_url_problem
            )
            if name is not None and provider is not None and purpose is not None:
                result.append(
                    Service(
                        id=service_id or _service_id_from(name),
                        name=name,
                        provider=provider,
                        purpose=purpose,
                        cookies=cookies or (),
                        retention=retention,
                        privacy_url=privacy_url,
                    )
                )
        return tuple(result)

    def banner_texts(
        self, data: Mapping[str, object], languages: Sequence[str] | None
    ) -> dict[str, dict[str, str]] | None:
        """``[texts.<lang>]``: overrides of the built-in texts; all keys for other languages."""
        texts = self.table(data, "texts", "", required=False) or {}
        known = banner_text_keys()
        builtin = builtin_languages()
        result: dict[str, dict[str, str]] = {}
        for lang, value in texts.items():
            path = _join("texts", lang)
            if languages is not None and lang not in languages:
                self.add(path, f"language {lang!r} is not in site.languages")
                continue
            if not isinstance(value, dict):
                self.wrong_type(path, "a table", value)
                continue
            table = cast(dict[str, object], value)
            entries: dict[str, str] = {}
            for key, text in table.items():
                if key not in known:
                    self.add(
                        _join(path, key),
                        f"unknown text key {key!r}; known keys: {', '.join(sorted(known))}",
                    )
                    continue
                checked = self.string_value(text, _join(path, key))
                if checked is not None:
                    entries[key] = checked
            result[lang] = entries
        for lang in languages or ():
            if lang in builtin:
                continue
            missing = sorted(known - set(result.get(lang, {})))
            if missing:
                self.add(
                    _join("texts", lang),
                    f"no built-in texts for {lang!r}: define {', '.join(missing)}",
                )
        return result

    def consent_mode(
        self, data: Mapping[str, object], categories: Sequence[Category] | None
    ) -> ConsentMode | None:
        table = self.table(data, "consent_mode", "", required=False)
        if table is None:
            return None
        self.unknown_keys(table, "consent_mode", _CONSENT_MODE_KEYS)
        wait = self.integer(
            table, "wait_for_update", "consent_mode", required=False, minimum=0, maximum=10_000
        )
        mapping = self.table(table, "map", "consent_mode", required=True) or {}
        known_categories = {c.id for c in categories or ()}
        result: dict[str, tuple[ConsentType, ...]] = {}
        for category in mapping:
            path = _join("consent_mode.map", category)
            if categories is not None and category not in known_categories:
                self.add(path, f"no category {category!r} in this policy")
                continue
            values = self.strings(mapping, category, "consent_mode.map", required=True)
            if values is None:
                continue
            bad = [v for v in values if v not in CONSENT_TYPES]
            if bad:
                self.add(
                    path,
                    f"unknown consent type {bad[0]!r}; use: {', '.join(CONSENT_TYPES)}",
                )
                continue
            result[category] = cast(tuple[ConsentType, ...], tuple(values))
        return ConsentMode(map=result, wait_for_update=500 if wait is None else wait)

    def controller(self, data: Mapping[str, object]) -> Controller | None:
        table = self.table(data, "controller", "", required=False)
        if table is None:
            return None
        self.unknown_keys(table, "controller", _CONTROLLER_KEYS)

        def optional(key: str, check: Callable[[str], str | None] | None = None) -> str | None:
            return self.string(table, key, "controller", required=False, check=check)

        name = self.string(table, "name", "controller", required=True)
        controller = Controller(
            name=name or "",
            business_id=optional("business_id"),
            address=optional("address"),
            email=optional("email", _email_problem),
            phone=optional("phone"),
            contact_person=optional("contact_person"),
            contact_email=optional("contact_email", _email_problem),
            contact_phone=optional("contact_phone"),
        )
        return controller if name is not None else None

    def notice(
        self, data: Mapping[str, object], languages: Sequence[str] | None
    ) -> tuple[NoticeSection, ...]:
        notice = self.table(data, "notice", "", required=False)
        if notice is None:
            return ()
        self.unknown_keys(notice, "notice", _NOTICE_KEYS)
        items = self.tables(notice, "sections", "notice", required=False) or []
        result: list[NoticeSection] = []
        seen: dict[str, str] = {}
        for index, item in enumerate(items):
            path = _index("notice.sections", index)
            self.unknown_keys(item, path, _SECTION_KEYS)
            section_id = self.string(
                item,
                "id",
                path,
                required=True,
                check=_section_id_problem,
            )
            title = self.texts(item, "title", path, languages, required=True)
            body = self.texts(item, "body", path, languages, required=True)
            topic = self.choice(item, "topic", path, NOTICE_TOPICS)
            if section_id is not None:
                if section_id in seen:
                    self.add(
                        f"{path}.id",
                        f"duplicate section id {section_id!r} (also {seen[section_id]})",
                    )
                else:
                    seen[section_id] = path
            if section_id is not None and title is not None and body is not None:
                result.append(NoticeSection(id=section_id, title=title, body=body, topic=topic))
        return tuple(result)

    # -- the notice's structured facts ----------------------------------------------------

    def choice(
        self, table: Mapping[str, object], key: str, parent: str, allowed: Sequence[str]
    ) -> str | None:
        """An optional string that must be one of ``allowed``."""
        value = self.string(table, key, parent, required=False)
        if value is None or value in allowed:
            return value
        close = get_close_matches(value, list(allowed), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "use one of: " + ", ".join(allowed)
        self.add(_join(parent, key), f"unknown value {value!r}; {hint}")
        return None

    def text_lists(
        self,
        table: Mapping[str, object],
        key: str,
        parent: str,
        languages: Sequence[str] | None,
    ) -> TextList | None:
        """An optional list in every site language: ``given.fi = ["...", "..."]``."""
        path = _join(parent, key)
        value = self.table(table, key, parent, required=False)
        if value is None:
            return None
        before = len(self.problems)
        result: dict[str, tuple[str, ...]] = {}
        for lang in value:
            if languages is not None and lang not in languages:
                self.add(_join(path, lang), f"language {lang!r} is not in site.languages")
                continue
            items = self.strings(value, lang, path, required=True, non_empty=True)
            if items is not None:
                result[lang] = items
        for lang in languages or ():
            if lang not in value:
                self.add(_join(path, lang), f"missing list for site language {lang!r}")
        return result if len(self.problems) == before else None

    def notice_facts(
        self, data: Mapping[str, object], languages: Sequence[str] | None
    ) -> NoticeFacts:
        notice = self.table(data, "notice", "", required=False)
        if notice is None:
            return NoticeFacts()
        purposes: list[Purpose] = []
        for index, item in enumerate(
            self.tables(notice, "purposes", "notice", required=False) or []
        ):
            path = _index("notice.purposes", index)
            self.unknown_keys(item, path, _PURPOSE_KEYS)
            text = self.texts(item, "text", path, languages, required=True)
            bases = self.strings(item, "basis", path, required=True, non_empty=True, unique=True)
            bad = [b for b in bases or () if b not in LEGAL_BASES]
            if bad:
                self.add(
                    f"{path}.basis",
                    f"unknown legal basis {bad[0]!r}; use: {', '.join(LEGAL_BASES)}",
                )
            elif text is not None and bases is not None:
                purposes.append(Purpose(text, cast(tuple[LegalBasis, ...], bases)))

        categories = self.table(notice, "data", "notice", required=False) or {}
        self.unknown_keys(categories, "notice.data", _DATA_KEYS)

        recipients: list[Recipient] = []
        for index, item in enumerate(
            self.tables(notice, "recipients", "notice", required=False) or []
        ):
            path = _index("notice.recipients", index)
            self.unknown_keys(item, path, _RECIPIENT_KEYS)
            # One name for every language, or name.<lang> where it is translated.
            name: dict[str, str] | None
            if isinstance(item.get("name"), dict):
                name = self.texts(item, "name", path, languages, required=True)
            else:
                single = self.string(item, "name", path, required=True)
                name = None if single is None else {lang: single for lang in languages or ()}
            role = self.choice(item, "role", path, RECIPIENT_ROLES)
            if "role" not in item:
                self.add(f"{path}.role", "required key is missing ('recipient' or 'processor')")
            purpose = self.texts(item, "purpose", path, languages, required=True)
            location = self.texts(item, "location", path, languages, required=False)
            if name is not None and role is not None and purpose is not None:
                recipients.append(
                    Recipient(name, cast(RecipientRole, role), purpose, location=location)
                )

        transfers: Transfers | None = None
        table = self.table(notice, "transfers", "notice", required=False)
        if table is not None:
            self.unknown_keys(table, "notice.transfers", _TRANSFER_KEYS)
            outside = self.boolean(table, "outside_eea", "notice.transfers", required=True)
            # Transfers out of the EEA must say where to and under which safeguards.
            text = self.texts(table, "text", "notice.transfers", languages, required=bool(outside))
            if outside is not None:
                transfers = Transfers(outside_eea=outside, text=text)

        return NoticeFacts(
            purposes=tuple(purposes),
            data_given=self.text_lists(categories, "given", "notice.data", languages),
            data_observed=self.text_lists(categories, "observed", "notice.data", languages),
            data_derived=self.text_lists(categories, "derived", "notice.data", languages),
            sources=self.text_lists(notice, "sources", "notice", languages),
            recipients=tuple(recipients),
            transfers=transfers,
            security=self.text_lists(notice, "security", "notice", languages),
        )

    def authority(
        self, data: Mapping[str, object], languages: Sequence[str] | None
    ) -> SupervisoryAuthority | None:
        parent = "supervisory_authority"
        table = self.table(data, parent, "", required=False)
        if table is None:
            return None
        self.unknown_keys(table, parent, _AUTHORITY_KEYS)
        name = self.texts(table, "name", parent, languages, required=True)
        authority = SupervisoryAuthority(
            name=name or {},
            visiting_address=self.texts(
                table, "visiting_address", parent, languages, required=False
            ),
            postal_address=self.texts(table, "postal_address", parent, languages, required=False),
            phone=self.string(table, "phone", parent, required=False),
            email=self.string(table, "email", parent, required=False, check=_email_problem),
            url=self.string(table, "url", parent, required=False, check=_http_url_problem),
        )
        return authority if name is not None else None

    def history(
        self, data: Mapping[str, object], languages: Sequence[str] | None
    ) -> tuple[Change, ...]:
        result: list[Change] = []
        for index, item in enumerate(self.tables(data, "changes", "", required=False) or []):
            path = _index("changes", index)
            self.unknown_keys(item, path, _CHANGE_KEYS)
            when = self.date(item, "date", path)
            text = self.texts(item, "text", path, languages, required=True)
            version = self.string(item, "version", path, required=False)
            if when is not None and text is not None:
                result.append(Change(date=when, text=text, version=version))
        return tuple(result)

    def date(self, table: Mapping[str, object], key: str, parent: str) -> str | None:
        """A required calendar date, ``2021-10-21`` (TOML date) or ``"2021-10-21"``."""
        path = _join(parent, key)
        value = self.value(table, key, parent, True)
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        self.add(path, f"must be a date YYYY-MM-DD, got {_describe(value)}")
        return None
