"""docs/deployment.md: every setting, flag and snippet in it works with this gateway.

The settings and flags are checked against the settings table and the command-line parsers (the
gateway's, and the benchmark scripts' for the commands that run them); the systemd units and
nginx blocks are parsed and checked against each other; the unit's ``gateway serve`` with the
path-mode drop-in and the backup commands are run as written.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import _parser
from gateway.settings import SETTINGS_TABLE, Settings
from tests.conftest import ADMIN, BROWSER_UA, ROOT, SECRET, free_port, rows, write_site

DOC_PATH = ROOT / "docs" / "deployment.md"
DOC = DOC_PATH.read_text(encoding="utf-8")
# Programs the document shows beside the gateway; their flags are theirs to check.
OTHER_PROGRAMS = {
    "certbot", "cp", "find", "install", "journalctl", "mkdir", "pip", "python3", "sh", "sqlite3",
    "systemctl", "useradd",
}  # fmt: skip


def code_blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", DOC, flags=re.S | re.M)


def logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined, comments and blanks left out."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def program(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def gateway_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def gateway_flags() -> set[str]:
    return {
        option
        for sub in gateway_parsers().values()
        for option in sub._option_string_actions
        if option.startswith("--")
    }


def script_flags() -> set[str]:
    """Flags of the repository's own Python scripts the document runs (``python bench/x.py``),
    each checked against the script's source: it must define the flag."""
    found: set[str] = set()
    spans = [s.split() for s in re.findall(r"`([^`\n]+)`", DOC)]
    for argv in (*commands(), *spans):
        if len(argv) < 2 or program(argv[0]) not in ("python", "python3"):
            continue
        script = ROOT / argv[1]
        if not argv[1].endswith(".py") or not script.is_file():
            continue
        source = script.read_text(encoding="utf-8")
        for word in argv[2:]:
            if word.startswith("--"):
                flag = word.split("=")[0]
                assert f'"{flag}"' in source, f"{argv[1]} has no {flag}"
                found.add(flag)
    return found


def commands() -> list[list[str]]:
    """Every command line in the shell blocks and in ``ExecStart=`` lines, as argv."""
    found: list[list[str]] = []
    for block in code_blocks("sh"):
        for line in logical_lines(block):
            argv = shlex.split(line.split(" >>")[0])
            if "=" not in argv[0]:  # an environment file's KEY=value lines are no commands
                found.append(argv)
    for block in code_blocks("ini"):
        for line in logical_lines(block):
            if line.startswith("ExecStart=") and line != "ExecStart=":
                found.append(shlex.split(line.removeprefix("ExecStart=")))
    return found


def inline_commands() -> list[list[str]]:
    """Inline code in the prose that starts with a program name, as argv."""
    spans = re.findall(r"`([^`\n]+)`", DOC)
    return [s.split() for s in spans if s.split() and program(s.split()[0]) in OTHER_PROGRAMS]


# -- systemd ------------------------------------------------------------------------------------


@dataclass
class Unit:
    title: str  # the comment line naming the file
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # section, key, value

    def values(self, key: str) -> list[str]:
        return [v for _, k, v in self.entries if k == key]

    def value(self, key: str) -> str:
        (found,) = self.values(key)
        return found

    def environment(self) -> dict[str, str]:
        return dict(v.split("=", 1) for v in self.values("Environment"))

    def exec_start(self) -> list[str]:
        return shlex.split([v for v in self.values("ExecStart") if v][-1])


def units() -> dict[str, Unit]:
    """The systemd ini blocks by the file they say they are (their first comment line); other
    ini blocks (environment files) are no units."""
    found: dict[str, Unit] = {}
    for block in code_blocks("ini"):
        title = block.splitlines()[0].removeprefix("# ").strip()
        if not title.startswith("/etc/systemd/"):
            continue
        unit = Unit(title)
        section = ""
        for line in logical_lines(block):
            if line.startswith("["):
                assert line.endswith("]"), line
                section = line[1:-1]
                continue
            key, sep, value = line.partition("=")
            assert sep and section, f"{title}: not a unit line: {line!r}"
            unit.entries.append((section, key, value))
        found[title] = unit
    return found


