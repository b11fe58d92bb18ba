"""Policy files: every kind of mistake is reported with its file and key; valid files map
into the model; the shipped policies load and carry what their privacy notices say."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import pytest

from gateway.consent.texts import GROUPS, keys, texts_for
from gateway.policy import Policy
from gateway.policy_loader import (
    FILE_KEY,
    PolicyError,
    Problem,
    load_policies,
    load_policy_file,
)

POLICIES = Path(__file__).resolve().parents[1] / "policies"
TOKEN_HASH = hashlib.sha256(b"site-token").hexdigest()

VALID = f"""\
[site]
slug = "shop"
idsite = 7
name = "Shop"
origins = ["https://shop.example.fi", "http://localhost:8000"]
languages = ["fi", "en"]
version = "2026-02-01"

[privacy]
ip_mask_bytes = 3
without_consent = "anonymous"
consent_days = 90
excluded_query_params = ["token"]

[access]
token_sha256 = ["{TOKEN_HASH}"]

[controller]
name = "Shop Oy"
email = "privacy@shop.example.fi"

[[categories]]
id = "necessary"
required = true
title = {{ fi = "Välttämättömät", en = "Necessary" }}
description = {{ fi = "Aina päällä.", en = "Always on." }}

[[categories]]
id = "analytics"
required = false
title = {{ fi = "Analytiikka", en = "Analytics" }}
description = {{ fi = "Kävijätilastot.", en = "Visitor statistics." }}

[[categories.services]]
name = "Matomo"
provider = "Shop Oy"
purpose = {{ fi = "Tilastot.", en = "Statistics." }}
cookies = ["_pk_id.*"]
retention = {{ fi = "13 kk", en = "13 months" }}

[texts.fi]
title = "Evästeet"
description = "Kuvaus."
accept_all = "Hyväksy kaikki"
reject_all = "Hylkää kaikki"
settings = "Asetukset"
save = "Tallenna"
privacy_link = "Tietosuoja"
close = "Sulje"

[texts.en]
title = "Cookies"
description = "Description."
accept_all = "Accept all"
reject_all = "Reject all"
settings = "Settings"
save = "Save"
privacy_link = "Privacy"
close = "Close"
manage = "Cookie settings"

