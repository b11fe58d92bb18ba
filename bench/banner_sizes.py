"""Bytes a visitor downloads for the consent banner, next to the peers' published figures.

First layer = everything fetched before the banner shows: ``banner.js`` and the site's config
in one language. Settings layer = what opening Settings adds: ``banner-settings.js`` and the
details. Sizes are gzip -9 of each response body, as served by the app.

    python bench/banner_sizes.py [--site demo]
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
from pathlib import Path

from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

# gzip -9 of JS + CSS, measured with the same method (shared/research/consent.md, section 2);
# none of these includes the site's own texts or configuration.
PEERS = [
    ("vanilla-cookieconsent 3.1.0", 15_513),
    ("Osano cookieconsent 3.1.1 (no categories)", 8_113),
    ("tarteaucitron 1.34.0 (4 requests)", 60_300),
    ("Klaro 0.7.22", 68_892),
]


def gz(body: bytes) -> int:
    return len(gzip.compress(body, 9))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="demo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            policies_dir=ROOT / "policies",
            db_url=f"sqlite:///{tmp}/sizes.db",
            secret_keys=("size-measurement-key-0123456789",),
            admin_token="size-measurement",
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            rows: list[tuple[str, str, int, int]] = []
            for layer, path in (
                ("first", "/consent/banner.js"),
                ("first", f"/consent/{args.site}/config?lang=fi"),
                ("settings", "/consent/banner-settings.js"),
                ("settings", f"/consent/{args.site}/details?lang=fi"),
                ("tracker", "/consent/tracker.js"),
            ):
                response = client.get(path)
                if response.status_code != 200:
                    print(f"{path}: HTTP {response.status_code}")
                    continue
                rows.append((layer, path, len(response.content), gz(response.content)))
    print(f"{'layer':9s} {'resource':38s} {'raw':>7s} {'gzip -9':>8s}")
    for layer, path, raw, packed in rows:
        print(f"{layer:9s} {path:38s} {raw:7d} {packed:8d}")
    first = sum(p for layer, _, _, p in rows if layer == "first")
    settings_total = sum(p for layer, _, _, p in rows if layer == "settings")
    print(f"\nfirst layer total:    {first:6d} B gzip -9 (budget 6,000, 2 requests)")
    print(f"settings layer adds:  {settings_total:6d} B gzip -9 (budget 5,000)")
    print("\npeers (JS + CSS only, no site texts):")
    for name, size in PEERS:
        print(f"  {name:44s} {size:7d} B  ({size / first:.1f}x ours)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
