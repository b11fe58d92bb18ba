"""The one settings object: built once from command-line flags and ``GATEWAY_*`` variables.

Nothing else in the gateway reads the environment. A flag given on the command line wins over
its environment variable, which wins over the default. Secrets that are not configured are
generated once and kept in a private file (mode 0600) beside the database, so a restart keeps
tokens valid and the admin token stable.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gateway.logformat import LogFormat
from gateway.net.clientip import IPNetwork, parse_networks
from gateway.net.ratelimit import Rate

DEFAULT_DB = "sqlite:///gateway.db"
SECRETS_FILE = "gateway-secrets.json"


class SettingsError(ValueError):
    """A setting has a value the gateway cannot use; the message names the setting."""


@dataclass(frozen=True)
class SettingDoc:
    flag: str
    env: str
    default: str
    help: str


# The settings table: the README documents every row (a test keeps them in step).
SETTINGS_TABLE: tuple[SettingDoc, ...] = (
    SettingDoc("--host", "GATEWAY_HOST", "127.0.0.1", "Address to listen on."),
    SettingDoc("--port", "GATEWAY_PORT", "8000", "Port to listen on."),
    SettingDoc("--policies", "GATEWAY_POLICIES", "policies", "Folder of policy files."),
    SettingDoc(
        "--db", "GATEWAY_DB", DEFAULT_DB, "Database URL: sqlite:///file.db or postgresql://..."
    ),
    SettingDoc(
        "--trusted-proxy",
        "GATEWAY_TRUSTED_PROXIES",
        "(none)",
        "Proxy address or CIDR whose X-Forwarded-For is believed; repeat the flag, or comma "
        "separate the variable.",
    ),
    SettingDoc("--geoip", "GATEWAY_GEOIP", "(none)", "MaxMind/DB-IP country .mmdb for countries."),
    SettingDoc("--workers", "GATEWAY_WORKERS", "1", "Worker processes."),
    SettingDoc(
        "--root-path",
        "GATEWAY_ROOT_PATH",
        "(none)",
        "URL path the gateway is served under behind a proxy that strips it, e.g. /gw; the "
        "links the gateway writes start with it.",
    ),
    SettingDoc(
        "",
        "GATEWAY_SECRET_KEYS",
        "(generated)",
        "Token signing keys, comma separated, newest first; older keys still verify.",
    ),
    SettingDoc(
        "", "GATEWAY_ADMIN_TOKEN", "(generated)", "Bearer token for /api and the dashboard."
    ),
    SettingDoc(
        "--upstream", "GATEWAY_UPSTREAM_URL", "(none)", "Matomo tracking URL to forward hits to."
    ),
    SettingDoc("", "GATEWAY_UPSTREAM_TOKEN", "(none)", "Matomo token_auth for forwarding."),
    SettingDoc(
        "",
        "GATEWAY_FORWARD_TIMEOUT",
        "5",
        "Seconds a post to the upstream Matomo may take (connect, each read) before it counts "
        "as failed and is retried; 0.5..300.",
    ),
    SettingDoc(
        "",
        "GATEWAY_FORWARD_BACKOFF_MAX",
        "300",
        "Longest wait in seconds between retries while the upstream Matomo fails (the wait "
        "starts at 1 s and doubles, with jitter); 1..86400.",
    ),
    SettingDoc(
        "", "GATEWAY_FORWARD_BATCH", "50", "Hits per bulk post to the upstream Matomo; 1..50."
    ),
    SettingDoc(
        "",
        "GATEWAY_FORWARD_POLL",
        "1",
        "Seconds between looks at an empty outbox (each process); 0.1..60.",
    ),
    SettingDoc(
        "--max-body-bytes", "GATEWAY_MAX_BODY_BYTES", "1048576", "Largest request body accepted."
    ),
    SettingDoc(
        "",
        "GATEWAY_PURGE_INTERVAL_HOURS",
        "24",
        "Hours between retention purges inside serve (the first runs a minute after start); "
        "0 turns them off.",
    ),
    SettingDoc(
        "--log-format",
        "GATEWAY_LOG_FORMAT",
        "text",
        "Log lines as text for people, or json (one object per line) for log collectors.",
    ),
    SettingDoc(
        "",
        "GATEWAY_RATE_CONSENT",
        "20/s,200",
        "Consent choices per client address: rate and burst (e.g. 600/min,100); over it: 429. "
        "0 turns the limit off.",
    ),
    SettingDoc(
        "",
        "GATEWAY_RATE_TRACKING",
        "100/s,1000",
        "Tracking requests per client address; over it they are dropped quietly, as Matomo "
        "answers excluded hits. 0 turns the limit off.",
    ),
)


@dataclass(frozen=True)
class Settings:
    """Everything the running gateway is configured with. Immutable; pass it down."""

    policies_dir: Path
    db_url: str
    secret_keys: tuple[str, ...]
    admin_token: str
    host: str = "127.0.0.1"
    port: int = 8000
    trusted_proxies: tuple[IPNetwork, ...] = ()
    geoip_path: str | None = None
    workers: int = 1
    # The URL path a proxy in front strips before passing requests on ("" = served at the root):
    # the ASGI root_path, which every link the gateway writes starts with.
    root_path: str = ""
    upstream_url: str | None = None
    upstream_token: str | None = None
    # Forwarding timing (gateway.forwarding.config): post time limit, longest retry wait,
    # hits per bulk post (Matomo's own trackers send at most 50), idle outbox poll; seconds.
    forward_timeout: float = 5.0
    forward_backoff_max: float = 300.0
    forward_batch: int = 50
    forward_poll: float = 1.0
    max_body_bytes: int = 1_048_576
    secrets_file: Path | None = None
    generated_secrets: bool = False
    revocation_poll_seconds: float = 1.0
    batch_max: int = 512
    # Retention purge inside serve: hours between runs, 0 = never (``gateway purge`` still works).
    purge_interval_hours: float = 24.0
    # Per client address (as the trusted-proxy rules see it), in this process.
    log_format: LogFormat = "text"
    consent_rate: Rate = Rate(20.0, 200)
    tracking_rate: Rate = Rate(100.0, 1000)
    extra: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print secrets
        return f"Settings(db_url={self.db_url!r}, policies_dir={str(self.policies_dir)!r})"

    @classmethod
    def build(
        cls,
        environ: Mapping[str, str],
        *,
        host: str | None = None,
        port: int | None = None,
        policies: str | None = None,
        db: str | None = None,
        trusted_proxies: Sequence[str] | None = None,
        geoip: str | None = None,
        workers: int | None = None,
        root_path: str | None = None,
        upstream: str | None = None,
        max_body_bytes: int | None = None,
        log_format: str | None = None,
        create_secrets: bool = True,
    ) -> Settings:
        """Combine flags (keyword arguments; None = not given) with the environment."""

        def pick(flag: object, name: str, default: str) -> str:
            if flag is not None:
                return str(flag)
            return environ.get(name, "").strip() or default

        db_url = pick(db, "GATEWAY_DB", DEFAULT_DB)
        validate_db_url(db_url)
        if trusted_proxies:
            proxy_values: list[str] = list(trusted_proxies)
        else:
            proxy_values = environ.get("GATEWAY_TRUSTED_PROXIES", "").split(",")
        try:
            networks = parse_networks(proxy_values)
        except ValueError as exc:
            raise SettingsError(f"GATEWAY_TRUSTED_PROXIES / --trusted-proxy: {exc}") from exc
        port_value = _int(pick(port, "GATEWAY_PORT", "8000"), "GATEWAY_PORT / --port", 1, 65535)
        workers_value = _int(pick(workers, "GATEWAY_WORKERS", "1"), "--workers", 1, 64)
        root_path_value = parse_root_path(pick(root_path, "GATEWAY_ROOT_PATH", ""))
        body_value = _int(
            pick(max_body_bytes, "GATEWAY_MAX_BODY_BYTES", "1048576"),
            "GATEWAY_MAX_BODY_BYTES",
            1024,
            64 * 1024 * 1024,
        )
        purge_hours = _hours(
            environ.get("GATEWAY_PURGE_INTERVAL_HOURS", "").strip() or "24",
            "GATEWAY_PURGE_INTERVAL_HOURS",
        )
        log_value = pick(log_format, "GATEWAY_LOG_FORMAT", "text")
        if log_value not in ("text", "json"):
            raise SettingsError(
                f"GATEWAY_LOG_FORMAT / --log-format: {log_value!r} is not text or json"
            )
        forward_timeout = _seconds(environ, "GATEWAY_FORWARD_TIMEOUT", "5", 0.5, 300)
        forward_backoff_max = _seconds(environ, "GATEWAY_FORWARD_BACKOFF_MAX", "300", 1, 86400)
        forward_batch = _int(
            environ.get("GATEWAY_FORWARD_BATCH", "").strip() or "50", "GATEWAY_FORWARD_BATCH", 1, 50
        )
        forward_poll = _seconds(environ, "GATEWAY_FORWARD_POLL", "1", 0.1, 60)
        consent_rate = _rate(environ, "GATEWAY_RATE_CONSENT", "20/s,200")
        tracking_rate = _rate(environ, "GATEWAY_RATE_TRACKING", "100/s,1000")
        geoip_path = pick(geoip, "GATEWAY_GEOIP", "") or None
        if geoip_path is not None and not Path(geoip_path).is_file():
            raise SettingsError(f"GATEWAY_GEOIP / --geoip: no such file: {geoip_path}")

        keys = tuple(
            k.strip() for k in environ.get("GATEWAY_SECRET_KEYS", "").split(",") if k.strip()
        )
        admin = environ.get("GATEWAY_ADMIN_TOKEN", "").strip()
        secrets_path = secrets_file_for(db_url)
        generated = False
        # Serving on PostgreSQL: instances share the database, so they must share the keys
        # (maintenance commands, create_secrets=False, sign nothing and need none).
        if is_postgres(db_url) and create_secrets and (not keys or not admin):
            raise SettingsError(
                "GATEWAY_SECRET_KEYS and GATEWAY_ADMIN_TOKEN must both be set with PostgreSQL: "
                "every instance on the database must share them (generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if not keys or not admin:
            stored = _load_or_create_secrets(secrets_path, create=create_secrets)
            generated = True
            keys = keys or (stored["secret_key"],)
            admin = admin or stored["admin_token"]
        for key in keys:
            if len(key) < 16:
                raise SettingsError("GATEWAY_SECRET_KEYS: every key needs at least 16 characters")
        return cls(
            policies_dir=Path(pick(policies, "GATEWAY_POLICIES", "policies")),
            db_url=db_url,
            secret_keys=keys,
            admin_token=admin,
            host=pick(host, "GATEWAY_HOST", "127.0.0.1"),
            port=port_value,
            trusted_proxies=networks,
            geoip_path=geoip_path,
            workers=workers_value,
            root_path=root_path_value,
            upstream_url=pick(upstream, "GATEWAY_UPSTREAM_URL", "") or None,
            upstream_token=environ.get("GATEWAY_UPSTREAM_TOKEN", "").strip() or None,
            forward_timeout=forward_timeout,
            forward_backoff_max=forward_backoff_max,
            forward_batch=forward_batch,
            forward_poll=forward_poll,
            max_body_bytes=body_value,
            secrets_file=secrets_path if generated else None,
            generated_secrets=generated,
            purge_interval_hours=purge_hours,
            log_format="json" if log_value == "json" else "text",
            consent_rate=consent_rate,
            tracking_rate=tracking_rate,
        )


def validate_db_url(url: str) -> None:
    if url.startswith("sqlite:///"):
        if len(url) <= len("sqlite:///"):
            raise SettingsError(f"GATEWAY_DB / --db: no file in {url!r}")
        return
    if is_postgres(url):
        if len(url.split("://", 1)[1]) == 0:
            raise SettingsError(f"GATEWAY_DB / --db: no server in {url!r}")
        return
    raise SettingsError(
        f"GATEWAY_DB / --db: {url!r} is not a database URL "
        "(sqlite:///relative.db, sqlite:////absolute.db, postgresql://user:pass@host:5432/db)"
    )


_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@-]+")


def parse_root_path(value: str) -> str:
    """``/gw`` or ``/gw/`` -> ``/gw``; ``""`` or ``/`` -> ``""`` (served at the root).

    The value becomes the ASGI ``root_path``: it is put in front of every request's path as is,
    and the server encodes it as ASCII, so it must be plain path segments (no percent escapes,
    query, fragment, whitespace, empty, ``.`` or ``..`` segments).
    """
    name = "GATEWAY_ROOT_PATH / --root-path"
    path = value.strip()
    if path in ("", "/"):
        return ""
    if not path.startswith("/"):
        raise SettingsError(f"{name}: {value!r} must start with '/' (e.g. /gw)")
    for char in ("?", "#"):
        if char in path:
            raise SettingsError(f"{name}: {value!r} is a URL path; it cannot hold {char!r}")
    if any(c.isspace() for c in path):
        raise SettingsError(f"{name}: {value!r} cannot hold whitespace")
    segments = path.removesuffix("/")[1:].split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise SettingsError(f"{name}: {value!r} has an empty, '.' or '..' segment")
        if not _PATH_SEGMENT.fullmatch(segment):
            raise SettingsError(
                f"{name}: {value!r} may hold only letters, digits and -._~!$&'()*+,;=:@ "
                "between its slashes (no percent escapes)"
            )
    return "/" + "/".join(segments)


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def sqlite_path(url: str) -> Path:
    """``sqlite:///rel.db`` -> ``rel.db``; ``sqlite:////abs/x.db`` -> ``/abs/x.db``."""
    return Path(url[len("sqlite:///") :])