MAIN_UNIT = "/etc/systemd/system/gateway.service"
PATH_DROP_IN = "/etc/systemd/system/gateway.service.d/path.conf"


def serve_namespace(argv: list[str]) -> argparse.Namespace:
    assert program(argv[0]) == "gateway", argv
    return _parser().parse_args(argv[1:])


def settings_of(unit_env: dict[str, str], **flags: Any) -> Settings:
    environ = {**unit_env, "GATEWAY_SECRET_KEYS": SECRET, "GATEWAY_ADMIN_TOKEN": ADMIN}
    return Settings.build(environ, create_secrets=False, **flags)


# -- nginx --------------------------------------------------------------------------------------


@dataclass
class Block:
    name: list[str]
    directives: list[list[str]] = field(default_factory=list)
    children: list[Block] = field(default_factory=list)

    def walk(self) -> list[Block]:
        return [self, *(b for child in self.children for b in child.walk())]

    def get(self, name: str) -> list[list[str]]:
        return [d[1:] for d in self.directives if d[0] == name]


def parse_nginx(text: str) -> Block:
    """A small nginx parser: blocks, directives ending in ';', quotes, comments."""
    tokens = re.findall(r"'[^']*'|\"[^\"]*\"|[{};]|[^\s{};'\"]+", re.sub(r"(?m)#.*$", "", text))
    root = Block(["main"])
    stack = [root]
    words: list[str] = []
    for token in tokens:
        if token == "{":
            child = Block(words)
            stack[-1].children.append(child)
            stack.append(child)
            words = []
        elif token == "}":
            assert not words, f"directive without ';' before '}}': {words}"
            stack.pop()
            assert stack, "unbalanced '}'"
        elif token == ";":
            assert words, "empty directive"
            stack[-1].directives.append(words)
            words = []
        else:
            words.append(token)
    assert not words, f"directive without ';' at the end: {words}"
    assert len(stack) == 1, "unclosed block"
    return root


def nginx_blocks() -> list[Block]:
    return [parse_nginx(text) for text in code_blocks("nginx")]


def proxied_locations(root: Block) -> list[tuple[Block, Block | None]]:
    """(location, its server block or None for a bare snippet) for each proxying location."""
    found: list[tuple[Block, Block | None]] = []
    servers = [b for b in root.walk() if b.name[0] == "server"]
    for server in servers or [root]:
        for block in server.walk():
            if block.name[0] == "location" and block.get("proxy_pass"):
                found.append((block, server if servers else None))
    return found


def header(location: Block, server: Block | None, name: str) -> str | None:
    """A proxy_set_header value as nginx applies it (inherited only if the location sets none)."""
    own = location.get("proxy_set_header")
    chosen = own if own or server is None else server.get("proxy_set_header")
    values = [v[1] for v in chosen if v[0].lower() == name.lower()]
    return values[0] if values else None


# -- the tests ----------------------------------------------------------------------------------


def test_every_gateway_variable_named_is_a_setting() -> None:
    named = set(re.findall(r"GATEWAY_[A-Z_]+", DOC))
    known = {row.env for row in SETTINGS_TABLE}
    assert named, "the document names no setting"
    assert named <= known, f"not in the settings table: {sorted(named - known)}"


def test_every_flag_named_exists() -> None:
    """A flag is the gateway's, one of the repository's scripts' (as the document runs it), or
    belongs to one of the other programs shown."""
    others = {
        word
        for argv in (*commands(), *inline_commands())
        if program(argv[0]) in OTHER_PROGRAMS
        for word in argv
        if word.startswith("--")
    }
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", DOC))
    unknown = named - gateway_flags() - script_flags() - others
    assert not unknown, f"flags the gateway does not have: {sorted(unknown)}"


