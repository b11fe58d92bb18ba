"""SQL for ``policy_versions``: every policy version the gateway has served, kept for good.

A consent record stores the SHA-256 of the policy file it was given under; this table maps that
hash back to the file's text, so the exact notice and banner texts can be shown years later.
Rows are only ever inserted (first one wins), never updated or deleted. Plain SQL, so the
PostgreSQL store can reuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from gateway.storage.base import PolicyVersion
from gateway.storage.connection import Connection

_COLUMNS: Final = "site, hash, version, first_served, snapshot"


def record_versions(conn: Connection, versions: Sequence[PolicyVersion]) -> int:
    """Insert the versions not stored yet (by site and hash); return how many were new.

    The caller holds the write transaction. An existing row keeps its ``first_served``.
    """
    added = 0
    for item in versions:
        cursor = conn.execute(
            f"INSERT INTO policy_versions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (site, hash) DO NOTHING",
            (item.site, item.hash, item.version, item.first_served, item.snapshot),
        )
        added += cursor.rowcount
    return added


def list_versions_sql() -> str:
    """Every version of one site, newest first (``first_served``, then hash for ties)."""
    return f"SELECT {_COLUMNS} FROM policy_versions WHERE site = ? ORDER BY first_served DESC, hash"


def one_version_sql() -> str:
    return f"SELECT {_COLUMNS} FROM policy_versions WHERE site = ? AND hash = ?"


def from_row(row: Sequence[object]) -> PolicyVersion:
    return PolicyVersion(
        site=str(row[0]),
        hash=str(row[1]),
        version=str(row[2]),
        first_served=str(row[3]),
        snapshot=str(row[4]),
    )
