"""Group commit: many requests' writes, one transaction, every response after its commit.

Requests put their writes on a queue and wait. One writer task takes everything queued (up to
``max_batch`` operations), commits it in a single transaction, and only then wakes the waiting
requests - so a 2xx always means committed, while the database sees a few large transactions
instead of one per hit. If a batch fails, its operations are retried one by one so a single bad
operation cannot fail its neighbours.

When the database itself refuses writes - locked by another process past the busy timeout, out
of space, unreadable - the writer is in an *outage*: every operation of the failed attempt gets
``StorageUnavailable`` (the routes answer 503, never a 2xx for something not stored), and so
does everything that waited in the queue through that attempt, without being tried again. Whatever
arrives later is tried as the next batch, so the first commit that succeeds ends the outage by
itself. One ERROR line is logged when an outage begins and one INFO line when it ends, however
many requests it refuses in between.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.consent.ledger import ConsentDraft, ConsentRecord
from gateway.forwarding.outbox import OutboxEntry
from gateway.histogram import COMMIT_BUCKETS, Histogram
from gateway.storage.base import AddHits, AppendConsent, Store, WriteOp, WriteResult
from gateway.tracking.record import HitRecord

log = logging.getLogger("gateway.storage")


class WriterClosed(RuntimeError):
    """The writer is shutting down and accepts no more work."""


class StorageUnavailable(RuntimeError):
    """The database cannot take writes now (locked, full, unreachable); nothing was stored.

    Callers answer 503 and need not log: the writer logs each outage once.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Errors that belong to the statement, not to the database: a retry on its own may succeed
# for the neighbours of the operation that caused it.
_OPERATION_FAULTS = (
    sqlite3.IntegrityError,
    sqlite3.ProgrammingError,
    sqlite3.DataError,
    sqlite3.NotSupportedError,
)
# PostgreSQL SQLSTATE classes (``sqlstate`` on asyncpg errors) about the server, not the
# statement: connection exception, insufficient resources (disk full), operator intervention
# (shutdown), system error (I/O), internal error.
_SERVER_SQLSTATE_CLASSES = ("08", "53", "57", "58", "XX")
# Waited for a lock and gave up: lock_not_available, query_canceled (lock or statement timeout).
_LOCK_SQLSTATES = ("55P03", "57014")
# How long after its last failed write the writer still reports an outage to ``/readyz``. Not
# for ever: a load balancer that takes the instance out sends no writes that could show the
# recovery, so readiness comes back on its own and the next write decides again.
OUTAGE_REPORT_SECONDS = 10.0


def _first_error(exc: BaseException) -> BaseException:
    """The database error that started ``exc``'s chain.

    SQLite rolls back by itself when COMMIT fails for lack of space; the ROLLBACK that follows
    then fails with "no transaction is active", hiding "database or disk is full" in
    ``__context__``.
    """
    while isinstance(exc.__context__, sqlite3.Error) or hasattr(exc.__context__, "sqlstate"):
        assert exc.__context__ is not None
        exc = exc.__context__
    return exc


def storage_failure(exc: BaseException) -> str | None:
    """Why ``exc`` means the database as a whole refuses writes now; None when it may not.

    None: the failure may belong to one operation (a constraint, a value that cannot be bound),
    so the other operations of its batch deserve a try of their own.
    """
    first = _first_error(exc)
    message = str(first) or type(first).__name__
    if isinstance(first, sqlite3.DatabaseError):
        return None if isinstance(first, _OPERATION_FAULTS) else message
    sqlstate = getattr(first, "sqlstate", None)
    if isinstance(sqlstate, str):
        server = sqlstate[:2] in _SERVER_SQLSTATE_CLASSES or sqlstate in _LOCK_SQLSTATES
        return message if server else None
    if isinstance(first, OSError):  # also ConnectionError and TimeoutError
        return message
    return None


