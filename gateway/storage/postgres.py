"""PostgreSQL: one database shared by any number of gateway instances (``postgres`` extra).

The same store as SQLite (``SQLStore``), on ``pg_sync.PgConnection``s: the writer thread holds
one connection, reads take pooled ones. Every write transaction holds the advisory lock
``pg_sync.WRITE_LOCK``, so instances write one at a time - the consent chain of a site stays a
single chain, hit and visit ids stay ordered, revocation cursors never skip a row - while
parsing, gating and answering requests run on all of them. Tables are created by the same
migration steps (``pg_schema``). Text compares bytewise (``COLLATE "C"``), as on SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg

from gateway.storage.connection import Connection
from gateway.storage.pg_schema import to_postgres
from gateway.storage.pg_sync import PgConnection
from gateway.storage.sql_reports import PgReportSource, SQLReportSource
from gateway.storage.sql_store import SQLStore


class PostgresStore(SQLStore):
    report_source: type[SQLReportSource] = PgReportSource

    def __init__(self, dsn: str, visit_timeouts: Mapping[str, int] | None = None) -> None:
        super().__init__(visit_timeouts)
        self.dsn = dsn

    def _connect_writer(self) -> Connection:
        return PgConnection(self.dsn)

    def _connect_reader(self) -> Connection:
        return PgConnection(self.dsn, read_only=True)

    def _lost_connection(self, exc: BaseException) -> bool:
        return isinstance(
            exc,
            asyncpg.ConnectionDoesNotExistError
            | asyncpg.AdminShutdownError
            | asyncpg.InterfaceError
            | ConnectionError,
        )

    def _schema_statement(self, statement: str) -> str:
        return to_postgres(statement)

    def _next_hit_ids(self, conn: Connection, count: int) -> int:
        """Reserve ``count`` ids of the hits' identity sequence. Only write transactions (which
        hold the write lock) draw from it, so the ids are consecutive."""
        row = conn.execute(
            "SELECT setval(pg_get_serial_sequence('hits', 'id'), "
            "nextval(pg_get_serial_sequence('hits', 'id')) + ? - 1)",
            (count,),
        ).fetchone()
        return int(row[0]) - count + 1
