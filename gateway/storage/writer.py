"""Group commit: many requests' writes, one transaction, every response after its commit.

Requests put their writes on a queue and wait. One writer task takes everything queued (up to
``max_batch`` operations), commits it in a single transaction, and only then wakes the waiting
requests - so a 2xx always means committed, while the database sees a few large transactions
instead of one per hit. If a batch fails, its operations are retried one by one so a single bad
operation cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.consent.ledger import ConsentDraft, ConsentRecord
from gateway.forwarding.outbox import OutboxEntry
from gateway.storage.base import AddHits, AppendConsent, Store, WriteOp, WriteResult
from gateway.tracking.record import HitRecord

log = logging.getLogger("gateway.storage")


class WriterClosed(RuntimeError):
    """The writer is shutting down and accepts no more work."""


@dataclass
class _Pending:
    op: WriteOp
    future: asyncio.Future[WriteResult] = field(repr=False)


class GroupCommitWriter:
    def __init__(self, store: Store, max_batch: int = 512) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0
        self.operations = 0

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
            await self._commit(batch)
        # Shutdown: nothing new is accepted; commit what is still queued.
        leftover: list[_Pending] = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                leftover.append(item)
        if leftover:
            await self._commit(leftover)

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            results = await self.store.write_batch([p.op for p in batch])
        except Exception:
            log.exception("batch of %d writes failed; retrying one by one", len(batch))
            for pending in batch:
                await self._commit_one(pending)
            return
        self.batches += 1
        self.operations += len(batch)
        for pending, result in zip(batch, results, strict=True):
            if not pending.future.done():
                pending.future.set_result(result)

    async def _commit_one(self, pending: _Pending) -> None:
        try:
            (result,) = await self.store.write_batch([pending.op])
        except Exception as exc:
            if not pending.future.done():
                pending.future.set_exception(exc)
            return
        self.batches += 1
        self.operations += 1
        if not pending.future.done():
            pending.future.set_result(result)