def test_every_command_line_parses() -> None:
    seen = set()
    for argv in commands():
        name = program(argv[0])
        seen.add(name)
        if name == "gateway":
            serve_namespace(argv)  # argparse exits on an unknown flag or a bad value
        else:
            assert name in OTHER_PROGRAMS, argv
    assert "gateway" in seen


def test_the_main_unit_is_hardened_and_its_settings_build() -> None:
    unit = units()[MAIN_UNIT]
    assert unit.values("DynamicUser") == ["yes"] or unit.values("User")
    state = unit.value("StateDirectory")
    assert unit.value("Restart") == "on-failure"
    assert unit.value("EnvironmentFile") == "/etc/gateway/gateway.env"
    assert "/etc/gateway/gateway.env" in DOC.split("## The systemd unit")[0], "file explained"
    assert unit.value("KillSignal") == "SIGTERM"
    for key in ("NoNewPrivileges", "ProtectSystem", "PrivateTmp", "ProtectHome"):
        assert unit.values(key), key
    env = unit.environment()
    assert env["GATEWAY_DB"].startswith(f"sqlite:////var/lib/{state}/")
    assert unit.value("WorkingDirectory") == f"/var/lib/{state}"
    args = serve_namespace(unit.exec_start())
    assert args.command == "serve"
    settings = settings_of(
        env,
        host=args.host,
        port=args.port,
        trusted_proxies=args.trusted_proxy,
        log_format=args.log_format,
    )
    assert settings.host == "127.0.0.1"  # only nginx reaches it
    assert any(net.network_address.compressed == "127.0.0.1" for net in settings.trusted_proxies)


def path_mode_settings(**extra_flags: Any) -> Settings:
    """The settings the main unit's ``gateway serve`` builds with the path-mode drop-in."""
    args = serve_namespace(units()[MAIN_UNIT].exec_start())
    unit_env = {**units()[MAIN_UNIT].environment(), **units()[PATH_DROP_IN].environment()}
    flags = {
        "host": args.host,
        "port": args.port,
        "trusted_proxies": args.trusted_proxy,
        "root_path": args.root_path,
        "log_format": args.log_format,
        **extra_flags,
    }
    return settings_of(unit_env, **flags)


def test_the_path_mode_drop_in_only_adds_the_root_path_nginx_strips() -> None:
    drop_in = units()[PATH_DROP_IN]
    assert not drop_in.values("ExecStart"), "path mode runs the unit's own gateway serve"
    assert drop_in.environment()["GATEWAY_ROOT_PATH"] == "/gw"
    settings = path_mode_settings()
    assert settings.root_path == "/gw"
    assert settings.host == "127.0.0.1"
    assert any(net.network_address.compressed == "127.0.0.1" for net in settings.trusted_proxies)
    # nginx strips the same prefix the gateway is told about, and sends the rest to its port
    snippets = [
        (b, root) for root in nginx_blocks() for b, server in proxied_locations(root)
        if server is None
    ]  # fmt: skip
    targets = {b.name[-1]: b.get("proxy_pass")[0][0] for b, _ in snippets}
    assert targets[f"{settings.root_path}/"] == f"http://127.0.0.1:{settings.port}/"
    assert targets[f"{settings.root_path}/metrics"].endswith(f":{settings.port}/metrics")


def test_the_backup_timer_and_service_are_units() -> None:
    service = units()["/etc/systemd/system/gateway-backup.service"]
    timer = units()["/etc/systemd/system/gateway-backup.timer"]
    assert service.value("Type") == "oneshot"
    assert "%%F" in service.value("ExecStart"), "'%' must be doubled in unit files"
    assert timer.value("OnCalendar") == "daily"


