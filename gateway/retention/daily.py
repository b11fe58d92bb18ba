"""The daily purge inside ``gateway serve``: once shortly after start, then every interval.

It never stops the server: a failed purge is logged and tried again at the next interval.
Several instances on one database each run it; the second run finds nothing left to remove.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from gateway.consent.tokens import utcnow
from gateway.policy import Retention
from gateway.retention.purge import Outcome, purge_all
from gateway.storage.base import Store

log = logging.getLogger("gateway.retention")

# The first purge waits this long after start (or the interval, if shorter), so start-up and
# the first requests are never slowed by it.
START_DELAY_S = 60.0


class DailyPurge:
    def __init__(
        self,
        store: Store,
        retention: Mapping[str, Retention],
        interval_hours: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``interval_hours`` 0 disables the purge."""
        self.store = store
        self.retention = dict(retention)
        self.interval_s = interval_hours * 3600
        self.clock = clock
        self.runs = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.interval_s > 0:
            self._task = asyncio.create_task(self._loop(), name="gateway-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> list[Outcome]:
        outcomes = await purge_all(self.store, self.retention, self.clock())
        self.runs += 1
        for outcome in outcomes:
            if outcome.error:
                log.error("retention: %s; trying again at the next interval", outcome.line())
            elif outcome.removed.total or outcome.removed.note:
                log.info("retention: %s", outcome.line())
        failed = sum(1 for o in outcomes if o.error)
        log.info(
            "retention: purge done, %d rows removed%s",
            sum(o.removed.total for o in outcomes),
            f", {failed} failed" if failed else "",
        )
        return outcomes

    async def _loop(self) -> None:
        await asyncio.sleep(min(START_DELAY_S, self.interval_s))
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("retention: purge failed; trying again at the next interval")
            await asyncio.sleep(self.interval_s)
