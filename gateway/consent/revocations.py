"""Which consent ids no longer count, on every instance, within seconds.

A choice that is changed or withdrawn is superseded by a later ledger record. Tokens are
stateless, so a replayed old token would still verify; this set is what stops it. The instance
that records a withdrawal adds the id at once; every instance also polls the ledger for new
supersessions (default every second), which keeps the "withdrawn stops counting within 5
seconds" promise across processes and hosts sharing one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from gateway.storage.base import Store

log = logging.getLogger("gateway.consent")


class Revocations:
    def __init__(self, store: Store, poll_seconds: float = 1.0) -> None:
        self.store = store
        self.poll_seconds = poll_seconds
        self._revoked: set[str] = set()
        self._cursor = 0
        self._task: asyncio.Task[None] | None = None

    def __contains__(self, consent_id: object) -> bool:
        return consent_id in self._revoked

    def add(self, consent_id: str) -> None:
        self._revoked.add(consent_id)

    async def refresh(self) -> None:
        for revocation in await self.store.revocations_since(self._cursor):
            self._revoked.add(revocation.consent_id)
            self._cursor = max(self._cursor, revocation.cursor)

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.create_task(self._poll(), name="gateway-revocations")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.refresh()
            except Exception:
                log.exception("could not refresh consent revocations; retrying")
