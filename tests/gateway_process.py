"""``gateway serve`` as a real process on a free port, for tests that need more than one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def started_gateway(
    *,
    port: int,
    policies: Path,
    db_url: str,
    log_path: Path,
    env: dict[str, str],
    args: Sequence[str] = (),
) -> Iterator[Callable[[], str]]:
    """Start ``gateway serve`` (its output in ``log_path``, its working directory that file's
    folder) and yield a function that waits until ``/healthz`` answers and returns the base
    URL, so a caller can start other things meanwhile; SIGTERM at the end."""
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gateway", "serve", "--port", str(port)]
    command += ["--policies", str(policies), "--db", db_url, *args]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            cwd=log_path.parent,
        )

        def ready() -> str:
            deadline = time.monotonic() + 60
            while not _healthy(base):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gateway did not start:\n" + log_path.read_text())
                time.sleep(0.05)
            return base

        try:
            yield ready
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def running_gateway(
    *,
    port: int,
    policies: Path,
    db_url: str,
    log_path: Path,
    env: dict[str, str],
    args: Sequence[str] = (),
) -> Iterator[str]:
    """``started_gateway``, once it answers: yields its base URL."""
    with started_gateway(
        port=port, policies=policies, db_url=db_url, log_path=log_path, env=env, args=args
    ) as ready:
        yield ready()


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False
