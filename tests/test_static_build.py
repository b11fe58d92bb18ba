"""The served scripts are the minified build of their readable sources, and up to date.

Edit ``gateway/static/consent-banner/src/*.js``, then run ``scripts/build-js``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "gateway" / "static" / "consent-banner"
SOURCES = sorted((STATIC / "src").glob("*.js"))
TERSER = ROOT / "tests" / "node" / "node_modules" / ".bin" / "terser"


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_built_script_is_up_to_date(source: Path, tmp_path: Path) -> None:
    assert TERSER.exists(), "run `npm ci --prefix tests/node` (scripts/test does it)"
    out = tmp_path / source.name
    subprocess.run(
        [
            str(TERSER),
            str(source),
            "--ecma",
            "2017",
            "--compress",
            "passes=2",
            "--mangle",
            "--comments",
            "false",
            "--output",
            str(out),
        ],
        check=True,
        timeout=60,
    )
    built = STATIC / source.name
    assert built.exists(), f"{built.name} is not built: run scripts/build-js"
    assert built.read_bytes() == out.read_bytes(), f"{built.name} is stale: run scripts/build-js"