def test_nginx_passes_the_address_and_scheme_to_the_gateway_port() -> None:
    main = units()[MAIN_UNIT]
    port = serve_namespace(main.exec_start()).port
    roots = nginx_blocks()
    assert len(roots) == 2  # subdomain and path mode
    upstreams = {
        b.name[1]: b.get("server")[0][0] for root in roots for b in root.walk()
        if b.name[0] == "upstream"
    }  # fmt: skip
    checked = 0
    for root in roots:
        for location, server in proxied_locations(root):
            target = location.get("proxy_pass")[0][0].removeprefix("http://")
            host_port = upstreams.get(target, target.split("/")[0])
            assert host_port == f"127.0.0.1:{port}", target
            forwarded_for = header(location, server, "X-Forwarded-For")
            assert forwarded_for in ("$remote_addr", "$proxy_add_x_forwarded_for"), location.name
            assert header(location, server, "X-Forwarded-Proto") == "$scheme", location.name
            checked += 1
    assert checked >= 4


def test_metrics_are_closed_to_the_outside_in_both_layouts() -> None:
    for root in nginx_blocks():
        metrics = [b for b in root.walk() if b.name[:2] in (["location", "="],)]
        assert any(b.name[2].endswith("/metrics") and b.get("deny") == [["all"]] for b in metrics)


def test_access_logs_leave_out_addresses_and_query_strings() -> None:
    formats = [
        d for root in nginx_blocks() for d in root.walk()[0].directives if d[0] == "log_format"
    ]
    (log_format,) = formats
    text = " ".join(log_format[2:])
    assert "$remote_addr" not in text and "$request_uri" not in text and "$args" not in text
    assert " $request " not in f" {text} " and "$uri" in text
    for root in nginx_blocks():
        for block in root.walk():
            for access_log in block.get("access_log"):
                assert access_log[-1] == log_format[1]


def test_readme_links_here_and_the_postgresql_and_scaling_sections_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/deployment.md)" in readme
    for heading in ("## PostgreSQL", "## Scaling"):
        assert f"\n{heading}\n" in DOC


# -- the unit's gateway serve in path mode, and the backups, run as written ---------------------

# What nginx's `location /gw/` block sends: the prefix stripped, Host, scheme and the visitor's
# address in headers, from 127.0.0.1 (a trusted proxy).
PROXIED = {
    "Host": "www.example.fi",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "198.51.100.7",
    "User-Agent": BROWSER_UA,
}


