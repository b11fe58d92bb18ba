"""Storage: the ``Store`` protocol, its engines, and the group-commit writer."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.settings import SettingsError, is_postgres, sqlite_path, validate_db_url
from gateway.storage.base import Store
from gateway.storage.sqlite import SQLiteStore


def open_store(db_url: str, visit_timeouts: Mapping[str, int] | None = None) -> Store:
    """Build (not yet open) the store for a database URL validated by the settings.

    ``visit_timeouts``: each site's visit timeout in seconds (default 30 minutes).
    """
    validate_db_url(db_url)
    if is_postgres(db_url):
        try:
            from gateway.storage.postgres import PostgresStore
        except ImportError as exc:  # asyncpg is the ``postgres`` extra
            raise SettingsError(
                f"GATEWAY_DB / --db: PostgreSQL needs asyncpg ({exc}); "
                "install it with: pip install 'gateway[postgres]'"
            ) from exc
        return PostgresStore(db_url, visit_timeouts)
    return SQLiteStore(sqlite_path(db_url), visit_timeouts)


__all__ = ["Store", "SQLiteStore", "open_store"]
