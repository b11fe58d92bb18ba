"""Properties of consent tokens: only a genuine token, for its own site and version, counts.

Tokens come back from browsers and scripts, so any string may arrive: tampered copies of real
tokens, tokens of another site or policy version, or noise. ``verify`` answers with claims or
``None`` - never an exception - and the binding holds for every generated site and version.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.consent.tokens import ConsentTokens

PROPERTY = settings(max_examples=300, derandomize=True, database=None, deadline=None)
KEYS = ("newest-secret-0123456789abcdef", "older-secret-0123456789abcdef")

slugs = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
versions = st.text(min_size=1, max_size=20)
categories = st.frozensets(st.sampled_from(["necessary", "analytics", "marketing", "social"]))


@PROPERTY
@given(st.text(max_size=5000), slugs, versions)
def test_noise_never_verifies(token: str, site: str, version: str) -> None:
    tokens = ConsentTokens(KEYS)
    assert tokens.verify(token, site=site, policy_version=version, max_age_days=180) is None


@PROPERTY
@given(slugs, versions, categories, slugs, versions)
def test_a_token_counts_only_for_its_own_site_and_version(
    site: str, version: str, granted: frozenset[str], other_site: str, other_version: str
) -> None:
    tokens = ConsentTokens(KEYS)
    token = tokens.issue("c-1", site, version, granted)
    claims = tokens.verify(token, site=site, policy_version=version, max_age_days=180)
    assert claims is not None and claims.granted == granted and claims.consent_id == "c-1"
    if other_site != site:
        assert (
            tokens.verify(token, site=other_site, policy_version=version, max_age_days=180) is None
        )
    if other_version != version:
        assert (
            tokens.verify(token, site=site, policy_version=other_version, max_age_days=180) is None
        )


@PROPERTY
@given(slugs, categories, st.data())
def test_any_change_to_a_token_breaks_it(
    site: str, granted: frozenset[str], data: st.DataObject
) -> None:
    tokens = ConsentTokens(KEYS)
    token = tokens.issue("c-2", site, "v1", granted)
    index = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    )
    tampered = token[:index] + replacement + token[index + 1 :]
    claims = tokens.verify(tampered, site=site, policy_version="v1", max_age_days=180)
    if tampered == token:
        assert claims is not None
    elif claims is not None:
        # Base64 padding bits: a few characters decode to the same bytes. The claims must then
        # be exactly the genuine ones - nothing about them can have changed.
        assert claims.granted == granted and claims.site == site and claims.consent_id == "c-2"


@PROPERTY
@given(slugs, categories)
def test_tokens_signed_with_an_unknown_key_never_verify(site: str, granted: frozenset[str]) -> None:
    forged = ConsentTokens(("attacker-key-0123456789abcdef",)).issue("c-3", site, "v1", granted)
    tokens = ConsentTokens(KEYS)
    assert tokens.verify(forged, site=site, policy_version="v1", max_age_days=180) is None


@PROPERTY
@given(slugs, categories)
def test_old_keys_still_verify_after_rotation(site: str, granted: frozenset[str]) -> None:
    before = ConsentTokens(KEYS[1:]).issue("c-4", site, "v1", granted)
    after_rotation = ConsentTokens(KEYS)
    claims = after_rotation.verify(before, site=site, policy_version="v1", max_age_days=180)
    assert claims is not None and claims.granted == granted


@PROPERTY
@given(slugs, versions, categories, slugs)
def test_owner_proof_ignores_the_policy_version_but_never_the_site(
    site: str, version: str, granted: frozenset[str], other_site: str
) -> None:
    tokens = ConsentTokens(KEYS)
    token = tokens.issue("c-5", site, version, granted)
    claims = tokens.owner(token, site=site, max_age_days=1)
    assert claims is not None and claims.policy_version == version
    if other_site != site:
        assert tokens.owner(token, site=other_site, max_age_days=1) is None