@dataclass
class Served:
    base: str
    db: Path
    stdout: Path
    stderr: Path

    def call(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        html: bool = False,
        status: int = 200,
    ) -> Any:
        """One request as nginx forwards it, answered with ``status``; JSON answers decoded,
        text as text, others as bytes."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {**PROXIED, "Origin": "http://127.0.0.1:8000"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if html:
            headers["Accept"] = "text/html"
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as error:  # a 4xx page is an answer too
            response = error
        with response:
            raw = response.read()
            assert response.status == status, (path, response.status, raw[:300])
            kind = response.headers.get_content_type()
            if kind == "application/json":
                return json.loads(raw)
            return raw.decode("utf-8") if kind.startswith("text/") else raw


@contextlib.contextmanager
def path_mode_gateway(tmp_path: Path, *extra_args: str) -> Iterator[Served]:
    """Start the main unit's ExecStart (``gateway serve``) with its environment plus the
    path-mode drop-in, on a free port; stop it with SIGTERM as systemd does."""
    argv = units()[MAIN_UNIT].exec_start() + list(extra_args)
    port = free_port()
    argv[argv.index("--port") + 1] = str(port)
    policies = tmp_path / "policies"
    policies.mkdir()
    write_site(policies, "demo", 1)
    db = tmp_path / "state" / "gateway.db"
    env = {
        **os.environ,
        **units()[MAIN_UNIT].environment(),
        **units()[PATH_DROP_IN].environment(),
        "GATEWAY_POLICIES": str(policies),
        "GATEWAY_DB": f"sqlite:///{db}",
        # the environment file's two secrets
        "GATEWAY_SECRET_KEYS": SECRET,
        "GATEWAY_ADMIN_TOKEN": ADMIN,
    }
    served = Served(f"http://127.0.0.1:{port}", db, tmp_path / "out.log", tmp_path / "err.log")
    assert program(argv[0]) == "gateway"
    with served.stdout.open("wb") as out, served.stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", *argv[1:]], stdout=out, stderr=err, env=env,
            cwd=tmp_path,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{served.base}/healthz", timeout=1):
                    break
            except OSError:
                logs = served.stdout.read_text() + served.stderr.read_text()
                assert process.poll() is None and time.monotonic() < deadline, logs
                time.sleep(0.1)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=30) == 0
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise


def test_path_mode_serves_prefixed_links_and_true_addresses(tmp_path: Path) -> None:
    """The unit's `gateway serve` with `GATEWAY_ROOT_PATH=/gw`, reached as nginx reaches it:
    every link it writes carries /gw, and the visitor's address is the one nginx saw. Then take
    both documented backups of the live database."""
    with path_mode_gateway(tmp_path) as gw:
        config = gw.call("/consent/demo/config?lang=fi")
        assert config["details_url"] == "https://www.example.fi/gw/consent/demo/details?lang=fi"
        assert config["privacy_url"] == "https://www.example.fi/gw/privacy/demo"
        assert gw.call("/openapi.json")["servers"] == [{"url": "/gw"}]
        notice = gw.call("/privacy/demo?lang=fi", html=True)
        assert 'href="https://www.example.fi/gw/privacy/demo/my-data?lang=fi"' in notice
        # without a consent cookie: the page that explains it, its links still under /gw
        my_data = gw.call("/privacy/demo/my-data?lang=fi", html=True, status=401)
        assert 'href="/gw/privacy/demo?lang=fi"' in my_data
        dashboard = gw.call("/dashboard/demo", html=True)  # the login page
        assert 'href="/gw/dashboard/static/dashboard.css"' in dashboard
        token = gw.call(
            "/consent/demo",
            {"granted": ["analytics"], "policy_version": "2026-01-01", "lang": "fi"},
            status=201,
        )["token"]
        gw.call(
            f"/matomo.php?idsite=1&rec=1&url=https%3A%2F%2Fwww.example.fi%2F&gw_consent={token}"
        )
        assert [r["ip"] for r in rows(gw.db, "SELECT ip FROM hits")] == ["198.51.0.0"]

        backups = tmp_path / "backups"
        backups.mkdir()
        (sh_backups,) = [b for b in code_blocks("sh") if ".backup" in b]
        for n, line in enumerate(logical_lines(sh_backups)):
            copy = backups / f"copy-{n}.db"
            line = line.replace("/var/lib/gateway/gateway.db", str(gw.db))
            line = re.sub(r"/var/backups/gateway/gateway-\$\(date \+%F\)\.db", str(copy), line)
            subprocess.run(["sh", "-c", line], check=True, timeout=60)
            verify = subprocess.run(
                [sys.executable, "-m", "gateway", "verify-consents", "demo"]
                + ["--db", f"sqlite:///{copy}"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert "ok: 1 consent records for site demo verify" in verify.stdout, verify.stderr
            assert len(rows(copy, "SELECT id FROM hits")) == 1
        assert n == 1  # both ways: .backup and VACUUM INTO
    printed = gw.stdout.read_text(encoding="utf-8")
    assert "  root path:    /gw " in printed
    log = gw.stderr.read_text(encoding="utf-8")
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]  # --log-format json
    assert any("Application startup complete" in e["message"] for e in entries)
    for text in (printed, log):
        assert "198.51.100.7" not in text and token not in text


def test_path_mode_with_several_workers_gives_each_the_root_path(tmp_path: Path) -> None:
    """`--workers 2` (the unit note): the workers build their settings from what the parent
    resolved, root path included."""
    with path_mode_gateway(tmp_path, "--workers", "2") as gw:
        for _ in range(4):  # connections land on either worker
            assert gw.call("/openapi.json")["servers"] == [{"url": "/gw"}]
            privacy_url = gw.call("/consent/demo/config?lang=fi")["privacy_url"]
            assert privacy_url == "https://www.example.fi/gw/privacy/demo"


@pytest.mark.parametrize("heading", ["## Several worker processes", "## Secret key rotation"])
def test_sections_the_readme_and_units_point_to_exist(heading: str) -> None:
    assert f"\n{heading}\n" in DOC