[[notice.sections]]
id = "rights"
title = {{ fi = "Oikeutesi", en = "Your rights" }}
body = {{ fi = "Voit poistaa tietosi.", en = "You can erase your data." }}
"""


def mutate(old: str, new: str, text: str = VALID) -> str:
    """Replace one exact, unique fragment of the valid policy."""
    assert text.count(old) == 1, f"fragment not unique in the valid policy: {old!r}"
    return text.replace(old, new)


def write(directory: Path, text: str, name: str = "shop.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_in_file(path: Path) -> list[Problem]:
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    return caught.value.problems


def problems_in_dir(directory: Path) -> list[Problem]:
    with pytest.raises(PolicyError) as caught:
        load_policies(directory)
    return caught.value.problems


def assert_reported(problems: list[Problem], file: Path, key: str, fragment: str) -> None:
    lines = [str(p) for p in problems]
    wanted = [p for p in problems if p.file == str(file) and p.key == key]
    assert wanted, f"no problem at {key!r}; got:\n" + "\n".join(lines)
    assert any(fragment in p.message for p in wanted), (
        f"no message with {fragment!r} at {key!r}; got:\n" + "\n".join(lines)
    )
    for problem in wanted:
        assert str(problem).startswith(f"{file}: {key}: ")


# --- a valid file ---------------------------------------------------------------------------


def test_valid_file_maps_into_the_model(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    policy = load_policy_file(path)

    assert isinstance(policy, Policy)
    assert policy.slug == "shop"
    assert policy.idsite == 7
    assert policy.name == "Shop"
    assert policy.origins == ("https://shop.example.fi", "http://localhost:8000")
    assert policy.languages == ("fi", "en")
    assert policy.default_language == "fi"
    assert policy.version == "2026-02-01"
    assert policy.hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert policy.source_path == str(path)
    assert policy.ip_mask_bytes == 3
    assert policy.without_consent == "anonymous"
    assert policy.consent_days == 90
    assert policy.excluded_query_params == ("token",)
    assert policy.token_sha256 == (TOKEN_HASH,)
    assert policy.category_ids == {"necessary", "analytics"}
    assert policy.required_category_ids == {"necessary"}
    assert policy.optional_category_ids == {"analytics"}

    analytics = policy.categories[1]
    assert isinstance(policy.categories, tuple)
    assert analytics.title == {"fi": "Analytiikka", "en": "Analytics"}
    (matomo,) = analytics.services
    assert matomo.name == "Matomo"
    assert matomo.cookies == ("_pk_id.*",)
    assert matomo.retention == {"fi": "13 kk", "en": "13 months"}
    assert matomo.privacy_url is None

    assert policy.texts["en"]["reject_all"] == "Reject all"
    assert policy.texts["en"]["manage"] == "Cookie settings"
    assert type(policy.texts["fi"]) is dict
    assert policy.controller is not None
    assert policy.controller.name == "Shop Oy"
    assert policy.controller.business_id is None
    assert [s.id for s in policy.notice] == ["rights"]
    assert policy.allows_origin("https://shop.example.fi")


def test_optional_tables_take_documented_defaults(tmp_path: Path) -> None:
    text = mutate(
        '[privacy]\nip_mask_bytes = 3\nwithout_consent = "anonymous"\nconsent_days = 90\n'
        'excluded_query_params = ["token"]\n\n',
        "",
    )
    text = mutate(f'[access]\ntoken_sha256 = ["{TOKEN_HASH}"]\n\n', "", text)
    text = mutate('[controller]\nname = "Shop Oy"\nemail = "privacy@shop.example.fi"\n\n', "", text)
    policy = load_policy_file(write(tmp_path, text))
    assert policy.ip_mask_bytes == 2
    assert policy.without_consent == "drop"
    assert policy.consent_days == 180
    assert policy.excluded_query_params == ()
    assert policy.token_sha256 == ()
    assert policy.controller is None
    assert policy.privacy_url is None


def test_extra_table_is_free_form(tmp_path: Path) -> None:
    text = VALID + '\n[extra]\ntheme = "dark"\nnested = { a = 1 }\n'
    policy = load_policy_file(write(tmp_path, text))
    assert policy.extra == {"theme": "dark", "nested": {"a": 1}}


# --- each kind of mistake -------------------------------------------------------------------

# (case id, fragment of VALID, replacement, expected key, expected message fragment)
MISTAKES = [
    ("bad-toml", 'name = "Shop"', 'name = "Shop', FILE_KEY, "line 4"),
    ("unknown-top", "[site]", "colour = 1\n[site]", "colour", "unknown key 'colour'"),
    ("unknown-site", 'name = "Shop"', 'name = "Shop"\nnmae = "x"', "site.nmae", "'name'"),
    (
        "unknown-category",
        'id = "analytics"',
        'id = "analytics"\nrequried = false',
        "categories[1].requried",
        "did you mean 'required'",
    ),
    (
        "unknown-service",
        'name = "Matomo"',
        'name = "Matomo"\nurl = "x"',
        "categories[1].services[0].url",
        "unknown key 'url'",
    ),
    ("type-idsite", "idsite = 7", 'idsite = "7"', "site.idsite", "expected an integer"),
    ("type-bool-idsite", "idsite = 7", "idsite = true", "site.idsite", "got a boolean"),
    ("type-float-idsite", "idsite = 7", "idsite = 7.0", "site.idsite", "got a float"),
    ("type-name", 'name = "Shop"', "name = 1", "site.name", "expected a string"),
    (
        "type-date-version",
        'version = "2026-02-01"',
        "version = 2026-02-01",
        "site.version",
        "put it in quotes",
    ),
    (
        "type-required",
        "required = false",
        'required = "no"',
        "categories[1].required",
        "expected a boolean",
    ),
    ("type-site", "[site]", "site = 1\n[nothing]", "site", "expected a table"),
    (
        "type-origins",
        'origins = ["https://shop.example.fi", "http://localhost:8000"]',
        'origins = "https://shop.example.fi"',
        "site.origins",
        "expected an array",
    ),
    (
        "type-excluded",
        'excluded_query_params = ["token"]',
        'excluded_query_params = ["token", 3]',
        "privacy.excluded_query_params[1]",
        "expected a string",
    ),
    (
        "type-text",
        'manage = "Cookie settings"',
        "manage = 5",
        "texts.en.manage",
        "expected a string",
    ),
    ("missing-name", 'name = "Shop"\n', "", "site.name", "required key is missing"),
    ("missing-idsite", "idsite = 7\n", "", "site.idsite", "required key is missing"),
    ("missing-version", 'version = "2026-02-01"\n', "", "site.version", "missing"),
    ("empty-version", 'version = "2026-02-01"', 'version = " "', "site.version", "empty"),
    (
        "missing-provider",
        'provider = "Shop Oy"\n',
        "",
        "categories[1].services[0].provider",
        "required key is missing",
    ),
    ("bad-slug-case", 'slug = "shop"', 'slug = "Shop"', "site.slug", "lowercase"),
    ("bad-slug-dash", 'slug = "shop"', 'slug = "-shop"', "site.slug", "not starting with '-'"),
    ("bad-slug-long", 'slug = "shop"', f'slug = "{"s" * 64}"', "site.slug", "1-63"),
    ("idsite-zero", "idsite = 7", "idsite = 0", "site.idsite", "must be >= 1, got 0"),
    ("idsite-negative", "idsite = 7", "idsite = -3", "site.idsite", ">= 1"),
    (
        "bad-language-case",
        'languages = ["fi", "en"]',
        'languages = ["fi", "EN"]',
        "site.languages[1]",
        "2-3 letter lowercase",
    ),
    (
        "bad-language-long",
        'languages = ["fi", "en"]',
        'languages = ["fi", "english"]',
        "site.languages[1]",
        "language code",
    ),
    (
        "duplicate-language",
        'languages = ["fi", "en"]',
        'languages = ["fi", "en", "fi"]',
        "site.languages[2]",
        "duplicate",
    ),
    ("no-languages", 'languages = ["fi", "en"]', "languages = []", "site.languages", "at least"),
    (
        "missing-category-text",
        'description = { fi = "Kävijätilastot.", en = "Visitor statistics." }',
        'description = { fi = "Kävijätilastot." }',
        "categories[1].description.en",
        "missing text for site language 'en'",
    ),
    (
        "missing-purpose-text",
        'purpose = { fi = "Tilastot.", en = "Statistics." }',
        'purpose = { en = "Statistics." }',
        "categories[1].services[0].purpose.fi",
        "missing text for site language 'fi'",
    ),
    (
        "text-for-unlisted-language",
        'title = { fi = "Analytiikka", en = "Analytics" }',
        'title = { fi = "Analytiikka", en = "Analytics", de = "Analytik" }',
        "categories[1].title.de",
        "not in site.languages",
    ),
    (
        "unknown-banner-text-key",
        'reject_all = "Reject all"\n',
        'reject_al = "Reject all"\n',
        "texts.en.reject_al",
        "unknown text key 'reject_al'",
    ),
    (
        "banner-text-language-not-offered",
        '[texts.en]\ntitle = "Cookies"',
        '[texts.xx]\ntitle = "Cookies"',
        "texts.xx",
        "not in site.languages",
    ),
    (
        "missing-notice-text",
        'body = { fi = "Voit poistaa tietosi.", en = "You can erase your data." }',
        'body = { fi = "Voit poistaa tietosi." }',
        "notice.sections[0].body.en",
        "missing text",
    ),
    (
        "duplicate-category",
        'id = "analytics"',
        'id = "necessary"',
        "categories[1].id",
        "duplicate category id 'necessary'",
    ),
    (
        "bad-category-id",
        'id = "analytics"',
        'id = "Analytics"',
        "categories[1].id",
        "lowercase letter",
    ),
    (
        "necessary-missing",
        'id = "necessary"',
        'id = "essential"',
        "categories",
        "id = 'necessary'",
    ),
    (
        "necessary-not-required",
        "required = true",
        "required = false",
        "categories[0].required",
        "must set required = true",
    ),
    (
        "necessary-required-missing",
        "required = true\n",
        "",
        "categories[0].required",
        "must set required = true",
    ),
    (
        "optional-required",
        "required = false",
        "required = true",
        "categories[1].required",
        "only the 'necessary' category may be required",
    ),
    ("ip-mask-5", "ip_mask_bytes = 3", "ip_mask_bytes = 5", "privacy.ip_mask_bytes", "0 to 4"),
    ("ip-mask-neg", "ip_mask_bytes = 3", "ip_mask_bytes = -1", "privacy.ip_mask_bytes", "0 to 4"),
    (
        "bad-without-consent",
        'without_consent = "anonymous"',
        'without_consent = "keep"',
        "privacy.without_consent",
        "must be 'drop' or 'anonymous', got 'keep'",
    ),
    ("consent-days-0", "consent_days = 90", "consent_days = 0", "privacy.consent_days", "1 to 395"),
    (
        "consent-days-too-many",
        "consent_days = 90",
        "consent_days = 396",
        "privacy.consent_days",
        "got 396",
    ),
    (
        "token-uppercase",
        TOKEN_HASH,
        TOKEN_HASH.upper(),
        "access.token_sha256[0]",
        "64 lowercase hex",
    ),
    ("token-plain", TOKEN_HASH, "site-token", "access.token_sha256[0]", "not the token"),
    ("token-short", TOKEN_HASH, TOKEN_HASH[:63], "access.token_sha256[0]", "64 lowercase hex"),
    (
        "bad-privacy-url",
        'version = "2026-02-01"',
        'version = "2026-02-01"\nprivacy_url = "ftp://shop.example.fi/privacy"',
        "site.privacy_url",
        "http:// or https://",
    ),
    (
        "bad-service-url",
        'name = "Matomo"',
        'name = "Matomo"\nprivacy_url = "shop.example.fi/privacy"',
        "categories[1].services[0].privacy_url",
        "http:// or https://",
    ),
    ("controller-no-name", 'name = "Shop Oy"\n', "", "controller.name", "required key"),
    (
        "controller-bad-email",
        'email = "privacy@shop.example.fi"',
        'email = "privacy(at)shop.example.fi"',
        "controller.email",
        "not an e-mail address",
    ),
    (
        "duplicate-cookie",
        'cookies = ["_pk_id.*"]',
        'cookies = ["_pk_id.*", "_pk_id.*"]',
        "categories[1].services[0].cookies[1]",
        "duplicate",
    ),
    (
        "duplicate-section",
        "[[notice.sections]]",
        '[[notice.sections]]\nid = "rights"\ntitle = { fi = "A", en = "A" }\n'
        'body = { fi = "B", en = "B" }\n\n[[notice.sections]]',
        "notice.sections[1].id",
        "duplicate section id 'rights'",
    ),
    (
        "bad-section-id",
        'id = "rights"',
        'id = "Your rights"',
        "notice.sections[0].id",
        "#link",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "key", "fragment"),
    [case[1:] for case in MISTAKES],
    ids=[case[0] for case in MISTAKES],
)
def test_each_mistake_is_named_with_file_and_key(
    tmp_path: Path, old: str, new: str, key: str, fragment: str
) -> None:
    path = write(tmp_path, mutate(old, new))
    assert_reported(problems_in_file(path), path, key, fragment)


# An origin must be exactly what a browser sends in its Origin header.
BAD_ORIGINS = [
    ("https://shop.example.fi/", "must not end with a slash"),
    ("https://shop.example.fi/shop", "must not have a path"),
    ("https://shop.example.fi?x=1", "must not have a path"),
    ("ftp://shop.example.fi", "http or https"),
    ("HTTPS://shop.example.fi", "http or https"),
    ("shop.example.fi", "scheme://host[:port]"),
    ("https://Shop.example.fi", "lowercase"),
    ("https://shop.example.fi:443", "default port 443"),
    ("http://localhost:80", "default port 80"),
    ("https://shop.example.fi:0", "1 to 65535"),
    ("https://shop.example.fi:99999", "1 to 65535"),
    ("https://shop.example.fi:", "1 to 65535"),
    ("https://shop.example.fi:\u00b2", "1 to 65535"),
    ("https://shop.example.fi:080", "1 to 65535"),
    ("https://", "no host"),
    ("https://user@shop.example.fi", "user name"),
    ("https://shop..example.fi", "not a valid host name"),
    ("https://-shop.example.fi", "not a valid host name"),
    ("https://kauppa.esimerkki.fi\u00e4", "ASCII"),
    ("http://[::1", "closing ']'"),
    ("http://[::1]x", "must not have a path"),
    ("http://[0:0:0:0:0:0:0:1]:8000", "[::1]"),
    ("http://[zz::1]", "not a valid IPv6"),
]


@pytest.mark.parametrize(("origin", "fragment"), BAD_ORIGINS)
def test_bad_origin_is_rejected_not_normalised(tmp_path: Path, origin: str, fragment: str) -> None:
    text = mutate('"http://localhost:8000"]', f'"{origin}"]')
    path = write(tmp_path, text)
    assert_reported(problems_in_file(path), path, "site.origins[1]", fragment)


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:8000",
        "https://a.b.example.fi",
        "http://[::1]:8000",
        "https://xn--k-wka.fi",
    ],
)
def test_good_origins_are_accepted(tmp_path: Path, origin: str) -> None:
    text = mutate('"http://localhost:8000"]', f'"{origin}"]')
    assert load_policy_file(write(tmp_path, text)).origins[1] == origin


def test_categories_must_be_an_array_of_tables(tmp_path: Path) -> None:
    start, end = VALID.index("[[categories]]"), VALID.index("[texts.fi]")
    text = VALID[:start] + '[categories]\nid = "necessary"\n\n' + VALID[end:]
    path = write(tmp_path, text)
    assert_reported(problems_in_file(path), path, "categories", "array of tables ([[categories]])")


def test_duplicate_origin(tmp_path: Path) -> None:
    text = mutate('"http://localhost:8000"]', '"https://shop.example.fi"]')
    path = write(tmp_path, text)
    assert_reported(problems_in_file(path), path, "site.origins[1]", "duplicate")


def test_file_name_must_match_slug(tmp_path: Path) -> None:
    path = write(tmp_path, VALID, name="other.toml")
    assert_reported(problems_in_file(path), path, "site.slug", "must be named shop.toml")


def test_invalid_language_list_still_checks_the_valid_languages(tmp_path: Path) -> None:
    text = mutate('languages = ["fi", "en"]', 'languages = ["fi", "en", "SV"]')
    text = mutate(
        'description = { fi = "Aina päällä.", en = "Always on." }', "description = {}", text
    )
    path = write(tmp_path, text)
    problems = problems_in_file(path)
    assert_reported(problems, path, "site.languages[2]", "language code")
    assert_reported(problems, path, "categories[0].description.fi", "missing text")
    assert_reported(problems, path, "categories[0].description.en", "missing text")


def test_all_problems_in_a_file_are_collected(tmp_path: Path) -> None:
    text = mutate("idsite = 7", "idsite = 0")
    text = mutate("ip_mask_bytes = 3", "ip_mask_bytes = 5", text)
    text = mutate("consent_days = 90", "consent_days = 0", text)
    text = mutate('reject_all = "Reject all"\n', 'reject_al = "Reject all"\n', text)
    text = mutate("required = false", "required = true", text)
    path = write(tmp_path, text)
    keys = {p.key for p in problems_in_file(path)}
    assert {
        "site.idsite",
        "privacy.ip_mask_bytes",
        "privacy.consent_days",
        "texts.en.reject_al",
        "categories[1].required",
    } <= keys


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    missing = tmp_path / "gone.toml"
    assert_reported(problems_in_file(missing), missing, FILE_KEY, "cannot read")

    latin1 = tmp_path / "shop.toml"
    latin1.write_bytes(VALID.encode("latin-1"))
    assert_reported(problems_in_file(latin1), latin1, FILE_KEY, "not valid UTF-8")

    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + VALID.encode("utf-8"))
    assert_reported(problems_in_file(bom), bom, FILE_KEY, "byte order mark")


def test_problem_and_error_text() -> None:
    problem = Problem("policies/shop.toml", "site.idsite", "must be >= 1, got 0")
    assert str(problem) == "policies/shop.toml: site.idsite: must be >= 1, got 0"
    error = PolicyError([problem, Problem("a.toml", FILE_KEY, "invalid TOML")])
    assert str(error).splitlines() == [str(problem), "a.toml: <file>: invalid TOML"]
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems


def test_quoted_keys_are_shown_quoted_on_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, mutate("[site]", '"odd key" = 1\n"two\\nlines" = 2\n[site]'))
    problems = problems_in_file(path)
    assert_reported(problems, path, '"odd key"', "unknown key")
    assert_reported(problems, path, '"two\\nlines"', "unknown key")
    assert all("\n" not in str(p) for p in problems)


# --- a directory ----------------------------------------------------------------------------


def site(slug: str, idsite: int) -> str:
    text = mutate('slug = "shop"', f'slug = "{slug}"')
    return mutate("idsite = 7", f"idsite = {idsite}", text)


def test_directory_loads_sorted_and_skips_hidden_files(tmp_path: Path) -> None:
    write(tmp_path, site("beta", 2), "beta.toml")
    write(tmp_path, site("alpha", 1), "alpha.toml")
    write(tmp_path, "not = [valid", ".#alpha.toml")
    write(tmp_path, "ignored", "notes.txt")
    policies = load_policies(tmp_path)
    assert [p.slug for p in policies] == ["alpha", "beta"]
    assert policies.by_idsite(2) is policies.by_slug("beta")


def test_duplicate_slug_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, site("shop", 1), "shop.toml")
    second = write(tmp_path, site("shop", 2), "shop2.toml")
    problems = problems_in_dir(tmp_path)
    duplicate = [p for p in problems if "already used" in p.message]
    assert len(duplicate) == 1
    assert duplicate[0].key == "site.slug"
    assert {duplicate[0].file, *duplicate[0].message.split()} >= {str(first), str(second)}


def test_duplicate_idsite_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, site("alpha", 5), "alpha.toml")
    second = write(tmp_path, site("beta", 5), "beta.toml")
    problems = problems_in_dir(tmp_path)
    assert problems == [Problem(str(second), "site.idsite", f"idsite 5 is already used by {first}")]


def test_problems_from_every_file_are_collected(tmp_path: Path) -> None:
    alpha = write(tmp_path, mutate("idsite = 7", "idsite = 0", site("alpha", 7)), "alpha.toml")
    beta = write(tmp_path, mutate('name = "Shop"', 'name = "Shop', site("beta", 8)), "beta.toml")
    gamma = write(tmp_path, site("gamma", 9), "wrong-name.toml")
    problems = problems_in_dir(tmp_path)
    assert_reported(problems, alpha, "site.idsite", ">= 1")
    assert_reported(problems, beta, FILE_KEY, "invalid TOML")
    assert_reported(problems, gamma, "site.slug", "gamma.toml")


def test_clashes_are_found_even_when_a_file_has_other_problems(tmp_path: Path) -> None:
    write(tmp_path, site("alpha", 5), "alpha.toml")
    beta = write(
        tmp_path, mutate("consent_days = 90", "consent_days = 0", site("beta", 5)), "beta.toml"
    )
    problems = problems_in_dir(tmp_path)
    assert_reported(problems, beta, "privacy.consent_days", "1 to 395")
    assert_reported(problems, beta, "site.idsite", "already used")


def test_empty_or_missing_directory(tmp_path: Path) -> None:
    assert_reported(problems_in_dir(tmp_path), tmp_path, FILE_KEY, "no policy files")
    missing = tmp_path / "nowhere"
    assert_reported(problems_in_dir(missing), missing, FILE_KEY, "not a directory")


# --- the shipped policies -------------------------------------------------------------------

SHIPPED = ["demo", "koneyrittajat", "kaustisen-seutukunta"]


@pytest.fixture(scope="module")
def shipped() -> dict[str, Policy]:
    return {policy.slug: policy for policy in load_policies(POLICIES)}


def services(policy: Policy, category: str) -> dict[str, str]:
    """Service name -> provider for one category."""
    (found,) = [c for c in policy.categories if c.id == category]
    return {s.name: s.provider for s in found.services}


def section(policy: Policy, section_id: str, lang: str = "fi") -> str:
    (found,) = [s for s in policy.notice if s.id == section_id]
    return found.body[lang]


def all_text(policy: Policy) -> str:
    parts = [t for s in policy.notice for t in (*s.title.values(), *s.body.values())]
    parts += [t for c in policy.categories for t in (*c.title.values(), *c.description.values())]
    parts += [t for texts in policy.texts.values() for t in texts.values()]
    return "\n".join(parts)


def test_shipped_directory_loads(shipped: dict[str, Policy]) -> None:
    assert sorted(shipped) == sorted(SHIPPED)
    assert {p.idsite for p in shipped.values()} == {1, 2, 3}


@pytest.mark.parametrize("slug", SHIPPED)
def test_shipped_policy_is_complete_in_every_language(slug: str) -> None:
    policy = load_policy_file(POLICIES / f"{slug}.toml")
    assert policy.languages == ("fi", "sv", "en")
    assert policy.without_consent == "drop"
    assert policy.controller is not None
    for lang in policy.languages:
        for group in GROUPS:
            assert set(texts_for(group, lang, policy.texts)) == keys(group)
    assert policy.notice
    for notice_section in policy.notice:
        for texts in (notice_section.title, notice_section.body):
            assert set(texts) == {"fi", "sv", "en"}
            assert all(value.strip() for value in texts.values())
    assert "(at)" not in all_text(policy)


def test_demo_policy(shipped: dict[str, Policy]) -> None:
    demo = shipped["demo"]
    assert (demo.idsite, demo.name, demo.version) == (1, "Demo site", "2026-01-01")
    assert demo.origins == ("http://127.0.0.1:8000", "http://localhost:8000")
    assert [c.id for c in demo.categories] == ["necessary", "analytics", "marketing", "social"]
    assert any("Matomo" in name for name in services(demo, "analytics"))


def test_koneyrittajat_policy(shipped: dict[str, Policy]) -> None:
    kone = shipped["koneyrittajat"]
    assert kone.idsite == 2
    assert kone.origins == ("https://www.koneyrittajat.fi", "https://koneyrittajat.fi")
    assert kone.category_ids == {"necessary", "analytics", "marketing", "social"}

    controller = kone.controller
    assert controller is not None
    assert controller.name == "Koneyrittäjät ry"
    assert controller.business_id == "0201722-8"
    assert controller.contact_person == "Päivi Löppönen"
    assert controller.contact_email == "paivi.lopponen@koneyrittajat.fi"
    assert controller.address == "Sitratie 7, 00420 Helsinki"
    assert controller.phone == "040 900 9410"

    analytics = services(kone, "analytics")
    assert analytics["Google Analytics"] == "Google"
    assert "Matomo" in analytics
    assert set(services(kone, "social")) == {
        "Facebook",
        "Twitter (X)",
        "Instagram",
        "LinkedIn",
        "YouTube",
    }
    assert services(kone, "marketing")

    authority = kone.authority
    assert authority is not None
    assert authority.name["fi"] == "Tietosuojavaltuutetun toimisto"
    assert authority.visiting_address and "Ratapihantie 9" in authority.visiting_address["fi"]
    assert authority.postal_address and authority.postal_address["fi"] == "PL 800, 00521 Helsinki"
    assert (authority.phone, authority.email) == ("029 56 66700", "tietosuoja@om.fi")

    ga = section(kone, "google-analytics")
    for report in ("kävijämäärät", "jolta kävijä saapuu", "kesto", "aiemmin", "sivuilla"):
        assert report in ga
    assert "raakatietoja jaeta kolmansille" in section(kone, "matomo")
    assert kone.facts.transfers is not None and kone.facts.transfers.outside_eea is False
    assert "Hämeenlinna" in section(kone, "offices")
    derived = kone.facts.data_derived
    assert derived is not None and "koneoppimisen tai tekoälyn" in derived["fi"][0]
    assert kone.facts.data_given and "kieli" in kone.facts.data_given["fi"]
    rights = section(kone, "rights")
    for right in (
        "Tietojen tarkastaminen, korjaaminen ja poistaminen",
        "Tietojen siirtäminen",
        "Suoramarkkinoinnin kielto-oikeus",
        "Vastustamisoikeus ja käsittelyn rajoittaminen",
        "Suostumuksen peruuttaminen",
        "Valitusoikeus",
    ):
        assert right in rights
    ids = {s.id for s in kone.notice}
    assert {"kl-app", "events", "member-newsletter", "customer-newsletter", "disclosures"} <= ids
    assert {"retention", "changes", "cookies", "social-media", "security"} <= ids


def test_kaustisen_seutukunta_policy(shipped: dict[str, Policy]) -> None:
    kase = shipped["kaustisen-seutukunta"]
    assert kase.idsite == 3
    assert kase.origins == ("https://www.kaustisenseutu.fi", "https://kaustisenseutu.fi")
    assert [c.id for c in kase.categories] == ["necessary", "analytics", "marketing"]
    assert "MailChimp" in services(kase, "marketing")
    assert len(services(kase, "analytics")) == 2

    controller = kase.controller
    assert controller is not None
    assert "Lestijärven kunta" in controller.name
    assert controller.address == "Lestintie 39, 69440 Lestijärvi"
    assert controller.email == "info@kaustisenseutu.fi"
    assert controller.contact_person == "Petri Jylhä"

    assert "21.10.2021" in section(kase, "intro")
    assert kase.facts.sources and "PRH" in kase.facts.sources["fi"][2]
    systems = section(kase, "record-c-registers")
    for system in (
        "Kosila",
        "KPKuntaraha",
        "MailChimp",
        "Questback",
        "Eura",
        "Hyrrä",
        "Reportronic",
        "KaseSoft",
        "Visma Sign",
        "Teams",
        "Zoom",
        "Forms",
        "paperiaineisto",
    ):
        assert system in systems
    assert kase.facts.transfers is not None and kase.facts.transfers.outside_eea is True
    assert kase.facts.transfers.text is not None
    transfers = kase.facts.transfers.text["fi"].strip().split("\n\n")
    assert "Privacy Shield" in transfers[0]
    assert "2020" in transfers[1] and "2020" not in transfers[0]
    records = [s.id for s in kase.notice if s.id.startswith("record-")]
    assert [r.split("-")[1] for r in records] == list("abcdefghij")


def test_texts_are_optional_where_built_in_texts_exist(tmp_path: Path) -> None:
    start, end = VALID.index("[texts.fi]"), VALID.index("[[notice.sections]]")
    path = write(tmp_path, VALID[:start] + VALID[end:])
    policy = load_policy_file(path)
    assert policy.texts == {}
    assert texts_for("first", "fi", policy.texts)["accept_all"] == "Hyväksy kaikki"


def test_a_language_without_built_in_texts_must_define_them_all(tmp_path: Path) -> None:
    text = mutate('languages = ["fi", "en"]', 'languages = ["fi", "en", "de"]')
    path = write(tmp_path, text)
    problems = problems_in_file(path)
    assert_reported(problems, path, "texts.de", "no built-in texts for 'de'")


def test_service_ids_changes_and_consent_mode(tmp_path: Path) -> None:
    text = mutate('name = "Matomo"', 'id = "matomo"\nname = "Matomo"')
    text = mutate(
        'version = "2026-02-01"',
        'version = "2026-02-01"\nchanges = { fi = "Uusi.", en = "New." }',
        text,
    )
    text += (
        "\n[consent_mode]\nwait_for_update = 300\n"
        '[consent_mode.map]\nanalytics = ["analytics_storage"]\n'
    )
    policy = load_policy_file(write(tmp_path, text))
    assert policy.service("matomo") is not None
    assert policy.changes == {"fi": "Uusi.", "en": "New."}
    assert policy.consent_mode is not None
    assert policy.consent_mode.map == {"analytics": ("analytics_storage",)}
    assert policy.consent_mode.wait_for_update == 300


@pytest.mark.parametrize(
    ("mode", "key", "fragment"),
    [
        (
            '[consent_mode.map]\nanalytics = ["ads"]',
            "consent_mode.map.analytics",
            "unknown consent type",
        ),
        ('[consent_mode.map]\nvideo = ["ad_storage"]', "consent_mode.map.video", "no category"),
        (
            "[consent_mode]\nwait_for_update = -1\n[consent_mode.map]",
            "consent_mode.wait_for_update",
            "0",
        ),
    ],
)
def test_consent_mode_mistakes(tmp_path: Path, mode: str, key: str, fragment: str) -> None:
    path = write(tmp_path, VALID + "\n" + mode + "\n")
    assert_reported(problems_in_file(path), path, key, fragment)


NOTICE_FACTS = """
[notice]
sources = { fi = ["Sinä itse"], en = ["You"] }
security = { fi = ["Palomuuri"], en = ["Firewall"] }

