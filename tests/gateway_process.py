"""``gateway serve`` as a real process on a free port, for tests that need more than one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


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
    """Start ``gateway serve``, wait for ``/healthz``, yield its base URL; SIGTERM at the end."""
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gateway",
                "serve",
                "--port",
                str(port),
                "--policies",
                str(policies),
                "--db",
                db_url,
                *args,
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            cwd=log_path.parent,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gateway did not start:\n" + log_path.read_text())
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
