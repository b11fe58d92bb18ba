"""One settings object from flags and GATEWAY_* variables; secrets generated once, privately."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gateway.cli import _export_settings
from gateway.settings import SETTINGS_TABLE, Settings, SettingsError, sqlite_path

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_run_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.build({})
    assert settings.db_url == "sqlite:///gateway.db"
    assert settings.policies_dir == Path("policies")
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.trusted_proxies == ()


def test_missing_secrets_are_generated_once_into_a_private_file(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/data/gw.db"
    first = Settings.build({}, db=db)
    secrets_file = tmp_path / "data" / "gateway-secrets.json"
    assert first.generated_secrets and first.secrets_file == secrets_file
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    second = Settings.build({}, db=db)
    assert (second.secret_keys, second.admin_token) == (first.secret_keys, first.admin_token)
    assert first.admin_token not in repr(first) and first.secret_keys[0] not in repr(first)


def test_a_postgresql_url_with_shared_secrets(tmp_path: Path) -> None:
    env = {"GATEWAY_SECRET_KEYS": "k" * 20, "GATEWAY_ADMIN_TOKEN": "a" * 20}
    settings = Settings.build(env, db="postgresql://gw:pw@db.example:5432/gw")
    assert settings.db_url == "postgresql://gw:pw@db.example:5432/gw"
    assert not settings.generated_secrets
    assert not list(tmp_path.iterdir())  # no secrets file anywhere


def test_environment_and_flags(tmp_path: Path) -> None:
    env = {
        "GATEWAY_DB": f"sqlite:///{tmp_path}/env.db",
        "GATEWAY_PORT": "9000",
        "GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
        "GATEWAY_SECRET_KEYS": "new-key-0123456789abcdef,old-key-0123456789abcdef",
        "GATEWAY_ADMIN_TOKEN": "admin-0123456789",
    }
    from_env = Settings.build(env)
    assert from_env.port == 9000
    assert [str(n) for n in from_env.trusted_proxies] == ["10.0.0.0/8", "192.0.2.1/32"]
    assert from_env.secret_keys == ("new-key-0123456789abcdef", "old-key-0123456789abcdef")
    assert not from_env.generated_secrets
    flagged = Settings.build(env, port=9100, trusted_proxies=["127.0.0.1"])
    assert flagged.port == 9100  # a flag wins over its variable
    assert [str(n) for n in flagged.trusted_proxies] == ["127.0.0.1/32"]


@pytest.mark.parametrize(
    ("env", "flags", "message"),
    [
        ({}, {"db": "mysql://x"}, "not a database URL"),
        ({}, {"db": "sqlite:///"}, "no file"),
        ({}, {"db": "postgresql://"}, "no server"),
        # Instances on one PostgreSQL database must share keys: none are generated for it.
        ({}, {"db": "postgresql://gw@db.example/gw"}, "must both be set with PostgreSQL"),
        (
            {"GATEWAY_SECRET_KEYS": "k" * 20},
            {"db": "postgres://gw@db.example/gw"},
            "must both be set with PostgreSQL",
        ),
        ({"GATEWAY_PORT": "http"}, {}, "GATEWAY_PORT / --port: 'http' is not a whole number"),
        ({}, {"port": 70000}, "outside 1..65535"),
        ({"GATEWAY_TRUSTED_PROXIES": "*"}, {}, "'*' is not accepted"),
        ({"GATEWAY_TRUSTED_PROXIES": "proxy.local"}, {}, "GATEWAY_TRUSTED_PROXIES"),
        ({}, {"geoip": "/no/such.mmdb"}, "no such file"),
        ({"GATEWAY_SECRET_KEYS": "short", "GATEWAY_ADMIN_TOKEN": "x"}, {}, "16 characters"),
        ({"GATEWAY_FORWARD_TIMEOUT": "soon"}, {}, "GATEWAY_FORWARD_TIMEOUT: 'soon' is not a"),
        ({"GATEWAY_FORWARD_BACKOFF_MAX": "0"}, {}, "GATEWAY_FORWARD_BACKOFF_MAX: 0 is outside"),
        ({"GATEWAY_FORWARD_BATCH": "100"}, {}, "GATEWAY_FORWARD_BATCH: 100 is outside 1..50"),
        ({"GATEWAY_FORWARD_POLL": "0"}, {}, "GATEWAY_FORWARD_POLL: 0 is outside 0.1..60"),
        ({"GATEWAY_ROOT_PATH": "gw"}, {}, "GATEWAY_ROOT_PATH / --root-path: 'gw' must start"),
        ({}, {"root_path": "gw/"}, "--root-path: 'gw/' must start with '/'"),
        ({"GATEWAY_ROOT_PATH": "/gw?x=1"}, {}, "is a URL path; it cannot hold"),
        ({"GATEWAY_ROOT_PATH": "/gw#top"}, {}, "is a URL path; it cannot hold"),
        ({"GATEWAY_ROOT_PATH": "/my gw"}, {}, "cannot hold whitespace"),
        ({"GATEWAY_ROOT_PATH": "/gw//x"}, {}, "has an empty"),
        ({"GATEWAY_ROOT_PATH": "/gw/../admin"}, {}, "has an empty"),
        ({"GATEWAY_ROOT_PATH": "/my%20gw"}, {}, "may hold only letters, digits"),
        ({"GATEWAY_ROOT_PATH": "/g\u00e5"}, {}, "may hold only letters, digits"),
    ],
)
def test_bad_settings_name_the_setting(
    tmp_path: Path, env: dict[str, str], flags: dict[str, object], message: str
) -> None:
    flags.setdefault("db", f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(SettingsError, match=message.replace("*", r"\*").replace("(", r"\(")):
        Settings.build(env, **flags)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "path"),
    [("sqlite:///gateway.db", "gateway.db"), ("sqlite:////var/lib/gw/x.db", "/var/lib/gw/x.db")],
)
def test_sqlite_urls(url: str, path: str) -> None:
    assert sqlite_path(url) == Path(path)


@pytest.mark.parametrize(
    ("given", "root_path"),
    [
        ("", ""),  # served at the root
        ("/", ""),
        ("/gw", "/gw"),
        ("/gw/", "/gw"),  # the trailing slash of nginx's location is dropped
        (" /gw ", "/gw"),
        ("/sites/fi-gw.v2", "/sites/fi-gw.v2"),
    ],
)
def test_root_path_is_a_plain_prefix(given: str, root_path: str, tmp_path: Path) -> None:
    environ = {"GATEWAY_SECRET_KEYS": "k" * 20, "GATEWAY_ADMIN_TOKEN": "a" * 20}
    db = f"sqlite:///{tmp_path}/g.db"
    assert Settings.build({**environ, "GATEWAY_ROOT_PATH": given}, db=db).root_path == root_path
    assert Settings.build(environ, db=db, root_path=given).root_path == root_path


def test_the_root_path_flag_wins_and_workers_inherit_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = {
        "GATEWAY_SECRET_KEYS": "k" * 20,
        "GATEWAY_ADMIN_TOKEN": "a" * 20,
        "GATEWAY_ROOT_PATH": "/from-env",
    }
    # the process environment the workers would inherit, replaced for this test only
    monkeypatch.setattr(os, "environ", dict(environ))
    parent = Settings.build(environ, db=f"sqlite:///{tmp_path}/g.db", root_path="/gw/")
    assert parent.root_path == "/gw"
    _export_settings(parent)  # what `gateway serve --workers N` hands its workers
    assert Settings.build(os.environ).root_path == "/gw"


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS_TABLE:
        assert setting.env in readme, setting.env
        if setting.flag:
            assert setting.flag in readme, setting.flag


@pytest.mark.parametrize(
    ("given", "expected"), [(None, "text"), ("json", "json"), ("text", "text")]
)
def test_log_format(given: str | None, expected: str, tmp_path: Path) -> None:
    environ = {"GATEWAY_SECRET_KEYS": "k" * 20, "GATEWAY_ADMIN_TOKEN": "a" * 20}
    settings = Settings.build(environ, db=f"sqlite:///{tmp_path}/g.db", log_format=given)
    assert settings.log_format == expected


def test_an_unknown_log_format_names_the_setting(tmp_path: Path) -> None:
    environ = {"GATEWAY_SECRET_KEYS": "k" * 20, "GATEWAY_ADMIN_TOKEN": "a" * 20}
    environ["GATEWAY_LOG_FORMAT"] = "xml"
    with pytest.raises(SettingsError, match="GATEWAY_LOG_FORMAT"):
        Settings.build(environ, db=f"sqlite:///{tmp_path}/g.db")