[[notice.purposes]]
basis = ["consent", "legitimate_interests"]
text = { fi = "Markkinointi", en = "Marketing" }

[notice.data]
given = { fi = ["nimi"], en = ["name"] }
derived = { fi = ["kiinnostukset"], en = ["interests"] }

[[notice.recipients]]
name = "Posti Oy"
role = "processor"
purpose = { fi = "Jakelu", en = "Delivery" }

[[notice.recipients]]
name = { fi = "Viranomaiset", en = "Authorities" }
role = "recipient"
purpose = { fi = "Laki", en = "Law" }
location = { fi = "Suomi", en = "Finland" }

[notice.transfers]
outside_eea = false

[supervisory_authority]
name = { fi = "Tietosuojavaltuutetun toimisto", en = "Data Protection Ombudsman" }
postal_address = { fi = "PL 800, 00521 Helsinki", en = "P.O. Box 800, 00521 Helsinki" }
email = "tietosuoja@om.fi"
url = "https://tietosuoja.fi"

[[changes]]
date = 2026-02-01
version = "2026-02-01"
text = { fi = "Uusi", en = "New" }

[[changes]]
date = "2021-10-21"
text = { fi = "Vanha", en = "Old" }
"""


def test_notice_facts_map_into_the_model(tmp_path: Path) -> None:
    text = mutate('id = "rights"\n', 'id = "rights"\ntopic = "rights"\n', VALID + NOTICE_FACTS)
    policy = load_policy_file(write(tmp_path, text))
    facts = policy.facts
    assert facts.sources == {"fi": ("Sinä itse",), "en": ("You",)}
    assert [p.bases for p in facts.purposes] == [("consent", "legitimate_interests")]
    assert facts.data_given == {"fi": ("nimi",), "en": ("name",)}
    assert facts.data_observed is None
    assert [(r.name["en"], r.role) for r in facts.recipients] == [
        ("Posti Oy", "processor"),
        ("Authorities", "recipient"),
    ]
    assert facts.transfers is not None and facts.transfers.outside_eea is False
    assert policy.authority is not None and policy.authority.email == "tietosuoja@om.fi"
    assert [(c.date, c.version) for c in policy.history] == [
        ("2026-02-01", "2026-02-01"),
        ("2021-10-21", None),
    ]
    assert policy.notice[0].topic == "rights"
    assert policy.source_text == text


NOTICE_MISTAKES = [
    (
        'basis = ["consent", "legitimate_interests"]',
        'basis = ["consent", "whim"]',
        "notice.purposes[0].basis",
        "unknown legal basis 'whim'",
    ),
    (
        'basis = ["consent", "legitimate_interests"]',
        "basis = []",
        "notice.purposes[0].basis",
        "at least one",
    ),
    ('role = "processor"', 'role = "procesor"', "notice.recipients[0].role", "'processor'"),
    ('role = "processor"\n', "", "notice.recipients[0].role", "required"),
    ("outside_eea = false", "outside_eea = true", "notice.transfers.text", "required"),
    ("outside_eea = false", 'outside_eea = "no"', "notice.transfers.outside_eea", "boolean"),
    (
        'given = { fi = ["nimi"], en = ["name"] }',
        'given = { fi = ["nimi"] }',
        "notice.data.given.en",
        "missing list",
    ),
    (
        'given = { fi = ["nimi"], en = ["name"] }',
        'given = { fi = [], en = ["name"] }',
        "notice.data.given.fi",
        "at least one",
    ),
    ("derived = {", "derive = {", "notice.data.derive", "did you mean 'derived'"),
    (
        'email = "tietosuoja@om.fi"',
        'email = "tietosuoja"',
        "supervisory_authority.email",
        "not an e-mail",
    ),
    ('url = "https://tietosuoja.fi"', 'url = "tietosuoja.fi"', "supervisory_authority.url", "http"),
    ("date = 2026-02-01", 'date = "1.2.2026"', "changes[0].date", "YYYY-MM-DD"),
    ("date = 2026-02-01", 'date = "2026-02-30"', "changes[0].date", "YYYY-MM-DD"),
    ("date = 2026-02-01\n", "", "changes[0].date", "required"),
    (
        'id = "rights"\n',
        'id = "rights"\ntopic = "right"\n',
        "notice.sections[0].topic",
        "did you mean 'rights'",
    ),
]


@pytest.mark.parametrize(("old", "new", "key", "fragment"), NOTICE_MISTAKES)
def test_notice_fact_mistakes_are_named_with_file_and_key(
    tmp_path: Path, old: str, new: str, key: str, fragment: str
) -> None:
    path = write(tmp_path, mutate(old, new, VALID + NOTICE_FACTS))
    assert_reported(problems_in_file(path), path, key, fragment)


# --- [retention] ----------------------------------------------------------------------------

RETENTION = "\n[retention]\nhits_days = 30\nconsents_days = 400\naudit_days = 90\n"


def test_retention_maps_into_the_model_and_defaults_when_absent(tmp_path: Path) -> None:
    policy = load_policy_file(write(tmp_path, VALID + RETENTION))
    assert (policy.retention.hits_days, policy.retention.consents_days) == (30, 400)
    assert policy.retention.audit_days == 90
    default = load_policy_file(write(tmp_path, VALID))
    assert (default.retention.hits_days, default.retention.consents_days) == (395, 1095)
    assert default.retention.audit_days == 365
    partial = load_policy_file(write(tmp_path, VALID + "\n[retention]\nhits_days = 60\n"))
    assert (partial.retention.hits_days, partial.retention.consents_days) == (60, 1095)


@pytest.mark.parametrize(
    ("old", "new", "key", "fragment"),
    [
        ("hits_days = 30", "hits_days = 0", "retention.hits_days", "from 1 to 3650"),
        ("audit_days = 90", "audit_days = 3651", "retention.audit_days", "from 1 to 3650"),
        ("hits_days = 30", 'hits_days = "30"', "retention.hits_days", "integer"),
        ("audit_days = 90", "audit_day = 90", "retention.audit_day", "did you mean"),
        # an active consent needs its record: privacy.consent_days is 90 in this file
        ("consents_days = 400", "consents_days = 89", "retention.consents_days", "at least"),
        # hits need the proof of the consent they were stored under
        ("hits_days = 30", "hits_days = 401", "retention.consents_days", "retention.hits_days"),
    ],
)
def test_retention_mistakes_are_named_with_file_and_key(
    tmp_path: Path, old: str, new: str, key: str, fragment: str
) -> None:
    path = write(tmp_path, mutate(old, new, VALID + RETENTION))
    assert_reported(problems_in_file(path), path, key, fragment)