def secrets_file_for(db_url: str) -> Path:
    if db_url.startswith("sqlite:///"):
        return sqlite_path(db_url).parent / SECRETS_FILE
    return Path(SECRETS_FILE)


def _int(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name}: {value!r} is not a whole number") from None
    if not low <= number <= high:
        raise SettingsError(f"{name}: {number} is outside {low}..{high}")
    return number


def _rate(environ: Mapping[str, str], name: str, default: str) -> Rate:
    try:
        return Rate.parse(environ.get(name, "").strip() or default)
    except ValueError as error:
        raise SettingsError(f"{name}: {error}") from None


def _seconds(environ: Mapping[str, str], name: str, default: str, low: float, high: float) -> float:
    """A number of seconds within ``low..high``; fractions allowed."""
    value = environ.get(name, "").strip() or default
    try:
        seconds = float(value)
    except ValueError:
        raise SettingsError(f"{name}: {value!r} is not a number of seconds") from None
    if not low <= seconds <= high:  # also rejects nan and inf
        raise SettingsError(f"{name}: {seconds:g} is outside {low:g}..{high:g} seconds")
    return seconds


def _hours(value: str, name: str) -> float:
    """A number of hours from 0 (off) to a year; fractions allowed."""
    try:
        hours = float(value)
    except ValueError:
        raise SettingsError(f"{name}: {value!r} is not a number of hours") from None
    if not 0 <= hours <= 8760:  # also rejects nan
        raise SettingsError(f"{name}: {hours:g} is outside 0..8760")
    return hours


def _load_or_create_secrets(path: Path, *, create: bool) -> dict[str, str]:
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("secret_key") and data.get("admin_token"):
                return {
                    "secret_key": str(data["secret_key"]),
                    "admin_token": str(data["admin_token"]),
                }
        except (OSError, ValueError) as exc:
            raise SettingsError(f"cannot read the secrets file {path}: {exc}") from exc
        raise SettingsError(f"the secrets file {path} is incomplete; delete it to regenerate")
    data = {"secret_key": secrets.token_urlsafe(32), "admin_token": secrets.token_urlsafe(24)}
    if not create:
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    return data