def waited_for_lock(exc: BaseException) -> bool:
    """The database waited its whole busy timeout for another writer's lock and gave up.

    Trying again at once would wait as long again, so such a batch is not retried piecemeal.
    """
    first = _first_error(exc)
    name = getattr(first, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or (
        getattr(first, "sqlstate", None) in _LOCK_SQLSTATES
    )


@dataclass
class Outage:
    """One episode of the database refusing writes: from a failed attempt to the next commit."""

    reason: str  # the database's latest message, e.g. "database is locked"
    began: float  # time.monotonic()
    last_failure: float  # time.monotonic() of the latest failed attempt
    refused: int = 0  # operations answered StorageUnavailable


@dataclass
class _Pending:
    op: WriteOp
    future: asyncio.Future[WriteResult] = field(repr=False)
    queued_at: float = field(default_factory=time.monotonic)


class GroupCommitWriter:
    def __init__(self, store: Store, max_batch: int = 512) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0
        self.operations = 0
        self.commit_seconds = Histogram(COMMIT_BUCKETS)  # each committed write_batch
        self.outage: Outage | None = None  # the database is refusing writes right now

    def storage_problem(self, now: float | None = None) -> str | None:
        """Why writes fail, while the latest failure is under ``OUTAGE_REPORT_SECONDS`` old."""
        outage = self.outage
        if outage is None:
            return None
        now = time.monotonic() if now is None else now
        return outage.reason if now - outage.last_failure < OUTAGE_REPORT_SECONDS else None

    @property
    def queue_depth(self) -> int:
        """Operations queued and not yet taken into a transaction."""
        return self._queue.qsize()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gateway-writer")

    async def stop(self) -> None:
        """Commit everything already queued, then stop."""
        self._closing = True
        if self._task is not None:
            await self._queue.put(None)
            await self._task
            self._task = None

    async def add_hits(
        self, hits: Sequence[HitRecord], forwards: Sequence[OutboxEntry] = ()
    ) -> int:
        """Commit ``hits`` and queue ``forwards`` (their upstream requests) in one transaction."""
        if not hits:
            return 0
        result = await self._submit(AddHits(tuple(hits), tuple(forwards)))
        assert isinstance(result, int)
        return result

    async def append_consent(self, draft: ConsentDraft) -> ConsentRecord:
        result = await self._submit(AppendConsent(draft))
        assert isinstance(result, ConsentRecord)
        return result

    async def _submit(self, op: WriteOp) -> WriteResult:
        if self._closing or self._task is None:
            raise WriterClosed("the writer is not running")
        future: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(op, future))
        return await future

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            batch = self._without_stale(batch)
            if batch:
                await self._commit(batch)
        # Shutdown: nothing new is accepted; commit what is still queued.
        leftover: list[_Pending] = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                leftover.append(item)
        leftover = self._without_stale(leftover)
        if leftover:
            await self._commit(leftover)

    def _without_stale(self, batch: list[_Pending]) -> list[_Pending]:
        """During an outage, refuse what waited through a failed attempt; return the rest.

        Those requests have waited through one attempt already (up to a busy timeout); the next
        attempt is left to what arrived since, so no request waits for more than about one.
        """
        outage = self.outage
        if outage is None:
            return batch
        stale = [p for p in batch if p.queued_at <= outage.last_failure]
        if not stale:
            return batch
        self._refuse(stale, outage.reason, failed_now=False)
        return [p for p in batch if p.queued_at > outage.last_failure]

    def _refuse(self, batch: Sequence[_Pending], reason: str, *, failed_now: bool = True) -> None:
        """Answer ``batch`` with StorageUnavailable; log the outage if it begins now."""
        now = time.monotonic()
        outage = self.outage
        if outage is None:
            outage = self.outage = Outage(reason, began=now, last_failure=now)
            log.error("storage unavailable: %s; answering 503", reason)
        elif failed_now:
            outage.reason = reason
            outage.last_failure = now
        outage.refused += len(batch)
        for pending in batch:
            if not pending.future.done():
                pending.future.set_exception(StorageUnavailable(reason))

    def _committed(self) -> None:
        """A commit succeeded: an outage, if any, is over."""
        outage = self.outage
        if outage is not None:
            self.outage = None
            log.info(
                "storage available again after %.1f s; %d writes were answered 503",
                time.monotonic() - outage.began,
                outage.refused,
            )

    async def _commit(self, batch: list[_Pending]) -> None:
        started = time.perf_counter()
        try:
            results = await self.store.write_batch([p.op for p in batch])
        except Exception as exc:
            reason = storage_failure(exc)
            if reason is not None and (
                len(batch) == 1 or self.outage is not None or waited_for_lock(exc)
            ):
                self._refuse(batch, reason)
                return
            if reason is None:
                log.exception("batch of %d writes failed; retrying one by one", len(batch))
            else:  # perhaps passing: the first retry on its own tells
                log.warning(
                    "batch of %d writes failed (%s); retrying one by one", len(batch), reason
                )
            for n, pending in enumerate(batch):
                reason = await self._commit_one(pending)
                if reason is not None:
                    self._refuse(batch[n:], reason)
                    return
            return
        self.commit_seconds.observe(time.perf_counter() - started)
        self.batches += 1
        self.operations += len(batch)
        self._committed()
        for pending, result in zip(batch, results, strict=True):
            if not pending.future.done():
                pending.future.set_result(result)

    async def _commit_one(self, pending: _Pending) -> str | None:
        """Commit one operation; the reason when the database refused it as a whole."""
        started = time.perf_counter()
        try:
            (result,) = await self.store.write_batch([pending.op])
        except Exception as exc:
            reason = storage_failure(exc)
            if reason is not None:
                return reason
            if not pending.future.done():
                pending.future.set_exception(exc)
            return None
        self.commit_seconds.observe(time.perf_counter() - started)
        self.batches += 1
        self.operations += 1
        self._committed()
        if not pending.future.done():
            pending.future.set_result(result)
        return None
