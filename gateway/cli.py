"""The ``gateway`` command: serve, check, verify-consents, purge, outbox.

``gateway serve`` with no arguments runs the demo: ``policies/``, ``sqlite:///gateway.db`` and the
demo site on http://127.0.0.1:8000/. Every flag also has a ``GATEWAY_*`` variable; the settings
object is built here, once, and passed down.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway import __version__, logformat
from gateway.check import check_policies
from gateway.consent.ledger import verify_chain
from gateway.policy_loader import PolicyError
from gateway.settings import Settings, SettingsError, sqlite_path
from gateway.storage import open_store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gateway",
        description="Consent banner, proof of consent and consent-gated Matomo analytics.",
    )
    parser.add_argument("--version", action="version", version=f"gateway {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the gateway (the demo, with no arguments)")
    serve.add_argument("--host", help="address to listen on (GATEWAY_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (GATEWAY_PORT, default 8000)")
    serve.add_argument("--policies", help="folder of policy files (GATEWAY_POLICIES, policies)")
    serve.add_argument("--db", help="database URL (GATEWAY_DB, sqlite:///gateway.db)")
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="CIDR",
        help="proxy whose X-Forwarded-For is believed; repeatable (GATEWAY_TRUSTED_PROXIES)",
    )
    serve.add_argument("--geoip", help="country .mmdb file (GATEWAY_GEOIP)")
    serve.add_argument("--workers", type=int, help="worker processes (GATEWAY_WORKERS, 1)")
    serve.add_argument(
        "--root-path",
        metavar="PATH",
        help="URL path a proxy in front strips, e.g. /gw; links start with it (GATEWAY_ROOT_PATH)",
    )
    serve.add_argument(
        "--upstream", help="Matomo tracking URL to forward to (GATEWAY_UPSTREAM_URL)"
    )
    serve.add_argument("--max-body-bytes", type=int, help="largest request body accepted")
    serve.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="log lines as text or JSON (GATEWAY_LOG_FORMAT)",
    )
    serve.add_argument(
        "--access-log", action="store_true", help="log each request (method, path, status)"
    )

    check = sub.add_parser("check", help="validate policy files; exit 1 on any problem")
    check.add_argument("path", nargs="?", default=None, help="file or folder (default policies/)")

    verify = sub.add_parser("verify-consents", help="verify a site's consent hash chain")
    verify.add_argument("site", help="site slug")
    verify.add_argument("--db", help="database URL (GATEWAY_DB, sqlite:///gateway.db)")

    purge = sub.add_parser("purge", help="remove data older than each site's [retention]")
    purge.add_argument("--policies", help="folder of policy files (GATEWAY_POLICIES, policies)")
    purge.add_argument("--db", help="database URL (GATEWAY_DB, sqlite:///gateway.db)")
    purge.add_argument("--dry-run", action="store_true", help="only count what would be removed")
    copy = sub.add_parser(
        "copy-db", help="copy a SQLite database into an empty PostgreSQL database"
    )
    copy.add_argument("--from", dest="source", required=True, help="sqlite:///gateway.db")
    copy.add_argument("--to", dest="target", required=True, help="postgresql://user@host/db")
    outbox = sub.add_parser(
        "outbox", help="the forwarding backlog and parked rows; release or drop parked rows"
    )
    outbox.add_argument("--db", help="database URL (GATEWAY_DB, sqlite:///gateway.db)")
    change = outbox.add_mutually_exclusive_group()
    change.add_argument(
        "--release",
        nargs="*",
        type=int,
        metavar="ID",
        help="make these parked rows (all, without ids) due for delivery again",
    )
    change.add_argument(
        "--drop",
        nargs="*",
        type=int,
        metavar="ID",
        help="delete these parked rows for good (all, without ids)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "serve":
        return _serve(args)
    if args.command == "check":
        return _check(args)
    if args.command == "verify-consents":
        return _verify(args)
    if args.command == "purge":
        return _purge(args)
    if args.command == "copy-db":
        return _copy_db(args)
    if args.command == "outbox":
        return _outbox(args)
    _parser().print_help()
    return 2


def _check(args: argparse.Namespace) -> int:
    path = Path(args.path or os.environ.get("GATEWAY_POLICIES") or "policies")
    if not path.exists():
        print(f"{path}: no such file or folder", file=sys.stderr)
        return 1
    problems = check_policies(path)
    for problem in problems:
        print(problem)
    if problems:
        return 1
    count = (
        1 if path.is_file() else len([p for p in path.glob("*.toml") if not p.name.startswith(".")])
    )
    print(f"ok: {count} policy file{'s' if count != 1 else ''} valid")
    return 0


def _copy_db(args: argparse.Namespace) -> int:
    from gateway.settings import validate_db_url
    from gateway.storage.copy import Copied, CopyError, check_urls, copy_database

    try:
        validate_db_url(args.source)
        validate_db_url(args.target)
        check_urls(args.source, args.target)
        # Opening each store migrates it to this release's schema (the source's visits and
        # rollups are completed as at any start), so both hold the same tables.
        for url in (args.source, args.target):
            asyncio.run(_open_and_close(url))

        def report(done: Copied) -> None:
            print(f"{done.table}: {done.rows} rows", flush=True)

        copied = copy_database(args.source, args.target, report)
    except (SettingsError, CopyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the server refused or went away: nothing was committed
        print(f"error: copy failed, nothing copied: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    total = sum(c.rows for c in copied)
    print(f"ok: {total} rows copied; run verify-consents on the new database for each site")
    return 0


async def _open_and_close(url: str) -> None:
    store = open_store(url)
    await store.open()
    await store.close()


def _verify(args: argparse.Namespace) -> int:
    try:
        settings = Settings.build(os.environ, db=args.db, create_secrets=False)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    async def run() -> int:
        store = open_store(settings.db_url)
        await store.open()
        try:
            records = await store.consent_records(args.site)
            anchor = await store.consent_anchor(args.site)
        finally:
            await store.close()
        since = "" if anchor is None else f" from record {anchor.site_seq} (older ones purged)"
        if not records:
            print(f"no consent records for site {args.site!r}{since}")
            return 0
        broken = verify_chain(records, anchor)
        if broken is not None:
            print(f"BROKEN: site {args.site}: {broken}")
            return 1
        print(f"ok: {len(records)} consent records for site {args.site} verify{since}")
        return 0

    return asyncio.run(run())


def _purge(args: argparse.Namespace) -> int:
    from gateway.consent.tokens import utcnow
    from gateway.policy_loader import load_policies
    from gateway.retention.purge import purge_all, retentions

    try:
        settings = Settings.build(
            os.environ, policies=args.policies, db=args.db, create_secrets=False
        )
        policies = load_policies(settings.policies_dir)
        if not sqlite_path(settings.db_url).is_file():
            raise SettingsError(f"GATEWAY_DB / --db: no database at {sqlite_path(settings.db_url)}")
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PolicyError as exc:
        print("error: the policy files have problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2

    async def run() -> int:
        store = open_store(settings.db_url)
        await store.open()
        try:
            outcomes = await purge_all(store, retentions(policies), utcnow(), dry_run=args.dry_run)
        finally:
            await store.close()
        for outcome in outcomes:
            print(outcome.line(), file=sys.stderr if outcome.error else sys.stdout)
        return 1 if any(o.error for o in outcomes) else 0

    return asyncio.run(run())


def _outbox(args: argparse.Namespace) -> int:
    from gateway.forwarding import operations
    from gateway.settings import is_postgres

    try:
        settings = Settings.build(os.environ, db=args.db, create_secrets=False)
        if not is_postgres(settings.db_url) and not sqlite_path(settings.db_url).is_file():
            raise SettingsError(f"GATEWAY_DB / --db: no database at {sqlite_path(settings.db_url)}")
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    action: operations.Action = "show"
    chosen: list[int] | None = None
    if args.release is not None:
        action, chosen = "release", args.release
    elif args.drop is not None:
        action, chosen = "drop", args.drop

    async def run() -> operations.Report:
        store = open_store(settings.db_url)
        await store.open()
        try:
            return await operations.run(store, action, chosen or None)  # no ids: every one
        finally:
            await store.close()

    report = asyncio.run(run())
    for line in report.lines:
        print(line)
    for note in report.notes:
        print(note, file=sys.stderr)
    return 0


def _settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings.build(
        os.environ,
        host=args.host,
        port=args.port,
        policies=args.policies,
        db=args.db,
        trusted_proxies=args.trusted_proxy,
        geoip=args.geoip,
        workers=args.workers,
        root_path=args.root_path,
        upstream=args.upstream,
        max_body_bytes=args.max_body_bytes,
        log_format=getattr(args, "log_format", None),
    )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn
    from starlette.types import ASGIApp

    from gateway.app import create_app

    try:
        settings = _settings_from_args(args)
        app = create_app(settings)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PolicyError as exc:
        print("error: the policy files have problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    base = f"http://{settings.host}:{settings.port}"
    sites = [p.slug for p in app.state.runtime.policies]
    print(
        f"gateway {__version__}: {len(sites)} site(s) from {settings.policies_dir}: "
        f"{', '.join(sites)}"
    )
    print(f"  database:     {settings.db_url}")
    if settings.root_path:
        print(
            f"  root path:    {settings.root_path}  (links start with it; the proxy in front "
            "strips it, so the local addresses below have none)"
        )
    if "demo" in sites:
        print(f"  demo page:    {base}/")
    print(f"  banner:       {base}/consent/banner.js")
    print(f"  tracking:     {base}/matomo.php")
    for slug in sites:
        print(f"  notice:       {base}/privacy/{slug}")
    for slug in sites:
        print(f"  dashboard:    {base}/dashboard/{slug}  (log in with the admin token)")
    print(f"  hits export:  {base}/api/sites/<site>/hits  (Authorization: Bearer <admin token>)")
    if settings.generated_secrets and settings.secrets_file is not None:
        print(
            f"  admin token:  in {settings.secrets_file} (generated; set GATEWAY_ADMIN_TOKEN "
            "and GATEWAY_SECRET_KEYS to manage them yourself)"
        )
    else:
        print("  admin token:  from GATEWAY_ADMIN_TOKEN")
    sys.stdout.flush()
    log_config = logformat.configure(settings.log_format)
    if settings.workers > 1:
        _export_settings(settings)
        uvicorn.run(
            "gateway.cli:app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            root_path=settings.root_path,
            proxy_headers=False,
            access_log=False,
            server_header=False,
            log_config=log_config,
        )
        return 0
    if args.access_log:
        from gateway.accesslog import AccessLogMiddleware

        served: ASGIApp = AccessLogMiddleware(app)
    else:
        served = app
    # uvicorn drains and shuts down on SIGTERM, then raises the signal again so the process
    # would end by it; a handler of our own absorbs that, so a clean stop exits 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    uvicorn.run(
        served,
        host=settings.host,
        port=settings.port,
        root_path=settings.root_path,  # the prefix the proxy strips; links are written with it
        proxy_headers=False,  # client IPs come only from our trusted-proxy middleware
        access_log=False,  # uvicorn's access log would print the untruncated peer address
        server_header=False,
        log_level="info",
        log_config=log_config,
    )
    return 0


def _export_settings(settings: Settings) -> None:
    """Hand the resolved settings to worker processes through their environment."""
    os.environ.update(
        {
            "GATEWAY_POLICIES": str(settings.policies_dir),
            "GATEWAY_DB": settings.db_url,
            "GATEWAY_SECRET_KEYS": ",".join(settings.secret_keys),
            "GATEWAY_ADMIN_TOKEN": settings.admin_token,
            "GATEWAY_TRUSTED_PROXIES": ",".join(str(n) for n in settings.trusted_proxies),
            "GATEWAY_ROOT_PATH": settings.root_path,
            "GATEWAY_GEOIP": settings.geoip_path or "",
            "GATEWAY_MAX_BODY_BYTES": str(settings.max_body_bytes),
            "GATEWAY_PURGE_INTERVAL_HOURS": str(settings.purge_interval_hours),
            "GATEWAY_LOG_FORMAT": settings.log_format,
            "GATEWAY_UPSTREAM_URL": settings.upstream_url or "",
            "GATEWAY_FORWARD_TIMEOUT": str(settings.forward_timeout),
            "GATEWAY_FORWARD_BACKOFF_MAX": str(settings.forward_backoff_max),
            "GATEWAY_FORWARD_BATCH": str(settings.forward_batch),
            "GATEWAY_FORWARD_POLL": str(settings.forward_poll),
        }
    )


def app_from_environment():  # type: ignore[no-untyped-def]
    """uvicorn factory for ``--workers N``: each worker builds its settings from the environment."""
    from gateway.app import create_app

    return create_app(Settings.build(os.environ))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
