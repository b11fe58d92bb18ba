"""Sessions and shared links: signed, bound to sites and tokens, expiring. Pure functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.consent.tokens import ConsentTokens
from gateway.dashboard.session import (
    SESSION_SECONDS,
    Session,
    SessionCodec,
    ShareCodec,
    anonymous,
    is_admin_session,
    key_of_token,
    may_read,
    open_session,
)
from gateway.policy import PolicySet
from gateway.policy_loader import load_policies
from tests.conftest import ADMIN
from tests.dashboard.conftest import DEMO_TOKEN, OTHER_TOKEN, sha, site_files

NOW = 1_780_000_000.0
OLD_KEY = "old-secret-key-0123456789abcdef"
NEW_KEY = "new-secret-key-0123456789abcdef"


@pytest.fixture
def policies(tmp_path: Path) -> PolicySet:
    site_files(tmp_path)
    return load_policies(tmp_path)


def test_round_trip_and_expiry() -> None:
    codec = SessionCodec((NEW_KEY,))
    session = Session("c" * 32, int(NOW) + 60, "k" * 32, ("demo",))
    value = codec.dumps(session)
    assert codec.loads(value, NOW) == session
    assert codec.loads(value, NOW + 59) == session
    assert codec.loads(value, NOW + 60) is None  # expired exactly at ``expires``
    assert "k" * 32 not in value or "." in value  # signed, not encrypted: never a token inside


def test_anonymous_session_has_only_a_csrf_value() -> None:
    session = anonymous(NOW)
    assert not session.logged_in and session.sites == ()
    assert session.expires == int(NOW) + SESSION_SECONDS
    assert len(session.csrf) >= 32
    assert SessionCodec((NEW_KEY,)).loads(SessionCodec((NEW_KEY,)).dumps(session), NOW) == session


def test_key_rotation_old_cookies_still_verify_new_ones_use_the_new_key() -> None:
    old = SessionCodec((OLD_KEY,))
    rotated = SessionCodec((NEW_KEY, OLD_KEY))
    session = anonymous(NOW)
    assert rotated.loads(old.dumps(session), NOW) == session
    assert old.loads(rotated.dumps(session), NOW) is None  # signed with the new key
    assert SessionCodec((NEW_KEY,)).loads(old.dumps(session), NOW) is None  # key dropped


@pytest.mark.parametrize(
    "value", ["", "garbage", "a.b", "x" * 5000, None, "eyJjIjoxfQ.bad-signature"]
)
def test_garbage_is_no_session(value: str | None) -> None:
    assert SessionCodec((NEW_KEY,)).loads(value, NOW) is None


def test_a_consent_token_or_share_token_is_no_session() -> None:
    consent = ConsentTokens((NEW_KEY,)).issue("id", "demo", "v1", frozenset({"analytics"}))
    share = ShareCodec((NEW_KEY,)).create("demo", NOW, None)
    codec = SessionCodec((NEW_KEY,))
    assert codec.loads(consent, NOW) is None
    assert codec.loads(share, NOW) is None
    assert ShareCodec((NEW_KEY,)).read(codec.dumps(anonymous(NOW)), "demo", NOW) is None


def test_admin_token_reads_every_site(policies: PolicySet) -> None:
    session = open_session(f"  {ADMIN} ", policies, ADMIN, NOW)
    assert session is not None and session.logged_in
    assert session.sites == ("*",)
    assert session.key == key_of_token(ADMIN) and ADMIN not in session.key
    assert is_admin_session(session, ADMIN)
    assert all(may_read(session, p, ADMIN) for p in policies)
    assert not may_read(session, policies.by_slug("demo"), "a-new-admin-token")  # type: ignore[arg-type]


def test_site_token_reads_only_its_sites(policies: PolicySet) -> None:
    demo, other = policies.by_slug("demo"), policies.by_slug("other")
    assert demo is not None and other is not None
    session = open_session(DEMO_TOKEN, policies, ADMIN, NOW)
    assert session is not None and session.sites == ("demo",)
    assert not is_admin_session(session, ADMIN)
    assert may_read(session, demo, ADMIN)
    assert not may_read(session, other, ADMIN)
    # A session that claims another site (as if forged) still needs the policy's token.
    claimed = Session(session.csrf, session.expires, session.key, ("demo", "other"))
    assert not may_read(claimed, other, ADMIN)
    # The admin wildcard needs the admin token's fingerprint, not just the "*".
    assert not may_read(Session("c", 1, session.key, ("*",)), other, ADMIN)


@pytest.mark.parametrize("token", ["", "   ", "wrong", "x" * 513, sha(DEMO_TOKEN)])
def test_unknown_tokens_open_nothing(policies: PolicySet, token: str) -> None:
    assert open_session(token, policies, ADMIN, NOW) is None


def test_one_token_listed_by_two_sites_reads_both(tmp_path: Path) -> None:
    site_files(tmp_path, demo_tokens=(DEMO_TOKEN, OTHER_TOKEN))
    session = open_session(OTHER_TOKEN, load_policies(tmp_path), ADMIN, NOW)
    assert session is not None and session.sites == ("demo", "other")


def test_csrf_comparison() -> None:
    session = Session("abc", 1)
    assert session.csrf_matches("abc")
    for bad in (None, "", "abd", "abc ", "a" * 300):
        assert not session.csrf_matches(bad)


def test_share_links_are_bound_to_site_and_expire() -> None:
    shares = ShareCodec((NEW_KEY,))
    weekly = shares.create("demo", NOW, 7)
    grant = shares.read(weekly, "demo", NOW)
    assert grant is not None and grant.site == "demo" and grant.expires == int(NOW) + 7 * 86400
    assert shares.read(weekly, "other", NOW) is None
    assert shares.read(weekly, "demo", NOW + 7 * 86400) is None
    forever = shares.create("demo", NOW, None)
    assert shares.read(forever, "demo", NOW + 10 * 365 * 86400) is not None
    assert ShareCodec((OLD_KEY,)).read(forever, "demo", NOW) is None  # rotation revokes
    assert shares.read(forever[:-1] + ("A" if forever[-1] != "A" else "B"), "demo", NOW) is None
