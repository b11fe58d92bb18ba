"""Storage: the ``Store`` protocol, its engines, and the group-commit writer."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.settings import sqlite_path, validate_db_url
from gateway.storage.base import Store
from gateway.storage.sqlite import SQLiteStore


def open_store(db_url: str, visit_timeouts: Mapping[str, int] | None = None) -> Store:
    """Build (not yet open) the store for a database URL validated by the settings.

    ``visit_timeouts``: each site's visit timeout in seconds (default 30 minutes).
    """
    validate_db_url(db_url)
    return SQLiteStore(sqlite_path(db_url), visit_timeouts)


__all__ = ["Store", "SQLiteStore", "open_store"]
